/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * libaltfutex: a futex-like API over /dev/altfutex.
 *
 * Every call returns a value >= 0 on success or a negative errno; none of
 * them sets errno.  The device is opened lazily, once per process, with
 * O_CLOEXEC; a child after fork() keeps using the inherited descriptor.
 *
 * altfutex_wake() and altfutex_requeue() with flags == ALTFUTEX_PRIVATE
 * return 0 without a system call when the process's waiter-count page
 * (mapped on first use; see <linux/altfutex.h>) shows no waiter that the
 * word's slot could hold.  Set ALTFUTEX_NO_FASTPATH in the environment
 * to always make the ioctl.
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

#ifdef __cplusplus
}
#endif

#endif /* ALTFUTEX_H */
