// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * ext_wakev: altfutex_wakev(), each entry's wake in one call
 * (CONTRACT.md, "Extended API"; issue 17).
 *  - over words of every size, private and shared, each with sleepers,
 *    it returns the total woken, each entry waking up to its nr_wake,
 *    oldest first; an nr_wake <= 0 wakes nobody;
 *  - n = 0 or 129: -EINVAL; n = 128 works; the raw ioctl checks its
 *    own (nr, flags, an unmapped vector);
 *  - a bad entry gives the first error in index order, yet every entry is
 *    performed: the sleepers of the good entries, before and after the
 *    bad ones, are woken;
 *  - the library's fast path: private words with no waiter cost no ioctl
 *    (the calls_wakev line of the statistics file does not move), while
 *    a shared word or a private word with a waiter does (+1 each call).
 */
#include <sys/ioctl.h>
#include <sys/mount.h>

#include "ext_thread.h"

#include <linux/altfutex.h>

#define STATS "/sys/kernel/debug/altfutex/stats"
#define WAKEV_LINE "calls_wakev"

static char *priv, *shrd;	/* a private and a shared page */

/* The four words: U8 private, U16 shared, U32 private, U64 shared. */
static void words4(struct altfutex_waiter *v)
{
	static const struct {
		int shared;
		size_t off;
		unsigned int flags;
		uint64_t val;
	} d[4] = {
		{ 0, 1, ALTFUTEX_PRIVATE | ALTFUTEX_SIZE_U8, 0x5a },
		{ 1, 2, ALTFUTEX_SIZE_U16, 0xbeef },
		{ 0, 8, ALTFUTEX_SIZE_U32, 0xdeadbeef },
		{ 1, 16, ALTFUTEX_SIZE_U64, 0x0123456789abcdefULL },
	};
	int i;

	for (i = 0; i < 4; i++) {
		v[i].uaddr = (d[i].shared ? shrd : priv) + d[i].off;
		v[i].val = d[i].val;
		v[i].flags = d[i].flags;
		v[i].nr_wake = 1;
		x_store(v[i].uaddr, v[i].val, v[i].flags);
	}
}

/* @per sleepers on each of the @n words of @v: s[per * i + k]. */
static void sleepers(struct x_waiter *s, const struct altfutex_waiter *v,
		     int n, int per)
{
	int i, k;

	for (i = 0; i < n; i++)
		for (k = 0; k < per; k++)
			x_wait_start(&s[i * per + k],
				     x_size(v[i].flags) == 4 && k ? X_WAIT :
				     X_WAIT2, v[i].uaddr, v[i].val,
				     v[i].flags, T_SAFETY_MS, "sleeper");
}

static void check_total(void)
{
	struct altfutex_waiter v[4];
	struct x_waiter s[8];
	int i;

	words4(v);
	sleepers(s, v, 4, 2);
	v[0].nr_wake = 1;
	v[1].nr_wake = 2;
	v[2].nr_wake = INT_MAX;
	v[3].nr_wake = 1;
	CHECK_RET(altfutex_wakev(v, 4), 6);
	for (i = 0; i < 8; i++) {
		if (i == 1 || i == 7)
			continue;
		x_expect_within(&s[i], 0, 10000);
	}
	x_check_asleep(&s[1], 50);
	x_check_asleep(&s[7], 0);
	t_log("ok: 4 mixed words, nr_wake 1, 2, INT_MAX, 1: the 6 oldest woken");
	for (i = 0; i < 4; i++)
		v[i].nr_wake = 1;
	CHECK_RET(altfutex_wakev(v, 4), 2);
	x_expect_within(&s[1], 0, 10000);
	x_expect_within(&s[7], 0, 10000);
	for (i = 0; i < 4; i++)
		v[i].nr_wake = INT_MAX;
	CHECK_RET(altfutex_wakev(v, 4), 0);
	t_log("ok: the 2 left woken by the next wakev, then nobody is left");
}

