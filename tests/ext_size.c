// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * ext_size: words of 1, 2, 4 and 8 bytes (ALTFUTEX_SIZE_*) with
 * altfutex_wait2() and altfutex_wake2(), in three settings: threads on
 * private anonymous memory (flags 0), threads with ALTFUTEX_PRIVATE, and
 * two processes that map one memfd at different addresses (the waiter in
 * one, the waker in the other, both ways round).
 *  - a waiter of each size sleeps and is woken by a wake2 of its address;
 *    a wake2 of an overlapping word at another address does not find it;
 *  - the value check reads exactly the word's bytes: bytes around it
 *    change and a wait still sleeps (a short timeout shows it), any one
 *    byte of the word changes and it is -EAGAIN (a U64 word whose high
 *    half differs, too);
 *  - a word not aligned to its size is -EINVAL for wait2 and wake2, every
 *    aligned one is accepted;
 *  - a val with bits beyond the size is -EINVAL;
 *  - one key per address, whatever the size: waiters of every size at
 *    one address are one queue, oldest first; one wake2 with nr 2 wakes a
 *    U8 and a U32 waiter; altfutex_wake() of the first API wakes a U8
 *    waiter;
 *  - the calls of the first API reject the size bits (-EINVAL);
 *  - wait2's timeouts (relative, absolute MONOTONIC and REALTIME) give
 *    -ETIMEDOUT, never early and not much late, and leave nothing queued.
 */
#include "xwaiter.h"

/* how late a timeout may fire: TCG makes system calls 10-50x slower */
#define LATE_MS 400

struct size_desc {
	unsigned int flag;
	unsigned int bytes;
	uint64_t max;
	const char *name;
};

static const struct size_desc sizes[] = {
	{ ALTFUTEX_SIZE_U8, 1, 0xffu, "U8" },
	{ ALTFUTEX_SIZE_U16, 2, 0xffffu, "U16" },
	{ ALTFUTEX_SIZE_U32, 4, 0xffffffffu, "U32" },
	{ ALTFUTEX_SIZE_U64, 8, UINT64_MAX, "U64" },
};

#define U8 (&sizes[0])
#define U16 (&sizes[1])
#define U32 (&sizes[2])
#define U64 (&sizes[3])

/*
 * A setting: a buffer seen by this process at @here and by the other
 * party (@p, or this process when NULL) at @there; @pflag is given to
 * every call.
 */
struct mem {
	const char *name;
	char *here;
	char *there;
	struct puppet *p;
	unsigned int pflag;
};

/* Store the @bytes-byte word @v at @a, in one access. */
static void put(void *a, unsigned int bytes, uint64_t v)
{
	switch (bytes) {
	case 1:
		__atomic_store_n((uint8_t *)a, (uint8_t)v, __ATOMIC_SEQ_CST);
		break;
	case 2:
		__atomic_store_n((uint16_t *)a, (uint16_t)v, __ATOMIC_SEQ_CST);
		break;
	case 4:
		__atomic_store_n((uint32_t *)a, (uint32_t)v, __ATOMIC_SEQ_CST);
		break;
	default:
		__atomic_store_n((uint64_t *)a, v, __ATOMIC_SEQ_CST);
		break;
	}
}

/* A value of the size that has no byte 0x5a or 0xa5 in it. */
static uint64_t pattern(const struct size_desc *s)
{
	return 0x8877665544332211ULL & s->max;
}

/* ---- wait and wake, each size ----------------------------------------- */

