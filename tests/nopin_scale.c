// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * nopin_scale: 100 000 waiters on 100 000 pages of a memfd (400 MiB), then
 * the whole memfd is swapped out under them (issue 6, "Scale").  A design
 * that pinned the page under each waiter would keep ~400 MiB resident.
 *
 * altfutex column: 100 000 altfutex fds, one waiter on the first word of
 * every page (an fd is a queued waiter like a thread, and 100 000 threads
 * are too heavy for the TCG test VM), plus 1000 waiter threads on another
 * word of every 100th page.  native column: futex(2) has no fd waiters any
 * more, so only the 1000 threads.
 *
 * Steps: fill every page (each holds its own index, so that none is a
 * same-filled page that zram would store for free); queue the waiters;
 * MADV_PAGEOUT the whole mapping until mincore sees (almost) nothing
 * resident; then wake every word, oldest waiter first, and check that
 * every fd polls POLLIN and every thread returns 0.  MemAvailable, Shmem
 * and SwapFree are reported at each step, with zram's own figures.
 *
 * Passes when at most 1% of the pages stay resident after the swap-out,
 * Shmem drops by at least 90% of the memfd's size and MemAvailable rises
 * by at least half of it (zram keeps the compressed copies in RAM), and
 * every waiter is found.  In the pass with hash_size=1 of make check the
 * native column is not run again (it does not depend on the module).
 */
#include <poll.h>
#include <sys/resource.h>

#include "helpers.h"

#define NPAGES 100000
#define NTHREADS 1000
#define THREAD_EVERY (NPAGES / NTHREADS)
#define FD_WORD 0
#define THREAD_WORD 64

struct mem {
	long avail, shmem, swapfree;
};

static struct mem mem_now(void)
{
	struct mem m = {
		t_meminfo_kb("MemAvailable"),
		t_meminfo_kb("Shmem"),
		t_meminfo_kb("SwapFree"),
	};

	return m;
}

static void mem_log(const char *when, struct mem m)
{
	t_log("%-28s MemAvailable %6ld MiB, Shmem %6ld MiB, SwapFree %6ld MiB",
	      when, m.avail / 1024, m.shmem / 1024, m.swapfree / 1024);
}

static void zram_log(void)
{
	char buf[256];
	long orig = 0, compr = 0, used = 0;

	if (t_read_file("/sys/block/zram0/mm_stat", buf, sizeof(buf)) > 0 &&
	    sscanf(buf, "%ld %ld %ld", &orig, &compr, &used) == 3)
		t_log("zram0: %ld MiB swapped, %ld MiB compressed, %ld MiB of RAM used",
		      orig >> 20, compr >> 20, used >> 20);
}

static double secs_since(int64_t t0)
{
	return (t_now_ns(CLOCK_MONOTONIC) - t0) / 1e9;
}

