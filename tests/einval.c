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
 * The extended API's ioctls (WAIT2, WAKE2, WAITV, WAKEV, WAKE_WAIT,
 * WAKE_OP): the flags each one takes and no other bit, a non-zero
 * reserved field, a mask of 0, a word misaligned for its size, a val
 * beyond its size, a bad vector length, a bad entry of a vector, timeout
 * fields without ALTFUTEX_TIMEOUT and a bad timespec give EINVAL.
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
		ALTFUTEX_SIZE_U16, ALTFUTEX_SIZE_U64,
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
	t_log("ok: raw WAIT: unknown flag bits (size bits too) -EINVAL");

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
		1u << 3, 1u << 5, 0xfffffffeu, ALTFUTEX_SIZE_U16,
		ALTFUTEX_SIZE_U64,
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
	t_log("ok: raw WAKE: any flag but ALTFUTEX_PRIVATE (size too), misaligned: -EINVAL");

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
	t_log("ok: raw (CMP_)REQUEUE: flag but PRIVATE (size too), REQUEUE val != 0: -EINVAL");
}

/* ---- the extended API's ioctls ----------------------------------------- */

/* the words of the extended calls: 8-byte words too */
static uint64_t xwords[4] __attribute__((aligned(16)));

struct size_desc {
	uint32_t flag;
	unsigned int bytes;
	uint64_t max;
};

static const struct size_desc sizes[] = {
	{ ALTFUTEX_SIZE_U8, 1, 0xff }, { ALTFUTEX_SIZE_U16, 2, 0xffff },
	{ ALTFUTEX_SIZE_U32, 4, 0xffffffffu }, { ALTFUTEX_SIZE_U64, 8, 0 },
};

static const struct {
	int64_t sec, nsec;
} ext_badts[] = {
	{ -1, 0 }, { INT64_MIN, 0 }, { 0, -1 }, { 0, 1000000000 },
	{ 0, INT64_MAX }, { -1, -1 },
};

/* A past absolute deadline: a wrongly accepted wait times out at once. */
#define PAST (ALTFUTEX_TIMEOUT | ALTFUTEX_ABSTIME)

static struct altfutex_wait2_args w2args(uint64_t uaddr, uint64_t val,
					 uint32_t mask, uint32_t flags)
{
	struct altfutex_wait2_args a;

	memset(&a, 0, sizeof(a));
	a.uaddr = uaddr;
	a.val = val;
	a.mask = mask;
	a.flags = flags;
	return a;
}

