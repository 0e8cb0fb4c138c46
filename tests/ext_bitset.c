// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * ext_bitset: the masks of altfutex_wait2() and altfutex_wake2() (the
 * bitsets of futex(2)'s WAIT_BITSET and WAKE_BITSET), in three settings:
 * threads on private anonymous memory (flags 0), threads with
 * ALTFUTEX_PRIVATE, and waiters spread over two processes that map one
 * memfd at different addresses, woken from either.
 *  - wake2 wakes only the waiters whose mask shares a bit with its own,
 *    up to nr_wake, and returns how many;
 *  - oldest first among the matching ones: waiters of two masks queued
 *    alternately come back in their order, mask by mask;
 *  - a mask of 0 is -EINVAL for wait2 and wake2, and wakes nobody;
 *  - waiters of the first API (altfutex_wait) and fd waiters
 *    (altfutex_fd) match any mask, and the first API's altfutex_wake
 *    wakes waiters of every mask, oldest first;
 *  - requeue and cmp_requeue move waiters whatever their mask, oldest
 *    first, and each keeps its mask: after the move, wake2 of the new
 *    word with a mask wakes only the matching ones.
 */
#include "xwaiter.h"

#define ANY ALTFUTEX_BITSET_MATCH_ANY

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

/* Waiter @i, on the word at @off, in this process if @here, else there. */
static void start(const struct mem *m, int i, int here, size_t off,
		  uint32_t mask, unsigned int size, const char *what)
{
	xw_start2(here ? NULL : m->p, i, (here ? m->here : m->there) + off, 0,
		  mask, m->pflag | size, what);
}

/* wake2 from this process (@here) or the other one. */
static int wake2(const struct mem *m, int here, size_t off, uint32_t mask,
		 int nr)
{
	return xw_wake2_in(here ? NULL : m->p,
			   (here ? m->here : m->there) + off, mask, nr,
			   m->pflag);
}

static void check_match(const struct mem *m)
{
	int i;

	memset(m->here, 0, 64);
	start(m, 0, 0, 0, 0x1, 0, "0x1");
	start(m, 1, 1, 0, 0x2, 0, "0x2");
	start(m, 2, 0, 0, 0x3, 0, "0x3");
	start(m, 3, 1, 0, 0x4, ALTFUTEX_SIZE_U8, "0x4 U8");
	start(m, 4, 0, 0, ANY, 0, "ANY");
	start(m, 5, 1, 0, 0x80000000u, ALTFUTEX_SIZE_U16, "0x80000000 U16");

	/* bits nobody but ANY has */
	CHECK_RET(wake2(m, 0, 8, ANY, INT_MAX), 0);
	CHECK_RET(wake2(m, 1, 0, 0x18, INT_MAX), 1);
	xw_expect(4, 0);
	for (i = 0; i < 6; i++)
		if (i != 4)
			xw_check_asleep(i, i ? 0 : 20);
	CHECK_RET(wake2(m, 0, 0, 0x7ffffff8u, INT_MAX), 0);

	CHECK_RET(wake2(m, 1, 0, 0x2, INT_MAX), 2);
	xw_expect(1, 0);
	xw_expect(2, 0);
	xw_check_asleep(0, 20);
	xw_check_asleep(3, 0);
	xw_check_asleep(5, 0);

	CHECK_RET(wake2(m, 0, 0, 0x80000000u, 1), 1);
	xw_expect(5, 0);
	xw_check_asleep(0, 20);
	xw_check_asleep(3, 0);

	CHECK_RET(wake2(m, 1, 0, 0x5, 0), 0);
	CHECK_RET(wake2(m, 1, 0, 0x5, -1), 0);
	xw_check_asleep(0, 20);
	xw_check_asleep(3, 0);
	CHECK_RET(wake2(m, 1, 0, 0x5, INT_MAX), 2);
	xw_expect(0, 0);
	xw_expect(3, 0);
	CHECK_RET(wake2(m, 0, 0, ANY, INT_MAX), 0);
	t_log("ok: %s: masks 1, 2, 3, 4, ANY, 1<<31: wake2 woke just the matching",
	      m->name);
}

