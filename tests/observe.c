// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * observe: the module's statistics file and tracepoints (README.md,
 * "Observability").
 *
 * Statistics: /sys/kernel/debug/altfutex/stats is read before and after
 * known operations, and while waiters sleep: the queued thread and fd
 * waiters, the longest bucket chain and the call count of each operation
 * must have moved by exactly what the test did.  Every call is made
 * without ALTFUTEX_PRIVATE, so that the library never answers a wake
 * from the waiter-count page without the ioctl (the memory is private
 * anyway, so the keys are the same).  No other process uses altfutex
 * while the test runs (the test VM runs one test at a time).
 *
 * Tracepoints: the altfutex events are enabled through tracefs, each
 * kind of operation is made once on a word of its own, and the trace
 * buffer must hold each event with its address and result.  The events
 * are disabled and the buffer cleared again at exit, pass or fail, so
 * that the tests after this one run untraced.  A kernel without tracefs
 * or without tracepoints skips this part (and says so); a kernel without
 * debugfs skips the test.
 */
#include <stdarg.h>
#include <sys/mount.h>

#include "helpers.h"

#define STATS "/sys/kernel/debug/altfutex/stats"
#define N_WAITERS 4

/* ---- the statistics file ------------------------------------------------ */

#define MAX_STATS 32

struct stats {
	int n;
	char name[MAX_STATS][32];
	long value[MAX_STATS];
};

static void stats_read(struct stats *s)
{
	char buf[4096], *line, *save;

	CHECK(t_read_file(STATS, buf, sizeof(buf)) > 0, "cannot read %s",
	      STATS);
	s->n = 0;
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		CHECK(s->n < MAX_STATS, "more than %d lines", MAX_STATS);
		CHECK(sscanf(line, "%31s %ld", s->name[s->n],
			     &s->value[s->n]) == 2,
		      "bad line in %s: \"%s\"", STATS, line);
		s->n++;
	}
}

static long stat_of(const struct stats *s, const char *name)
{
	int i;

	for (i = 0; i < s->n; i++)
		if (!strcmp(s->name[i], name))
			return s->value[i];
	t_fail("%s has no line \"%s\"", STATS, name);
}

/* Check that statistic @name is now @delta more than it was in @before. */
static void expect_delta(const struct stats *before, const char *name,
			 long delta, const char *when)
{
	struct stats now;
	long b, n;

	stats_read(&now);
	b = stat_of(before, name);
	n = stat_of(&now, name);
	CHECK(n - b == delta, "%s: %s went from %ld to %ld, expected +%ld",
	      when, name, b, n, delta);
}

/*
 * Wake the @n waiters of @uaddr one call at a time: each call must wake
 * one, the oldest (FIFO), which must then return 0.
 */
static void wake_each(uint32_t *uaddr, struct t_waiter *w, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		CHECK_RET(altfutex_wake(uaddr, 1, 0), 1);
		t_waiter_expect_within(&w[i], 0, 10000);
	}
}

static uint32_t word, word2, fdword;

