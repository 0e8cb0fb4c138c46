// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * stress_lock: the lost-wakeup stress.  A wait sleeps only while the word
 * holds its value, atomically with respect to every wake, and a wake
 * counts exactly the waiters that return 0 because of it (the README's
 * "API"): no wake may be lost between a waiter's check and its sleep.
 *
 * Two classic futex users, hammered for a bounded time:
 *  - Drepper's three-state mutex ("Futexes Are Tricky", mutex 2:
 *    0 unlocked, 1 locked, 2 locked with waiters).  Each critical section
 *    increments a plain, non-atomic counter and checks an owner field; the
 *    final counter must equal the number of acquisitions exactly.
 *  - A counting semaphore with a waiter count (post only wakes when
 *    somebody may sleep, so a wake lost by the kernel is never repaired by
 *    a later one).  Producers post, consumers wait; every token posted is
 *    consumed exactly once and no consumer is left asleep at the end.
 *  - A token ring: worker i sleeps until its own word is set, clears it,
 *    then sets worker i+1's word and wakes it.  Nothing repairs a lost
 *    wakeup here, so one lost wake stops the ring for good.
 * Also, over each whole run, the sum of what the wakes returned must equal
 * the number of waits that returned 0 (no spurious returns, every counted
 * waiter returns 0).
 *
 * Each is run with threads on ALTFUTEX_PRIVATE words, and with processes
 * on shared words (no flag) in a memfd that each process maps itself.
 * A monitor gives the workers a deadline to finish after the run: a lost
 * wakeup shows as a worker asleep past it, and the test prints the state.
 *
 * usage: stress_lock [SECONDS [WORKERS]]   (defaults 3 and 4; SECONDS is
 * the total over the six runs, WORKERS is 2..8)
 */
#include "helpers.h"

#define MAX_WORKERS 8
#define FINISH_DEADLINE_S 30	/* after the run, workers must finish */
#define UNSET UINT64_MAX

struct worker_stats {
	uint64_t ops;		/* acquisitions, posts or tokens consumed */
	uint64_t woken;		/* altfutex_wait() returned 0 */
	uint64_t eagain;	/* altfutex_wait() returned -EAGAIN */
	uint64_t wakes;		/* sum of altfutex_wake() returns */
	int done;		/* atomic */
	int pad;
};

struct state {
	uint32_t mutex;		/* the futex word of the mutex */
	uint32_t owner;		/* who holds the mutex, 0 for nobody */
	uint64_t counter;	/* plain counter, protected by the mutex */
	char pad1[64];
	uint32_t sem;		/* the futex word: tokens available */
	uint32_t sem_waiters;	/* consumers that may be asleep */
	uint64_t total_posted;	/* UNSET until the producers are done */
	uint64_t taken;		/* successful sem_wait()s, stop tokens too */
	char pad2[64];
	int stop;		/* atomic: time is up */
	int pad3;
	uint32_t ring[MAX_WORKERS][16];	/* one word per cache line */
	struct worker_stats w[MAX_WORKERS + 1];	/* [MAX_WORKERS]: main */
};

enum kind { MUTEX, SEM, RING };

struct job {
	struct state *st;
	unsigned int flags;
	enum kind kind;
	int id;
	int n;
	int producer;
};

static void check_wait_ret(int r, const char *what)
{
	if (r != 0 && r != -EAGAIN && r != -EINTR)
		t_fail("%s: altfutex_wait returned %d (%s)", what, r,
		       strerror(-r));
}

static void count_wait(struct worker_stats *ws, int r)
{
	if (r == 0)
		ws->woken++;
	else if (r == -EAGAIN)
		ws->eagain++;
}

static void count_wake(struct worker_stats *ws, int r, const char *what)
{
	if (r < 0 || r > 1)
		t_fail("%s: altfutex_wake(1) returned %d", what, r);
	ws->wakes += r;
}

/* ---- Drepper's mutex ------------------------------------------------------ */

