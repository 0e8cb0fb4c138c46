// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * einval: argument checking.
 * Library level: uaddr not 4-byte aligned, unknown flag bits, a negative
 * tv_sec, tv_nsec outside [0, 1e9) give -EINVAL; known flags without a
 * timeout are fine.
 * ioctl level (include/uapi/linux/altfutex.h): unknown flag bits, timeout
 * fields set without ALTFUTEX_TIMEOUT, a bad timespec, a misaligned uaddr
 * give EINVAL; wake and requeue accept ALTFUTEX_PRIVATE only; REQUEUE's
 * val must be zero; an undefined ioctl number, or a defined one with
 * another size or direction, gives ENOTTY.
 *
 * Whenever a wrongly accepted argument could make a wait sleep, the value
 * matches but the timeout (if any) is in the past or short, so a bug shows
 * as a wrong return value rather than a hang.
 */
#include <sys/ioctl.h>

#include "helpers.h"

static uint32_t words[4];
static int devfd;

static void check_lib(void)
{
	static const unsigned int badflags[] = {
		1u << 3, 1u << 5, 1u << 30, ALTFUTEX_TIMEOUT, 0xfffffff8u,
		0xffffffffu,
	};
	static const struct {
		int64_t sec, nsec;
	} badts[] = {
		{ -1, 0 }, { INT64_MIN, 0 }, { -1, 999999999 }, { 0, -1 },
		{ 0, 1000000000 }, { 1, -1 }, { 0, INT64_MAX },
		{ 0, INT64_MIN },
	};
	static const unsigned int tflags[] = {
		0, ALTFUTEX_PRIVATE, ALTFUTEX_ABSTIME,
		ALTFUTEX_ABSTIME | ALTFUTEX_CLOCK_REALTIME,
		ALTFUTEX_ABSTIME | ALTFUTEX_CLOCK_REALTIME | ALTFUTEX_PRIVATE,
	};
	struct timespec ts = t_ts_ms(1);
	char *base = (char *)words;
	unsigned int i, j, off;
	uint32_t *p;

	words[0] = 0;
	words[1] = 0;
	for (off = 1; off < 4; off++) {
		p = (uint32_t *)(base + off);
		for (i = 0; i < 2; i++) {
			unsigned int f = i ? ALTFUTEX_PRIVATE : 0;

			/* a missing check gives -EAGAIN or -ETIMEDOUT */
			CHECK_RET(altfutex_wait(p, 1, NULL, f), -EINVAL);
			CHECK_RET(altfutex_wait(p, 0, &ts, f), -EINVAL);
			CHECK_RET(altfutex_wake(p, 1, f), -EINVAL);
			CHECK_RET(altfutex_wake(p, 0, f), -EINVAL);
		}
	}
	t_log("ok: uaddr misaligned by 1, 2, 3: wait and wake -EINVAL (either flag)");

	for (i = 0; i < ARRAY_SIZE(badflags); i++) {
		CHECK_RET(altfutex_wait(words, 0, &ts, badflags[i]), -EINVAL);
		CHECK_RET(altfutex_wait(words, 1, NULL, badflags[i]), -EINVAL);
		CHECK_RET(altfutex_wake(words, 1, badflags[i]), -EINVAL);
		CHECK_RET(altfutex_wake(words, 1,
					badflags[i] | ALTFUTEX_PRIVATE),
			  -EINVAL);
	}
	t_log("ok: unknown flag bits (3, 5, 30, 31, all): wait and wake -EINVAL");

	for (i = 0; i < ARRAY_SIZE(badts); i++) {
		ts.tv_sec = (time_t)badts[i].sec;
		ts.tv_nsec = (long)badts[i].nsec;
		/* a 32-bit long (or time_t) cannot hold every case */
		if (ts.tv_sec != badts[i].sec || ts.tv_nsec != badts[i].nsec)
			continue;
		for (j = 0; j < ARRAY_SIZE(tflags); j++) {
			CHECK_RET(altfutex_wait(words, 0, &ts, tflags[j]),
				  -EINVAL);
			/* a bad timespec beats a value mismatch */
			CHECK_RET(altfutex_wait(words, 1, &ts, tflags[j]),
				  -EINVAL);
		}
	}
	t_log("ok: tv_sec < 0, tv_nsec < 0 or >= 1e9: -EINVAL, every timeout kind");

	/* known flags are accepted without a timeout */
	CHECK_RET(altfutex_wait(words, 1, NULL,
				ALTFUTEX_ABSTIME | ALTFUTEX_CLOCK_REALTIME |
				ALTFUTEX_PRIVATE), -EAGAIN);
	CHECK_RET(altfutex_wait(words, 1, NULL, ALTFUTEX_CLOCK_REALTIME),
		  -EAGAIN);
	t_log("ok: all known flags with no timeout: accepted (-EAGAIN on a mismatch)");
}