static void test_stats(void)
{
	struct t_waiter w[N_WAITERS];
	struct stats s0, s;
	int i, fd;

	stats_read(&s0);
	CHECK(stat_of(&s0, "shared_buckets") >= 1, "no shared table");
	CHECK(stat_of(&s0, "longest_chain") >= 0, "a negative chain");
	t_log("before: waiters %ld, fd_waiters %ld, longest_chain %ld",
	      stat_of(&s0, "waiters"), stat_of(&s0, "fd_waiters"),
	      stat_of(&s0, "longest_chain"));

	/* N waiters asleep: all queued, all on one key, so in one bucket */
	word = 0;
	for (i = 0; i < N_WAITERS; i++)
		t_waiter_start(&w[i], &word, 0, 0, T_SAFETY_MS, "waiter");
	stats_read(&s);
	CHECK(stat_of(&s, "waiters") - stat_of(&s0, "waiters") == N_WAITERS,
	      "%ld waiters asleep, expected %ld + %d",
	      stat_of(&s, "waiters"), stat_of(&s0, "waiters"), N_WAITERS);
	CHECK(stat_of(&s, "longest_chain") >= N_WAITERS,
	      "longest_chain %ld with %d waiters on one word",
	      stat_of(&s, "longest_chain"), N_WAITERS);
	CHECK(stat_of(&s, "private_tables") >= 1, "no private table");
	expect_delta(&s0, "calls_wait", N_WAITERS, "waiters asleep");
	expect_delta(&s0, "fd_waiters", 0, "waiters asleep");
	t_log("ok: %d waiters asleep: waiters +%d, longest_chain %ld",
	      N_WAITERS, N_WAITERS, stat_of(&s, "longest_chain"));

	/* N wakes of one each, then one that finds nobody */
	stats_read(&s);
	wake_each(&word, w, N_WAITERS);
	CHECK_RET(altfutex_wake(&word, 1, 0), 0);
	expect_delta(&s, "calls_wake", N_WAITERS + 1, "after the wakes");
	expect_delta(&s0, "waiters", 0, "after the wakes");
	t_log("ok: %d wakes counted, waiters back to %ld", N_WAITERS + 1,
	      stat_of(&s0, "waiters"));

	/* a requeue moves two waiters; they count on the other word too */
	stats_read(&s);
	word2 = 0;
	for (i = 0; i < 2; i++)
		t_waiter_start(&w[i], &word, 0, 0, T_SAFETY_MS, "requeued");
	CHECK_RET(altfutex_requeue(&word, &word2, 0, INT_MAX, 0), 2);
	CHECK_RET(altfutex_wake(&word, INT_MAX, 0), 0);
	for (i = 0; i < 2; i++)
		t_waiter_check_asleep(&w[i], 0);
	expect_delta(&s, "waiters", 2, "two requeued waiters asleep");
	CHECK_RET(altfutex_cmp_requeue(&word2, &word, 1, 1, 1, 0), -EAGAIN);
	CHECK_RET(altfutex_cmp_requeue(&word2, &word, 2, 0, 0, 0), 2);
	for (i = 0; i < 2; i++)
		t_waiter_expect_within(&w[i], 0, 10000);
	expect_delta(&s, "calls_requeue", 1, "after the requeues");
	expect_delta(&s, "calls_cmp_requeue", 2, "after the requeues");
	expect_delta(&s, "calls_wait", 2, "after the requeues");
	expect_delta(&s, "waiters", 0, "after the requeues");
	t_log("ok: requeue and cmp_requeue counted");

	/* an fd waiter: armed, woken, re-armed, closed while armed */
	stats_read(&s);
	fdword = 5;
	CHECK_RET(altfutex_fd(&fdword, 6, 0), -EAGAIN);
	fd = altfutex_fd(&fdword, 5, 0);
	CHECK(fd >= 0, "altfutex_fd: %s", t_err(fd));
	expect_delta(&s, "fd_waiters", 1, "an fd armed");
	expect_delta(&s, "waiters", 0, "an fd armed");
	CHECK_RET(altfutex_wake(&fdword, 1, 0), 1);
	CHECK(t_readable(fd), "the fd is not readable after its wake");
	expect_delta(&s, "fd_waiters", 0, "the fd woken");
	CHECK_RET(altfutex_fd_rearm(fd, 5), 0);
	expect_delta(&s, "fd_waiters", 1, "the fd re-armed");
	close(fd);
	expect_delta(&s, "fd_waiters", 0, "the fd closed");
	expect_delta(&s, "calls_fd", 2, "fd calls");
	expect_delta(&s, "calls_fd_rearm", 1, "fd calls");
	expect_delta(&s, "calls_wake", 1, "fd calls");
	t_log("ok: fd waiters and fd calls counted");
}

/* ---- tracepoints ---------------------------------------------------------- */

static char tracefs[64];
static int tracing_was_off;

/* @name in the tracefs directory. */
static const char *tpath(const char *name)
{
	static char path[160];

	snprintf(path, sizeof(path), "%s/%s", tracefs, name);
	return path;
}