static void check_raw_wait2(void)
{
	static const uint32_t badflags[] = {
		1u << 5, 1u << 6, 1u << 30, 0x7fffffe0u,
	};
	uintptr_t base = (uintptr_t)xwords;
	struct altfutex_wait2_args a;
	unsigned int i, k, f;

	memset(xwords, 0, sizeof(xwords));
	a = w2args(base, 0, ALTFUTEX_BITSET_MATCH_ANY, PAST);
	CHECK_RET(raw(ALTFUTEX_IOC_WAIT2, &a), -ETIMEDOUT);
	a = w2args(base, 1, ALTFUTEX_BITSET_MATCH_ANY, 0);
	CHECK_RET(raw(ALTFUTEX_IOC_WAIT2, &a), -EAGAIN);

	for (i = 0; i < ARRAY_SIZE(badflags); i++) {
		a = w2args(base, 0, ALTFUTEX_BITSET_MATCH_ANY,
			   PAST | badflags[i]);
		CHECK_RET(raw(ALTFUTEX_IOC_WAIT2, &a), -EINVAL);
		a.flags |= ALTFUTEX_PRIVATE | ALTFUTEX_SIZE_U64;
		CHECK_RET(raw(ALTFUTEX_IOC_WAIT2, &a), -EINVAL);
	}
	t_log("ok: raw WAIT2: unknown flag bits -EINVAL");

	for (f = 0; f < 2; f++) {
		a = w2args(base, 1, ALTFUTEX_BITSET_MATCH_ANY,
			   f ? ALTFUTEX_ABSTIME : 0);
		a.timeout.tv_sec = 1;
		CHECK_RET(raw(ALTFUTEX_IOC_WAIT2, &a), -EINVAL);
		a.timeout.tv_sec = 0;
		a.timeout.tv_nsec = 1;
		CHECK_RET(raw(ALTFUTEX_IOC_WAIT2, &a), -EINVAL);
	}
	for (i = 0; i < ARRAY_SIZE(ext_badts); i++) {
		a = w2args(base, 0, ALTFUTEX_BITSET_MATCH_ANY,
			   ALTFUTEX_TIMEOUT);
		a.timeout.tv_sec = ext_badts[i].sec;
		a.timeout.tv_nsec = ext_badts[i].nsec;
		CHECK_RET(raw(ALTFUTEX_IOC_WAIT2, &a), -EINVAL);
		a.flags = PAST | ALTFUTEX_CLOCK_REALTIME;
		CHECK_RET(raw(ALTFUTEX_IOC_WAIT2, &a), -EINVAL);
	}
	t_log("ok: raw WAIT2: timeout fields without ALTFUTEX_TIMEOUT, bad timespecs -EINVAL");

	a = w2args(base, 0, 0, PAST);
	CHECK_RET(raw(ALTFUTEX_IOC_WAIT2, &a), -EINVAL);
	a.flags |= ALTFUTEX_SIZE_U8 | ALTFUTEX_PRIVATE;
	CHECK_RET(raw(ALTFUTEX_IOC_WAIT2, &a), -EINVAL);

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		for (k = 0; k < 8; k++) {
			a = w2args(base + k, 0, ALTFUTEX_BITSET_MATCH_ANY,
				   PAST | sizes[i].flag);
			CHECK_RET(raw(ALTFUTEX_IOC_WAIT2, &a),
				  k % sizes[i].bytes ? -EINVAL : -ETIMEDOUT);
		}
		if (!sizes[i].max)
			continue;
		a = w2args(base, sizes[i].max + 1, ALTFUTEX_BITSET_MATCH_ANY,
			   PAST | sizes[i].flag);
		CHECK_RET(raw(ALTFUTEX_IOC_WAIT2, &a), -EINVAL);
		a.val = UINT64_MAX;
		CHECK_RET(raw(ALTFUTEX_IOC_WAIT2, &a), -EINVAL);
		a.val = sizes[i].max;
		CHECK_RET(raw(ALTFUTEX_IOC_WAIT2, &a), -EAGAIN);
	}
	t_log("ok: raw WAIT2: mask 0, misaligned for the size, val beyond the size -EINVAL");
}

static void check_raw_wake2(void)
{
	static const uint32_t badflags[] = {
		ALTFUTEX_CLOCK_REALTIME, ALTFUTEX_ABSTIME, ALTFUTEX_TIMEOUT,
		1u << 5, 1u << 30, 0xffffffe0u,
	};
	struct altfutex_wake2_args w;
	unsigned int i, k;

	memset(&w, 0, sizeof(w));
	w.uaddr = (uintptr_t)xwords;
	w.mask = ALTFUTEX_BITSET_MATCH_ANY;
	w.nr_wake = 1;
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		w.flags = sizes[i].flag;
		CHECK_RET(raw(ALTFUTEX_IOC_WAKE2, &w), 0);
		w.flags |= ALTFUTEX_PRIVATE;
		CHECK_RET(raw(ALTFUTEX_IOC_WAKE2, &w), 0);
	}
	for (i = 0; i < ARRAY_SIZE(badflags); i++) {
		w.flags = badflags[i];
		CHECK_RET(raw(ALTFUTEX_IOC_WAKE2, &w), -EINVAL);
		w.flags = badflags[i] | ALTFUTEX_PRIVATE | ALTFUTEX_SIZE_U16;
		CHECK_RET(raw(ALTFUTEX_IOC_WAKE2, &w), -EINVAL);
	}
	w.flags = 0;
	w.reserved = 1;
	CHECK_RET(raw(ALTFUTEX_IOC_WAKE2, &w), -EINVAL);
	w.reserved = 0x80000000u;
	CHECK_RET(raw(ALTFUTEX_IOC_WAKE2, &w), -EINVAL);
	w.reserved = 0;
	w.mask = 0;
	CHECK_RET(raw(ALTFUTEX_IOC_WAKE2, &w), -EINVAL);
	w.nr_wake = 0;
	CHECK_RET(raw(ALTFUTEX_IOC_WAKE2, &w), -EINVAL);
	w.mask = 1;
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		for (k = 1; k < 8; k++) {
			w.uaddr = (uintptr_t)xwords + k;
			w.flags = sizes[i].flag;
			CHECK_RET(raw(ALTFUTEX_IOC_WAKE2, &w),
				  k % sizes[i].bytes ? -EINVAL : 0);
		}
	}
	t_log("ok: raw WAKE2: flags but PRIVATE and size, reserved, mask 0, misaligned -EINVAL");
}

