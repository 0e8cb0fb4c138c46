// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * mem_change: what happens to a sleeping waiter when its memory changes,
 * each sentence of the README's "When memory changes under a sleeping
 * waiter" (issue 6, "Semantics from the seed"), with altfutex and with
 * futex(2), a table row per scenario:
 *
 *  mremap shared    a waiter on a memfd mapping that mremap moves: a wake
 *                   through the new address finds it, and so does one
 *                   through another mapping of the memfd (the key is the
 *                   file's)
 *  mremap private   a waiter on private anonymous memory that mremap
 *                   moves stays keyed on the old address: a wake through
 *                   the new address finds nobody, one through the old
 *                   (now unmapped) address is -EFAULT, and after memory is
 *                   mapped at the old address again a wake there finds
 *                   it; with the private flag, a wake through the old
 *                   address finds it even while nothing is mapped there
 *  truncate         a waiter on a file page (ext2 disk of the VM, else
 *                   tmpfs) that ftruncate cuts off stays asleep; a new
 *                   wait or wake on that page is -EFAULT; a waiter there
 *                   is interrupted by a signal (-EINTR), one in another
 *                   process can be killed; once the file is
 *                   extended again a wake finds the first waiter (it was
 *                   woken by its key)
 *  exit and kill    a process with waiter threads (and, for altfutex,
 *                   fd waiters) on shared and private words exits, another
 *                   is killed with SIGKILL: a wake on the shared words then
 *                   finds nobody, and (altfutex) the module's fd slab
 *                   objects and its reference count go back to where they
 *                   were (a thread's waiter lives on its stack)
 */
#include <sys/mount.h>

#include "helpers.h"

static char g_file[256];

static void remove_file(void)
{
	if (g_file[0])
		unlink(g_file);
}

static void expect_wake(const struct t_backend *be, void *uaddr,
			unsigned int flags, int want, const char *what)
{
	int r = be->wake(uaddr, INT_MAX, flags);

	CHECK(r == want, "%s: wake returned %d (%s), expected %d (%s)", what,
	      r, t_err(r), want, t_err(want));
}

static void expect_ret(struct t_waiter *w, int want)
{
	int r = t_waiter_join(w);

	CHECK(r == want, "waiter returned %d (%s), expected %d", r, t_err(r),
	      want);
}

/* ---- mremap shared ------------------------------------------------------- */

static void mremap_shared(const struct t_backend *be)
{
	size_t pg = PGSZ;
	int fd = t_memfd("mem_change", 2 * pg);
	char *a, *b, *c, *to = t_reserve(2 * pg);
	struct t_waiter w[2];

	a = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	c = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, pg);
	CHECK(a != MAP_FAILED && c != MAP_FAILED, "mmap: %s", strerror(errno));
	*U32_AT(a, pg + 100 * 4) = 0;
	t_waiter_start_be(&w[0], be, a + pg + 400, 0, 0);
	t_waiter_start_be(&w[1], be, a + pg + 400, 0, 0);
	b = mremap(a, 2 * pg, 2 * pg, MREMAP_MAYMOVE | MREMAP_FIXED, to);
	CHECK(b == to, "mremap: %s", strerror(errno));
	t_waiter_check_asleep(&w[0], 5);
	CHECK(be->wake(U32_AT(b, pg + 400), 1, 0) == 1,
	      "a wake through the new address did not find the waiter");
	expect_ret(&w[0], 0);
	expect_wake(be, c + 400, 0, 1, "through another mapping of the memfd");
	expect_ret(&w[1], 0);
	t_log("ok: after mremap, the new address and another mapping find the waiters");
	munmap(b, 2 * pg);
	munmap(c, pg);
	close(fd);
}

/* ---- mremap private ------------------------------------------------------ */

static void mremap_private(const struct t_backend *be)
{
	size_t pg = PGSZ;
	char *to = t_reserve(pg), *a, *b, *a2;
	struct t_waiter w;
	unsigned int flags;
	int priv;

	for (priv = 0; priv <= 1; priv++) {
		flags = priv ? ALTFUTEX_PRIVATE : 0;
		a = mmap(NULL, pg, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		CHECK(a != MAP_FAILED, "mmap: %s", strerror(errno));
		*U32_AT(a, 64) = 0;
		t_waiter_start_be(&w, be, a + 64, 0, flags);
		b = mremap(a, pg, pg, MREMAP_MAYMOVE | MREMAP_FIXED, to);
		CHECK(b == to, "mremap: %s", strerror(errno));
		CHECK(*U32_AT(b, 64) == 0, "the data did not move");
		expect_wake(be, b + 64, flags, 0, "through the new address");
		t_waiter_check_asleep(&w, 5);
		if (!priv) {
			expect_wake(be, a + 64, flags, -EFAULT,
				    "through the old, unmapped address");
			a2 = mmap(a, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE |
				  MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
			CHECK(a2 == a, "mmap at the old address: %s",
			      strerror(errno));
			expect_wake(be, a + 64, flags, 1,
				    "through new memory at the old address");
			munmap(a2, pg);
		} else {
			expect_wake(be, a + 64, flags, 1,
				    "private flag, through the old, unmapped address");
		}
		expect_ret(&w, 0);
		/* mremap left nothing at @to's old reservation: re-reserve it */
		munmap(b, pg);
		t_reserve(pg);
		t_log("ok (%s): the waiter stays keyed on the old address after mremap",
		      priv ? "private flag" : "no flag");
		to = t_reserve(pg);
	}
}

/* ---- truncate ------------------------------------------------------------ */

static void on_usr1(int sig)
{
	(void)sig;
}

static void truncate_(const struct t_backend *be)
{
	size_t pg = PGSZ;
	const char *dir = t_vm_disk() ? t_vm_disk() : "/tmp";
	struct t_waiter w, w2, wi;
	struct sigaction sa;
	char *m;
	int fd, st;
	pid_t kid;
	int p[2];

	snprintf(g_file, sizeof(g_file), "%s/mem_change.%d", dir, getpid());
	atexit(remove_file);
	fd = open(g_file, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	CHECK(fd >= 0, "open %s: %s", g_file, strerror(errno));
	CHECK(!ftruncate(fd, 2 * pg), "ftruncate: %s", strerror(errno));
	m = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(m != MAP_FAILED, "mmap: %s", strerror(errno));
	*U32_AT(m, pg + 32) = 0;
	t_waiter_start_be(&w, be, m + pg + 32, 0, 0);
	/* one to be interrupted by a signal with a handler (no SA_RESTART) */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	CHECK(!sigaction(SIGUSR1, &sa, NULL), "sigaction: %s", strerror(errno));
	t_waiter_start_be(&wi, be, m + pg + 32, 0, 0);

	/* a waiter in another process, to be killed after the truncate */
	CHECK(!pipe(p), "pipe: %s", strerror(errno));
	kid = fork();
	CHECK(kid >= 0, "fork: %s", strerror(errno));
	if (!kid) {
		t_waiter_start_be(&w2, be, m + pg + 32, 0, 0);
		CHECK(write(p[1], &w2.tid, sizeof(w2.tid)) == sizeof(w2.tid),
		      "write");
		pause();
		_exit(0);
	}
	close(p[1]);
	CHECK(read(p[0], &w2.tid, sizeof(w2.tid)) == sizeof(w2.tid),
	      "the child died");
	close(p[0]);

	CHECK(!ftruncate(fd, pg), "ftruncate: %s", strerror(errno));
	t_log("file (%s) truncated to one page under 3 waiters on page 1", dir);
	t_waiter_check_asleep(&w, 20);
	CHECK(t_sleep_state(kid, w2.tid, be->sysno) == 'S',
	      "the other process's waiter is not asleep");
	{
		struct timespec ts = t_ts_ms(1000);
		int r = be->wait(U32_AT(m, pg + 32), 0, &ts, 0);

		CHECK(r == -EFAULT, "a new wait past EOF returned %d (%s), not -EFAULT",
		      r, t_err(r));
	}
	expect_wake(be, m + pg + 32, 0, -EFAULT, "past EOF");
	CHECK(!pthread_kill(wi.thread, SIGUSR1), "pthread_kill");
	expect_ret(&wi, -EINTR);
	kill(kid, SIGKILL);
	st = 0;
	CHECK(waitpid(kid, &st, 0) == kid && WIFSIGNALED(st),
	      "the killed waiter's process did not die");
	t_log("ok: waiters past EOF sleep on; new wait, wake there: -EFAULT");
	t_log("ok: a signal interrupts one there (-EINTR), SIGKILL ends one");
	CHECK(!ftruncate(fd, 2 * pg), "ftruncate: %s", strerror(errno));
	expect_wake(be, m + pg + 32, 0, 1, "after the file grew again");
	expect_ret(&w, 0);
	t_log("ok: once the file grew back, a wake by the same key found the waiter");
	munmap(m, 2 * pg);
	close(fd);
}

/* ---- exit and kill ------------------------------------------------------- */

#define EX_THREADS 20
#define EX_FDS 200

/*
 * A process with EX_THREADS waiter threads on the shared word and as many
 * on a private word, and (altfutex) EX_FDS fd waiters on the shared word.
 * It tells @rep when all sleep, then exits or waits to be killed.
 */
static pid_t exit_kid(const struct t_backend *be, uint32_t *shared, int rep,
		      int do_exit)
{
	pid_t kid = fork();

	CHECK(kid >= 0, "fork: %s", strerror(errno));
	if (!kid) {
		static struct t_waiter w[2 * EX_THREADS];
		static uint32_t priv_word;
		int i, r;

		for (i = 0; i < EX_THREADS; i++) {
			t_waiter_start_be(&w[2 * i], be, shared, 0, 0);
			t_waiter_start_be(&w[2 * i + 1], be, &priv_word, 0,
					  ALTFUTEX_PRIVATE);
		}
		for (i = 0; !strcmp(be->name, "altfutex") && i < EX_FDS; i++) {
			r = altfutex_fd(shared, 0, 0);
			CHECK(r >= 0, "altfutex_fd: %s", strerror(-r));
		}
		CHECK(write(rep, "r", 1) == 1, "write");
		if (do_exit)
			exit(0);	/* exit_group under the sleeping threads */
		pause();
		_exit(0);
	}
	return kid;
}

static void exit_kill(const struct t_backend *be)
{
	int af = !strcmp(be->name, "altfutex");
	long f0 = -1, r0 = -1, f1, r1;
	int fd = t_memfd("mem_change", PGSZ), p[2], st, i;
	uint32_t *shared;
	pid_t kid[2];
	char c;

	shared = mmap(NULL, PGSZ, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(shared != MAP_FAILED, "mmap: %s", strerror(errno));
	*shared = 0;
	if (af) {
		CHECK(altfutex_open() >= 0, "altfutex_open");
		f0 = t_slab_active("altfutex_fd");
		r0 = t_read_long("/sys/module/altfutex/refcnt");
	}
	CHECK(!pipe(p), "pipe: %s", strerror(errno));
	for (i = 0; i < 2; i++) {
		kid[i] = exit_kid(be, shared, p[1], i == 0);
		CHECK(read(p[0], &c, 1) == 1, "waiter process %d died", i);
	}
	if (af)
		t_log("one process's waiters asleep: slab altfutex_fd %ld",
		      t_slab_active("altfutex_fd"));
	CHECK(t_reap(kid[0]) == 0, "the exiting process failed");
	kill(kid[1], SIGKILL);
	CHECK(waitpid(kid[1], &st, 0) == kid[1] && WIFSIGNALED(st),
	      "the killed process did not die");
	expect_wake(be, shared, 0, 0, "after both processes ended");
	t_log("ok: %d thread%s waiters per process went away with exit() and SIGKILL",
	      2 * EX_THREADS, af ? " and 200 fd" : "");
	if (af) {
		/* freeing may lag a little behind the exit (RCU, per-CPU slabs) */
		for (i = 0; i < 50; i++) {
			f1 = t_slab_active("altfutex_fd");
			r1 = t_read_long("/sys/module/altfutex/refcnt");
			if (r1 == r0 && f1 - f0 < EX_FDS / 10)
				break;
			t_sleep_ms(100);
		}
		t_log("slab altfutex_fd %ld -> %ld, refcnt %ld -> %ld",
		      f0, f1, r0, r1);
		CHECK(r1 == r0, "the module's reference count did not come back");
		CHECK(f0 >= 0 && f1 >= 0,
		      "no altfutex_fd line in /proc/slabinfo (slab_nomerge?)");
		CHECK(f1 - f0 < EX_FDS / 10, "fd waiter objects leaked");
	}
	close(fd);
}

int main(void)
{
	t_init("mem_change", 200);
	t_both_run("mremap shared", mremap_shared);
	t_both_run("mremap private", mremap_private);
	t_both_run("truncate under a waiter", truncate_);
	t_both_run("exit and kill", exit_kill);
	t_both_summary();
	if (t_both_failed())
		t_fail("%d scenario(s) failed with altfutex", t_both_failed());
	t_log("PASS");
	return T_PASS;
}
