/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * Helpers for the basic-semantics tests: waiter threads that call
 * altfutex_wait() once and keep the result, and a stricter "asleep" check.
 *
 * tu_start() starts a waiter thread and returns once it sleeps in the
 * kernel (state 'S' inside ioctl(), i.e. queued on its futex: a thread
 * still forming its key may sit in 'D' on the mmap lock, which is not
 * enough).  If the wait returns instead of sleeping, the test fails with
 * the value it returned.  Everything is bounded by the t_init() watchdog.
 */
#ifndef ALTFUTEX_TEST_UTIL_H
#define ALTFUTEX_TEST_UTIL_H

#include "harness.h"

#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <sys/mman.h>

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif

#define NSEC_PER_MSEC 1000000LL
#define NSEC_PER_SEC 1000000000LL

/* A waiter that a correct module wakes never needs this timeout. */
#define TU_SAFETY_MS 20000L

struct tu_waiter {
	pthread_t thread;
	uint32_t *uaddr;
	uint32_t val;
	unsigned int flags;
	struct timespec ts;	/* the timeout, if has_ts */
	int has_ts;
	const char *what;
	int tid;		/* atomic; 0 until the thread runs */
	int done;		/* atomic */
	int ret;
	int64_t t_start;	/* CLOCK_MONOTONIC ns, just before the wait */
	int64_t t_end;		/* CLOCK_MONOTONIC ns, just after it */
	int joined;
};

static inline const char *tu_err(int r)
{
	return r < 0 ? strerror(-r) : "ok";
}

/*
 * Is @tid (of @pid, 0: this process) asleep interruptibly inside ioctl()?
 * Returns 1 if so, 0 if not (yet), -1 if the thread does not exist.
 */
static inline int tu_asleep(pid_t pid, pid_t tid)
{
	int state = t_ioctl_sleep_state(pid, tid);

	return state < 0 ? -1 : state == 'S';
}

