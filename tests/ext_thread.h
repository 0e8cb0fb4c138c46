/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * ext_thread: a thread that makes one wait call, altfutex_wait(),
 * altfutex_wait2() or altfutex_waitv(), and keeps its result, for the
 * tests of vectors and fused calls (ext_waitv, ext_wakev, ext_wake_wait).
 * It is helpers.h's struct t_waiter for calls that struct cannot make;
 * "asleep" means the same: interruptibly inside ioctl() (t_asleep()).
 *
 * Each return is also logged, in order, with the thread's id, so that a
 * test can check which of several waiters a wake took (x_order_*()).
 * Everything here is static: only the ext_* tests include this file.
 */
#ifndef ALTFUTEX_TEST_EXT_THREAD_H
#define ALTFUTEX_TEST_EXT_THREAD_H

#include "helpers.h"

enum { X_WAIT, X_WAIT2, X_WAITV };

struct x_waiter {
	pthread_t thread;
	int kind;			/* X_WAIT, X_WAIT2 or X_WAITV */
	void *uaddr;			/* X_WAIT(2): the word, its val... */
	uint64_t val;
	uint32_t mask;
	const struct altfutex_waiter *v;	/* X_WAITV: the vector */
	unsigned int n;
	unsigned int flags;		/* the call's flags */
	struct timespec ts;		/* the timeout, if has_ts */
	int has_ts;
	const char *what;
	int id;				/* logged in the order of returns */
	int tid;			/* these four: __atomic loads */
	int done;
	int ret;
	int64_t t_start;		/* CLOCK_MONOTONIC ns around the call */
	int64_t t_end;
	int joined;
};

/* The ids of the waiters that returned, in order. */
#define X_ORDER_MAX 256
static int x_order_ids[X_ORDER_MAX];
static int x_order_n;		/* under x_order_lock */
static pthread_mutex_t x_order_lock = PTHREAD_MUTEX_INITIALIZER;

static inline void x_order_reset(void)
{
	pthread_mutex_lock(&x_order_lock);
	x_order_n = 0;
	pthread_mutex_unlock(&x_order_lock);
}

static inline int x_order_count(void)
{
	int n;

	pthread_mutex_lock(&x_order_lock);
	n = x_order_n;
	pthread_mutex_unlock(&x_order_lock);
	return n;
}

/* The id of the @i-th waiter to return since the reset, or -1. */
static inline int x_order_id(int i)
{
	int id;

	pthread_mutex_lock(&x_order_lock);
	id = i >= 0 && i < x_order_n ? x_order_ids[i] : -1;
	pthread_mutex_unlock(&x_order_lock);
	return id;
}

