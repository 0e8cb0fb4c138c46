/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * libaltfutex: a futex-like API over /dev/altfutex.
 *
 * Every call returns a value >= 0 on success or a negative errno; none of
 * them sets errno.  The device is opened lazily, once per process, with
 * O_CLOEXEC; a child after fork() keeps using the inherited descriptor.
 *
 * altfutex_wake() and altfutex_requeue() with flags == ALTFUTEX_PRIVATE
 * (altfutex_wake2() with ALTFUTEX_PRIVATE and a size) return 0 without a
 * system call when the process's waiter-count page (mapped on first use;
 * see <linux/altfutex.h>) shows no waiter that the word's slot could
 * hold; altfutex_wakev() leaves out each such word, and makes no call if
 * none is left.  Set ALTFUTEX_NO_FASTPATH in the environment to always
 * make the ioctl.
 */
#ifndef ALTFUTEX_H
#define ALTFUTEX_H

#include <stdint.h>
#include <time.h>
#include <linux/altfutex.h>	/* ALTFUTEX_PRIVATE, _CLOCK_REALTIME, _ABSTIME */

#ifdef __cplusplus
extern "C" {
#endif

/* The process's device fd, opening it if needed; or -ENOENT, -EACCES, ... */
int altfutex_open(void);

int altfutex_wait(uint32_t *uaddr, uint32_t val,
		  const struct timespec *timeout, unsigned int flags);
int altfutex_wake(uint32_t *uaddr, int nr_wake, unsigned int flags);
int altfutex_requeue(uint32_t *uaddr, uint32_t *uaddr2,
		     int nr_wake, int nr_requeue, unsigned int flags);
int altfutex_cmp_requeue(uint32_t *uaddr, uint32_t *uaddr2,
			 int nr_wake, int nr_requeue, uint32_t val,
			 unsigned int flags);
int altfutex_fd(uint32_t *uaddr, uint32_t val, unsigned int flags);
int altfutex_fd_rearm(int fd, uint32_t val);

/*
 * The extended API (libaltfutex 1.1): words of 1, 2, 4 or 8 bytes
 * (ALTFUTEX_SIZE_* in flags, aligned to their size; the default is 32
 * bits), bitsets, vectors and fused operations.  A word's key is its
 * address whatever its size: a wake wakes every waiter on that address.
 * ALTFUTEX_SIZE_*, ALTFUTEX_BITSET_MATCH_ANY and ALTFUTEX_VEC_MAX come
 * from <linux/altfutex.h>.  The calls of the first API above take no size
 * bit (-EINVAL) and wait and wake with ALTFUTEX_BITSET_MATCH_ANY.
 */

/*
 * Wait while the word holds val (which must fit its size), for a wake
 * whose mask shares a bit with mask (not 0).  Results as altfutex_wait().
 */
int altfutex_wait2(void *uaddr, uint64_t val, uint32_t mask,
		   const struct timespec *timeout, unsigned int flags);
/*
 * Wake up to nr_wake waiters whose mask shares a bit with mask, oldest
 * first: how many.  flags: ALTFUTEX_PRIVATE and the size only.
 */
int altfutex_wake2(void *uaddr, uint32_t mask, int nr_wake,
		   unsigned int flags);

/* One word of a vector. */
struct altfutex_waiter {
	void *uaddr;
	uint64_t val;		/* waitv: expected value; wakev: ignored */
	uint32_t flags;		/* ALTFUTEX_PRIVATE | ALTFUTEX_SIZE_* */
	int32_t nr_wake;	/* wakev: how many to wake; waitv: ignored */
};

/*
 * Sleep on n (1..128) words at once: -EAGAIN, with nothing queued, if
 * one differs from its val; else the index of the word whose wake
 * dequeued the whole vector (one wake takes it, and counts it once).
 * flags: ALTFUTEX_ABSTIME, ALTFUTEX_CLOCK_REALTIME, as altfutex_wait().
 */
int altfutex_waitv(const struct altfutex_waiter *v, unsigned int n,
		   const struct timespec *timeout, unsigned int flags);
/*
 * Each word's wake in turn (n 1..128): the total woken, or the first
 * word's error, every word's wake being still done.
 */
int altfutex_wakev(const struct altfutex_waiter *v, unsigned int n);
/*
 * Wake up to nr_wake waiters of wake_uaddr, then wait on wait_uaddr as
 * altfutex_wait2() with ALTFUTEX_BITSET_MATCH_ANY.  flags: privacy and
 * size of both words, and the timeout flags.
 */
int altfutex_wake_wait(void *wake_uaddr, int nr_wake, void *wait_uaddr,
		       uint64_t val, const struct timespec *timeout,
		       unsigned int flags);
/*
 * futex(2)'s FUTEX_WAKE_OP: op as FUTEX_OP() of <linux/futex.h> encodes it
 * (one futex(2) does not define is -EINVAL, and nothing is written).
 * Returns the total woken.  flags: ALTFUTEX_PRIVATE only.
 */
int altfutex_wake_op(uint32_t *uaddr, uint32_t *uaddr2, int nr_wake,
		     int nr_wake2, uint32_t op, unsigned int flags);

#ifdef __cplusplus
}
#endif

#endif /* ALTFUTEX_H */
