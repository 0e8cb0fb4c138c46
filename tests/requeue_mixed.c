// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Requeue between a private and a shared key, both ways, while waiters and
 * fds queue on them non-stop.  Words without ALTFUTEX_PRIVATE are keyed by
 * what their VMA is: P, in MAP_PRIVATE memory, gets a private key (its
 * process's table); S, in MAP_SHARED memory, a shared one (the table of
 * the system, whose resizes a per-CPU rwsem keeps out).
 *
 * Once a waiter is queued its key belongs to the queue: a requeue may
 * rewrite it the moment the bucket lock is dropped.  The enqueue used to
 * look at that key again to decide whether to release the rwsem it had
 * (or had not) taken, so a requeue in between left the rwsem held on the
 * way back to user space (lockdep: "lock held when returning to user
 * space!", in make check-debug's fuzz) or released it once too often;
 * either way the next resize of the shared table waited forever, and
 * every shared operation behind it.  An fd's re-arm read the word through
 * the same key, while a requeue could be rewriting it and dropping the
 * file it named.  Checked:
 *  - no kernel report (the harness scans the log: a debug kernel's lockdep
 *    sees an unbalanced rwsem at once);
 *  - exact accounting: wakes reported equal waits woken plus fd wakes read;
 *  - then the shared table still grows: more than two waiters a bucket on
 *    S must make the worker take the rwsem's write side (if debugfs shows
 *    the table's size, hash_size= does not fix it, and it has at most
 *    GROW_FDS_MAX / 2 buckets: in make check, earlier tests have often
 *    grown it past that, and lockdep in make check-debug is the check).
 */
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <sys/resource.h>

#include "helpers.h"

#define NR_WAITERS	4
#define NR_FDS		2
#define STORM_MS	3000
#define GROW_FDS_MAX	131072

static uint32_t *words[2];	/* P (private), S (shared) */
static int stop;
static unsigned long woken_reported;	/* sum of wake counts returned */
static unsigned long waits_woken;	/* waits that returned 0 */
static unsigned long fd_wakes;		/* wakes read from fds */
static unsigned long waits_timedout, moved, rearms;
static int waiters_left;

static unsigned int rnd(unsigned int *seed)
{
	*seed = *seed * 1103515245 + 12345;
	return (*seed >> 16) & 0x7fff;
}

static void add(unsigned long *p, long v)
{
	__atomic_fetch_add(p, v, __ATOMIC_RELAXED);
}

static int stopping(void)
{
	return __atomic_load_n(&stop, __ATOMIC_ACQUIRE);
}