/* ---- raw ioctls ------------------------------------------------------- */

static int raw(unsigned long cmd, void *arg)
{
	int r;

	errno = 0;
	r = ioctl(devfd, cmd, arg);
	return r < 0 ? -errno : r;
}

static struct altfutex_wait_args wargs(uint32_t val, uint32_t flags,
				       int64_t sec, int64_t nsec)
{
	struct altfutex_wait_args a;

	memset(&a, 0, sizeof(a));
	a.uaddr = (uintptr_t)words;
	a.val = val;
	a.flags = flags;
	a.timeout.tv_sec = sec;
	a.timeout.tv_nsec = nsec;
	return a;
}

static void check_raw_wait(void)
{
	static const uint32_t badflags[] = {
		1u << 3, 1u << 5, 1u << 30, 0x7ffffff8u, 0xffffffffu,
	};
	static const struct {
		int64_t sec, nsec;
	} badts[] = {
		{ -1, 0 }, { INT64_MIN, 0 }, { 0, -1 }, { 0, 1000000000 },
		{ 0, INT64_MAX }, { 0, INT64_MIN }, { -1, -1 },
	};
	struct altfutex_wait_args a;
	unsigned int i, f;

	words[0] = 0;
	/* sanity: the raw struct works */
	a = wargs(0, ALTFUTEX_TIMEOUT | ALTFUTEX_ABSTIME, 0, 0);
	CHECK_RET(raw(ALTFUTEX_IOC_WAIT, &a), -ETIMEDOUT);
	a = wargs(0, ALTFUTEX_TIMEOUT, 0, 10 * NSEC_PER_MSEC);
	CHECK_RET(raw(ALTFUTEX_IOC_WAIT, &a), -ETIMEDOUT);
	a = wargs(1, 0, 0, 0);
	CHECK_RET(raw(ALTFUTEX_IOC_WAIT, &a), -EAGAIN);
	t_log("ok: raw WAIT: absolute and relative kernel timeouts work");

	for (i = 0; i < ARRAY_SIZE(badflags); i++) {
		a = wargs(0, badflags[i] | ALTFUTEX_TIMEOUT | ALTFUTEX_ABSTIME,
			  0, 0);
		CHECK_RET(raw(ALTFUTEX_IOC_WAIT, &a), -EINVAL);
		a = wargs(1, badflags[i] & ~ALTFUTEX_TIMEOUT, 0, 0);
		CHECK_RET(raw(ALTFUTEX_IOC_WAIT, &a), -EINVAL);
	}
	t_log("ok: raw WAIT: unknown flag bits -EINVAL");

	/* timeout fields are reserved without ALTFUTEX_TIMEOUT */
	for (f = 0; f < 2; f++) {
		uint32_t fl = f ? ALTFUTEX_ABSTIME : 0;

		a = wargs(1, fl, 1, 0);
		CHECK_RET(raw(ALTFUTEX_IOC_WAIT, &a), -EINVAL);
		a = wargs(1, fl, 0, 1);
		CHECK_RET(raw(ALTFUTEX_IOC_WAIT, &a), -EINVAL);
		a = wargs(1, fl, -1, 0);
		CHECK_RET(raw(ALTFUTEX_IOC_WAIT, &a), -EINVAL);
		a = wargs(1, fl, INT64_MIN, -1);
		CHECK_RET(raw(ALTFUTEX_IOC_WAIT, &a), -EINVAL);
	}
	t_log("ok: raw WAIT: timeout fields non-zero without ALTFUTEX_TIMEOUT -EINVAL");

	for (i = 0; i < ARRAY_SIZE(badts); i++) {
		for (f = 0; f < 3; f++) {
			uint32_t fl = ALTFUTEX_TIMEOUT;

			if (f)
				fl |= ALTFUTEX_ABSTIME;
			if (f == 2)
				fl |= ALTFUTEX_CLOCK_REALTIME;
			a = wargs(0, fl, badts[i].sec, badts[i].nsec);
			CHECK_RET(raw(ALTFUTEX_IOC_WAIT, &a), -EINVAL);
		}
	}
	t_log("ok: raw WAIT: bad timespec -EINVAL (relative, absolute MONOTONIC and REALTIME)");

	for (i = 1; i < 4; i++) {
		a = wargs(0, ALTFUTEX_TIMEOUT | ALTFUTEX_ABSTIME, 0, 0);
		a.uaddr += i;
		CHECK_RET(raw(ALTFUTEX_IOC_WAIT, &a), -EINVAL);
	}
	t_log("ok: raw WAIT: misaligned uaddr -EINVAL");
}