static void sc_scale(const struct t_backend *be)
{
	const size_t pg = PGSZ, len = (size_t)NPAGES * PGSZ;
	int with_fds = !strcmp(be->name, "altfutex");
	static struct t_waiter w[NTHREADS];
	struct mem m0, m1, m2, m3;
	struct rlimit rl;
	struct pollfd *pfd = NULL;
	size_t i, resident = 0, found;
	int mfd, tries, r;
	int64_t t0;
	char *base;

	if (!strcmp(be->name, "native") && getenv("ALTFUTEX_PARAMS") &&
	    strstr(getenv("ALTFUTEX_PARAMS"), "hash_size"))
		t_skip("native futex: already run in the pass with the default module parameters");
	CHECK(t_swap_devices() > 0,
	      "no swap device is active (the test VM sets one up)");
	CHECK(t_meminfo_kb("SwapFree") > (long)(len / 1024 / 2),
	      "not enough swap");
	if (with_fds) {
		rl.rlim_cur = NPAGES + 4096;
		rl.rlim_max = rl.rlim_cur;
		CHECK(!setrlimit(RLIMIT_NOFILE, &rl),
		      "cannot raise RLIMIT_NOFILE to %lu: %s",
		      (unsigned long)rl.rlim_cur, strerror(errno));
		pfd = calloc(NPAGES, sizeof(*pfd));
		CHECK(pfd, "calloc");
	}

	m0 = mem_now();
	mem_log("before", m0);
	mfd = memfd_create("nopin-scale", MFD_CLOEXEC);
	CHECK(mfd >= 0, "memfd_create: %s", strerror(errno));
	CHECK(!ftruncate(mfd, (off_t)len), "ftruncate: %s", strerror(errno));
	base = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	CHECK(base != MAP_FAILED, "mmap: %s", strerror(errno));
	t0 = t_now_ns(CLOCK_MONOTONIC);
	for (i = 0; i < NPAGES; i++)
		*U32_AT(base, i * pg + 8) = (uint32_t)i + 1;
	t_log("filled %d pages (%zu MiB) in %.1f s", NPAGES, len >> 20,
	      secs_since(t0));

	if (with_fds) {
		t0 = t_now_ns(CLOCK_MONOTONIC);
		for (i = 0; i < NPAGES; i++) {
			r = altfutex_fd(U32_AT(base, i * pg + FD_WORD), 0, 0);
			CHECK(r >= 0, "altfutex_fd #%zu: %s", i, strerror(-r));
			pfd[i].fd = r;
			pfd[i].events = POLLIN;
		}
		t_log("%d fd waiters queued, one per page, in %.1f s", NPAGES,
		      secs_since(t0));
	}
	t0 = t_now_ns(CLOCK_MONOTONIC);
	for (i = 0; i < NTHREADS; i++)
		t_waiter_start_be(&w[i], be,
				  base + i * THREAD_EVERY * pg + THREAD_WORD,
				  0, 0);
	t_log("%d waiter threads asleep, on every %dth page, in %.1f s",
	      NTHREADS, THREAD_EVERY, secs_since(t0));
	m1 = mem_now();
	mem_log("filled, waiters queued", m1);

	t0 = t_now_ns(CLOCK_MONOTONIC);
	for (tries = 1; tries <= 10; tries++) {
		CHECK(!madvise(base, len, MADV_PAGEOUT),
		      "madvise(MADV_PAGEOUT): %s", strerror(errno));
		resident = t_resident(base, len);
		if (resident <= NPAGES / 1000)
			break;
		t_sleep_ms(200);
	}
	m2 = mem_now();
	t_log("MADV_PAGEOUT x%d, %.1f s: %zu of %d pages resident (%zu KiB); smaps Swap %ld MiB",
	      tries, secs_since(t0), resident, NPAGES, resident * pg / 1024,
	      t_smaps_kb(base, "Swap:") / 1024);
	mem_log("swapped out", m2);
	zram_log();
	t_log("Shmem fell by %ld MiB, MemAvailable rose by %ld MiB (memfd: %zu MiB)",
	      (m1.shmem - m2.shmem) / 1024, (m2.avail - m1.avail) / 1024,
	      len >> 20);
	CHECK(resident <= NPAGES / 100, "%zu pages stayed resident", resident);
	CHECK(m1.shmem - m2.shmem >= (long)(len / 1024) * 9 / 10,
	      "Shmem fell by only %ld KiB", m1.shmem - m2.shmem);
	CHECK(m2.avail - m1.avail >= (long)(len / 1024) / 2,
	      "MemAvailable rose by only %ld KiB", m2.avail - m1.avail);

	/* every waiter is still there: wake them all, oldest first */
	t0 = t_now_ns(CLOCK_MONOTONIC);
	found = 0;
	if (with_fds) {
		/*
		 * nr_wake 1: a wake looks for more waiters until it has
		 * nr_wake, and with hash_size=1 every one of the 100000 is in
		 * the same bucket; the oldest, the one wanted, is first.
		 */
		for (i = 0; i < NPAGES; i++) {
			r = be->wake(U32_AT(base, i * pg + FD_WORD), 1, 0);
			CHECK(r == 1, "wake of page %zu: %d (%s)", i, r,
			      t_err(r));
			found += r;
		}
		r = poll(pfd, NPAGES, 0);
		CHECK(r == NPAGES, "%d of %d fds poll POLLIN after the wakes",
		      r, NPAGES);
	}
	for (i = 0; i < NTHREADS; i++) {
		r = be->wake(U32_AT(base, i * THREAD_EVERY * pg + THREAD_WORD),
			     INT_MAX, 0);
		CHECK(r == 1, "wake of thread %zu: %d (%s)", i, r, t_err(r));
		found += r;
	}
	for (i = 0; i < NTHREADS; i++) {
		r = t_waiter_join(&w[i]);
		CHECK(r == 0, "thread %zu returned %d (%s)", i, r, t_err(r));
	}
	resident = t_resident(base, len);
	t_log("woke %zu waiters (%s%d threads) in %.1f s; %zu pages resident after the wakes",
	      found, with_fds ? "100000 fds + " : "", NTHREADS, secs_since(t0),
	      resident);
	m3 = mem_now();
	mem_log("after the wakes", m3);
	if (with_fds) {
		t0 = t_now_ns(CLOCK_MONOTONIC);
		for (i = 0; i < NPAGES; i++)
			close(pfd[i].fd);
		t_log("closed %d fds in %.1f s", NPAGES, secs_since(t0));
	}
	munmap(base, len);
	close(mfd);
	t_log("ok: %zu waiters on %d pages: memory released by swap-out, every waiter found",
	      found, NPAGES);
}

int main(void)
{
	t_init("nopin_scale", 290);
	if (geteuid() != 0)
		t_skip("needs root (RLIMIT_NOFILE for 100000 fds)");
	t_both_run("scale: 100000 pages swapped", sc_scale);
	t_both_summary();
	if (t_both_failed())
		t_fail("the altfutex run failed");
	t_log("PASS");
	return T_PASS;
}
