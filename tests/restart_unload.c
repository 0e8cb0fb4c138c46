// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * restart_unload: a restart block that points into the module must not
 * outlive it.
 *
 * A wait with a relative timeout that a signal interrupts leaves the
 * thread's restart block pointing at the module's restart function
 * (module/restart.c).  A handler that leaves with siglongjmp() never
 * reaches sigreturn, which would reset it, so the pointer stays: the
 * thread may call restart_syscall(2) at any later time.  Here a child
 * does exactly that, closes /dev/altfutex, and the parent unloads the
 * module; the child's restart_syscall() must then fail with EINTR (the
 * unload pointed its restart block away from the module), not jump into
 * freed module text.  A second child calls restart_syscall() while the
 * module is still loaded: the interrupted wait resumes with its old end,
 * and times out then.
 *
 * Skipped (77) unless root and $ALTFUTEX_KO is set; the runner loads the
 * module again before the next test.
 */
#include <setjmp.h>
#include <sys/ioctl.h>

#include "helpers.h"

static uint32_t word;
static sigjmp_buf jump;

static void leave(int sig)
{
	(void)sig;
	siglongjmp(jump, 1);
}

/* The raw ioctl: a relative timeout of @ms, which only the kernel keeps. */
static int raw_wait(int dev, long ms)
{
	struct altfutex_wait_args a = {
		.uaddr = (uintptr_t)&word,
		.val = 0,
		.flags = ALTFUTEX_PRIVATE | ALTFUTEX_TIMEOUT,
		.timeout = { ms / 1000, (ms % 1000) * NSEC_PER_MSEC },
	};

	return ioctl(dev, ALTFUTEX_IOC_WAIT, &a) ? -errno : 0;
}

/*
 * Child: wait, be interrupted into leave(), tell the parent on @out, wait
 * for its go on @in, then restart_syscall().  Exit status: 0 if the
 * result was @want (a negative errno), 1 otherwise.
 */
static int child(int in, int out, int close_dev, int want, long ms)
{
	struct sigaction sa = { .sa_handler = leave };
	int64_t t0, dt;
	long r;
	char c = 0;
	int dev;

	dev = open("/dev/altfutex", O_RDWR | O_CLOEXEC);
	if (dev < 0 || sigaction(SIGUSR1, &sa, NULL))
		return 1;
	t0 = t_now_ns(CLOCK_MONOTONIC);
	if (!sigsetjmp(jump, 1)) {
		r = raw_wait(dev, ms);
		fprintf(stderr, "wait was not interrupted: %ld\n", r);
		return 1;
	}
	if (close_dev)
		close(dev);
	if (write(out, &c, 1) != 1 || read(in, &c, 1) != 1)
		return 1;
	errno = 0;
	r = syscall(SYS_restart_syscall);
	r = r < 0 ? -errno : r;
	dt = (t_now_ns(CLOCK_MONOTONIC) - t0) / NSEC_PER_MSEC;
	fprintf(stderr, "restart_syscall: %s after %lld ms\n", t_err((int)r),
		(long long)dt);
	return r == want ? 0 : 1;
}

/* Start a child as child() says; return once its wait was interrupted. */
static pid_t start(int p_in[2], int p_out[2], int close_dev, int want,
		   long ms)
{
	pid_t pid;
	char c;

	if (pipe(p_in) || pipe(p_out))
		t_fail("pipe: %s", strerror(errno));
	pid = t_fork();
	if (!pid)
		_exit(child(p_in[0], p_out[1], close_dev, want, ms));
	t_wait_asleep(pid, pid);
	kill(pid, SIGUSR1);
	CHECK(read(p_out[0], &c, 1) == 1, "child died before its handler");
	return pid;
}

int main(void)
{
	int in[2], out[2];
	const char *ko = getenv("ALTFUTEX_KO");
	pid_t pid;
	char c = 0;

	t_init("restart_unload", 60);
	if (geteuid() || !ko || !*ko)
		t_skip("needs root and ALTFUTEX_KO");
	if (access("/dev/altfutex", F_OK))
		t_skip("no /dev/altfutex");

	/* loaded: the wait resumes and ends when it was due (1 s) */
	pid = start(in, out, 0, -ETIMEDOUT, 1000);
	CHECK(write(in[1], &c, 1) == 1, "write");
	CHECK(t_reap(pid) == 0, "restart_syscall with the module loaded");
	t_log("ok: restart_syscall after siglongjmp resumes the wait");

	/* unloaded meanwhile: nothing to restart */
	pid = start(in, out, 1, -EINTR, 10000);
	CHECK(syscall(SYS_delete_module, "altfutex", O_NONBLOCK) == 0,
	      "delete_module: %s", strerror(errno));
	CHECK(write(in[1], &c, 1) == 1, "write");
	CHECK(t_reap(pid) == 0, "restart_syscall after the unload");
	t_log("ok: restart_syscall after rmmod: EINTR");
	return T_PASS;
}