static void check_fifo(const struct mem *m)
{
	int i, k, a, b;

	memset(m->here, 0, 64);
	xw_order_reset();
	/* even ids mask 0x1, odd ones 0x2; spread over both processes */
	for (i = 0; i < 12; i++)
		start(m, i, i % 3 != 1, 8, i & 1 ? 0x2 : 0x1, 0, "fifo");

	k = 0;
	for (i = 1; i < 12; i += 2) {
		CHECK_RET(wake2(m, i % 4 == 1, 8, 0x2, 1), 1);
		xw_returned_wait(++k);
		CHECK(xw_order(k - 1) == i, "wake2(0x2, 1) woke waiter %d, expected %d",
		      xw_order(k - 1), i);
		xw_expect(i, 0);
	}
	/* no 0x2 waiter left */
	CHECK_RET(wake2(m, 1, 8, 0x2, INT_MAX), 0);
	CHECK_RET(wake2(m, 0, 8, 0x1, 2), 2);
	xw_returned_wait(k + 2);
	a = xw_order(k);
	b = xw_order(k + 1);
	CHECK((a == 0 && b == 2) || (a == 2 && b == 0),
	      "wake2(0x1, 2) woke waiters %d and %d, expected 0 and 2", a, b);
	xw_expect(0, 0);
	xw_expect(2, 0);
	k += 2;
	for (i = 4; i < 12; i += 2) {
		CHECK_RET(wake2(m, i % 4 == 0, 8, 0x3, 1), 1);
		xw_returned_wait(++k);
		CHECK(xw_order(k - 1) == i, "wake2(0x3, 1) woke waiter %d, expected %d",
		      xw_order(k - 1), i);
		xw_expect(i, 0);
	}
	CHECK(xw_returned() == 12, "%d returns for 12 waiters", xw_returned());
	t_log("ok: %s: masks 1 and 2 interleaved: each woken oldest first",
	      m->name);
}

static void check_mask0(const struct mem *m)
{
	struct timespec ts = t_ts_ms(1);
	unsigned int f = m->pflag;

	memset(m->here, 0, 64);
	/* the value matches: a missing check gives -ETIMEDOUT */
	CHECK_RET(altfutex_wait2(m->here + 16, 0, 0, &ts, f), -EINVAL);
	CHECK_RET(altfutex_wait2(m->here + 16, 0, 0, &ts,
				 f | ALTFUTEX_SIZE_U8), -EINVAL);
	CHECK_RET(altfutex_wait2(m->here + 16, 0, 0, &ts,
				 f | ALTFUTEX_SIZE_U64), -EINVAL);
	start(m, 0, 0, 16, ANY, 0, "ANY");
	CHECK_RET(altfutex_wake2(m->here + 16, 0, 1, f), -EINVAL);
	CHECK_RET(altfutex_wake2(m->here + 16, 0, INT_MAX, f), -EINVAL);
	CHECK_RET(altfutex_wake2(m->here + 16, 0, 0, f), -EINVAL);
	CHECK_RET(altfutex_wake2(m->here + 16, 0, 1, f | ALTFUTEX_SIZE_U16),
		  -EINVAL);
	CHECK_RET(wake2(m, 0, 16, 0, 1), -EINVAL);
	xw_check_asleep(0, 20);
	CHECK_RET(wake2(m, 1, 16, ANY, 1), 1);
	xw_expect(0, 0);
	t_log("ok: %s: mask 0: wait2 and wake2 -EINVAL, the waiter left asleep",
	      m->name);
}

