/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * Shared helpers for the altfutex tests.  Each test is a standalone program
 * that exits 0 (pass), 1 (fail) or 77 (skip), prints what it checked, and
 * arms a watchdog so that a bug fails the test instead of hanging the run.
 */
#ifndef ALTFUTEX_TEST_HARNESS_H
#define ALTFUTEX_TEST_HARNESS_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <altfutex.h>

#define T_PASS 0
#define T_FAIL 1
#define T_SKIP 77

static const char *t_name = "test";

static void t_watchdog_fired(int sig)
{
	static const char msg[] = "FAIL: watchdog expired (test hung)\n";

	(void)sig;
	if (write(2, msg, sizeof(msg) - 1) < 0)
		_exit(T_FAIL);
	/* take every process of the test down with us */
	kill(0, SIGKILL);
	_exit(T_FAIL);
}

/*
 * How many times slower than a stock kernel the running one is, from
 * $ALTFUTEX_TEST_SCALE (an integer, default 1): the debug kernel, with
 * KASAN, lockdep and kmemleak under TCG, takes several times as long for
 * everything (10 000 threads take 145 s to start there).  It stretches the
 * watchdogs only; no assertion depends on it.
 */
static inline unsigned int t_time_scale(void)
{
	const char *s = getenv("ALTFUTEX_TEST_SCALE");
	long n = s ? atol(s) : 1;

	return n >= 1 && n <= 100 ? (unsigned int)n : 1;
}

/*
 * Start a test: name it and arm a watchdog of @seconds (times
 * t_time_scale()) for the whole program.  The test becomes a process-group
 * leader so that the watchdog kills forked helpers too.
 */
static inline void t_init(const char *name, unsigned int seconds)
{
	t_name = name;
	setvbuf(stdout, NULL, _IOLBF, 0);
	setpgid(0, 0);
	signal(SIGALRM, t_watchdog_fired);
	alarm(seconds * t_time_scale());
}

#define t_log(fmt, ...) \
	printf("%s: " fmt "\n", t_name, ##__VA_ARGS__)

#define t_fail(fmt, ...) do {						\
	fprintf(stderr, "%s: FAIL at %s:%d: " fmt "\n", t_name,		\
		__FILE__, __LINE__, ##__VA_ARGS__);			\
	exit(T_FAIL);							\
} while (0)

#define t_skip(fmt, ...) do {						\
	printf("%s: SKIP: " fmt "\n", t_name, ##__VA_ARGS__);		\
	exit(T_SKIP);							\
} while (0)

/* CHECK(cond, fmt, ...): fail the test with a message unless cond holds. */
#define CHECK(cond, fmt, ...) do {					\
	if (!(cond))							\
		t_fail("%s: " fmt, #cond, ##__VA_ARGS__);		\
} while (0)

/* CHECK_RET(expr, want): expr (an altfutex call) must return want. */
#define CHECK_RET(expr, want) do {					\
	long __r = (long)(expr);					\
	long __w = (long)(want);					\
	if (__r != __w)							\
		t_fail("%s returned %ld (%s), expected %ld (%s)", #expr,	\
		       __r, __r < 0 ? strerror((int)-__r) : "ok",	\
		       __w, __w < 0 ? strerror((int)-__w) : "ok");	\
} while (0)

static inline int64_t t_now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static inline void t_sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static inline pid_t t_gettid(void)
{
	return (pid_t)syscall(SYS_gettid);
}

/*
 * Read /proc/PID/task/TID/@file (@pid 0: this process) into @buf, NUL
 * terminated.  Returns the length, or -1 if the thread is gone.
 */
static inline int t_read_task_file(pid_t pid, pid_t tid, const char *file,
				   char *buf, size_t size)
{
	char path[96];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/%s",
		 pid ? pid : getpid(), tid, file);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	return (int)n;
}

/*
 * Where is thread @tid (of process @pid, 0 for this one)?  Returns its
 * state letter, 'S' or 'D', if it is blocked inside ioctl(); 0 if it runs
 * or sleeps elsewhere; -1 if it is gone or a zombie.  The first field of
 * /proc/PID/task/TID/syscall is the system call number and stays there
 * while the thread is blocked in it.
 */
static inline int t_ioctl_sleep_state(pid_t pid, pid_t tid)
{
	char buf[256], *p;
	int state;

	if (t_read_task_file(pid, tid, "stat", buf, sizeof(buf)) < 0)
		return -1;
	p = strrchr(buf, ')');
	if (!p || !p[1] || !p[2])
		return 0;
	state = p[2];
	if (state == 'Z' || state == 'X')
		return -1;
	if (state != 'S' && state != 'D')
		return 0;
	if (t_read_task_file(pid, tid, "syscall", buf, sizeof(buf)) < 0)
		return 0;
	return atoi(buf) == SYS_ioctl ? state : 0;
}

/* Is thread @tid (of process @pid, 0 for this one) asleep inside ioctl()? */
static inline int t_blocked_in_ioctl(pid_t pid, pid_t tid)
{
	return t_ioctl_sleep_state(pid, tid) > 0;
}

/*
 * Wait (bounded by the watchdog) until thread @tid of @pid (0: this
 * process) is asleep in an ioctl, i.e. queued on an altfutex.
 */
static inline void t_wait_blocked(pid_t pid, pid_t tid)
{
	while (!t_blocked_in_ioctl(pid, tid))
		t_sleep_ms(1);
}

/* Reap @pid and return its exit status, or -1 if it did not exit. */
static inline int t_reap(pid_t pid)
{
	int st;

	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/*
 * Active objects of slab cache @name, or -1 if /proc/slabinfo has no line
 * of its own for it (the VM boots with slab_nomerge).  The cache is
 * shrunk first (/sys/kernel/slab/NAME/shrink), which gives back the free
 * objects that per-CPU slabs keep and, on a KASAN kernel, the freed
 * objects that KASAN's quarantine still holds (slabinfo counts both as
 * active: tens of thousands after 100 000 create/close cycles), so that
 * the count is what the module really holds.
 */
static inline long t_slab_active(const char *name)
{
	char line[512];
	size_t len = strlen(name);
	long n = -1;
	FILE *f;
	int fd;

	snprintf(line, sizeof(line), "/sys/kernel/slab/%s/shrink", name);
	fd = open(line, O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (write(fd, "1", 1) != 1)
			t_log("shrinking slab cache %s: %s", name,
			      strerror(errno));
		close(fd);
	}
	f = fopen("/proc/slabinfo", "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, name, len) && line[len] == ' ') {
			n = atol(line + len);
			break;
		}
	fclose(f);
	return n;
}

#endif /* ALTFUTEX_TEST_HARNESS_H */
