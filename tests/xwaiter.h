/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * xwaiter: waiters of the extended API (altfutex_wait2(), and
 * altfutex_wait() beside them), in this process or in a puppet, for the
 * tests of sizes and bitsets.  struct t_waiter of helpers.h waits on a
 * 32-bit word with no mask; these carry a 64-bit value, a mask and a size.
 *
 * Every waiter lives in one table of MAP_SHARED memory, mapped by
 * xw_init() before the puppets are forked: the parent fills a slot, a
 * puppet (p_call()) or this process starts a thread that waits on it, and
 * the thread writes its tid, its result and the order of its return into
 * the table, where the parent reads them without asking the puppet.
 * Every wait of the parent is bounded (xw_expect()'s limit, the
 * watchdog of t_init()).
 *
 * The functions are static inline: only the tests that include this file
 * use them, each a part.
 */
#ifndef ALTFUTEX_TEST_XWAITER_H
#define ALTFUTEX_TEST_XWAITER_H

#include "helpers.h"

#define XW_MAX 64
#define XW_ORDER_MAX 256

enum xw_kind {
	XW_WAIT2,	/* altfutex_wait2(uaddr, val, mask, timeout, flags) */
	XW_WAIT,	/* altfutex_wait(uaddr, val, timeout, flags) */
};

struct xw {
	uint64_t uaddr;		/* in the process that waits */
	uint64_t val;
	uint32_t mask;
	uint32_t flags;
	int32_t kind;
	int32_t id;		/* logged in the order of returns */
	int64_t timeout_ms;	/* < 0: none */
	int32_t pid;		/* the waiting process (0 until it runs) */
	int32_t tid;
	int32_t done;
	int32_t ret;
	int32_t busy;		/* started and not yet collected */
	int32_t pad;
	int64_t t_start, t_end;	/* CLOCK_MONOTONIC ns around the call */
	const char *what;	/* a literal: the same address in a fork */
};

/* An operation that xw_call() runs in a puppet or here. */
struct xw_op {
	uint64_t uaddr;
	uint64_t val;
	uint32_t mask;
	uint32_t flags;
	int32_t nr;
	int32_t pad;
	int64_t timeout_ms;
};

struct xw_table {
	int32_t nret;
	int32_t order[XW_ORDER_MAX];
	struct xw w[XW_MAX];
	struct xw_op op;
};

static struct xw_table *xw_tab;

/* Map the table: before any puppet is forked. */
static inline void xw_init(void)
{
	xw_tab = t_map((sizeof(*xw_tab) + PGSZ - 1) / PGSZ,
		       PROT_READ | PROT_WRITE, MAP_SHARED);
}

/* Slot @i of the table. */
static inline struct xw *xw_slot(int i)
{
	CHECK(i >= 0 && i < XW_MAX, "waiter slot %d", i);
	return &xw_tab->w[i];
}

/* ---- in the waiting process ----------------------------------------- */

static inline int xw_do_wait(const struct xw *w)
{
	struct timespec ts = t_ts_ms((long)w->timeout_ms);
	const struct timespec *tp = w->timeout_ms < 0 ? NULL : &ts;
	void *p = (void *)(uintptr_t)w->uaddr;

	if (w->kind == XW_WAIT)
		return altfutex_wait(p, (uint32_t)w->val, tp, w->flags);
	return altfutex_wait2(p, w->val, w->mask, tp, w->flags);
}

