// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Requeue storm: waiters sleep on A or B with short timeouts while two
 * threads requeue A->B and B->A non-stop and others wake both words; in a
 * second phase a signaller interrupts the waiters too.  A requeued waiter
 * that times out, is signalled or is woken must leave the queue it is on
 * *now*: a stale lock would corrupt a list (the kernel's list debugging or
 * KASAN report it) or lose a waiter.  Checked:
 *  - no deadlock between opposite requeues (the watchdog), no lockdep
 *    report (the harness scans the kernel log);
 *  - exact accounting: the wakes that wake() and requeue() report equal
 *    the waits that return 0;
 *  - waits return only 0, -ETIMEDOUT or (with signals) -EINTR;
 *  - at the end every waiter is found and woken: nobody is lost.
 */
#include <limits.h>
#include <pthread.h>

#include "helpers.h"

#define NR_WAITERS	6
#define PHASE_MS	2000

static uint32_t words[2];
static int stop;
static int signals;
static unsigned long woken_reported;	/* sum of wake counts returned */
static unsigned long waits_woken;	/* waits that returned 0 */
static unsigned long waits_timedout, waits_intr;
static unsigned long moved;		/* over both phases */
static int waiters_left;
static pid_t waiter_tids[NR_WAITERS];

static void on_signal(int sig)
{
	(void)sig;
}

static unsigned int rnd(unsigned int *seed)
{
	*seed = *seed * 1103515245 + 12345;
	return (*seed >> 16) & 0x7fff;
}

static void add(unsigned long *p, long v)
{
	__atomic_fetch_add(p, v, __ATOMIC_RELAXED);
}

static void *waiter(void *arg)
{
	long id = (long)arg;
	unsigned int seed = (unsigned int)id * 7 + 1;
	struct timespec ts;
	int r;

	__atomic_store_n(&waiter_tids[id], t_gettid(), __ATOMIC_RELEASE);
	while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE)) {
		ts.tv_sec = 0;
		ts.tv_nsec = (1 + rnd(&seed) % 5) * 1000000L;
		r = altfutex_wait(&words[rnd(&seed) & 1], 0, &ts, 0);
		if (r == 0)
			add(&waits_woken, 1);
		else if (r == -ETIMEDOUT)
			add(&waits_timedout, 1);
		else if (r == -EINTR && signals)
			add(&waits_intr, 1);
		else
			t_fail("wait returned %d", r);
	}
	/* last round: sleep with no timeout until the drain wakes us */
	r = altfutex_wait(&words[id & 1], 0, NULL, 0);
	while (r == -EINTR)
		r = altfutex_wait(&words[id & 1], 0, NULL, 0);
	if (r)
		t_fail("final wait returned %d", r);
	add(&waits_woken, 1);
	__atomic_fetch_sub(&waiters_left, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void *requeuer(void *arg)
{
	long dir = (long)arg;
	unsigned int seed = (unsigned int)dir + 99;
	int r;

	while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE)) {
		r = altfutex_requeue(&words[dir], &words[!dir], 0,
				     1 + rnd(&seed) % 4, 0);
		if (r < 0)
			t_fail("requeue returned %d", r);
		add(&moved, r);
	}
	return NULL;
}

static void *waker(void *arg)
{
	unsigned int seed = (unsigned int)(long)arg + 5;
	uint32_t *w;
	int r;

	while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE)) {
		w = &words[rnd(&seed) & 1];
		/* a requeue with nothing to move is a pure wake */
		if (rnd(&seed) & 1)
			r = altfutex_wake(w, 1 + rnd(&seed) % 2, 0);
		else
			r = altfutex_cmp_requeue(w, &words[0], 1, 0, 0, 0);
		if (r < 0)
			t_fail("wake returned %d", r);
		add(&woken_reported, r);
		if (!(rnd(&seed) % 8))
			t_sleep_ms(1);
	}
	return NULL;
}

static void *signaller(void *arg)
{
	unsigned int seed = 3;
	pid_t tid;

	while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE)) {
		tid = waiter_tids[rnd(&seed) % NR_WAITERS];
		if (tid)
			syscall(SYS_tgkill, getpid(), tid, SIGUSR1);
		t_sleep_ms(1);
	}
	return arg;
}

static void phase(int with_signals)
{
	pthread_t w[NR_WAITERS], rq[2], wk[2], sg;
	int i, r;

	woken_reported = 0;
	waits_woken = 0;
	waits_timedout = 0;
	waits_intr = 0;
	signals = with_signals;
	stop = 0;
	waiters_left = NR_WAITERS;
	memset(waiter_tids, 0, sizeof(waiter_tids));
	for (i = 0; i < NR_WAITERS; i++)
		CHECK(!pthread_create(&w[i], NULL, waiter, (void *)(long)i),
		      "thread");
	for (i = 0; i < 2; i++) {
		CHECK(!pthread_create(&rq[i], NULL, requeuer, (void *)(long)i),
		      "thread");
		CHECK(!pthread_create(&wk[i], NULL, waker, (void *)(long)i),
		      "thread");
	}
	if (with_signals)
		CHECK(!pthread_create(&sg, NULL, signaller, NULL), "thread");

	t_sleep_ms(PHASE_MS);
	__atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
	for (i = 0; i < 2; i++) {
		pthread_join(rq[i], NULL);
		pthread_join(wk[i], NULL);
	}
	if (with_signals)
		pthread_join(sg, NULL);

	/* drain: every waiter must be found on A or B and woken */
	while (__atomic_load_n(&waiters_left, __ATOMIC_ACQUIRE)) {
		for (i = 0; i < 2; i++) {
			r = altfutex_wake(&words[i], INT_MAX, 0);
			CHECK(r >= 0, "drain wake %d", r);
			add(&woken_reported, r);
		}
		t_sleep_ms(1);
	}
	for (i = 0; i < NR_WAITERS; i++)
		pthread_join(w[i], NULL);

	CHECK(waits_woken == woken_reported,
	      "wakes reported %lu, waits woken %lu", woken_reported,
	      waits_woken);
	t_log("%s: %lu woken, %lu timed out, %lu interrupted, %lu moved; "
	      "accounting exact", with_signals ? "with signals" : "storm",
	      waits_woken, waits_timedout, waits_intr, moved);
}

int main(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	t_init("requeue_storm", 120);
	if (altfutex_open() < 0)
		t_skip("no /dev/altfutex");
	sigaction(SIGUSR1, &sa, NULL);	/* no SA_RESTART: -EINTR */
	phase(0);
	phase(1);
	CHECK(moved > 0, "nothing was ever requeued");
	return T_PASS;
}