static void check_basic(const struct mem *m, const struct size_desc *s)
{
	unsigned int f = m->pflag | s->flag;
	/* the last word of its size in the u64 at 16: U8 at 23, U64 at 16 */
	size_t off = 16 + 8 - s->bytes;
	uint64_t v = pattern(s);

	memset(m->here, 0x5a, 64);
	put(m->here + off, s->bytes, v);

	/* the waiter there, the waker here */
	xw_start2(m->p, 0, m->there + off, v, ALTFUTEX_BITSET_MATCH_ANY, f,
		  "waiter there");
	CHECK_RET(altfutex_wake2(m->here + off, ALTFUTEX_BITSET_MATCH_ANY, 1,
				 f), 1);
	xw_expect(0, 0);
	CHECK_RET(altfutex_wake2(m->here + off, ALTFUTEX_BITSET_MATCH_ANY,
				 INT_MAX, f), 0);

	/* the waiter here, the waker there */
	xw_start2(NULL, 1, m->here + off, v, ALTFUTEX_BITSET_MATCH_ANY, f,
		  "waiter here");
	/* another address is another futex, even a word that overlaps */
	if (s->bytes > 1)
		CHECK_RET(xw_wake2_in(m->p, m->there + off + 1,
				      ALTFUTEX_BITSET_MATCH_ANY, INT_MAX,
				      m->pflag | ALTFUTEX_SIZE_U8), 0);
	CHECK_RET(xw_wake2_in(m->p, m->there + off - s->bytes,
			      ALTFUTEX_BITSET_MATCH_ANY, INT_MAX, f), 0);
	if (s->bytes < 8)
		CHECK_RET(xw_wake2_in(m->p, m->there + 16,
				      ALTFUTEX_BITSET_MATCH_ANY, INT_MAX,
				      m->pflag | ALTFUTEX_SIZE_U64), 0);
	xw_check_asleep(1, 20);
	CHECK_RET(xw_wake2_in(m->p, m->there + off, ALTFUTEX_BITSET_MATCH_ANY,
			      INT_MAX, f), 1);
	xw_expect(1, 0);
	t_log("ok: %s: %s word at +%zu: woken both ways; overlapping words: others",
	      m->name, s->name, off);
}

/* ---- the value check -------------------------------------------------- */

/*
 * wait2 on the word at @off with @v, from the other party: -ETIMEDOUT
 * (it slept: the value matched) or -EAGAIN.
 */
static int try_wait(const struct mem *m, const struct size_desc *s,
		    size_t off, uint64_t v)
{
	return xw_wait2_in(m->p, m->there + off, v, ALTFUTEX_BITSET_MATCH_ANY,
			   m->pflag | s->flag, 5);
}

static void check_value(const struct mem *m, const struct size_desc *s)
{
	/* in the u64 at 8: U8 at its byte 1, U16 at 2, U32 at 4, U64 at 0 */
	size_t off = 8 + (s->bytes < 8 ? s->bytes : 0);
	uint64_t v = pattern(s);
	unsigned int i, j;
	char *w = m->here + off;

	memset(m->here, 0x5a, 64);
	put(w, s->bytes, v);
	CHECK_RET(try_wait(m, s, off, v), -ETIMEDOUT);

	/* the bytes around the word, one by one, then all at once */
	for (j = 0; j < 24; j++) {
		if (j >= off && j < off + s->bytes)
			continue;
		m->here[j] = (char)0xa5;
		CHECK_RET(try_wait(m, s, off, v), -ETIMEDOUT);
		m->here[j] = 0x5a;
	}
	memset(m->here, 0xa5, 24);
	put(w, s->bytes, v);
	CHECK_RET(try_wait(m, s, off, v), -ETIMEDOUT);

	/* each byte of the word */
	for (i = 0; i < s->bytes; i++) {
		w[i] ^= (char)0xff;
		CHECK_RET(try_wait(m, s, off, v), -EAGAIN);
		w[i] ^= (char)0xff;
	}
	CHECK_RET(try_wait(m, s, off, v), -ETIMEDOUT);
	t_log("ok: %s: %s word at byte %zu of a u64: just its own bytes read",
	      m->name, s->name, off - 8);

	if (s->bytes == 8) {
		put(w, 8, 0x100000002ULL);
		CHECK_RET(try_wait(m, s, off, 2), -EAGAIN);
		CHECK_RET(try_wait(m, s, off, 0x200000002ULL), -EAGAIN);
		CHECK_RET(try_wait(m, s, off, 0x100000002ULL), -ETIMEDOUT);
		put(w, 8, 0xffffffff00000000ULL);
		CHECK_RET(try_wait(m, s, off, 0), -EAGAIN);
		CHECK_RET(try_wait(m, s, off, 0xffffffff00000000ULL),
			  -ETIMEDOUT);
		t_log("ok: %s: a U64 word whose high half differs: -EAGAIN",
		      m->name);
	}
}

/* ---- alignment and range ---------------------------------------------- */