static void *tu_main(void *arg)
{
	struct tu_waiter *w = arg;

	__atomic_store_n(&w->tid, t_gettid(), __ATOMIC_SEQ_CST);
	w->t_start = t_now_ns(CLOCK_MONOTONIC);
	w->ret = altfutex_wait(w->uaddr, w->val, w->has_ts ? &w->ts : NULL,
			       w->flags);
	w->t_end = t_now_ns(CLOCK_MONOTONIC);
	__atomic_store_n(&w->done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

static inline int tu_done(struct tu_waiter *w)
{
	return __atomic_load_n(&w->done, __ATOMIC_SEQ_CST);
}

/*
 * Start a waiter thread without waiting for it to sleep.  @ts is its
 * timeout (NULL: none), interpreted according to @flags.
 */
static inline void tu_spawn_ts(struct tu_waiter *w, uint32_t *uaddr,
			       uint32_t val, unsigned int flags,
			       const struct timespec *ts, const char *what)
{
	int err;

	memset(w, 0, sizeof(*w));
	w->uaddr = uaddr;
	w->val = val;
	w->flags = flags;
	if (ts) {
		w->ts = *ts;
		w->has_ts = 1;
	}
	w->what = what;
	err = pthread_create(&w->thread, NULL, tu_main, w);
	if (err)
		t_fail("pthread_create for %s: %s", what, strerror(err));
	while (!__atomic_load_n(&w->tid, __ATOMIC_SEQ_CST))
		sched_yield();
}

/* The same with a relative timeout of @timeout_ms (< 0: none). */
static inline void tu_spawn(struct tu_waiter *w, uint32_t *uaddr,
			    uint32_t val, unsigned int flags, long timeout_ms,
			    const char *what)
{
	struct timespec ts = {
		timeout_ms / 1000, (timeout_ms % 1000) * NSEC_PER_MSEC
	};

	tu_spawn_ts(w, uaddr, val, flags, timeout_ms < 0 ? NULL : &ts, what);
}

/* Wait until @w sleeps in the kernel; fail if its wait returns instead. */
static inline void tu_wait_asleep(struct tu_waiter *w)
{
	while (tu_asleep(0, w->tid) != 1) {
		if (tu_done(w))
			t_fail("waiter %s returned %d (%s) instead of sleeping",
			       w->what, w->ret, tu_err(w->ret));
		t_sleep_ms(1);
	}
}

/* Start a waiter thread and return once it sleeps on its futex. */
static inline void tu_start(struct tu_waiter *w, uint32_t *uaddr,
			    uint32_t val, unsigned int flags, long timeout_ms,
			    const char *what)
{
	tu_spawn(w, uaddr, val, flags, timeout_ms, what);
	tu_wait_asleep(w);
}

/* Start a waiter with timeout @ts and return once it sleeps. */
static inline void tu_start_ts(struct tu_waiter *w, uint32_t *uaddr,
			       uint32_t val, unsigned int flags,
			       const struct timespec *ts, const char *what)
{
	tu_spawn_ts(w, uaddr, val, flags, ts, what);
	tu_wait_asleep(w);
}

/* Join @w (bounded by the watchdog) and return its result. */
static inline int tu_join(struct tu_waiter *w)
{
	if (!w->joined) {
		pthread_join(w->thread, NULL);
		w->joined = 1;
	}
	return w->ret;
}

/* Join @w and check it returned @want. */
static inline void tu_expect(struct tu_waiter *w, int want)
{
	int r = tu_join(w);

	if (r != want)
		t_fail("waiter %s returned %d (%s), expected %d (%s)",
		       w->what, r, tu_err(r), want, tu_err(want));
}

/*
 * Check that @w returns @want within @ms (a lost wake then fails clearly
 * instead of running into the watchdog).
 */
static inline void tu_expect_within(struct tu_waiter *w, int want, long ms)
{
	int64_t end = t_now_ns(CLOCK_MONOTONIC) + ms * NSEC_PER_MSEC;

	while (!tu_done(w)) {
		if (t_now_ns(CLOCK_MONOTONIC) > end)
			t_fail("waiter %s did not return within %ld ms (expected %d (%s))",
			       w->what, ms, want, tu_err(want));
		t_sleep_ms(1);
	}
	tu_expect(w, want);
}

/* Give a wrong wake @ms to act, then fail unless @w still sleeps. */
static inline void tu_check_asleep(struct tu_waiter *w, long ms)
{
	t_sleep_ms(ms);
	if (tu_done(w))
		t_fail("waiter %s returned %d (%s) but should still sleep",
		       w->what, w->ret, tu_err(w->ret));
	if (tu_asleep(0, w->tid) != 1)
		t_fail("waiter %s is no longer asleep in the kernel", w->what);
}

/* ---- child processes killed if the test fails ----------------------- */

#define TU_MAXKIDS 64

static pid_t tu_kids[TU_MAXKIDS];

static void tu_kill_kids(void)
{
	int i;

	for (i = 0; i < TU_MAXKIDS; i++) {
		if (tu_kids[i] > 0) {
			kill(tu_kids[i], SIGKILL);
			waitpid(tu_kids[i], NULL, 0);
			tu_kids[i] = 0;
		}
	}
}

/*
 * fork(), remembering the child: if the test exits before reaping it
 * (a failed CHECK), it is killed, so that no process is left holding
 * /dev/altfutex open.
 */
static inline pid_t tu_fork(void)
{
	static int registered;
	pid_t pid;
	int i;

	if (!registered) {
		atexit(tu_kill_kids);
		registered = 1;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		t_fail("fork: %s", strerror(errno));
	if (!pid) {
		memset(tu_kids, 0, sizeof(tu_kids));
		return 0;
	}
	for (i = 0; i < TU_MAXKIDS; i++) {
		if (!tu_kids[i]) {
			tu_kids[i] = pid;
			break;
		}
	}
	return pid;
}

/* Reap a child of tu_fork(); its exit status or -1 (killed). */
static inline int tu_reap(pid_t pid)
{
	int i, r = t_reap(pid);

	for (i = 0; i < TU_MAXKIDS; i++)
		if (tu_kids[i] == pid)
			tu_kids[i] = 0;
	return r;
}

/* Reap @pid within @ms: the time it took, in ms, or -1. */
static inline int tu_reap_within(pid_t pid, long ms)
{
	int64_t t0 = t_now_ns(CLOCK_MONOTONIC), t;

	do {
		t = t_now_ns(CLOCK_MONOTONIC) - t0;
		if (waitpid(pid, NULL, WNOHANG) == pid)
			return (int)(t / NSEC_PER_MSEC);
		t_sleep_ms(5);
	} while (t < ms * NSEC_PER_MSEC);
	return -1;
}

/* Is descriptor @fd of this process open on @target (its /proc link)? */
static inline int tu_fd_is(int fd, const char *target)
{
	char path[64], link[128];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return 0;
	link[n] = 0;
	return !strcmp(link, target);
}

static inline struct timespec tu_ts_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * NSEC_PER_MSEC };

	return ts;
}

static inline struct timespec tu_ts_ns(int64_t ns)
{
	struct timespec ts = { ns / NSEC_PER_SEC, ns % NSEC_PER_SEC };

	return ts;
}

/* An anonymous mapping of @pages pages, or fail. */
static inline void *tu_map(size_t pages, int prot, int flags)
{
	size_t len = pages * (size_t)sysconf(_SC_PAGESIZE);
	void *p = mmap(NULL, len, prot, flags | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		t_fail("mmap %zu bytes: %s", len, strerror(errno));
	return p;
}

#endif /* ALTFUTEX_TEST_UTIL_H */
