// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * count_page: the waiter-count page of /dev/altfutex (README, "Wakes that
 * cost no system call").
 *
 *  1. The mapping: one MAP_SHARED page at offset 0, read-only for good
 *     (a writable or executable mapping, mprotect(PROT_WRITE), a store),
 *     not grown by mremap(), MADV_DOFORK refused, not reachable by
 *     get_user_pages() (process_vm_readv(), vmsplice()), not a futex
 *     word, back after MADV_DONTNEED.
 *  2. The counts are exact: a thread waiter on a private word, whatever
 *     its flag, counts 1 while it sleeps and 0 once it returned, woken,
 *     timed out or interrupted; an fd waiter while armed; a requeue moves
 *     the count; a shared word is not counted; two opens of the device
 *     show the same page; another process (a child, through the mapping
 *     it inherited or one of its own) sees only its own counts.
 *  3. The library's fast path in children: fork(), _Fork(), vfork() and a
 *     raw clone() without CLONE_VM each wake their own fd waiter through
 *     altfutex_wake(ALTFUTEX_PRIVATE), after the parent mapped its page.
 *  4. ALTFUTEX_NO_FASTPATH: a process started with it set (this program,
 *     run again) maps nothing, and its private wakes still work.
 */
#include "helpers.h"

#include <sched.h>
#include <signal.h>
#include <sys/uio.h>

static const uint32_t *map_counts(int fd)
{
	void *p = mmap(NULL, ALTFUTEX_COUNT_PAGE_SIZE, PROT_READ, MAP_SHARED,
		       fd, 0);

	if (p == MAP_FAILED)
		t_fail("mmap of the count page: %s", strerror(errno));
	return p;
}

static uint32_t count_of(const uint32_t *page, const void *uaddr)
{
	return __atomic_load_n(&page[altfutex_count_slot((uintptr_t)uaddr)],
			       __ATOMIC_ACQUIRE);
}

/* Wait up to 10 s for the count of @uaddr to be @want. */
static void expect_count(const uint32_t *page, const void *uaddr,
			 uint32_t want, const char *what)
{
	int64_t end = t_now_ns(CLOCK_MONOTONIC) + 10000000000LL;

	while (count_of(page, uaddr) != want) {
		if (t_now_ns(CLOCK_MONOTONIC) > end)
			t_fail("%s: count %u, expected %u", what,
			       count_of(page, uaddr), want);
		t_sleep_ms(1);
	}
	t_log("ok: %s: count %u", what, want);
}

/* Is a mapping of /dev/altfutex in this process? */
static int mapped_here(void)
{
	char line[512];
	FILE *f = fopen("/proc/self/maps", "re");
	int found = 0;

	if (!f)
		t_fail("/proc/self/maps: %s", strerror(errno));
	while (fgets(line, sizeof(line), f))
		if (strstr(line, "/dev/altfutex"))
			found = 1;
	fclose(f);
	return found;
}

/* The wait status of child @pid (the test's watchdog bounds the wait). */
static int reap_status(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			t_fail("waitpid: %s", strerror(errno));
	return status;
}

/* Run @fn in a child that must exit 0 (or die of @sig, if not 0). */
static void in_child(const char *what, int sig, void (*fn)(int fd), int fd)
{
	int status;
	pid_t pid = fork();

	CHECK(pid >= 0, "fork: %s", strerror(errno));
	if (!pid) {
		fn(fd);
		_exit(0);
	}
	status = reap_status(pid);
	if (sig)
		CHECK(WIFSIGNALED(status) && WTERMSIG(status) == sig,
		      "%s: status %#x, expected death by signal %d", what,
		      status, sig);
	else
		CHECK(WIFEXITED(status) && !WEXITSTATUS(status),
		      "%s: status %#x", what, status);
	t_log("ok: %s", what);
}

static void store_into_page(int fd)
{
	uint32_t *p = (uint32_t *)map_counts(fd);

	__atomic_store_n(&p[0], 1, __ATOMIC_RELAXED);	/* SIGSEGV */
}