static inline void *x_main(void *arg)
{
	struct x_waiter *w = arg;
	const struct timespec *ts = w->has_ts ? &w->ts : NULL;
	int r;

	__atomic_store_n(&w->tid, t_gettid(), __ATOMIC_SEQ_CST);
	w->t_start = t_now_ns(CLOCK_MONOTONIC);
	if (w->kind == X_WAITV)
		r = altfutex_waitv(w->v, w->n, ts, w->flags);
	else if (w->kind == X_WAIT2)
		r = altfutex_wait2(w->uaddr, w->val, w->mask, ts, w->flags);
	else
		r = altfutex_wait(w->uaddr, (uint32_t)w->val, ts, w->flags);
	w->t_end = t_now_ns(CLOCK_MONOTONIC);
	w->ret = r;
	pthread_mutex_lock(&x_order_lock);
	if (x_order_n < X_ORDER_MAX)
		x_order_ids[x_order_n++] = w->id;
	pthread_mutex_unlock(&x_order_lock);
	__atomic_store_n(&w->done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

/* The timeout @timeout_ms (< 0: none), relative unless @flags say so. */
static inline void x_set_timeout(struct x_waiter *w, long timeout_ms)
{
	w->has_ts = timeout_ms >= 0;
	if (w->has_ts)
		w->ts = t_ts_ms(timeout_ms);
}

/* Start the thread of @w, described by the caller; return its tid. */
static inline pid_t x_run(struct x_waiter *w)
{
	int err, tid;

	w->tid = 0;
	w->done = 0;
	w->joined = 0;
	err = pthread_create(&w->thread, NULL, x_main, w);
	if (err)
		t_fail("pthread_create for %s: %s", w->what, strerror(err));
	while (!(tid = __atomic_load_n(&w->tid, __ATOMIC_SEQ_CST)))
		sched_yield();
	return tid;
}

static inline int x_done(struct x_waiter *w)
{
	return __atomic_load_n(&w->done, __ATOMIC_SEQ_CST);
}

/* Wait until @w sleeps in the kernel; fail if its call returns instead. */
static inline void x_asleep(struct x_waiter *w)
{
	while (t_asleep(0, w->tid) != 1) {
		if (x_done(w))
			t_fail("%s returned %d (%s) instead of sleeping",
			       w->what, w->ret, t_err(w->ret));
		t_sleep_ms(1);
	}
}

/*
 * Describe a waitv of @v[@n] with @flags and @timeout_ms (< 0: none,
 * else relative unless @flags say ALTFUTEX_ABSTIME); between this and
 * x_start() a test may set @id or the timeout.
 */
static inline void x_waitv_init(struct x_waiter *w,
				const struct altfutex_waiter *v,
				unsigned int n, unsigned int flags,
				long timeout_ms, const char *what)
{
	memset(w, 0, sizeof(*w));
	w->kind = X_WAITV;
	w->v = v;
	w->n = n;
	w->flags = flags;
	w->what = what;
	w->id = -1;
	x_set_timeout(w, timeout_ms);
}

/*
 * Describe an altfutex_wait() (@kind X_WAIT) or a wait2 with mask
 * MATCH_ANY (X_WAIT2) on @uaddr, whose size and privacy @flags give.
 */
static inline void x_wait_init(struct x_waiter *w, int kind, void *uaddr,
			       uint64_t val, unsigned int flags,
			       long timeout_ms, const char *what)
{
	memset(w, 0, sizeof(*w));
	w->kind = kind;
	w->uaddr = uaddr;
	w->val = val;
	w->mask = ALTFUTEX_BITSET_MATCH_ANY;
	w->flags = flags;
	w->what = what;
	w->id = -1;
	x_set_timeout(w, timeout_ms);
}

/* Start a described waiter and return once it sleeps. */
static inline void x_start(struct x_waiter *w)
{
	x_run(w);
	x_asleep(w);
}

/* x_waitv_init() with flags 0, then x_start(). */
static inline void x_waitv_start(struct x_waiter *w,
				 const struct altfutex_waiter *v,
				 unsigned int n, long timeout_ms,
				 const char *what)
{
	x_waitv_init(w, v, n, 0, timeout_ms, what);
	x_start(w);
}

/* x_wait_init(), then x_start(). */
static inline void x_wait_start(struct x_waiter *w, int kind, void *uaddr,
				uint64_t val, unsigned int flags,
				long timeout_ms, const char *what)
{
	x_wait_init(w, kind, uaddr, val, flags, timeout_ms, what);
	x_start(w);
}

/* Join @w (bounded by the watchdog) and return its result. */
static inline int x_join(struct x_waiter *w)
{
	if (!w->joined) {
		pthread_join(w->thread, NULL);
		w->joined = 1;
	}
	return w->ret;
}

/* @w must return @want within @ms. */
static inline void x_expect_within(struct x_waiter *w, int want, long ms)
{
	int64_t end = t_now_ns(CLOCK_MONOTONIC) + ms * NSEC_PER_MSEC;
	int r;

	while (!x_done(w)) {
		if (t_now_ns(CLOCK_MONOTONIC) > end)
			t_fail("%s did not return within %ld ms (expected %d (%s))",
			       w->what, ms, want, t_err(want));
		t_sleep_ms(1);
	}
	r = x_join(w);
	if (r != want)
		t_fail("%s returned %d (%s), expected %d (%s)", w->what, r,
		       t_err(r), want, t_err(want));
}

/* Give a wrong wake @ms to act, then fail unless @w still sleeps. */
static inline void x_check_asleep(struct x_waiter *w, long ms)
{
	t_sleep_ms(ms);
	if (x_done(w))
		t_fail("%s returned %d (%s) but should still sleep", w->what,
		       w->ret, t_err(w->ret));
	if (t_asleep(0, w->tid) != 1)
		t_fail("%s is no longer asleep in the kernel", w->what);
}

/* The bytes of a word of size flags @flags. */
static inline unsigned int x_size(unsigned int flags)
{
	switch (flags & ALTFUTEX_SIZE_MASK) {
	case ALTFUTEX_SIZE_U8:
		return 1;
	case ALTFUTEX_SIZE_U16:
		return 2;
	case ALTFUTEX_SIZE_U64:
		return 8;
	default:
		return 4;
	}
}

/* Store @val into the word at @p of size flags @flags. */
static inline void x_store(void *p, uint64_t val, unsigned int flags)
{
	switch (x_size(flags)) {
	case 1:
		__atomic_store_n((uint8_t *)p, (uint8_t)val, __ATOMIC_SEQ_CST);
		break;
	case 2:
		__atomic_store_n((uint16_t *)p, (uint16_t)val,
				 __ATOMIC_SEQ_CST);
		break;
	case 8:
		__atomic_store_n((uint64_t *)p, val, __ATOMIC_SEQ_CST);
		break;
	default:
		__atomic_store_n((uint32_t *)p, (uint32_t)val,
				 __ATOMIC_SEQ_CST);
	}
}

/* Load the word at @p of size flags @flags. */
static inline uint64_t x_load(const void *p, unsigned int flags)
{
	switch (x_size(flags)) {
	case 1:
		return __atomic_load_n((const uint8_t *)p, __ATOMIC_SEQ_CST);
	case 2:
		return __atomic_load_n((const uint16_t *)p, __ATOMIC_SEQ_CST);
	case 8:
		return __atomic_load_n((const uint64_t *)p, __ATOMIC_SEQ_CST);
	default:
		return __atomic_load_n((const uint32_t *)p, __ATOMIC_SEQ_CST);
	}
}

/* The name of the size in @flags. */
static inline const char *x_size_name(unsigned int flags)
{
	switch (x_size(flags)) {
	case 1:
		return "U8";
	case 2:
		return "U16";
	case 8:
		return "U64";
	default:
		return "U32";
	}
}

/* Wake up to @nr waiters of the word at @uaddr (@flags: size, privacy). */
static inline int x_wake(void *uaddr, int nr, unsigned int flags)
{
	return altfutex_wake2(uaddr, ALTFUTEX_BITSET_MATCH_ANY, nr, flags);
}

#endif /* ALTFUTEX_TEST_EXT_THREAD_H */