static void mutex_lock(uint32_t *m, unsigned int flags, struct worker_stats *ws)
{
	uint32_t c = 0;
	int r;

	if (__atomic_compare_exchange_n(m, &c, 1, 0, __ATOMIC_SEQ_CST,
					__ATOMIC_SEQ_CST))
		return;
	if (c != 2)
		c = __atomic_exchange_n(m, 2, __ATOMIC_SEQ_CST);
	while (c != 0) {
		r = altfutex_wait(m, 2, NULL, flags);
		check_wait_ret(r, "mutex_lock");
		count_wait(ws, r);
		c = __atomic_exchange_n(m, 2, __ATOMIC_SEQ_CST);
	}
}

static void mutex_unlock(uint32_t *m, unsigned int flags,
			 struct worker_stats *ws)
{
	if (__atomic_fetch_sub(m, 1, __ATOMIC_SEQ_CST) != 1) {
		__atomic_store_n(m, 0, __ATOMIC_SEQ_CST);
		count_wake(ws, altfutex_wake(m, 1, flags), "mutex_unlock");
	}
}

static void mutex_worker(struct job *j)
{
	struct state *st = j->st;
	struct worker_stats *ws = &st->w[j->id];
	uint32_t me = (uint32_t)j->id + 1;
	uint64_t i;

	for (i = 0; !__atomic_load_n(&st->stop, __ATOMIC_RELAXED); i++) {
		mutex_lock(&st->mutex, j->flags, ws);
		if (st->owner != 0)
			t_fail("mutex: worker %u got the lock held by %u", me,
			       st->owner);
		st->owner = me;
		st->counter++;
		if (!(i % 16))
			sched_yield();	/* make the others contend */
		st->counter++;
		if (st->owner != me)
			t_fail("mutex: worker %u lost the lock to %u", me,
			       st->owner);
		st->owner = 0;
		mutex_unlock(&st->mutex, j->flags, ws);
		ws->ops++;
	}
}

/* ---- counting semaphore ------------------------------------------------- */

static void sem_post(struct state *st, unsigned int flags,
		     struct worker_stats *ws)
{
	__atomic_fetch_add(&st->sem, 1, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&st->sem_waiters, __ATOMIC_SEQ_CST))
		count_wake(ws, altfutex_wake(&st->sem, 1, flags), "sem_post");
}

static void sem_wait(struct state *st, unsigned int flags,
		     struct worker_stats *ws)
{
	uint32_t v;
	int r;

	for (;;) {
		v = __atomic_load_n(&st->sem, __ATOMIC_SEQ_CST);
		while (v > 0) {
			if (__atomic_compare_exchange_n(&st->sem, &v, v - 1, 0,
							__ATOMIC_SEQ_CST,
							__ATOMIC_SEQ_CST))
				return;
		}
		__atomic_fetch_add(&st->sem_waiters, 1, __ATOMIC_SEQ_CST);
		r = altfutex_wait(&st->sem, 0, NULL, flags);
		__atomic_fetch_sub(&st->sem_waiters, 1, __ATOMIC_SEQ_CST);
		check_wait_ret(r, "sem_wait");
		count_wait(ws, r);
	}
}

static void sem_worker(struct job *j)
{
	struct state *st = j->st;
	struct worker_stats *ws = &st->w[j->id];
	uint64_t i, t, s;

	if (j->producer) {
		for (i = 0; !__atomic_load_n(&st->stop, __ATOMIC_RELAXED); i++) {
			sem_post(st, j->flags, ws);
			ws->ops++;
			if (!(i % 8))
				sched_yield();	/* let consumers run dry */
		}
		return;
	}
	for (i = 0;; i++) {
		sem_wait(st, j->flags, ws);
		t = __atomic_fetch_add(&st->taken, 1, __ATOMIC_SEQ_CST);
		s = __atomic_load_n(&st->total_posted, __ATOMIC_SEQ_CST);
		/*
		 * Until total_posted is published, no stop token was posted,
		 * so this one is real.  Afterwards, tokens past it are stop
		 * tokens, one per consumer.
		 */
		if (s != UNSET && t >= s)
			return;
		ws->ops++;
		if (!(i % 32))
			sched_yield();
	}
}

/* ---- token ring ------------------------------------------------------------ */

#define RING_TOKEN 1
#define RING_STOP 2

