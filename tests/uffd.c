// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * uffd: a futex word whose read never finishes.  The module reads the
 * word with get_user(); on a page registered with userfaultfd (missing
 * mode, anonymous private memory) that nobody serves, that read blocks in
 * the fault until the fault is resolved or the thread is killed.  What
 * the module holds across such a read must not make anything unkillable
 * or block others:
 *
 *   wait   a child's altfutex_wait() on the word (flags 0 and
 *          ALTFUTEX_PRIVATE) blocks in the fault: SIGKILL must reap it
 *          within 2 s;
 *   rearm  an fd waiter on a word, woken, then the page dropped
 *          (MADV_DONTNEED) so that the re-arm's read of the word blocks in
 *          the fault; meanwhile another process sharing the fd (forked
 *          after its creation) must get an answer from a non-blocking
 *          read() and from close() within 1 s, and the re-arming process
 *          must die of SIGKILL within 2 s.
 *
 * The userfaultfd is created without UFFD_USER_MODE_ONLY, so that the
 * kernel's own accesses block too; where that is refused, with it (the
 * module's reads then fail at once with -EFAULT, which is reported).
 * Skipped (77) without userfaultfd.  Every case is reported before the
 * test fails.
 */
#include <linux/userfaultfd.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>

#include "helpers.h"

static int user_only;	/* only UFFD_USER_MODE_ONLY was allowed */
static int failures;

#define bad(fmt, ...) do {						\
	t_log("FAIL: " fmt, ##__VA_ARGS__);				\
	failures++;							\
} while (0)

static int uffd_open(void)
{
	struct uffdio_api api = { .api = UFFD_API };
	int fd = (int)syscall(SYS_userfaultfd, O_CLOEXEC);

	if (fd < 0 && errno == EPERM) {
		fd = (int)syscall(SYS_userfaultfd,
				  O_CLOEXEC | UFFD_USER_MODE_ONLY);
		user_only = 1;
	}
	if (fd < 0 || ioctl(fd, UFFDIO_API, &api))
		return -errno;
	return fd;
}

