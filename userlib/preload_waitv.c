// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * futex_waitv(2) on the module, for libaltfutex-preload (preload.c): the
 * system call's arguments checked as the kernel checks them, then one
 * altfutex_waitv().  The module queues the vector as a whole and one wake
 * dequeues it and counts it once, as the kernel's call, and a stop (a
 * signal without a handler) restarts it, as the kernel's.  One difference
 * is the module's, for every wait: a signal handler ends it with EINTR
 * even with SA_RESTART, where the kernel restarts futex_waitv.
 *
 * The checks are the kernel's (Linux 5.16 on), in its order: flags not 0
 * (EINVAL); no array, or nr outside 1..FUTEX_WAITV_MAX (EINVAL); with a
 * timeout, a clock other than CLOCK_MONOTONIC and CLOCK_REALTIME
 * (EINVAL), an unreadable timeout (EFAULT), a negative tv_sec or tv_nsec
 * outside [0, 1e9) (EINVAL); then each waiter in turn: unreadable
 * (EFAULT), flags other than FUTEX_32 with FUTEX_PRIVATE_FLAG or not, or
 * __reserved not 0 (EINVAL), a val beyond 32 bits (see below); then each
 * word's alignment (EINVAL); then, on the module, each word in turn:
 * unreadable (EFAULT), or not its val (EAGAIN, nothing queued).  The
 * kernel looks a shared word up in its mapping in the alignment pass, so
 * an unmapped shared word is EFAULT there even after a word that differs;
 * here the first of the two in index order gives its error.
 *
 * A val beyond 32 bits: Linux 5.16 to 6.6 compare its low 32 bits with
 * the word, 6.7 and later refuse it (EINVAL) as the waiter's other
 * faults.  This library does what the running kernel does: the first
 * such val makes it ask the kernel once (waitv_wide()).
 *
 * The vector is read WAITV_CHUNK waiters at a time (one process_vm_readv()
 * each) and turned into the library's struct altfutex_waiter[] on the
 * stack (3 KiB at most), which libaltfutex passes to the module.
 */
#include <errno.h>
#include <linux/futex.h>
#include <stdint.h>
#include <time.h>

#include "altfutex.h"
#include "preload.h"

#define WAITV_FLAGS	(FUTEX_32 | FUTEX_PRIVATE_FLAG)
#define WAITV_NSEC	1000000000LL

/* How many waiters one read takes. */
#define WAITV_CHUNK	16

/* What the running kernel does with a val beyond 32 bits. */
enum {
	WAITV_WIDE_UNKNOWN,
	WAITV_WIDE_TRUNCATED,	/* 5.16 to 6.6: its low 32 bits count */
	WAITV_WIDE_REFUSED,	/* 6.7 on: EINVAL */
};

static int waitv_wide_state;

/*
 * Ask the kernel: one futex_waitv on a word of our stack that holds 0,
 * with the val 1 << 32 and a deadline long past.  A kernel that truncates
 * queues it, and it times out at once; one that refuses it says EINVAL.
 * A kernel without futex_waitv (or a seccomp filter) answers neither:
 * the val is then refused, as by the current kernels.  Racing first
 * callers both ask, and get the same answer.
 */
static int waitv_wide(void)
{
	int state = __atomic_load_n(&waitv_wide_state, __ATOMIC_RELAXED);
	struct preload_ts64 past = { 0, 0 };
	struct futex_waitv w = { 0 };
	uint32_t word = 0;

	if (state != WAITV_WIDE_UNKNOWN)
		return state;
	w.val = 1ULL << 32;
	w.uaddr = (uintptr_t)&word;
	w.flags = FUTEX_32 | FUTEX_PRIVATE_FLAG;
	state = preload_kernel_waitv(&w, 1, &past, CLOCK_MONOTONIC) ==
		-ETIMEDOUT ? WAITV_WIDE_TRUNCATED : WAITV_WIDE_REFUSED;
	__atomic_store_n(&waitv_wide_state, state, __ATOMIC_RELAXED);
	return state;
}

/* The waiter @k, checked and turned into libaltfutex's @a. */
static int waitv_entry(struct altfutex_waiter *a,
		       const struct futex_waitv *k)
{
	if ((k->flags & ~WAITV_FLAGS) || k->__reserved ||
	    !(k->flags & FUTEX_32))
		return -EINVAL;
	if ((k->val >> 32) && waitv_wide() == WAITV_WIDE_REFUSED)
		return -EINVAL;
	a->uaddr = (void *)(uintptr_t)k->uaddr;
	a->val = (uint32_t)k->val;
	a->flags = k->flags & FUTEX_PRIVATE_FLAG ? ALTFUTEX_PRIVATE : 0;
	a->nr_wake = 0;
	return 0;
}

/* Read, check and turn the @nr waiters at @uw: 0 or the first error. */
static int waitv_read(struct altfutex_waiter *v, const struct futex_waitv *uw,
		      unsigned int nr)
{
	struct futex_waitv k[WAITV_CHUNK], *kp;
	unsigned int i, n;
	int whole = 0, r;

	for (i = 0; i < nr; i++) {
		kp = &k[i % WAITV_CHUNK];
		if (kp == k) {
			n = nr - i < WAITV_CHUNK ? nr - i : WAITV_CHUNK;
			whole = !preload_read(k, &uw[i], n * sizeof(*k));
		}
		if (!whole && preload_read(kp, &uw[i], sizeof(*kp)))
			return -EFAULT;
		r = waitv_entry(&v[i], kp);
		if (r)
			return r;
	}
	for (i = 0; i < nr; i++)
		if ((uintptr_t)v[i].uaddr & 3)
			return -EINVAL;
	return 0;
}

long preload_futex_waitv(const void *waiters, unsigned int nr,
			 unsigned int flags, const void *timeout, int clockid)
{
	struct altfutex_waiter v[FUTEX_WAITV_MAX];
	struct timespec deadline;
	struct preload_ts64 t;
	unsigned int aflags = 0;
	long r;

	if (flags)
		return -EINVAL;
	if (!nr || nr > FUTEX_WAITV_MAX || !waiters)
		return -EINVAL;
	if (timeout) {
		if (clockid != CLOCK_REALTIME && clockid != CLOCK_MONOTONIC)
			return -EINVAL;
		if (preload_read(&t, timeout, sizeof(t)))
			return -EFAULT;
		if (t.tv_sec < 0 || (uint64_t)t.tv_nsec >= WAITV_NSEC)
			return -EINVAL;
		deadline.tv_sec = t.tv_sec;
		deadline.tv_nsec = t.tv_nsec;
		aflags = ALTFUTEX_ABSTIME;
		if (clockid == CLOCK_REALTIME)
			aflags |= ALTFUTEX_CLOCK_REALTIME;
	}
	r = waitv_read(v, waiters, nr);
	if (r)
		return r;
	return altfutex_waitv(v, nr, timeout ? &deadline : NULL,
			      aflags);
}