static void check_mapping(int fd)
{
	const uint32_t *page;
	struct iovec local, remote;
	int pfd[2];
	ssize_t n;
	uint32_t buf;
	void *p;

	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(p == MAP_FAILED && errno == EPERM, "writable mapping: %s",
	      p == MAP_FAILED ? strerror(errno) : "mapped");
	p = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_SHARED, fd, 0);
	CHECK(p == MAP_FAILED && errno == EPERM, "executable mapping: %s",
	      p == MAP_FAILED ? strerror(errno) : "mapped");
	p = mmap(NULL, 8192, PROT_READ, MAP_SHARED, fd, 0);
	CHECK(p == MAP_FAILED && errno == EINVAL, "two pages: %s",
	      p == MAP_FAILED ? strerror(errno) : "mapped");
	p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 4096);
	CHECK(p == MAP_FAILED && errno == EINVAL, "offset 4096: %s",
	      p == MAP_FAILED ? strerror(errno) : "mapped");
	p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
	CHECK(p == MAP_FAILED && errno == EINVAL, "MAP_PRIVATE: %s",
	      p == MAP_FAILED ? strerror(errno) : "mapped");
	t_log("ok: only a read-only MAP_SHARED page at offset 0 maps");

	page = map_counts(fd);
	CHECK(mprotect((void *)page, 4096, PROT_READ | PROT_WRITE) &&
	      errno == EACCES, "mprotect(PROT_WRITE): %s", strerror(errno));
	CHECK(madvise((void *)page, 4096, MADV_DOFORK) && errno == EINVAL,
	      "MADV_DOFORK: %s", strerror(errno));
	p = mremap((void *)page, 4096, 8192, MREMAP_MAYMOVE);
	CHECK(p == MAP_FAILED, "mremap grew the page");
	local = (struct iovec){ &buf, sizeof(buf) };
	remote = (struct iovec){ (void *)page, sizeof(buf) };
	/* (the debug kernel has no CONFIG_CROSS_MEMORY_ATTACH: ENOSYS) */
	n = process_vm_readv(getpid(), &local, 1, &remote, 1, 0);
	CHECK(n < 0 && (errno == EFAULT || errno == ENOSYS),
	      "process_vm_readv: %zd, %s", n, strerror(errno));
	CHECK(!pipe(pfd), "pipe: %s", strerror(errno));
	n = vmsplice(pfd[1], &remote, 1, 0);
	CHECK(n < 0 && errno == EFAULT, "vmsplice of the page: %zd, %s", n,
	      strerror(errno));
	close(pfd[0]);
	close(pfd[1]);
	CHECK_RET(altfutex_wait((uint32_t *)page, 0, NULL, 0), -EFAULT);
	/* a zapped entry comes back, or the kernel refuses to zap it */
	CHECK(madvise((void *)page, 4096, MADV_DONTNEED) == 0 ||
	      errno == EINVAL, "MADV_DONTNEED: %s", strerror(errno));
	CHECK(count_of(page, page) == 0, "the page after MADV_DONTNEED");
	t_log("ok: read-only for good, not grown, not DOFORK, no GUP, %s",
	      "not a futex word, back after MADV_DONTNEED");
	in_child("a store into the page is SIGSEGV", SIGSEGV,
		 store_into_page, fd);
	munmap((void *)page, 4096);
}

static void on_usr1(int sig)
{
	(void)sig;
}

static const uint32_t *g_page;
static uint32_t *g_word;

/*
 * The child sees zeros where its parent sees a waiter, through a mapping
 * of its own and through the one it inherited: its own page.  Then its
 * own fd waiter shows in both.
 */
static void child_sees_own(int fd)
{
	const uint32_t *page = map_counts(fd);
	int efd;

	if (count_of(page, g_word) != 0 || count_of(g_page, g_word) != 0)
		_exit(1);
	efd = altfutex_fd(g_word, 0, ALTFUTEX_PRIVATE);
	if (efd < 0)
		_exit(2);
	if (count_of(page, g_word) != 1 || count_of(g_page, g_word) != 1)
		_exit(3);
	close(efd);
}

