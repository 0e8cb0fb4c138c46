// SPDX-License-Identifier: GPL-2.0
/*
 * altfutex benchmark: the same workloads on altfutex (through libaltfutex,
 * as users call it) and on the kernel's futex (syscall(SYS_futex)), run
 * interleaved in one process, each repeated, medians and spreads reported.
 *
 *   bench [-r REPS] [-d SECONDS] [-n] [-w NAME] [-o FILE]
 *
 * -n: no scaling curves, only the table.  -w NAME: only that workload
 * (for profiling); NAME,NAME...: only those.
 *
 * Human-readable progress goes to stdout; machine-readable lines go to FILE
 * (default: stdout as well):
 *   SAMPLE workload backend rep value
 *   ROW workload native altfutex ratio unit native_spread% alt_spread%
 *   CURVE threads|keys x native altfutex        (hash ops/s, medians)
 *   MEM name bytes
 * A cost is in ns per operation (lower is better) except for the hash
 * workloads, which are in operations per second; every ratio is altfutex
 * cost / native cost, so below 1 altfutex is faster.  The word-size rows
 * of the extended API (wait2-u8-*, wake2-u64-*, pingpong-wait2-*) compare
 * altfutex with itself: their "native" is the same call on a U32 word.
 *
 * Written for this project; the workloads follow the descriptions of
 * perf bench futex's, not its code.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <altfutex.h>
#include <linux/altfutex.h>

#include "peer.h"

/* ---- the two backends ---------------------------------------------------- */

enum backend { NATIVE, ALTF, NBACKENDS };
static const char *const bname[NBACKENDS] = { "native", "altfutex" };

static long nfutex(uint32_t *uaddr, int op, uint32_t val, void *timeout,
		   uint32_t *uaddr2, uint32_t val3)
{
	long r = syscall(SYS_futex, uaddr, op, val, timeout, uaddr2, val3);

	return r < 0 ? -errno : r;
}

/* @shared: the word is in MAP_SHARED memory used by several processes */
static int b_wait(enum backend b, uint32_t *w, uint32_t val, int shared)
{
	if (b == NATIVE)
		return nfutex(w, shared ? FUTEX_WAIT : FUTEX_WAIT_PRIVATE,
			      val, NULL, NULL, 0);
	return altfutex_wait(w, val, NULL, shared ? 0 : ALTFUTEX_PRIVATE);
}

static int b_wake(enum backend b, uint32_t *w, int nr, int shared)
{
	if (b == NATIVE)
		return nfutex(w, shared ? FUTEX_WAKE : FUTEX_WAKE_PRIVATE,
			      nr, NULL, NULL, 0);
	return altfutex_wake(w, nr, shared ? 0 : ALTFUTEX_PRIVATE);
}

static int b_cmp_requeue(enum backend b, uint32_t *w1, uint32_t *w2,
			 int nr_wake, int nr_requeue, uint32_t val)
{
	if (b == NATIVE)
		return nfutex(w1, FUTEX_CMP_REQUEUE_PRIVATE, nr_wake,
			      (void *)(uintptr_t)nr_requeue, w2, val);
	return altfutex_cmp_requeue(w1, w2, nr_wake, nr_requeue, val,
				    ALTFUTEX_PRIVATE);
}

/* ---- helpers --------------------------------------------------------------- */

static double duration = 0.4;	/* seconds per measurement */
static FILE *out;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what, int err)
{
	fprintf(stderr, "bench: %s: %s\n", what, strerror(err));
	exit(1);
}

static pid_t gettid_(void)
{
	return syscall(SYS_gettid);
}

#define LOAD(p) __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define STORE(p, v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)
#define INC(p) __atomic_add_fetch((p), 1, __ATOMIC_ACQ_REL)

/* Is thread @tid asleep (state S)?  Used, untimed, to let waiters block. */
static int tid_sleeping(pid_t tid)
{
	char path[64], buf[256], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	p = strrchr(buf, ')');
	return p && p[1] == ' ' && p[2] == 'S';
}

/*
 * Each measurement is cut into many short pieces (a block of calls, one
 * round, a slice of time), each giving a cost, and reports the tenth
 * percentile of those costs.  The host is shared and loaded: a piece
 * during which it descheduled a vCPU only ever costs more, so the low
 * end of the distribution is what the code costs, and a percentile
 * rather than the minimum keeps one lucky piece from deciding.
 */
#define MAX_PIECES 65536

struct pieces {
	int n;
	double v[MAX_PIECES];
};

static struct pieces *pieces_new(void)
{
	struct pieces *p = malloc(sizeof(*p));

	if (!p)
		die("malloc", ENOMEM);
	p->n = 0;
	return p;
}

