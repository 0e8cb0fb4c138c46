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
 * and freed with it; each page table entry that maps it holds a reference
 * of its own (vmf_insert_page()), so a mapping outliving the table reads
 * a page nobody counts in any more, never freed memory.  The mapping is:
 *
 *  - read-only for good: no VM_MAYWRITE, so mprotect(PROT_WRITE) and
 *    FOLL_FORCE writes (ptrace) fail; no VM_MAYEXEC;
 *  - VM_IO: get_user_pages() refuses it (no O_DIRECT, vmsplice,
 *    process_vm_readv() of it), MADV_DOFORK fails, and a futex word in it
 *    is -EFAULT (af_key_vma());
 *  - VM_WIPEONFORK: fork() copies the mapping but not its page table
 *    entry, so a child's first read faults, and af_counts_fault(), in the
 *    child, maps the child's own page at the same address: no child ever
 *    reads its parent's counts, and a library that keeps the address
 *    needs to do nothing after fork();
 *  - VM_DONTEXPAND: mremap() cannot grow it; VM_DONTDUMP: not in cores.
 *
 * Only the faulting process's table is ever mapped: af_counts_fault()
 * runs in the process that reads (get_user_pages() from another process
 * is refused, VM_IO) and maps the table of its own mm.
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

/*
 * The first read of a mapping, after mmap(), after fork() in the child,
 * or after MADV_DONTNEED: map the reader's own page.  VM_MIXEDMAP was set
 * by af_counts_mmap(), as vmf_insert_page() needs.
 */
static vm_fault_t af_counts_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct af_ptable *pt;

	if (vma->vm_mm != current->mm)
		return VM_FAULT_SIGBUS;
	pt = af_client_table(vma->vm_file->private_data, true);
	if (!pt)
		return VM_FAULT_OOM;
	return vmf_insert_page(vma, vmf->address, pt->count_page);
}

static const struct vm_operations_struct af_counts_vm_ops = {
	.fault	= af_counts_fault,
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
	if (vma->vm_pgoff || vma->vm_end - vma->vm_start != PAGE_SIZE ||
	    !(vma->vm_flags & VM_MAYSHARE))
		return -EINVAL;
	if (vma->vm_flags & (VM_WRITE | VM_EXEC))
		return -EPERM;
	if (vma->vm_mm != current->mm)
		return -EINVAL;
	/* the table now, so that a lack of memory is this call's -ENOMEM */
	if (!af_client_table(c, true))
		return -ENOMEM;
	af_vm_flags_mod(vma, VM_IO | VM_MIXEDMAP | VM_WIPEONFORK |
			VM_DONTEXPAND | VM_DONTDUMP, VM_MAYWRITE | VM_MAYEXEC);
	vma->vm_ops = &af_counts_vm_ops;
	return 0;
}
