// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * timeout: relative timeouts (CLOCK_MONOTONIC), absolute ones on
 * CLOCK_MONOTONIC and on CLOCK_REALTIME return -ETIMEDOUT never before the
 * deadline (exact lower bound) and not much after it (a generous upper
 * bound, for an emulated VM); a zero timeout and a deadline in the past
 * time out at once; huge timeouts do not overflow into an early expiry; a
 * waiter that timed out is no longer queued; an absolute CLOCK_REALTIME
 * wait follows a clock_settime() (when allowed to set the clock).
 */
#include "helpers.h"

/* how late a timeout may fire: TCG makes system calls 10-50x slower */
#define LATE_MS 400

static uint32_t word;

static const char *clk_name(clockid_t clk)
{
	return clk == CLOCK_REALTIME ? "REALTIME" : "MONOTONIC";
}

/*
 * Wait on @word (holding 0) with @ts and @flags; it must time out no
 * earlier than @deadline on @clk (0: relative, the deadline is then the
 * time before the call plus @ts) and at most LATE_MS after it.
 */
static void expect_timeout(const char *what, const struct timespec *ts,
			   unsigned int flags, clockid_t clk, int64_t deadline)
{
	int64_t t0, t1;
	int r;

	word = 0;
	t0 = t_now_ns(clk);
	if (!deadline)
		deadline = t0 + ts->tv_sec * NSEC_PER_SEC + ts->tv_nsec;
	r = altfutex_wait(&word, 0, ts, flags);
	t1 = t_now_ns(clk);
	if (r != -ETIMEDOUT)
		t_fail("%s: wait returned %d (%s), expected -ETIMEDOUT", what,
		       r, t_err(r));
	if (t1 < deadline)
		t_fail("%s: returned %lld us before the deadline", what,
		       (long long)((deadline - t1) / 1000));
	if (deadline < t0)
		deadline = t0;	/* in the past: must return at once */
	if (t1 > deadline + LATE_MS * NSEC_PER_MSEC)
		t_fail("%s: returned %lld ms after the deadline (limit %d ms)",
		       what, (long long)((t1 - deadline) / NSEC_PER_MSEC),
		       LATE_MS);
	/* it timed out: nothing is left queued */
	CHECK_RET(altfutex_wake(&word, 1, flags & ALTFUTEX_PRIVATE), 0);
	t_log("ok: %s: -ETIMEDOUT %lld.%03lld ms after the deadline on %s",
	      what, (long long)((t1 - deadline) / NSEC_PER_MSEC),
	      (long long)((t1 - deadline) / 1000 % 1000), clk_name(clk));
}

static void check_relative(unsigned int pflag)
{
	struct timespec ts;

	ts = t_ts_ms(100);
	expect_timeout("relative 100 ms", &ts, pflag, CLOCK_MONOTONIC, 0);
	ts.tv_sec = 0;
	ts.tv_nsec = 250 * NSEC_PER_MSEC + 999;
	expect_timeout("relative 250.000999 ms", &ts, pflag, CLOCK_MONOTONIC,
		       0);
	ts.tv_sec = 0;
	ts.tv_nsec = 999999999;
	expect_timeout("relative 0.999999999 s", &ts, pflag, CLOCK_MONOTONIC,
		       0);
	ts.tv_sec = 0;
	ts.tv_nsec = 1;
	expect_timeout("relative 1 ns", &ts, pflag, CLOCK_MONOTONIC, 0);
	ts.tv_sec = 0;
	ts.tv_nsec = 0;
	expect_timeout("relative zero", &ts, pflag, CLOCK_MONOTONIC, 0);
	/* CLOCK_REALTIME without ABSTIME: still relative, on MONOTONIC */
	ts = t_ts_ms(100);
	expect_timeout("relative 100 ms with ALTFUTEX_CLOCK_REALTIME", &ts,
		       pflag | ALTFUTEX_CLOCK_REALTIME, CLOCK_MONOTONIC, 0);
}

