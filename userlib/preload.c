// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * libaltfutex-preload: LD_PRELOAD=libaltfutex-preload.so runs the futexes
 * that a program makes through libc's syscall() on /dev/altfutex.
 *
 * It defines syscall() and takes SYS_futex and SYS_futex_waitv; every
 * other number goes to the next syscall() (libc's), found with
 * dlsym(RTLD_NEXT).  futex(2)'s conventions are kept: -1 and errno (errno
 * untouched on success), FUTEX_WAKE, FUTEX_WAKE_BITSET and both counts of
 * FUTEX_WAKE_OP with 0 (or a count that is negative as an int) waking
 * one, FUTEX_WAIT's relative timeout on CLOCK_MONOTONIC,
 * FUTEX_WAIT_BITSET's absolute one (on CLOCK_REALTIME with
 * FUTEX_CLOCK_REALTIME), FUTEX_PRIVATE_FLAG as ALTFUTEX_PRIVATE, and the
 * kernel's checks in the kernel's order: the timeout (EFAULT, EINVAL)
 * before FUTEX_CLOCK_REALTIME on an operation that has no clock (ENOSYS,
 * FUTEX_WAIT included, as since Linux 5.12), a bitset of 0 (EINVAL), and
 * negative requeue counts (EINVAL, from the module).  FUTEX_WAKE_OP is
 * the kernel's to the letter but for one case (see preload_wake_op()).
 *
 * Where each operation goes:
 *   module   FUTEX_WAIT, FUTEX_WAKE, FUTEX_REQUEUE, FUTEX_CMP_REQUEUE;
 *            FUTEX_WAIT_BITSET and FUTEX_WAKE_BITSET, any bitset
 *            (altfutex_wait2(), altfutex_wake2() on 32-bit words, the
 *            bitset as their mask); FUTEX_WAKE_OP (altfutex_wake_op());
 *            futex_waitv (altfutex_waitv(), preload_waitv.c).
 *   kernel   the PI operations (a protocol of their own, with owners in
 *            the word), FUTEX_FD and unknown operations (ENOSYS there).
 * Where /dev/altfutex cannot be opened when the library is loaded, every
 * operation goes to the kernel, and one line on stderr says so.
 *
 * ALTFUTEX_PRELOAD_STATS=1 (any value but empty or 0) prints at exit
 * (exit() or a return from main; not _exit()) one line per operation used:
 *	altfutex-preload: FUTEX_WAIT module=12 kernel=0
 *
 * The calls are thread-safe and async-signal-safe, and allocate nothing:
 * the counters are relaxed atomics, futex_waitv's copy of its vector
 * lives on the stack.  libaltfutex is linked in (its objects, built
 * -fPIC) and none of its symbols is exported, so the library needs nothing
 * but libc and leaves a program's own libaltfutex alone.
 */
#include <dlfcn.h>
#include <errno.h>
#include <linux/futex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "altfutex.h"
#include "preload.h"

#ifndef SYS_futex_waitv
#define SYS_futex_waitv 449
#endif
#ifndef FUTEX_LOCK_PI2
#define FUTEX_LOCK_PI2 13
#endif

#define PRELOAD_NSEC_PER_SEC 1000000000UL

/* FUTEX_WAKE_OP's val3, as FUTEX_OP() of <linux/futex.h> packs it */
#define PRELOAD_OP_CODE(op)	(((op) >> 28) & 7)
#define PRELOAD_OP_CMP_FIELD	(15u << 24)
#define PRELOAD_OP_CMP(op)	(((op) & PRELOAD_OP_CMP_FIELD) >> 24)

typedef long (*preload_syscall_fn)(long number, ...);

/* libc's syscall(), and where futexes go: set once, by preload_setup(). */
static preload_syscall_fn preload_next;

enum {
	PRELOAD_UNSET,
	PRELOAD_MODULE,
	PRELOAD_KERNEL,
};

static int preload_route;
static int preload_stats;

/*
 * The operations counted: futex(2)'s commands by number, then one line
 * for every unknown command, and futex_waitv.
 */
