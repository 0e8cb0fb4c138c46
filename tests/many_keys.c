// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * many_keys: 10 000 threads (64 KiB stacks) asleep on 10 000 distinct keys
 * at once: consecutive words of a private anonymous array (with and without
 * ALTFUTEX_PRIVATE) and of a MAP_SHARED anonymous one, spread over many
 * pages.  Once all sleep in the kernel, each key gets its own wake(1):
 * every wake returns 1 and every wait returns 0; a second round of wakes
 * finds nobody.  As root the thread limits are raised if they are too low.
 */
#include <sys/resource.h>

#include "helpers.h"

#define NTHREADS 10000

/* Their ids make t_returned() count the waits that returned. */
static struct t_waiter *mks;

static void raise_to(const char *path, long want)
{
	long v = t_read_long(path);
	FILE *f;

	if (v < 0 || v >= want)
		return;
	f = fopen(path, "we");
	if (!f || fprintf(f, "%ld\n", want) < 0 || fclose(f))
		t_log("could not raise %s from %ld to %ld", path, v, want);
	else
		t_log("raised %s from %ld to %ld", path, v, want);
}

static void raise_limits(void)
{
	struct rlimit rl;

	if (!getrlimit(RLIMIT_NPROC, &rl) && rl.rlim_cur != RLIM_INFINITY &&
	    rl.rlim_cur < 2 * NTHREADS) {
		rl.rlim_cur = rl.rlim_max == RLIM_INFINITY ||
			      rl.rlim_max > 2 * NTHREADS ?
			      2 * NTHREADS : rl.rlim_max;
		if (geteuid() == 0) {
			rl.rlim_cur = RLIM_INFINITY;
			rl.rlim_max = RLIM_INFINITY;
		}
		setrlimit(RLIMIT_NPROC, &rl);
	}
	if (geteuid() == 0) {
		raise_to("/proc/sys/kernel/threads-max", 4 * NTHREADS);
		raise_to("/proc/sys/kernel/pid_max", 4 * NTHREADS);
		raise_to("/proc/sys/vm/max_map_count", 8 * NTHREADS);
	}
}

static void show_memory(void)
{
	char line[128];
	FILE *f = fopen("/proc/meminfo", "re");

	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "MemTotal", 8) ||
		    !strncmp(line, "MemAvailable", 12))
			fprintf(stderr, "%s: %s", t_name, line);
	fclose(f);
}

int main(void)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	size_t words = NTHREADS / 3 + 1;
	uint32_t *priv, *shared, *uaddr;
	unsigned int flags;
	int64_t t0, t1, t2, t3;
	int i, j, err, n, asleep, r;

	t_init("many_keys", 180);
	raise_limits();

	priv = t_map(2 * words * 4 / pg + 2, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE);
	shared = t_map(words * 4 / pg + 2, PROT_READ | PROT_WRITE, MAP_SHARED);
	mks = calloc(NTHREADS, sizeof(*mks));
	CHECK(mks, "calloc");
	t0 = t_now_ns(CLOCK_MONOTONIC);
	for (n = 0; n < NTHREADS; n++) {
		/* n % 3: private array, the same + ALTFUTEX_PRIVATE, shared */
		switch (n % 3) {
		case 0:
			uaddr = priv + n / 3;
			flags = 0;
			break;
		case 1:
			uaddr = priv + words + n / 3;
			flags = ALTFUTEX_PRIVATE;
			break;
		default:
			uaddr = shared + n / 3;
			flags = 0;
			break;
		}
		t_waiter_init(&mks[n], uaddr, 0, flags, NULL, "thread");
		mks[n].id = n;
		err = t_waiter_run(&mks[n]);
		if (err) {
			show_memory();
			t_fail("pthread_create number %d: %s (threads-max %ld, pid_max %ld)",
			       n + 1, strerror(err),
			       t_read_long("/proc/sys/kernel/threads-max"),
			       t_read_long("/proc/sys/kernel/pid_max"));
		}
	}
	/* every thread runs, about to wait */
	for (i = 0; i < NTHREADS; i++) {
		while (!__atomic_load_n(&mks[i].tid, __ATOMIC_SEQ_CST)) {
			CHECK(!t_returned(), "a wait returned before any wake");
			t_sleep_ms(10);
		}
	}
	t1 = t_now_ns(CLOCK_MONOTONIC);
	t_log("%d threads created in %lld ms", NTHREADS,
	      (long long)((t1 - t0) / NSEC_PER_MSEC));

	/* every one of them asleep in the kernel */
	for (i = 0; i < NTHREADS; i++) {
		while ((r = t_asleep(0, mks[i].tid)) != 1) {
			CHECK(r == 0, "thread %d (tid %d) is gone", i,
			      mks[i].tid);
			CHECK(!t_returned(), "a wait returned before any wake");
			t_sleep_ms(1);
		}
	}
	asleep = NTHREADS;
	t2 = t_now_ns(CLOCK_MONOTONIC);
	t_log("all %d asleep in the kernel (checked in %lld ms)", asleep,
	      (long long)((t2 - t1) / NSEC_PER_MSEC));

	/* nobody on the words next to them */
	CHECK_RET(altfutex_wake(priv + 2 * words, INT_MAX, 0), 0);
	CHECK_RET(altfutex_wake(shared + words, INT_MAX, 0), 0);

	/* wake them in a scattered order: a stride coprime to NTHREADS */
	for (i = 0, j = 0; i < NTHREADS; i++, j = (j + 7919) % NTHREADS) {
		r = altfutex_wake(mks[j].uaddr, 1, mks[j].flags);
		if (r != 1)
			t_fail("wake(1) of key %d (%p, flags %#x) returned %d (%s)",
			       j, (void *)mks[j].uaddr, mks[j].flags, r,
			       t_err(r));
	}
	for (i = 0; i < NTHREADS; i++) {
		r = t_waiter_join(&mks[i]);
		if (r)
			t_fail("wait %d returned %d (%s)", i, r, t_err(r));
	}
	for (i = 0; i < NTHREADS; i++)
		CHECK_RET(altfutex_wake(mks[i].uaddr, 1, mks[i].flags), 0);
	t3 = t_now_ns(CLOCK_MONOTONIC);
	t_log("ok: %d keys: each wake(1) 1, each wait 0 (%lld ms); total %lld ms",
	      NTHREADS, (long long)((t3 - t2) / NSEC_PER_MSEC),
	      (long long)((t3 - t0) / NSEC_PER_MSEC));
	t_log("PASS");
	return T_PASS;
}
