// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * libaltfutex: thin wrappers around the /dev/altfutex ioctls.
 *
 * The only state is the process's device descriptor.  It is opened on first
 * use and published with a compare-and-swap, so concurrent first calls (even
 * from signal handlers) open it at most once for good; a loser closes its
 * own descriptor.  The descriptor survives fork(), so a child keeps working.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "altfutex.h"

#define ALTFUTEX_DEVICE "/dev/altfutex"
#define NSEC_PER_SEC 1000000000L

static int altfutex_devfd = -1;

int altfutex_open(void)
{
	int fd = __atomic_load_n(&altfutex_devfd, __ATOMIC_ACQUIRE);
	int expected = -1;

	if (fd >= 0)
		return fd;
	fd = open(ALTFUTEX_DEVICE, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (!__atomic_compare_exchange_n(&altfutex_devfd, &expected, fd, 0,
					 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		close(fd);
		return expected;
	}
	return fd;
}

/* ioctl() on the device; errno is preserved for the caller. */
static int altfutex_ioctl(unsigned long req, void *arg)
{
	int saved = errno;
	int fd = altfutex_open();
	int ret;

	if (fd < 0)
		return fd;
	ret = ioctl(fd, req, arg);
	if (ret < 0)
		ret = -errno;
	errno = saved;
	return ret;
}

/*
 * A relative timeout is turned into an absolute CLOCK_MONOTONIC deadline
 * here, before the ioctl: when a stop signal or a handler-less signal makes
 * the kernel restart the call, the restarted wait then ends at the same
 * moment instead of starting the whole interval again.
 */
int altfutex_wait(uint32_t *uaddr, uint32_t val,
		  const struct timespec *timeout, unsigned int flags)
{
	struct altfutex_wait_args args = {
		.uaddr = (uintptr_t)uaddr,
		.val = val,
		.flags = flags,
	};
	struct timespec now;

	if (flags & ~ALTFUTEX_FLAGS_MASK)
		return -EINVAL;
	if (timeout) {
		if (timeout->tv_sec < 0 || timeout->tv_nsec < 0 ||
		    timeout->tv_nsec >= NSEC_PER_SEC)
			return -EINVAL;
		args.flags |= ALTFUTEX_TIMEOUT;
		args.timeout.tv_sec = timeout->tv_sec;
		args.timeout.tv_nsec = timeout->tv_nsec;
		if (!(flags & ALTFUTEX_ABSTIME)) {
			int64_t carry = 0;

			/* cannot fail for CLOCK_MONOTONIC */
			clock_gettime(CLOCK_MONOTONIC, &now);
			args.flags &= ~ALTFUTEX_CLOCK_REALTIME;
			args.flags |= ALTFUTEX_ABSTIME;
			args.timeout.tv_nsec += now.tv_nsec;
			if (args.timeout.tv_nsec >= NSEC_PER_SEC) {
				args.timeout.tv_nsec -= NSEC_PER_SEC;
				carry = 1;
			}
			/* a deadline past the end of time is no deadline */
			if (args.timeout.tv_sec > INT64_MAX - now.tv_sec - carry)
				args.timeout.tv_sec = INT64_MAX;
			else
				args.timeout.tv_sec += now.tv_sec + carry;
		}
	}
	return altfutex_ioctl(ALTFUTEX_IOC_WAIT, &args);
}

int altfutex_wake(uint32_t *uaddr, int nr_wake, unsigned int flags)
{
	struct altfutex_wake_args args = {
		.uaddr = (uintptr_t)uaddr,
		.nr_wake = nr_wake,
		.flags = flags,
	};

	return altfutex_ioctl(ALTFUTEX_IOC_WAKE, &args);
}

static int altfutex_do_requeue(unsigned long req, uint32_t *uaddr,
			       uint32_t *uaddr2, int nr_wake, int nr_requeue,
			       uint32_t val, unsigned int flags)
{
	struct altfutex_requeue_args args = {
		.uaddr = (uintptr_t)uaddr,
		.uaddr2 = (uintptr_t)uaddr2,
		.nr_wake = nr_wake,
		.nr_requeue = nr_requeue,
		.val = val,
		.flags = flags,
	};

	return altfutex_ioctl(req, &args);
}

int altfutex_requeue(uint32_t *uaddr, uint32_t *uaddr2,
		     int nr_wake, int nr_requeue, unsigned int flags)
{
	return altfutex_do_requeue(ALTFUTEX_IOC_REQUEUE, uaddr, uaddr2,
				   nr_wake, nr_requeue, 0, flags);
}

int altfutex_cmp_requeue(uint32_t *uaddr, uint32_t *uaddr2,
			 int nr_wake, int nr_requeue, uint32_t val,
			 unsigned int flags)
{
	return altfutex_do_requeue(ALTFUTEX_IOC_CMP_REQUEUE, uaddr, uaddr2,
				   nr_wake, nr_requeue, val, flags);
}

int altfutex_fd(uint32_t *uaddr, uint32_t val, unsigned int flags)
{
	struct altfutex_fd_args args = {
		.uaddr = (uintptr_t)uaddr,
		.val = val,
		.flags = flags,
	};

	return altfutex_ioctl(ALTFUTEX_IOC_FD, &args);
}

int altfutex_fd_rearm(int fd, uint32_t val)
{
	struct altfutex_rearm_args args = {
		.fd = fd,
		.val = val,
	};

	return altfutex_ioctl(ALTFUTEX_IOC_FD_REARM, &args);
}
