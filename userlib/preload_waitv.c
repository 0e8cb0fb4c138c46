// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * futex_waitv(2) on the module, for libaltfutex-preload (preload.c).
 *
 * The module has no vector wait yet (issue 17), so the call is made of
 * altfutex fds: one per word, made with the word's expected value (the
 * module checks it atomically with every wake: a word that differs gives
 * EAGAIN and no fd), then ppoll() on all of them until one is readable
 * (woken) or the absolute timeout passes on its clock.  It returns the
 * index of the first readable fd; every fd is closed before it returns,
 * which dequeues those that were not woken.  As with the kernel's call,
 * wakes of two words of the vector at the same moment may both count it.
 *
 * The checks are the kernel's (Linux 5.16 to 6.6), in its order: flags
 * not 0 (EINVAL); no array, or nr outside 1..FUTEX_WAITV_MAX (EINVAL);
 * with a timeout, a clock other than CLOCK_MONOTONIC and CLOCK_REALTIME
 * (EINVAL), an unreadable timeout (EFAULT), a negative tv_sec or tv_nsec
 * outside [0, 1e9) (EINVAL); then each waiter in turn: unreadable
 * (EFAULT), flags other than FUTEX_32 with FUTEX_PRIVATE_FLAG or not, or
 * __reserved not 0 (EINVAL); then each word: misaligned (EINVAL),
 * unreadable (EFAULT), or not its val (EAGAIN).  Where several waiters are
 * at fault the kernel gives the error of the first word it meets in its
 * own pass; here the first in index order, the fds made so far closed.
 *
 * Two differences, until the module has a vector wait:
 *  - a signal handler makes it return EINTR even with SA_RESTART (ppoll()
 *    is never restarted; the kernel's call is), and
 *  - the deadline is read on its clock each time ppoll() returns, and
 *    ppoll() sleeps toward it on CLOCK_MONOTONIC: a CLOCK_REALTIME clock
 *    set forwards ends the wait only when that sleep ends.
 * It needs up to FUTEX_WAITV_MAX descriptors at once (EMFILE otherwise).
 */
#include <errno.h>
#include <linux/futex.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

#include "altfutex.h"
#include "preload.h"

#define WAITV_FLAGS	(FUTEX_32 | FUTEX_PRIVATE_FLAG)
#define WAITV_NSEC	1000000000LL

static int waitv_check(const struct futex_waitv *w)
{
	if ((w->flags & ~WAITV_FLAGS) || w->__reserved ||
	    !(w->flags & FUTEX_32))
		return -EINVAL;
	return 0;
}

/* Copy and check the @nr waiters at @uw: 0, or the first one's error. */
static int waitv_copy(struct futex_waitv *w, const struct futex_waitv *uw,
		      unsigned int nr)
{
	int whole = !preload_read(w, uw, nr * sizeof(*w));
	unsigned int i;
	int r;

	for (i = 0; i < nr; i++) {
		if (!whole && preload_read(&w[i], &uw[i], sizeof(*w)))
			return -EFAULT;
		r = waitv_check(&w[i]);
		if (r)
			return r;
	}
	return 0;
}

/* The time left until @deadline on @clk, into @rel; 0 once it passed. */
static int waitv_left(struct timespec *rel, const struct timespec *deadline,
		      clockid_t clk)
{
	struct timespec now;

	clock_gettime(clk, &now);
	rel->tv_sec = deadline->tv_sec - now.tv_sec;
	rel->tv_nsec = deadline->tv_nsec - now.tv_nsec;
	if (rel->tv_nsec < 0) {
		rel->tv_nsec += WAITV_NSEC;
		rel->tv_sec--;
	}
	if (rel->tv_sec < 0 || (!rel->tv_sec && !rel->tv_nsec)) {
		rel->tv_sec = 0;
		rel->tv_nsec = 0;
		return 0;
	}
	return 1;
}

/* Sleep on the @n fds until one is woken: its index, or -errno. */
static long waitv_poll(struct pollfd *pfd, unsigned int n,
		       const struct timespec *deadline, clockid_t clk)
{
	struct timespec rel;
	unsigned int i;
	int more = 1;

	for (;;) {
		if (deadline)
			more = waitv_left(&rel, deadline, clk);
		if (ppoll(pfd, n, deadline ? &rel : NULL, NULL) < 0)
			return -errno;
		for (i = 0; i < n; i++) {
			if (pfd[i].revents & POLLIN)
				return i;
			if (pfd[i].revents)	/* closed under us */
				return -EBADF;
		}
		if (!more)
			return -ETIMEDOUT;
	}
}

long preload_futex_waitv(const void *waiters, unsigned int nr,
			 unsigned int flags, const void *timeout, int clockid)
{
	struct futex_waitv w[FUTEX_WAITV_MAX];
	struct pollfd pfd[FUTEX_WAITV_MAX];
	struct timespec deadline;
	struct preload_ts64 t;
	unsigned int n;
	long r = 0;

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
	}
	r = waitv_copy(w, waiters, nr);
	if (r)
		return r;

	for (n = 0; n < nr; n++) {
		unsigned int f = w[n].flags & FUTEX_PRIVATE_FLAG ?
				 ALTFUTEX_PRIVATE : 0;
		int fd = altfutex_fd((uint32_t *)(uintptr_t)w[n].uaddr,
				     (uint32_t)w[n].val, f);

		if (fd < 0) {
			r = fd;
			goto out;
		}
		pfd[n].fd = fd;
		pfd[n].events = POLLIN;
		pfd[n].revents = 0;
		/* a 64-bit val never equals a 32-bit word */
		if (w[n].val >> 32) {
			n++;
			r = -EAGAIN;
			goto out;
		}
	}
	r = waitv_poll(pfd, nr, timeout ? &deadline : NULL, clockid);
out:
	while (n--)
		close(pfd[n].fd);
	return r;
}
