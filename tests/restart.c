// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * restart: a relative timeout must not start again from zero when the
 * wait is interrupted and restarted.  A stop signal or a ptrace stop
 * makes the kernel leave the wait and restart it; a module that re-reads
 * the relative timeout of the ioctl's argument then waits the whole
 * interval again, and a wait stopped every 50 ms never ends.  libaltfutex
 * passes absolute deadlines, so only the raw ALTFUTEX_IOC_WAIT with
 * ALTFUTEX_TIMEOUT and no ALTFUTEX_ABSTIME shows it; the library is
 * checked too, as a control.
 *
 * A child waits 200 ms on a word nobody wakes while the parent, every
 * 50 ms, stops it for 20 ms (SIGSTOP and SIGCONT; PTRACE_INTERRUPT and
 * PTRACE_CONT): the wait must return -ETIMEDOUT 200 to 600 ms after it
 * began.  A handled signal, with or without SA_RESTART, must end a 2 s
 * wait with -EINTR within 500 ms (the README's rule, and futex(2)'s for a
 * wait with a relative timeout), after which restart_syscall(2) must fail
 * with EINTR (it may never re-enter the old wait).  Every case is
 * reported before the test fails; a wait still running after 3 s is
 * killed.
 *
 * altfutex_wake_wait() is stopped the same way: its wait must end on
 * time, and its wake must be made once.  Two threads of the child wait
 * (2 s) on the word it wakes with nr_wake 1; exactly one may have
 * returned 0 when the wait ends.  A module that restarted the whole ioctl
 * made the wake again at each stop and woke both (0.6 s into a 3 s wait,
 * when this was found).
 */
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/ptrace.h>

#include "helpers.h"

#define WAIT_MS 200
#define MAX_MS 600
#define LIMIT_MS 3000
#define LONG_MS 2000

enum how { STOP, PTRACE, SIG_RESTART, SIG_NORESTART };

static const struct {
	const char *what;
	int raw;
	enum how how;
	int wake_wait;		/* altfutex_wake_wait(), not a wait */
} cases[] = {
	{ "raw ioctl, SIGSTOP/SIGCONT every 50 ms", 1, STOP, 0 },
	{ "library, SIGSTOP/SIGCONT every 50 ms", 0, STOP, 0 },
	{ "raw ioctl, PTRACE_INTERRUPT/PTRACE_CONT every 50 ms", 1, PTRACE, 0 },
	{ "raw ioctl, a signal with SA_RESTART", 1, SIG_RESTART, 0 },
	{ "raw ioctl, a signal without SA_RESTART", 1, SIG_NORESTART, 0 },
	{ "wake_wait, SIGSTOP/SIGCONT every 50 ms", 0, STOP, 1 },
};

struct result {
	int ret;
	int rs_ret;		/* restart_syscall() after -EINTR */
	int rs_errno;
	int woken;		/* wake_wait: its wake's waiters that returned 0 */
	int64_t elapsed;	/* ns */
};

static uint32_t word, word2;
static int failures;

static void on_usr1(int sig)
{
}

/* In the child: one wait of @ms, raw or through the library. */
static int timed_wait(int raw, long ms)
{
	struct altfutex_wait_args a = {
		.uaddr = (uintptr_t)&word,
		.flags = ALTFUTEX_TIMEOUT,
		.timeout = { ms / 1000, (ms % 1000) * NSEC_PER_MSEC },
	};
	struct timespec ts = t_ts_ms(ms);
	int fd = altfutex_open();

	if (fd < 0)
		return fd;
	if (!raw)
		return altfutex_wait(&word, 0, &ts, 0);
	return ioctl(fd, ALTFUTEX_IOC_WAIT, &a) ? -errno : 0;
}

/*
 * In the child: a wake_wait of @ms on word that wakes one of two waiters
 * of word2; into @woken, how many of them had returned 0 when it ended.
 */
static int timed_wake_wait(long ms, int *woken)
{
	struct timespec ts = t_ts_ms(ms);
	struct t_waiter w[2];
	int ret, i;

	for (i = 0; i < 2; i++)
		t_waiter_start(&w[i], &word2, 0, 0, LONG_MS, "word2");
	ret = altfutex_wake_wait(&word2, 1, &word, 0, &ts, 0);
	t_sleep_ms(20);		/* for the woken one to return */
	*woken = 0;
	for (i = 0; i < 2; i++)
		*woken += t_waiter_done(&w[i]) && !w[i].ret;
	return ret;	/* the other is ended by _exit() */
}

static void child(int c, int out)
{
	struct sigaction sa = { .sa_handler = on_usr1 };
	struct result res = { 0 };
	long ms = WAIT_MS;
	int64_t t0;

	if (cases[c].how == SIG_RESTART)
		sa.sa_flags = SA_RESTART;
	if (cases[c].how == SIG_RESTART || cases[c].how == SIG_NORESTART)
		ms = LONG_MS;	/* -EINTR and -ETIMEDOUT, far apart */
	sigaction(SIGUSR1, &sa, NULL);
	t0 = t_now_ns(CLOCK_MONOTONIC);
	if (cases[c].wake_wait)
		res.ret = timed_wake_wait(ms, &res.woken);
	else
		res.ret = timed_wait(cases[c].raw, ms);
	res.elapsed = t_now_ns(CLOCK_MONOTONIC) - t0;
	if (cases[c].how == SIG_RESTART || cases[c].how == SIG_NORESTART) {
		errno = 0;
		res.rs_ret = (int)syscall(SYS_restart_syscall);
		res.rs_errno = errno;
	}
	_exit(write(out, &res, sizeof(res)) == sizeof(res) ? 0 : 1);
}

