// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * wake_count: what a wake returns.
 *  - N waiters queued: wake(k) returns min(k, remaining) and exactly that
 *    many waiters return 0; wake(INT_MAX) wakes all;
 *  - a race of waiters with very short timeouts against wakers (and value
 *    changes) for about 3 s: the sum of what the wakes returned equals the
 *    number of waits that returned 0 (the README's "API": the count a
 *    wake returns is exactly the number of waiters that return 0 because
 *    of it), and no wait returns anything but 0, -ETIMEDOUT or -EAGAIN.
 */
#include "helpers.h"

#define NQ 20

static struct t_waiter ws[NQ];

static int count_done(int n)
{
	int i, d = 0;

	for (i = 0; i < n; i++)
		d += t_waiter_done(&ws[i]);
	return d;
}

/* Wait until @want of the @n waiters returned; then make sure no more do. */
static void expect_done(int n, int want)
{
	int64_t end = t_now_ns(CLOCK_MONOTONIC) + 10 * NSEC_PER_SEC;

	while (count_done(n) < want) {
		if (t_now_ns(CLOCK_MONOTONIC) > end)
			t_fail("%d waiters returned, expected %d",
			       count_done(n), want);
		t_sleep_ms(1);
	}
	t_sleep_ms(20);
	CHECK(count_done(n) == want, "%d waiters returned, expected %d",
	      count_done(n), want);
}

static void check_counts(uint32_t *word, unsigned int flags, const char *mem)
{
	static const int ks[] = { 3, 0, 5, -1, 1, 10, 4, 1 };
	int i, k, left = 16, done = 0, want;

	for (i = 0; i < 16; i++)
		t_waiter_start(&ws[i], word, 0, flags, T_SAFETY_MS, "waiter");
	for (i = 0; i < (int)ARRAY_SIZE(ks); i++) {
		k = ks[i];
		want = k <= 0 ? 0 : (k < left ? k : left);
		CHECK_RET(altfutex_wake(word, k, flags), want);
		left -= want;
		done += want;
		expect_done(16, done);
	}
	CHECK(left == 0, "%d left", left);
	for (i = 0; i < 16; i++)
		t_waiter_expect(&ws[i], 0);
	t_log("ok: %s: 16 waiters: wake(3 0 5 -1 1 10 4 1) = 3 0 5 0 1 7 0 0, exact",
	      mem);

	for (i = 0; i < NQ; i++)
		t_waiter_start(&ws[i], word, 0, flags, T_SAFETY_MS, "waiter");
	CHECK_RET(altfutex_wake(word, INT_MAX, flags), NQ);
	expect_done(NQ, NQ);
	for (i = 0; i < NQ; i++)
		t_waiter_expect(&ws[i], 0);
	CHECK_RET(altfutex_wake(word, INT_MAX, flags), 0);
	t_log("ok: %s: wake(INT_MAX) woke all %d", mem, NQ);
}

/* ---- the race ------------------------------------------------------------ */

#define RWAITERS 6
#define RWAKERS 2

static int stop;		/* atomic */

struct rw {
	pthread_t thread;
	uint32_t *word;
	unsigned int flags;
	unsigned int seed;
	long zero, timedout, eagain, other, woken, calls;
	int last_other;
};

static void *race_waiter(void *arg)
{
	struct rw *r = arg;
	struct timespec ts;
	int ret;

	while (!__atomic_load_n(&stop, __ATOMIC_SEQ_CST)) {
		ts.tv_sec = 0;
		/* 0 to ~1 ms, with a good share of "expires at once" */
		ts.tv_nsec = rand_r(&r->seed) % 4 == 0 ? 0 :
			     rand_r(&r->seed) % 1000000;
		ret = altfutex_wait(r->word, 0, &ts, r->flags);
		r->calls++;
		if (ret == 0) {
			r->zero++;
		} else if (ret == -ETIMEDOUT) {
			r->timedout++;
		} else if (ret == -EAGAIN) {
			r->eagain++;
		} else {
			r->other++;
			r->last_other = ret;
		}
	}
	return NULL;
}