static inline void *xw_thread(void *arg)
{
	struct xw *w = arg;
	int n, r;

	__atomic_store_n(&w->tid, t_gettid(), __ATOMIC_SEQ_CST);
	w->t_start = t_now_ns(CLOCK_MONOTONIC);
	r = xw_do_wait(w);
	w->t_end = t_now_ns(CLOCK_MONOTONIC);
	w->ret = r;
	if (w->id >= 0) {
		n = __atomic_fetch_add(&xw_tab->nret, 1, __ATOMIC_SEQ_CST);
		if (n < XW_ORDER_MAX)
			__atomic_store_n(&xw_tab->order[n], w->id,
					 __ATOMIC_SEQ_CST);
	}
	__atomic_store_n(&w->done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

/* A pcall_fn: start the waiter thread of slot @i; 0 or -errno. */
static inline int64_t xw_spawn(uint64_t i)
{
	struct xw *w = xw_slot((int)i);
	pthread_attr_t attr;
	pthread_t th;
	int err;

	w->pid = getpid();
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	err = pthread_create(&th, &attr, xw_thread, w);
	pthread_attr_destroy(&attr);
	return -err;
}

/* A pcall_fn: the wait of slot @i, in the calling thread. */
static inline int64_t xw_sync(uint64_t i)
{
	return xw_do_wait(xw_slot((int)i));
}

/* A pcall_fn: altfutex_wake2() of the table's op. */
static inline int64_t xw_op_wake2(uint64_t unused)
{
	const struct xw_op *o = &xw_tab->op;

	return altfutex_wake2((void *)(uintptr_t)o->uaddr, o->mask, o->nr,
			      o->flags);
}

/* A pcall_fn: altfutex_wake() of the table's op. */
static inline int64_t xw_op_wake(uint64_t unused)
{
	const struct xw_op *o = &xw_tab->op;

	return altfutex_wake((void *)(uintptr_t)o->uaddr, o->nr, o->flags);
}

/* ---- in the parent --------------------------------------------------- */

/* Fill slot @i for a wait; it must not hold a live waiter. */
static inline struct xw *xw_fill(int i, int kind, void *uaddr, uint64_t val,
				 uint32_t mask, unsigned int flags,
				 long timeout_ms, const char *what)
{
	struct xw *w = xw_slot(i);

	if (w->busy && !__atomic_load_n(&w->done, __ATOMIC_SEQ_CST))
		t_fail("waiter slot %d (%s) still waits", i, w->what);
	memset(w, 0, sizeof(*w));
	w->uaddr = (uintptr_t)uaddr;
	w->val = val;
	w->mask = mask;
	w->flags = flags;
	w->kind = kind;
	w->id = i;
	w->timeout_ms = timeout_ms;
	w->what = what;
	return w;
}

static inline int xw_done(int i)
{
	return __atomic_load_n(&xw_slot(i)->done, __ATOMIC_SEQ_CST);
}

/*
 * Start waiter @i in @p (NULL: here) on @uaddr (an address in @p) and
 * return once it sleeps in the kernel; fail if its wait returns first.
 * Its id, logged when it returns, is @i.
 */
static inline void xw_start(struct puppet *p, int i, int kind, void *uaddr,
			    uint64_t val, uint32_t mask, unsigned int flags,
			    long timeout_ms, const char *what)
{
	struct xw *w = xw_fill(i, kind, uaddr, val, mask, flags, timeout_ms,
			       what);
	int64_t r;
	pid_t tid;

	w->busy = 1;
	r = p_call(p, xw_spawn, (uint64_t)i);
	if (r)
		t_fail("starting waiter %s in %s: %s", what, pname(p),
		       strerror((int)-r));
	while (!(tid = __atomic_load_n(&w->tid, __ATOMIC_SEQ_CST)))
		t_sleep_ms(1);
	while (t_asleep(p ? p->pid : 0, tid) != 1) {
		if (xw_done(i))
			t_fail("waiter %s in %s returned %d (%s) instead of sleeping",
			       what, pname(p), w->ret, t_err(w->ret));
		t_sleep_ms(1);
	}
}

/* A wait2 waiter: the common case. */
static inline void xw_start2(struct puppet *p, int i, void *uaddr,
			     uint64_t val, uint32_t mask, unsigned int flags,
			     const char *what)
{
	xw_start(p, i, XW_WAIT2, uaddr, val, mask, flags, T_SAFETY_MS, what);
}

/* altfutex_wait2() in @p's command thread, for calls that do not sleep long. */
static inline int xw_wait2_in(struct puppet *p, void *uaddr, uint64_t val,
			      uint32_t mask, unsigned int flags,
			      long timeout_ms)
{
	/* the last slot: never a live waiter's in these tests */
	xw_fill(XW_MAX - 1, XW_WAIT2, uaddr, val, mask, flags, timeout_ms,
		"sync");
	return (int)p_call(p, xw_sync, XW_MAX - 1);
}

/* altfutex_wake2() in @p (NULL: here). */
static inline int xw_wake2_in(struct puppet *p, void *uaddr, uint32_t mask,
			      int nr, unsigned int flags)
{
	struct xw_op *o = &xw_tab->op;

	memset(o, 0, sizeof(*o));
	o->uaddr = (uintptr_t)uaddr;
	o->mask = mask;
	o->nr = nr;
	o->flags = flags;
	return (int)p_call(p, xw_op_wake2, 0);
}

/* altfutex_wake() in @p (NULL: here). */
static inline int xw_wake_in(struct puppet *p, void *uaddr, int nr,
			     unsigned int flags)
{
	struct xw_op *o = &xw_tab->op;

	memset(o, 0, sizeof(*o));
	o->uaddr = (uintptr_t)uaddr;
	o->nr = nr;
	o->flags = flags;
	return (int)p_call(p, xw_op_wake, 0);
}

/* Waiter @i's result, once it returns within @ms; fail if it does not. */
static inline int xw_result(int i, long ms)
{
	int64_t end = t_now_ns(CLOCK_MONOTONIC) + ms * NSEC_PER_MSEC;
	struct xw *w = xw_slot(i);

	while (!xw_done(i)) {
		if (t_now_ns(CLOCK_MONOTONIC) > end)
			t_fail("waiter %s (slot %d) did not return within %ld ms",
			       w->what, i, ms);
		t_sleep_ms(1);
	}
	w->busy = 0;
	return w->ret;
}

/* Waiter @i must return @want within 10 s (times t_time_scale()). */
static inline void xw_expect(int i, int want)
{
	int r = xw_result(i, 10000L * t_time_scale());

	if (r != want)
		t_fail("waiter %s (slot %d) returned %d (%s), expected %d (%s)",
		       xw_slot(i)->what, i, r, t_err(r), want, t_err(want));
}

/* Give a wrong wake @ms to act, then fail unless waiter @i still sleeps. */
static inline void xw_check_asleep(int i, long ms)
{
	struct xw *w = xw_slot(i);

	t_sleep_ms(ms);
	if (xw_done(i))
		t_fail("waiter %s (slot %d) returned %d (%s) but should still sleep",
		       w->what, i, w->ret, t_err(w->ret));
	if (t_asleep(w->pid == getpid() ? 0 : w->pid, w->tid) != 1)
		t_fail("waiter %s (slot %d) is no longer asleep in the kernel",
		       w->what, i);
}

/* The order of returns: reset, count, and the id of the @k-th. */
static inline void xw_order_reset(void)
{
	__atomic_store_n(&xw_tab->nret, 0, __ATOMIC_SEQ_CST);
}

static inline int xw_returned(void)
{
	return __atomic_load_n(&xw_tab->nret, __ATOMIC_SEQ_CST);
}

static inline int xw_order(int k)
{
	return k >= 0 && k < xw_returned() && k < XW_ORDER_MAX ?
	       __atomic_load_n(&xw_tab->order[k], __ATOMIC_SEQ_CST) : -1;
}

/* Wait (10 s at most, scaled) until @n waiters have returned since the reset. */
static inline void xw_returned_wait(int n)
{
	int64_t end = t_now_ns(CLOCK_MONOTONIC) +
		      10 * NSEC_PER_SEC * t_time_scale();

	while (xw_returned() < n) {
		if (t_now_ns(CLOCK_MONOTONIC) > end)
			t_fail("only %d of %d woken waiters returned",
			       xw_returned(), n);
		t_sleep_ms(1);
	}
}

#endif /* ALTFUTEX_TEST_XWAITER_H */
