// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * rmmod: the module cannot go away while it is in use.
 *  - delete_module("altfutex", O_NONBLOCK) is refused (EWOULDBLOCK, which
 *    is what the kernel gives for a module in use, or EBUSY) while a child
 *    process sleeps in a wait, and the waiter still works afterwards;
 *  - it is refused while a child merely holds /dev/altfutex open;
 *  - once every user is gone it succeeds, /dev/altfutex disappears and
 *    the library reports -ENOENT;
 *  - the module is loaded again with finit_module() from $ALTFUTEX_KO with
 *    the parameters in $ALTFUTEX_PARAMS; /dev/altfutex comes back (mode
 *    0666) and works.
 * The parent never calls the library: it would keep the device open.
 * Skipped (77) unless root and ALTFUTEX_KO is set.
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include "helpers.h"

#define DEV "/dev/altfutex"

static const char *ko;
static const char *params;

static int module_loaded(void);
static int dev_exists(void);
static void fail_unloaded(const char *what);

static int delete_module(void)
{
	return (int)syscall(SYS_delete_module, "altfutex", O_NONBLOCK);
}

/*
 * A module in use is refused with EWOULDBLOCK (== EAGAIN) by
 * delete_module(O_NONBLOCK) (kernel/module/main.c: try_stop_module(); see
 * delete_module(2)); EBUSY is what a module that is not live gets.  rmmod(8)
 * reports either as "in use".  Accept both as "refused, busy".
 */
static void expect_refused(const char *why)
{
	int e;

	errno = 0;
	if (!delete_module()) {
		char msg[160];

		snprintf(msg, sizeof(msg), "delete_module succeeded %s", why);
		fail_unloaded(msg);
	}
	e = errno;
	CHECK(e == EWOULDBLOCK || e == EBUSY,
	      "delete_module %s: %s, expected EWOULDBLOCK or EBUSY", why,
	      strerror(e));
	CHECK(module_loaded() && dev_exists(), "module or device gone");
	t_log("ok: delete_module refused %s: %s", why,
	      e == EBUSY ? "EBUSY" : "EWOULDBLOCK");
}

static int module_loaded(void)
{
	return !access("/sys/module/altfutex", F_OK);
}

static int dev_exists(void)
{
	return !access(DEV, F_OK);
}

static long module_refs(void)
{
	return t_read_long("/sys/module/altfutex/refcnt");
}

/* Wait up to @ms for /dev/altfutex to exist (@want 1) or not (0). */
static int wait_dev(int want, long ms)
{
	int64_t end = t_now_ns(CLOCK_MONOTONIC) + ms * NSEC_PER_MSEC;

	while (dev_exists() != want) {
		if (t_now_ns(CLOCK_MONOTONIC) > end)
			return 0;
		t_sleep_ms(10);
	}
	return 1;
}