static struct altfutex_vec vec[ALTFUTEX_VEC_MAX + 1];

/* @n entries on xwords[0] and xwords[1] alternately, each expecting @val. */
static void vec_fill(unsigned int n, uint64_t val)
{
	unsigned int i;

	memset(vec, 0, sizeof(vec));
	for (i = 0; i < n; i++) {
		vec[i].uaddr = (uintptr_t)&xwords[i & 1];
		vec[i].val = val;
		vec[i].nr_wake = 1;
	}
}

static struct altfutex_waitv_args wvargs(unsigned int n, uint32_t flags)
{
	struct altfutex_waitv_args a;

	memset(&a, 0, sizeof(a));
	a.words = (uintptr_t)vec;
	a.nr = n;
	a.flags = flags;
	return a;
}

static void check_raw_waitv(void)
{
	static const uint32_t badflags[] = {
		ALTFUTEX_PRIVATE, ALTFUTEX_SIZE_U8, ALTFUTEX_SIZE_U64, 1u << 5,
		1u << 30,
	};
	static const uint32_t badentry[] = {
		ALTFUTEX_ABSTIME, ALTFUTEX_CLOCK_REALTIME, ALTFUTEX_TIMEOUT,
		1u << 5, 1u << 30,
	};
	struct altfutex_waitv_args a;
	unsigned int i, k, e;

	memset(xwords, 0, sizeof(xwords));
	vec_fill(2, 0);
	a = wvargs(2, PAST);
	CHECK_RET(raw(ALTFUTEX_IOC_WAITV, &a), -ETIMEDOUT);
	vec[1].val = 1;
	CHECK_RET(raw(ALTFUTEX_IOC_WAITV, &a), -EAGAIN);

	/* the length: 0 and 129 (each entry fine, every value matching) */
	vec_fill(ALTFUTEX_VEC_MAX + 1, 0);
	a = wvargs(0, PAST);
	CHECK_RET(raw(ALTFUTEX_IOC_WAITV, &a), -EINVAL);
	a.nr = ALTFUTEX_VEC_MAX + 1;
	CHECK_RET(raw(ALTFUTEX_IOC_WAITV, &a), -EINVAL);
	a.nr = 0xffffffffu;
	CHECK_RET(raw(ALTFUTEX_IOC_WAITV, &a), -EINVAL);
	a.nr = ALTFUTEX_VEC_MAX;
	CHECK_RET(raw(ALTFUTEX_IOC_WAITV, &a), -ETIMEDOUT);
	t_log("ok: raw WAITV: 0, 129 and 2^32-1 words -EINVAL, 128 accepted");

	vec_fill(2, 0);
	for (i = 0; i < ARRAY_SIZE(badflags); i++) {
		a = wvargs(2, PAST | badflags[i]);
		CHECK_RET(raw(ALTFUTEX_IOC_WAITV, &a), -EINVAL);
	}
	vec_fill(2, 1);
	a = wvargs(2, 0);
	a.timeout.tv_nsec = 1;
	CHECK_RET(raw(ALTFUTEX_IOC_WAITV, &a), -EINVAL);
	vec_fill(2, 0);
	for (i = 0; i < ARRAY_SIZE(ext_badts); i++) {
		a = wvargs(2, PAST);
		a.timeout.tv_sec = ext_badts[i].sec;
		a.timeout.tv_nsec = ext_badts[i].nsec;
		CHECK_RET(raw(ALTFUTEX_IOC_WAITV, &a), -EINVAL);
	}
	t_log("ok: raw WAITV: call flags but the timeout's, timeout fields, bad timespecs -EINVAL");

	/* a bad entry, first or last */
	for (e = 0; e < 2; e++) {
		a = wvargs(2, PAST);
		for (i = 0; i < ARRAY_SIZE(badentry); i++) {
			vec_fill(2, 0);
			vec[e].flags = badentry[i];
			CHECK_RET(raw(ALTFUTEX_IOC_WAITV, &a), -EINVAL);
		}
		for (i = 0; i < ARRAY_SIZE(sizes); i++) {
			for (k = 1; k < 8; k++) {
				vec_fill(2, 0);
				vec[e].flags = sizes[i].flag |
					       ALTFUTEX_PRIVATE;
				vec[e].uaddr += k;
				CHECK_RET(raw(ALTFUTEX_IOC_WAITV, &a),
					  k % sizes[i].bytes ? -EINVAL :
							       -ETIMEDOUT);
			}
			if (!sizes[i].max)
				continue;
			vec_fill(2, 0);
			vec[e].flags = sizes[i].flag;
			vec[e].val = sizes[i].max + 1;
			CHECK_RET(raw(ALTFUTEX_IOC_WAITV, &a), -EINVAL);
		}
		/* nr_wake is ignored */
		vec_fill(2, 0);
		vec[e].nr_wake = -5;
		CHECK_RET(raw(ALTFUTEX_IOC_WAITV, &a), -ETIMEDOUT);
	}
	t_log("ok: raw WAITV: an entry's flags, alignment, val -EINVAL (first or last entry)");
}

