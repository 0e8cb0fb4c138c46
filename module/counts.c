// SPDX-License-Identifier: GPL-2.0
/*
 * The waiter-count page: wakes that cost no system call.
 *
 * Every process table (hash.c) has one zeroed page of ALTFUTEX_COUNT_SLOTS
 * counters.  A waiter on a private key adds one to the counter of its word
 * (altfutex_count_slot(), in the uapi header) before it reads the word,
 * and takes it away once it has left its queue (wait.c: (W0u)), a requeue
 * moving it to another key adds to the new counter before it subtracts
 * from the old (requeue.c).  A process maps its own page read-only through
 * /dev/altfutex (af_counts_mmap()), and libaltfutex answers a WAKE or a
 * REQUEUE with ALTFUTEX_PRIVATE by 0, without the ioctl, when the counter
 * of the word is 0: the ordering argument is "The waiter-count page" in
 * wait.c, beside the one it extends.
 *
 * The kernel never reads the counters to decide anything: its own wakes
 * still look at the buckets.  A counter cannot overflow: each waiter it
 * counts is a sleeping thread or an open file.
 *
 * The page
 * --------
 * It is allocated with its table, charged to the process's memory cgroup,
 * and freed with it; each mapping holds a reference of its own, taken by
 * vm_insert_page() and by af_counts_vm_open(), so a mapping outliving the
 * table (a process gone, an fd waiter keeping its table) reads a page
 * nobody counts in any more, never freed memory.  The mapping is:
 *
 *  - read-only for good: no VM_MAYWRITE, so mprotect(PROT_WRITE) and
 *    FOLL_FORCE writes (ptrace) fail; no VM_MAYEXEC;
 *  - VM_IO: get_user_pages() refuses it (no O_DIRECT, vmsplice,
 *    process_vm_readv() of it), MADV_DOFORK fails, and a futex word in it
 *    is -EFAULT (af_key_vma());
 *  - VM_DONTCOPY: fork() does not copy it, so no child ever reads its
 *    parent's counts (the child maps its own table's page);
 *  - VM_DONTEXPAND: mremap() cannot grow it; VM_DONTDUMP: not in cores.
 *
 * Only the calling process's table can be mapped: mmap() runs in the
 * process that maps, and af_client_table() finds the table of its mm.
 */
#include <linux/gfp.h>
#include <linux/mm.h>

#include "altfutex.h"

/* Give @pt its count page (a process's table; KUnit's have none). */
int af_counts_alloc(struct af_ptable *pt)
{
	pt->count_page = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
	if (!pt->count_page)
		return -ENOMEM;
	pt->counts = page_address(pt->count_page);
	return 0;
}

/* Drop @pt's reference on its page; mappings keep theirs. */
void af_counts_free(struct af_ptable *pt)
{
	if (pt->count_page)
		put_page(pt->count_page);
}

/* A copy of a mapping (mremap() may make one): its own reference. */
static void af_counts_vm_open(struct vm_area_struct *vma)
{
	get_page(vma->vm_private_data);
}

static void af_counts_vm_close(struct vm_area_struct *vma)
{
	put_page(vma->vm_private_data);
}

/*
 * The page again after its entry was zapped (MADV_DONTNEED): the mapping
 * is VM_MIXEDMAP since af_counts_mmap(), as vmf_insert_page() needs.
 */
static vm_fault_t af_counts_vm_fault(struct vm_fault *vmf)
{
	return vmf_insert_page(vmf->vma, vmf->address,
			       vmf->vma->vm_private_data);
}

static const struct vm_operations_struct af_counts_vm_ops = {
	.open	= af_counts_vm_open,
	.close	= af_counts_vm_close,
	.fault	= af_counts_vm_fault,
};

/**
 * af_counts_mmap() - map the calling process's waiter counts
 * @c: the device file mapped
 * @vma: the new mapping
 *
 * Return: 0; -EINVAL unless the mapping is one MAP_SHARED page at offset
 * 0; -EPERM if it is writable or executable; -ENOMEM.
 */
int af_counts_mmap(struct af_client *c, struct vm_area_struct *vma)
{
	struct af_ptable *pt;
	int ret;

	if (vma->vm_pgoff || vma->vm_end - vma->vm_start != PAGE_SIZE ||
	    !(vma->vm_flags & VM_MAYSHARE))
		return -EINVAL;
	if (vma->vm_flags & (VM_WRITE | VM_EXEC))
		return -EPERM;
	if (vma->vm_mm != current->mm)
		return -EINVAL;
	pt = af_client_table(c, true);
	if (!pt)
		return -ENOMEM;
	af_vm_flags_mod(vma, VM_IO | VM_DONTCOPY | VM_DONTEXPAND | VM_DONTDUMP,
			VM_MAYWRITE | VM_MAYEXEC);
	/* the table lives while its process does: we are that process */
	ret = vm_insert_page(vma, vma->vm_start, pt->count_page);
	if (ret)
		return ret;
	get_page(pt->count_page);
	vma->vm_private_data = pt->count_page;
	vma->vm_ops = &af_counts_vm_ops;
	return 0;
}
