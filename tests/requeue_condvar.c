// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * A condition variable whose broadcast requeues the waiters onto the
 * mutex word with CMP_REQUEUE, as glibc's did before 2.25, drives a
 * barrier for thousands of rounds.  Run once with threads on private words
 * and once with processes on a shared memfd.  Every round and every
 * critical section is counted: the totals must be exact, and a lost
 * wakeup hangs a round, which the watchdog turns into a failure.
 */
#include <limits.h>
#include <pthread.h>
#include <sys/mman.h>

#include "helpers.h"

#define NR_PARTIES	4
#define DEFAULT_ROUNDS	5000

struct shared {
	uint32_t mutex;		/* 0 free, 1 locked, 2 locked + waiters */
	uint32_t cond;		/* sequence number, bumped by broadcast */
	unsigned int count;	/* parties arrived in this round */
	unsigned int generation;	/* rounds completed */
	unsigned long crit;	/* critical sections, plain increments */
	unsigned long requeued;	/* waiters moved onto the mutex */
};

static struct shared *S;
static unsigned int flags;
static unsigned int rounds = DEFAULT_ROUNDS;

static uint32_t xchg(uint32_t *p, uint32_t v)
{
	return __atomic_exchange_n(p, v, __ATOMIC_ACQUIRE);
}

static void wait_checked(uint32_t *p, uint32_t v)
{
	int r = altfutex_wait(p, v, NULL, flags);

	if (r && r != -EAGAIN)
		t_fail("wait returned %d", r);
}

static void mutex_lock(uint32_t *m)
{
	uint32_t c = 0;

	if (__atomic_compare_exchange_n(m, &c, 1, 0, __ATOMIC_ACQUIRE,
					__ATOMIC_RELAXED))
		return;
	if (c != 2)
		c = xchg(m, 2);
	while (c) {
		wait_checked(m, 2);
		c = xchg(m, 2);
	}
}

static void mutex_unlock(uint32_t *m)
{
	int r;

	if (__atomic_fetch_sub(m, 1, __ATOMIC_RELEASE) != 1) {
		__atomic_store_n(m, 0, __ATOMIC_RELEASE);
		r = altfutex_wake(m, 1, flags);
		if (r < 0)
			t_fail("wake returned %d", r);
	}
}

/*
 * Wait on the condition: note the sequence, drop the mutex, sleep.  After
 * a broadcast we may be asleep on the mutex word instead (requeued), so
 * take the mutex back as a contender: whoever unlocks then wakes the next.
 */
static void cond_wait(void)
{
	uint32_t seq = __atomic_load_n(&S->cond, __ATOMIC_ACQUIRE);

	mutex_unlock(&S->mutex);
	wait_checked(&S->cond, seq);
	while (xchg(&S->mutex, 2))
		wait_checked(&S->mutex, 2);
}

/* Called with the mutex held: wake one waiter, move the rest to it. */
static void cond_broadcast(void)
{
	uint32_t seq = __atomic_add_fetch(&S->cond, 1, __ATOMIC_RELEASE);
	int r = altfutex_cmp_requeue(&S->cond, &S->mutex, 1, INT_MAX, seq,
				     flags);

	/* the mutex is held, so nobody else can bump the sequence */
	if (r < 0)
		t_fail("cmp_requeue returned %d", r);
	if (r > 1)
		S->requeued += r - 1;
}

static void barrier_wait(void)
{
	unsigned int gen;

	mutex_lock(&S->mutex);
	S->crit++;
	gen = S->generation;
	if (++S->count == NR_PARTIES) {
		S->count = 0;
		S->generation++;
		cond_broadcast();
	} else {
		while (gen == S->generation)
			cond_wait();
	}
	mutex_unlock(&S->mutex);
}

static void *party(void *arg)
{
	unsigned int i;

	for (i = 0; i < rounds; i++)
		barrier_wait();
	return arg;
}

static void check_totals(const char *how, int64_t t0)
{
	double secs = (t_now_ns(CLOCK_MONOTONIC) - t0) / 1e9;

	CHECK(S->generation == rounds, "%u rounds of %u", S->generation,
	      rounds);
	CHECK(S->crit == (unsigned long)rounds * NR_PARTIES,
	      "%lu critical sections, expected %lu", S->crit,
	      (unsigned long)rounds * NR_PARTIES);
	CHECK(S->mutex == 0, "mutex left at %u", S->mutex);
	t_log("%s: %u rounds x %d parties exact, %lu requeued, %.2f s",
	      how, rounds, NR_PARTIES, S->requeued, secs);
}

static void run_threads(void)
{
	pthread_t th[NR_PARTIES];
	static struct shared priv;
	int64_t t0 = t_now_ns(CLOCK_MONOTONIC);
	int i;

	S = &priv;
	flags = ALTFUTEX_PRIVATE;
	for (i = 0; i < NR_PARTIES; i++)
		CHECK(!pthread_create(&th[i], NULL, party, NULL), "thread");
	for (i = 0; i < NR_PARTIES; i++)
		pthread_join(th[i], NULL);
	check_totals("threads, private words", t0);
}

static void run_processes(void)
{
	int64_t t0 = t_now_ns(CLOCK_MONOTONIC);
	pid_t pids[NR_PARTIES];
	int fd, i;

	fd = memfd_create("requeue_condvar", 0);
	CHECK(fd >= 0 && !ftruncate(fd, 4096), "memfd");
	S = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(S != MAP_FAILED, "mmap");
	flags = 0;
	for (i = 0; i < NR_PARTIES; i++) {
		pids[i] = fork();
		CHECK(pids[i] >= 0, "fork");
		if (!pids[i]) {
			/* each child sees the memfd at its own address */
			S = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
				 MAP_SHARED, fd, 0);
			if (S == MAP_FAILED)
				_exit(T_FAIL);
			party(NULL);
			_exit(T_PASS);
		}
	}
	for (i = 0; i < NR_PARTIES; i++)
		CHECK(t_reap(pids[i]) == T_PASS, "party %d failed", i);
	check_totals("processes, shared memfd", t0);
}

int main(int argc, char **argv)
{
	t_init("requeue_condvar", 240);
	if (argc > 1)
		rounds = (unsigned int)atoi(argv[1]);
	if (altfutex_open() < 0)
		t_skip("no /dev/altfutex");
	run_threads();
	run_processes();
	return T_PASS;
}
