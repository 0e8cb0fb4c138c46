// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * libaltfutex: thin wrappers around the /dev/altfutex ioctls.
 *
 * The state is the process's device descriptor and its waiter-count page.
 * The descriptor is opened on first use and published with a
 * compare-and-swap, so concurrent first calls (even from signal handlers)
 * open it at most once for good; a loser closes its own descriptor.  The
 * descriptor survives fork(), so a child keeps working.
 *
 * Wakes that cost no system call
 * ------------------------------
 * The device maps, read-only, a page of counts of the calling process's
 * waiters on private keys (<linux/altfutex.h>, "The waiter-count page").
 * altfutex_wake() and altfutex_requeue() with flags == ALTFUTEX_PRIVATE
 * store nothing themselves: the caller stored the word (K1) before the
 * call; they issue a full fence (MKu) and, if the count of the word is 0
 * (K0u), return 0 without the ioctl.  The module's wait.c argues why no
 * wake is lost ("The waiter-count page").  They do so only where the
 * kernel would return 0 too: an aligned address the kernel would not
 * call -EFAULT (at most ALTFUTEX_FAST_MAX), counts >= 0 for a requeue;
 * anything else goes to the ioctl, which gives the error.  A WAIT never
 * reads the word here: a bad address must stay -EFAULT, not SIGSEGV.
 *
 * The page is not inherited by fork() (the kernel does not copy the
 * mapping), so its address is kept in a page of our own marked
 * MADV_WIPEONFORK: in a child made by fork(), _Fork(), or clone() without
 * CLONE_VM it reads as zero, and the child maps its own page on its first
 * wake.  Where anything fails (an old module, a sandbox, no memory, no
 * MADV_WIPEONFORK) the ioctl is used, as it is when the environment
 * variable ALTFUTEX_NO_FASTPATH is set (to measure the ioctl path).
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
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
 * The highest word the kernel takes (TASK_SIZE_MAX on x86-64 with 4-level
 * page tables, less the word): above it, or on a 5-level machine above
 * that, the ioctl decides.
 */
#define ALTFUTEX_FAST_MAX	((1ULL << 47) - 4096 - 4)

/*
 * Counts that say "maybe a waiter" for every word: what the fast path
 * reads before the page is mapped, or where it cannot be, so that it
 * never tests whether it is (each test is a branch on the fast path).
 */
static const uint32_t altfutex_busy[ALTFUTEX_COUNT_SLOTS] = {
	[0 ... ALTFUTEX_COUNT_SLOTS - 1] = 1,
};

/*
 * In a MADV_WIPEONFORK page, all zero in a new process: the count page is
 * at altfutex_busy + delta, so a zero delta means "not mapped (yet)".
 */
struct altfutex_fast {
	uintptr_t delta;
	int unavailable;		/* mapping failed: use the ioctl */
};

/*
 * The page that holds struct altfutex_fast; before it is set up,
 * altfutex_fast_unset, and where it cannot be, altfutex_fast_off.
 */
static struct altfutex_fast altfutex_fast_unset;
static struct altfutex_fast altfutex_fast_off = { .unavailable = 1 };
static struct altfutex_fast *altfutex_fast = &altfutex_fast_unset;

/* Make the page that holds struct altfutex_fast, once per process image. */
static struct altfutex_fast *altfutex_fast_setup(void)
{
	struct altfutex_fast *f, *expected = &altfutex_fast_unset;
	long pg = sysconf(_SC_PAGESIZE);

	f = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		 -1, 0);
	if (f == MAP_FAILED) {
		f = &altfutex_fast_off;
	} else if (madvise(f, pg, MADV_WIPEONFORK) ||
		   getenv("ALTFUTEX_NO_FASTPATH")) {
		/* without WIPEONFORK a child would read a page it lacks */
		munmap(f, pg);
		f = &altfutex_fast_off;
	}
	if (!__atomic_compare_exchange_n(&altfutex_fast, &expected, f, 0,
					 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		if (f != &altfutex_fast_off)
			munmap(f, pg);
		f = expected;
	}
	return f;
}

/*
 * Map the count page if it is not yet, in this process (a new process's
 * altfutex_fast page reads as zero): called on the ioctl path, so the
 * first private wake or requeue of a process maps it for the next ones.
 */