static void ring_worker(struct job *j, int n)
{
	struct state *st = j->st;
	struct worker_stats *ws = &st->w[j->id];
	uint32_t *mine = &st->ring[j->id][0];
	uint32_t *next = &st->ring[(j->id + 1) % n][0];
	uint32_t v, pass;
	int r;

	for (;;) {
		/* waiter: check the value, then sleep on it */
		while (!(v = __atomic_load_n(mine, __ATOMIC_SEQ_CST))) {
			r = altfutex_wait(mine, 0, NULL, j->flags);
			check_wait_ret(r, "ring");
			count_wait(ws, r);
		}
		__atomic_store_n(mine, 0, __ATOMIC_SEQ_CST);
		pass = v;
		if (v == RING_TOKEN) {
			ws->ops++;
			if (j->id == 0 && __atomic_load_n(&st->stop,
							  __ATOMIC_SEQ_CST))
				pass = RING_STOP;
		}
		/* waker: store the new value, then wake */
		__atomic_store_n(next, pass, __ATOMIC_SEQ_CST);
		count_wake(ws, altfutex_wake(next, 1, j->flags), "ring");
		if (pass == RING_STOP)
			return;
	}
}

static void run_job(struct job *j)
{
	if (j->kind == MUTEX)
		mutex_worker(j);
	else if (j->kind == SEM)
		sem_worker(j);
	else
		ring_worker(j, j->n);
	__atomic_store_n(&j->st->w[j->id].done, 1, __ATOMIC_SEQ_CST);
}

static void *thread_main(void *arg)
{
	run_job(arg);
	return NULL;
}

/* ---- the runs ------------------------------------------------------------- */

static void dump_state(struct state *st, int n, const char *why)
{
	int i;

	fprintf(stderr, "%s: FAIL: %s\n", t_name, why);
	fprintf(stderr, "  mutex=%u owner=%u counter=%llu sem=%u sem_waiters=%u\n"
		"  taken=%llu total_posted=%lld\n",
		st->mutex, st->owner, (unsigned long long)st->counter, st->sem,
		st->sem_waiters, (unsigned long long)st->taken,
		st->total_posted == UNSET ? -1LL : (long long)st->total_posted);
	for (i = 0; i < n; i++)
		fprintf(stderr, "  worker %d: done=%d ring=%u ops=%llu\n"
			"    woken=%llu eagain=%llu wakes=%llu\n",
			i, st->w[i].done, st->ring[i][0], (unsigned long long)st->w[i].ops,
			(unsigned long long)st->w[i].woken,
			(unsigned long long)st->w[i].eagain,
			(unsigned long long)st->w[i].wakes);
}

struct run {
	struct state *st;	/* the parent's mapping */
	int memfd;		/* -1: threads on private words */
	int n;
	pthread_t th[MAX_WORKERS];
	pid_t pid[MAX_WORKERS];
	struct job job[MAX_WORKERS];
};

/* Wait for workers [from, to) to be done, or fail with the state. */
static void await_done(struct run *r, int from, int to, const char *what)
{
	struct state *st = r->st;
	int n = r->n;
	int64_t deadline = t_now_ns(CLOCK_MONOTONIC) +
			   FINISH_DEADLINE_S * 1000000000LL;
	int i;

	for (i = from; i < to; i++) {
		while (!__atomic_load_n(&st->w[i].done, __ATOMIC_SEQ_CST)) {
			if (t_now_ns(CLOCK_MONOTONIC) > deadline) {
				char why[160];

				snprintf(why, sizeof(why),
					 "%s: worker %d asleep %d s after the end: lost wake?",
					 what, i, FINISH_DEADLINE_S);
				dump_state(st, n, why);
				for (i = 0; r->memfd >= 0 && i < n; i++)
					kill(r->pid[i], SIGKILL);
				exit(T_FAIL);
			}
			t_sleep_ms(5);
		}
	}
}