/* Find tracefs, mounting it where it is not: 0, or -1 (absent). */
static int tracefs_find(void)
{
	static const char *const dirs[] = {
		"/sys/kernel/tracing", "/sys/kernel/debug/tracing",
	};
	char path[96];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(dirs); i++) {
		snprintf(path, sizeof(path), "%s/trace", dirs[i]);
		if (!access(path, F_OK)) {
			snprintf(tracefs, sizeof(tracefs), "%s", dirs[i]);
			return 0;
		}
	}
	if (mount("tracefs", dirs[0], "tracefs", MS_NOSUID | MS_NODEV |
		  MS_NOEXEC, NULL)) {
		t_log("cannot mount tracefs on %s: %s", dirs[0],
		      strerror(errno));
		return -1;
	}
	t_log("mounted tracefs on %s", dirs[0]);
	snprintf(tracefs, sizeof(tracefs), "%s", dirs[0]);
	return 0;
}

/* Empty the trace buffer (of every CPU). */
static void trace_clear(void)
{
	int fd = open(tpath("trace"), O_WRONLY | O_TRUNC | O_CLOEXEC);

	if (fd >= 0)
		close(fd);
}

/* At exit, pass or fail: leave no altfutex event enabled, no trace. */
static void trace_off(void)
{
	t_write_str(tpath("events/altfutex/enable"), "0");
	trace_clear();
	if (tracing_was_off)
		t_write_str(tpath("tracing_on"), "0");
}

/* The whole trace buffer, NUL-terminated (malloc'ed). */
static char *trace_read(void)
{
	size_t len = 0, size = 1 << 16;
	char *buf = malloc(size);
	ssize_t n;
	int fd;

	CHECK(buf, "out of memory");
	fd = open(tpath("trace"), O_RDONLY | O_CLOEXEC);
	CHECK(fd >= 0, "open %s: %s", tpath("trace"), strerror(errno));
	for (;;) {
		if (size - len < 4096) {
			size *= 2;
			buf = realloc(buf, size);
			CHECK(buf, "out of memory");
		}
		n = read(fd, buf + len, size - len - 1);
		CHECK(n >= 0, "read %s: %s", tpath("trace"), strerror(errno));
		if (!n)
			break;
		len += n;
	}
	close(fd);
	buf[len] = 0;
	return buf;
}