static void altfutex_fast_prepare(void)
{
	struct altfutex_fast *f = __atomic_load_n(&altfutex_fast,
						  __ATOMIC_ACQUIRE);
	uintptr_t expected = 0;
	void *counts;
	int saved, fd;

	if (__atomic_load_n(&f->delta, __ATOMIC_RELAXED) ||
	    __atomic_load_n(&f->unavailable, __ATOMIC_RELAXED))
		return;
	saved = errno;
	if (f == &altfutex_fast_unset)
		f = altfutex_fast_setup();
	fd = f->unavailable ? -1 : altfutex_open();
	counts = fd < 0 ? MAP_FAILED :
		 mmap(NULL, ALTFUTEX_COUNT_PAGE_SIZE, PROT_READ, MAP_SHARED,
		      fd, 0);
	if (counts == MAP_FAILED) {
		if (f != &altfutex_fast_off)
			__atomic_store_n(&f->unavailable, 1, __ATOMIC_RELAXED);
	} else if (!__atomic_compare_exchange_n(&f->delta, &expected,
				(uintptr_t)counts - (uintptr_t)altfutex_busy,
				0, __ATOMIC_RELEASE, __ATOMIC_RELAXED)) {
		munmap(counts, ALTFUTEX_COUNT_PAGE_SIZE);
	}
	errno = saved;
}

/*
 * Why the fast path may not answer for the word at @a with @flags: not 0
 * unless the flags are ALTFUTEX_PRIVATE and the word is aligned and one
 * the kernel would not call -EFAULT (every aligned 32-bit address is).
 * No branch: the caller tests it with the count, once.
 */
static inline uintptr_t altfutex_fast_bad(uintptr_t a, unsigned int flags)
{
#if UINTPTR_MAX > 0xffffffffu
	/*
	 * a > ALTFUTEX_FAST_MAX, that is a + (2^47 - ALTFUTEX_FAST_MAX - 1)
	 * reaches bit 47, or a itself does (then the sum may wrap).
	 */
	uintptr_t high = (a + ((1ULL << 47) - ALTFUTEX_FAST_MAX - 1)) | a;

	return (flags ^ ALTFUTEX_PRIVATE) | (a & 3) | (high >> 47);
#else
	return (flags ^ ALTFUTEX_PRIVATE) | (a & 3);
#endif
}

/*
 * The count of the private word at @a: 0 if no waiter can be queued on
 * it.  (MKu) and (K0u) of the module's ordering argument; the caller's
 * store to the word is its (K1).  Before the page is mapped, or where it
 * cannot be, altfutex_busy answers "maybe".  Any address gives a slot in
 * the page, so the count is read before the caller tests whether the
 * fast path may answer at all.
 */
static inline __attribute__((always_inline)) uint32_t altfutex_count(uintptr_t a)
{
	struct altfutex_fast *f = __atomic_load_n(&altfutex_fast,
						  __ATOMIC_ACQUIRE);
	const uint32_t *counts = (const uint32_t *)((uintptr_t)altfutex_busy +
		__atomic_load_n(&f->delta, __ATOMIC_ACQUIRE));

	__atomic_thread_fence(__ATOMIC_SEQ_CST);			/* (MKu) */
	return __atomic_load_n(&counts[altfutex_count_slot(a)],
			       __ATOMIC_RELAXED);			/* (K0u) */
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

static __attribute__((noinline))
int altfutex_wake_ioctl(uint32_t *uaddr, int nr_wake, unsigned int flags)
{
	struct altfutex_wake_args args = {
		.uaddr = (uintptr_t)uaddr,
		.nr_wake = nr_wake,
		.flags = flags,
	};

	if (flags == ALTFUTEX_PRIVATE)
		altfutex_fast_prepare();
	return altfutex_ioctl(ALTFUTEX_IOC_WAKE, &args);
}

int altfutex_wake(uint32_t *uaddr, int nr_wake, unsigned int flags)
{
	uintptr_t a = (uintptr_t)uaddr;

	if (!(altfutex_fast_bad(a, flags) | altfutex_count(a)))
		return 0;
	return altfutex_wake_ioctl(uaddr, nr_wake, flags);
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

static __attribute__((noinline))
int altfutex_requeue_ioctl(uint32_t *uaddr, uint32_t *uaddr2, int nr_wake,
			   int nr_requeue, unsigned int flags)
{
	if (flags == ALTFUTEX_PRIVATE)
		altfutex_fast_prepare();
	return altfutex_do_requeue(ALTFUTEX_IOC_REQUEUE, uaddr, uaddr2,
				   nr_wake, nr_requeue, 0, flags);
}

int altfutex_requeue(uint32_t *uaddr, uint32_t *uaddr2,
		     int nr_wake, int nr_requeue, unsigned int flags)
{
	uintptr_t a = (uintptr_t)uaddr;

	/* where the kernel would return 0: nobody to wake or to move */
	if (!(altfutex_fast_bad(a | (uintptr_t)uaddr2, flags) |
	      (uint32_t)(nr_wake | nr_requeue) >> 31 | altfutex_count(a)))
		return 0;
	return altfutex_requeue_ioctl(uaddr, uaddr2, nr_wake, nr_requeue,
				      flags);
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
