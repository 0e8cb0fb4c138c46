// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * ext_waitv: altfutex_waitv(), a wait on up to 128 words at once
 * (CONTRACT.md, "Extended API"; issue 17).
 *  - an 8-word vector mixing private and shared words of every size
 *    (U8, U16, U32, U64, amid bytes of other values) returns the index of
 *    the word that was woken, for each index in turn, whatever the wake's
 *    mask, and leaves none of its words queued;
 *  - a word that differs (any index, or only the high half of a U64)
 *    gives -EAGAIN with nothing queued;
 *  - n = 0 or 129: -EINVAL; n = 128 works; a bad entry (flags, alignment,
 *    a value beyond its size), bad call flags or a bad timeout: -EINVAL;
 *    an unmapped word or vector: -EFAULT; the raw ioctl checks its own;
 *  - timeouts, relative and absolute on both clocks, expire on time, and
 *    a handled signal gives -EINTR, each with nothing left queued; a
 *    stop (no handler) does not end the library's wait, and ends the
 *    raw ioctl's with a relative timeout with -EINTR;
 *  - vectors and plain waiters on one word are woken oldest first;
 *  - a child process waits on a memfd word mapped at another address
 *    than the parent's, which wakes it;
 *  - the same word twice in a vector (even with two sizes) counts once;
 *  - the counting stress: waiter threads re-wait in a loop on the same K
 *    words while one waker thread per word wakes one waiter at a time;
 *    for each word, the sum of what its wakes returned must equal the
 *    number of waits that returned its index: no vector counted by two
 *    wakes, none woken twice, none lost.
 */
#include <sys/ioctl.h>

#include "ext_thread.h"

#include <linux/altfutex.h>

#define LATE_MS 1000		/* how late a timeout may fire (TCG) */
#define NOW_MS 1000		/* how long an immediate return may take */

static char *priv, *shrd;	/* a private and a shared page */

/* The 8 words of the mixed vector: where, which flags, which value. */
struct wdesc {
	size_t off;
	int shared;
	unsigned int flags;
	uint64_t val;
};

static const struct wdesc w8[8] = {
	{ 1, 0, ALTFUTEX_PRIVATE | ALTFUTEX_SIZE_U8, 0x11 },
	{ 2, 1, ALTFUTEX_SIZE_U16, 0x2222 },
	{ 4, 0, ALTFUTEX_SIZE_U32, 0x33333333 },
	{ 8, 1, ALTFUTEX_SIZE_U64, 0x4444444455555555ULL },
	{ 16, 0, ALTFUTEX_PRIVATE | ALTFUTEX_SIZE_U64, 0x0100000000000066ULL },
	{ 25, 1, ALTFUTEX_SIZE_U8, 0x77 },
	{ 34, 0, ALTFUTEX_PRIVATE | ALTFUTEX_SIZE_U16, 0x8888 },
	{ 40, 1, ALTFUTEX_SIZE_U32 | ALTFUTEX_PRIVATE, 0x99999999 },
};

/*
 * The mixed vector in @v, its words stored: every other byte of both
 * pages holds 0xa5, so that a value check that read more than the word's
 * bytes would see a difference.  nr_wake, which waitv ignores, is junk.
 */
static void vec8(struct altfutex_waiter *v)
{
	int i;

	memset(priv, 0xa5, 64);
	memset(shrd, 0xa5, 64);
	for (i = 0; i < 8; i++) {
		v[i].uaddr = (w8[i].shared ? shrd : priv) + w8[i].off;
		v[i].val = w8[i].val;
		v[i].flags = w8[i].flags;
		v[i].nr_wake = i * 7 - 20;
		x_store(v[i].uaddr, v[i].val, v[i].flags);
	}
}

/*
 * No waiter is left on any word of @v: a wake with the word's flags, and
 * for a private one also a wake without ALTFUTEX_PRIVATE (the same key,
 * never answered without the ioctl), finds nobody.
 */
static void expect_empty(const struct altfutex_waiter *v, unsigned int n,
			 const char *when)
{
	unsigned int i;
	int r;

	for (i = 0; i < n; i++) {
		r = x_wake(v[i].uaddr, INT_MAX, v[i].flags);
		if (r)
			t_fail("%s: a wake on word %u (%s, flags %#x) returned %d (%s), expected 0",
			       when, i, x_size_name(v[i].flags), v[i].flags, r,
			       t_err(r));
		if (!(v[i].flags & ALTFUTEX_PRIVATE) ||
		    (v[i].uaddr >= (void *)shrd &&
		     v[i].uaddr < (void *)(shrd + PGSZ)))
			continue;
		r = x_wake(v[i].uaddr, INT_MAX,
			   v[i].flags & ~ALTFUTEX_PRIVATE);
		if (r)
			t_fail("%s: a non-PRIVATE wake of private word %u: %d (%s)",
			       when, i, r, t_err(r));
	}
}

/* ---- which word, and -EAGAIN -------------------------------------------- */