static void pieces_add(struct pieces *p, double x)
{
	if (p->n < MAX_PIECES)
		p->v[p->n++] = x;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* the tenth percentile of the costs in @p, which is freed */
static double pieces_cost(struct pieces *p)
{
	double m;

	if (!p->n)
		die("no measurement", EIO);
	qsort(p->v, p->n, sizeof(*p->v), cmp_double);
	m = p->v[p->n / 10];
	free(p);
	return m;
}

/* ---- hash: many threads, many words, wait on a value mismatch ---------- */

struct hash_run {
	enum backend b;
	uint32_t *words;
	long nkeys;
	int nthreads;
	int stop;
	pthread_barrier_t start;
};

/* one cache line each (aligned_alloc(64)): ops is written all the time */
struct hash_thread {
	unsigned long ops;	/* the main thread reads it meanwhile */
	struct hash_run *run;
	pthread_t th;
	int id;
	char pad[64 - 2 * sizeof(void *) - sizeof(pthread_t) - sizeof(int)];
};

static void *hash_worker(void *arg)
{
	struct hash_thread *t = arg;
	struct hash_run *r = t->run;
	long i = (long)t->id * r->nkeys / r->nthreads;
	unsigned long ops = 0;
	int ret;

	pthread_barrier_wait(&r->start);
	while (!__atomic_load_n(&r->stop, __ATOMIC_RELAXED)) {
		/* the word holds 0: waiting for 1 fails at once */
		ret = b_wait(r->b, &r->words[i], 1, 0);
		if (ret != -EAGAIN)
			die("hash: wait did not fail with EAGAIN", -ret);
		if (++i == r->nkeys)
			i = 0;
		__atomic_store_n(&t->ops, ++ops, __ATOMIC_RELAXED);
	}
	return NULL;
}

/* ops/s of @nthreads threads waiting on a mismatch over @nkeys words */
static double run_hash(enum backend b, int nthreads, long nkeys)
{
	struct hash_thread *t = aligned_alloc(64, nthreads * sizeof(*t));
	struct hash_run r = { .b = b, .nkeys = nkeys, .nthreads = nthreads };
	struct pieces *p = pieces_new();
	unsigned long ops, last = 0;
	double t0, t1, begin;
	int i;

	r.words = calloc(nkeys, sizeof(uint32_t));
	if (!t || !r.words)
		die("calloc", ENOMEM);
	pthread_barrier_init(&r.start, NULL, nthreads + 1);
	if (t)
		memset(t, 0, nthreads * sizeof(*t));
	for (i = 0; i < nthreads; i++) {
		t[i].run = &r;
		t[i].id = i;
		if (pthread_create(&t[i].th, NULL, hash_worker, &t[i]))
			die("pthread_create", errno);
	}
	pthread_barrier_wait(&r.start);
	/* slices of 10 ms */
	begin = now();
	t0 = begin;
	do {
		usleep(10000);
		t1 = now();
		for (ops = 0, i = 0; i < nthreads; i++)
			ops += __atomic_load_n(&t[i].ops, __ATOMIC_RELAXED);
		if (ops > last)		/* the cost: seconds per op */
			pieces_add(p, (t1 - t0) / (ops - last));
		last = ops;
		t0 = t1;
	} while (t1 - begin < duration);
	__atomic_store_n(&r.stop, 1, __ATOMIC_RELAXED);
	for (i = 0; i < nthreads; i++)
		pthread_join(t[i].th, NULL);
	pthread_barrier_destroy(&r.start);
	free(r.words);
	free(t);
	return 1 / pieces_cost(p);
}

/* ---- rounds of N blocked waiters: wake, wake-parallel, requeue --------- */

#define NWAITERS 16
#define NWAKERS 4

struct pool {
	enum backend b;
	uint32_t word1, word2;
	uint32_t gen;
	int ready;
	int quit;
	pid_t tid[NWAITERS];
	pthread_t th[NWAITERS];
	pthread_barrier_t start, end;
};

struct pool_arg {
	struct pool *p;
	int idx;
};

static void *pool_waiter(void *arg)
{
	struct pool_arg *a = arg;
	struct pool *p = a->p;
	uint32_t g;
	int ret;

	p->tid[a->idx] = gettid_();
	for (;;) {
		pthread_barrier_wait(&p->start);
		if (LOAD(&p->quit))
			break;
		g = LOAD(&p->gen);
		INC(&p->ready);
		do {
			ret = b_wait(p->b, &p->word1, g, 0);
		} while (ret && LOAD(&p->word1) == g);
		pthread_barrier_wait(&p->end);
	}
	return NULL;
}

static struct pool_arg pool_args[NWAITERS];

static void pool_start(struct pool *p, enum backend b)
{
	int i;

	memset(p, 0, sizeof(*p));
	p->b = b;
	pthread_barrier_init(&p->start, NULL, NWAITERS + 1);
	pthread_barrier_init(&p->end, NULL, NWAITERS + 1);
	for (i = 0; i < NWAITERS; i++) {
		pool_args[i].p = p;
		pool_args[i].idx = i;
		if (pthread_create(&p->th[i], NULL, pool_waiter,
				   &pool_args[i]))
			die("pthread_create", errno);
	}
}

/* Start a round: every waiter blocks on word1 (untimed). */
static void pool_round(struct pool *p)
{
	int i, asleep;

	STORE(&p->gen, p->gen + 1);
	STORE(&p->word1, p->gen);
	STORE(&p->ready, 0);
	pthread_barrier_wait(&p->start);
	while (LOAD(&p->ready) < NWAITERS)
		sched_yield();
	do {
		usleep(1000);
		for (asleep = 0, i = 0; i < NWAITERS; i++)
			asleep += tid_sleeping(p->tid[i]);
	} while (asleep < NWAITERS);
}

static void pool_round_end(struct pool *p)
{
	pthread_barrier_wait(&p->end);
}

static void pool_stop(struct pool *p)
{
	int i;

	STORE(&p->quit, 1);
	pthread_barrier_wait(&p->start);
	for (i = 0; i < NWAITERS; i++)
		pthread_join(p->th[i], NULL);
	pthread_barrier_destroy(&p->start);
	pthread_barrier_destroy(&p->end);
}

/* Wake everybody left on @w (untimed clean-up); @left of them. */
static void wake_left(struct pool *p, uint32_t *w, int left)
{
	int r;

	while (left > 0) {
		r = b_wake(p->b, w, INT_MAX, 0);
		if (r < 0)
			die("wake", -r);
		left -= r;
	}
}

/* ns per woken waiter, waking them one call each (@all: one call for all) */
static double run_wake(enum backend b, int all)
{
	static struct pool p;
	struct pieces *pc = pieces_new();
	double t0, begin = now();
	int woken, r;

	pool_start(&p, b);
	do {
		pool_round(&p);
		t0 = now();
		for (woken = 0; woken < NWAITERS; woken += r) {
			r = b_wake(b, &p.word1, all ? INT_MAX : 1, 0);
			if (r < 0)
				die("wake", -r);
		}
		pieces_add(pc, (now() - t0) * 1e9 / (all ? 1 : NWAITERS));
		pool_round_end(&p);
	} while (now() - begin < duration || pc->n < 5);
	pool_stop(&p);
	return pieces_cost(pc);
}

struct waker {
	struct pool *p;
	pthread_barrier_t *go;
	double spent;
	pthread_t th;
};

static void *waker_main(void *arg)
{
	struct waker *k = arg;
	int mine = 0, r;
	double t0;

	pthread_barrier_wait(k->go);
	t0 = now();
	while (mine < NWAITERS / NWAKERS) {
		r = b_wake(k->p->b, &k->p->word1, 1, 0);
		if (r < 0)
			die("wake", -r);
		mine += r;
	}
	k->spent = now() - t0;
	return NULL;
}

/* ns per woken waiter, per waker, NWAKERS wakers on one key */
static double run_wake_parallel(enum backend b)
{
	static struct pool p;
	struct waker k[NWAKERS];
	struct pieces *pc = pieces_new();
	pthread_barrier_t go;
	double spent, begin = now();
	int i;

	pool_start(&p, b);
	do {
		pool_round(&p);
		pthread_barrier_init(&go, NULL, NWAKERS);
		for (i = 0; i < NWAKERS; i++) {
			k[i].p = &p;
			k[i].go = &go;
			if (pthread_create(&k[i].th, NULL, waker_main, &k[i]))
				die("pthread_create", errno);
		}
		for (spent = 0, i = 0; i < NWAKERS; i++) {
			pthread_join(k[i].th, NULL);
			spent += k[i].spent;
		}
		pthread_barrier_destroy(&go);
		/* each waker woke NWAITERS / NWAKERS: per wake, per waker */
		pieces_add(pc, spent * 1e9 / NWAITERS);
		pool_round_end(&p);
	} while (now() - begin < duration || pc->n < 5);
	pool_stop(&p);
	return pieces_cost(pc);
}

/* ns per requeued waiter, moving them one per call (cmp_requeue 0, 1) */
static double run_requeue(enum backend b)
{
	static struct pool p;
	struct pieces *pc = pieces_new();
	double t0, begin = now();
	int moved, r;

	pool_start(&p, b);
	do {
		pool_round(&p);
		t0 = now();
		for (moved = 0; moved < NWAITERS; moved += r) {
			r = b_cmp_requeue(b, &p.word1, &p.word2, 0, 1, p.gen);
			if (r < 0)
				die("cmp_requeue", -r);
		}
		pieces_add(pc, (now() - t0) * 1e9 / moved);
		wake_left(&p, &p.word2, NWAITERS);
		pool_round_end(&p);
	} while (now() - begin < duration || pc->n < 5);
	pool_stop(&p);
	return pieces_cost(pc);
}

/* ---- ping-pong: two threads, or two processes on a shared memfd -------- */

struct pingpong {
	uint32_t a, b;	/* a: ping number sent, b: pong number sent */
	uint32_t stop;
};

static void pp_wait_for(enum backend be, uint32_t *w, uint32_t want,
			int shared)
{
	uint32_t v;

	while ((v = LOAD(w)) != want)
		b_wait(be, w, v, shared);
}

static void pp_ponger(enum backend be, struct pingpong *pp, int shared)
{
	uint32_t i;

	for (i = 1;; i++) {
		pp_wait_for(be, &pp->a, i, shared);
		if (LOAD(&pp->stop))
			break;
		STORE(&pp->b, i);
		b_wake(be, &pp->b, 1, shared);
	}
}

/*
 * The two sides of a ping-pong run on two different CPUs, the pinger on
 * the first the bench may use and the ponger on the second.  Left to the
 * scheduler, they sometimes shared one vCPU (a round trip of about 20 us
 * in the VM) and sometimes not (about 150 us: waking a halted vCPU under
 * TCG), for a whole measurement, so that one implementation's figure
 * could come from one placement and the other's from the other.  With
 * one CPU there is nothing to choose.
 */
static cpu_set_t pp_cpus;	/* the bench's own affinity, restored after */
static int pp_cpu[2] = { -1, -1 };

static void pp_pick_cpus(void)
{
	int cpu, n = 0;

	if (sched_getaffinity(0, sizeof(pp_cpus), &pp_cpus))
		die("sched_getaffinity", errno);
	for (cpu = 0; cpu < CPU_SETSIZE && n < 2; cpu++)
		if (CPU_ISSET(cpu, &pp_cpus))
			pp_cpu[n++] = cpu;
	if (n < 2) {
		pp_cpu[0] = -1;
		pp_cpu[1] = -1;
	}
}

/* Pin the calling thread to the CPU of @side (0: pinger, 1: ponger). */
static void pp_pin(int side)
{
	cpu_set_t set;

	if (pp_cpu[side] < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(pp_cpu[side], &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		die("sched_setaffinity", errno);
}

static void pp_unpin(void)
{
	if (sched_setaffinity(0, sizeof(pp_cpus), &pp_cpus))
		die("sched_setaffinity", errno);
}

struct pp_thread {
	enum backend be;
	struct pingpong *pp;
};

static void *pp_thread_main(void *arg)
{
	struct pp_thread *t = arg;

	pp_pin(1);
	pp_ponger(t->be, t->pp, 0);
	return NULL;
}

/* ns per round trip */
static double pp_pinger(enum backend be, struct pingpong *pp, int shared)
{
	struct pieces *pc = pieces_new();
	double begin = now(), t0 = begin, t1;
	uint32_t i;

	for (i = 1;; i++) {
		if (!(i & 31)) {
			t1 = now();
			pieces_add(pc, (t1 - t0) * 1e9 / 32);
			t0 = t1;
			if (t1 - begin >= duration) {
				STORE(&pp->stop, 1);
				STORE(&pp->a, i);
				b_wake(be, &pp->a, 1, shared);
				return pieces_cost(pc);
			}
		}
		STORE(&pp->a, i);
		b_wake(be, &pp->a, 1, shared);
		pp_wait_for(be, &pp->b, i, shared);
	}
}

static double run_pingpong_threads(enum backend be)
{
	struct pingpong pp = { 0 };
	struct pp_thread t = { be, &pp };
	pthread_t th;
	double ns;

	pp_pick_cpus();
	pp_pin(0);
	if (pthread_create(&th, NULL, pp_thread_main, &t))
		die("pthread_create", errno);
	ns = pp_pinger(be, &pp, 0);
	pthread_join(th, NULL);
	pp_unpin();
	return ns;
}

static void *shared_page(void)
{
	int fd = memfd_create("bench", MFD_CLOEXEC);
	void *p;

	if (fd < 0 || ftruncate(fd, 4096))
		die("memfd", errno);
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		die("mmap", errno);
	close(fd);
	return p;
}

static double run_pingpong_procs(enum backend be)
{
	struct pingpong *pp = shared_page();
	double ns;
	pid_t pid;

	pp_pick_cpus();
	pid = fork();
	if (pid < 0)
		die("fork", errno);
	if (!pid) {
		pp_pin(1);
		pp_ponger(be, pp, 1);
		_exit(0);
	}
	pp_pin(0);
	ns = pp_pinger(be, pp, 1);
	waitpid(pid, NULL, 0);
	pp_unpin();
	munmap(pp, 4096);
	return ns;
}

/* ---- single-thread loops: wake with no waiter, the floor ---------------- */

/*
 * Single-thread loops are measured in pairs: blocks of 64 calls on one
 * implementation, then 64 on the other, alternating for the whole
 * measurement, so that both see the same moments of the (shared, noisy)
 * host; each reports its median block.  @res gets the ns per call of each.
 */
static void paired_loop(int (*call)(enum backend b, void *arg), void *arg,
			double res[NBACKENDS])
{
	struct pieces *pc[NBACKENDS] = { pieces_new(), pieces_new() };
	double t0, t, begin = now();
	long n = 0;
	int i, k, r;

	do {
		for (k = 0; k < NBACKENDS; k++) {
			enum backend b = (k + n) & 1 ? ALTF : NATIVE;

			t0 = now();
			for (i = 0; i < 64; i++) {
				r = call(b, arg);
				if (r)
					die(bname[b], r < 0 ? -r : EIO);
			}
			t = now();
			pieces_add(pc[b], (t - t0) * 1e9 / 64);
		}
		n++;
	} while (t - begin < 2 * duration);
	for (k = 0; k < NBACKENDS; k++)
		res[k] = pieces_cost(pc[k]);
}

/* What the library does for a wake or a requeue with its fast path off. */
static int altf_ioctl(unsigned long req, void *args)
{
	static int fd = -1;

	if (fd < 0)
		fd = altfutex_open();
	return ioctl(fd, req, args) < 0 ? -errno : 0;
}

/* through the ioctl, as before the waiter-count page (see below) */
static int call_wake_nowaiter(enum backend b, void *arg)
{
	struct altfutex_wake_args a = {
		.uaddr = (uintptr_t)arg, .nr_wake = 1,
		.flags = ALTFUTEX_PRIVATE,
	};

	if (b == NATIVE)
		return b_wake(b, arg, 1, 0);
	return altf_ioctl(ALTFUTEX_IOC_WAKE, &a);
}

static int call_wake_nowaiter_shared(enum backend b, void *arg)
{
	return b_wake(b, arg, 1, 1);
}

/* cmp_requeue(0, 1) from one private word nobody waits on to another */
static int call_requeue_nowaiter(enum backend b, void *arg)
{
	uint32_t *w = arg;

	return b_cmp_requeue(b, &w[0], &w[1], 0, 1, 0);
}

static void run_requeue_nowaiter(double res[NBACKENDS])
{
	uint32_t *w = calloc(2, sizeof(*w));

	if (!w)
		die("calloc", ENOMEM);
	paired_loop(call_requeue_nowaiter, w, res);
	free(w);
}

static void run_wake_nowaiter(int shared, double res[NBACKENDS])
{
	uint32_t *w = shared ? shared_page() : calloc(1, sizeof(*w));

	paired_loop(shared ? call_wake_nowaiter_shared : call_wake_nowaiter,
		    w, res);
	if (shared)
		munmap(w, 4096);
	else
		free(w);
}

/*
 * Wakes and requeues with nobody waiting, with the waiter-count page.
 *
 * altfutex: the library's fast path (a fence and a load of the word's
 * count; no system call while the count is 0), and, for the rows that
 * keep tracking the ioctl, the same call made with the ioctl the library
 * would make with its fast path off (ALTFUTEX_NO_FASTPATH), so that both
 * are measured in one run.
 *
 * The native peers: FUTEX_WAKE_PRIVATE / FUTEX_REQUEUE_PRIVATE, and the
 * same behind a user-space waiter count of libc++'s kind, in a shared
 * library of its own (bench/peer.c) as libc++'s is in libc++.so, so that
 * both are calls into a library.
 */

static int call_wake_fast(enum backend b, void *arg)
{
	if (b == NATIVE)
		return nfutex(arg, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
	return altfutex_wake(arg, 1, ALTFUTEX_PRIVATE);
}

static int call_wake_fast_counted(enum backend b, void *arg)
{
	if (b == NATIVE)
		return peer_wake(arg, 1);
	return altfutex_wake(arg, 1, ALTFUTEX_PRIVATE);
}

/* requeue(0, 1), no value check, between two private words */
static int call_requeue_fast(enum backend b, void *arg)
{
	uint32_t *w = arg;

	if (b == NATIVE)
		return nfutex(&w[0], FUTEX_REQUEUE_PRIVATE, 0, (void *)1,
			      &w[1], 0);
	return altfutex_requeue(&w[0], &w[1], 0, 1, ALTFUTEX_PRIVATE);
}

static int call_requeue_fast_counted(enum backend b, void *arg)
{
	uint32_t *w = arg;

	if (b == NATIVE)
		return peer_requeue(&w[0], &w[1], 0, 1);
	return altfutex_requeue(&w[0], &w[1], 0, 1, ALTFUTEX_PRIVATE);
}

static int call_wake_fast_min(enum backend b, void *arg)
{
	if (b == NATIVE)
		return peer_wake_min(arg, 1);
	return altfutex_wake(arg, 1, ALTFUTEX_PRIVATE);
}

static int call_requeue_fast_min(enum backend b, void *arg)
{
	uint32_t *w = arg;

	if (b == NATIVE)
		return peer_requeue_min(&w[0], &w[1], 0, 1);
	return altfutex_requeue(&w[0], &w[1], 0, 1, ALTFUTEX_PRIVATE);
}

static int call_requeue_ioctl(enum backend b, void *arg)
{
	uint32_t *w = arg;
	struct altfutex_requeue_args a = {
		.uaddr = (uintptr_t)&w[0], .uaddr2 = (uintptr_t)&w[1],
		.nr_wake = 0, .nr_requeue = 1, .flags = ALTFUTEX_PRIVATE,
	};

	if (b == NATIVE)
		return nfutex(&w[0], FUTEX_REQUEUE_PRIVATE, 0, (void *)1,
			      &w[1], 0);
	return altf_ioctl(ALTFUTEX_IOC_REQUEUE, &a);
}

static void run_pair2(int (*call)(enum backend b, void *arg),
		      double res[NBACKENDS])
{
	uint32_t *w = calloc(2, sizeof(*w));

	if (!w)
		die("calloc", ENOMEM);
	paired_loop(call, w, res);
	free(w);
}

/*
 * The floor: the cheapest call that enters each implementation.  For
 * altfutex an ioctl number the device does not define (-ENOTTY from its
 * ioctl handler, after the VFS's ioctl path); for the kernel futex a
 * futex() call with an operation it does not define (do_futex() fails it
 * with "no such system call", after the syscall entry).
 */
#define ALTFUTEX_IOC_NOTHING _IO(ALTFUTEX_IOC_MAGIC, 0x7f)
#define FUTEX_NO_SUCH_OP 0x7f

static int call_floor(enum backend b, void *arg)
{
	static uint32_t w;

	if (b == ALTF) {
		if (ioctl(*(int *)arg, ALTFUTEX_IOC_NOTHING, 0) != -1 ||
		    errno != ENOTTY)
			return -EIO;
	} else if (nfutex(&w, FUTEX_NO_SUCH_OP, 0, NULL, NULL, 0) >= 0) {
		return -EIO;
	}
	return 0;
}

static void run_floor(double res[NBACKENDS])
{
	int fd = altfutex_open();

	if (fd < 0)
		die("altfutex_open", -fd);
	paired_loop(call_floor, &fd, res);
}

/* ---- the extended API (issue 17): vectors, wake_wait, word sizes ------- */

#define NVEC 8		/* words of the vector rows */

/* The word of @flags' size at @w: sized loads and stores. */
static uint64_t xload(void *w, unsigned int flags)
{
	switch (flags & ALTFUTEX_SIZE_MASK) {
	case ALTFUTEX_SIZE_U8:
		return LOAD((uint8_t *)w);
	case ALTFUTEX_SIZE_U16:
		return LOAD((uint16_t *)w);
	case ALTFUTEX_SIZE_U64:
		return LOAD((uint64_t *)w);
	default:
		return LOAD((uint32_t *)w);
	}
}

static void xstore(void *w, uint64_t v, unsigned int flags)
{
	switch (flags & ALTFUTEX_SIZE_MASK) {
	case ALTFUTEX_SIZE_U8:
		STORE((uint8_t *)w, (uint8_t)v);
		break;
	case ALTFUTEX_SIZE_U16:
		STORE((uint16_t *)w, (uint16_t)v);
		break;
	case ALTFUTEX_SIZE_U64:
		STORE((uint64_t *)w, v);
		break;
	default:
		STORE((uint32_t *)w, (uint32_t)v);
	}
}

/* the values a word of @flags' size holds */
static uint64_t xmask(unsigned int flags)
{
	switch (flags & ALTFUTEX_SIZE_MASK) {
	case ALTFUTEX_SIZE_U8:
		return 0xff;
	case ALTFUTEX_SIZE_U16:
		return 0xffff;
	case ALTFUTEX_SIZE_U64:
		return UINT64_MAX;
	default:
		return UINT32_MAX;
	}
}

static long nfutex_waitv(struct futex_waitv *v, unsigned int n)
{
	long r = syscall(SYS_futex_waitv, v, n, 0, NULL, 0);

	return r < 0 ? -errno : r;
}

/*
 * wakev-8-sleepers: 8 threads, each asleep on a word of its own (a cache
 * line each), are woken, one each, by the main thread: natively by 8
 * FUTEX_WAKE_PRIVATE(1) calls, on altfutex by one altfutex_wakev() of the
 * 8 words with nr_wake 1 each.  Each side's sleepers wait with its own
 * wait (FUTEX_WAIT_PRIVATE, altfutex_wait()), then wait again in the next
 * round.  Timed: the waker's calls only, from before the first to after
 * the last return, once all 8 are seen asleep (untimed, as the wake rows'
 * rounds).  The waker runs on the first CPU the bench may use and the
 * sleepers on the second: a sleeper woken on the waker's CPU would
 * preempt it and run inside the timed window, after some of the 8 native
 * calls and only after the one vector call, and which ones shared the CPU
 * would vary from round to round.  A round that woke fewer than 8 (a
 * sleeper seen asleep but not yet queued) is not counted; the rest are
 * woken untimed.  wake-8-sleepers: the same rounds woken by 8 wake(1)
 * calls on both, altfutex_wake() for altfutex: what the vector call saves
 * over altfutex's own 8 calls, and each side's cost of a wake-up alone.
 */
struct vpool {
	struct {
		uint32_t w;
		char pad[60];
	} word[NVEC];		/* first: a cache line each */
	enum backend b;
	uint32_t gen;
	int ready;
	int quit;
	pid_t tid[NVEC];
	pthread_t th[NVEC];
	pthread_barrier_t start, end;
} __attribute__((aligned(64)));

struct vpool_arg {
	struct vpool *p;
	int idx;
};

static unsigned long wakev_rounds[NBACKENDS], wakev_short[NBACKENDS];

static void *vpool_sleeper(void *arg)
{
	struct vpool_arg *a = arg;
	struct vpool *p = a->p;
	uint32_t *w = &p->word[a->idx].w;
	uint32_t g;
	int ret;

	pp_pin(1);
	p->tid[a->idx] = gettid_();
	for (;;) {
		pthread_barrier_wait(&p->start);
		if (LOAD(&p->quit))
			break;
		g = LOAD(&p->gen);
		INC(&p->ready);
		do {
			ret = b_wait(p->b, w, g, 0);
		} while (ret && LOAD(w) == g);
		pthread_barrier_wait(&p->end);
	}
	return NULL;
}

/*
 * ns per round: 8 sleepers, one on each of 8 words, woken one each (by
 * altfutex_wakev() if @vector, else by 8 altfutex_wake() on altfutex)
 */
static double run_wake8_sleepers(enum backend b, int vector)
{
	static struct vpool p;
	static struct vpool_arg args[NVEC];
	struct altfutex_waiter v[NVEC];
	struct pieces *pc = pieces_new();
	double t0, t, begin = now();
	int i, woken, asleep, r;

	memset(&p, 0, sizeof(p));
	p.b = b;
	pthread_barrier_init(&p.start, NULL, NVEC + 1);
	pthread_barrier_init(&p.end, NULL, NVEC + 1);
	pp_pick_cpus();
	pp_pin(0);
	for (i = 0; i < NVEC; i++) {
		v[i] = (struct altfutex_waiter){
			.uaddr = &p.word[i].w, .nr_wake = 1,
			.flags = ALTFUTEX_PRIVATE | ALTFUTEX_SIZE_U32,
		};
		args[i].p = &p;
		args[i].idx = i;
		if (pthread_create(&p.th[i], NULL, vpool_sleeper, &args[i]))
			die("pthread_create", errno);
	}
	do {
		/* a round: every sleeper blocks on its word (untimed) */
		STORE(&p.gen, p.gen + 1);
		for (i = 0; i < NVEC; i++)
			STORE(&p.word[i].w, p.gen);
		STORE(&p.ready, 0);
		pthread_barrier_wait(&p.start);
		while (LOAD(&p.ready) < NVEC)
			sched_yield();
		do {
			usleep(1000);
			for (asleep = 0, i = 0; i < NVEC; i++)
				asleep += tid_sleeping(p.tid[i]);
		} while (asleep < NVEC);

		t0 = now();
		if (!vector || b == NATIVE) {
			for (woken = 0, i = 0; i < NVEC; i++) {
				r = b_wake(b, &p.word[i].w, 1, 0);
				if (r < 0)
					die("wake", -r);
				woken += r;
			}
		} else {
			woken = altfutex_wakev(v, NVEC);
			if (woken < 0)
				die("altfutex_wakev", -woken);
		}
		t = now() - t0;

		wakev_rounds[b]++;
		if (woken == NVEC) {
			pieces_add(pc, t * 1e9);
		} else {
			wakev_short[b]++;
			while (woken < NVEC)
				for (i = 0; i < NVEC; i++) {
					r = b_wake(b, &p.word[i].w, 1, 0);
					if (r < 0)
						die("wake", -r);
					woken += r;
				}
		}
		pthread_barrier_wait(&p.end);
	} while (now() - begin < duration || pc->n < 5);
	STORE(&p.quit, 1);
	pthread_barrier_wait(&p.start);
	for (i = 0; i < NVEC; i++)
		pthread_join(p.th[i], NULL);
	pthread_barrier_destroy(&p.start);
	pthread_barrier_destroy(&p.end);
	pp_unpin();
	return pieces_cost(pc);
}

/*
 * Ping-pongs of the extended API, both sides of a row through this one
 * harness.  Each kind says how a side waits and wakes:
 *   XK_FUTEX        FUTEX_WAIT/WAKE_PRIVATE, 32-bit words;
 *   XK_ALTF         altfutex_wait()/wake(), 32-bit words;
 *   XK_WAKE_WAIT    altfutex_wake_wait(): wake the other side's word and
 *                   wait on one's own in one call, each way;
 *   XK_SIZED        altfutex_wait2()/wake2(), words of flags' size, mask
 *                   MATCH_ANY;
 *   XK_FUTEX_WAITV  the pinger waits with futex_waitv(2) on 8 words, of
 *                   which the ponger changes and wakes one (the round's
 *                   number modulo 8), with FUTEX_WAKE_PRIVATE;
 *   XK_ALTF_WAITV   the same with altfutex_waitv() and altfutex_wake().
 * The waits are plain ones otherwise (the first API for altfutex).
 */
enum xkind {
	XK_FUTEX, XK_ALTF, XK_WAKE_WAIT, XK_SIZED, XK_FUTEX_WAITV,
	XK_ALTF_WAITV
};

struct xpp {
	enum xkind kind;
	unsigned int flags;	/* the words' ALTFUTEX_SIZE_*; all private */
	uint64_t mask;		/* the values a word holds */
	int same_cpu;		/* both sides on the pinger's CPU */
	uint64_t a, b;		/* a: ping number sent, b: pong number sent */
	uint32_t v[NVEC];	/* the waitv rows' vector */
	uint32_t stop;
	unsigned long waits, slept;	/* the pinger's vector waits */
};

static int x_wait(struct xpp *x, void *w, uint64_t val)
{
	switch (x->kind) {
	case XK_FUTEX:
	case XK_FUTEX_WAITV:
		return nfutex(w, FUTEX_WAIT_PRIVATE, val, NULL, NULL, 0);
	case XK_SIZED:
		return altfutex_wait2(w, val, ALTFUTEX_BITSET_MATCH_ANY, NULL,
				      ALTFUTEX_PRIVATE | x->flags);
	default:
		return altfutex_wait(w, val, NULL, ALTFUTEX_PRIVATE);
	}
}

static int x_wake(struct xpp *x, void *w)
{
	switch (x->kind) {
	case XK_FUTEX:
	case XK_FUTEX_WAITV:
		return nfutex(w, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
	case XK_SIZED:
		return altfutex_wake2(w, ALTFUTEX_BITSET_MATCH_ANY, 1,
				      ALTFUTEX_PRIVATE | x->flags);
	default:
		return altfutex_wake(w, 1, ALTFUTEX_PRIVATE);
	}
}

static void x_wait_for(struct xpp *x, void *w, uint64_t want)
{
	uint64_t v;

	while ((v = xload(w, x->flags)) != want)
		x_wait(x, w, v);
}

static void x_wake_wait(struct xpp *x, void *wake, void *wait, uint64_t val)
{
	int r = altfutex_wake_wait(wake, 1, wait, val, NULL,
				   ALTFUTEX_PRIVATE | x->flags);

	if (r && r != -EAGAIN && r != -EINTR)
		die("altfutex_wake_wait", -r);
}

/* the pinger's vector, the same 8 words and values for both kinds */
struct xvec {
	struct futex_waitv fv[NVEC];
	struct altfutex_waiter av[NVEC];
};

/* Wait, on the whole vector, until its word @k changes. */
static void x_waitv_for(struct xpp *x, struct xvec *vec, int k)
{
	uint32_t old = vec->fv[k].val;
	long r;

	while (LOAD(&x->v[k]) == old) {
		if (x->kind == XK_FUTEX_WAITV)
			r = nfutex_waitv(vec->fv, NVEC);
		else
			r = altfutex_waitv(vec->av, NVEC, NULL, 0);
		if (r < 0 && r != -EAGAIN && r != -EINTR)
			die(x->kind == XK_FUTEX_WAITV ? "futex_waitv" :
			    "altfutex_waitv", -r);
		x->waits++;
		x->slept += r >= 0;
	}
	vec->fv[k].val = LOAD(&x->v[k]);
	vec->av[k].val = vec->fv[k].val;
}

static void x_ponger(struct xpp *x)
{
	uint64_t m = x->mask;
	uint32_t i, k;

	for (i = 1;; i++) {
		/* wake_wait's ponger already waited for it, from i = 2 on */
		if (x->kind != XK_WAKE_WAIT || i == 1)
			x_wait_for(x, &x->a, i & m);
		if (LOAD(&x->stop))
			break;
		switch (x->kind) {
		case XK_WAKE_WAIT:
			xstore(&x->b, i, x->flags);
			x_wake_wait(x, &x->b, &x->a, i);
			x_wait_for(x, &x->a, (i + 1) & m);
			break;
		case XK_FUTEX_WAITV:
		case XK_ALTF_WAITV:
			k = i % NVEC;
			STORE(&x->v[k], x->v[k] + 1);
			x_wake(x, &x->v[k]);
			break;
		default:
			xstore(&x->b, i & m, x->flags);
			x_wake(x, &x->b);
		}
	}
}

static void *x_ponger_main(void *arg)
{
	struct xpp *x = arg;

	pp_pin(!x->same_cpu);
	x_ponger(x);
	return NULL;
}

/* ns per round trip, timed as pp_pinger() times them */
static double x_pinger(struct xpp *x)
{
	struct pieces *pc = pieces_new();
	double begin = now(), t0 = begin, t1;
	uint64_t m = x->mask;
	struct xvec vec;
	uint32_t i;

	for (i = 0; i < NVEC; i++) {
		vec.fv[i] = (struct futex_waitv){
			.uaddr = (uintptr_t)&x->v[i],
			.flags = FUTEX_32 | FUTEX_PRIVATE_FLAG,
		};
		vec.av[i] = (struct altfutex_waiter){
			.uaddr = &x->v[i],
			.flags = ALTFUTEX_PRIVATE | ALTFUTEX_SIZE_U32,
		};
	}
	for (i = 1;; i++) {
		if (!(i & 31)) {
			t1 = now();
			pieces_add(pc, (t1 - t0) * 1e9 / 32);
			t0 = t1;
			if (t1 - begin >= duration) {
				STORE(&x->stop, 1);
				xstore(&x->a, i & m, x->flags);
				x_wake(x, &x->a);
				return pieces_cost(pc);
			}
		}
		xstore(&x->a, i & m, x->flags);
		switch (x->kind) {
		case XK_WAKE_WAIT:
			x_wake_wait(x, &x->a, &x->b, (i - 1) & m);
			x_wait_for(x, &x->b, i & m);
			break;
		case XK_FUTEX_WAITV:
		case XK_ALTF_WAITV:
			x_wake(x, &x->a);
			x_waitv_for(x, &vec, i % NVEC);
			break;
		default:
			x_wake(x, &x->a);
			x_wait_for(x, &x->b, i & m);
		}
	}
}

static unsigned long waitv_waits[NBACKENDS], waitv_slept[NBACKENDS];

/* two threads, pinned to two CPUs (@same_cpu: to one) */
static double run_xpp(enum backend b, enum xkind kind, unsigned int flags,
		      int same_cpu)
{
	static struct xpp x;
	pthread_t th;
	double ns;

	memset(&x, 0, sizeof(x));
	x.kind = kind;
	x.flags = flags;
	x.mask = xmask(flags);
	x.same_cpu = same_cpu;
	pp_pick_cpus();
	pp_pin(0);
	if (pthread_create(&th, NULL, x_ponger_main, &x))
		die("pthread_create", errno);
	ns = x_pinger(&x);
	pthread_join(th, NULL);
	pp_unpin();
	waitv_waits[b] += x.waits;
	waitv_slept[b] += x.slept;
	return ns;
}

/*
 * The single-thread rows of the extended API, in paired_loop()s.  arg: a
 * struct xwords, zeroed, whose vectors run_xwords() sets up.
 */
struct xwords {
	uint64_t w[NVEC];	/* 8-aligned, any size fits */
	struct altfutex_vec vec[NVEC];		/* the ioctl's, for WAKEV */
	struct altfutex_waiter av[NVEC];
	struct futex_waitv fv[NVEC];
};

static void run_xwords(int (*call)(enum backend b, void *arg),
		       double res[NBACKENDS])
{
	struct xwords *s = calloc(1, sizeof(*s));
	int i;

	if (!s)
		die("calloc", ENOMEM);
	for (i = 0; i < NVEC; i++) {
		s->vec[i] = (struct altfutex_vec){
			.uaddr = (uintptr_t)&s->w[i], .nr_wake = 1,
			.flags = ALTFUTEX_PRIVATE | ALTFUTEX_SIZE_U32,
		};
		s->av[i] = (struct altfutex_waiter){
			.uaddr = &s->w[i],
			.flags = ALTFUTEX_PRIVATE | ALTFUTEX_SIZE_U32,
		};
		s->fv[i] = (struct futex_waitv){
			.uaddr = (uintptr_t)&s->w[i],
			.flags = FUTEX_32 | FUTEX_PRIVATE_FLAG,
		};
	}
	/* waitv-8-eagain: the last word differs, so both read all 8 */
	s->av[NVEC - 1].val = 1;
	s->fv[NVEC - 1].val = 1;
	paired_loop(call, s, res);
	free(s);
}

/* 8 words nobody waits on: one WAKEV ioctl vs 8 FUTEX_WAKE_PRIVATE(1) */
static int call_wakev_nowaiter(enum backend b, void *arg)
{
	struct xwords *s = arg;
	struct altfutex_wakev_args a = {
		.words = (uintptr_t)s->vec, .nr = NVEC,
	};
	long r;
	int i;

	if (b == ALTF)
		return altf_ioctl(ALTFUTEX_IOC_WAKEV, &a);
	for (i = 0; i < NVEC; i++) {
		r = nfutex((uint32_t *)&s->w[i], FUTEX_WAKE_PRIVATE, 1, NULL,
			   NULL, 0);
		if (r)
			return r < 0 ? r : -EIO;
	}
	return 0;
}

/* a vector wait on 8 words whose last one differs: -EAGAIN */
static int call_waitv_eagain(enum backend b, void *arg)
{
	struct xwords *s = arg;
	long r;

	if (b == NATIVE)
		r = nfutex_waitv(s->fv, NVEC);
	else
		r = altfutex_waitv(s->av, NVEC, NULL, 0);
	return r == -EAGAIN ? 0 : r < 0 ? r : -EIO;
}

/*
 * The word-size rows: the "native" column is the same call on a U32
 * word (the peer), the "altfutex" one on a word of @size.
 */
static unsigned int xsize(enum backend b, unsigned int size)
{
	return ALTFUTEX_PRIVATE | (b == NATIVE ? ALTFUTEX_SIZE_U32 : size);
}

/* wait2 for 1 on a word holding 0: -EAGAIN */
static int wait2_mismatch(enum backend b, void *arg, unsigned int size)
{
	int r = altfutex_wait2(arg, 1, ALTFUTEX_BITSET_MATCH_ANY, NULL,
			       xsize(b, size));

	return r == -EAGAIN ? 0 : r ? r : -EIO;
}

/* wake2(1) through the ioctl, nobody waiting */
static int wake2_nowaiter(enum backend b, void *arg, unsigned int size)
{
	struct altfutex_wake2_args a = {
		.uaddr = (uintptr_t)arg, .mask = ALTFUTEX_BITSET_MATCH_ANY,
		.nr_wake = 1, .flags = xsize(b, size),
	};

	return altf_ioctl(ALTFUTEX_IOC_WAKE2, &a);
}

/* wake2(1) through the library's fast path, nobody waiting */
static int wake2_fast(enum backend b, void *arg, unsigned int size)
{
	return altfutex_wake2(arg, ALTFUTEX_BITSET_MATCH_ANY, 1,
			      xsize(b, size));
}

static int call_wait2_u8(enum backend b, void *arg)
{
	return wait2_mismatch(b, arg, ALTFUTEX_SIZE_U8);
}

static int call_wait2_u64(enum backend b, void *arg)
{
	return wait2_mismatch(b, arg, ALTFUTEX_SIZE_U64);
}

static int call_wake2_u8(enum backend b, void *arg)
{
	return wake2_nowaiter(b, arg, ALTFUTEX_SIZE_U8);
}

static int call_wake2_u64(enum backend b, void *arg)
{
	return wake2_nowaiter(b, arg, ALTFUTEX_SIZE_U64);
}

static int call_wake2_fast_u8(enum backend b, void *arg)
{
	return wake2_fast(b, arg, ALTFUTEX_SIZE_U8);
}

static int call_wake2_fast_u64(enum backend b, void *arg)
{
	return wake2_fast(b, arg, ALTFUTEX_SIZE_U64);
}

/* ---- driver ------------------------------------------------------------ */

#define HASH_THREADS 4
#define HASH_KEYS_PER_THREAD 1024

static double w_hash(enum backend b)
{
	return run_hash(b, HASH_THREADS, HASH_THREADS * HASH_KEYS_PER_THREAD);
}

static double w_wake1(enum backend b) { return run_wake(b, 0); }
static double w_wakeall(enum backend b) { return run_wake(b, 1); }
static double w_wakepar(enum backend b) { return run_wake_parallel(b); }
static double w_requeue(enum backend b) { return run_requeue(b); }
static double w_ppt(enum backend b) { return run_pingpong_threads(b); }
static double w_ppp(enum backend b) { return run_pingpong_procs(b); }
static void p_nowait(double res[NBACKENDS]) { run_wake_nowaiter(0, res); }
static void p_nowaits(double res[NBACKENDS]) { run_wake_nowaiter(1, res); }
static void p_floor(double res[NBACKENDS]) { run_floor(res); }
static void p_rqnowait(double res[NBACKENDS]) { run_requeue_nowaiter(res); }
static double w_wakev(enum backend b) { return run_wake8_sleepers(b, 1); }
static double w_wake8(enum backend b) { return run_wake8_sleepers(b, 0); }

static void p_wakev_nowait(double res[NBACKENDS])
{
	run_xwords(call_wakev_nowaiter, res);
}

static double w_ppww(enum backend b)
{
	return run_xpp(b, b == NATIVE ? XK_FUTEX : XK_WAKE_WAIT, 0, 0);
}

static double w_ppww1(enum backend b)
{
	return run_xpp(b, b == NATIVE ? XK_FUTEX : XK_WAKE_WAIT, 0, 1);
}

static double w_ppt1(enum backend b)
{
	return run_xpp(b, b == NATIVE ? XK_FUTEX : XK_ALTF, 0, 1);
}

static double w_ppwaitv(enum backend b)
{
	return run_xpp(b, b == NATIVE ? XK_FUTEX_WAITV : XK_ALTF_WAITV, 0, 0);
}

static void p_waitv_eagain(double res[NBACKENDS])
{
	run_xwords(call_waitv_eagain, res);
}

static double w_pp2u8(enum backend b)
{
	return run_xpp(b, XK_SIZED, b == NATIVE ? ALTFUTEX_SIZE_U32 :
		       ALTFUTEX_SIZE_U8, 0);
}

static double w_pp2u64(enum backend b)
{
	return run_xpp(b, XK_SIZED, b == NATIVE ? ALTFUTEX_SIZE_U32 :
		       ALTFUTEX_SIZE_U64, 0);
}

struct workload {
	const char *name;
	const char *unit;
	int higher_better;	/* value is a rate, not a cost */
	double (*run)(enum backend b);
	const char *what;
	void (*pair)(double res[NBACKENDS]);	/* both at once, interleaved */
	int (*call)(enum backend b, void *arg);	/* or paired_loop() of it */
};

static const struct workload workloads[] = {
	{ .name = "hash", .unit = "ops/s", .higher_better = 1,
	  .run = w_hash,
	  .what = "4 threads x 1024 private words, wait on a mismatch" },
	{ .name = "wake-one", .unit = "ns/wake", .higher_better = 0,
	  .run = w_wake1,
	  .what = "16 waiters on one word, woken by 16 wake(1) calls" },
	{ .name = "wake-all", .unit = "ns/wake-all", .higher_better = 0,
	  .run = w_wakeall,
	  .what = "16 waiters on one word, woken by one wake(all) call" },
	{ .name = "wake-parallel", .unit = "ns/wake", .higher_better = 0,
	  .run = w_wakepar,
	  .what = "16 waiters, 4 wakers calling wake(1) on the same word" },
	{ .name = "requeue", .unit = "ns/requeue", .higher_better = 0,
	  .run = w_requeue,
	  .what = "16 waiters moved one by one with cmp_requeue(0, 1)" },
	{ .name = "pingpong-threads", .unit = "ns/roundtrip", .higher_better = 0,
	  .run = w_ppt,
	  .what = "two threads, private words, wait + wake each way" },
	{ .name = "pingpong-procs", .unit = "ns/roundtrip", .higher_better = 0,
	  .run = w_ppp,
	  .what = "two processes, shared memfd words, wait + wake each way" },
	{ .name = "wake-nowaiter", .unit = "ns/call", .higher_better = 0,
	  .what = "wake(1) on a private word nobody waits on, ioctl",
	  .pair = p_nowait },
	{ .name = "wake-nowaiter-fast", .unit = "ns/call", .higher_better = 0,
	  .what = "the same, fast path (count page) vs FUTEX_WAKE_PRIVATE",
	  .call = call_wake_fast },
	{ .name = "wake-nowaiter-fast-counted", .unit = "ns/call", .higher_better = 0,
	  .what = "the same, fast path vs native behind libc++'s waiter count",
	  .call = call_wake_fast_counted },
	{ .name = "wake-nowaiter-fast-counted-min", .unit = "ns/call", .higher_better = 0,
	  .what = "the same, vs native behind the cheapest waiter count",
	  .call = call_wake_fast_min },
	{ .name = "requeue-plain-nowaiter", .unit = "ns/call", .higher_better = 0,
	  .what = "requeue(0, 1), no value check, nobody waits, ioctl",
	  .call = call_requeue_ioctl },
	{ .name = "requeue-plain-nowaiter-fast", .unit = "ns/call", .higher_better = 0,
	  .what = "the same, fast path vs FUTEX_REQUEUE_PRIVATE",
	  .call = call_requeue_fast },
	{ .name = "requeue-plain-nowaiter-fast-counted", .unit = "ns/call", .higher_better = 0,
	  .what = "the same, fast path vs native behind libc++'s waiter count",
	  .call = call_requeue_fast_counted },
	{ .name = "requeue-plain-nowaiter-fast-counted-min", .unit = "ns/call", .higher_better = 0,
	  .what = "the same, vs native behind the cheapest waiter count",
	  .call = call_requeue_fast_min },
	{ .name = "wake-nowaiter-shared", .unit = "ns/call", .higher_better = 0,
	  .what = "wake(1) on a shared memfd word nobody waits on",
	  .pair = p_nowaits },
	{ .name = "requeue-nowaiter", .unit = "ns/call", .higher_better = 0,
	  .what = "cmp_requeue(0, 1) between private words nobody waits on",
	  .pair = p_rqnowait },
	{ .name = "floor", .unit = "ns/call", .higher_better = 0,
	  .what = "no-op: undefined ioctl (-ENOTTY) vs undefined futex op",
	  .pair = p_floor },
	/* the extended API (issue 17) */
	{ .name = "wakev-8-sleepers", .unit = "ns/round", .higher_better = 0,
	  .run = w_wakev,
	  .what = "8 sleepers, one per word, woken by 1 wakev vs 8 FUTEX_WAKE" },
	{ .name = "wake-8-sleepers", .unit = "ns/round", .higher_better = 0,
	  .run = w_wake8,
	  .what = "the same, 8 altfutex_wake() vs 8 FUTEX_WAKE" },
	{ .name = "wakev-8-nowaiter", .unit = "ns/call", .higher_better = 0,
	  .what = "8 words nobody waits on: 1 wakev ioctl vs 8 FUTEX_WAKE",
	  .pair = p_wakev_nowait },
	{ .name = "pingpong-wake-wait", .unit = "ns/roundtrip", .higher_better = 0,
	  .run = w_ppww,
	  .what = "two threads, 2 CPUs: wake_wait each way vs wake + wait" },
	{ .name = "pingpong-wake-wait-1cpu", .unit = "ns/roundtrip", .higher_better = 0,
	  .run = w_ppww1,
	  .what = "the same, both threads on one CPU" },
	{ .name = "pingpong-threads-1cpu", .unit = "ns/roundtrip", .higher_better = 0,
	  .run = w_ppt1,
	  .what = "two threads on one CPU, wait + wake each way" },
	{ .name = "waitv-8-pingpong", .unit = "ns/roundtrip", .higher_better = 0,
	  .run = w_ppwaitv,
	  .what = "two threads, 2 CPUs: waitv on 8 words vs futex_waitv" },
	{ .name = "waitv-8-eagain", .unit = "ns/call", .higher_better = 0,
	  .what = "waitv on 8 words, the last differs: -EAGAIN",
	  .pair = p_waitv_eagain },
	{ .name = "wait2-u8-mismatch", .unit = "ns/call", .higher_better = 0,
	  .what = "wait2 on a mismatch, U8 vs U32 word (\"native\": U32)",
	  .call = call_wait2_u8 },
	{ .name = "wake2-u8-nowaiter", .unit = "ns/call", .higher_better = 0,
	  .what = "wake2(1) ioctl, nobody waits, U8 vs U32",
	  .call = call_wake2_u8 },
	{ .name = "wake2-u8-nowaiter-fast", .unit = "ns/call", .higher_better = 0,
	  .what = "the same through the fast path, U8 vs U32",
	  .call = call_wake2_fast_u8 },
	{ .name = "pingpong-wait2-u8", .unit = "ns/roundtrip", .higher_better = 0,
	  .run = w_pp2u8,
	  .what = "two threads, 2 CPUs, wait2 + wake2, U8 vs U32" },
	{ .name = "wait2-u64-mismatch", .unit = "ns/call", .higher_better = 0,
	  .what = "wait2 on a mismatch, U64 vs U32 word",
	  .call = call_wait2_u64 },
	{ .name = "wake2-u64-nowaiter", .unit = "ns/call", .higher_better = 0,
	  .what = "wake2(1) ioctl, nobody waits, U64 vs U32",
	  .call = call_wake2_u64 },
	{ .name = "wake2-u64-nowaiter-fast", .unit = "ns/call", .higher_better = 0,
	  .what = "the same through the fast path, U64 vs U32",
	  .call = call_wake2_fast_u64 },
	{ .name = "pingpong-wait2-u64", .unit = "ns/roundtrip", .higher_better = 0,
	  .run = w_pp2u64,
	  .what = "two threads, 2 CPUs, wait2 + wake2, U64 vs U32" },
};

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define NWORKLOADS ARRAY_SIZE(workloads)

/* Is @name in @only, a comma-separated list (NULL: every workload)? */
static int selected(const char *only, const char *name)
{
	size_t n = strlen(name);
	const char *p;

	if (!only)
		return 1;
	for (p = only; p; p = strchr(p, ',')) {
		if (*p == ',')
			p++;
		if (!strncmp(p, name, n) && (p[n] == ',' || !p[n]))
			return 1;
	}
	return 0;
}

static double median(const double *v, int n)
{
	double s[64];

	memcpy(s, v, n * sizeof(*v));
	qsort(s, n, sizeof(*s), cmp_double);
	return n & 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/* (max - min) / median, in percent */
static double spread(const double *v, int n)
{
	double lo = v[0], hi = v[0];
	int i;

	for (i = 1; i < n; i++) {
		lo = v[i] < lo ? v[i] : lo;
		hi = v[i] > hi ? v[i] : hi;
	}
	return 100 * (hi - lo) / median(v, n);
}

static void slab_line(const char *cache)
{
	char line[512], name[128];
	long active, num, objsize;
	FILE *f = fopen("/proc/slabinfo", "r");

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%127s %ld %ld %ld", name, &active, &num,
			   &objsize) == 4 && !strcmp(name, cache)) {
			fprintf(out, "MEM %s %ld\n", cache, objsize);
			printf("slab %s: %ld bytes per object\n", cache,
			       objsize);
		}
	}
	fclose(f);
}

int main(int argc, char **argv)
{
	static double v[NWORKLOADS][NBACKENDS][64], r[NWORKLOADS][64];
	static const long keys[] = { 1, 10, 100, 1000, 10000, 100000,
				     1000000 };
	static const int threads[] = { 1, 2, 4, 8, 16 };
	int reps = 7, curves = 1, curve_reps = 3, opt, rep, i, j, k;
	const char *outname = NULL, *only = NULL;
	double c[NBACKENDS][16], t0 = now();

	while ((opt = getopt(argc, argv, "r:d:nw:o:")) != -1) {
		switch (opt) {
		case 'w':
			only = optarg;
			break;
		case 'n':
			curves = 0;
			break;
		case 'r':
			reps = atoi(optarg);
			break;
		case 'd':
			duration = atof(optarg);
			break;
		case 'o':
			outname = optarg;
			break;
		default:
			fprintf(stderr,
				"usage: bench [-r REPS] [-d SECONDS] [-n] [-w NAME] [-o FILE]\n");
			return 2;
		}
	}
	if (reps < 1 || reps > 64 || duration <= 0)
		return 2;
	curve_reps = reps < 3 ? reps : 3;
	out = outname ? fopen(outname, "w") : stdout;
	if (!out)
		die(outname, errno);
	setvbuf(stdout, NULL, _IOLBF, 0);
	setvbuf(out, NULL, _IOLBF, 0);
	if (altfutex_open() < 0)
		die("/dev/altfutex", -altfutex_open());
	printf("bench: %d reps x %.2f s per measurement, %ld CPUs\n", reps,
	       duration, sysconf(_SC_NPROCESSORS_ONLN));

	/*
	 * Interleaved: each repetition runs every workload on both, the
	 * order of the two alternating from one repetition to the next.
	 */
	for (rep = 0; rep < reps; rep++) {
		for (i = 0; i < (int)NWORKLOADS; i++) {
			double res[NBACKENDS];

			if (!selected(only, workloads[i].name))
				continue;
			if (workloads[i].call)
				run_pair2(workloads[i].call, res);
			else if (workloads[i].pair)
				workloads[i].pair(res);
			for (k = 0; k < NBACKENDS; k++) {
				enum backend b = (k + rep + i) & 1 ? ALTF : NATIVE;

				if (!workloads[i].pair && !workloads[i].call)
					res[b] = workloads[i].run(b);
				v[i][b][rep] = res[b];
				fprintf(out, "SAMPLE %s %s %d %.6g\n",
					workloads[i].name, bname[b], rep,
					v[i][b][rep]);
			}
			/*
			 * The two ran back to back: their ratio is the least
			 * disturbed by the host's load.
			 */
			r[i][rep] = workloads[i].higher_better ?
				    v[i][NATIVE][rep] / v[i][ALTF][rep] :
				    v[i][ALTF][rep] / v[i][NATIVE][rep];
		}
		printf("bench: repetition %d done, %.0f s\n", rep + 1,
		       now() - t0);
	}

	printf("\n%-36s %14s %14s %7s  %-13s %s\n", "workload", "native",
	       "altfutex", "ratio", "unit", "spread n/a");
	for (i = 0; i < (int)NWORKLOADS; i++) {
		const struct workload *w = &workloads[i];

		if (!selected(only, w->name))
			continue;
		double mn = median(v[i][NATIVE], reps);
		double ma = median(v[i][ALTF], reps);
		double ratio = median(r[i], reps);
		double sn = spread(v[i][NATIVE], reps);
		double sa = spread(v[i][ALTF], reps);

		printf("%-36s %14.6g %14.6g %7.3f  %-13s %.0f%%/%.0f%%\n",
		       w->name, mn, ma, ratio, w->unit, sn, sa);
		fprintf(out, "ROW %s %.6g %.6g %.4f %s %.1f %.1f\n", w->name,
			mn, ma, ratio, w->unit, sn, sa);
	}

	if (wakev_rounds[NATIVE] + wakev_rounds[ALTF])
		printf("wake(v)-8-sleepers: short rounds: %lu/%lu native, %lu/%lu altfutex\n",
		       wakev_short[NATIVE], wakev_rounds[NATIVE],
		       wakev_short[ALTF], wakev_rounds[ALTF]);
	if (waitv_waits[NATIVE] + waitv_waits[ALTF])
		printf("waitv-8-pingpong: waits that slept: %lu/%lu native, %lu/%lu altfutex\n",
		       waitv_slept[NATIVE], waitv_waits[NATIVE],
		       waitv_slept[ALTF], waitv_waits[ALTF]);

	/* Scaling curves of the hash workload (ops/s). */
	if (!curves)
		goto end;
	printf("\nhash scaling over threads (1024 words per thread), ops/s\n");
	for (j = 0; j < (int)(sizeof(threads) / sizeof(*threads)); j++) {
		for (rep = 0; rep < curve_reps; rep++)
			for (k = 0; k < NBACKENDS; k++) {
				enum backend b = (k + rep) & 1 ? ALTF : NATIVE;

				c[b][rep] = run_hash(b, threads[j],
						     1024L * threads[j]);
			}
		fprintf(out, "CURVE threads %d %.6g %.6g\n", threads[j],
			median(c[NATIVE], curve_reps),
			median(c[ALTF], curve_reps));
		printf("  %2d threads: native %.4g altfutex %.4g\n", threads[j],
		       median(c[NATIVE], curve_reps),
		       median(c[ALTF], curve_reps));
	}
	printf("hash scaling over distinct words (%d threads), ops/s\n",
	       HASH_THREADS);
	for (j = 0; j < (int)(sizeof(keys) / sizeof(*keys)); j++) {
		for (rep = 0; rep < curve_reps; rep++)
			for (k = 0; k < NBACKENDS; k++) {
				enum backend b = (k + rep) & 1 ? ALTF : NATIVE;

				c[b][rep] = run_hash(b, HASH_THREADS, keys[j]);
			}
		fprintf(out, "CURVE keys %ld %.6g %.6g\n", keys[j],
			median(c[NATIVE], curve_reps),
			median(c[ALTF], curve_reps));
		printf("  %7ld words: native %.4g altfutex %.4g\n", keys[j],
		       median(c[NATIVE], curve_reps),
		       median(c[ALTF], curve_reps));
	}

end:
	slab_line("altfutex_waiter");
	slab_line("altfutex_fd");
	printf("bench: done in %.0f s\n", now() - t0);
	fprintf(out, "END\n");
	return 0;
}