static void *waiter(void *arg)
{
	long id = (long)arg;
	unsigned int seed = (unsigned int)id * 7 + 1;
	struct timespec ts;
	int r;

	while (!stopping()) {
		ts = t_ts_ms(1 + rnd(&seed) % 3);
		r = altfutex_wait(words[rnd(&seed) & 1], 0, &ts, 0);
		if (r == 0)
			add(&waits_woken, 1);
		else if (r == -ETIMEDOUT)
			add(&waits_timedout, 1);
		else
			t_fail("wait returned %s", t_err(r));
	}
	/* last round: no timeout, until the drain wakes us */
	r = altfutex_wait(words[id & 1], 0, NULL, 0);
	if (r)
		t_fail("final wait returned %s", t_err(r));
	add(&waits_woken, 1);
	__atomic_fetch_sub(&waiters_left, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* Read the wake of @fd if it has one; returns whether it had. */
static int fd_consume(int fd)
{
	uint64_t n;
	ssize_t r = read(fd, &n, sizeof(n));

	if (r < 0 && errno == EAGAIN)
		return 0;
	CHECK(r == sizeof(n) && n == 1, "fd read: %zd, %s", r,
	      strerror(errno));
	add(&fd_wakes, 1);
	return 1;
}

/*
 * An fd on P or S, re-armed as soon as it is woken (its re-arm reads the
 * word through the key, which a requeue may have moved it to), now and
 * then closed instead and made again.  Never closed while armed: a wake
 * that claimed it then would be counted by the waker and read by nobody.
 */
static void *fd_user(void *arg)
{
	unsigned int seed = (unsigned int)(long)arg + 11;
	int fd = -1, r;

	while (!stopping()) {
		if (fd < 0) {
			fd = altfutex_fd(words[rnd(&seed) & 1], 0, 0);
			CHECK(fd >= 0, "altfutex_fd: %s", t_err(fd));
			CHECK(!fcntl(fd, F_SETFL, O_NONBLOCK), "O_NONBLOCK");
		}
		if (!fd_consume(fd))
			continue;
		if (rnd(&seed) % 8) {
			/* woken and read: not queued, so nothing else arms it */
			r = altfutex_fd_rearm(fd, 0);
			CHECK(r == 0, "re-arm: %s", t_err(r));
			add(&rearms, 1);
		} else {
			CHECK(!close(fd), "close");
			fd = -1;
		}
	}
	if (fd >= 0) {
		/* the wakers have stopped: a wake that claimed it shows */
		fd_consume(fd);
		CHECK(!close(fd), "close");
	}
	return NULL;
}

static void *requeuer(void *arg)
{
	long dir = (long)arg;
	unsigned int seed = (unsigned int)dir + 99;
	int r;

	while (!stopping()) {
		r = altfutex_requeue(words[dir], words[!dir], 0,
				     1 + rnd(&seed) % 4, 0);
		if (r < 0)
			t_fail("requeue returned %s", t_err(r));
		add(&moved, r);
	}
	return NULL;
}

static void *waker(void *arg)
{
	unsigned int seed = (unsigned int)(long)arg + 5;
	int r;

	while (!stopping()) {
		r = altfutex_wake(words[rnd(&seed) & 1], 1, 0);
		if (r < 0)
			t_fail("wake returned %s", t_err(r));
		add(&woken_reported, r);
		t_sleep_ms(1);
	}
	return NULL;
}

static void storm(void)
{
	pthread_t w[NR_WAITERS], f[NR_FDS], rq[2], wk;
	int i, r;

	waiters_left = NR_WAITERS;
	for (i = 0; i < NR_WAITERS; i++)
		CHECK(!pthread_create(&w[i], NULL, waiter, (void *)(long)i),
		      "thread");
	for (i = 0; i < NR_FDS; i++)
		CHECK(!pthread_create(&f[i], NULL, fd_user, (void *)(long)i),
		      "thread");
	for (i = 0; i < 2; i++)
		CHECK(!pthread_create(&rq[i], NULL, requeuer, (void *)(long)i),
		      "thread");
	CHECK(!pthread_create(&wk, NULL, waker, NULL), "thread");

	t_sleep_ms(STORM_MS);
	__atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
	for (i = 0; i < 2; i++)
		pthread_join(rq[i], NULL);
	pthread_join(wk, NULL);
	for (i = 0; i < NR_FDS; i++)
		pthread_join(f[i], NULL);

	/* drain: every waiter must be found on P or S and woken */
	while (__atomic_load_n(&waiters_left, __ATOMIC_ACQUIRE)) {
		for (i = 0; i < 2; i++) {
			r = altfutex_wake(words[i], INT_MAX, 0);
			CHECK(r >= 0, "drain wake: %s", t_err(r));
			add(&woken_reported, r);
		}
		t_sleep_ms(1);
	}
	for (i = 0; i < NR_WAITERS; i++)
		pthread_join(w[i], NULL);

	CHECK(waits_woken + fd_wakes == woken_reported,
	      "wakes reported %lu, woken %lu (%lu waits, %lu fds)",
	      woken_reported, waits_woken + fd_wakes, waits_woken, fd_wakes);
	CHECK(moved > 0, "nothing was ever requeued");
	t_log("ok: %lu waits woken, %lu timed out, %lu fd wakes (%lu re-arms)",
	      waits_woken, waits_timedout, fd_wakes, rearms);
	t_log("ok: %lu moved between the private and the shared key; accounting exact",
	      moved);
}

/* The size of the shared table, from the statistics, or -1. */
static long table_size(void)
{
	static const char field[] = "shared_buckets ";
	char buf[4096], *p;

	if (t_read_file("/sys/kernel/debug/altfutex/stats", buf,
			sizeof(buf)) <= 0)
		return -1;
	p = strstr(buf, field);
	return p ? strtol(p + strlen(field), NULL, 10) : -1;
}

/*
 * Fill the shared table past its load, all on S (one bucket, a long
 * chain), and see the worker resize it: it takes the rwsem's write side,
 * which an unbalanced reader would keep it from forever.
 */
static void check_growth(void)
{
	long size = table_size(), now = size;
	long n = 2 * size + 1, i, deadline;
	struct rlimit rl;
	int *fds, fd;

	if (t_read_long("/sys/module/altfutex/parameters/hash_size") > 0) {
		t_log("hash_size= fixes the table: its growth is not checked");
		return;
	}
	if (size < 0) {
		t_log("no statistics in debugfs: growth not checked");
		return;
	}
	if (n > GROW_FDS_MAX) {
		t_log("the shared table has %ld buckets: too many to fill",
		      size);
		return;
	}
	rl.rlim_cur = n + 64;
	rl.rlim_max = n + 64;
	CHECK(!setrlimit(RLIMIT_NOFILE, &rl), "RLIMIT_NOFILE %ld: %s", n + 64,
	      strerror(errno));
	fds = calloc(n, sizeof(*fds));
	CHECK(fds, "calloc");
	for (i = 0; i < n; i++) {
		fds[i] = altfutex_fd(words[1], 0, 0);
		CHECK(fds[i] >= 0, "fd %ld: %s", i, t_err(fds[i]));
	}
	/* growth is looked at by a wait that finds a long chain, 10 a second */
	deadline = 10000 * (long)t_time_scale();
	for (i = 0; i < deadline && now == size; i += 20) {
		fd = altfutex_fd(words[1], 0, 0);
		CHECK(fd >= 0, "fd: %s", t_err(fd));
		close(fd);
		t_sleep_ms(20);
		now = table_size();
	}
	CHECK(now > size, "%ld waiters on %ld buckets: the table did not grow in %ld ms",
	      n, size, i);
	t_log("ok: %ld fd waiters on S grew the shared table from %ld to %ld buckets",
	      n, size, now);
	for (i = 0; i < n; i++)
		close(fds[i]);
	free(fds);
}

int main(void)
{
	t_init("requeue_mixed", 120);
	if (altfutex_open() < 0)
		t_skip("no /dev/altfutex");
	words[0] = t_map(1, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	words[1] = t_map(1, PROT_READ | PROT_WRITE, MAP_SHARED);
	storm();
	check_growth();
	return T_PASS;
}
