// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * ext_wake_op: altfutex_wake_op(), futex(2)'s FUTEX_WAKE_OP, with the op
 * encoded by FUTEX_OP() of <linux/futex.h>, checked against a model of
 * futex(2)'s rules:
 *  - each operation (SET, ADD, OR, ANDN, XOR, each also with
 *    FUTEX_OP_OPARG_SHIFT, whose oparg is taken modulo 32) on many old
 *    values and opargs (12-bit, sign-extended): the word's new value;
 *  - each comparison (EQ, NE, LT, LE, GT, GE, signed, on the OLD value
 *    with a sign-extended cmparg): whether the waiters of uaddr2 are
 *    woken; the waiters of uaddr are woken either way; the total returned;
 *  - nr_wake and nr_wake2 bound the wakes, oldest first; nr <= 0 wakes
 *    nobody; uaddr == uaddr2 works;
 *  - an operation or comparison futex(2) does not define: -EINVAL (where
 *    futex(2) says ENOSYS: the module's rule, see its uapi header), the
 *    word unchanged and nobody woken; a read-only or unmapped uaddr2:
 *    -EFAULT; a misaligned word: -EINVAL; a flag other than
 *    ALTFUTEX_PRIVATE: -EINVAL;
 * each with threads on private memory (flags 0 and ALTFUTEX_PRIVATE) and
 * with waiters in a second process that maps a memfd elsewhere;
 *  - a stress: threads hand a counter over with wake_op(ADD 1, a
 *    comparison that holds) as a condition variable does, waiters of both
 *    words re-checking their value; within a time bound, no waiter is
 *    lost (each returns, none times out) and the counter ends at exactly
 *    the number of operations.
 */
#include <linux/futex.h>

#include "helpers.h"

/* FUTEX_OP() with unsigned arithmetic: the op is 4 bits at the top. */
static uint32_t enc(unsigned int op, int oparg, unsigned int cmp, int cmparg)
{
	return (op & 0xfu) << 28 | (cmp & 0xfu) << 24 |
	       ((uint32_t)oparg & 0xfffu) << 12 | ((uint32_t)cmparg & 0xfffu);
}

static int sext12(uint32_t x)
{
	x &= 0xfff;
	return x & 0x800 ? (int)x - 0x1000 : (int)x;
}

/* The new value of a word that held @old, and whether @e's comparison holds. */
static uint32_t model(uint32_t e, uint32_t old, int *holds)
{
	unsigned int op = e >> 28, cmp = (e >> 24) & 0xf;
	int oparg = sext12(e >> 12), cmparg = sext12(e);
	int32_t o = (int32_t)old;
	uint32_t arg = (uint32_t)oparg, nv = old;

	if (op & FUTEX_OP_OPARG_SHIFT) {
		arg = 1u << (oparg & 31);
		op &= ~FUTEX_OP_OPARG_SHIFT;
	}
	switch (op) {
	case FUTEX_OP_SET:
		nv = arg;
		break;
	case FUTEX_OP_ADD:
		nv = old + arg;
		break;
	case FUTEX_OP_OR:
		nv = old | arg;
		break;
	case FUTEX_OP_ANDN:
		nv = old & ~arg;
		break;
	case FUTEX_OP_XOR:
		nv = old ^ arg;
		break;
	}
	switch (cmp) {
	case FUTEX_OP_CMP_EQ:
		*holds = o == cmparg;
		break;
	case FUTEX_OP_CMP_NE:
		*holds = o != cmparg;
		break;
	case FUTEX_OP_CMP_LT:
		*holds = o < cmparg;
		break;
	case FUTEX_OP_CMP_LE:
		*holds = o <= cmparg;
		break;
	case FUTEX_OP_CMP_GT:
		*holds = o > cmparg;
		break;
	default:
		*holds = o >= cmparg;
		break;
	}
	return nv;
}

static const char *const op_name[] = { "SET", "ADD", "OR", "ANDN", "XOR" };
static const char *const cmp_name[] = { "EQ", "NE", "LT", "LE", "GT", "GE" };

/*
 * A setting: two words seen by this process at @here and by the other
 * party (@p, or this process when NULL) at @there (index 0 is uaddr, 1
 * is uaddr2; more words follow); @pflag is given to every call.
 */
struct mem {
	const char *name;
	uint32_t *here;
	uint32_t *there;
	struct puppet *p;
	unsigned int pflag;
};

static uint32_t load(const uint32_t *w)
{
	return __atomic_load_n(w, __ATOMIC_SEQ_CST);
}

static void store(uint32_t *w, uint32_t v)
{
	__atomic_store_n(w, v, __ATOMIC_SEQ_CST);
}

/* A waiter on word @i (its current value) of the other party. */
static struct p_waiter wstart(const struct mem *m, int i, const char *what)
{
	return w_start(m->p, m->there + i, load(m->here + i), m->pflag,
		       T_SAFETY_MS, what);
}

/* ---- values ------------------------------------------------------------ */

/* wake_op with @e on a word holding @old: no waiter, the model's value. */
static void one_value(const struct mem *m, uint32_t e, uint32_t old)
{
	uint32_t *u = m->here, *u2 = m->here + 1, want;
	int holds, r;

	want = model(e, old, &holds);
	store(u2, old);
	r = altfutex_wake_op(u, u2, 1, 1, e, m->pflag);
	if (r || load(u2) != want)
		t_fail("%s: %s%s %d on %#x: %d (%s), word %#x, not 0, %#x",
		       m->name, op_name[(e >> 28) & 7],
		       e >> 28 & FUTEX_OP_OPARG_SHIFT ? "|OPARG_SHIFT" : "",
		       sext12(e >> 12), old, r, t_err(r), load(u2), want);
}

static void check_values(const struct mem *m)
{
	static const int opargs[] = {
		0, 1, 5, 31, 32, 33, 0x7ff, -1, -2, -2048, 0x555, -0x556,
	};
	static const uint32_t olds[] = {
		0, 1, 0x80000000u, 0xffffffffu, 0x12345678u, 0x7fffffffu,
		0xfffff800u,
	};
	unsigned int op, sh, a, o, n = 0;

	for (op = FUTEX_OP_SET; op <= FUTEX_OP_XOR; op++)
		for (sh = 0; sh < 2; sh++)
			for (a = 0; a < ARRAY_SIZE(opargs); a++)
				for (o = 0; o < ARRAY_SIZE(olds); o++, n++)
					one_value(m, enc(op | (sh ? FUTEX_OP_OPARG_SHIFT : 0),
							 opargs[a], n % 6,
							 sext12(n * 97)),
						  olds[o]);
	t_log("ok: %s: %u operations: the values futex(2) gives", m->name, n);
}

/* ---- comparisons and wakes ----------------------------------------------- */

static void check_cmps(const struct mem *m)
{
	static const struct {
		uint32_t old;
		int cmparg;
	} c[] = {
		{ 5, 5 }, { 4, 5 }, { 6, 5 }, { 0xffffffffu, 0 },
		{ 0, -1 }, { 0x80000000u, -2048 }, { 0x7ff, 2047 },
	};
	uint32_t *u = m->here, *u2 = m->here + 1, e, want;
	unsigned int cmp, i, nw = 0, nh = 0;
	struct p_waiter w1, w2;
	int holds, r;

	for (cmp = FUTEX_OP_CMP_EQ; cmp <= FUTEX_OP_CMP_GE; cmp++) {
		for (i = 0; i < ARRAY_SIZE(c); i++) {
			store(u, 7);
			store(u2, c[i].old);
			e = enc(FUTEX_OP_ADD, 1, cmp, c[i].cmparg);
			want = model(e, c[i].old, &holds);
			w1 = wstart(m, 0, "on uaddr");
			w2 = wstart(m, 1, "on uaddr2");
			r = altfutex_wake_op(u, u2, 1, 1, e, m->pflag);
			if (r != 1 + holds || load(u2) != want)
				t_fail("%s: CMP_%s %d on %#x: %d (%s), word %#x, not %d, %#x",
				       m->name, cmp_name[cmp], c[i].cmparg,
				       c[i].old, r, t_err(r), load(u2),
				       1 + holds, want);
			w_expect(&w1, 0);
			if (holds) {
				w_expect(&w2, 0);
				nh++;
			} else {
				w_check_asleep(&w2, 10);
				CHECK_RET(altfutex_wake(u2, INT_MAX, m->pflag),
					  1);
				w_expect(&w2, 0);
			}
			nw++;
		}
	}
	t_log("ok: %s: 6 cmps x %u values: uaddr2's waiter woken iff it held (%u of %u)",
	      m->name, nw / 6, nh, nw);
}

static void check_counts(const struct mem *m)
{
	uint32_t *u = m->here, *u2 = m->here + 1, *s = m->here + 2;
	uint32_t yes = enc(FUTEX_OP_ADD, 1, FUTEX_OP_CMP_GE, 0);
	uint32_t no = enc(FUTEX_OP_ADD, 1, FUTEX_OP_CMP_LT, 0);
	struct p_waiter a[3], b[3];
	int i;

	store(u, 0);
	store(u2, 0);
	for (i = 0; i < 3; i++)
		a[i] = wstart(m, 0, "on uaddr");
	for (i = 0; i < 3; i++)
		b[i] = wstart(m, 1, "on uaddr2");

	/* nr <= 0 wakes nobody, the op is still done */
	CHECK_RET(altfutex_wake_op(u, u2, 0, 0, yes, m->pflag), 0);
	CHECK_RET(altfutex_wake_op(u, u2, -1, INT_MIN, yes, m->pflag), 0);
	CHECK_RET(altfutex_wake_op(u, u2, INT_MIN, -1, yes, m->pflag), 0);
	CHECK(load(u2) == 3, "word %u after three ADD 1", load(u2));
	for (i = 0; i < 3; i++) {
		w_check_asleep(&a[i], i ? 0 : 20);
		w_check_asleep(&b[i], 0);
	}

	/* 2 and 1: the oldest */
	CHECK_RET(altfutex_wake_op(u, u2, 2, 1, yes, m->pflag), 3);
	w_expect(&a[0], 0);
	w_expect(&a[1], 0);
	w_expect(&b[0], 0);
	w_check_asleep(&a[2], 20);
	w_check_asleep(&b[1], 0);
	/* nr_wake2 only */
	CHECK_RET(altfutex_wake_op(u, u2, 0, 1, yes, m->pflag), 1);
	w_expect(&b[1], 0);
	w_check_asleep(&a[2], 20);
	w_check_asleep(&b[2], 0);
	/* the comparison fails: uaddr's only */
	CHECK_RET(altfutex_wake_op(u, u2, INT_MAX, INT_MAX, no, m->pflag), 1);
	w_expect(&a[2], 0);
	w_check_asleep(&b[2], 20);
	CHECK_RET(altfutex_wake_op(u, u2, INT_MAX, INT_MAX, yes, m->pflag), 1);
	w_expect(&b[2], 0);
	CHECK_RET(altfutex_wake_op(u, u2, INT_MAX, INT_MAX, yes, m->pflag), 0);
	CHECK(load(u2) == 8, "word %u after eight ADD 1", load(u2));
	t_log("ok: %s: nr_wake and nr_wake2 bound the wakes, oldest first; nr <= 0 wakes nobody",
	      m->name);

	/* one word as both */
	store(s, 0);
	for (i = 0; i < 3; i++)
		a[i] = wstart(m, 2, "on the word");
	CHECK_RET(altfutex_wake_op(s, s, 1, 1, yes, m->pflag), 2);
	w_expect(&a[0], 0);
	w_expect(&a[1], 0);
	w_check_asleep(&a[2], 20);
	CHECK_RET(altfutex_wake_op(s, s, 0, 1, no, m->pflag), 0);
	CHECK_RET(altfutex_wake_op(s, s, 1, 0, no, m->pflag), 1);
	w_expect(&a[2], 0);
	CHECK(load(s) == 3, "word %u after three ADD 1", load(s));
	t_log("ok: %s: uaddr == uaddr2: nr_wake + nr_wake2 oldest waiters of the word",
	      m->name);
}

/* ---- errors --------------------------------------------------------------- */

static void check_errors(const struct mem *m, char *ro, char *gone)
{
	static const unsigned int badflags[] = {
		ALTFUTEX_CLOCK_REALTIME, ALTFUTEX_ABSTIME, ALTFUTEX_SIZE_U8,
		ALTFUTEX_SIZE_U16, ALTFUTEX_SIZE_U64, 1u << 5, 1u << 30,
		1u << 31, 0xfffffffeu,
	};
	uint32_t *u = m->here, *u2 = m->here + 1;
	uint32_t ok = enc(FUTEX_OP_ADD, 1, FUTEX_OP_CMP_GE, 0);
	struct p_waiter w1, w2;
	unsigned int i, k, n = 0;
	char *b;

	store(u, 0);
	store(u2, 0x55);
	w1 = wstart(m, 0, "on uaddr");
	w2 = wstart(m, 1, "on uaddr2");

	/* what futex(2) does not define */
	for (i = 5; i < 16; i++) {
		if (i == 8)
			i = 13;		/* 8..12: the defined ones, shifted */
		CHECK_RET(altfutex_wake_op(u, u2, INT_MAX, INT_MAX,
					   enc(i, 1, FUTEX_OP_CMP_GE, 0),
					   m->pflag), -EINVAL);
		n++;
	}
	for (i = 6; i < 16; i++) {
		for (k = FUTEX_OP_SET; k <= FUTEX_OP_XOR; k++) {
			CHECK_RET(altfutex_wake_op(u, u2, INT_MAX, INT_MAX,
						   enc(k, 1, i, 0), m->pflag),
				  -EINVAL);
			n++;
		}
	}
	CHECK(load(u2) == 0x55, "word %#x after an undefined op", load(u2));
	t_log("ok: %s: %u undefined op or cmp codes: -EINVAL, word unchanged",
	      m->name, n);

	/* misaligned */
	for (i = 1; i < 4; i++) {
		b = (char *)u2 + i;
		CHECK_RET(altfutex_wake_op((uint32_t *)((char *)u + i), u2,
					   INT_MAX, INT_MAX, ok, m->pflag),
			  -EINVAL);
		CHECK_RET(altfutex_wake_op(u, (uint32_t *)b, INT_MAX, INT_MAX,
					   ok, m->pflag), -EINVAL);
	}
	CHECK(load(u2) == 0x55, "word %#x after -EINVAL", load(u2));
	t_log("ok: %s: uaddr or uaddr2 misaligned by 1, 2, 3: -EINVAL", m->name);

	/* flags */
	for (i = 0; i < ARRAY_SIZE(badflags); i++) {
		CHECK_RET(altfutex_wake_op(u, u2, INT_MAX, INT_MAX, ok,
					   badflags[i]), -EINVAL);
		CHECK_RET(altfutex_wake_op(u, u2, INT_MAX, INT_MAX, ok,
					   badflags[i] | ALTFUTEX_PRIVATE),
			  -EINVAL);
	}
	CHECK(load(u2) == 0x55, "word %#x after -EINVAL", load(u2));
	t_log("ok: %s: any flag but ALTFUTEX_PRIVATE (timeout, size, unknown): -EINVAL",
	      m->name);

	/* uaddr2 read-only or unmapped */
	CHECK_RET(altfutex_wake_op(u, (uint32_t *)ro, INT_MAX, INT_MAX, ok,
				   m->pflag), -EFAULT);
	CHECK_RET(altfutex_wake_op(u, (uint32_t *)ro + 5, 1, 1, ok, m->pflag),
		  -EFAULT);
	CHECK_RET(altfutex_wake_op(u, (uint32_t *)gone, INT_MAX, INT_MAX, ok,
				   m->pflag), -EFAULT);
	CHECK_RET(altfutex_wake_op(u, NULL, INT_MAX, INT_MAX, ok, m->pflag),
		  -EFAULT);
	CHECK_RET(altfutex_wake_op(u, (uint32_t *)(gone - PGSZ), INT_MAX,
				   INT_MAX, ok, m->pflag), -EFAULT);
	CHECK(load((uint32_t *)ro) == 0, "the read-only word changed");
	t_log("ok: %s: uaddr2 read-only, unmapped, PROT_NONE or NULL: -EFAULT",
	      m->name);

	w_check_asleep(&w1, 20);
	w_check_asleep(&w2, 0);
	CHECK_RET(altfutex_wake(u, INT_MAX, m->pflag), 1);
	CHECK_RET(altfutex_wake(u2, INT_MAX, m->pflag), 1);
	w_expect(&w1, 0);
	w_expect(&w2, 0);
	t_log("ok: %s: the failed calls woke nobody on uaddr or uaddr2",
	      m->name);
}

/* A read-only view of a memfd that another mapping writes: -EFAULT too. */
static void check_ro_shared(int fd, uint32_t *rw)
{
	uint32_t ok = enc(FUTEX_OP_SET, 9, FUTEX_OP_CMP_GE, 0);
	uint32_t *ro;

	ro = mmap(NULL, PGSZ, PROT_READ, MAP_SHARED, fd, (off_t)PGSZ);
	CHECK(ro != MAP_FAILED, "mmap: %s", strerror(errno));
	store(rw + 10, 3);
	CHECK(load(ro + 10) == 3, "the memfd views differ");
	CHECK_RET(altfutex_wake_op(rw, ro + 10, 1, 1, ok, 0), -EFAULT);
	CHECK_RET(altfutex_wake_op(rw, ro + 10, 1, 1, ok, ALTFUTEX_PRIVATE),
		  -EFAULT);
	CHECK(load(rw + 10) == 3, "the word changed through a read-only view");
	CHECK_RET(altfutex_wake_op(rw, rw + 10, 1, 1, ok, 0), 0);
	CHECK(load(ro + 10) == 9, "SET 9 gave %u", load(ro + 10));
	munmap(ro, PGSZ);
	t_log("ok: a read-only MAP_SHARED view of a writable memfd as uaddr2: -EFAULT");
}

/* ---- a condition variable, stressed ------------------------------------ */

#define SW_SEQ 4	/* waiters of the counter (uaddr2) */
#define SW_GEN 2	/* waiters of the generation (uaddr) */
#define SWAKERS 2

struct sword {
	uint32_t seq;	/* uaddr2: the counter that wake_op adds to */
	uint32_t gen;	/* uaddr: a waker adds 1 before each wake_op */
	uint32_t stop;
	uint32_t pad;
};

struct sthread {
	pthread_t th;
	struct sword *sw;
	unsigned int flags;
	int on_gen;
	int idx;
	int64_t deadline;	/* the wakers' */
	uint64_t ops;		/* a waker's: how many wake_op calls */
	uint64_t woken;		/* a waker's: their total */
	int64_t waits;		/* a waiter's */
	int err;		/* what went wrong, or 0 */
	int done;
};

/* FUTEX_OP() in unsigned arithmetic, for constants */
#define OPV(op, oparg, cmp, cmparg)					\
	((uint32_t)(op) << 28 | (uint32_t)(cmp) << 24 |			\
	 ((uint32_t)(oparg) & 0xfffu) << 12 | ((uint32_t)(cmparg) & 0xfffu))

/* add 1, with a comparison that holds for any counter below 2^31 */
static const uint32_t stress_ops[] = {
	OPV(FUTEX_OP_ADD, 1, FUTEX_OP_CMP_GE, 0),
	OPV(FUTEX_OP_ADD, 1, FUTEX_OP_CMP_NE, -1),
	OPV(FUTEX_OP_ADD, 1, FUTEX_OP_CMP_GT, -2048),
	OPV(FUTEX_OP_ADD | FUTEX_OP_OPARG_SHIFT, 0, FUTEX_OP_CMP_GE, 0),
};

/* One wake_op: the counter and the generation each go up by one. */
static int stress_op(struct sword *sw, unsigned int flags, unsigned int k,
		     int nr2)
{
	__atomic_fetch_add(&sw->gen, 1, __ATOMIC_SEQ_CST);
	return altfutex_wake_op(&sw->gen, &sw->seq, INT_MAX, nr2,
				stress_ops[k % ARRAY_SIZE(stress_ops)], flags);
}

static void *stress_waiter(void *arg)
{
	struct sthread *t = arg;
	uint32_t *w = t->on_gen ? &t->sw->gen : &t->sw->seq;
	struct timespec ts = t_ts_ms(T_SAFETY_MS);
	uint32_t v;
	int r;

	for (;;) {
		if (load(&t->sw->stop))
			break;
		v = load(w);
		if (load(&t->sw->stop))
			break;
		r = altfutex_wait(w, v, &ts, t->flags);
		t->waits++;
		if (r && r != -EAGAIN) {
			t->err = r;
			break;
		}
	}
	__atomic_store_n(&t->done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

static void *stress_waker(void *arg)
{
	struct sthread *t = arg;
	unsigned int k = (unsigned int)t->idx;
	int r;

	while (t_now_ns(CLOCK_MONOTONIC) < t->deadline && t->ops < 100000) {
		/* now and then a bounded wake: others wait for the next */
		r = stress_op(t->sw, t->flags, k, k % 5 ? INT_MAX : 1);
		if (r < 0) {
			t->err = r;
			break;
		}
		t->ops++;
		t->woken += (uint64_t)r;
		k++;
	}
	__atomic_store_n(&t->done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

/* Start @n waiters (on the generation from index @gen_from) on @sw. */
static void stress_waiters(struct sthread *t, int n, int gen_from,
			   struct sword *sw, unsigned int flags)
{
	int i;

	for (i = 0; i < n; i++) {
		memset(&t[i], 0, sizeof(t[i]));
		t[i].sw = sw;
		t[i].flags = flags;
		t[i].on_gen = i >= gen_from;
		t[i].idx = i;
		CHECK(!pthread_create(&t[i].th, NULL, stress_waiter, &t[i]),
		      "pthread_create");
	}
}

/* Join @n threads, which must all be done within @ms; 0 or the first error. */
static int stress_join(struct sthread *t, int n, long ms, const char *what)
{
	int64_t end = t_now_ns(CLOCK_MONOTONIC) + ms * NSEC_PER_MSEC;
	int i, err = 0;

	for (i = 0; i < n; i++) {
		while (!__atomic_load_n(&t[i].done, __ATOMIC_SEQ_CST)) {
			if (t_now_ns(CLOCK_MONOTONIC) > end)
				t_fail("%s %d runs %ld ms after the last op: a lost wake",
				       what, i, ms);
			t_sleep_ms(1);
		}
		pthread_join(t[i].th, NULL);
		if (t[i].err && !err)
			err = t[i].err;
	}
	return err;
}

/* Wait until child @pid exits (not reaped) within @ms, or fail. */
static void child_exit_within(pid_t pid, long ms, const char *name)
{
	int64_t end = t_now_ns(CLOCK_MONOTONIC) + ms * NSEC_PER_MSEC;
	siginfo_t si;

	for (;;) {
		memset(&si, 0, sizeof(si));
		CHECK(!waitid(P_PID, (id_t)pid, &si,
			      WEXITED | WNOHANG | WNOWAIT),
		      "waitid: %s", strerror(errno));
		if (si.si_pid == pid)
			return;
		if (t_now_ns(CLOCK_MONOTONIC) > end)
			t_fail("%s: a child's waiter sleeps %ld ms after the last op: lost",
			       name, ms);
		t_sleep_ms(2);
	}
}

/*
 * The stress on @sw (fresh, zero) with @flags; waiters here unless
 * @child_sw, the same memory mapped in a child, which then runs them.
 */
static void stress(struct sword *sw, struct sword *child_sw,
		   unsigned int flags, const char *name)
{
	struct sthread wk[SWAKERS], ws[SW_SEQ + SW_GEN];
	int64_t t0 = t_now_ns(CLOCK_MONOTONIC), waits = 0;
	uint64_t ops = 0, woken = 0;
	pid_t pid = 0;
	int i, r, st;

	memset(sw, 0, sizeof(*sw));
	if (child_sw) {
		pid = t_fork();
		if (!pid) {
			stress_waiters(ws, SW_SEQ + SW_GEN, SW_SEQ, child_sw,
				       flags);
			r = stress_join(ws, SW_SEQ + SW_GEN, 60000, "waiter");
			if (r)
				t_fail("a waiter in the child: %s", t_err(r));
			_exit(T_PASS);
		}
	} else {
		stress_waiters(ws, SW_SEQ + SW_GEN, SW_SEQ, sw, flags);
	}
	t_sleep_ms(20);

	for (i = 0; i < SWAKERS; i++) {
		memset(&wk[i], 0, sizeof(wk[i]));
		wk[i].sw = sw;
		wk[i].flags = flags;
		wk[i].idx = i;
		wk[i].deadline = t0 + 1500 * NSEC_PER_MSEC;
		CHECK(!pthread_create(&wk[i].th, NULL, stress_waker, &wk[i]),
		      "pthread_create");
	}
	r = stress_join(wk, SWAKERS, 30000L * t_time_scale(), "waker");
	if (r)
		t_fail("%s: wake_op failed: %s", name, t_err(r));
	for (i = 0; i < SWAKERS; i++) {
		ops += wk[i].ops;
		woken += wk[i].woken;
	}

	/* the last operation: stop, then wake everyone */
	store(&sw->stop, 1);
	r = stress_op(sw, flags, 0, INT_MAX);
	CHECK(r >= 0, "the last wake_op: %s", t_err(r));
	ops++;
	woken += (uint64_t)r;

	if (child_sw) {
		child_exit_within(pid, 10000L * t_time_scale(), name);
		st = t_reap(pid);
		CHECK(st == T_PASS, "%s: the child of the waiters exited with %d",
		      name, st);
		st = 0;
	} else {
		st = stress_join(ws, SW_SEQ + SW_GEN,
				 10000L * t_time_scale(), "waiter");
		for (i = 0; i < SW_SEQ + SW_GEN; i++)
			waits += ws[i].waits;
	}
	CHECK(!st, "%s: a waiter's wait failed: %s", name, t_err(st));
	CHECK(load(&sw->seq) == (uint32_t)ops,
	      "%s: the counter is %u after %llu operations", name,
	      load(&sw->seq), (unsigned long long)ops);
	CHECK(load(&sw->gen) == (uint32_t)ops,
	      "%s: the generation is %u after %llu operations", name,
	      load(&sw->gen), (unsigned long long)ops);
	t_log("ok: %s: %llu wake_ops by %d threads woke %llu; %d waiters%s returned",
	      name, (unsigned long long)ops, SWAKERS,
	      (unsigned long long)woken, SW_SEQ + SW_GEN,
	      child_sw ? " (in another process)" : "");
	if (!child_sw)
		t_log("     (%lld waits made)", (long long)waits);
}

/* ---- the settings -------------------------------------------------------- */

static void run(const struct mem *m, char *ro, char *gone)
{
	t_log("---- %s", m->name);
	check_values(m);
	check_cmps(m);
	check_counts(m);
	check_errors(m, ro, gone);
}

int main(void)
{
	struct mem priv, flagged, shared;
	struct puppet c;
	char *pm, *ma, *mb, *win, *ro, *gone;
	size_t pg = PGSZ;
	struct sword *csw;
	int fd;

	t_init("ext_wake_op", 240);
	fd = altfutex_open();
	if (fd == -ENOENT)
		t_skip("no /dev/altfutex");
	CHECK(fd >= 0, "altfutex_open: %s", t_err(fd));

	pm = t_map(2, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	ro = t_map(1, PROT_READ, MAP_PRIVATE);
	/* a hole of one page between two: no later mapping of ours fits */
	gone = t_reserve(3 * pg) + pg;
	CHECK(!munmap(gone, pg), "munmap: %s", strerror(errno));
	fd = t_memfd("ext_wake_op", 2 * pg);
	ma = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(ma != MAP_FAILED, "mmap: %s", strerror(errno));
	win = t_reserve(8 * pg);
	puppet_start(&c, "child", NULL, NULL);
	mb = p_mmap(&c, win + 2 * pg, 2 * pg, PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_FIXED, fd, 0);
	CHECK(mb != ma, "the two mappings must be at different addresses");

	priv = (struct mem){ "private anonymous, threads",
			     (uint32_t *)(pm + 512), (uint32_t *)(pm + 512),
			     NULL, 0 };
	flagged = (struct mem){ "ALTFUTEX_PRIVATE, threads",
				(uint32_t *)(pm + 1024),
				(uint32_t *)(pm + 1024), NULL,
				ALTFUTEX_PRIVATE };
	shared = (struct mem){ "memfd, two processes", (uint32_t *)(ma + 256),
			       (uint32_t *)(mb + 256), &c, 0 };
	run(&priv, ro, gone);
	run(&flagged, ro, gone);
	run(&shared, ro, gone);
	check_ro_shared(fd, (uint32_t *)(ma + pg));	/* file page 1 */
	puppet_stop(&c);

	stress((struct sword *)(pm + pg), NULL, 0, "threads, private memory");
	stress((struct sword *)(pm + pg + 64), NULL, ALTFUTEX_PRIVATE,
	       "threads, ALTFUTEX_PRIVATE");
	csw = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, pg);
	CHECK(csw != MAP_FAILED, "mmap: %s", strerror(errno));
	stress((struct sword *)(ma + pg + 128), csw + 8, 0,
	       "memfd, waiters in a child");
	t_log("PASS");
	return T_PASS;
}