#define PRELOAD_OP_OTHER	(FUTEX_LOCK_PI2 + 1)
#define PRELOAD_OP_WAITV	(FUTEX_LOCK_PI2 + 2)
#define PRELOAD_OPS		(FUTEX_LOCK_PI2 + 3)

static const char *const preload_op_name[PRELOAD_OPS] = {
	[FUTEX_WAIT] = "FUTEX_WAIT",
	[FUTEX_WAKE] = "FUTEX_WAKE",
	[FUTEX_FD] = "FUTEX_FD",
	[FUTEX_REQUEUE] = "FUTEX_REQUEUE",
	[FUTEX_CMP_REQUEUE] = "FUTEX_CMP_REQUEUE",
	[FUTEX_WAKE_OP] = "FUTEX_WAKE_OP",
	[FUTEX_LOCK_PI] = "FUTEX_LOCK_PI",
	[FUTEX_UNLOCK_PI] = "FUTEX_UNLOCK_PI",
	[FUTEX_TRYLOCK_PI] = "FUTEX_TRYLOCK_PI",
	[FUTEX_WAIT_BITSET] = "FUTEX_WAIT_BITSET",
	[FUTEX_WAKE_BITSET] = "FUTEX_WAKE_BITSET",
	[FUTEX_WAIT_REQUEUE_PI] = "FUTEX_WAIT_REQUEUE_PI",
	[FUTEX_CMP_REQUEUE_PI] = "FUTEX_CMP_REQUEUE_PI",
	[FUTEX_LOCK_PI2] = "FUTEX_LOCK_PI2",
	[PRELOAD_OP_OTHER] = "FUTEX_unknown",
	[PRELOAD_OP_WAITV] = "futex_waitv",
};

/* [op][0]: answered here, on the module; [op][1]: passed to the kernel. */
static unsigned long preload_count[PRELOAD_OPS][2];

static void preload_counted(int op, int kernel)
{
	__atomic_fetch_add(&preload_count[op][kernel], 1, __ATOMIC_RELAXED);
}

/*
 * Find libc's syscall() and open the device.  Run by the constructor, or
 * earlier by the first syscall() call if another library's constructor
 * makes one first (before any thread exists, so there is no race).
 */
static void preload_setup(void)
{
	const char *s = getenv("ALTFUTEX_PRELOAD_STATS");
	int fd;

	if (__atomic_load_n(&preload_route, __ATOMIC_ACQUIRE) != PRELOAD_UNSET)
		return;
	preload_next = (preload_syscall_fn)dlsym(RTLD_NEXT, "syscall");
	preload_stats = s && *s && strcmp(s, "0");
	fd = altfutex_open();
	if (fd < 0)
		dprintf(STDERR_FILENO,
			"altfutex-preload: cannot open /dev/altfutex (%s): futexes go to the kernel\n",
			strerror(-fd));
	__atomic_store_n(&preload_route,
			 fd < 0 ? PRELOAD_KERNEL : PRELOAD_MODULE,
			 __ATOMIC_RELEASE);
}

__attribute__((constructor(101)))
static void preload_init(void)
{
	preload_setup();
}

__attribute__((destructor(101)))
static void preload_fini(void)
{
	int op;

	if (!preload_stats)
		return;
	for (op = 0; op < PRELOAD_OPS; op++) {
		unsigned long m, k;

		m = __atomic_load_n(&preload_count[op][0], __ATOMIC_RELAXED);
		k = __atomic_load_n(&preload_count[op][1], __ATOMIC_RELAXED);
		if (m || k)
			dprintf(STDERR_FILENO,
				"altfutex-preload: %s module=%lu kernel=%lu\n",
				preload_op_name[op], m, k);
	}
}

static long preload_forward(long number, const long *a)
{
	if (!preload_next) {
		errno = ENOSYS;
		return -1;
	}
	return preload_next(number, a[0], a[1], a[2], a[3], a[4], a[5]);
}

long preload_kernel_waitv(const void *waiters, unsigned int nr,
			  const void *timeout, int clockid)
{
	long r;

	if (!preload_next)
		return -ENOSYS;
	r = preload_next(SYS_futex_waitv, (long)waiters, (long)nr, 0L,
			 (long)timeout, (long)clockid, 0L);
	return r < 0 ? -errno : r;
}