static void check_counts(int fd)
{
	static uint32_t words[64] __attribute__((aligned(64)));
	uint32_t *a = &words[0], *b = &words[1];
	const uint32_t *page = map_counts(fd), *page2;
	struct t_waiter w[3];
	uint32_t *shared;
	int fd2, efd, i;

	CHECK(altfutex_count_slot((uintptr_t)a) !=
	      altfutex_count_slot((uintptr_t)b), "two words, one slot");
	fd2 = open("/dev/altfutex", O_RDWR | O_CLOEXEC);
	CHECK(fd2 >= 0, "open: %s", strerror(errno));
	page2 = map_counts(fd2);

	t_waiter_start(&w[0], a, 0, ALTFUTEX_PRIVATE, -1, "private waiter");
	expect_count(page, a, 1, "a thread waiter, ALTFUTEX_PRIVATE");
	CHECK(count_of(page2, a) == 1, "the second open's page differs");
	t_log("ok: two opens of the device show the same counts");
	g_page = page;
	g_word = a;
	in_child("a child sees its own counts, not its parent's", 0,
		 child_sees_own, fd);
	CHECK(count_of(page, a) == 1, "the child's waiter showed here");
	CHECK_RET(altfutex_wake(a, 1, ALTFUTEX_PRIVATE), 1);
	t_waiter_expect(&w[0], 0);
	expect_count(page, a, 0, "woken");

	t_waiter_start(&w[0], a, 0, 0, -1, "flags 0 on private memory");
	expect_count(page, a, 1, "a thread waiter, flags 0, private memory");
	CHECK_RET(altfutex_wake(a, 1, 0), 1);
	t_waiter_expect(&w[0], 0);
	expect_count(page, a, 0, "woken");

	t_waiter_spawn(&w[0], a, 0, ALTFUTEX_PRIVATE, 300, "timed");
	t_waiter_expect(&w[0], -ETIMEDOUT);
	expect_count(page, a, 0, "timed out");

	signal(SIGUSR1, on_usr1);
	t_waiter_start(&w[0], a, 0, ALTFUTEX_PRIVATE, -1, "interrupted");
	pthread_kill(w[0].thread, SIGUSR1);
	t_waiter_expect(&w[0], -EINTR);
	expect_count(page, a, 0, "interrupted by a signal");

	efd = altfutex_fd(a, 0, ALTFUTEX_PRIVATE);
	CHECK(efd >= 0, "altfutex_fd: %s", t_err(efd));
	expect_count(page, a, 1, "an fd waiter");
	CHECK_RET(altfutex_wake(a, 1, ALTFUTEX_PRIVATE), 1);
	expect_count(page, a, 0, "the fd waiter woken");
	CHECK_RET(altfutex_fd_rearm(efd, 0), 0);
	expect_count(page, a, 1, "the fd waiter re-armed");
	close(efd);
	expect_count(page, a, 0, "the fd waiter closed");

	for (i = 0; i < 3; i++)
		t_waiter_start(&w[i], a, 0, ALTFUTEX_PRIVATE, -1, "requeued");
	expect_count(page, a, 3, "three waiters on a");
	CHECK_RET(altfutex_requeue(a, b, 0, 3, ALTFUTEX_PRIVATE), 3);
	expect_count(page, a, 0, "a after requeue(a, b)");
	expect_count(page, b, 3, "b after requeue(a, b)");
	CHECK_RET(altfutex_cmp_requeue(b, a, 1, 1, 0, ALTFUTEX_PRIVATE), 2);
	expect_count(page, b, 1, "b after cmp_requeue(b, a, 1, 1)");
	expect_count(page, a, 1, "a after cmp_requeue(b, a, 1, 1)");
	CHECK_RET(altfutex_wake(a, 1, ALTFUTEX_PRIVATE), 1);
	CHECK_RET(altfutex_wake(b, 1, ALTFUTEX_PRIVATE), 1);
	for (i = 0; i < 3; i++)
		t_waiter_expect(&w[i], 0);
	expect_count(page, b, 0, "all woken");

	shared = t_map(1, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS);
	t_waiter_start(&w[0], shared, 0, 0, -1, "shared word");
	t_sleep_ms(50);
	CHECK(count_of(page, shared) == 0, "a shared word was counted");
	t_log("ok: a waiter on a shared word is not counted");
	CHECK_RET(altfutex_wake(shared, 1, 0), 1);
	t_waiter_expect(&w[0], 0);
	munmap(shared, 4096);
	munmap((void *)page2, 4096);
	close(fd2);
	munmap((void *)page, 4096);
}