static void check_absolute(unsigned int pflag, clockid_t clk)
{
	unsigned int flags = pflag | ALTFUTEX_ABSTIME;
	struct timespec ts;
	int64_t dl;
	char what[96];

	if (clk == CLOCK_REALTIME)
		flags |= ALTFUTEX_CLOCK_REALTIME;

	dl = t_now_ns(clk) + 150 * NSEC_PER_MSEC;
	ts = t_ts_ns(dl);
	snprintf(what, sizeof(what), "absolute %s now+150 ms", clk_name(clk));
	expect_timeout(what, &ts, flags, clk, dl);

	dl = t_now_ns(clk) + 1;
	ts = t_ts_ns(dl);
	snprintf(what, sizeof(what), "absolute %s now+1 ns", clk_name(clk));
	expect_timeout(what, &ts, flags, clk, dl);

	dl = t_now_ns(clk) - NSEC_PER_SEC;
	ts = t_ts_ns(dl);
	snprintf(what, sizeof(what), "absolute %s 1 s in the past",
		 clk_name(clk));
	expect_timeout(what, &ts, flags, clk, dl);

	ts.tv_sec = 0;
	ts.tv_nsec = 0;
	snprintf(what, sizeof(what), "absolute %s zero (the epoch)",
		 clk_name(clk));
	/* deadline 1 ns: the epoch, long past (0 would mean relative) */
	expect_timeout(what, &ts, flags, clk, 1);
}

/* A timeout far in the future must sleep, not overflow into the past. */
static void check_huge(unsigned int pflag)
{
	static const struct {
		int64_t sec;
		unsigned int flags;
		const char *what;
	} c[] = {
		{ INT64_MAX, 0, "relative INT64_MAX s" },
		{ INT64_MAX / 1000000000 + 1, 0,
		  "relative just past KTIME_MAX" },
		{ INT64_MAX / 2, 0, "relative INT64_MAX/2 s" },
		{ INT64_MAX, ALTFUTEX_ABSTIME,
		  "absolute MONOTONIC INT64_MAX s" },
		{ INT64_MAX, ALTFUTEX_ABSTIME | ALTFUTEX_CLOCK_REALTIME,
		  "absolute REALTIME INT64_MAX s" },
		{ 1LL << 40, ALTFUTEX_ABSTIME | ALTFUTEX_CLOCK_REALTIME,
		  "absolute REALTIME 2^40 s" },
	};
	struct t_waiter w;
	struct timespec ts;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(c); i++) {
		ts.tv_sec = (time_t)c[i].sec;
		ts.tv_nsec = 999999999;
		word = 0;
		t_waiter_start_ts(&w, &word, 0, c[i].flags | pflag, &ts,
				  c[i].what);
		t_waiter_check_asleep(&w, 20);
		CHECK_RET(altfutex_wake(&word, 1, pflag), 1);
		t_waiter_expect(&w, 0);
	}
	t_log("ok: flags %#x: huge timeouts (up to INT64_MAX s) sleep until woken",
	      pflag);
}

/*
 * A waiter that timed out leaves the queue: with a second waiter queued
 * behind it, the next wake(1) goes to the second one.
 */
static void check_dequeued(unsigned int pflag)
{
	struct t_waiter a, b;

	word = 0;
	t_waiter_start(&a, &word, 0, pflag, 200, "timed waiter");
	t_waiter_start(&b, &word, 0, pflag, T_SAFETY_MS, "second waiter");
	t_waiter_expect(&a, -ETIMEDOUT);
	CHECK(a.t_end - a.t_start >= 200 * NSEC_PER_MSEC,
	      "timed out after %lld ms",
	      (long long)((a.t_end - a.t_start) / NSEC_PER_MSEC));
	CHECK_RET(altfutex_wake(&word, 1, pflag), 1);
	t_waiter_expect_within(&b, 0, 5000);
	CHECK_RET(altfutex_wake(&word, 1, pflag), 0);
	t_log("ok: a timed-out waiter left the queue; wake(1) went to the waiter behind it");
}

/*
 * An absolute CLOCK_REALTIME deadline follows the clock: setting the clock
 * past it expires the wait; setting it back delays it.  Relative and
 * MONOTONIC waits do not care.  Needs CAP_SYS_TIME; the clock is restored.
 */