static void *race_waker(void *arg)
{
	struct rw *r = arg;
	int ret, n;

	while (!__atomic_load_n(&stop, __ATOMIC_SEQ_CST)) {
		n = 1 + rand_r(&r->seed) % 3;
		if (rand_r(&r->seed) % 256 == 0)
			__atomic_store_n(r->word, 1, __ATOMIC_SEQ_CST);
		ret = altfutex_wake(r->word, n, r->flags);
		if (ret < 0 || ret > n) {
			r->other++;
			r->last_other = ret;
		} else {
			r->woken += ret;
		}
		r->calls++;
		__atomic_store_n(r->word, 0, __ATOMIC_SEQ_CST);
		if (rand_r(&r->seed) % 8 == 0)
			sched_yield();
	}
	return NULL;
}

static void check_race(uint32_t *word, unsigned int flags, const char *mem,
		       long ms)
{
	struct rw wt[RWAITERS], wk[RWAKERS];
	long zero = 0, tmo = 0, eag = 0, woken = 0, wakes = 0;
	int i;

	memset(wt, 0, sizeof(wt));
	memset(wk, 0, sizeof(wk));
	*word = 0;
	__atomic_store_n(&stop, 0, __ATOMIC_SEQ_CST);
	for (i = 0; i < RWAITERS; i++) {
		wt[i].word = word;
		wt[i].flags = flags;
		wt[i].seed = 1 + i;
		CHECK(!pthread_create(&wt[i].thread, NULL, race_waiter, &wt[i]),
		      "pthread_create");
	}
	for (i = 0; i < RWAKERS; i++) {
		wk[i].word = word;
		wk[i].flags = flags;
		wk[i].seed = 100 + i;
		CHECK(!pthread_create(&wk[i].thread, NULL, race_waker, &wk[i]),
		      "pthread_create");
	}
	t_sleep_ms(ms);
	__atomic_store_n(&stop, 1, __ATOMIC_SEQ_CST);
	/* wakers first: the waiters then only time out */
	for (i = 0; i < RWAKERS; i++)
		pthread_join(wk[i].thread, NULL);
	for (i = 0; i < RWAITERS; i++)
		pthread_join(wt[i].thread, NULL);
	CHECK_RET(altfutex_wake(word, INT_MAX, flags), 0);

	for (i = 0; i < RWAKERS; i++) {
		CHECK(!wk[i].other, "waker %d: wake returned %d (%s)", i,
		      wk[i].last_other, t_err(wk[i].last_other));
		woken += wk[i].woken;
		wakes += wk[i].calls;
	}
	for (i = 0; i < RWAITERS; i++) {
		CHECK(!wt[i].other,
		      "waiter %d: %ld unexpected returns, last %d (%s)", i,
		      wt[i].other, wt[i].last_other,
		      t_err(wt[i].last_other));
		zero += wt[i].zero;
		tmo += wt[i].timedout;
		eag += wt[i].eagain;
	}
	CHECK(woken == zero,
	      "%s: the wakes counted %ld waiters, but %ld waits returned 0",
	      mem, woken, zero);
	t_log("ok: %s: %ld wakes counted %ld = waits returning 0; %ld -ETIMEDOUT, %ld -EAGAIN",
	      mem, wakes, woken, tmo, eag);
	CHECK(zero > 0, "%s: no wait was ever woken in the race", mem);
}

int main(void)
{
	uint32_t *priv, *shared;

	t_init("wake_count", 90);

	priv = t_map(1, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	shared = t_map(1, PROT_READ | PROT_WRITE, MAP_SHARED);
	check_counts(priv + 1, 0, "private anonymous");
	check_counts(priv + 2, ALTFUTEX_PRIVATE, "ALTFUTEX_PRIVATE");
	check_counts(shared + 3, 0, "MAP_SHARED anonymous");

	check_race(priv + 10, 0, "race, private anonymous", 1000);
	check_race(priv + 11, ALTFUTEX_PRIVATE, "race, ALTFUTEX_PRIVATE",
		   1000);
	check_race(shared + 12, 0, "race, MAP_SHARED anonymous", 1000);
	t_log("PASS");
	return T_PASS;
}