/* The trace must hold the event "@event: @fields" (printf format). */
static void expect_event(const char *trace, const char *event,
			 const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void expect_event(const char *trace, const char *event,
			 const char *fmt, ...)
{
	char want[256];
	int n;
	va_list ap;

	n = snprintf(want, sizeof(want), "%s: ", event);
	va_start(ap, fmt);
	vsnprintf(want + n, sizeof(want) - n, fmt, ap);
	va_end(ap);
	if (!strstr(trace, want)) {
		fprintf(stderr, "%s: the trace:\n%s\n", t_name, trace);
		t_fail("no event \"%s\" in the trace", want);
	}
	t_log("ok: %s", want);
}

static uint32_t t_wait, t_wake, t_req1, t_req2, t_fd;

/* The address of @word as the events print it. */
#define A(word) ((unsigned long)&(word))

static void test_trace(void)
{
	struct t_waiter w;
	char *trace, on[8] = "";
	int fd;

	if (tracefs_find()) {
		t_log("tracefs is absent: trace part SKIPPED");
		return;
	}
	if (access(tpath("events/altfutex/enable"), F_OK)) {
		t_log("no %s (a kernel without tracepoints): trace part SKIPPED",
		      tpath("events/altfutex"));
		return;
	}
	t_read_file(tpath("tracing_on"), on, sizeof(on));
	tracing_was_off = on[0] == '0';
	atexit(trace_off);
	trace_clear();
	CHECK(!t_write_str(tpath("events/altfutex/enable"), "1"),
	      "cannot enable the altfutex events");
	CHECK(!t_write_str(tpath("tracing_on"), "1"), "cannot turn tracing on");

	/* a wait that returns at once, and one that a wake ends */
	t_wait = 1;
	CHECK_RET(altfutex_wait(&t_wait, 2, NULL, 0), -EAGAIN);
	t_wake = 0;
	t_waiter_start(&w, &t_wake, 0, 0, T_SAFETY_MS, "traced");
	CHECK_RET(altfutex_wake(&t_wake, 3, 0), 1);
	t_waiter_expect_within(&w, 0, 10000);
	/* requeues: one moves nobody, one finds the wrong value */
	t_req1 = 7;
	CHECK_RET(altfutex_requeue(&t_req1, &t_req2, 1, 2, 0), 0);
	CHECK_RET(altfutex_cmp_requeue(&t_req1, &t_req2, 3, 4, 8, 0),
		  -EAGAIN);
	/* an fd: armed, woken, re-armed, closed while armed */
	t_fd = 9;
	fd = altfutex_fd(&t_fd, 9, 0);
	CHECK(fd >= 0, "altfutex_fd: %s", t_err(fd));
	CHECK_RET(altfutex_wake(&t_fd, 1, 0), 1);
	CHECK_RET(altfutex_fd_rearm(fd, 9), 0);
	close(fd);

	CHECK(!t_write_str(tpath("events/altfutex/enable"), "0"),
	      "cannot disable the altfutex events");
	trace = trace_read();
	expect_event(trace, "altfutex_wait_start",
		     "uaddr=0x%lx val=2 flags=0x0 timed=0", A(t_wait));
	expect_event(trace, "altfutex_wait_end", "uaddr=0x%lx ret=%d",
		     A(t_wait), -EAGAIN);
	/* the library passes a relative timeout as an absolute one */
	expect_event(trace, "altfutex_wait_start",
		     "uaddr=0x%lx val=0 flags=0x%x timed=1", A(t_wake),
		     ALTFUTEX_ABSTIME);
	expect_event(trace, "altfutex_wait_end", "uaddr=0x%lx ret=0",
		     A(t_wake));
	expect_event(trace, "altfutex_wake",
		     "uaddr=0x%lx flags=0x0 nr_wake=3 ret=1", A(t_wake));
	expect_event(trace, "altfutex_requeue",
		     "uaddr=0x%lx uaddr2=0x%lx flags=0x0 nr_wake=1 nr_requeue=2 cmp=0 val=0 ret=0",
		     A(t_req1), A(t_req2));
	expect_event(trace, "altfutex_requeue",
		     "uaddr=0x%lx uaddr2=0x%lx flags=0x0 nr_wake=3 nr_requeue=4 cmp=1 val=8 ret=%d",
		     A(t_req1), A(t_req2), -EAGAIN);
	expect_event(trace, "altfutex_fd_arm",
		     "uaddr=0x%lx val=9 fd=%d rearm=0 ret=%d", A(t_fd), fd,
		     fd);
	expect_event(trace, "altfutex_wake",
		     "uaddr=0x%lx flags=0x0 nr_wake=1 ret=1", A(t_fd));
	expect_event(trace, "altfutex_fd_wake", "uaddr=0x%lx", A(t_fd));
	expect_event(trace, "altfutex_fd_arm",
		     "uaddr=0x%lx val=9 fd=%d rearm=1 ret=0", A(t_fd), fd);
	expect_event(trace, "altfutex_fd_release", "uaddr=0x%lx armed=1",
		     A(t_fd));
	free(trace);
	trace_off();
	t_log("ok: every altfutex event traced, then disabled and cleared");
}

int main(void)
{
	t_init("observe", 120);
	if (altfutex_open() < 0)
		t_skip("no /dev/altfutex");
	if (access(STATS, F_OK)) {
		if (access("/sys/kernel/debug/altfutex", F_OK) &&
		    !mount("debugfs", "/sys/kernel/debug", "debugfs",
			   MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL))
			t_log("mounted debugfs");
		if (access(STATS, F_OK))
			t_skip("no %s (no debugfs?)", STATS);
	}
	test_stats();
	test_trace();
	return T_PASS;
}