static void check_raw_wake(void)
{
	static const uint32_t badflags[] = {
		ALTFUTEX_CLOCK_REALTIME, ALTFUTEX_ABSTIME, ALTFUTEX_TIMEOUT,
		1u << 3, 1u << 5, 0xfffffffeu,
	};
	struct altfutex_wake_args w;
	struct altfutex_requeue_args q;
	unsigned int i, k;
	static const unsigned long rq[] = {
		ALTFUTEX_IOC_REQUEUE, ALTFUTEX_IOC_CMP_REQUEUE,
	};

	memset(&w, 0, sizeof(w));
	w.uaddr = (uintptr_t)words;
	w.nr_wake = 1;
	CHECK_RET(raw(ALTFUTEX_IOC_WAKE, &w), 0);
	w.flags = ALTFUTEX_PRIVATE;
	CHECK_RET(raw(ALTFUTEX_IOC_WAKE, &w), 0);
	for (i = 0; i < ARRAY_SIZE(badflags); i++) {
		w.flags = badflags[i];
		CHECK_RET(raw(ALTFUTEX_IOC_WAKE, &w), -EINVAL);
		w.flags = badflags[i] | ALTFUTEX_PRIVATE;
		CHECK_RET(raw(ALTFUTEX_IOC_WAKE, &w), -EINVAL);
	}
	w.flags = 0;
	for (i = 1; i < 4; i++) {
		w.uaddr = (uintptr_t)words + i;
		CHECK_RET(raw(ALTFUTEX_IOC_WAKE, &w), -EINVAL);
	}
	t_log("ok: raw WAKE: any flag but ALTFUTEX_PRIVATE, misaligned: -EINVAL");

	for (k = 0; k < 2; k++) {
		memset(&q, 0, sizeof(q));
		q.uaddr = (uintptr_t)&words[0];
		q.uaddr2 = (uintptr_t)&words[1];
		q.nr_wake = 1;
		q.nr_requeue = 1;
		words[0] = 0;
		CHECK_RET(raw(rq[k], &q), 0);
		for (i = 0; i < ARRAY_SIZE(badflags); i++) {
			q.flags = badflags[i];
			CHECK_RET(raw(rq[k], &q), -EINVAL);
		}
		q.flags = 0;
	}
	q.val = 1;
	CHECK_RET(raw(ALTFUTEX_IOC_REQUEUE, &q), -EINVAL);
	t_log("ok: raw (CMP_)REQUEUE: flag but PRIVATE, REQUEUE val != 0: -EINVAL");
}