static void check_nr(void)
{
	static const int nonpos[] = { 0, -1, INT_MIN };
	struct altfutex_waiter v[4];
	struct x_waiter s[3];
	size_t i;

	words4(v);
	for (i = 0; i < 3; i++)
		x_wait_start(&s[i], X_WAIT2, v[3].uaddr, v[3].val, v[3].flags,
			     T_SAFETY_MS, "U64 sleeper");
	for (i = 0; i < ARRAY_SIZE(nonpos); i++) {
		v[0].nr_wake = nonpos[i];
		v[3].nr_wake = nonpos[i];
		CHECK_RET(altfutex_wakev(&v[3], 1), 0);
		CHECK_RET(altfutex_wakev(v, 4), 0);
	}
	x_check_asleep(&s[0], 50);
	x_check_asleep(&s[1], 0);
	x_check_asleep(&s[2], 0);
	v[3].nr_wake = 2;
	CHECK_RET(altfutex_wakev(v, 4), 2);
	x_expect_within(&s[0], 0, 10000);
	x_expect_within(&s[1], 0, 10000);
	x_check_asleep(&s[2], 50);
	v[3].nr_wake = 5;
	CHECK_RET(altfutex_wakev(&v[3], 1), 1);
	x_expect_within(&s[2], 0, 10000);
	t_log("ok: nr_wake 0, -1, INT_MIN: nobody; 2 of 3: the 2 oldest");
}

static int raw_wakev(const struct altfutex_vec *words, uint32_t nr,
		     uint32_t flags)
{
	struct altfutex_wakev_args args;
	int fd = altfutex_open(), r;

	CHECK(fd >= 0, "altfutex_open: %s", t_err(fd));
	memset(&args, 0, sizeof(args));
	args.words = (uintptr_t)words;
	args.nr = nr;
	args.flags = flags;
	r = ioctl(fd, ALTFUTEX_IOC_WAKEV, &args);
	return r < 0 ? -errno : r;
}