static void reload(void)
{
	int fd, r;

	fd = open(ko, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		t_fail("open %s: %s", ko, strerror(errno));
	r = (int)syscall(SYS_finit_module, fd, params, 0);
	if (r)
		t_fail("finit_module(%s, \"%s\"): %s", ko, params,
		       strerror(errno));
	close(fd);
}

/* An unexpected unload: put the module back for the tests that follow. */
static void fail_unloaded(const char *what)
{
	fprintf(stderr, "%s: FAIL: %s; reloading the module\n", t_name, what);
	reload();
	exit(T_FAIL);
}

static uint32_t child_word;
static int child_pipe[2];

static void *child_waker(void *arg)
{
	char c;

	(void)arg;
	while (read(child_pipe[0], &c, 1) < 0 && errno == EINTR)
		;
	altfutex_wake(&child_word, 1, 0);
	return NULL;
}

/* Child: a thread waits until the parent writes to the pipe. */
static void check_busy_waiter(void)
{
	pthread_t th;
	pid_t pid;
	int r;

	CHECK(!pipe2(child_pipe, O_CLOEXEC), "pipe: %s", strerror(errno));
	pid = t_fork();
	if (!pid) {
		close(child_pipe[1]);
		if (pthread_create(&th, NULL, child_waker, NULL))
			_exit(2);
		r = altfutex_wait(&child_word, 0, NULL, 0);
		_exit(r == 0 ? 0 : 3);
	}
	close(child_pipe[0]);
	t_wait_asleep(pid, pid);
	t_log("child %d sleeps in a wait; module refcnt %ld", pid, module_refs());

	expect_refused("while a child sleeps in a wait");
	CHECK(t_asleep(pid, pid) == 1, "the waiter woke up");

	/* the waiter is still served */
	CHECK(write(child_pipe[1], "w", 1) == 1, "write: %s", strerror(errno));
	r = t_reap(pid);
	CHECK(r == 0, "child exited with %d: its wait was not woken properly",
	      r);
	close(child_pipe[1]);
	t_log("ok: after the refused unload the child's waiter was woken (0)");

	/* a killed waiter lets go too */
	pid = t_fork();
	if (!pid) {
		altfutex_wait(&child_word, 0, NULL, 0);
		_exit(4);
	}
	t_wait_asleep(pid, pid);
	expect_refused("while a second child waits");
	kill(pid, SIGKILL);
	r = t_reap(pid);
	CHECK(r == -1, "killed child exited with %d", r);
	t_log("ok: the second waiting child was killed");
}

/* Child: holds /dev/altfutex open (no wait) until the pipe closes. */
static void check_busy_open(void)
{
	int ready[2], hold[2];
	pid_t pid;
	char c;
	int r;

	CHECK(!pipe2(ready, O_CLOEXEC) && !pipe2(hold, O_CLOEXEC), "pipe");
	pid = t_fork();
	if (!pid) {
		int fd = open(DEV, O_RDWR | O_CLOEXEC);

		close(ready[0]);
		close(hold[1]);
		if (fd < 0)
			_exit(2);
		if (write(ready[1], "r", 1) != 1)
			_exit(3);
		while (read(hold[0], &c, 1) < 0 && errno == EINTR)
			;
		_exit(0);
	}
	close(ready[1]);
	close(hold[0]);
	CHECK(read(ready[0], &c, 1) == 1, "child could not open " DEV);
	t_log("child %d holds " DEV " open; module refcnt %ld", pid,
	      module_refs());
	expect_refused("while a child holds " DEV " open");
	close(hold[1]);
	close(ready[0]);
	r = t_reap(pid);
	CHECK(r == 0, "holding child exited with %d", r);
	t_log("ok: the holding child exited");
}

/*
 * An altfutex fd holds the module by itself: a child creates one, passes
 * it to us with SCM_RIGHTS and exits, closing its /dev/altfutex.  We hold
 * only the fd (we never call the library), and rmmod must still be refused
 * until we close it.
 */
static void check_busy_fd(void)
{
	int sv[2], fd, r;
	pid_t pid;

	CHECK(!socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv),
	      "socketpair");
	pid = t_fork();
	if (!pid) {
		static uint32_t word;

		fd = altfutex_fd(&word, 0, 0);
		if (fd < 0)
			_exit(2);
		t_send_fd(sv[0], fd);
		_exit(0);
	}
	r = t_reap(pid);
	CHECK(r == 0, "fd-creating child exited with %d", r);
	fd = t_recv_fd(sv[1]);
	close(sv[0]);
	close(sv[1]);
	expect_refused("while an altfutex fd exists (its creator has exited)");
	close(fd);
	t_log("ok: the altfutex fd was closed");
}