static void check_align(const struct mem *m, const struct size_desc *s)
{
	unsigned int f = m->pflag | s->flag, k;
	struct timespec ts = t_ts_ms(1);
	char *base = m->here + 16;

	memset(m->here, 0, 64);
	for (k = 0; k < 8; k++) {
		if (k % s->bytes) {
			/* zero matches: a missing check gives -ETIMEDOUT */
			CHECK_RET(altfutex_wait2(base + k, 0,
						 ALTFUTEX_BITSET_MATCH_ANY,
						 &ts, f), -EINVAL);
			CHECK_RET(altfutex_wake2(base + k,
						 ALTFUTEX_BITSET_MATCH_ANY,
						 1, f), -EINVAL);
			CHECK_RET(altfutex_wake2(base + k,
						 ALTFUTEX_BITSET_MATCH_ANY,
						 0, f), -EINVAL);
		} else {
			CHECK_RET(altfutex_wait2(base + k, 1,
						 ALTFUTEX_BITSET_MATCH_ANY,
						 &ts, f), -EAGAIN);
			CHECK_RET(altfutex_wake2(base + k,
						 ALTFUTEX_BITSET_MATCH_ANY,
						 1, f), 0);
		}
	}
	t_log("ok: %s: %s: misaligned wait2 and wake2 -EINVAL, every aligned offset accepted",
	      m->name, s->name);
}

static void check_range(const struct mem *m, const struct size_desc *s)
{
	static const uint64_t extra[] = {
		1, 0x80, 0x8000, 0x80000000u, 0xff00ff00ULL,
	};
	unsigned int f = m->pflag | s->flag, i, low;
	struct timespec ts = t_ts_ms(1);
	char *w = m->here + 24;
	uint64_t bad;

	memset(m->here, 0, 64);
	for (i = 0; i < ARRAY_SIZE(extra) + 2; i++) {
		for (low = 0; low < 2; low++) {
			if (i < ARRAY_SIZE(extra))
				bad = extra[i] << (8 * s->bytes % 64);
			else if (i == ARRAY_SIZE(extra))
				bad = 1ULL << 63;
			else
				bad = UINT64_MAX;
			if (low)
				bad |= 0x11;
			if (!(bad & ~s->max))
				continue;
			/*
			 * The word holds what the size would keep of bad: a
			 * missing check gives -ETIMEDOUT.
			 */
			put(w, s->bytes, bad & s->max);
			CHECK_RET(altfutex_wait2(w, bad,
						 ALTFUTEX_BITSET_MATCH_ANY,
						 &ts, f), -EINVAL);
		}
	}
	put(w, s->bytes, s->max);
	CHECK_RET(altfutex_wait2(w, s->max, ALTFUTEX_BITSET_MATCH_ANY, &ts, f),
		  -ETIMEDOUT);
	CHECK_RET(altfutex_wait2(w, s->max - 1, ALTFUTEX_BITSET_MATCH_ANY, &ts,
				 f), -EAGAIN);
	if (s->max == UINT64_MAX)
		t_log("ok: %s: U64: any val fits, UINT64_MAX accepted", m->name);
	else
		t_log("ok: %s: %s: a val beyond %#llx -EINVAL, %#llx accepted",
		      m->name, s->name, (unsigned long long)s->max,
		      (unsigned long long)s->max);
}

/* ---- one key per address ---------------------------------------------- */