/*
 * In a child: an fd waiter of its own on @word, then a store and a
 * private wake through the library, which must wake it (a child reading
 * its parent's counts would see 0 and skip the wake, or fault).
 */
static int child_wakes_own(void)
{
	static uint32_t word;
	int efd, r;

	__atomic_store_n(&word, 0, __ATOMIC_RELAXED);
	efd = altfutex_fd(&word, 0, ALTFUTEX_PRIVATE);
	if (efd < 0)
		return 2;
	__atomic_store_n(&word, 1, __ATOMIC_RELAXED);
	r = altfutex_wake(&word, 1, ALTFUTEX_PRIVATE);
	close(efd);
	return r == 1 ? 0 : 1;
}

static void check_child(const char *how, pid_t pid)
{
	int status;

	if (!pid)
		_exit(child_wakes_own());
	CHECK(pid > 0, "%s: %s", how, strerror(errno));
	status = reap_status(pid);
	CHECK(WIFEXITED(status) && !WEXITSTATUS(status),
	      "%s child: status %#x", how, status);
	t_log("ok: a %s child wakes its own waiter through the fast path",
	      how);
}

static void check_children(void)
{
	uint32_t dummy = 0;
	pid_t pid;

	/* the parent maps its page (a private wake does) */
	CHECK_RET(altfutex_wake(&dummy, 1, ALTFUTEX_PRIVATE), 0);
	if (getenv("ALTFUTEX_NO_FASTPATH"))
		t_log("ALTFUTEX_NO_FASTPATH is set: the library maps nothing");
	else
		CHECK(mapped_here(), "the library did not map the count page");
	check_child("fork()", fork());
	check_child("_Fork()", _Fork());
	check_child("raw clone()", (pid_t)syscall(SYS_clone, SIGCHLD, 0, 0,
						  0, 0));
	pid = vfork();
	if (!pid)
		_exit(child_wakes_own());
	check_child("vfork()", pid);
}

/* Started again with ALTFUTEX_NO_FASTPATH set: the library maps nothing. */
static int nofast_child(void)
{
	uint32_t dummy = 0;
	int r = altfutex_wake(&dummy, 1, ALTFUTEX_PRIVATE);

	if (r)
		return 10 - (r < 0);	/* 9: an error, 10: woke somebody */
	if (mapped_here())
		return 11;
	return child_wakes_own();
}

static void check_nofast(void)
{
	int status;
	pid_t pid = t_fork();	/* killed if the test fails first */

	if (!pid) {
		setenv("ALTFUTEX_NO_FASTPATH", "1", 1);
		execl("/proc/self/exe", "count_page", "nofast", (char *)NULL);
		_exit(12);
	}
	status = t_reap(pid);
	CHECK(status == 0,
	      "ALTFUTEX_NO_FASTPATH child: exit %d (-1: killed, 9/10: wake -errno/woke, 11: mapped, 12: exec, 1/2: its waiter)",
	      status);
	t_log("ok: with ALTFUTEX_NO_FASTPATH set, nothing mapped, wakes work");
}

int main(int argc, char **argv)
{
	int fd;

	if (argc > 1 && !strcmp(argv[1], "nofast"))
		return nofast_child();
	t_init("count_page", 120);
	fd = altfutex_open();
	if (fd < 0)
		t_skip("no /dev/altfutex: %s", t_err(fd));
	check_mapping(fd);
	check_counts(fd);
	check_children();
	check_nofast();
	t_log("PASS");
	return T_PASS;
}