static void start_workers(struct run *r, enum kind kind)
{
	int i;

	for (i = 0; i < r->n; i++) {
		struct job *j = &r->job[i];

		j->st = r->st;
		j->flags = r->memfd < 0 ? ALTFUTEX_PRIVATE : 0;
		j->kind = kind;
		j->id = i;
		j->n = r->n;
		j->producer = kind == SEM && i < r->n / 2;
		if (r->memfd < 0) {
			int err = pthread_create(&r->th[i], NULL, thread_main, j);

			if (err)
				t_fail("pthread_create: %s", strerror(err));
			continue;
		}
		fflush(NULL);
		r->pid[i] = fork();
		if (r->pid[i] < 0)
			t_fail("fork: %s", strerror(errno));
		if (!r->pid[i]) {
			/* a mapping of our own, at another address */
			j->st = mmap(NULL, sizeof(struct state),
				     PROT_READ | PROT_WRITE, MAP_SHARED,
				     r->memfd, 0);
			if (j->st == MAP_FAILED || j->st == r->st)
				t_fail("worker mmap: %s", strerror(errno));
			run_job(j);
			_exit(T_PASS);
		}
	}
}

static void finish_workers(struct run *r)
{
	int i, st;

	for (i = 0; i < r->n; i++) {
		if (r->memfd < 0) {
			pthread_join(r->th[i], NULL);
			continue;
		}
		st = t_reap(r->pid[i]);
		if (st != T_PASS)
			t_fail("worker process %d exited with %d", i, st);
	}
}

static void reset(struct state *st)
{
	memset(st, 0, sizeof(*st));
	st->total_posted = UNSET;
}

static void totals(struct state *st, int n, struct worker_stats *sum)
{
	int i;

	memset(sum, 0, sizeof(*sum));
	for (i = 0; i <= MAX_WORKERS; i++) {
		if (i >= n && i != MAX_WORKERS)
			continue;
		sum->ops += st->w[i].ops;
		sum->woken += st->w[i].woken;
		sum->eagain += st->w[i].eagain;
		sum->wakes += st->w[i].wakes;
	}
}

static void check_wake_balance(struct state *st, int n,
			       struct worker_stats *sum, const char *what)
{
	if (sum->wakes != sum->woken) {
		dump_state(st, n, "wake counts do not match woken waiters");
		t_fail("%s: wakes returned %llu in total, but %llu waits returned 0",
		       what, (unsigned long long)sum->wakes,
		       (unsigned long long)sum->woken);
	}
}

static void run_mutex(struct run *r, long ms, const char *what)
{
	struct worker_stats sum;
	struct state *st = r->st;

	reset(st);
	start_workers(r, MUTEX);
	t_sleep_ms(ms);
	__atomic_store_n(&st->stop, 1, __ATOMIC_SEQ_CST);
	await_done(r, 0, r->n, what);
	finish_workers(r);

	totals(st, r->n, &sum);
	if (st->counter != 2 * sum.ops || st->mutex != 0) {
		dump_state(st, r->n, "mutual exclusion broken");
		t_fail("%s: counter %llu, expected 2 x %llu acquisitions; mutex word %u",
		       what, (unsigned long long)st->counter,
		       (unsigned long long)sum.ops, st->mutex);
	}
	check_wake_balance(st, r->n, &sum, what);
	t_log("ok: %s: %d workers, %llu locks, count exact; %llu woken, %llu EAGAIN",
	      what, r->n, (unsigned long long)sum.ops,
	      (unsigned long long)sum.woken, (unsigned long long)sum.eagain);
	if (!sum.woken)
		t_log("note: %s: no waiter ever slept; the run proves little", what);
}

static void run_sem(struct run *r, long ms, const char *what)
{
	struct worker_stats sum, produced = { 0 }, consumed = { 0 };
	struct state *st = r->st;
	struct worker_stats *mine = &st->w[MAX_WORKERS];
	int producers = r->n / 2, consumers = r->n - r->n / 2;
	int i;

	reset(st);
	start_workers(r, SEM);
	t_sleep_ms(ms);
	__atomic_store_n(&st->stop, 1, __ATOMIC_SEQ_CST);
	await_done(r, 0, producers, what);
	for (i = 0; i < producers; i++)
		produced.ops += st->w[i].ops;
	/* publish the total, then one stop token per consumer */
	__atomic_store_n(&st->total_posted, produced.ops, __ATOMIC_SEQ_CST);
	for (i = 0; i < consumers; i++)
		sem_post(st, r->memfd < 0 ? ALTFUTEX_PRIVATE : 0, mine);
	await_done(r, producers, r->n, what);
	finish_workers(r);

	for (i = producers; i < r->n; i++)
		consumed.ops += st->w[i].ops;
	totals(st, r->n, &sum);
	if (consumed.ops != produced.ops || st->sem != 0 ||
	    st->taken != produced.ops + consumers || st->sem_waiters != 0) {
		dump_state(st, r->n, "semaphore totals wrong");
		t_fail("%s: posted %llu, consumed %llu, left %u, taken %llu",
		       what, (unsigned long long)produced.ops,
		       (unsigned long long)consumed.ops, st->sem,
		       (unsigned long long)st->taken);
	}
	check_wake_balance(st, r->n, &sum, what);
	t_log("ok: %s: %d+%d workers, %llu tokens, all consumed; %llu woken, %llu EAGAIN",
	      what, producers, consumers, (unsigned long long)produced.ops,
	      (unsigned long long)sum.woken, (unsigned long long)sum.eagain);
	if (!sum.woken)
		t_log("note: %s: no consumer ever slept; the run proves little",
		      what);
}