/* A page registered with @uffd for missing faults; @touch: populated. */
static uint32_t *uffd_page(int uffd, int touch)
{
	uint32_t *p = t_map(1, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	struct uffdio_register reg = {
		.range = { (uintptr_t)p, (uint64_t)sysconf(_SC_PAGESIZE) },
		.mode = UFFDIO_REGISTER_MODE_MISSING,
	};

	if (touch)
		*p = 0;
	CHECK(!ioctl(uffd, UFFDIO_REGISTER, &reg), "UFFDIO_REGISTER: %s",
	      strerror(errno));
	return p;
}

/* Wait up to @ms for @tid of @pid to block in an ioctl, or @fd to speak. */
static int blocks(pid_t pid, pid_t tid, int fd, long ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	int64_t end = t_now_ns(CLOCK_MONOTONIC) + ms * NSEC_PER_MSEC;

	while (t_now_ns(CLOCK_MONOTONIC) < end && !poll(&pfd, 1, 1))
		if (t_sleep_state(pid, tid, SYS_ioctl) > 0)
			return 1;
	return 0;
}

/* The state letter of process @pid, '?' if unknown. */
static char state_of(pid_t pid)
{
	int state = t_task_state(pid, pid);

	return state > 0 ? (char)state : '?';
}

static void check_wait(unsigned int flags)
{
	struct timespec ts = t_ts_ms(T_SAFETY_MS);
	int p[2], r, ms;
	pid_t pid;

	CHECK(!pipe2(p, O_CLOEXEC), "pipe: %s", strerror(errno));
	pid = t_fork();
	if (!pid) {
		int uffd = uffd_open();

		r = uffd < 0 ? uffd :
		    altfutex_wait(uffd_page(uffd, 0), 0, &ts, flags);
		_exit(write(p[1], &r, sizeof(r)) == sizeof(r) ? 0 : 1);
	}
	close(p[1]);
	if (blocks(pid, pid, p[0], 2000)) {
		t_log("wait, flags %#x: the wait blocks in the fault", flags);
	} else {
		if (read(p[0], &r, sizeof(r)) == sizeof(r))
			t_log("wait, flags %#x: returned %d (%s) without blocking",
			      flags, r, t_err(r));
		else
			bad("wait, flags %#x: neither blocked nor returned",
			    flags);
	}
	kill(pid, SIGKILL);
	ms = t_reap_within(pid, 2000);
	if (ms < 0)
		t_fail("wait, flags %#x: still alive 2 s after SIGKILL", flags);
	t_log("ok: wait, flags %#x: reaped %d ms after SIGKILL", flags, ms);
	close(p[0]);
}

struct rres {
	int ret, err;
	int ms;
};

static int rearm_fd, rearm_ret, rearm_tid;

static void *rearm_main(void *arg)
{
	__atomic_store_n(&rearm_tid, t_gettid(), __ATOMIC_SEQ_CST);
	rearm_ret = altfutex_fd_rearm(rearm_fd, 0);
	return NULL;
}

/* The other process: a non-blocking read(), then close(), on "go". */
static void sharer(int go, int out)
{
	struct rres res[2];
	int64_t t0;
	uint64_t v;
	char c;

	if (read(go, &c, 1) != 1)
		_exit(1);
	t0 = t_now_ns(CLOCK_MONOTONIC);
	res[0].ret = (int)read(rearm_fd, &v, sizeof(v));
	res[0].err = errno;
	res[0].ms = (int)((t_now_ns(CLOCK_MONOTONIC) - t0) / NSEC_PER_MSEC);
	t0 = t_now_ns(CLOCK_MONOTONIC);
	res[1].ret = close(rearm_fd);
	res[1].err = errno;
	res[1].ms = (int)((t_now_ns(CLOCK_MONOTONIC) - t0) / NSEC_PER_MSEC);
	_exit(write(out, res, sizeof(res)) == sizeof(res) ? 0 : 1);
}

/* The re-arming process: report { tid, sharer's pid }, then the result. */
static void rearmer(unsigned int flags, int go, int shr, int info)
{
	int uffd = uffd_open(), id[2];
	uint32_t *word;
	pthread_t t;

	if (uffd < 0)
		_exit(1);
	word = uffd_page(uffd, 1);
	/* its next read of the word faults into the userfaultfd */
	rearm_fd = t_fd_woken(word, flags);
	id[1] = fork();
	if (!id[1])
		sharer(go, shr);
	pthread_create(&t, NULL, rearm_main, NULL);
	while (!(id[0] = __atomic_load_n(&rearm_tid, __ATOMIC_SEQ_CST)))
		sched_yield();
	if (write(info, id, sizeof(id)) != sizeof(id))
		_exit(1);
	pthread_join(t, NULL);
	if (write(info, &rearm_ret, sizeof(int)) != sizeof(int))
		_exit(1);
	pause();
	_exit(0);
}

static void check_rearm(unsigned int flags)
{
	int go[2], shr[2], info[2], id[2], r, ms;
	struct pollfd pfd = { .events = POLLIN };
	struct rres res[2];
	pid_t pid;

	CHECK(!pipe2(go, O_CLOEXEC) && !pipe2(shr, O_CLOEXEC) &&
	      !pipe2(info, O_CLOEXEC), "pipe: %s", strerror(errno));
	pid = t_fork();
	if (!pid)
		rearmer(flags, go[0], shr[1], info[1]);
	close(shr[1]);
	close(info[1]);
	CHECK(read(info[0], id, sizeof(id)) == sizeof(id),
	      "the re-arming process died");
	if (blocks(pid, id[0], info[0], 2000))
		t_log("rearm, flags %#x: the re-arm blocks in the fault",
		      flags);
	else if (read(info[0], &r, sizeof(r)) == sizeof(r))
		t_log("rearm, flags %#x: the re-arm returned %d (%s) without blocking",
		      flags, r, t_err(r));
	else
		bad("rearm, flags %#x: the re-arm neither blocked nor returned",
		    flags);

	/* the other process sharing the fd must not wait behind it */
	CHECK(write(go[1], "g", 1) == 1, "write: %s", strerror(errno));
	pfd.fd = shr[0];
	if (poll(&pfd, 1, 1000) != 1) {
		t_log("rearm, flags %#x: sharer's read() still blocked after 1 s (state %c)",
		      flags, state_of(id[1]));
	}
	kill(pid, SIGKILL);
	ms = t_reap_within(pid, 2000);
	if (ms < 0)
		t_fail("rearm, flags %#x: re-arming process alive 2 s after SIGKILL",
		       flags);
	t_log("ok: rearm, flags %#x: re-arming process reaped %d ms after SIGKILL",
	      flags, ms);

	/* the sharer is ours now (subreaper): its answers, late or not */
	if (poll(&pfd, 1, 2000) != 1 ||
	    read(shr[0], res, sizeof(res)) != sizeof(res))
		t_fail("rearm, flags %#x: the sharer never answered", flags);
	t_log("rearm, flags %#x: sharer: read() %d (%s) in %d ms, close() %d in %d ms",
	      flags, res[0].ret, res[0].ret < 0 ? strerror(res[0].err) : "ok",
	      res[0].ms, res[1].ret, res[1].ms);
	if (res[0].ms > 1000 || res[1].ms > 1000 || res[1].ret)
		bad("rearm, flags %#x: the sharer's read() or close() waited behind the re-arm",
		    flags);
	if (t_reap_within(id[1], 2000) < 0)
		t_fail("the sharer did not exit");
	close(go[0]);
	close(go[1]);
	close(shr[0]);
	close(info[0]);
}

int main(void)
{
	int fd;

	t_init("uffd", 60);
	fd = uffd_open();
	if (fd < 0)
		t_skip("userfaultfd: %s", strerror(-fd));
	close(fd);
	if (user_only)
		t_log("only UFFD_USER_MODE_ONLY is allowed: the module's reads will not block");
	/* orphaned sharers are reparented to us */
	CHECK(!prctl(PR_SET_CHILD_SUBREAPER, 1), "PR_SET_CHILD_SUBREAPER: %s",
	      strerror(errno));
	check_wait(0);
	check_wait(ALTFUTEX_PRIVATE);
	check_rearm(0);
	check_rearm(ALTFUTEX_PRIVATE);
	if (failures)
		t_fail("%d check(s) failed (above)", failures);
	t_log("PASS");
	return T_PASS;
}