static void check_bounds(void)
{
	static struct altfutex_waiter v[ALTFUTEX_VEC_MAX + 1];
	static struct altfutex_vec raw[ALTFUTEX_VEC_MAX + 1];
	static const int at[] = { 0, 77, 127 };
	uint32_t *words = t_map(1, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	void *hole = t_map(1, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	struct x_waiter s[3];
	size_t i;
	int r;

	CHECK(!munmap(hole, PGSZ), "munmap");
	for (i = 0; i <= ALTFUTEX_VEC_MAX; i++) {
		v[i].uaddr = &words[i];
		v[i].flags = i & 1 ? ALTFUTEX_PRIVATE : 0;
		v[i].nr_wake = 1;
		raw[i].uaddr = (uintptr_t)&words[i];
		raw[i].flags = v[i].flags;
		raw[i].nr_wake = 1;
	}
	CHECK_RET(altfutex_wakev(v, 0), -EINVAL);
	CHECK_RET(altfutex_wakev(v, ALTFUTEX_VEC_MAX + 1), -EINVAL);
	CHECK_RET(raw_wakev(raw, 0, 0), -EINVAL);
	CHECK_RET(raw_wakev(raw, ALTFUTEX_VEC_MAX + 1, 0), -EINVAL);
	CHECK_RET(raw_wakev(raw, 1, ALTFUTEX_PRIVATE), -EINVAL);
	CHECK_RET(raw_wakev(raw, 1, 1u << 31), -EINVAL);
	CHECK_RET(raw_wakev(hole, 1, 0), -EFAULT);
	CHECK_RET(raw_wakev(hole, ALTFUTEX_VEC_MAX, 0), -EFAULT);
	CHECK_RET(raw_wakev(raw, ALTFUTEX_VEC_MAX, 0), 0);

	for (i = 0; i < ARRAY_SIZE(at); i++)
		x_wait_start(&s[i], X_WAIT, &words[at[i]], 0, v[at[i]].flags,
			     T_SAFETY_MS, "sleeper of the 128");
	r = altfutex_wakev(v, ALTFUTEX_VEC_MAX);
	CHECK(r == 3, "wakev of 128 words with 3 sleepers returned %d (%s)",
	      r, t_err(r));
	for (i = 0; i < ARRAY_SIZE(at); i++)
		x_expect_within(&s[i], 0, 10000);
	CHECK_RET(altfutex_wakev(v, ALTFUTEX_VEC_MAX), 0);

	/* the same through the ioctl, with sleepers on words 0 and 127 */
	for (i = 0; i < 2; i++)
		x_wait_start(&s[i], X_WAIT, &words[i * 127], 0,
			     v[i * 127].flags, T_SAFETY_MS, "sleeper");
	CHECK_RET(raw_wakev(raw, ALTFUTEX_VEC_MAX, 0), 2);
	x_expect_within(&s[0], 0, 10000);
	x_expect_within(&s[1], 0, 10000);
	t_log("ok: n = 0, 129: -EINVAL; n = 128 wakes 3; raw flags, vector too");
}

/*
 * wakev(@v, @n) must return @want while waking the sleeper of each entry
 * whose index is in @good (a bit mask): every entry is performed.
 */
static void expect_error(struct altfutex_waiter *v, int n, int want,
			 unsigned int good, const char *what)
{
	struct x_waiter s[8];
	int i, r;

	for (i = 0; i < n; i++)
		if (good & (1u << i))
			x_wait_start(&s[i], X_WAIT2, v[i].uaddr,
				     x_load(v[i].uaddr, v[i].flags),
				     v[i].flags, T_SAFETY_MS, "sleeper");
	r = altfutex_wakev(v, n);
	if (r != want)
		t_fail("%s: wakev returned %d (%s), expected %d (%s)", what, r,
		       t_err(r), want, t_err(want));
	for (i = 0; i < n; i++)
		if (good & (1u << i))
			x_expect_within(&s[i], 0, 10000);
	t_log("ok: %s: %s, and the sleepers of the other entries were woken",
	      what, t_err(want));
}

static void check_errors(void)
{
	char *hole = t_map(1, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	struct altfutex_waiter v[4], e[5];

	CHECK(!munmap(hole, PGSZ), "munmap");
	words4(v);

	/* entry 0 misaligned: -EINVAL, entry 1 still woken */
	e[0] = (struct altfutex_waiter){ priv + 10, 0, ALTFUTEX_SIZE_U32, 1 };
	e[1] = v[1];
	expect_error(e, 2, -EINVAL, 0x2, "entry 0 a U32 at 2 mod 4");

	/* a private one: the fast path must leave it to the kernel */
	e[0] = (struct altfutex_waiter){ priv + 3,  0,
					 ALTFUTEX_PRIVATE | ALTFUTEX_SIZE_U16,
					 1 };
	e[1] = v[0];
	expect_error(e, 2, -EINVAL, 0x2,
		     "entry 0 a PRIVATE U16 at an odd address, no waiter");

	/* the first error in index order: -EFAULT before -EINVAL */
	e[0] = v[0];
	e[1] = (struct altfutex_waiter){ hole + 8, 0, ALTFUTEX_SIZE_U32, 1 };
	e[2] = v[2];
	e[2].flags |= ALTFUTEX_ABSTIME;
	e[3] = v[3];
	e[4] = v[2];
	expect_error(e, 5, -EFAULT, 0x19,
		     "entry 1 unmapped, entry 2 with ALTFUTEX_ABSTIME");

	e[0] = v[3];
	e[1] = v[1];
	e[1].val = ~0ULL;	/* ignored */
	e[2] = v[2];
	e[2].flags |= 1u << 5;
	e[3] = (struct altfutex_waiter){ shrd + 36, 0, ALTFUTEX_SIZE_U64, 1 };
	e[4] = (struct altfutex_waiter){ hole, 0, ALTFUTEX_SIZE_U8, 1 };
	expect_error(e, 5, -EINVAL, 0x3,
		     "entry 2 with an unknown flag, 3 a U64 at 4 mod 8, 4 unmapped");
}

/* ---- the fast path ---------------------------------------------------------- */

/* The calls_wakev line of the statistics file. */
static long calls_wakev(void)
{
	char buf[4096], *p;
	long n;

	CHECK(t_read_file(STATS, buf, sizeof(buf)) > 0, "cannot read %s",
	      STATS);
	p = strstr(buf, "\n" WAKEV_LINE " ");
	CHECK(p, "%s has no line %s", STATS, WAKEV_LINE);
	CHECK(sscanf(p + 1 + strlen(WAKEV_LINE), "%ld", &n) == 1,
	      "bad %s line in %s", WAKEV_LINE, STATS);
	return n;
}

static void check_fastpath(void)
{
	uint32_t *pw = (uint32_t *)(priv + 512);
	struct altfutex_waiter v[4];
	struct x_waiter s;
	long c0, c1;
	int i;

	if (access(STATS, F_OK)) {
		if (access("/sys/kernel/debug/altfutex", F_OK) &&
		    !mount("debugfs", "/sys/kernel/debug", "debugfs",
			   MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL))
			t_log("mounted debugfs");
		if (access(STATS, F_OK)) {
			t_log("no %s: fast path check SKIPPED", STATS);
			return;
		}
	}
	if (getenv("ALTFUTEX_NO_FASTPATH")) {
		t_log("ALTFUTEX_NO_FASTPATH is set: fast path check SKIPPED");
		return;
	}
	/* a first private wake maps the waiter-count page */
	CHECK_RET(altfutex_wake(pw + 64, 1, ALTFUTEX_PRIVATE), 0);
	for (i = 0; i < 4; i++) {
		v[i].uaddr = (char *)pw + i * 16 + (i & 1);
		v[i].flags = ALTFUTEX_PRIVATE |
			     (i & 1 ? ALTFUTEX_SIZE_U8 : ALTFUTEX_SIZE_U64);
		v[i].nr_wake = INT_MAX;
		v[i].val = 0;
	}
	c0 = calls_wakev();
	for (i = 0; i < 10; i++)
		CHECK_RET(altfutex_wakev(v, 4), 0);
	c1 = calls_wakev();
	CHECK(c1 == c0, "10 wakevs of private words without waiters made %ld ioctls",
	      c1 - c0);

	/* a shared word, or a waiter, costs one ioctl a call */
	v[2].flags &= ~ALTFUTEX_PRIVATE;
	CHECK_RET(altfutex_wakev(v, 4), 0);
	CHECK(calls_wakev() == c1 + 1, "a wakev with a non-PRIVATE word made %ld ioctls",
	      calls_wakev() - c1);
	v[2].flags |= ALTFUTEX_PRIVATE;
	x_wait_start(&s, X_WAIT2, v[3].uaddr, 0, v[3].flags, T_SAFETY_MS,
		     "private sleeper");
	CHECK_RET(altfutex_wakev(v, 4), 1);
	x_expect_within(&s, 0, 10000);
	CHECK(calls_wakev() == c1 + 2,
	      "a wakev with a private sleeper made %ld ioctls",
	      calls_wakev() - c1 - 1);
	CHECK_RET(altfutex_wakev(v, 4), 0);
	CHECK(calls_wakev() == c1 + 2,
	      "a wakev after the sleeper left made %ld ioctls",
	      calls_wakev() - c1 - 2);
	t_log("ok: fast path: no ioctl for 10 wakevs of private words (%ld)",
	      c0);
	t_log("ok: a shared word or a sleeper cost one ioctl each");
}

int main(void)
{
	t_init("ext_wakev", 120);

	priv = t_map(1, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	shrd = t_map(1, PROT_READ | PROT_WRITE, MAP_SHARED);
	check_total();
	check_nr();
	check_bounds();
	check_errors();
	check_fastpath();
	t_log("PASS");
	return T_PASS;
}