static void check_index(void)
{
	struct altfutex_waiter v[8];
	struct x_waiter w;
	char what[64];
	int i;

	vec8(v);
	for (i = 0; i < 8; i++) {
		snprintf(what, sizeof(what), "waitv woken on word %d", i);
		x_waitv_start(&w, v, 8, T_SAFETY_MS, what);
		/* a waitv waiter matches any mask */
		CHECK_RET(altfutex_wake2(v[i].uaddr, 1u << (i * 4), INT_MAX,
					 v[i].flags), 1);
		x_expect_within(&w, i, 10000);
		expect_empty(v, 8, what);
	}
	t_log("ok: 8 mixed words: a wake of word i returns i, nothing left queued");

	/* the first API's wake finds a vector on a U32 word too */
	x_waitv_start(&w, v, 8, T_SAFETY_MS, "waitv woken by altfutex_wake");
	CHECK_RET(altfutex_wake(v[7].uaddr, 1, v[7].flags), 1);
	x_expect_within(&w, 7, 10000);
	expect_empty(v, 8, "after altfutex_wake");
	t_log("ok: altfutex_wake() of a U32 word wakes the vector: index 7");
}

static void check_eagain(void)
{
	struct altfutex_waiter v[8], bad[8];
	struct timespec ts = t_ts_ms(T_SAFETY_MS);
	uint64_t flip;
	int i;

	vec8(v);
	for (i = 0; i < 8; i++) {
		memcpy(bad, v, sizeof(bad));
		bad[i].val ^= 1;
		CHECK_RET(altfutex_waitv(bad, 8, &ts, 0), -EAGAIN);
		expect_empty(v, 8, "after -EAGAIN");
		/* the word changed rather than the expected value */
		x_store(v[i].uaddr, v[i].val ^ 0x80, v[i].flags);
		CHECK_RET(altfutex_waitv(v, 8, &ts, 0), -EAGAIN);
		x_store(v[i].uaddr, v[i].val, v[i].flags);
		expect_empty(v, 8, "after -EAGAIN");
	}
	/* only the high half of a U64 differs */
	for (i = 3; i <= 4; i++) {
		memcpy(bad, v, sizeof(bad));
		flip = 1ULL << 40;
		bad[i].val ^= flip;
		CHECK_RET(altfutex_waitv(bad, 8, &ts, 0), -EAGAIN);
		expect_empty(v, 8, "after -EAGAIN on a U64's high half");
	}
	t_log("ok: any word differs (or a U64's high half): -EAGAIN, none queued");
}

/* ---- bounds and errors ---------------------------------------------------- */

static int raw_waitv(const struct altfutex_vec *words, uint32_t nr,
		     uint32_t flags, const struct altfutex_timespec *ts)
{
	struct altfutex_waitv_args args;
	int fd = altfutex_open(), r;

	CHECK(fd >= 0, "altfutex_open: %s", t_err(fd));
	memset(&args, 0, sizeof(args));
	args.words = (uintptr_t)words;
	args.nr = nr;
	args.flags = flags;
	if (ts)
		args.timeout = *ts;
	r = ioctl(fd, ALTFUTEX_IOC_WAITV, &args);
	return r < 0 ? -errno : r;
}

