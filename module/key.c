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
 * no page is touched.  The rules themselves are af_key_vma(), which takes
 * no lock and no reference, so that the KUnit suites (kunit_suites.c) can
 * check them on made-up VMAs, files and inodes; their inverse, reading the
 * word a shared key names without the mapping it was formed in, is
 * af_key_read_shared().  The entry point, af_key_lookup(), and
 * af_key_drop() are inline in altfutex.h: a private key is two stores.
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
#include <linux/highmem.h>
#include <linux/magic.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>
#include <linux/shmem_fs.h>
#include <linux/uaccess.h>

#include "altfutex.h"

/*
 * A page at or past the end of a regular file (after a truncate) holds no
 * futex: reading it would SIGBUS.  Wait, wake and an fd's re-arm refuse
 * it alike.
 */
static bool af_key_past_eof(struct inode *inode, pgoff_t pgoff)
{
	return S_ISREG(inode->i_mode) &&
	       pgoff >= DIV_ROUND_UP_ULL(i_size_read(inode), PAGE_SIZE);
}

/**
 * af_key_vma() - the key rules: which futex the word at @addr in @vma is
 * @mm: the mm @vma belongs to, whose mmap lock the caller holds
 * @vma: the VMA that contains @addr, or NULL if none does
 * @addr: the user address of the word
 * @key: filled in on success
 *
 * The whole decision of af_key_lookup(), and nothing else: it
 * takes no lock and no reference (the caller holds the mmap lock, and
 * takes the file reference that a shared key needs) and reads only @vma,
 * its file and the file's inode, so that the KUnit suites can feed it
 * made-up ones.
 *
 * A shared mapping names its inode only when the memory is the inode's
 * page cache, the same for every opener: a regular file (shmem, memfd and
 * SysV shm included) or a block device.  Any other file's pages are what
 * its driver hands out, per open file or per process: perf ring buffers,
 * KVM, BPF maps and every other anonymous-inode file share one inode
 * system-wide, and a character device's openers may each see their own
 * memory.  Those are keyed on the open file, so two processes meet on such
 * a futex only if they share the open file (fork, SCM_RIGHTS).
 *
 * Return: 0, or -EFAULT if the word may not be a futex: no VMA, memory
 * that is not readable or is device I/O, or a page at or past the end of
 * a regular file.
 */
VISIBLE_IF_KUNIT int af_key_vma(struct mm_struct *mm,
				struct vm_area_struct *vma,
				unsigned long addr, struct af_key *key)
{
	struct file *file;
	struct inode *inode;
	pgoff_t pgoff;

	/* the word must be readable memory: no PROT_NONE, no device I/O */
	if (!vma || !(vma->vm_flags & VM_READ) ||
	    (vma->vm_flags & (VM_IO | VM_PFNMAP)))
		return -EFAULT;
	if (!(vma->vm_flags & VM_MAYSHARE) || !vma->vm_file) {
		af_key_private(mm, addr, key);
		return 0;
	}

	file = vma->vm_file;
	inode = file_inode(file);
	pgoff = vma->vm_pgoff + ((addr - vma->vm_start) >> PAGE_SHIFT);
	if (af_key_past_eof(inode, pgoff))
		return -EFAULT;

	if (S_ISREG(inode->i_mode) || S_ISBLK(inode->i_mode))
		key->object = inode;
	else
		key->object = file;
	key->word = ((u64)pgoff << PAGE_SHIFT) | offset_in_page(addr);
	key->file = file;
	key->type = AF_KEY_SHARED;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(af_key_vma);

/**
 * af_key_lookup_shared() - af_key_lookup() of a word without
 * ALTFUTEX_PRIVATE: what the VMA says it is
 * @uaddr: a user address aligned to its word's size, access_ok()
 * @key: filled in; a shared key holds a reference on its mapping's file
 *
 * Return: as af_key_lookup() (altfutex.h).
 */
int af_key_lookup_shared(void __user *uaddr, struct af_key *key)
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

/**
 * af_key_read_shared() - read the word a shared key names
 * @key: a shared key, holding its file
 * @val: the word's value, on success
 *
 * The inverse of af_key_vma(), for an fd's re-arm, which may come from a
 * process that maps the file elsewhere or not at all: the word is read
 * through the page cache, the page referenced only for the read.
 *
 * Return: 0, -EFAULT for a page at or past the end of the file or one
 * that cannot be read, -EOPNOTSUPP for a driver's memory (keyed on its
 * open file: it has no page cache) or a file system with no way to read a
 * page.
 */
int af_key_read_shared(const struct af_key *key, u32 *val)
{
	struct inode *inode = file_inode(key->file);
	struct address_space *mapping = inode->i_mapping;
	pgoff_t index = key->word >> PAGE_SHIFT;
	struct page *page;
	void *kaddr;

	if (key->object != inode)
		return -EOPNOTSUPP;
	if (af_key_past_eof(inode, index))
		return -EFAULT;
	if (inode->i_sb->s_magic == TMPFS_MAGIC)
		page = shmem_read_mapping_page_gfp(mapping, index,
						   mapping_gfp_mask(mapping));
	else if (mapping->a_ops->read_folio)
		/* a file system may need the open file (FUSE: tests/fuse) */
		page = read_mapping_page(mapping, index, key->file);
	else
		return -EOPNOTSUPP;
	if (IS_ERR(page))
		return -EFAULT;
	kaddr = kmap_local_page(page);
	*val = READ_ONCE(*(u32 *)(kaddr + offset_in_page(key->word)));
	kunmap_local(kaddr);
	put_page(page);
	return 0;
}