static void check_raw_wakev(void)
{
	static const uint32_t badentry[] = {
		ALTFUTEX_ABSTIME, ALTFUTEX_CLOCK_REALTIME, ALTFUTEX_TIMEOUT,
		1u << 5, 1u << 30,
	};
	struct altfutex_wakev_args a;
	unsigned int i, k, e;

	memset(&a, 0, sizeof(a));
	a.words = (uintptr_t)vec;
	vec_fill(2, 12345);	/* val is ignored */
	a.nr = 2;
	CHECK_RET(raw(ALTFUTEX_IOC_WAKEV, &a), 0);
	a.nr = 0;
	CHECK_RET(raw(ALTFUTEX_IOC_WAKEV, &a), -EINVAL);
	vec_fill(ALTFUTEX_VEC_MAX + 1, 0);
	a.nr = ALTFUTEX_VEC_MAX + 1;
	CHECK_RET(raw(ALTFUTEX_IOC_WAKEV, &a), -EINVAL);
	a.nr = ALTFUTEX_VEC_MAX;
	CHECK_RET(raw(ALTFUTEX_IOC_WAKEV, &a), 0);
	a.nr = 2;
	a.flags = ALTFUTEX_PRIVATE;
	CHECK_RET(raw(ALTFUTEX_IOC_WAKEV, &a), -EINVAL);
	a.flags = 1u << 31;
	CHECK_RET(raw(ALTFUTEX_IOC_WAKEV, &a), -EINVAL);
	a.flags = 0;
	t_log("ok: raw WAKEV: 0 or 129 words, call flags -EINVAL");

	for (e = 0; e < 2; e++) {
		for (i = 0; i < ARRAY_SIZE(badentry); i++) {
			vec_fill(2, 0);
			vec[e].flags = badentry[i];
			CHECK_RET(raw(ALTFUTEX_IOC_WAKEV, &a), -EINVAL);
		}
		for (i = 0; i < ARRAY_SIZE(sizes); i++) {
			for (k = 1; k < 8; k++) {
				vec_fill(2, 0);
				vec[e].flags = sizes[i].flag;
				vec[e].uaddr += k;
				CHECK_RET(raw(ALTFUTEX_IOC_WAKEV, &a),
					  k % sizes[i].bytes ? -EINVAL : 0);
			}
		}
	}
	t_log("ok: raw WAKEV: an entry's flags, alignment -EINVAL (first or last entry)");
}

static struct altfutex_wake_wait_args wwargs(uint64_t val, uint32_t flags)
{
	struct altfutex_wake_wait_args a;

	memset(&a, 0, sizeof(a));
	a.wake_uaddr = (uintptr_t)&xwords[0];
	a.wait_uaddr = (uintptr_t)&xwords[1];
	a.val = val;
	a.nr_wake = 1;
	a.flags = flags;
	return a;
}