static void check_bounds(void)
{
	static struct altfutex_waiter v[ALTFUTEX_VEC_MAX + 1];
	static struct altfutex_vec raw[ALTFUTEX_VEC_MAX + 1];
	struct timespec ts = t_ts_ms(T_SAFETY_MS);
	struct altfutex_timespec deadline;
	uint32_t *words = t_map(1, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	void *hole = t_map(1, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	static const int which[] = { 127, 0, 64 };
	struct x_waiter w;
	size_t i;
	int64_t now;

	CHECK(!munmap(hole, PGSZ), "munmap");
	for (i = 0; i <= ALTFUTEX_VEC_MAX; i++) {
		words[i] = i;
		v[i].uaddr = &words[i];
		v[i].val = i;
		v[i].flags = i & 1 ? ALTFUTEX_PRIVATE : 0;
		raw[i].uaddr = (uintptr_t)&words[i];
		raw[i].val = i;
		raw[i].flags = v[i].flags;
	}
	CHECK_RET(altfutex_waitv(v, 0, &ts, 0), -EINVAL);
	CHECK_RET(altfutex_waitv(v, ALTFUTEX_VEC_MAX + 1, &ts, 0), -EINVAL);
	for (i = 0; i < ARRAY_SIZE(which); i++) {
		x_waitv_start(&w, v, ALTFUTEX_VEC_MAX, T_SAFETY_MS,
			      "waitv of 128 words");
		CHECK_RET(altfutex_wake(&words[which[i]], 1, v[which[i]].flags),
			  1);
		x_expect_within(&w, which[i], 10000);
		expect_empty(v, ALTFUTEX_VEC_MAX, "after a 128-word waitv");
	}
	t_log("ok: n = 0, 129: -EINVAL; n = 128 returns 127, 0, 64 as woken");

	/* the ioctl itself */
	now = t_now_ns(CLOCK_MONOTONIC) + 5 * NSEC_PER_SEC;
	deadline.tv_sec = now / NSEC_PER_SEC;
	deadline.tv_nsec = now % NSEC_PER_SEC;
	CHECK_RET(raw_waitv(raw, 0, 0, NULL), -EINVAL);
	CHECK_RET(raw_waitv(raw, ALTFUTEX_VEC_MAX + 1, 0, NULL), -EINVAL);
	CHECK_RET(raw_waitv(raw, 1, ALTFUTEX_PRIVATE, NULL), -EINVAL);
	CHECK_RET(raw_waitv(raw, 1, 1u << 5, NULL), -EINVAL);
	/* timeout fields without ALTFUTEX_TIMEOUT are reserved */
	CHECK_RET(raw_waitv(raw, 1, 0, &deadline), -EINVAL);
	CHECK_RET(raw_waitv(hole, 1, ALTFUTEX_TIMEOUT | ALTFUTEX_ABSTIME,
			    &deadline), -EFAULT);
	CHECK_RET(raw_waitv((void *)((char *)hole - 8), 2,
			    ALTFUTEX_TIMEOUT | ALTFUTEX_ABSTIME, &deadline),
		  -EFAULT);
	raw[1].val = 77;
	CHECK_RET(raw_waitv(raw, 2, ALTFUTEX_TIMEOUT | ALTFUTEX_ABSTIME,
			    &deadline), -EAGAIN);
	raw[1].val = 1;
	deadline.tv_sec = 0;
	deadline.tv_nsec = 0;
	CHECK_RET(raw_waitv(raw, 2, ALTFUTEX_TIMEOUT | ALTFUTEX_ABSTIME,
			    &deadline), -ETIMEDOUT);
	expect_empty(v, 2, "after the raw ioctls");
	t_log("ok: raw WAITV: bad nr, flags, timeout: -EINVAL; bad vector: -EFAULT");
}

/* One bad entry @i of the mixed vector: -EINVAL, and nothing queued. */
static void expect_einval(struct altfutex_waiter *bad, int i,
			  const char *what)
{
	struct altfutex_waiter v[8];
	struct timespec ts = t_ts_ms(T_SAFETY_MS);
	int r;

	vec8(v);
	r = altfutex_waitv(bad, 8, &ts, 0);
	if (r != -EINVAL)
		t_fail("entry %d %s: waitv returned %d (%s), expected -EINVAL",
		       i, what, r, t_err(r));
	expect_empty(v, 8, what);
}

static void check_einval(void)
{
	static const unsigned int badflags[] = {
		ALTFUTEX_ABSTIME, ALTFUTEX_CLOCK_REALTIME, 1u << 5, 1u << 8,
		1u << 31,
	};
	struct altfutex_waiter v[8], bad[8];
	struct timespec ts = t_ts_ms(T_SAFETY_MS);
	static const int at[] = { 0, 5, 7 };
	size_t f, k;
	int i;

	vec8(v);
	for (k = 0; k < ARRAY_SIZE(at); k++) {
		i = at[k];
		for (f = 0; f < ARRAY_SIZE(badflags); f++) {
			memcpy(bad, v, sizeof(bad));
			bad[i].flags |= badflags[f];
			expect_einval(bad, i, "with an unknown flag");
		}
	}
	/* misaligned words: U16 at 1, U32 at 2, U64 at 4 */
	memcpy(bad, v, sizeof(bad));
	bad[1].uaddr = shrd + 1;
	expect_einval(bad, 1, "a U16 at an odd address");
	memcpy(bad, v, sizeof(bad));
	bad[2].uaddr = priv + 6;
	expect_einval(bad, 2, "a U32 at 2 mod 4");
	memcpy(bad, v, sizeof(bad));
	bad[7].uaddr = shrd + 42;
	expect_einval(bad, 7, "a U32 at 2 mod 4");
	memcpy(bad, v, sizeof(bad));
	bad[3].uaddr = shrd + 12;
	expect_einval(bad, 3, "a U64 at 4 mod 8");
	memcpy(bad, v, sizeof(bad));
	bad[4].uaddr = priv + 18;
	expect_einval(bad, 4, "a U64 at 2 mod 8");
	/* values beyond the size */
	memcpy(bad, v, sizeof(bad));
	bad[0].val = 0x111;
	expect_einval(bad, 0, "a U8 value of 0x111");
	memcpy(bad, v, sizeof(bad));
	bad[1].val = 0x12222;
	expect_einval(bad, 1, "a U16 value of 0x12222");
	memcpy(bad, v, sizeof(bad));
	bad[2].val = 0x133333333ULL;
	expect_einval(bad, 2, "a U32 value of 0x133333333");
	/* the call's flags, and the timeout */
	CHECK_RET(altfutex_waitv(v, 8, &ts, ALTFUTEX_PRIVATE), -EINVAL);
	CHECK_RET(altfutex_waitv(v, 8, &ts, ALTFUTEX_SIZE_U64), -EINVAL);
	CHECK_RET(altfutex_waitv(v, 8, &ts, 1u << 5), -EINVAL);
	ts.tv_nsec = NSEC_PER_SEC;
	CHECK_RET(altfutex_waitv(v, 8, &ts, 0), -EINVAL);
	ts.tv_sec = -1;
	ts.tv_nsec = 0;
	CHECK_RET(altfutex_waitv(v, 8, &ts, 0), -EINVAL);
	expect_empty(v, 8, "after bad call flags");
	t_log("ok: bad entry flags, alignment, value; call flags, timeout: -EINVAL");
}

static void check_efault(void)
{
	struct altfutex_waiter v[8], bad[8];
	struct timespec ts = t_ts_ms(T_SAFETY_MS);
	char *hole = t_map(1, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	static const int at[] = { 0, 6, 7 };
	size_t k;
	int i;

	CHECK(!munmap(hole, PGSZ), "munmap");
	vec8(v);
	for (k = 0; k < ARRAY_SIZE(at); k++) {
		i = at[k];
		memcpy(bad, v, sizeof(bad));
		bad[i].uaddr = hole + 8;
		bad[i].flags = ALTFUTEX_SIZE_U32;
		CHECK_RET(altfutex_waitv(bad, 8, &ts, 0), -EFAULT);
		bad[i].flags = ALTFUTEX_SIZE_U64 | ALTFUTEX_PRIVATE;
		CHECK_RET(altfutex_waitv(bad, 8, &ts, 0), -EFAULT);
		expect_empty(v, 8, "after -EFAULT");
	}
	t_log("ok: an unmapped word (first, middle, last): -EFAULT, none queued");
}

/* ---- timeouts and signals ------------------------------------------------ */

/*
 * waitv on the mixed vector with @ts, @flags must give -ETIMEDOUT no
 * earlier than @deadline on @clk (0: relative, from before the call).
 */
static void expect_timeout(const char *what, const struct timespec *ts,
			   unsigned int flags, clockid_t clk, int64_t deadline)
{
	struct altfutex_waiter v[8];
	int64_t t0, t1;
	int r;

	vec8(v);
	t0 = t_now_ns(clk);
	if (!deadline)
		deadline = t0 + ts->tv_sec * NSEC_PER_SEC + ts->tv_nsec;
	r = altfutex_waitv(v, 8, ts, flags);
	t1 = t_now_ns(clk);
	if (r != -ETIMEDOUT)
		t_fail("%s: waitv returned %d (%s), expected -ETIMEDOUT", what,
		       r, t_err(r));
	if (t1 < deadline)
		t_fail("%s: returned %lld us before the deadline", what,
		       (long long)((deadline - t1) / 1000));
	if (deadline < t0)
		deadline = t0;
	if (t1 > deadline + LATE_MS * NSEC_PER_MSEC)
		t_fail("%s: returned %lld ms after the deadline (limit %d ms)",
		       what, (long long)((t1 - deadline) / NSEC_PER_MSEC),
		       LATE_MS);
	expect_empty(v, 8, what);
	t_log("ok: %s: -ETIMEDOUT %lld ms after the deadline, nothing queued",
	      what, (long long)((t1 - deadline) / NSEC_PER_MSEC));
}

static void check_timeouts(void)
{
	struct timespec ts = t_ts_ms(300), zero = { 0, 0 }, abs;
	int64_t d;

	expect_timeout("relative 300 ms", &ts, 0, CLOCK_MONOTONIC, 0);
	expect_timeout("relative 0", &zero, 0, CLOCK_MONOTONIC, 0);
	d = t_now_ns(CLOCK_MONOTONIC) + 300 * NSEC_PER_MSEC;
	abs = t_ts_ns(d);
	expect_timeout("ABSTIME MONOTONIC +300 ms", &abs, ALTFUTEX_ABSTIME,
		       CLOCK_MONOTONIC, d);
	d = t_now_ns(CLOCK_REALTIME) + 300 * NSEC_PER_MSEC;
	abs = t_ts_ns(d);
	expect_timeout("ABSTIME REALTIME +300 ms", &abs,
		       ALTFUTEX_ABSTIME | ALTFUTEX_CLOCK_REALTIME,
		       CLOCK_REALTIME, d);
	d = t_now_ns(CLOCK_MONOTONIC) - NSEC_PER_SEC;
	abs = t_ts_ns(d);
	expect_timeout("ABSTIME MONOTONIC in the past", &abs,
		       ALTFUTEX_ABSTIME, CLOCK_MONOTONIC, d);
}

static int handled;

static void on_signal(int sig)
{
	(void)sig;
	__atomic_fetch_add(&handled, 1, __ATOMIC_SEQ_CST);
}

static void check_eintr(void)
{
	struct altfutex_waiter v[8];
	struct sigaction sa;
	struct x_waiter w;
	int i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	CHECK(!sigaction(SIGUSR1, &sa, NULL), "sigaction: %s",
	      strerror(errno));
	vec8(v);
	for (i = 0; i < 2; i++) {
		x_waitv_start(&w, v, 8, i ? T_SAFETY_MS : -1,
			      "waitv, signalled");
		CHECK(!pthread_kill(w.thread, SIGUSR1), "pthread_kill");
		x_expect_within(&w, -EINTR, 10000);
		CHECK(__atomic_load_n(&handled, __ATOMIC_SEQ_CST) == i + 1,
		      "the handler ran %d times", handled);
		expect_empty(v, 8, "after -EINTR");
	}
	t_log("ok: a handled signal (no SA_RESTART): -EINTR, none queued");
}

/*
 * A stop (SIGSTOP, then SIGCONT: no handler runs) of a child asleep in
 * waitv: through the library, whose deadline is absolute, the wait goes
 * on and a later wake of word 2 ends it; through the ioctl with a
 * relative timeout it ends with -EINTR (the header's WAITV rule).
 */
static void stop_child(const struct altfutex_waiter *v, int raw)
{
	struct altfutex_vec words[3];
	struct timespec ts = t_ts_ms(T_SAFETY_MS);
	struct altfutex_timespec rel = { T_SAFETY_MS / 1000, 0 };
	int i, r;

	if (!raw) {
		r = altfutex_waitv(v, 3, &ts, 0);
		CHECK(r == 2, "library waitv across a stop returned %d (%s), expected 2",
		      r, t_err(r));
		_exit(T_PASS);
	}
	for (i = 0; i < 3; i++) {
		words[i].uaddr = (uintptr_t)v[i].uaddr;
		words[i].val = v[i].val;
		words[i].flags = v[i].flags;
		words[i].nr_wake = 0;
	}
	r = raw_waitv(words, 3, ALTFUTEX_TIMEOUT, &rel);
	CHECK(r == -EINTR, "raw waitv, relative, across a stop returned %d (%s)",
	      r, t_err(r));
	_exit(T_PASS);
}

static void check_stop(void)
{
	uint32_t *w = (uint32_t *)(shrd + 256);
	struct altfutex_waiter v[3];
	int raw, st;
	pid_t pid;

	for (raw = 0; raw < 2; raw++) {
		w[0] = 1;
		w[1] = 2;
		w[2] = 3;
		for (st = 0; st < 3; st++)
			v[st] = (struct altfutex_waiter){ &w[st], st + 1, 0, 0 };
		pid = t_fork();
		if (!pid)
			stop_child(v, raw);
		t_wait_asleep(pid, pid);
		CHECK(!kill(pid, SIGSTOP), "SIGSTOP: %s", strerror(errno));
		while (t_task_state(pid, pid) != 'T')
			t_sleep_ms(1);
		CHECK(!kill(pid, SIGCONT), "SIGCONT: %s", strerror(errno));
		if (!raw) {
			t_sleep_ms(100);
			t_wait_asleep(pid, pid);
			CHECK_RET(altfutex_wake(&w[2], INT_MAX, 0), 1);
		}
		st = t_reap(pid);
		CHECK(st == T_PASS, "the stopped child exited with %d", st);
		expect_empty(v, 3, "after a stop");
	}
	t_log("ok: a stop: the library's waitv sleeps on, the raw relative one -EINTR");
}

/* ---- order, processes, duplicates ---------------------------------------- */

/*
 * On the word at @word (8-aligned, @pf: ALTFUTEX_PRIVATE or 0), queued
 * in this order: vectors, altfutex_wait() and wait2 waiters of several
 * sizes; one wake(1) at a time must take them in that order.
 */
static void check_fifo(char *base, unsigned int pf, const char *mem)
{
	enum { NQ = 7 };
	struct altfutex_waiter va[2], vb[3], vc[1], vd[2];
	uint32_t *word = (uint32_t *)(base + 64);
	char *a = base + 72, *b = base + 80, *c = base + 88;
	struct x_waiter w[NQ];
	int i, want;

	memset(base + 64, 0, 32);
	*word = 5;
	va[0] = (struct altfutex_waiter){ word, 5, pf, 0 };
	va[1] = (struct altfutex_waiter){ a, 0, pf | ALTFUTEX_SIZE_U8, 0 };
	vb[0] = (struct altfutex_waiter){ b, 0, pf | ALTFUTEX_SIZE_U64, 0 };
	vb[1] = (struct altfutex_waiter){ c, 0, pf | ALTFUTEX_SIZE_U16, 0 };
	vb[2] = (struct altfutex_waiter){ word, 5, pf, 0 };
	vc[0] = (struct altfutex_waiter){ word, 5, pf, 0 };
	vd[0] = (struct altfutex_waiter){ a, 0, pf | ALTFUTEX_SIZE_U8, 0 };
	vd[1] = (struct altfutex_waiter){ word, 5, pf | ALTFUTEX_SIZE_U64, 0 };

	x_waitv_init(&w[0], va, 2, 0, T_SAFETY_MS, "fifo 0: vector [W, a]");
	x_wait_init(&w[1], X_WAIT, word, 5, pf, T_SAFETY_MS,
		    "fifo 1: altfutex_wait");
	x_waitv_init(&w[2], vb, 3, 0, T_SAFETY_MS,
		     "fifo 2: vector [b, c, W]");
	x_wait_init(&w[3], X_WAIT2, word, 5, pf | ALTFUTEX_SIZE_U8,
		    T_SAFETY_MS, "fifo 3: wait2 U8");
	x_waitv_init(&w[4], vc, 1, 0, T_SAFETY_MS, "fifo 4: vector [W]");
	x_wait_init(&w[5], X_WAIT2, word, 5, pf, T_SAFETY_MS,
		    "fifo 5: wait2 U32");
	x_waitv_init(&w[6], vd, 2, 0, T_SAFETY_MS,
		     "fifo 6: vector [a, W U64]");
	x_order_reset();
	for (i = 0; i < NQ; i++) {
		w[i].id = i;
		x_start(&w[i]);
	}
	for (i = 0; i < NQ; i++) {
		CHECK_RET(altfutex_wake(word, 1, pf), 1);
		while (x_order_count() < i + 1)
			t_sleep_ms(1);
		CHECK(x_order_id(i) == i, "wake(1) number %d woke waiter %d",
		      i + 1, x_order_id(i));
		want = i == 0 ? 0 : i == 2 ? 2 : i == 6 ? 1 : 0;
		x_expect_within(&w[i], want, 10000);
	}
	CHECK_RET(altfutex_wake(word, INT_MAX, pf), 0);
	CHECK_RET(x_wake(a, INT_MAX, pf | ALTFUTEX_SIZE_U8), 0);
	CHECK_RET(x_wake(b, INT_MAX, pf | ALTFUTEX_SIZE_U64), 0);
	CHECK_RET(x_wake(c, INT_MAX, pf | ALTFUTEX_SIZE_U16), 0);
	t_log("ok: %s: 4 vectors, 3 plain waiters: woken in queueing order",
	      mem);
}

/* The child of check_process(): waits twice on its own mapping. */
static void process_child(int fd, char *parent_map)
{
	struct altfutex_waiter v[4];
	struct timespec ts = t_ts_ms(T_SAFETY_MS);
	static uint32_t own = 3;
	char *m;
	int r;

	m = mmap(NULL, PGSZ, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(m != MAP_FAILED, "mmap in the child: %s", strerror(errno));
	CHECK(m != parent_map, "the child's mapping is at the parent's address");
	v[0] = (struct altfutex_waiter){ &own, 3, ALTFUTEX_PRIVATE, 0 };
	v[1] = (struct altfutex_waiter){ m + 8, x_load(m + 8,
						       ALTFUTEX_SIZE_U64),
					 ALTFUTEX_SIZE_U64, 0 };
	v[2] = (struct altfutex_waiter){ m, x_load(m, 0), 0, 0 };
	v[3] = (struct altfutex_waiter){ m + 18, x_load(m + 18,
							ALTFUTEX_SIZE_U16),
					 ALTFUTEX_SIZE_U16, 0 };
	__atomic_store_n((uint32_t *)(m + 64), 1, __ATOMIC_SEQ_CST);
	r = altfutex_waitv(v, 4, &ts, 0);
	CHECK(r == 1, "the child's first waitv returned %d (%s), expected 1",
	      r, t_err(r));
	__atomic_store_n((uint32_t *)(m + 64), 2, __ATOMIC_SEQ_CST);
	r = altfutex_waitv(v, 4, &ts, 0);
	CHECK(r == 3, "the child's second waitv returned %d (%s), expected 3",
	      r, t_err(r));
	_exit(0);
}

static void check_process(void)
{
	int fd = t_memfd("ext_waitv", PGSZ);
	char *m = mmap(NULL, PGSZ, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	uint32_t *round;
	pid_t pid;
	int st;

	CHECK(m != MAP_FAILED, "mmap: %s", strerror(errno));
	round = (uint32_t *)(m + 64);
	x_store(m, 0xabcdef01, 0);
	x_store(m + 8, 0xfedcba9876543210ULL, ALTFUTEX_SIZE_U64);
	x_store(m + 18, 0x4321, ALTFUTEX_SIZE_U16);
	pid = t_fork();
	if (!pid)
		process_child(fd, m);
	while (__atomic_load_n(round, __ATOMIC_SEQ_CST) != 1)
		t_sleep_ms(1);
	t_wait_asleep(pid, pid);
	CHECK_RET(x_wake(m, INT_MAX, ALTFUTEX_PRIVATE), 0);
	CHECK_RET(x_wake(m + 8, INT_MAX, ALTFUTEX_SIZE_U64), 1);
	while (__atomic_load_n(round, __ATOMIC_SEQ_CST) != 2)
		t_sleep_ms(1);
	t_wait_asleep(pid, pid);
	CHECK_RET(x_wake(m + 18, INT_MAX, ALTFUTEX_SIZE_U16), 1);
	st = t_reap(pid);
	CHECK(st == 0, "the child exited with %d", st);
	CHECK_RET(x_wake(m, INT_MAX, 0), 0);
	CHECK_RET(x_wake(m + 8, INT_MAX, ALTFUTEX_SIZE_U64), 0);
	munmap(m, PGSZ);
	close(fd);
	t_log("ok: a child's waitv on a memfd mapped elsewhere: woken 1, then 3");
}

static void check_duplicate(void)
{
	uint32_t *word = (uint32_t *)(priv + 128), *other = word + 1;
	struct altfutex_waiter v[3];
	struct x_waiter w, plain;
	int r;

	*word = 0x1234;
	*other = 9;
	v[0] = (struct altfutex_waiter){ word, 0x1234, ALTFUTEX_PRIVATE, 0 };
	v[1] = (struct altfutex_waiter){ other, 9, ALTFUTEX_PRIVATE, 0 };
	v[2] = (struct altfutex_waiter){ word, 0x34,
					 ALTFUTEX_PRIVATE | ALTFUTEX_SIZE_U8,
					 0 };

	x_waitv_start(&w, v, 3, T_SAFETY_MS, "waitv [W, X, W]");
	CHECK_RET(altfutex_wake(word, INT_MAX, ALTFUTEX_PRIVATE), 1);
	r = x_join(&w);
	CHECK(r == 0 || r == 2, "waitv [W, X, W] returned %d (%s)", r,
	      t_err(r));
	CHECK_RET(altfutex_wake(word, INT_MAX, 0), 0);
	CHECK_RET(altfutex_wake(other, INT_MAX, 0), 0);

	/* wake(2) takes the vector once, then the plain waiter behind it */
	x_waitv_start(&w, v, 3, T_SAFETY_MS, "waitv [W, X, W]");
	x_wait_start(&plain, X_WAIT, word, 0x1234, ALTFUTEX_PRIVATE,
		     T_SAFETY_MS, "plain waiter behind the vector");
	CHECK_RET(altfutex_wake(word, 2, ALTFUTEX_PRIVATE), 2);
	r = x_join(&w);
	CHECK(r == 0 || r == 2, "waitv [W, X, W] returned %d (%s)", r,
	      t_err(r));
	x_expect_within(&plain, 0, 10000);
	CHECK_RET(altfutex_wake(word, INT_MAX, 0), 0);
	CHECK_RET(altfutex_wake(other, INT_MAX, 0), 0);
	t_log("ok: a word twice in a vector (U32, U8): counted once by a wake");
}

/* ---- the counting stress ------------------------------------------------- */

#define ST_WAITERS 8
/*
 * Per pass.  The 32-bit build is there for the compat ABI, which the
 * first 500 ms exercise as well as 2 s: it keeps CI's time for the rest.
 */
#define ST_MS (sizeof(void *) == 4 ? 500 : 2000)

struct stress {
	struct altfutex_waiter v[8];	/* the words; val is set per wait */
	unsigned int k;
	uint32_t gen;			/* what every word holds */
	int stop;
	long woken_at[8];	/* waits that returned index j */
	long waked[8];		/* what the wakes of word j returned */
	long final[8];		/* the same, after the stop */
	long wakes;		/* wake calls */
	long eagain;
	long waits;
	int bad;		/* a return that no wait or wake may give */
	int bad_who;
};

struct st_thread {
	pthread_t thread;
	struct stress *s;
	unsigned int j;		/* a waker's word */
	int done;
};

static void st_bad(struct stress *s, int r, int who)
{
	int zero = 0;

	if (__atomic_compare_exchange_n(&s->bad, &zero, r ? r : INT_MIN, 0,
					__ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
		s->bad_who = who;
}

static void *st_waiter(void *arg)
{
	struct st_thread *t = arg;
	struct stress *s = t->s;
	struct timespec ts = t_ts_ms(T_SAFETY_MS);
	struct altfutex_waiter v[8];
	unsigned int j;
	uint32_t g;
	int r;

	memcpy(v, s->v, sizeof(v));
	while (!__atomic_load_n(&s->stop, __ATOMIC_SEQ_CST)) {
		g = __atomic_load_n(&s->gen, __ATOMIC_SEQ_CST);
		for (j = 0; j < s->k; j++)
			v[j].val = g;
		r = altfutex_waitv(v, s->k, &ts, 0);
		__atomic_fetch_add(&s->waits, 1, __ATOMIC_SEQ_CST);
		if (r >= 0 && r < (int)s->k) {
			__atomic_fetch_add(&s->woken_at[r], 1,
					   __ATOMIC_SEQ_CST);
		} else if (r == -EAGAIN) {
			__atomic_fetch_add(&s->eagain, 1, __ATOMIC_SEQ_CST);
		} else {
			st_bad(s, r, 1);
			break;
		}
	}
	__atomic_store_n(&t->done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

static int st_wake(struct stress *s, unsigned int j, int nr)
{
	const struct altfutex_waiter *e = &s->v[j];

	if (x_size(e->flags) == 4)
		return altfutex_wake(e->uaddr, nr, e->flags);
	return x_wake(e->uaddr, nr, e->flags);
}

static void *st_waker(void *arg)
{
	struct st_thread *t = arg;
	struct stress *s = t->s;
	int r;

	while (!__atomic_load_n(&s->stop, __ATOMIC_SEQ_CST)) {
		r = st_wake(s, t->j, 1);
		__atomic_fetch_add(&s->wakes, 1, __ATOMIC_SEQ_CST);
		if (r == 1)
			__atomic_fetch_add(&s->waked[t->j], 1,
					   __ATOMIC_SEQ_CST);
		else if (r == 0)
			sched_yield();
		else
			st_bad(s, r, 2);
	}
	return NULL;
}

static void st_start(pthread_t *th, void *(*fn)(void *), void *arg)
{
	int err = pthread_create(th, NULL, fn, arg);

	if (err)
		t_fail("pthread_create: %s", strerror(err));
}

/*
 * ST_WAITERS threads waitv on the @k words of @s while one thread per
 * word wakes it one waiter at a time, for ST_MS; then the words change
 * and are woken until every waiter has left.  Per word, the wakes must
 * have returned exactly as many as the waits that returned its index.
 */
static void stress_run(struct stress *s, const char *what)
{
	struct st_thread wt[ST_WAITERS], kt[8];
	int64_t end;
	long total = 0, total_final = 0, n_done;
	unsigned int j;
	int i, r;

	s->gen = 1;
	for (j = 0; j < s->k; j++)
		x_store(s->v[j].uaddr, s->gen, s->v[j].flags);
	for (i = 0; i < ST_WAITERS; i++) {
		wt[i].s = s;
		wt[i].done = 0;
		st_start(&wt[i].thread, st_waiter, &wt[i]);
	}
	for (j = 0; j < s->k; j++) {
		kt[j].s = s;
		kt[j].j = j;
		st_start(&kt[j].thread, st_waker, &kt[j]);
	}
	t_sleep_ms(ST_MS);
	__atomic_store_n(&s->stop, 1, __ATOMIC_SEQ_CST);
	for (j = 0; j < s->k; j++)
		pthread_join(kt[j].thread, NULL);

	/* every waiter leaves: it sees the new words, or a wake */
	__atomic_store_n(&s->gen, 2, __ATOMIC_SEQ_CST);
	for (j = 0; j < s->k; j++)
		x_store(s->v[j].uaddr, 2, s->v[j].flags);
	end = t_now_ns(CLOCK_MONOTONIC) + 20 * NSEC_PER_SEC * t_time_scale();
	for (;;) {
		for (j = 0; j < s->k; j++) {
			r = st_wake(s, j, INT_MAX);
			if (r < 0)
				st_bad(s, r, 3);
			else
				s->final[j] += r;
		}
		n_done = 0;
		for (i = 0; i < ST_WAITERS; i++)
			n_done += __atomic_load_n(&wt[i].done,
						  __ATOMIC_SEQ_CST);
		if (n_done == ST_WAITERS)
			break;
		if (t_now_ns(CLOCK_MONOTONIC) > end)
			t_fail("%s: %ld of %d waiters still wait 20 s after the stop (lost?)",
			       what, ST_WAITERS - n_done, ST_WAITERS);
		t_sleep_ms(2);
	}
	for (i = 0; i < ST_WAITERS; i++)
		pthread_join(wt[i].thread, NULL);

	if (s->bad)
		t_fail("%s: a %s returned %d (%s)", what,
		       s->bad_who == 1 ? "waitv" : "wake",
		       s->bad == INT_MIN ? 0 : s->bad, t_err(s->bad));
	for (j = 0; j < s->k; j++) {
		if (s->waked[j] + s->final[j] != s->woken_at[j])
			t_fail("%s: word %u: wakes %ld + %ld, waits woken %ld",
			       what, j, s->waked[j], s->final[j],
			       s->woken_at[j]);
		total += s->waked[j];
		total_final += s->final[j];
	}
	CHECK(s->eagain <= ST_WAITERS,
	      "%s: %ld waits returned -EAGAIN, at most %d may (one each, at the stop)",
	      what, s->eagain, ST_WAITERS);
	CHECK(total >= ST_WAITERS,
	      "%s: only %ld waiters woken in %d ms", what, total, ST_MS);
	t_log("ok: %s: %d waiters, %u wakers, %d ms", what, ST_WAITERS, s->k,
	      ST_MS);
	t_log("ok: %ld waits, %ld wakes; woken %ld + %ld at the stop", s->waits,
	      s->wakes, total, total_final);
	t_log("ok: = the waits that returned each index; %ld -EAGAIN",
	      s->eagain);
}

static void check_stress(void)
{
	static struct stress s1, s2;
	uint32_t *pw = (uint32_t *)(priv + 1024);
	char *sw = shrd + 1024;
	unsigned int j;

	/* K = 4 private U32 words, waited and woken with ALTFUTEX_PRIVATE */
	s1.k = 4;
	for (j = 0; j < s1.k; j++) {
		s1.v[j].uaddr = &pw[j * 16];
		s1.v[j].flags = ALTFUTEX_PRIVATE;
	}
	stress_run(&s1, "stress, 4 private U32 words");

	/* K = 8 shared words of every size, and two private ones */
	s2.k = 8;
	for (j = 0; j < s2.k; j++) {
		s2.v[j].uaddr = sw + j * 8;
		s2.v[j].flags = (j & 3) * ALTFUTEX_SIZE_U8;
	}
	s2.v[6].uaddr = priv + 2048;
	s2.v[6].flags |= ALTFUTEX_PRIVATE;
	s2.v[7].uaddr = priv + 2056;
	stress_run(&s2, "stress, 8 words of 4 sizes, shared and private");
}

int main(void)
{
	t_init("ext_waitv", 240);

	priv = t_map(1, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	shrd = t_map(1, PROT_READ | PROT_WRITE, MAP_SHARED);
	check_index();
	check_eagain();
	check_bounds();
	check_einval();
	check_efault();
	check_timeouts();
	check_eintr();
	check_stop();
	check_fifo(priv, ALTFUTEX_PRIVATE, "private, ALTFUTEX_PRIVATE");
	check_fifo(shrd, 0, "MAP_SHARED");
	check_process();
	check_duplicate();
	check_stress();
	t_log("PASS");
	return T_PASS;
}