/* fd must poll readable within @ms. */
static void readable_within(int fd, long ms)
{
	int64_t end = t_now_ns(CLOCK_MONOTONIC) + ms * NSEC_PER_MSEC;

	while (!t_readable(fd)) {
		if (t_now_ns(CLOCK_MONOTONIC) > end)
			t_fail("the fd waiter woken by wake2 is not readable after %ld ms",
			       ms);
		t_sleep_ms(1);
	}
}

static void check_first_api(const struct mem *m)
{
	uint32_t *w = (uint32_t *)(m->here + 24);
	int fd;

	memset(m->here, 0, 64);
	/* waiters of the first API match any mask */
	xw_start(m->p, 0, XW_WAIT, m->there + 24, 0, 0, m->pflag,
		 T_SAFETY_MS, "wait there");
	xw_start(NULL, 1, XW_WAIT, m->here + 24, 0, 0, m->pflag, T_SAFETY_MS,
		 "wait here");
	CHECK_RET(wake2(m, 1, 24, 0x1, 1), 1);
	xw_expect(0, 0);
	xw_check_asleep(1, 20);
	CHECK_RET(wake2(m, 0, 24, 0x80000000u, 1), 1);
	xw_expect(1, 0);
	t_log("ok: %s: altfutex_wait waiters woken by wake2 with masks 0x1 and 0x80000000",
	      m->name);

	/* so do fd waiters */
	fd = altfutex_fd(w, 0, m->pflag);
	CHECK(fd >= 0, "altfutex_fd: %s", t_err(fd));
	CHECK_RET(wake2(m, 0, 24, 0x100, 0), 0);
	t_sleep_ms(20);
	CHECK(!t_readable(fd), "an fd waiter readable without a wake");
	CHECK_RET(wake2(m, 0, 24, 0x100, 1), 1);
	readable_within(fd, 5000);
	CHECK_RET(wake2(m, 1, 24, ANY, INT_MAX), 0);
	close(fd);
	t_log("ok: %s: an fd waiter is woken by wake2 with mask 0x100",
	      m->name);

	/* the first API's wake wakes every mask, oldest first */
	start(m, 0, 0, 24, 0x1, 0, "0x1 there");
	start(m, 1, 1, 24, 0x100, ALTFUTEX_SIZE_U8, "0x100 U8 here");
	start(m, 2, 0, 24, 0x80000000u, 0, "1<<31 there");
	CHECK_RET(altfutex_wake(w, 1, m->pflag), 1);
	xw_expect(0, 0);
	xw_check_asleep(1, 20);
	xw_check_asleep(2, 0);
	CHECK_RET(xw_wake_in(m->p, m->there + 24, INT_MAX, m->pflag), 2);
	xw_expect(1, 0);
	xw_expect(2, 0);
	t_log("ok: %s: altfutex_wake woke waiters of masks 0x1, 0x100 and 1<<31, oldest first",
	      m->name);
}