static void check_raw_wake_wait(void)
{
	static const uint32_t badflags[] = {
		1u << 5, 1u << 6, 1u << 30, 0x7fffffe0u,
	};
	struct altfutex_wake_wait_args a;
	unsigned int i, k;

	memset(xwords, 0, sizeof(xwords));
	a = wwargs(0, PAST);
	CHECK_RET(raw(ALTFUTEX_IOC_WAKE_WAIT, &a), -ETIMEDOUT);
	a = wwargs(1, 0);
	CHECK_RET(raw(ALTFUTEX_IOC_WAKE_WAIT, &a), -EAGAIN);
	for (i = 0; i < ARRAY_SIZE(badflags); i++) {
		a = wwargs(0, PAST | badflags[i]);
		CHECK_RET(raw(ALTFUTEX_IOC_WAKE_WAIT, &a), -EINVAL);
	}
	a = wwargs(1, 0);
	a.timeout.tv_sec = 1;
	CHECK_RET(raw(ALTFUTEX_IOC_WAKE_WAIT, &a), -EINVAL);
	for (i = 0; i < ARRAY_SIZE(ext_badts); i++) {
		a = wwargs(0, PAST);
		a.timeout.tv_sec = ext_badts[i].sec;
		a.timeout.tv_nsec = ext_badts[i].nsec;
		CHECK_RET(raw(ALTFUTEX_IOC_WAKE_WAIT, &a), -EINVAL);
	}
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		for (k = 1; k < 8; k++) {
			a = wwargs(0, PAST | sizes[i].flag);
			a.wake_uaddr += k;
			CHECK_RET(raw(ALTFUTEX_IOC_WAKE_WAIT, &a),
				  k % sizes[i].bytes ? -EINVAL : -ETIMEDOUT);
			a = wwargs(0, PAST | sizes[i].flag);
			a.wait_uaddr += k;
			CHECK_RET(raw(ALTFUTEX_IOC_WAKE_WAIT, &a),
				  k % sizes[i].bytes ? -EINVAL : -ETIMEDOUT);
		}
		if (!sizes[i].max)
			continue;
		a = wwargs(sizes[i].max + 1, PAST | sizes[i].flag);
		CHECK_RET(raw(ALTFUTEX_IOC_WAKE_WAIT, &a), -EINVAL);
	}
	t_log("ok: raw WAKE_WAIT: flags, timeout fields, a word misaligned, val -EINVAL");
}