static void run_ring(struct run *r, long ms, const char *what)
{
	struct worker_stats sum;
	struct state *st = r->st;
	unsigned int flags = r->memfd < 0 ? ALTFUTEX_PRIVATE : 0;
	int i;

	reset(st);
	start_workers(r, RING);
	__atomic_store_n(&st->ring[0][0], RING_TOKEN, __ATOMIC_SEQ_CST);
	count_wake(&st->w[MAX_WORKERS],
		   altfutex_wake(&st->ring[0][0], 1, flags), "ring start");
	t_sleep_ms(ms);
	__atomic_store_n(&st->stop, 1, __ATOMIC_SEQ_CST);
	await_done(r, 0, r->n, what);
	finish_workers(r);

	totals(st, r->n, &sum);
	for (i = 1; i < r->n; i++) {
		if (st->w[i].ops != st->w[0].ops &&
		    st->w[i].ops + 1 != st->w[0].ops) {
			dump_state(st, r->n, "ring counts inconsistent");
			t_fail("%s: worker %d passed %llu tokens, worker 0 %llu",
			       what, i, (unsigned long long)st->w[i].ops,
			       (unsigned long long)st->w[0].ops);
		}
	}
	check_wake_balance(st, r->n, &sum, what);
	t_log("ok: %s: %d workers, %llu handoffs, none lost; %llu woken, %llu EAGAIN",
	      what, r->n, (unsigned long long)sum.ops,
	      (unsigned long long)sum.woken, (unsigned long long)sum.eagain);
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 3.0;
	int n = argc > 2 ? atoi(argv[2]) : 4;
	long ms;
	struct run r;
	int fd;

	if (secs <= 0 || secs > 3600 || n < 2 || n > MAX_WORKERS) {
		fprintf(stderr, "usage: %s [SECONDS [WORKERS 2..%d]]\n", argv[0],
			MAX_WORKERS);
		return T_FAIL;
	}
	ms = (long)(secs * 1000 / 6);
	t_init("stress_lock", (unsigned int)(secs + 6 * FINISH_DEADLINE_S + 30));
	t_log("%d workers, %ld ms per run; each run also checks wakes == woken",
	      n, ms);

	memset(&r, 0, sizeof(r));
	r.n = n;

	/* threads of one process, ALTFUTEX_PRIVATE */
	r.memfd = -1;
	r.st = mmap(NULL, sizeof(struct state), PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(r.st != MAP_FAILED, "mmap: %s", strerror(errno));
	run_mutex(&r, ms, "mutex, threads, private");
	run_sem(&r, ms, "semaphore, threads, private");
	run_ring(&r, ms, "ring, threads, private");
	munmap(r.st, sizeof(struct state));

	/* processes on a memfd, shared keys */
	fd = t_memfd("stress_lock", sizeof(struct state));
	r.memfd = fd;
	r.st = mmap(NULL, sizeof(struct state), PROT_READ | PROT_WRITE,
		    MAP_SHARED, fd, 0);
	CHECK(r.st != MAP_FAILED, "mmap: %s", strerror(errno));
	run_mutex(&r, ms, "mutex, processes, memfd");
	run_sem(&r, ms, "semaphore, processes, memfd");
	run_ring(&r, ms, "ring, processes, memfd");

	t_log("PASS");
	return T_PASS;
}