/* Set once process_vm_readv() of our own memory is known to fail. */
static int preload_no_vm_readv;

int preload_read(void *dst, const void *src, size_t n)
{
	struct iovec local = { dst, n }, remote = { (void *)src, n };
	long r;

	if (preload_next &&
	    !__atomic_load_n(&preload_no_vm_readv, __ATOMIC_RELAXED)) {
		r = preload_next(SYS_process_vm_readv, (long)getpid(),
				 (long)&local, 1L, (long)&remote, 1L, 0L);
		if (r == (long)n)
			return 0;
		if (r >= 0 || errno == EFAULT)
			return -EFAULT;
		/* ENOSYS, EPERM (seccomp): never again */
		__atomic_store_n(&preload_no_vm_readv, 1, __ATOMIC_RELAXED);
	}
	memcpy(dst, src, n);
	return 0;
}

/*
 * A timeout of SYS_futex (struct __kernel_timespec on 64-bit,
 * old_timespec32 on 32-bit: two longs either way) as the kernel checks it.
 */
static int preload_timeout(struct timespec *ts, const void *uts)
{
	struct {
		long tv_sec;
		long tv_nsec;
	} t;

	if (preload_read(&t, uts, sizeof(t)))
		return -EFAULT;
	if (t.tv_sec < 0 || (unsigned long)t.tv_nsec >= PRELOAD_NSEC_PER_SEC)
		return -EINVAL;
	ts->tv_sec = t.tv_sec;
	ts->tv_nsec = t.tv_nsec;
	return 0;
}

/* Does @cmd go to the module (when there is one)? */
static int preload_on_module(int cmd)
{
	switch (cmd) {
	case FUTEX_WAIT:
	case FUTEX_WAKE:
	case FUTEX_REQUEUE:
	case FUTEX_CMP_REQUEUE:
	case FUTEX_WAKE_OP:
	case FUTEX_WAIT_BITSET:
	case FUTEX_WAKE_BITSET:
		return 1;
	}
	return 0;
}

/*
 * FUTEX_WAKE_OP as the kernel does it.  The kernel finds both words (a
 * misaligned one is EINVAL) before it looks at the operation; it refuses
 * an undefined operation code (ENOSYS) before writing, but an undefined
 * comparison (ENOSYS) only once the operation is applied, waking nobody.
 * The module refuses both up front (EINVAL), so that last case is the
 * operation alone here, on the module (atomic with its waiters, as the
 * kernel's), with counts of 0: it wakes nobody.  Each count below 1 wakes
 * one, as the kernel's loops count a waiter before they compare.
 *
 * One difference is left: without FUTEX_PRIVATE_FLAG, the kernel looks
 * both words up in their mappings first, so an unmapped word (or a
 * read-only second word) is EFAULT there before an undefined operation
 * code is ENOSYS; here that call is ENOSYS.
 */
static long preload_wake_op(uint32_t *uaddr, uint32_t *uaddr2, int nr_wake,
			    int nr_wake2, uint32_t op, unsigned int flags)
{
	int r;

	if (((uintptr_t)uaddr | (uintptr_t)uaddr2) & 3)
		return -EINVAL;
	if (PRELOAD_OP_CODE(op) > FUTEX_OP_XOR)
		return -ENOSYS;
	if (PRELOAD_OP_CMP(op) > FUTEX_OP_CMP_GE) {
		op &= ~PRELOAD_OP_CMP_FIELD;	/* FUTEX_OP_CMP_EQ */
		r = altfutex_wake_op(uaddr, uaddr2, 0, 0, op, flags);
		return r < 0 ? r : -ENOSYS;
	}
	return altfutex_wake_op(uaddr, uaddr2, nr_wake > 0 ? nr_wake : 1,
				nr_wake2 > 0 ? nr_wake2 : 1, op, flags);
}

/*
 * A futex(2) operation that goes to the module: its result, or a negative
 * errno.  The arguments are the system call's six, as longs.
 */