static void check_one_key(const struct mem *m)
{
	unsigned int pf = m->pflag;
	char *a = m->here + 32, *b = m->there + 32;
	int i;

	memset(m->here, 0, 64);

	/* a U8 and a U32 waiter: one wake2 with nr 2 takes both */
	xw_start2(m->p, 0, b, 0, ALTFUTEX_BITSET_MATCH_ANY,
		  pf | ALTFUTEX_SIZE_U8, "U8 there");
	xw_start2(NULL, 1, a, 0, ALTFUTEX_BITSET_MATCH_ANY,
		  pf | ALTFUTEX_SIZE_U32, "U32 here");
	CHECK_RET(altfutex_wake2(a, ALTFUTEX_BITSET_MATCH_ANY, 2,
				 pf | ALTFUTEX_SIZE_U32), 2);
	xw_expect(0, 0);
	xw_expect(1, 0);
	t_log("ok: %s: a U8 and a U32 waiter at one address: one wake2 with nr 2 woke both",
	      m->name);

	/* the first API's wake finds a U8 waiter */
	xw_start2(m->p, 0, b, 0, ALTFUTEX_BITSET_MATCH_ANY,
		  pf | ALTFUTEX_SIZE_U8, "U8 there");
	CHECK_RET(altfutex_wake((uint32_t *)a, 1, pf), 1);
	xw_expect(0, 0);
	xw_start2(NULL, 1, a, 0, ALTFUTEX_BITSET_MATCH_ANY,
		  pf | ALTFUTEX_SIZE_U8, "U8 here");
	CHECK_RET(xw_wake_in(m->p, b, 1, pf), 1);
	xw_expect(1, 0);
	t_log("ok: %s: altfutex_wake() of the first API wakes a U8 waiter at its address",
	      m->name);

	/* every size in one queue, oldest first, whatever size wakes */
	xw_start2(m->p, 0, b, 0, ALTFUTEX_BITSET_MATCH_ANY,
		  pf | ALTFUTEX_SIZE_U8, "U8 there");
	xw_start(NULL, 1, XW_WAIT, a, 0, 0, pf, T_SAFETY_MS, "wait here");
	xw_start2(m->p, 2, b, 0, ALTFUTEX_BITSET_MATCH_ANY,
		  pf | ALTFUTEX_SIZE_U16, "U16 there");
	xw_start2(NULL, 3, a, 0, ALTFUTEX_BITSET_MATCH_ANY,
		  pf | ALTFUTEX_SIZE_U64, "U64 here");
	xw_start2(m->p, 4, b, 0, ALTFUTEX_BITSET_MATCH_ANY,
		  pf | ALTFUTEX_SIZE_U32, "U32 there");
	CHECK_RET(altfutex_wake2(a, ALTFUTEX_BITSET_MATCH_ANY, 1,
				 pf | ALTFUTEX_SIZE_U64), 1);
	xw_expect(0, 0);
	for (i = 1; i < 5; i++)
		xw_check_asleep(i, i == 1 ? 20 : 0);
	CHECK_RET(xw_wake2_in(m->p, b, ALTFUTEX_BITSET_MATCH_ANY, 2,
			      pf | ALTFUTEX_SIZE_U8), 2);
	xw_expect(1, 0);
	xw_expect(2, 0);
	xw_check_asleep(3, 20);
	xw_check_asleep(4, 0);
	CHECK_RET(altfutex_wake((uint32_t *)a, 1, pf), 1);
	xw_expect(3, 0);
	xw_check_asleep(4, 20);
	CHECK_RET(altfutex_wake2(a, ALTFUTEX_BITSET_MATCH_ANY, INT_MAX,
				 pf | ALTFUTEX_SIZE_U16), 1);
	xw_expect(4, 0);
	t_log("ok: %s: 4 sizes and the first API at one address: one queue, FIFO",
	      m->name);
}

/* ---- the first API takes no size bit ----------------------------------- */

static void check_first_api(uint32_t *w)
{
	static const unsigned int bits[] = {
		ALTFUTEX_SIZE_U8, ALTFUTEX_SIZE_U16, ALTFUTEX_SIZE_U64,
		ALTFUTEX_SIZE_MASK,
	};
	struct timespec ts = t_ts_ms(1);
	unsigned int i, pf, f;
	int fd;

	*w = 0;
	for (i = 0; i < ARRAY_SIZE(bits); i++) {
		for (pf = 0; pf <= ALTFUTEX_PRIVATE; pf++) {
			f = bits[i] | pf;
			CHECK_RET(altfutex_wait(w, 0, &ts, f), -EINVAL);
			CHECK_RET(altfutex_wake(w, 1, f), -EINVAL);
			CHECK_RET(altfutex_requeue(w, w + 1, 1, 1, f),
				  -EINVAL);
			CHECK_RET(altfutex_cmp_requeue(w, w + 1, 1, 1, 0, f),
				  -EINVAL);
			fd = altfutex_fd(w, 0, f);
			if (fd >= 0)
				close(fd);
			CHECK(fd == -EINVAL, "altfutex_fd with flags %#x: %d (%s)",
			      f, fd, t_err(fd));
		}
	}
	t_log("ok: wait, wake, requeue, cmp_requeue, fd with a size bit: -EINVAL");
}

/* ---- timeouts ------------------------------------------------------------ */