static void check_raw_wake_op(void)
{
	static const uint32_t badflags[] = {
		ALTFUTEX_CLOCK_REALTIME, ALTFUTEX_ABSTIME, ALTFUTEX_TIMEOUT,
		ALTFUTEX_SIZE_U8, ALTFUTEX_SIZE_U16, ALTFUTEX_SIZE_U64,
		1u << 5, 0xfffffffeu,
	};
	struct altfutex_wake_op_args a;
	unsigned int i;

	memset(xwords, 0, sizeof(xwords));
	memset(&a, 0, sizeof(a));
	a.uaddr = (uintptr_t)&xwords[0];
	a.uaddr2 = (uintptr_t)&xwords[1];
	a.nr_wake = 1;
	a.nr_wake2 = 1;
	a.op = 1u << 28 | 1u << 12;	/* FUTEX_OP(ADD, 1, CMP_EQ, 0) */
	CHECK_RET(raw(ALTFUTEX_IOC_WAKE_OP, &a), 0);
	CHECK(xwords[1] == 1, "WAKE_OP ADD 1 made the word %llu",
	      (unsigned long long)xwords[1]);
	a.flags = ALTFUTEX_PRIVATE;
	CHECK_RET(raw(ALTFUTEX_IOC_WAKE_OP, &a), 0);
	for (i = 0; i < ARRAY_SIZE(badflags); i++) {
		a.flags = badflags[i];
		CHECK_RET(raw(ALTFUTEX_IOC_WAKE_OP, &a), -EINVAL);
		a.flags = badflags[i] | ALTFUTEX_PRIVATE;
		CHECK_RET(raw(ALTFUTEX_IOC_WAKE_OP, &a), -EINVAL);
	}
	a.flags = 0;
	for (i = 1; i < 4; i++) {
		a.uaddr = (uintptr_t)&xwords[0] + i;
		CHECK_RET(raw(ALTFUTEX_IOC_WAKE_OP, &a), -EINVAL);
		a.uaddr = (uintptr_t)&xwords[0];
		a.uaddr2 = (uintptr_t)&xwords[1] + i;
		CHECK_RET(raw(ALTFUTEX_IOC_WAKE_OP, &a), -EINVAL);
		a.uaddr2 = (uintptr_t)&xwords[1];
	}
	CHECK(xwords[1] == 2, "the failed WAKE_OPs changed the word: %llu",
	      (unsigned long long)xwords[1]);
	t_log("ok: raw WAKE_OP: flags but PRIVATE, misaligned words -EINVAL");
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
		{ _IOW(ALTFUTEX_IOC_MAGIC, 0x2c, struct altfutex_wake_op_args),
		  "_IOW(MAGIC, 0x2c, wake_op_args): past the last one" },
		{ _IOW(ALTFUTEX_IOC_MAGIC, 0x26, struct altfutex_wait_args),
		  "_IOW(MAGIC, 0x26, wait_args): WAIT2 with the wrong size" },
		{ _IOR(ALTFUTEX_IOC_MAGIC, 0x26, struct altfutex_wait2_args),
		  "_IOR(MAGIC, 0x26, wait2_args): WAIT2 with the wrong direction" },
		{ _IOWR(ALTFUTEX_IOC_MAGIC, 0x26, struct altfutex_wait2_args),
		  "_IOWR(MAGIC, 0x26, wait2_args): WAIT2 with the wrong direction" },
		{ _IOW(ALTFUTEX_IOC_MAGIC, 0x27, struct altfutex_wake_args),
		  "_IOW(MAGIC, 0x27, wake_args): WAKE2 with the wrong size" },
		{ _IOR(ALTFUTEX_IOC_MAGIC, 0x27, struct altfutex_wake2_args),
		  "_IOR(MAGIC, 0x27, wake2_args): WAKE2 with the wrong direction" },
		{ _IOW(ALTFUTEX_IOC_MAGIC, 0x28, struct altfutex_wake_wait_args),
		  "_IOW(MAGIC, 0x28, wake_wait_args): WAITV with the wrong size" },
		{ _IOWR(ALTFUTEX_IOC_MAGIC, 0x28, struct altfutex_waitv_args),
		  "_IOWR(MAGIC, 0x28, waitv_args): WAITV with the wrong direction" },
		{ _IOW(ALTFUTEX_IOC_MAGIC, 0x29, struct altfutex_waitv_args),
		  "_IOW(MAGIC, 0x29, waitv_args): WAKEV with the wrong size" },
		{ _IOR(ALTFUTEX_IOC_MAGIC, 0x29, struct altfutex_wakev_args),
		  "_IOR(MAGIC, 0x29, wakev_args): WAKEV with the wrong direction" },
		{ _IOW(ALTFUTEX_IOC_MAGIC, 0x2a, struct altfutex_wait2_args),
		  "_IOW(MAGIC, 0x2a, wait2_args): WAKE_WAIT with the wrong size" },
		{ _IOWR(ALTFUTEX_IOC_MAGIC, 0x2a, struct altfutex_wake_wait_args),
		  "_IOWR(MAGIC, 0x2a, wake_wait_args): WAKE_WAIT with the wrong direction" },
		{ _IOW(ALTFUTEX_IOC_MAGIC, 0x2b, struct altfutex_wake2_args),
		  "_IOW(MAGIC, 0x2b, wake2_args): WAKE_OP with the wrong size" },
		{ _IOR(ALTFUTEX_IOC_MAGIC, 0x2b, struct altfutex_wake_op_args),
		  "_IOR(MAGIC, 0x2b, wake_op_args): WAKE_OP with the wrong direction" },
		{ _IO(ALTFUTEX_IOC_MAGIC, 0x2b), "_IO(MAGIC, 0x2b)" },
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
	check_raw_wait2();
	check_raw_wake2();
	check_raw_waitv();
	check_raw_wakev();
	check_raw_wake_wait();
	check_raw_wake_op();
	check_enotty();
	t_log("PASS");
	return T_PASS;
}