static void check_requeue(const struct mem *m)
{
	uint32_t *a = (uint32_t *)(m->here + 32), *b = a + 2;
	unsigned int pf = m->pflag;

	memset(m->here, 0, 64);
	start(m, 0, 0, 32, 0x1, 0, "A 0x1");
	start(m, 1, 1, 32, 0x2, 0, "A 0x2");
	start(m, 2, 1, 32, 0x1, 0, "A 0x1");
	start(m, 3, 0, 32, 0x2, 0, "A 0x2");
	start(m, 4, 1, 32, 0x4, 0, "A 0x4");
	start(m, 5, 0, 40, 0x2, 0, "B's own 0x2");

	/* every waiter of A moves behind B's own, whatever its mask */
	CHECK_RET(altfutex_requeue(a, b, 0, INT_MAX, pf), 5);
	CHECK_RET(wake2(m, 0, 32, ANY, INT_MAX), 0);
	CHECK_RET(altfutex_wake(a, INT_MAX, pf), 0);
	xw_check_asleep(0, 20);

	/* with its mask: 0x2 finds B's own and the two moved ones */
	xw_order_reset();
	CHECK_RET(wake2(m, 1, 40, 0x2, 2), 2);
	xw_expect(5, 0);
	xw_expect(1, 0);
	xw_check_asleep(3, 20);
	CHECK_RET(wake2(m, 0, 40, 0x2, INT_MAX), 1);
	xw_expect(3, 0);
	xw_check_asleep(0, 20);
	xw_check_asleep(2, 0);
	xw_check_asleep(4, 0);

	/* cmp_requeue back to A: the wake takes the oldest, any mask */
	CHECK_RET(altfutex_cmp_requeue(b, a, 1, INT_MAX, 0, pf), 3);
	xw_expect(0, 0);
	CHECK_RET(wake2(m, 1, 40, ANY, INT_MAX), 0);
	CHECK_RET(wake2(m, 0, 32, 0x2, INT_MAX), 0);
	CHECK_RET(wake2(m, 1, 32, 0x4, INT_MAX), 1);
	xw_expect(4, 0);
	xw_check_asleep(2, 20);
	CHECK_RET(wake2(m, 0, 32, 0x1, INT_MAX), 1);
	xw_expect(2, 0);
	t_log("ok: %s: requeue and cmp_requeue moved waiters of masks 1, 2, 4; each kept its mask",
	      m->name);

	/* a partial requeue takes the oldest, not the matching */
	start(m, 0, 0, 32, 0x1, 0, "A 0x1");
	start(m, 1, 1, 32, 0x2, 0, "A 0x2");
	start(m, 2, 0, 32, 0x4, 0, "A 0x4");
	CHECK_RET(altfutex_cmp_requeue(a, b, 0, 2, 0, pf), 2);
	CHECK_RET(wake2(m, 1, 32, 0x3, INT_MAX), 0);
	CHECK_RET(wake2(m, 0, 40, 0x4, INT_MAX), 0);
	xw_check_asleep(2, 20);
	CHECK_RET(wake2(m, 0, 40, 0x3, INT_MAX), 2);
	xw_expect(0, 0);
	xw_expect(1, 0);
	CHECK_RET(wake2(m, 1, 32, 0x4, INT_MAX), 1);
	xw_expect(2, 0);
	t_log("ok: %s: cmp_requeue(0, 2) moved the two oldest, not by mask",
	      m->name);
}

static void run(const struct mem *m)
{
	t_log("---- %s", m->name);
	check_match(m);
	check_fifo(m);
	check_mask0(m);
	check_first_api(m);
	check_requeue(m);
}

int main(void)
{
	struct mem priv, flagged, shared;
	struct puppet c;
	char *pm, *ma, *mb, *win;
	size_t pg = PGSZ;
	int fd;

	t_init("ext_bitset", 180);
	fd = altfutex_open();
	if (fd == -ENOENT)
		t_skip("no /dev/altfutex");
	CHECK(fd >= 0, "altfutex_open: %s", t_err(fd));
	xw_init();

	pm = t_map(1, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	fd = t_memfd("ext_bitset", pg);
	ma = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(ma != MAP_FAILED, "mmap: %s", strerror(errno));
	win = t_reserve(8 * pg);
	puppet_start(&c, "child", NULL, NULL);
	mb = p_mmap(&c, win + 3 * pg, pg, PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_FIXED, fd, 0);
	CHECK(mb != ma, "the two mappings must be at different addresses");

	priv = (struct mem){ "private anonymous, threads", pm + 512,
			     pm + 512, NULL, 0 };
	flagged = (struct mem){ "ALTFUTEX_PRIVATE, threads", pm + 1024,
				pm + 1024, NULL, ALTFUTEX_PRIVATE };
	shared = (struct mem){ "memfd, two processes", ma + 256, mb + 256,
			       &c, 0 };
	run(&priv);
	run(&flagged);
	run(&shared);

	puppet_stop(&c);
	t_log("PASS");
	return T_PASS;
}
