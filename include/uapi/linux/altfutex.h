/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * altfutex: an alternate futex, keyed by (mm, address) for private memory
 * and by (inode, byte offset) for shared memory, that pins no page while a
 * thread waits.  This is the ioctl ABI of /dev/altfutex.
 *
 * ABI rules:
 *  - one ioctl per operation, magic ALTFUTEX_IOC_MAGIC (0xF8), numbers from
 *    0x20 upwards;
 *  - every argument struct has fixed-size fields and no implicit padding, so
 *    the same layout serves 32-bit and 64-bit processes (compat_ioctl);
 *    pointers travel as __u64;
 *  - every reserved field and every unknown flag bit must be zero, or the
 *    call fails with -EINVAL;
 *  - a number the device does not define, including a defined number with
 *    another size or direction, fails with -ENOTTY.
 *
 * Most programs use libaltfutex (<altfutex.h>) rather than these ioctls.
 */
#ifndef _UAPI_LINUX_ALTFUTEX_H
#define _UAPI_LINUX_ALTFUTEX_H

#include <linux/ioctl.h>
#include <linux/types.h>

/* Flags shared by the library API and the ioctls. */
#define ALTFUTEX_PRIVATE		(1u << 0) /* word used by this process only */
#define ALTFUTEX_CLOCK_REALTIME		(1u << 1) /* absolute timeout on REALTIME */
#define ALTFUTEX_ABSTIME		(1u << 2) /* timeout is an absolute time */
#define ALTFUTEX_FLAGS_MASK		(ALTFUTEX_PRIVATE | \
					 ALTFUTEX_CLOCK_REALTIME | \
					 ALTFUTEX_ABSTIME)

/*
 * The size of a futex word, for the extended calls (WAIT2, WAKE2, WAITV,
 * WAKEV, WAKE_WAIT): a 2-bit field of their flags.  A word is 1, 2, 4 or
 * 8 bytes, aligned to its size; the size only says how many bytes a wait's
 * value check reads.  The calls of the first API (WAIT, WAKE, REQUEUE,
 * CMP_REQUEUE, FD) take 32-bit words only: these bits are unknown flags
 * to them.
 */
#define ALTFUTEX_SIZE_U32		(0u << 3)
#define ALTFUTEX_SIZE_U8		(1u << 3)
#define ALTFUTEX_SIZE_U16		(2u << 3)
#define ALTFUTEX_SIZE_U64		(3u << 3)
#define ALTFUTEX_SIZE_MASK		(3u << 3)

/* The flags of a word of the extended calls. */
#define ALTFUTEX_FLAGS2_MASK		(ALTFUTEX_FLAGS_MASK | ALTFUTEX_SIZE_MASK)

/*
 * A bitset that shares a bit with every other: what the calls of the first
 * API (and fd waiters) wait and wake with.  A mask of 0 is -EINVAL.
 */
#define ALTFUTEX_BITSET_MATCH_ANY	0xffffffffu

/* The most words of one WAITV or WAKEV. */
#define ALTFUTEX_VEC_MAX		128

/*
 * ioctl-only flag: struct altfutex_wait_args.timeout holds a timeout.
 * Without it the timeout fields are reserved and must be zero.
 */
#define ALTFUTEX_TIMEOUT		(1u << 31)

#define ALTFUTEX_IOC_MAGIC		0xF8

/* A 64-bit timespec, the same on every ABI. */
struct altfutex_timespec {
	__s64	tv_sec;
	__s64	tv_nsec;
};

/* ALTFUTEX_IOC_WAIT: sleep while *uaddr == val. */
struct altfutex_wait_args {
	__u64	uaddr;		/* address of the 32-bit word, 4-byte aligned */
	__u32	val;		/* expected value */
	__u32	flags;		/* ALTFUTEX_* and ALTFUTEX_TIMEOUT */
	struct altfutex_timespec timeout;
};

/* ALTFUTEX_IOC_WAKE: wake up to nr_wake waiters, oldest first. */
struct altfutex_wake_args {
	__u64	uaddr;
	__s32	nr_wake;
	__u32	flags;		/* ALTFUTEX_PRIVATE only */
};

/*
 * ALTFUTEX_IOC_REQUEUE and ALTFUTEX_IOC_CMP_REQUEUE: wake up to nr_wake
 * waiters of uaddr, move up to nr_requeue more to uaddr2.  val is compared
 * with *uaddr by CMP_REQUEUE and must be zero for REQUEUE.
 */