static void expect_timeout(char *w, const struct size_desc *s,
			   unsigned int flags, const struct timespec *ts,
			   clockid_t clk, int64_t deadline, const char *what)
{
	int64_t t0, t1;
	int r;

	t0 = t_now_ns(clk);
	if (!deadline)
		deadline = t0 + ts->tv_sec * NSEC_PER_SEC + ts->tv_nsec;
	r = altfutex_wait2(w, pattern(s), ALTFUTEX_BITSET_MATCH_ANY, ts,
			   flags | s->flag);
	t1 = t_now_ns(clk);
	if (r != -ETIMEDOUT)
		t_fail("%s %s: wait2 returned %d (%s), expected -ETIMEDOUT",
		       s->name, what, r, t_err(r));
	if (t1 < deadline)
		t_fail("%s %s: returned %lld us before the deadline", s->name,
		       what, (long long)((deadline - t1) / 1000));
	if (t1 > deadline + LATE_MS * NSEC_PER_MSEC)
		t_fail("%s %s: returned %lld ms after the deadline (limit %d ms)",
		       s->name, what,
		       (long long)((t1 - deadline) / NSEC_PER_MSEC), LATE_MS);
	/* it timed out: nothing is left queued (no fast path: flags 0) */
	CHECK_RET(altfutex_wake2(w, ALTFUTEX_BITSET_MATCH_ANY, INT_MAX,
				 s->flag), 0);
	if (flags & ALTFUTEX_PRIVATE)
		CHECK_RET(altfutex_wake2(w, ALTFUTEX_BITSET_MATCH_ANY,
					 INT_MAX, ALTFUTEX_PRIVATE | s->flag),
			  0);
}

static void check_timeouts(char *buf, unsigned int pf)
{
	struct timespec ts;
	unsigned int i;
	int64_t dl;
	char *w;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		w = buf + 8 - sizes[i].bytes;
		memset(buf, 0x5a, 16);
		put(w, sizes[i].bytes, pattern(&sizes[i]));

		ts = t_ts_ms(60);
		expect_timeout(w, &sizes[i], pf, &ts, CLOCK_MONOTONIC, 0,
			       "relative 60 ms");
		dl = t_now_ns(CLOCK_MONOTONIC) + 60 * NSEC_PER_MSEC;
		ts = t_ts_ns(dl);
		expect_timeout(w, &sizes[i], pf | ALTFUTEX_ABSTIME, &ts,
			       CLOCK_MONOTONIC, dl, "absolute MONOTONIC");
		dl = t_now_ns(CLOCK_REALTIME) + 60 * NSEC_PER_MSEC;
		ts = t_ts_ns(dl);
		expect_timeout(w, &sizes[i],
			       pf | ALTFUTEX_ABSTIME | ALTFUTEX_CLOCK_REALTIME,
			       &ts, CLOCK_REALTIME, dl, "absolute REALTIME");
		ts.tv_sec = 0;
		ts.tv_nsec = 0;
		expect_timeout(w, &sizes[i], pf, &ts, CLOCK_MONOTONIC, 0,
			       "relative zero");
	}
	t_log("ok: flags %#x: wait2, each size: relative and absolute timeouts on time",
	      pf);
}

/* ---- the settings ------------------------------------------------------ */

static void run(const struct mem *m)
{
	unsigned int i;

	t_log("---- %s", m->name);
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		check_basic(m, &sizes[i]);
		check_value(m, &sizes[i]);
		check_align(m, &sizes[i]);
		check_range(m, &sizes[i]);
	}
	check_one_key(m);
}

int main(void)
{
	struct mem priv, flagged, shared;
	struct puppet c;
	char *pm, *ma, *mb, *win;
	size_t pg = PGSZ;
	int fd;

	t_init("ext_size", 180);
	fd = altfutex_open();
	if (fd == -ENOENT)
		t_skip("no /dev/altfutex");
	CHECK(fd >= 0, "altfutex_open: %s", t_err(fd));
	xw_init();

	pm = t_map(2, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	fd = t_memfd("ext_size", 2 * pg);
	ma = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(ma != MAP_FAILED, "mmap: %s", strerror(errno));
	win = t_reserve(8 * pg);
	puppet_start(&c, "child", NULL, NULL);
	mb = p_mmap(&c, win + 2 * pg, 2 * pg, PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_FIXED, fd, 0);
	CHECK(mb != ma, "the two mappings must be at different addresses");

	check_first_api((uint32_t *)(pm + pg));

	priv = (struct mem){ "private anonymous, threads", pm + 512,
			     pm + 512, NULL, 0 };
	flagged = (struct mem){ "ALTFUTEX_PRIVATE, threads", pm + 1024,
				pm + 1024, NULL, ALTFUTEX_PRIVATE };
	shared = (struct mem){ "memfd, two processes", ma + pg + 256,
			       mb + pg + 256, &c, 0 };
	run(&priv);
	run(&flagged);
	run(&shared);

	check_timeouts(pm + pg + 64, 0);
	check_timeouts(pm + pg + 128, ALTFUTEX_PRIVATE);
	check_timeouts(ma + 64, 0);

	puppet_stop(&c);
	t_log("PASS");
	return T_PASS;
}
