// SPDX-License-Identifier: GPL-2.0
/*
 * Key formation: which futex does a user address name?
 *
 * The 2003 design (Jamie Lokier, Rusty Russell, Hugh Dickins) keys a futex
 * on what the memory *is*, never on the physical page that happens to hold
 * it, so no page needs to stay pinned while somebody waits:
 *
 *  - ALTFUTEX_PRIVATE: (mm, address), with no VMA lookup at all;
 *  - a mapping that may be shared (VM_MAYSHARE: MAP_SHARED files, read-only
 *    ones included, MAP_SHARED anonymous memory, SysV shm, memfd, which all
 *    have a backing file): (inode, byte offset of the word in the file), so
 *    every process that maps the file shares the futex whatever address it
 *    maps it at, and the key survives munmap, remap, swap and eviction;
 *    for memory a driver maps rather than a page cache (character devices,
 *    anonymous-inode files such as perf buffers): (open file, offset);
 *  - anything else (private anonymous memory, MAP_PRIVATE files, written or
 *    not): (mm, address), so parent and child never share a private futex
 *    after fork().
 *
 * The VMA is looked at under the mmap lock only while the key is formed;
 * no page is touched.  The rules themselves are af_key_vma() (altfutex.h),
 * which takes no lock and no reference, so that the KUnit suites
 * (kunit.c) can check them on made-up VMAs, files and inodes.  The entry
 * point, af_key_lookup(), and af_key_drop() are inline in altfutex.h: a
 * private key is two stores; this file has the VMA lookup.
 *
 * References
 * ----------
 * A shared key holds a reference on the file of the mapping it was formed
 * in (get_file()).  That reference keeps the inode alive, since an inode
 * can outlive every mapping of it, and it also pins the mount, hence the
 * superblock: a waiter keyed on a word of a file that was since unmapped
 * and closed makes a plain umount(2) of its filesystem fail with -EBUSY,
 * and a lazy one (MNT_DETACH) completes only when the last waiter goes.
 * An inode reference alone (ihold()) would let umount tear the superblock
 * down under the waiter, whose later iput() then touches freed memory.
 * Which open file of the inode a key holds does not matter: keys compare
 * the inode (af_key_match()), the file is only what keeps it alive.
 *
 * A private key names the mm of the thread that formed it, which keeps
 * that mm alive while it uses the key: a wake or requeue for the length of
 * the call, a thread's wait while it sleeps.  So af_key_lookup() takes no
 * reference on the mm, as the kernel futex does not: two atomic
 * operations on a cache line that every thread of the process shares are
 * saved on each call.  A waiter that may outlive the mm its key names
 * holds a reference on that mm's private table (af_key_get()), which
 * holds the mm's struct (mmgrab()): an fd waiter always, and a thread's
 * waiter that a requeue moved onto another process's private key
 * (af_waiter_holds_ref()).
 */
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>
#include <linux/uaccess.h>

#include "altfutex.h"

/**
 * af_key_lookup_shared() - af_key_lookup() of a word without
 * ALTFUTEX_PRIVATE: what the VMA says it is
 * @uaddr: a 4-byte aligned user address, access_ok()
 * @key: filled in; a shared key holds a reference on its mapping's file
 *
 * Return: as af_key_lookup() (altfutex.h).
 */
int af_key_lookup_shared(u32 __user *uaddr, struct af_key *key)
{
	unsigned long addr = (unsigned long)uaddr;
	struct mm_struct *mm = current->mm;
	struct vm_area_struct *vma;
	int ret;

	if (mmap_read_lock_killable(mm))
		return -EINTR;
	vma = vma_lookup(mm, addr);
	ret = af_key_vma(mm, vma, addr, key);		/* the rules */
	/* the mmap lock keeps the file alive until here */
	if (!ret && key->type == AF_KEY_SHARED)
		get_file(key->file);
	mmap_read_unlock(mm);
	return ret;
}

/*
 * Take a reference on the object of @key, a private key's mm included,
 * for a waiter that may outlive the calling thread (an fd).  The object
 * must be alive: the caller holds a reference on it or runs in it.
 */
void af_key_get(const struct af_key *key)
{
	if (key->type == AF_KEY_SHARED)
		get_file(key->file);
	else
		refcount_inc(&key->pt->ref);
}

/*
 * Drop a reference af_key_get() took.  The last reference to a file is
 * released later, by task work or a worker (fput()).
 */
void af_key_put(const struct af_key *key)
{
	if (key->type == AF_KEY_SHARED)
		fput(key->file);
	else
		af_ptable_put(key->pt);
}