static long preload_futex_module(const long *a)
{
	uint32_t *uaddr = (uint32_t *)a[0], *uaddr2 = (uint32_t *)a[4];
	int op = (int)a[1];
	int cmd = op & FUTEX_CMD_MASK;
	uint32_t val = (uint32_t)a[2];
	uint32_t val2 = (uint32_t)a[3];	/* the timeout argument, as a count */
	uint32_t val3 = (uint32_t)a[5];
	unsigned int flags = op & FUTEX_PRIVATE_FLAG ? ALTFUTEX_PRIVATE : 0;
	struct timespec ts, *tsp = NULL;
	int r;

	if (a[3] && (cmd == FUTEX_WAIT || cmd == FUTEX_WAIT_BITSET)) {
		r = preload_timeout(&ts, (const void *)a[3]);
		if (r)
			return r;
		tsp = &ts;
	}
	if ((op & FUTEX_CLOCK_REALTIME) && cmd != FUTEX_WAIT_BITSET)
		return -ENOSYS;

	switch (cmd) {
	case FUTEX_WAIT:
		return altfutex_wait(uaddr, val, tsp, flags);
	case FUTEX_WAIT_BITSET:
		if (!val3)
			return -EINVAL;
		if (tsp) {
			flags |= ALTFUTEX_ABSTIME;
			if (op & FUTEX_CLOCK_REALTIME)
				flags |= ALTFUTEX_CLOCK_REALTIME;
		}
		return altfutex_wait2(uaddr, val, val3, tsp, flags);
	case FUTEX_WAKE:
		/* futex(2) wakes one for 0 and for any count < 1 as an int */
		return altfutex_wake(uaddr, (int)val > 0 ? (int)val : 1, flags);
	case FUTEX_WAKE_BITSET:
		if (!val3)
			return -EINVAL;
		return altfutex_wake2(uaddr, val3, (int)val > 0 ? (int)val : 1,
				      flags);
	case FUTEX_REQUEUE:
		return altfutex_requeue(uaddr, uaddr2, (int)val, (int)val2,
					flags);
	case FUTEX_CMP_REQUEUE:
		return altfutex_cmp_requeue(uaddr, uaddr2, (int)val, (int)val2,
					    val3, flags);
	case FUTEX_WAKE_OP:
		return preload_wake_op(uaddr, uaddr2, (int)val, (int)val2, val3,
				       flags);
	}
	return -ENOSYS;		/* not reached: preload_on_module() */
}

static int preload_route_now(void)
{
	int route = __atomic_load_n(&preload_route, __ATOMIC_ACQUIRE);

	if (route == PRELOAD_UNSET) {
		preload_setup();
		route = __atomic_load_n(&preload_route, __ATOMIC_ACQUIRE);
	}
	return route;
}

/* -1 and errno for a negative errno; errno as it was on success. */
static long preload_result(long r, int saved_errno)
{
	if (r < 0) {
		errno = (int)-r;
		return -1;
	}
	errno = saved_errno;
	return r;
}

long syscall(long number, ...)
{
	int saved_errno = errno;
	int route = preload_route_now();
	int cmd, op;
	va_list ap;
	long a[6];

	/* as libc's: six arguments are taken, whatever the call uses */
	va_start(ap, number);
	for (op = 0; op < 6; op++)
		a[op] = va_arg(ap, long);
	va_end(ap);

	if (number == SYS_futex) {
		cmd = (int)a[1] & FUTEX_CMD_MASK;
		op = cmd >= 0 && cmd <= FUTEX_LOCK_PI2 ? cmd : PRELOAD_OP_OTHER;
		if (route != PRELOAD_MODULE || !preload_on_module(cmd)) {
			preload_counted(op, 1);
			return preload_forward(number, a);
		}
		preload_counted(op, 0);
		return preload_result(preload_futex_module(a), saved_errno);
	}
	if (number == SYS_futex_waitv) {
		if (route != PRELOAD_MODULE) {
			preload_counted(PRELOAD_OP_WAITV, 1);
			return preload_forward(number, a);
		}
		preload_counted(PRELOAD_OP_WAITV, 0);
		return preload_result(preload_futex_waitv((const void *)a[0],
							  (unsigned int)a[1],
							  (unsigned int)a[2],
							  (const void *)a[3],
							  (int)a[4]),
				      saved_errno);
	}
	return preload_forward(number, a);
}