struct altfutex_requeue_args {
	__u64	uaddr;
	__u64	uaddr2;
	__s32	nr_wake;
	__s32	nr_requeue;
	__u32	val;
	__u32	flags;		/* ALTFUTEX_PRIVATE only */
};

/* ALTFUTEX_IOC_FD: create a one-shot waiter fd; the ioctl returns the fd. */
struct altfutex_fd_args {
	__u64	uaddr;
	__u32	val;
	__u32	flags;		/* ALTFUTEX_PRIVATE only */
};

/* ALTFUTEX_IOC_FD_REARM: queue a woken altfutex fd again. */
struct altfutex_rearm_args {
	__s32	fd;
	__u32	val;
};

/*
 * ALTFUTEX_IOC_WAIT2: sleep while the word at uaddr, of the size flags
 * give, holds val; woken only by wakes whose mask shares a bit with mask.
 * val must fit the size.  Timeouts as WAIT's.
 */
struct altfutex_wait2_args {
	__u64	uaddr;
	__u64	val;
	__u32	mask;		/* not 0 */
	__u32	flags;		/* ALTFUTEX_FLAGS2_MASK and ALTFUTEX_TIMEOUT */
	struct altfutex_timespec timeout;
};

/*
 * ALTFUTEX_IOC_WAKE2: wake up to nr_wake waiters of uaddr whose mask
 * shares a bit with mask, oldest first.
 */
struct altfutex_wake2_args {
	__u64	uaddr;
	__u32	mask;		/* not 0 */
	__s32	nr_wake;
	__u32	flags;		/* ALTFUTEX_PRIVATE and ALTFUTEX_SIZE_* */
	__u32	reserved;	/* 0 */
};

/*
 * One word of a vector (WAITV, WAKEV): the layout of libaltfutex's struct
 * altfutex_waiter on 64-bit.  val is a WAITV word's expected value (WAKEV
 * ignores it), nr_wake a WAKEV word's count (WAITV ignores it).
 */
struct altfutex_vec {
	__u64	uaddr;
	__u64	val;
	__u32	flags;		/* ALTFUTEX_PRIVATE and ALTFUTEX_SIZE_* */
	__s32	nr_wake;
};

/*
 * ALTFUTEX_IOC_WAITV: sleep on nr (1..ALTFUTEX_VEC_MAX) words at once,
 * until one wake dequeues the whole vector; the ioctl returns the index of
 * the word that wake was for.  Timeouts as WAIT's, except that a signal
 * that no handler takes ends a wait with a *relative* timeout with -EINTR
 * instead of restarting it (an absolute one, as libaltfutex passes, is
 * restarted).
 */
struct altfutex_waitv_args {
	__u64	words;		/* struct altfutex_vec[nr] */
	__u32	nr;
	__u32	flags;		/* timeout flags and ALTFUTEX_TIMEOUT only */
	struct altfutex_timespec timeout;
};

/*
 * ALTFUTEX_IOC_WAKEV: each word's wake in turn (nr 1..ALTFUTEX_VEC_MAX);
 * returns the total woken, or the first word's error (every word is still
 * woken).
 */
struct altfutex_wakev_args {
	__u64	words;		/* struct altfutex_vec[nr] */
	__u32	nr;
	__u32	flags;		/* 0 */
};

/*
 * ALTFUTEX_IOC_WAKE_WAIT: wake up to nr_wake waiters of wake_uaddr, then
 * wait on wait_uaddr as WAIT2 with ALTFUTEX_BITSET_MATCH_ANY.  flags
 * gives both words their privacy and their size.
 */
struct altfutex_wake_wait_args {
	__u64	wake_uaddr;
	__u64	wait_uaddr;
	__u64	val;
	__s32	nr_wake;
	__u32	flags;		/* ALTFUTEX_FLAGS2_MASK and ALTFUTEX_TIMEOUT */
	struct altfutex_timespec timeout;
};

/*
 * ALTFUTEX_IOC_WAKE_OP: futex(2)'s FUTEX_WAKE_OP, op encoded by FUTEX_OP()
 * of <linux/futex.h>: apply the operation to the 32-bit word at uaddr2,
 * wake up to nr_wake waiters of uaddr, and up to nr_wake2 of uaddr2 if
 * the comparison holds for the old value.  An operation or comparison
 * futex(2) does not define is -EINVAL (futex(2) says ENOSYS), and
 * nothing is written.
 */
