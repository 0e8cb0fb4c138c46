// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * timens: timeouts in a time namespace.  A process in a time namespace
 * sees CLOCK_MONOTONIC shifted by the namespace's offset, so an absolute
 * CLOCK_MONOTONIC deadline it passes (libaltfutex turns every relative
 * timeout into one) is on its clock, not the host's: the module must
 * convert it.  Were it taken as a host time, a 200 ms wait would sleep
 * for the offset more (+600 s) or time out at once (-5 s).
 *
 * For a monotonic offset of +600 s and of -5 s (less if the VM has been
 * up for less than 6 s), in a new time namespace, four timed waits on a
 * word nobody wakes must each return -ETIMEDOUT after 150 to 1000 ms:
 *   - a relative 200 ms through the library,
 *   - an absolute CLOCK_MONOTONIC deadline, now + 200 ms on the
 *     namespace's clock (ALTFUTEX_ABSTIME),
 *   - an absolute CLOCK_REALTIME deadline, now + 200 ms (REALTIME has no
 *     offset in a time namespace),
 *   - the raw ALTFUTEX_IOC_WAIT with a relative 200 ms (ALTFUTEX_TIMEOUT
 *     without ALTFUTEX_ABSTIME).
 * Each wait runs in a child of its own (only children enter the new
 * namespace), killed after 5 s.  Every case is reported before the test
 * fails.  Skipped (77) if CLONE_NEWTIME is refused.
 */
#include <poll.h>
#include <sched.h>
#include <sys/ioctl.h>

#include "helpers.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

#define WAIT_MS 200
#define MIN_MS 150
#define MAX_MS 1000
#define LIMIT_MS 5000

enum { LIB_REL, ABS_MONO, ABS_REAL, RAW_REL, NR_CASES };

static const char *const case_name[NR_CASES] = {
	[LIB_REL] = "library, relative",
	[ABS_MONO] = "absolute CLOCK_MONOTONIC",
	[ABS_REAL] = "absolute CLOCK_REALTIME",
	[RAW_REL] = "raw ioctl, relative",
};

struct result {
	int ret;
	int64_t elapsed;	/* ns */
	int64_t shift;		/* ns: our CLOCK_MONOTONIC minus the parent's */
};

static uint32_t word;
static int failures;

static int timed_wait(int c)
{
	struct altfutex_wait_args a = {
		.uaddr = (uintptr_t)&word,
		.flags = ALTFUTEX_TIMEOUT,
		.timeout = { 0, WAIT_MS * NSEC_PER_MSEC },
	};
	struct timespec ts;
	int fd;

	switch (c) {
	case LIB_REL:
		ts = t_ts_ms(WAIT_MS);
		return altfutex_wait(&word, 0, &ts, 0);
	case ABS_MONO:
		ts = t_ts_ns(t_now_ns(CLOCK_MONOTONIC) +
			      WAIT_MS * NSEC_PER_MSEC);
		return altfutex_wait(&word, 0, &ts, ALTFUTEX_ABSTIME);
	case ABS_REAL:
		ts = t_ts_ns(t_now_ns(CLOCK_REALTIME) +
			      WAIT_MS * NSEC_PER_MSEC);
		return altfutex_wait(&word, 0, &ts,
				     ALTFUTEX_ABSTIME | ALTFUTEX_CLOCK_REALTIME);
	}
	fd = altfutex_open();
	if (fd < 0)
		return fd;
	return ioctl(fd, ALTFUTEX_IOC_WAIT, &a) ? -errno : 0;
}

/* Run case @c in a child (in the new namespace); check what it reports. */
static void run_case(int c, long off_s)
{
	int64_t parent_now, t0;
	struct result res;
	struct pollfd pfd;
	int p[2], ms;
	pid_t pid;

	CHECK(!pipe2(p, O_CLOEXEC), "pipe: %s", strerror(errno));
	parent_now = t_now_ns(CLOCK_MONOTONIC);
	pid = t_fork();
	if (!pid) {
		res.shift = t_now_ns(CLOCK_MONOTONIC) - parent_now;
		t0 = t_now_ns(CLOCK_MONOTONIC);
		res.ret = timed_wait(c);
		res.elapsed = t_now_ns(CLOCK_MONOTONIC) - t0;
		_exit(write(p[1], &res, sizeof(res)) == sizeof(res) ? 0 : 1);
	}
	close(p[1]);
	pfd.fd = p[0];
	pfd.events = POLLIN;
	if (poll(&pfd, 1, LIMIT_MS) != 1 ||
	    read(p[0], &res, sizeof(res)) != sizeof(res)) {
		t_log("FAIL: offset %+ld s: %s: a %d ms wait still sleeps after %d ms",
		      off_s, case_name[c], WAIT_MS, LIMIT_MS);
		kill(pid, SIGKILL);
		failures++;
	} else if (llabs(res.shift / NSEC_PER_SEC - off_s) > 2) {
		t_fail("offset %+ld s: the child's CLOCK_MONOTONIC is off by %lld s",
		       off_s, (long long)(res.shift / NSEC_PER_SEC));
	} else {
		ms = (int)(res.elapsed / NSEC_PER_MSEC);
		if (res.ret != -ETIMEDOUT || ms < MIN_MS || ms > MAX_MS) {
			t_log("FAIL: offset %+ld s: %s: %d (%s) after %d ms, expected -ETIMEDOUT",
			      off_s, case_name[c], res.ret, t_err(res.ret),
			      ms);
			failures++;
		} else {
			t_log("ok: offset %+ld s: %s: -ETIMEDOUT after %d ms",
			      off_s, case_name[c], ms);
		}
	}
	t_reap(pid);
	close(p[0]);
}

/* A new time namespace for our children, CLOCK_MONOTONIC + @off_s. */
static void new_timens(long off_s)
{
	char buf[64];
	int fd, n;

	if (unshare(CLONE_NEWTIME))
		t_skip("unshare(CLONE_NEWTIME): %s", strerror(errno));
	fd = open("/proc/self/timens_offsets", O_WRONLY | O_CLOEXEC);
	CHECK(fd >= 0, "open timens_offsets: %s", strerror(errno));
	n = snprintf(buf, sizeof(buf), "%d %ld 0", CLOCK_MONOTONIC, off_s);
	CHECK(write(fd, buf, n) == n, "write '%s' to timens_offsets: %s",
	      buf, strerror(errno));
	close(fd);
}

int main(void)
{
	long offs[2] = { 600, -5 };
	int64_t up;
	int i, c;

	t_init("timens", 120);
	/* the namespace's CLOCK_MONOTONIC may not go below zero */
	up = t_now_ns(CLOCK_MONOTONIC) / NSEC_PER_SEC;
	if (up < 6)
		offs[1] = -(long)(up - 1);
	for (i = 0; i < 2; i++) {
		if (offs[i] > -1 && i) {
			t_log("up for %lld s only: no negative offset checked",
			      (long long)up);
			break;
		}
		t_log("--- CLOCK_MONOTONIC offset %+ld s", offs[i]);
		new_timens(offs[i]);
		for (c = 0; c < NR_CASES; c++)
			run_case(c, offs[i]);
	}
	if (failures)
		t_fail("%d case(s) failed (above)", failures);
	t_log("PASS");
	return T_PASS;
}