static void check_clock_set(void)
{
	static uint32_t word2;
	struct t_waiter r, m;
	struct timespec ts;
	int64_t r0, m0, dl;

	r0 = t_now_ns(CLOCK_REALTIME);
	m0 = t_now_ns(CLOCK_MONOTONIC);
	ts = t_ts_ns(r0);
	if (clock_settime(CLOCK_REALTIME, &ts)) {
		t_log("clock_settime: %s: CLOCK_REALTIME jumps not checked",
		      strerror(errno));
		return;
	}

	/* forward: a deadline 30 s away passes at once */
	word = 0;
	word2 = 0;
	dl = t_now_ns(CLOCK_REALTIME) + 30 * NSEC_PER_SEC;
	ts = t_ts_ns(dl);
	t_waiter_start_ts(&r, &word, 0,
			  ALTFUTEX_ABSTIME | ALTFUTEX_CLOCK_REALTIME, &ts,
			  "REALTIME waiter");
	ts = t_ts_ns(t_now_ns(CLOCK_MONOTONIC) + 30 * NSEC_PER_SEC);
	t_waiter_start_ts(&m, &word2, 0, ALTFUTEX_ABSTIME, &ts,
			  "MONOTONIC waiter");
	ts = t_ts_ns(t_now_ns(CLOCK_REALTIME) + 60 * NSEC_PER_SEC);
	CHECK(!clock_settime(CLOCK_REALTIME, &ts), "clock_settime: %s",
	      strerror(errno));
	t_waiter_expect_within(&r, -ETIMEDOUT, LATE_MS + 1000);
	CHECK(t_now_ns(CLOCK_REALTIME) >= dl, "returned before the deadline");
	t_waiter_check_asleep(&m, 50);
	CHECK_RET(altfutex_wake(&word2, 1, 0), 1);
	t_waiter_expect(&m, 0);
	CHECK_RET(altfutex_wake(&word, 1, 0), 0);

	/* restore, then backward: a deadline 300 ms away moves 1 s later */
	ts = t_ts_ns(r0 + (t_now_ns(CLOCK_MONOTONIC) - m0));
	CHECK(!clock_settime(CLOCK_REALTIME, &ts), "clock_settime: %s",
	      strerror(errno));
	dl = t_now_ns(CLOCK_REALTIME) + 300 * NSEC_PER_MSEC;
	ts = t_ts_ns(dl);
	t_waiter_start_ts(&r, &word, 0,
			  ALTFUTEX_ABSTIME | ALTFUTEX_CLOCK_REALTIME, &ts,
			  "REALTIME waiter");
	ts = t_ts_ns(t_now_ns(CLOCK_REALTIME) - NSEC_PER_SEC);
	CHECK(!clock_settime(CLOCK_REALTIME, &ts), "clock_settime: %s",
	      strerror(errno));
	t_waiter_expect_within(&r, -ETIMEDOUT, 1300 + LATE_MS + 1000);
	CHECK(t_now_ns(CLOCK_REALTIME) >= dl, "returned before the deadline");
	CHECK(r.t_end - r.t_start >= 1000 * NSEC_PER_MSEC,
	      "returned after %lld ms: the clock going back did not delay it",
	      (long long)((r.t_end - r.t_start) / NSEC_PER_MSEC));

	ts = t_ts_ns(r0 + (t_now_ns(CLOCK_MONOTONIC) - m0));
	CHECK(!clock_settime(CLOCK_REALTIME, &ts), "clock_settime: %s",
	      strerror(errno));
	t_log("ok: REALTIME deadlines follow clock_settime(), MONOTONIC ones do not");
}

int main(void)
{
	unsigned int pflag;
	int i;

	t_init("timeout", 120);

	for (i = 0; i < 2; i++) {
		pflag = i ? ALTFUTEX_PRIVATE : 0;
		t_log("--- flags %#x", pflag);
		check_relative(pflag);
		check_absolute(pflag, CLOCK_MONOTONIC);
		check_absolute(pflag, CLOCK_REALTIME);
		check_dequeued(pflag);
	}
	check_clock_set();
	check_huge(0);
	check_huge(ALTFUTEX_PRIVATE);
	t_log("PASS");
	return T_PASS;
}