struct altfutex_wake_op_args {
	__u64	uaddr;
	__u64	uaddr2;
	__s32	nr_wake;
	__s32	nr_wake2;
	__u32	op;
	__u32	flags;		/* ALTFUTEX_PRIVATE only */
};

#define ALTFUTEX_IOC_WAIT \
	_IOW(ALTFUTEX_IOC_MAGIC, 0x20, struct altfutex_wait_args)
#define ALTFUTEX_IOC_WAKE \
	_IOW(ALTFUTEX_IOC_MAGIC, 0x21, struct altfutex_wake_args)
#define ALTFUTEX_IOC_REQUEUE \
	_IOW(ALTFUTEX_IOC_MAGIC, 0x22, struct altfutex_requeue_args)
#define ALTFUTEX_IOC_CMP_REQUEUE \
	_IOW(ALTFUTEX_IOC_MAGIC, 0x23, struct altfutex_requeue_args)
#define ALTFUTEX_IOC_FD \
	_IOW(ALTFUTEX_IOC_MAGIC, 0x24, struct altfutex_fd_args)
#define ALTFUTEX_IOC_FD_REARM \
	_IOW(ALTFUTEX_IOC_MAGIC, 0x25, struct altfutex_rearm_args)
#define ALTFUTEX_IOC_WAIT2 \
	_IOW(ALTFUTEX_IOC_MAGIC, 0x26, struct altfutex_wait2_args)
#define ALTFUTEX_IOC_WAKE2 \
	_IOW(ALTFUTEX_IOC_MAGIC, 0x27, struct altfutex_wake2_args)
#define ALTFUTEX_IOC_WAITV \
	_IOW(ALTFUTEX_IOC_MAGIC, 0x28, struct altfutex_waitv_args)
#define ALTFUTEX_IOC_WAKEV \
	_IOW(ALTFUTEX_IOC_MAGIC, 0x29, struct altfutex_wakev_args)
#define ALTFUTEX_IOC_WAKE_WAIT \
	_IOW(ALTFUTEX_IOC_MAGIC, 0x2a, struct altfutex_wake_wait_args)
#define ALTFUTEX_IOC_WAKE_OP \
	_IOW(ALTFUTEX_IOC_MAGIC, 0x2b, struct altfutex_wake_op_args)

/*
 * The waiter-count page: mmap(NULL, ALTFUTEX_COUNT_PAGE_SIZE, PROT_READ,
 * MAP_SHARED, devfd, 0) maps, read-only, ALTFUTEX_COUNT_SLOTS __u32
 * counts of the *calling process's* waiters on private keys, whatever
 * flag they waited with (threads, fd waiters, waiters requeued there):
 * count altfutex_count_slot(a) covers every word a' of the process with
 * the same slot.  A count is never below the number of such waiters
 * queued: it is raised, with a full barrier after, before a waiter reads
 * its word, and lowered only once the waiter has left its queue.  So a
 * WAKE or REQUEUE with ALTFUTEX_PRIVATE that stores the word, then issues
 * a full fence, then reads a count of 0, may return 0 without the ioctl:
 * no waiter could have been woken (libaltfutex does this).
 *
 * The mapping must be exactly one MAP_SHARED page at offset 0 without
 * PROT_WRITE or PROT_EXEC; it cannot be made writable or grown.  Each
 * process sees only its own counts there: fork() copies the mapping
 * empty, and the child's first read of it maps the child's own counts.
 */
#define ALTFUTEX_COUNT_PAGE_SIZE	4096u
#define ALTFUTEX_COUNT_SLOTS		(ALTFUTEX_COUNT_PAGE_SIZE / 4)

/*
 * The count of the word at @uaddr: its word index in the page, with the
 * page number folded in so that the same offset in different pages
 * seldom shares a slot.  A shared slot only costs an ioctl that finds
 * nobody.  Neighbouring words share a cache line of counts, which only
 * waiters write, on their way to sleep: the reader, a waker, pays four
 * instructions for the slot.
 */
static __inline__ __u32 altfutex_count_slot(__u64 uaddr)
{
	return (__u32)((uaddr >> 2) ^ (uaddr >> 12)) &
	       (ALTFUTEX_COUNT_SLOTS - 1);
}

#endif /* _UAPI_LINUX_ALTFUTEX_H */