static void check_enotty(void)
{
	struct {
		unsigned long cmd;
		const char *what;
	} c[] = {
		{ _IO(ALTFUTEX_IOC_MAGIC, 0x7f), "_IO(MAGIC, 0x7f)" },
		{ _IO(ALTFUTEX_IOC_MAGIC, 0x00), "_IO(MAGIC, 0x00)" },
		{ _IOW(ALTFUTEX_IOC_MAGIC, 0x1f, struct altfutex_wait_args),
		  "_IOW(MAGIC, 0x1f, wait_args)" },
		{ _IOW(ALTFUTEX_IOC_MAGIC, 0x30, struct altfutex_wait_args),
		  "_IOW(MAGIC, 0x30, wait_args)" },
		{ _IOW(ALTFUTEX_IOC_MAGIC, 0x20, int),
		  "_IOW(MAGIC, 0x20, int): WAIT with the wrong size" },
		{ _IOW(ALTFUTEX_IOC_MAGIC, 0x20, struct altfutex_wake_args),
		  "_IOW(MAGIC, 0x20, wake_args): WAIT with the wrong size" },
		{ _IOW(ALTFUTEX_IOC_MAGIC, 0x21, struct altfutex_wait_args),
		  "_IOW(MAGIC, 0x21, wait_args): WAKE with the wrong size" },
		{ _IOW(ALTFUTEX_IOC_MAGIC, 0x22, struct altfutex_wake_args),
		  "_IOW(MAGIC, 0x22, wake_args): REQUEUE with the wrong size" },
		{ _IOR(ALTFUTEX_IOC_MAGIC, 0x20, struct altfutex_wait_args),
		  "_IOR(MAGIC, 0x20, wait_args): WAIT with the wrong direction" },
		{ _IOWR(ALTFUTEX_IOC_MAGIC, 0x20, struct altfutex_wait_args),
		  "_IOWR(MAGIC, 0x20, wait_args): WAIT with the wrong direction" },
		{ _IO(ALTFUTEX_IOC_MAGIC, 0x20), "_IO(MAGIC, 0x20)" },
		{ _IOR(ALTFUTEX_IOC_MAGIC, 0x21, struct altfutex_wake_args),
		  "_IOR(MAGIC, 0x21, wake_args): WAKE with the wrong direction" },
		{ _IOW(0xF7, 0x20, struct altfutex_wait_args),
		  "_IOW(0xF7, 0x20, wait_args): another magic" },
		{ _IOW(0xF7, 0x21, struct altfutex_wake_args),
		  "_IOW(0xF7, 0x21, wake_args): another magic" },
	};
	struct altfutex_wait_args a = wargs(1, 0, 0, 0);
	char buf[256];
	unsigned int i;
	int r;

	for (i = 0; i < ARRAY_SIZE(c); i++) {
		memset(buf, 0, sizeof(buf));
		memcpy(buf, &a, sizeof(a));
		r = raw(c[i].cmd, buf);
		if (r != -ENOTTY)
			t_fail("ioctl %s (%#lx) returned %d (%s), expected ENOTTY",
			       c[i].what, c[i].cmd, r, t_err(r));
	}
	t_log("ok: %u undefined ioctls (nr, size, direction, magic): ENOTTY",
	      i);
}

int main(void)
{
	t_init("einval", 60);

	devfd = altfutex_open();
	if (devfd < 0)
		t_fail("altfutex_open: %s", t_err(devfd));
	check_lib();
	check_raw_wait();
	check_raw_wake();
	check_enotty();
	t_log("PASS");
	return T_PASS;
}
