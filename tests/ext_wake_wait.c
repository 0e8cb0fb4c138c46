// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * ext_wake_wait: altfutex_wake_wait(), the handoff of a ping-pong in one
 * call: wake up to nr_wake waiters of one word, then wait on another as
 * altfutex_wait2() (CONTRACT.md, "Extended API"; issue 17).
 *  - a ping-pong of two threads, then of two processes on a memfd mapped
 *    at different addresses, for a bounded number of rounds and with
 *    words of 1, 4 and 8 bytes: every round hands over exactly once (each
 *    side sees the other's value of that round, never a skipped one), and
 *    no side is left asleep by a lost wake;
 *  - the wake part's errors come first and return at once, without
 *    sleeping: a misaligned wake word (-EINVAL), an unmapped one without
 *    ALTFUTEX_PRIVATE (-EFAULT); bad flags and a bad wait word are
 *    -EINVAL too;
 *  - -EAGAIN from the wait word once the wake was done: the sleeper of
 *    the wake word was really woken (nr_wake of them, oldest first; none
 *    for nr_wake 0);
 *  - -ETIMEDOUT with a relative or an absolute timeout, on time, after
 *    the wake was done, and nothing left queued;
 * for U8 and U64 words (both words of a call have the size), private
 * (ALTFUTEX_PRIVATE) and shared.
 */
#include "ext_thread.h"

#define LATE_MS 1000		/* how late a timeout may fire (TCG) */
#define NOW_MS 2000		/* how long an immediate return may take */
/* fewer in the 32-bit build, which is there for the compat ABI */
#define THREAD_ROUNDS (sizeof(void *) == 4 ? 200 : 1000)
#define PROC_ROUNDS (sizeof(void *) == 4 ? 100 : 500)

static char *priv, *shrd;	/* a private and a shared page */

/* ---- the ping-pong ----------------------------------------------------------- */

struct pp {
	void *a;		/* the ping side waits on a, */
	void *b;		/* the pong side on b */
	unsigned int flags;
	int rounds;
	long woken[2];		/* wake_wait returned 0, per side */
	long eagain[2];		/* it returned -EAGAIN */
	long rewait[2];		/* woken with the word unchanged: waited again */
	const char *what;
};

/* The value of round @r in a word of @flags' size. */
static uint64_t pp_val(const struct pp *p, long r)
{
	unsigned int bits = 8 * x_size(p->flags);

	return bits == 64 ? (uint64_t)r : (uint64_t)r & ((1ULL << bits) - 1);
}

/*
 * Side @side waits, after its wake_wait returned @r, until @word leaves
 * @val: a wake from an earlier round, stored before this one's value
 * but delivered late, may wake it while the word still holds @val.
 */
static void pp_settle(struct pp *p, int side, int r, void *word, uint64_t val)
{
	struct timespec ts = t_ts_ms(T_SAFETY_MS);

	for (;;) {
		if (r == 0)
			p->woken[side]++;
		else if (r == -EAGAIN)
			p->eagain[side]++;
		else
			t_fail("%s: side %d: a wait returned %d (%s)", p->what,
			       side, r, t_err(r));
		if (x_load(word, p->flags) != val)
			return;
		p->rewait[side]++;
		r = altfutex_wait2(word, val, ALTFUTEX_BITSET_MATCH_ANY, &ts,
				   p->flags);
	}
}

/* The ping side: round r gives b the value r + 1 and waits for a's. */
static void pp_ping(struct pp *p)
{
	struct timespec ts = t_ts_ms(T_SAFETY_MS);
	uint64_t got;
	long r;
	int ret;

	for (r = 0; r < p->rounds; r++) {
		x_store(p->b, pp_val(p, r + 1), p->flags);
		ret = altfutex_wake_wait(p->b, 1, p->a, pp_val(p, r), &ts,
					 p->flags);
		pp_settle(p, 0, ret, p->a, pp_val(p, r));
		got = x_load(p->a, p->flags);
		if (got != pp_val(p, r + 1))
			t_fail("%s: round %ld: ping found %#llx, expected %#llx",
			       p->what, r, (unsigned long long)got,
			       (unsigned long long)pp_val(p, r + 1));
	}
}

/* The pong side: once b holds r + 1, gives a the same and waits for b. */
static void pp_pong(struct pp *p)
{
	struct timespec ts = t_ts_ms(T_SAFETY_MS);
	uint64_t got;
	long r;
	int ret;

	ret = altfutex_wait2(p->b, 0, ALTFUTEX_BITSET_MATCH_ANY, &ts,
			     p->flags);
	pp_settle(p, 1, ret, p->b, 0);
	for (r = 0; r < p->rounds; r++) {
		got = x_load(p->b, p->flags);
		if (got != pp_val(p, r + 1))
			t_fail("%s: round %ld: pong found %#llx, expected %#llx",
			       p->what, r, (unsigned long long)got,
			       (unsigned long long)pp_val(p, r + 1));
		x_store(p->a, pp_val(p, r + 1), p->flags);
		if (r == p->rounds - 1) {
			CHECK(x_wake(p->a, 1, p->flags) >= 0, "the last wake");
			break;
		}
		ret = altfutex_wake_wait(p->a, 1, p->b, pp_val(p, r + 1), &ts,
					 p->flags);
		pp_settle(p, 1, ret, p->b, pp_val(p, r + 1));
	}
}

static void *pp_pong_main(void *arg)
{
	pp_pong(arg);
	return NULL;
}

static void pp_init(struct pp *p, void *a, void *b, unsigned int flags,
		    int rounds, const char *what)
{
	memset(p, 0, sizeof(*p));
	p->a = a;
	p->b = b;
	p->flags = flags;
	p->rounds = rounds;
	p->what = what;
	x_store(a, 0, flags);
	x_store(b, 0, flags);
}

/* Log the figures of side @side. */
static void pp_report(struct pp *p, int side, const char *name)
{
	t_log("ok: %s, %s: %d rounds handed over", p->what, name, p->rounds);
	t_log("ok: woken %ld, -EAGAIN %ld, waited again %ld", p->woken[side],
	      p->eagain[side], p->rewait[side]);
}

static void pingpong_threads(void *a, void *b, unsigned int flags,
			     const char *what)
{
	struct pp p;
	pthread_t th;
	int err;

	pp_init(&p, a, b, flags, THREAD_ROUNDS, what);
	err = pthread_create(&th, NULL, pp_pong_main, &p);
	CHECK(!err, "pthread_create: %s", strerror(err));
	pp_ping(&p);
	pthread_join(th, NULL);
	CHECK(p.woken[0] + p.woken[1] > 0,
	      "%s: no wake_wait ever slept: nothing was handed over by a wake",
	      what);
	pp_report(&p, 0, "ping");
	pp_report(&p, 1, "pong");
	CHECK_RET(x_wake(a, INT_MAX, flags), 0);
	CHECK_RET(x_wake(b, INT_MAX, flags), 0);
}

/*
 * The same between this process and a child, on a memfd page that each
 * maps at an address of its own: a and b are at @off_a and @off_b.
 */
static void pingpong_processes(size_t off_a, size_t off_b,
			       unsigned int flags, const char *what)
{
	int fd = t_memfd("ext_wake_wait", PGSZ);
	char *m = mmap(NULL, PGSZ, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	char *mc;
	struct pp p;
	pid_t pid;
	int st;

	CHECK(m != MAP_FAILED, "mmap: %s", strerror(errno));
	pp_init(&p, m + off_a, m + off_b, flags, PROC_ROUNDS, what);
	pid = t_fork();
	if (!pid) {
		mc = mmap(NULL, PGSZ, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
			  0);
		CHECK(mc != MAP_FAILED && mc != m, "the child's mapping");
		p.a = mc + off_a;
		p.b = mc + off_b;
		pp_pong(&p);
		pp_report(&p, 1, "pong, the child");
		_exit(T_PASS);
	}
	pp_ping(&p);
	st = t_reap(pid);
	CHECK(st == T_PASS, "%s: the child exited with %d", what, st);
	pp_report(&p, 0, "ping, the parent");
	CHECK_RET(x_wake(p.a, INT_MAX, flags), 0);
	CHECK_RET(x_wake(p.b, INT_MAX, flags), 0);
	munmap(m, PGSZ);
	close(fd);
}

/* ---- the wake part's errors ------------------------------------------------- */

/*
 * wake_wait(@wk, 1, @wt, *wt, ...) with @flags must return @want at once:
 * the wait word holds the value, so a call that waited would sleep until
 * its timeout.
 */
static void expect_now(void *wk, void *wt, unsigned int flags, int want,
		       const char *what)
{
	struct timespec ts = t_ts_ms(5000);
	uint64_t val = x_load(wt, flags);
	int64_t t0 = t_now_ns(CLOCK_MONOTONIC), dt;
	int r;

	r = altfutex_wake_wait(wk, 1, wt, val, &ts, flags);
	dt = (t_now_ns(CLOCK_MONOTONIC) - t0) / NSEC_PER_MSEC;
	if (r != want)
		t_fail("%s: wake_wait returned %d (%s) after %lld ms, expected %d (%s)",
		       what, r, t_err(r), (long long)dt, want, t_err(want));
	CHECK(dt < NOW_MS, "%s: %s after %lld ms, not at once", what,
	      t_err(want), (long long)dt);
	t_log("ok: %s: %s at once (%lld ms)", what, t_err(want),
	      (long long)dt);
}

static void check_errors(void)
{
	char *hole = t_map(1, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	struct timespec ts = t_ts_ms(5000);
	char *wt = priv + 256;

	CHECK(!munmap(hole, PGSZ), "munmap");
	memset(wt, 0, 64);
	expect_now(priv + 258, wt, ALTFUTEX_SIZE_U32, -EINVAL,
		   "a U32 wake word at 2 mod 4");
	expect_now(priv + 260, wt, ALTFUTEX_SIZE_U64, -EINVAL,
		   "a U64 wake word at 4 mod 8");
	expect_now(shrd + 259, shrd + 256, ALTFUTEX_SIZE_U16, -EINVAL,
		   "a shared U16 wake word at an odd address");
	expect_now(priv + 262, wt, ALTFUTEX_PRIVATE | ALTFUTEX_SIZE_U64,
		   -EINVAL, "a PRIVATE U64 wake word at 6 mod 8");
	expect_now(hole + 8, wt, ALTFUTEX_SIZE_U64, -EFAULT,
		   "an unmapped U64 wake word");
	expect_now(hole + 3, wt, ALTFUTEX_SIZE_U8, -EFAULT,
		   "an unmapped U8 wake word");
	expect_now(hole, shrd + 256, 0, -EFAULT,
		   "an unmapped U32 wake word, a shared wait word");
	/* the wait word's own errors, and the flags */
	expect_now(wt + 8, priv + 300, ALTFUTEX_SIZE_U64, -EINVAL,
		   "a U64 wait word at 4 mod 8");
	CHECK_RET(altfutex_wake_wait(wt + 8, 1, hole, 0, &ts,
				     ALTFUTEX_SIZE_U8), -EFAULT);
	CHECK_RET(altfutex_wake_wait(wt, 1, wt + 8, 0x100, &ts,
				     ALTFUTEX_SIZE_U8), -EINVAL);
	CHECK_RET(altfutex_wake_wait(wt, 1, wt + 8, 0, &ts, 1u << 5),
		  -EINVAL);
	CHECK_RET(altfutex_wake_wait(wt, 1, wt + 8, 0, &ts, 1u << 31),
		  -EINVAL);
	ts.tv_nsec = NSEC_PER_SEC;
	CHECK_RET(altfutex_wake_wait(wt, 1, wt + 8, 0, &ts, 0), -EINVAL);
	CHECK_RET(x_wake(wt, INT_MAX, 0), 0);
	CHECK_RET(x_wake(wt + 8, INT_MAX, 0), 0);
	t_log("ok: a bad wait word, value, flags, timeout: -EFAULT, -EINVAL");
}

/* ---- -EAGAIN and -ETIMEDOUT after the wake ---------------------------------- */

/*
 * In @base (private or shared memory, with @pf), words of @size: a
 * wake_wait whose wait word differs wakes nr_wake sleepers of its wake
 * word, then returns -EAGAIN.
 */
static void check_eagain(char *base, unsigned int pf, unsigned int size,
			 const char *mem)
{
	unsigned int flags = pf | size;
	char *wk = base + 512, *wt = base + 520;
	struct timespec ts = t_ts_ms(5000);
	struct x_waiter s[3];
	int i;

	x_store(wk, 0x21, flags);
	x_store(wt, 0x42, flags);
	for (i = 0; i < 3; i++)
		x_wait_start(&s[i], X_WAIT2, wk, 0x21, flags, T_SAFETY_MS,
			     "sleeper on the wake word");
	CHECK_RET(altfutex_wake_wait(wk, 0, wt, 0x43, &ts, flags), -EAGAIN);
	CHECK_RET(altfutex_wake_wait(wk, -1, wt, 0x43, &ts, flags), -EAGAIN);
	x_check_asleep(&s[0], 50);
	CHECK_RET(altfutex_wake_wait(wk, 1, wt, 0x43, &ts, flags), -EAGAIN);
	x_expect_within(&s[0], 0, 10000);
	x_check_asleep(&s[1], 50);
	CHECK_RET(altfutex_wake_wait(wk, 2, wt, 0x43, &ts, flags), -EAGAIN);
	x_expect_within(&s[1], 0, 10000);
	x_expect_within(&s[2], 0, 10000);
	CHECK_RET(x_wake(wk, INT_MAX, flags), 0);
	CHECK_RET(x_wake(wt, INT_MAX, flags), 0);
	t_log("ok: %s, %s: -EAGAIN after the wake of nr_wake 0, -1, 1, 2",
	      mem, x_size_name(flags));
}

/*
 * The same with the wait word holding its value: -ETIMEDOUT, on time,
 * relative and absolute, after the sleeper was woken.
 */
static void check_timeout(char *base, unsigned int pf, unsigned int size,
			  const char *mem)
{
	unsigned int flags = pf | size;
	char *wk = base + 528, *wt = base + 536;
	struct timespec ts;
	struct x_waiter s;
	int64_t t0, t1, deadline;
	int i, r;

	x_store(wk, 0x99, flags);
	x_store(wt, 0x77, flags);
	for (i = 0; i < 3; i++) {
		x_wait_start(&s, X_WAIT2, wk, 0x99, flags, T_SAFETY_MS,
			     "sleeper on the wake word");
		t0 = t_now_ns(i == 2 ? CLOCK_REALTIME : CLOCK_MONOTONIC);
		deadline = t0 + 300 * NSEC_PER_MSEC;
		if (i == 0) {
			ts = t_ts_ms(300);
			r = altfutex_wake_wait(wk, 1, wt, 0x77, &ts, flags);
		} else {
			ts = t_ts_ns(deadline);
			r = altfutex_wake_wait(wk, 1, wt, 0x77, &ts,
					       flags | ALTFUTEX_ABSTIME |
					       (i == 2 ?
						ALTFUTEX_CLOCK_REALTIME : 0));
		}
		t1 = t_now_ns(i == 2 ? CLOCK_REALTIME : CLOCK_MONOTONIC);
		CHECK(r == -ETIMEDOUT, "wake_wait returned %d (%s), expected -ETIMEDOUT",
		      r, t_err(r));
		CHECK(t1 >= deadline, "-ETIMEDOUT %lld us early",
		      (long long)(deadline - t1) / 1000);
		CHECK(t1 <= deadline + LATE_MS * NSEC_PER_MSEC,
		      "-ETIMEDOUT %lld ms late",
		      (long long)(t1 - deadline) / NSEC_PER_MSEC);
		x_expect_within(&s, 0, 10000);
		CHECK_RET(x_wake(wk, INT_MAX, flags), 0);
		CHECK_RET(x_wake(wt, INT_MAX, flags), 0);
		t_log("ok: %s, %s, %s: -ETIMEDOUT +%lld ms, the sleeper woken",
		      mem, x_size_name(flags),
		      i == 0 ? "relative 300 ms" :
		      i == 1 ? "ABSTIME MONOTONIC" : "ABSTIME REALTIME",
		      (long long)(t1 - deadline) / NSEC_PER_MSEC);
	}
}

int main(void)
{
	static const unsigned int sizes[] = {
		ALTFUTEX_SIZE_U8, ALTFUTEX_SIZE_U64,
	};
	size_t i;

	t_init("ext_wake_wait", 240);

	priv = t_map(1, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	shrd = t_map(1, PROT_READ | PROT_WRITE, MAP_SHARED);

	check_errors();
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		check_eagain(priv, ALTFUTEX_PRIVATE, sizes[i], "private");
		check_eagain(shrd, 0, sizes[i], "shared");
		check_timeout(priv, ALTFUTEX_PRIVATE, sizes[i], "private");
		check_timeout(shrd, 0, sizes[i], "shared");
	}

	pingpong_threads(priv, priv + 1, ALTFUTEX_PRIVATE | ALTFUTEX_SIZE_U8,
			 "threads, U8 neighbours, ALTFUTEX_PRIVATE");
	pingpong_threads(priv + 64, priv + 128, ALTFUTEX_PRIVATE,
			 "threads, U32, ALTFUTEX_PRIVATE");
	pingpong_threads(shrd + 64, shrd + 72, ALTFUTEX_SIZE_U64,
			 "threads, U64, shared");
	pingpong_processes(8, 16, ALTFUTEX_SIZE_U64,
			   "processes, U64 words of a memfd");
	pingpong_processes(3, 4, ALTFUTEX_SIZE_U8,
			   "processes, U8 neighbours in a memfd");
	t_log("PASS");
	return T_PASS;
}