static void check_unload(void)
{
	int64_t end = t_now_ns(CLOCK_MONOTONIC) + 3 * NSEC_PER_SEC;
	int tries = 1, r;
	pid_t pid;

	while (delete_module()) {
		CHECK(errno == EWOULDBLOCK || errno == EBUSY,
		      "delete_module: %s", strerror(errno));
		if (t_now_ns(CLOCK_MONOTONIC) > end)
			t_fail("delete_module refused (%s) 3 s after the users left (refcnt %ld)",
			       strerror(errno), module_refs());
		t_sleep_ms(10);
		tries++;
	}
	t_log("ok: delete_module succeeded once the users were gone (attempt %d)",
	      tries);
	CHECK(!module_loaded(), "/sys/module/altfutex is still there");
	CHECK(wait_dev(0, 2000), DEV " is still there after the unload");
	t_log("ok: " DEV " disappeared");

	pid = t_fork();
	if (!pid)
		_exit(altfutex_open() == -ENOENT ? 0 : 1);
	r = t_reap(pid);
	CHECK(r == 0, "altfutex_open() without the module was not -ENOENT");
	t_log("ok: without the module altfutex_open() is -ENOENT");
}

static uint32_t rt_word;

/* A hash_size=N in the parameters must show in sysfs after the reload. */
static void check_hash_size(void)
{
	const char *p = strstr(params, "hash_size=");
	char buf[32] = "";
	FILE *f;

	if (!p)
		return;
	f = fopen("/sys/module/altfutex/parameters/hash_size", "re");
	CHECK(f, "no /sys/module/altfutex/parameters/hash_size");
	CHECK(fgets(buf, sizeof(buf), f), "empty hash_size");
	fclose(f);
	CHECK(strtoul(buf, NULL, 0) == strtoul(p + 10, NULL, 0),
	      "hash_size is %s after loading with \"%s\"", buf, params);
	t_log("ok: the reloaded module has hash_size %lu",
	      strtoul(buf, NULL, 0));
}

static void check_reload(void)
{
	struct t_waiter w;
	struct stat st;
	pid_t pid;
	int r;

	reload();
	CHECK(module_loaded(), "no /sys/module/altfutex after finit_module");
	CHECK(wait_dev(1, 5000), DEV " did not come back");
	CHECK(!stat(DEV, &st), "stat: %s", strerror(errno));
	CHECK(S_ISCHR(st.st_mode) && (st.st_mode & 07777) == 0666,
	      DEV " has mode %o", (unsigned int)st.st_mode);
	t_log("ok: finit_module(\"%s\", \"%s\") loaded it again; " DEV
	      " is back, crw-rw-rw-", ko, params);
	check_hash_size();

	pid = t_fork();
	if (!pid) {
		t_waiter_start(&w, &rt_word, 0, 0, T_SAFETY_MS, "waiter");
		CHECK_RET(altfutex_wake(&rt_word, 1, 0), 1);
		t_waiter_expect(&w, 0);
		_exit(0);
	}
	r = t_reap(pid);
	CHECK(r == 0, "wait/wake round trip on the reloaded module failed");
	t_log("ok: the reloaded module works (wait/wake round trip)");
}

int main(void)
{
	t_init("rmmod", 60);

	if (geteuid() != 0)
		t_skip("needs root");
	ko = getenv("ALTFUTEX_KO");
	if (!ko || !*ko)
		t_skip("ALTFUTEX_KO is not set: cannot reload the module");
	params = getenv("ALTFUTEX_PARAMS");
	if (!params)
		params = "";
	if (access(ko, R_OK))
		t_fail("ALTFUTEX_KO=%s: %s", ko, strerror(errno));
	if (!module_loaded())
		t_skip("the altfutex module is not loaded");
	CHECK(dev_exists(), DEV " missing while the module is loaded");
	CHECK(module_refs() == 0,
	      "module refcnt %ld before the test: another process uses it",
	      module_refs());

	check_busy_waiter();
	check_busy_open();
	check_busy_fd();
	check_unload();
	check_reload();
	t_log("PASS");
	return T_PASS;
}