/* One interruption of the child's wait; 0 once it has exited. */
static int interrupt(pid_t pid, enum how how, int n)
{
	int st;

	switch (how) {
	case STOP:
		kill(pid, SIGSTOP);
		t_sleep_ms(20);
		kill(pid, SIGCONT);
		t_sleep_ms(30);
		break;
	case PTRACE:
		CHECK(!ptrace(PTRACE_INTERRUPT, pid, 0, 0),
		      "PTRACE_INTERRUPT: %s", strerror(errno));
		CHECK(waitpid(pid, &st, 0) == pid, "waitpid: %s",
		      strerror(errno));
		if (!WIFSTOPPED(st))
			return 0;	/* it exited, and is reaped */
		t_sleep_ms(20);
		CHECK(!ptrace(PTRACE_CONT, pid, 0, 0), "PTRACE_CONT: %s",
		      strerror(errno));
		t_sleep_ms(30);
		break;
	case SIG_RESTART:
	case SIG_NORESTART:
		if (!n)
			kill(pid, SIGUSR1);
		t_sleep_ms(5);
		break;
	}
	return 1;
}

static void run_case(int c)
{
	struct pollfd pfd = { .events = POLLIN };
	int64_t t_sig, deadline;
	int p[2], n, alive = 1, late, ms;
	struct result res;
	pid_t pid;

	CHECK(!pipe2(p, O_CLOEXEC), "pipe: %s", strerror(errno));
	pid = t_fork();
	if (!pid)
		child(c, p[1]);
	close(p[1]);
	pfd.fd = p[0];
	if (cases[c].how == PTRACE)
		CHECK(!ptrace(PTRACE_SEIZE, pid, 0, 0), "PTRACE_SEIZE: %s",
		      strerror(errno));
	/* let it sleep in the wait (or fail before) */
	while (t_asleep(pid, pid) != 1 && !poll(&pfd, 1, 1))
		;
	t_sig = t_now_ns(CLOCK_MONOTONIC);
	deadline = t_sig + LIMIT_MS * NSEC_PER_MSEC;
	for (n = 0; alive && !poll(&pfd, 1, 0); n++) {
		if (t_now_ns(CLOCK_MONOTONIC) > deadline)
			break;
		alive = interrupt(pid, cases[c].how, n);
	}
	late = (int)((t_now_ns(CLOCK_MONOTONIC) - t_sig) / NSEC_PER_MSEC);
	if (poll(&pfd, 1, 100) != 1 ||
	    read(p[0], &res, sizeof(res)) != sizeof(res)) {
		t_log("FAIL: %s: a %d ms wait still sleeps after %d ms (%d interruptions)",
		      cases[c].what, WAIT_MS, late, n);
		failures++;
		kill(pid, SIGKILL);
	} else if (cases[c].how == SIG_RESTART ||
		   cases[c].how == SIG_NORESTART) {
		ms = (int)(res.elapsed / NSEC_PER_MSEC);
		if (res.ret != -EINTR || late > 500) {
			t_log("FAIL: %s: %d (%s) %d ms after the signal (wait of %d ms)",
			      cases[c].what, res.ret, t_err(res.ret), late,
			      ms);
			failures++;
		} else if (res.rs_ret != -1 || res.rs_errno != EINTR) {
			t_log("FAIL: %s: then restart_syscall(): %d (%s), not EINTR",
			      cases[c].what, res.rs_ret,
			      strerror(res.rs_errno));
			failures++;
		} else {
			t_log("ok: %s: -EINTR %d ms after the signal; restart_syscall(): EINTR",
			      cases[c].what, late);
		}
	} else {
		ms = (int)(res.elapsed / NSEC_PER_MSEC);
		if (res.ret != -ETIMEDOUT || ms < WAIT_MS || ms > MAX_MS) {
			t_log("FAIL: %s: %d (%s) after %d ms (%d interruptions)",
			      cases[c].what, res.ret, t_err(res.ret), ms, n);
			failures++;
		} else if (cases[c].wake_wait && res.woken != 1) {
			t_log("FAIL: %s: its wake of one woke %d (%d interruptions)",
			      cases[c].what, res.woken, n);
			failures++;
		} else {
			t_log("ok: %s: -ETIMEDOUT after %d ms (%d interruptions)",
			      cases[c].what, ms, n);
		}
	}
	t_reap(pid);	/* if interrupt() reaped it, this just forgets it */
	close(p[0]);
}

int main(void)
{
	unsigned int c;

	t_init("restart", 60);
	for (c = 0; c < ARRAY_SIZE(cases); c++)
		run_case(c);
	if (failures)
		t_fail("%d case(s) failed (above)", failures);
	t_log("PASS");
	return T_PASS;
}
