// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * preload: libaltfutex-preload.so keeps futex(2)'s conventions, and runs
 * the futexes on the module.
 *
 * The same checks run three times, with raw syscall(SYS_futex) and
 * syscall(SYS_futex_waitv) calls: every operation and its errors (EAGAIN,
 * ETIMEDOUT with its clock, EINTR from a handler and a restart with
 * SA_RESTART (EINTR on the module: its waits' rule, README "Signals"),
 * EFAULT, EINVAL for a misaligned word, a bad timespec, a
 * bitset of 0, bad waitv arguments, ENOSYS), FUTEX_WAKE with 0 or a
 * negative count waking one, requeue counts, FUTEX_WAIT_BITSET's absolute
 * deadline on both clocks, bitsets (a wake wakes the waiters whose bitset
 * shares a bit with its own), FUTEX_WAKE_OP (each operation, both counts
 * with 0 waking one, the comparison, ENOSYS for an undefined operation,
 * which writes nothing, and for an undefined comparison, which the kernel
 * checks once the operation is done), futex_waitv's index, EAGAIN and
 * timeout, a val beyond 32 bits (what the native run got), and the PI
 * operations:
 *  1. natively, in this process: what the kernel does is the reference;
 *  2. under LD_PRELOAD=<this program's directory>/lib/libaltfutex-preload.so
 *     (or $ALTFUTEX_PRELOAD_SO) with ALTFUTEX_PRELOAD_STATS=1, in a child
 *     whose stderr comes back through a pipe.  There, moreover, a thread
 *     in syscall(SYS_futex, FUTEX_WAIT) is woken by libaltfutex's
 *     altfutex_wake() and a thread in altfutex_wait() by FUTEX_WAKE,
 *     futex_waitv by altfutex_wake(), FUTEX_WAIT_BITSET by
 *     altfutex_wake2() with the same bit, altfutex_wait2() by
 *     FUTEX_WAKE_BITSET, altfutex_wait() by FUTEX_WAKE_OP: that works only
 *     if the preload sends them to the module.  Every waiter sleeps in
 *     ioctl(), and the module's statistics file (if debugfs is there)
 *     counts one WAIT2, WAKE2, WAKE_OP and WAITV ioctl for one
 *     FUTEX_WAIT_BITSET, FUTEX_WAKE_BITSET, FUTEX_WAKE_OP and futex_waitv
 *     with bitsets and vals of their own.  The statistics lines must
 *     say, per operation, exactly as many calls as the child counted, on
 *     the module or on the kernel as they should;
 *  3. as root, the same child in a mount namespace with an empty tmpfs on
 *     /dev: the library says on stderr that it cannot open /dev/altfutex,
 *     and every call goes to the kernel and behaves natively.
 * Skips where the module (2) or the library is missing.
 */
#include "helpers.h"

#include <libgen.h>
#include <linux/futex.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/uio.h>

#ifndef SYS_futex_waitv
#define SYS_futex_waitv 449
#endif
#ifndef FUTEX_LOCK_PI2
#define FUTEX_LOCK_PI2 13
#endif

/* How the checks run: which mode this process is in. */
enum mode { NATIVE, MODULE, KERNEL };
static enum mode mode;
static const char *const mode_name[] = { "native", "module", "kernel" };

/* ---- the calls, counted per operation --------------------------------- */

#define OP_OTHER (FUTEX_LOCK_PI2 + 1)
#define OP_WAITV (FUTEX_LOCK_PI2 + 2)
#define NOPS (FUTEX_LOCK_PI2 + 3)

static const char *const op_name[NOPS] = {
	[FUTEX_WAIT] = "FUTEX_WAIT",
	[FUTEX_WAKE] = "FUTEX_WAKE",
	[FUTEX_FD] = "FUTEX_FD",
	[FUTEX_REQUEUE] = "FUTEX_REQUEUE",
	[FUTEX_CMP_REQUEUE] = "FUTEX_CMP_REQUEUE",
	[FUTEX_WAKE_OP] = "FUTEX_WAKE_OP",
	[FUTEX_LOCK_PI] = "FUTEX_LOCK_PI",
	[FUTEX_UNLOCK_PI] = "FUTEX_UNLOCK_PI",
	[FUTEX_TRYLOCK_PI] = "FUTEX_TRYLOCK_PI",
	[FUTEX_WAIT_BITSET] = "FUTEX_WAIT_BITSET",
	[FUTEX_WAKE_BITSET] = "FUTEX_WAKE_BITSET",
	[FUTEX_WAIT_REQUEUE_PI] = "FUTEX_WAIT_REQUEUE_PI",
	[FUTEX_CMP_REQUEUE_PI] = "FUTEX_CMP_REQUEUE_PI",
	[FUTEX_LOCK_PI2] = "FUTEX_LOCK_PI2",
	[OP_OTHER] = "FUTEX_unknown",
	[OP_WAITV] = "futex_waitv",
};

/* Does the preload send the operation to the module? */
static int on_module(int op)
{
	return op == FUTEX_WAIT || op == FUTEX_WAKE || op == FUTEX_REQUEUE ||
	       op == FUTEX_CMP_REQUEUE || op == FUTEX_WAKE_OP ||
	       op == FUTEX_WAIT_BITSET || op == FUTEX_WAKE_BITSET ||
	       op == OP_WAITV;
}

static unsigned long calls[NOPS];	/* atomic */

static long fx(void *uaddr, int op, uint32_t val, const void *ts,
	       void *uaddr2, uint32_t val3)
{
	int cmd = op & FUTEX_CMD_MASK;

	__atomic_fetch_add(&calls[cmd >= 0 && cmd < OP_OTHER ? cmd : OP_OTHER],
			   1, __ATOMIC_RELAXED);
	return syscall(SYS_futex, uaddr, op, val, ts, uaddr2, val3);
}

/* A count where futex(2) takes the timeout argument. */
#define VAL2(n) ((const void *)(uintptr_t)(uint32_t)(n))

static long fxv(struct futex_waitv *w, unsigned int nr, unsigned int flags,
		const struct timespec *ts, clockid_t clk)
{
	__atomic_fetch_add(&calls[OP_WAITV], 1, __ATOMIC_RELAXED);
	return syscall(SYS_futex_waitv, w, nr, flags, ts, clk);
}

/* The call must return @want (>= 0), with errno untouched. */
#define FX_OK(call, want) do {						\
	long __r, __w = (want);						\
	errno = ENOTTY;							\
	__r = (call);							\
	if (__r != __w || errno != ENOTTY)				\
		t_fail("[%s] %s = %ld, errno %s; expected %ld",		\
		       mode_name[mode], #call, __r, strerror(errno), __w); \
} while (0)

/* The call must return -1 with errno @err. */
#define FX_ERR(call, err) do {						\
	int __e = (err);						\
	long __r;							\
	errno = 0;							\
	__r = (call);							\
	if (__r != -1 || errno != __e)					\
		t_fail("[%s] %s = %ld, errno %s; expected -1, %s",	\
		       mode_name[mode], #call, __r, strerror(errno),	\
		       strerror(__e));					\
} while (0)

/* ---- waiter threads ------------------------------------------------------ */

enum { W_WAIT, W_WAIT_BITSET, W_WAITV, W_ALTFUTEX, W_ALTFUTEX2 };

struct fw {
	pthread_t th;
	int kind;
	void *uaddr;
	uint32_t val;
	int op;		/* FUTEX_WAIT or _BITSET with FUTEX_PRIVATE_FLAG */
	uint32_t mask;	/* the bitset of W_WAIT_BITSET, W_ALTFUTEX2 */
	struct futex_waitv *v;
	unsigned int nv;
	int safety;	/* with a T_SAFETY_MS timeout */
	int tid, done;	/* atomic */
	long ret;
	int err;
};

static void *fw_main(void *arg)
{
	struct fw *w = arg;
	struct timespec ts = t_ts_ms(T_SAFETY_MS);
	struct timespec *tsp = w->safety ? &ts : NULL;
	long r;

	__atomic_store_n(&w->tid, t_gettid(), __ATOMIC_RELEASE);
	if (w->kind == W_WAIT_BITSET || w->kind == W_WAITV)
		ts = t_ts_ns(t_now_ns(CLOCK_MONOTONIC) +
			     T_SAFETY_MS * NSEC_PER_MSEC);
	switch (w->kind) {
	case W_WAIT:
	case W_WAIT_BITSET:
		r = fx(w->uaddr, w->op, w->val, tsp, NULL, w->mask);
		break;
	case W_WAITV:
		r = fxv(w->v, w->nv, 0, tsp, CLOCK_MONOTONIC);
		break;
	default:
		if (w->kind == W_ALTFUTEX2)
			r = altfutex_wait2(w->uaddr, w->val, w->mask, tsp,
					   ALTFUTEX_PRIVATE);
		else
			r = altfutex_wait(w->uaddr, w->val, tsp,
					  ALTFUTEX_PRIVATE);
		if (r < 0) {
			errno = (int)-r;
			r = -1;
		}
		break;
	}
	w->ret = r;
	w->err = r < 0 ? errno : 0;
	__atomic_store_n(&w->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* The system call in which a waiter of @kind sleeps, in this mode. */
static long fw_sysno(int kind)
{
	if (kind == W_ALTFUTEX || kind == W_ALTFUTEX2 || mode == MODULE)
		return SYS_ioctl;
	return kind == W_WAITV ? SYS_futex_waitv : SYS_futex;
}

/* Start @w and return once it sleeps in its system call. */
static void fw_start(struct fw *w)
{
	long sysno = fw_sysno(w->kind);
	int tid, st;

	w->tid = 0;
	w->done = 0;
	CHECK(!pthread_create(&w->th, NULL, fw_main, w), "pthread_create");
	while (!(tid = __atomic_load_n(&w->tid, __ATOMIC_ACQUIRE)))
		t_sleep_ms(1);
	while ((st = t_sleep_state(0, tid, sysno)) != 'S') {
		if (__atomic_load_n(&w->done, __ATOMIC_ACQUIRE))
			t_fail("[%s] a waiter returned %ld (%s) instead of sleeping",
			       mode_name[mode], w->ret, strerror(w->err));
		t_sleep_ms(1);
	}
}

static struct fw *fw_new(int kind, void *uaddr, uint32_t val, int op)
{
	static struct fw pool[48];
	static int used;
	struct fw *w;

	CHECK(used < (int)ARRAY_SIZE(pool), "too many waiters");
	w = &pool[used++];
	memset(w, 0, sizeof(*w));
	w->kind = kind;
	w->uaddr = uaddr;
	w->val = val;
	w->op = op;
	w->mask = FUTEX_BITSET_MATCH_ANY;
	w->safety = 1;
	return w;
}

/* Join @w (bounded by the watchdog) and check its result. */
static void fw_expect(struct fw *w, long ret, int err)
{
	pthread_join(w->th, NULL);
	if (w->ret != ret || (ret < 0 && w->err != err))
		t_fail("[%s] a waiter returned %ld (%s), expected %ld (%s)",
		       mode_name[mode], w->ret, strerror(w->err), ret,
		       ret < 0 ? strerror(err) : "ok");
}

/* Give a wrong wake time to act, then fail unless @w still sleeps. */
static void fw_still(struct fw *w)
{
	t_sleep_ms(100);
	CHECK(!__atomic_load_n(&w->done, __ATOMIC_ACQUIRE),
	      "[%s] a waiter returned %ld (%s) too early", mode_name[mode],
	      w->ret, strerror(w->err));
}

/* How many of the @nw waiters have returned. */
static int fw_returned(struct fw **w, int nw)
{
	int i, k = 0;

	for (i = 0; i < nw; i++)
		k += __atomic_load_n(&w[i]->done, __ATOMIC_ACQUIRE);
	return k;
}

/* Wait until @n of the @nw waiters have returned. */
static void fw_wait_returned(struct fw **w, int nw, int n)
{
	while (fw_returned(w, nw) < n)
		t_sleep_ms(1);
}

/* ---- the checks ---------------------------------------------------------- */

static uint32_t *page;		/* a page of words */
static char *hole;		/* an unmapped page */

/* Can the preload read a bad pointer without faulting?  See preload.h. */
static int safe_reads(void)
{
	struct iovec l, r;
	char buf[8];

	if (mode != MODULE)
		return 1;
	l.iov_base = buf;
	l.iov_len = sizeof(buf);
	r.iov_base = page;
	r.iov_len = sizeof(buf);
	return syscall(SYS_process_vm_readv, getpid(), &l, 1, &r, 1, 0) ==
	       (long)sizeof(buf);
}

static void check_errors(void)
{
	uint32_t *w = &page[0], *w2 = &page[1];
	struct timespec bad = { 0, NSEC_PER_SEC }, neg = { -1, 0 };
	int priv;

	*w = 1;
	for (priv = 0; priv <= FUTEX_PRIVATE_FLAG; priv += FUTEX_PRIVATE_FLAG) {
		FX_ERR(fx(w, FUTEX_WAIT | priv, 0, NULL, NULL, 0), EAGAIN);
		FX_ERR(fx(w, FUTEX_WAIT_BITSET | priv, 0, NULL, NULL,
			  FUTEX_BITSET_MATCH_ANY), EAGAIN);
		FX_OK(fx(w, FUTEX_WAKE | priv, 1, NULL, NULL, 0), 0);
		FX_OK(fx(w, FUTEX_WAKE_BITSET | priv, 1, NULL, NULL,
			 FUTEX_BITSET_MATCH_ANY), 0);
		FX_ERR(fx((char *)w + 1, FUTEX_WAIT | priv, 1, NULL, NULL, 0),
		       EINVAL);
		FX_ERR(fx((char *)w + 2, FUTEX_WAKE | priv, 1, NULL, NULL, 0),
		       EINVAL);
		/* the timeout is checked before the word */
		FX_ERR(fx(w, FUTEX_WAIT | priv, 0, &bad, NULL, 0), EINVAL);
		FX_ERR(fx(w, FUTEX_WAIT | priv, 0, &neg, NULL, 0), EINVAL);
		FX_ERR(fx(w, FUTEX_WAIT_BITSET | priv, 0, &bad, NULL,
			  FUTEX_BITSET_MATCH_ANY), EINVAL);
		FX_ERR(fx(w, FUTEX_WAIT_BITSET | priv, 1, NULL, NULL, 0),
		       EINVAL);
		FX_ERR(fx(w, FUTEX_WAKE_BITSET | priv, 1, NULL, NULL, 0),
		       EINVAL);
		/* FUTEX_CLOCK_REALTIME only with the absolute waits */
		FX_ERR(fx(w, FUTEX_WAIT | FUTEX_CLOCK_REALTIME | priv, 0, NULL,
			  NULL, 0), ENOSYS);
		FX_ERR(fx(w, FUTEX_WAIT | FUTEX_CLOCK_REALTIME | priv, 0, &bad,
			  NULL, 0), EINVAL);
		FX_ERR(fx(w, FUTEX_WAKE | FUTEX_CLOCK_REALTIME | priv, 1, NULL,
			  NULL, 0), ENOSYS);
		FX_ERR(fx(w, FUTEX_REQUEUE | priv, -1, VAL2(1), w2, 0), EINVAL);
		FX_ERR(fx(w, FUTEX_REQUEUE | priv, 1, VAL2(-1), w2, 0), EINVAL);
		FX_OK(fx(w, FUTEX_REQUEUE | priv, 1, VAL2(1), w2, 0), 0);
		FX_ERR(fx(w, FUTEX_CMP_REQUEUE | priv, 1, VAL2(1), w2, 0),
		       EAGAIN);
		FX_OK(fx(w, FUTEX_CMP_REQUEUE | priv, 1, VAL2(1), w2, 1), 0);
		/* private wakes never read the word; waits do */
		FX_ERR(fx(hole, FUTEX_WAIT | priv, 0, NULL, NULL, 0), EFAULT);
		FX_OK(fx(hole, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, 1, NULL, NULL,
			 0), 0);
		FX_ERR(fx(hole, FUTEX_WAKE, 1, NULL, NULL, 0), EFAULT);
		if (priv)
			FX_OK(fx(w, FUTEX_CMP_REQUEUE | priv, 1, VAL2(1), hole,
				 1), 0);
		else
			FX_ERR(fx(w, FUTEX_CMP_REQUEUE, 1, VAL2(1), hole, 1),
			       EFAULT);
		if (safe_reads())
			FX_ERR(fx(w, FUTEX_WAIT | priv, 0, hole, NULL, 0),
			       EFAULT);
	}
	FX_ERR(fx(w, FUTEX_FD, 0, NULL, NULL, 0), ENOSYS);
	FX_ERR(fx(w, 31, 0, NULL, NULL, 0), ENOSYS);
	t_log("[%s] EAGAIN, EINVAL, EFAULT, ENOSYS as futex(2)",
	      mode_name[mode]);
}

/* Timed waits that expire; @clk the clock to read the deadline on. */
static void timed(int op, clockid_t clk, int64_t rel_ms)
{
	uint32_t *w = &page[2];
	int64_t t0 = t_now_ns(CLOCK_MONOTONIC), c0 = t_now_ns(clk), dt;
	struct timespec ts;
	int absolute = (op & FUTEX_CMD_MASK) == FUTEX_WAIT_BITSET;

	*w = 0;
	ts = absolute ? t_ts_ns(c0 + rel_ms * NSEC_PER_MSEC) :
			t_ts_ms(rel_ms);
	FX_ERR(fx(w, op, 0, &ts, NULL, FUTEX_BITSET_MATCH_ANY), ETIMEDOUT);
	dt = t_now_ns(CLOCK_MONOTONIC) - t0;
	CHECK(t_now_ns(clk) >= c0 + rel_ms * NSEC_PER_MSEC &&
	      (clk != CLOCK_MONOTONIC || dt >= rel_ms * NSEC_PER_MSEC),
	      "[%s] op %#x: ETIMEDOUT after %lld ms, before %lld ms",
	      mode_name[mode], op, (long long)(dt / NSEC_PER_MSEC),
	      (long long)rel_ms);
	CHECK(dt < (rel_ms + 10000LL * t_time_scale()) * NSEC_PER_MSEC,
	      "[%s] op %#x: ETIMEDOUT after %lld ms, for %lld ms",
	      mode_name[mode], op, (long long)(dt / NSEC_PER_MSEC),
	      (long long)rel_ms);
}

static void check_timeouts(void)
{
	uint32_t *w = &page[2];
	struct timespec ts;
	int64_t mono;

	timed(FUTEX_WAIT, CLOCK_MONOTONIC, 100);
	timed(FUTEX_WAIT_PRIVATE, CLOCK_MONOTONIC, 0);
	timed(FUTEX_WAIT_BITSET, CLOCK_MONOTONIC, 100);
	timed(FUTEX_WAIT_BITSET_PRIVATE, CLOCK_MONOTONIC, 0);
	timed(FUTEX_WAIT_BITSET | FUTEX_CLOCK_REALTIME, CLOCK_REALTIME, 100);
	timed(FUTEX_WAIT_BITSET_PRIVATE | FUTEX_CLOCK_REALTIME,
	      CLOCK_REALTIME, 100);
	/* a CLOCK_MONOTONIC time 5 s ahead is long past on CLOCK_REALTIME */
	mono = t_now_ns(CLOCK_MONOTONIC);
	if (t_now_ns(CLOCK_REALTIME) > mono + 3600 * NSEC_PER_SEC) {
		ts = t_ts_ns(mono + 5 * NSEC_PER_SEC);
		*w = 0;
		FX_ERR(fx(w, FUTEX_WAIT_BITSET | FUTEX_CLOCK_REALTIME, 0, &ts,
			  NULL, FUTEX_BITSET_MATCH_ANY), ETIMEDOUT);
		CHECK(t_now_ns(CLOCK_MONOTONIC) < mono + 5 * NSEC_PER_SEC,
		      "[%s] FUTEX_CLOCK_REALTIME: the deadline was taken on CLOCK_MONOTONIC",
		      mode_name[mode]);
	}
	t_log("[%s] timeouts: FUTEX_WAIT relative, FUTEX_WAIT_BITSET absolute on both clocks",
	      mode_name[mode]);
}

static int handled;	/* atomic */

static void on_usr1(int sig)
{
	__atomic_fetch_add(&handled, 1, __ATOMIC_SEQ_CST);
}

/*
 * A handler without SA_RESTART ends the wait with EINTR; with it, the wait
 * goes on (the kernel restarts the call) until a wake: futex_waitv's with
 * its timeout too, FUTEX_WAIT's only without one (with one, the kernel's
 * restart block is EINTR after any handler).  On the module every wait
 * ends with EINTR after a handler, SA_RESTART or not (README, "Signals"):
 * a difference the preloaded program sees.
 */
static void check_signal(int kind, int restart)
{
	const char *name = kind == W_WAITV ? "futex_waitv" : "FUTEX_WAIT";
	struct futex_waitv v[1];
	struct sigaction sa;
	struct fw *w;
	int h;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sa.sa_flags = restart ? SA_RESTART : 0;
	sigemptyset(&sa.sa_mask);
	CHECK(!sigaction(SIGUSR1, &sa, NULL), "sigaction");
	page[3] = 7;
	w = fw_new(kind, &page[3], 7, FUTEX_WAIT);
	w->safety = restart && kind == W_WAITV;
	if (kind == W_WAITV) {
		memset(v, 0, sizeof(v));
		v[0].uaddr = (uintptr_t)&page[3];
		v[0].val = 7;
		v[0].flags = FUTEX_32;
		w->v = v;
		w->nv = 1;
	}
	h = __atomic_load_n(&handled, __ATOMIC_SEQ_CST);
	fw_start(w);
	pthread_kill(w->th, SIGUSR1);
	if (!restart || mode == MODULE) {
		fw_expect(w, -1, EINTR);
		CHECK(__atomic_load_n(&handled, __ATOMIC_SEQ_CST) > h,
		      "no handler ran");
		t_log("[%s] %s: EINTR from a handler%s", mode_name[mode], name,
		      restart ? " with SA_RESTART too, as every module wait" :
				"");
		return;
	}
	while (__atomic_load_n(&handled, __ATOMIC_SEQ_CST) == h)
		t_sleep_ms(1);
	fw_still(w);
	FX_OK(fx(&page[3], FUTEX_WAKE, 1, NULL, NULL, 0), 1);
	fw_expect(w, 0, 0);
	t_log("[%s] %s: restarted after a handler with SA_RESTART",
	      mode_name[mode], name);
}

/* FUTEX_WAKE with 0, or a negative count, wakes one; INT_MAX all. */
static void check_wake_counts(void)
{
	uint32_t *word = &page[4];
	struct fw *w[3];
	int i;

	*word = 0;
	for (i = 0; i < 3; i++) {
		w[i] = fw_new(W_WAIT, word, 0, FUTEX_WAIT_PRIVATE);
		fw_start(w[i]);
	}
	FX_OK(fx(word, FUTEX_WAKE_PRIVATE, 0, NULL, NULL, 0), 1);
	fw_wait_returned(w, 3, 1);
	t_sleep_ms(100);
	CHECK(fw_returned(w, 3) == 1, "[%s] FUTEX_WAKE 0 woke %d",
	      mode_name[mode], fw_returned(w, 3));
	FX_OK(fx(word, FUTEX_WAKE_PRIVATE, (uint32_t)-1, NULL, NULL, 0), 1);
	fw_wait_returned(w, 3, 2);
	t_sleep_ms(100);
	CHECK(fw_returned(w, 3) == 2, "[%s] FUTEX_WAKE -1 woke %d",
	      mode_name[mode], fw_returned(w, 3) - 1);
	FX_OK(fx(word, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0), 1);
	for (i = 0; i < 3; i++)
		fw_expect(w[i], 0, 0);
	t_log("[%s] FUTEX_WAKE: 0 and -1 wake one, INT_MAX the rest",
	      mode_name[mode]);
}

static void check_requeue(void)
{
	uint32_t *a = &page[5], *b = &page[6];
	struct fw *w[3];
	int i;

	/* shared keys (no FUTEX_PRIVATE_FLAG) */
	*a = 0;
	*b = 0;
	for (i = 0; i < 3; i++) {
		w[i] = fw_new(W_WAIT, a, 0, FUTEX_WAIT);
		fw_start(w[i]);
	}
	FX_OK(fx(a, FUTEX_REQUEUE, 1, VAL2(1), b, 0), 2);
	fw_wait_returned(w, 3, 1);
	FX_OK(fx(a, FUTEX_WAKE, INT_MAX, NULL, NULL, 0), 1);
	fw_wait_returned(w, 3, 2);
	FX_OK(fx(b, FUTEX_WAKE, INT_MAX, NULL, NULL, 0), 1);
	for (i = 0; i < 3; i++)
		fw_expect(w[i], 0, 0);

	*a = 3;
	for (i = 0; i < 2; i++) {
		w[i] = fw_new(W_WAIT_BITSET, a, 3, FUTEX_WAIT_BITSET_PRIVATE);
		fw_start(w[i]);
	}
	FX_ERR(fx(a, FUTEX_CMP_REQUEUE_PRIVATE, 0, VAL2(2), b, 4), EAGAIN);
	FX_OK(fx(a, FUTEX_CMP_REQUEUE_PRIVATE, 0, VAL2(0), b, 3), 0);
	FX_OK(fx(a, FUTEX_CMP_REQUEUE_PRIVATE, 0, VAL2(2), b, 3), 2);
	FX_OK(fx(a, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0), 0);
	fw_still(w[0]);
	FX_OK(fx(b, FUTEX_WAKE_BITSET_PRIVATE, INT_MAX, NULL, NULL,
		 FUTEX_BITSET_MATCH_ANY), 2);
	for (i = 0; i < 2; i++)
		fw_expect(w[i], 0, 0);
	t_log("[%s] FUTEX_REQUEUE, FUTEX_CMP_REQUEUE: counts and EAGAIN",
	      mode_name[mode]);
}

/* A wake wakes the waiters whose bitset shares a bit with its own. */
static void check_bitsets(void)
{
	static const uint32_t bits[3] = { 1, 2, 4 };
	uint32_t *word = &page[7];
	struct fw *w[3];
	int i;

	*word = 0;
	FX_ERR(fx(word, FUTEX_WAIT_BITSET_PRIVATE, 1, NULL, NULL, 1), EAGAIN);
	FX_OK(fx(word, FUTEX_WAKE_BITSET_PRIVATE, 1, NULL, NULL, 1), 0);
	for (i = 0; i < 3; i++) {
		w[i] = fw_new(W_WAIT_BITSET, word, 0, FUTEX_WAIT_BITSET_PRIVATE);
		w[i]->mask = bits[i];
		fw_start(w[i]);
	}
	FX_OK(fx(word, FUTEX_WAKE_BITSET_PRIVATE, INT_MAX, NULL, NULL, 8), 0);
	FX_OK(fx(word, FUTEX_WAKE_PRIVATE, 0, NULL, NULL, 0), 1);
	fw_expect(w[0], 0, 0);
	FX_OK(fx(word, FUTEX_WAKE_BITSET_PRIVATE, INT_MAX, NULL, NULL, 8 | 4),
	      1);
	fw_expect(w[2], 0, 0);
	fw_still(w[1]);
	w[0] = fw_new(W_WAIT_BITSET, word, 0, FUTEX_WAIT_BITSET_PRIVATE);
	w[0]->mask = 2 | 1;
	fw_start(w[0]);
	/* 0 wakes one, the oldest that matches */
	FX_OK(fx(word, FUTEX_WAKE_BITSET_PRIVATE, 0, NULL, NULL, 1 | 2), 1);
	fw_expect(w[1], 0, 0);
	fw_still(w[0]);
	FX_OK(fx(word, FUTEX_WAKE_BITSET_PRIVATE, (uint32_t)-1, NULL, NULL,
		 1), 1);
	fw_expect(w[0], 0, 0);
	t_log("[%s] bitsets: a wake wakes the waiters that share a bit with it",
	      mode_name[mode]);
}

/* FUTEX_OP(): an operation of FUTEX_WAKE_OP, in val3. */
static long wake_op(uint32_t *a, int nr, int nr2, uint32_t *b, int op,
		    int oparg, int cmp, int cmparg, int priv)
{
	return fx(a, FUTEX_WAKE_OP | priv, (uint32_t)nr, VAL2(nr2), b,
		  FUTEX_OP(op, oparg, cmp, cmparg));
}

static void check_wake_op(void)
{
	uint32_t *a = &page[8], *b = &page[9], *ro;
	const int priv = FUTEX_PRIVATE_FLAG;
	struct fw *wa[3], *wb[2];
	int i;

	/* no waiter: each operation on the second word, its errors */
	*a = 0;
	*b = 1;
	FX_OK(wake_op(a, 1, 1, b, FUTEX_OP_ADD, 2, FUTEX_OP_CMP_EQ, 1, priv),
	      0);
	FX_OK(wake_op(a, 1, 1, b, FUTEX_OP_OR | FUTEX_OP_OPARG_SHIFT, 4,
		      FUTEX_OP_CMP_NE, 0, 0), 0);
	CHECK(*b == (3 | 16), "[%s] FUTEX_WAKE_OP: the word is %u, not 19",
	      mode_name[mode], *b);
	FX_OK(wake_op(a, 1, 1, b, FUTEX_OP_ANDN, 1, FUTEX_OP_CMP_LT, 0, priv),
	      0);
	FX_OK(wake_op(a, 1, 1, b, FUTEX_OP_XOR, 7, FUTEX_OP_CMP_LE, 0, priv),
	      0);
	CHECK(*b == ((18 ^ 7)), "[%s] FUTEX_WAKE_OP: the word is %u, not 21",
	      mode_name[mode], *b);
	FX_OK(wake_op(a, 1, 1, b, FUTEX_OP_SET, -5, FUTEX_OP_CMP_GT, 0, priv),
	      0);
	CHECK(*b == (uint32_t)-5, "[%s] FUTEX_WAKE_OP: the word is %u, not -5",
	      mode_name[mode], *b);
	FX_OK(wake_op(a, 1, 1, b, FUTEX_OP_SET, 0, FUTEX_OP_CMP_GE, 0, priv),
	      0);
	/* undefined: the operation writes nothing, the comparison comes after */
	FX_ERR(wake_op(a, 1, 1, b, 5, 1, FUTEX_OP_CMP_EQ, 0, priv), ENOSYS);
	FX_ERR(wake_op(a, 1, 1, b, 7, 1, FUTEX_OP_CMP_EQ, 0, 0), ENOSYS);
	CHECK(*b == 0, "[%s] FUTEX_WAKE_OP with an undefined operation wrote %u",
	      mode_name[mode], *b);
	FX_ERR(wake_op(a, 1, 1, b, FUTEX_OP_ADD, 1, 6, 0, priv), ENOSYS);
	FX_ERR(wake_op(a, 1, 1, b, FUTEX_OP_ADD, 1, 15, 0, 0), ENOSYS);
	CHECK(*b == 2, "[%s] FUTEX_WAKE_OP with an undefined comparison: the word is %u, not 2",
	      mode_name[mode], *b);
	FX_ERR(wake_op((uint32_t *)((char *)a + 2), 1, 1, b, FUTEX_OP_ADD, 1,
		       FUTEX_OP_CMP_EQ, 0, priv), EINVAL);
	FX_ERR(wake_op(a, 1, 1, (uint32_t *)((char *)b + 1), FUTEX_OP_ADD, 1,
		       FUTEX_OP_CMP_EQ, 0, priv), EINVAL);
	FX_ERR(wake_op(a, 1, 1, (uint32_t *)((char *)b + 1), 5, 1,
		       FUTEX_OP_CMP_EQ, 0, priv), EINVAL);
	FX_ERR(wake_op(a, 1, 1, (uint32_t *)hole, FUTEX_OP_ADD, 1,
		       FUTEX_OP_CMP_EQ, 0, priv), EFAULT);
	ro = t_map(1, PROT_READ, MAP_PRIVATE);
	FX_ERR(wake_op(a, 1, 1, ro, FUTEX_OP_ADD, 1, FUTEX_OP_CMP_EQ, 0, priv),
	       EFAULT);
	FX_ERR(wake_op(a, 1, 1, ro, FUTEX_OP_ADD, 1, FUTEX_OP_CMP_EQ, 0, 0),
	       EFAULT);
	munmap(ro, PGSZ);
	FX_ERR(fx(a, FUTEX_WAKE_OP_PRIVATE | FUTEX_CLOCK_REALTIME, 1, VAL2(1),
		  b, FUTEX_OP(FUTEX_OP_ADD, 1, FUTEX_OP_CMP_EQ, 0)), ENOSYS);
	CHECK(*b == 2, "[%s] FUTEX_WAKE_OP wrote %u after an error",
	      mode_name[mode], *b);

	/* two waiters on each word */
	*b = 0;
	for (i = 0; i < 2; i++) {
		wa[i] = fw_new(W_WAIT, a, 0, FUTEX_WAIT_PRIVATE);
		fw_start(wa[i]);
		wb[i] = fw_new(W_WAIT, b, 0, FUTEX_WAIT_PRIVATE);
		fw_start(wb[i]);
	}
	/* 0 and 0 wake one and one when the comparison holds */
	FX_OK(wake_op(a, 0, 0, b, FUTEX_OP_ADD, 1, FUTEX_OP_CMP_EQ, 0, priv),
	      2);
	fw_expect(wa[0], 0, 0);
	fw_expect(wb[0], 0, 0);
	fw_still(wa[1]);
	fw_still(wb[1]);
	/* the comparison is on the old value: 1 == 0 does not hold */
	FX_OK(wake_op(a, INT_MAX, INT_MAX, b, FUTEX_OP_ADD, 1,
		      FUTEX_OP_CMP_EQ, 0, priv), 1);
	fw_expect(wa[1], 0, 0);
	fw_still(wb[1]);
	CHECK(*b == 2, "[%s] FUTEX_WAKE_OP: the word is %u, not 2",
	      mode_name[mode], *b);
	wa[2] = fw_new(W_WAIT, a, 0, FUTEX_WAIT_PRIVATE);
	fw_start(wa[2]);
	/* an undefined comparison: the operation is done, nobody woken */
	FX_ERR(wake_op(a, 1, 1, b, FUTEX_OP_ADD, 1, 6, 0, priv), ENOSYS);
	CHECK(*b == 3, "[%s] FUTEX_WAKE_OP: the word is %u, not 3",
	      mode_name[mode], *b);
	fw_still(wa[2]);
	fw_still(wb[1]);
	/* -1 wakes one too */
	FX_OK(wake_op(a, -1, -1, b, FUTEX_OP_SET, 0, FUTEX_OP_CMP_GE, 3,
		      priv), 2);
	fw_expect(wa[2], 0, 0);
	fw_expect(wb[1], 0, 0);
	CHECK(*b == 0, "[%s] FUTEX_WAKE_OP: the word is %u, not 0",
	      mode_name[mode], *b);
	t_log("[%s] FUTEX_WAKE_OP: operations, comparison, counts, EINVAL, EFAULT, ENOSYS",
	      mode_name[mode]);
}

/* What the native futex_waitv gave for a val beyond 32 bits (an errno). */
#define WIDE_ENV "ALTFUTEX_TEST_WIDE_ERRNO"
static int wide_errno;

static void waitv_set(struct futex_waitv *v, int i, uint32_t *word,
		      uint32_t flags)
{
	memset(&v[i], 0, sizeof(v[i]));
	v[i].uaddr = (uintptr_t)word;
	v[i].val = *word;
	v[i].flags = flags;
}

static void check_waitv(void)
{
	static struct futex_waitv v[FUTEX_WAITV_MAX + 1];
	uint32_t *x = &page[16];
	struct timespec ts, bad = { 0, NSEC_PER_SEC };
	int64_t t0;
	struct fw *w;
	int i;

	if (fxv(NULL, 0, 0, NULL, 0) < 0 && errno == ENOSYS) {
		t_log("[%s] futex_waitv: the kernel has none (ENOSYS); not checked",
		      mode_name[mode]);
		return;
	}
	for (i = 0; i < 3; i++) {
		x[i] = 10 + i;
		waitv_set(v, i, &x[i], FUTEX_32 | (i ? FUTEX_PRIVATE_FLAG : 0));
	}
	/* argument checks */
	FX_ERR(fxv(v, 3, 1, NULL, 0), EINVAL);
	FX_ERR(fxv(v, 0, 0, NULL, 0), EINVAL);
	FX_ERR(fxv(v, FUTEX_WAITV_MAX + 1, 0, NULL, 0), EINVAL);
	FX_ERR(fxv(NULL, 3, 0, NULL, 0), EINVAL);
	ts = t_ts_ms(0);
	FX_ERR(fxv(v, 3, 0, &ts, CLOCK_BOOTTIME), EINVAL);
	FX_ERR(fxv(v, 3, 0, &bad, CLOCK_MONOTONIC), EINVAL);
	v[1].flags = FUTEX_PRIVATE_FLAG;
	FX_ERR(fxv(v, 3, 0, NULL, 0), EINVAL);
	v[1].flags = FUTEX_32 | 0x1000;
	FX_ERR(fxv(v, 3, 0, NULL, 0), EINVAL);
	v[1].flags = FUTEX_32;
	v[1].__reserved = 1;
	FX_ERR(fxv(v, 3, 0, NULL, 0), EINVAL);
	v[1].__reserved = 0;
	v[1].flags = FUTEX_32 | FUTEX_PRIVATE_FLAG;
	v[1].uaddr = (uintptr_t)&x[1] + 2;
	FX_ERR(fxv(v, 3, 0, NULL, 0), EINVAL);
	v[1].uaddr = (uintptr_t)hole;
	FX_ERR(fxv(v, 3, 0, NULL, 0), EFAULT);
	v[1].uaddr = (uintptr_t)&x[1];
	if (safe_reads()) {
		FX_ERR(fxv((void *)hole, 3, 0, NULL, 0), EFAULT);
		FX_ERR(fxv(v, 3, 0, (void *)hole, CLOCK_MONOTONIC), EFAULT);
	}
	/* a word that differs */
	v[2].val = 99;
	FX_ERR(fxv(v, 3, 0, NULL, 0), EAGAIN);
	/*
	 * A val beyond 32 bits, its low half the word's, and a deadline long
	 * past: 5.16 to 6.6 compare the low half (ETIMEDOUT), 6.7 and later
	 * refuse it (EINVAL).  The preloaded runs must do what the native run
	 * did.
	 */
	v[2].val = x[2] | 1ULL << 32;
	ts = t_ts_ns(0);
	errno = 0;
	CHECK(fxv(v, 3, 0, &ts, CLOCK_MONOTONIC) == -1,
	      "[%s] futex_waitv with a val beyond 32 bits returned",
	      mode_name[mode]);
	if (mode == NATIVE)
		wide_errno = errno;
	CHECK(errno == wide_errno &&
	      (errno == ETIMEDOUT || errno == EINVAL),
	      "[%s] futex_waitv with a val beyond 32 bits: %s, natively %s",
	      mode_name[mode], strerror(errno), strerror(wide_errno));
	v[2].val = x[2];
	/* absolute timeouts, on both clocks */
	for (i = 0; i < 2; i++) {
		clockid_t clk = i ? CLOCK_REALTIME : CLOCK_MONOTONIC;
		int64_t c0 = t_now_ns(clk);

		ts = t_ts_ns(c0 + 100 * NSEC_PER_MSEC);
		t0 = t_now_ns(CLOCK_MONOTONIC);
		FX_ERR(fxv(v, 3, 0, &ts, clk), ETIMEDOUT);
		CHECK(t_now_ns(clk) >= c0 + 100 * NSEC_PER_MSEC &&
		      t_now_ns(CLOCK_MONOTONIC) - t0 >= 100 * NSEC_PER_MSEC,
		      "[%s] futex_waitv: ETIMEDOUT before its deadline",
		      mode_name[mode]);
	}
	/* the index of the word woken */
	w = fw_new(W_WAITV, NULL, 0, 0);
	w->v = v;
	w->nv = 3;
	fw_start(w);
	FX_OK(fx(&x[1], FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0), 1);
	fw_expect(w, 1, 0);
	w = fw_new(W_WAITV, NULL, 0, 0);
	w->v = v;
	w->nv = 3;
	fw_start(w);
	FX_OK(fx(&x[0], FUTEX_WAKE, 1, NULL, NULL, 0), 1);
	fw_expect(w, 0, 0);
	t_log("[%s] futex_waitv: EINVAL, EFAULT, EAGAIN, ETIMEDOUT on both clocks, the index",
	      mode_name[mode]);
	t_log("[%s] futex_waitv: a val beyond 32 bits: %s, as natively",
	      mode_name[mode],
	      wide_errno == EINVAL ? "EINVAL" : "its low half compared");
}

static void check_pi(void)
{
	uint32_t *m = &page[32], *a = &page[33], *b = &page[34];
	long r;

	*m = 0;
	FX_OK(fx(m, FUTEX_TRYLOCK_PI, 0, NULL, NULL, 0), 0);
	CHECK(*m == (uint32_t)t_gettid(), "TRYLOCK_PI: the word is %#x", *m);
	FX_OK(fx(m, FUTEX_UNLOCK_PI, 0, NULL, NULL, 0), 0);
	CHECK(*m == 0, "UNLOCK_PI: the word is %#x", *m);
	FX_OK(fx(m, FUTEX_LOCK_PI_PRIVATE, 0, NULL, NULL, 0), 0);
	CHECK(*m == (uint32_t)t_gettid(), "LOCK_PI: the word is %#x", *m);
	FX_OK(fx(m, FUTEX_UNLOCK_PI_PRIVATE, 0, NULL, NULL, 0), 0);
	errno = 0;
	r = fx(m, FUTEX_LOCK_PI2, 0, NULL, NULL, 0);
	if (r == 0)
		FX_OK(fx(m, FUTEX_UNLOCK_PI, 0, NULL, NULL, 0), 0);
	else
		CHECK(errno == ENOSYS, "LOCK_PI2: %s", strerror(errno));
	*a = 1;
	FX_ERR(fx(a, FUTEX_WAIT_REQUEUE_PI, 0, NULL, b, 0), EAGAIN);
	FX_ERR(fx(a, FUTEX_CMP_REQUEUE_PI, 1, VAL2(0), b, 0), EAGAIN);
	t_log("[%s] PI operations work through the kernel", mode_name[mode]);
}

#define STATS "/sys/kernel/debug/altfutex/stats"

/* The module's count @name ("calls_wait2") in @buf, or -1. */
static long stat_of(const char *buf, const char *name)
{
	size_t n = strlen(name);
	const char *l;

	for (l = buf; l; l = strchr(l, '\n'), l = l ? l + 1 : NULL)
		if (!strncmp(l, name, n) && l[n] == ' ')
			return strtol(l + n + 1, NULL, 10);
	return -1;
}

/*
 * One FUTEX_WAIT_BITSET, FUTEX_WAKE_BITSET, FUTEX_WAKE_OP and futex_waitv,
 * with bitsets other than FUTEX_BITSET_MATCH_ANY and a private word (no
 * fast path answers a shared wake), must be one WAIT2, WAKE2, WAKE_OP and
 * WAITV ioctl in the module's statistics, and no WAIT or WAKE.
 */
static void check_module_stats(uint32_t *word, uint32_t *word2)
{
	static const char *const name[] = {
		"calls_wait2", "calls_wake2", "calls_wake_op", "calls_waitv",
		"calls_wait", "calls_wake",
	};
	static char before[4096], after[4096];
	static struct futex_waitv v[1];
	long b, a;
	size_t i;

	if (t_read_file(STATS, before, sizeof(before)) <= 0) {
		t_log("[module] no %s: the ioctls not counted", STATS);
		return;
	}
	*word = 1;
	FX_ERR(fx(word, FUTEX_WAIT_BITSET, 0, NULL, NULL, 6), EAGAIN);
	FX_OK(fx(word, FUTEX_WAKE_BITSET, 1, NULL, NULL, 6), 0);
	FX_OK(fx(word, FUTEX_WAKE_OP, 1, VAL2(1), word2,
		 FUTEX_OP(FUTEX_OP_ADD, 1, FUTEX_OP_CMP_EQ, 0)), 0);
	waitv_set(v, 0, word, FUTEX_32);
	v[0].val = 0;
	FX_ERR(fxv(v, 1, 0, NULL, 0), EAGAIN);
	CHECK(t_read_file(STATS, after, sizeof(after)) > 0, "cannot read %s",
	      STATS);
	for (i = 0; i < ARRAY_SIZE(name); i++) {
		b = stat_of(before, name[i]);
		a = stat_of(after, name[i]);
		CHECK(b >= 0 && a >= 0, "[module] %s has no %s", STATS,
		      name[i]);
		CHECK(a - b == (i < 4), "[module] %s went from %ld to %ld, expected +%d",
		      name[i], b, a, i < 4);
	}
	t_log("[module] the module counted one WAIT2, WAKE2, WAKE_OP and WAITV ioctl for them");
}

/* Under the preload: raw futex calls and libaltfutex meet on the module. */
static void check_on_module(void)
{
	uint32_t *word = &page[40], *word2 = &page[41];
	static struct futex_waitv v[1];
	struct fw *w;

	*word = 5;
	w = fw_new(W_WAIT, word, 5, FUTEX_WAIT_PRIVATE);
	fw_start(w);
	CHECK_RET(altfutex_wake(word, 1, ALTFUTEX_PRIVATE), 1);
	fw_expect(w, 0, 0);

	w = fw_new(W_ALTFUTEX, word, 5, 0);
	fw_start(w);
	FX_OK(fx(word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0), 1);
	fw_expect(w, 0, 0);

	waitv_set(v, 0, word, FUTEX_32 | FUTEX_PRIVATE_FLAG);
	w = fw_new(W_WAITV, NULL, 0, 0);
	w->v = v;
	w->nv = 1;
	fw_start(w);
	CHECK_RET(altfutex_wake(word, 1, ALTFUTEX_PRIVATE), 1);
	fw_expect(w, 0, 0);

	w = fw_new(W_WAIT_BITSET, word, 5, FUTEX_WAIT_BITSET_PRIVATE);
	w->mask = 2;
	fw_start(w);
	CHECK_RET(altfutex_wake2(word, 1, 1, ALTFUTEX_PRIVATE), 0);
	CHECK_RET(altfutex_wake2(word, 2, 1, ALTFUTEX_PRIVATE), 1);
	fw_expect(w, 0, 0);

	w = fw_new(W_ALTFUTEX2, word, 5, 0);
	w->mask = 4;
	fw_start(w);
	FX_OK(fx(word, FUTEX_WAKE_BITSET_PRIVATE, 1, NULL, NULL, 1), 0);
	FX_OK(fx(word, FUTEX_WAKE_BITSET_PRIVATE, 1, NULL, NULL, 4), 1);
	fw_expect(w, 0, 0);

	*word2 = 0;
	w = fw_new(W_ALTFUTEX, word, 5, 0);
	fw_start(w);
	FX_OK(fx(word, FUTEX_WAKE_OP_PRIVATE, 1, VAL2(1), word2,
		 FUTEX_OP(FUTEX_OP_ADD, 1, FUTEX_OP_CMP_EQ, 0)), 1);
	fw_expect(w, 0, 0);
	CHECK(*word2 == 1, "[module] FUTEX_WAKE_OP: the word is %u", *word2);
	t_log("[module] altfutex_wake() wakes FUTEX_WAIT, futex_waitv; FUTEX_WAKE altfutex_wait()");
	t_log("[module] altfutex_wake2() wakes FUTEX_WAIT_BITSET; WAKE_BITSET altfutex_wait2()");
	t_log("[module] FUTEX_WAKE_OP wakes altfutex_wait()");
	check_module_stats(word, word2);
}

/*
 * An address that nothing maps, nor will: 64 TiB, far below the mmap()
 * area and far above the heap.  (A page unmapped at random could be
 * taken again by a thread's stack or the waiter-count page.)
 */
static char *find_hole(void)
{
	unsigned char vec;
	char *h = (char *)(1UL << 46);

	CHECK(mincore(h, PGSZ, &vec) < 0 && errno == ENOMEM,
	      "%p is mapped", (void *)h);
	return h;
}

static void run_checks(void)
{
	page = t_map(1, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	hole = find_hole();
	check_errors();
	check_timeouts();
	check_signal(W_WAIT, 0);
	check_signal(W_WAIT, 1);
	check_wake_counts();
	check_requeue();
	check_bitsets();
	check_wake_op();
	check_waitv();
	check_signal(W_WAITV, 0);
	check_signal(W_WAITV, 1);
	check_pi();
	if (mode == MODULE)
		check_on_module();
}

/* ---- the runs under the preload ------------------------------------------ */

/* The library: $ALTFUTEX_PRELOAD_SO, or lib/ beside this program. */
static const char *preload_path(void)
{
	static char path[PATH_MAX];
	const char *env = getenv("ALTFUTEX_PRELOAD_SO");
	char exe[PATH_MAX];
	ssize_t n;

	if (env && *env)
		return realpath(env, path) ? path : NULL;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n < 0)
		return NULL;
	exe[n] = 0;
	snprintf(path, sizeof(path), "%s/lib/libaltfutex-preload.so",
		 dirname(exe));
	return access(path, R_OK) ? NULL : path;
}

/* Make /dev/altfutex unreachable in this process: a tmpfs over /dev. */
static void hide_device(void)
{
	if (unshare(CLONE_NEWNS) ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
	    mount("tmpfs", "/dev", "tmpfs", 0, "mode=0755")) {
		printf("%s: cannot hide /dev/altfutex (%s): needs root\n",
		       t_name, strerror(errno));
		_exit(T_SKIP);
	}
}

/* The line "<prefix>NAME <rest>" of @out for operation @op, or NULL. */
static const char *find_line(const char *out, const char *prefix,
			     const char *name)
{
	size_t lp = strlen(prefix), ln = strlen(name);
	const char *l;

	for (l = out; *l; l++) {
		if (!strncmp(l, prefix, lp) && !strncmp(l + lp, name, ln) &&
		    l[lp + ln] == ' ')
			return l + lp + ln + 1;
		l = strchr(l, '\n');
		if (!l)
			break;
	}
	return NULL;
}

/* The statistics in @out against the calls the child counted. */
static void check_stats(const char *out, enum mode m)
{
	int i, n = 0;

	for (i = 0; i < NOPS; i++) {
		const char *c = find_line(out, "preload-test: calls ", op_name[i]);
		const char *s = find_line(out, "altfutex-preload: ", op_name[i]);
		unsigned long want = c ? strtoul(c, NULL, 10) : 0, mod, ker;
		int module = m == MODULE && on_module(i);

		if (!c && !s)
			continue;
		CHECK(c && s, "[%s] %s: %s but no %s line", mode_name[m],
		      op_name[i], c ? "calls" : "statistics",
		      c ? "statistics" : "calls");
		CHECK(sscanf(s, "module=%lu kernel=%lu", &mod, &ker) == 2,
		      "[%s] %s: a bad statistics line", mode_name[m], op_name[i]);
		CHECK(mod == (module ? want : 0) && ker == (module ? 0 : want),
		      "[%s] %s: module=%lu kernel=%lu for %lu calls, all expected on the %s",
		      mode_name[m], op_name[i], mod, ker, want,
		      module ? "module" : "kernel");
		n++;
	}
	CHECK(n >= 10, "[%s] only %d operations in the statistics",
	      mode_name[m], n);
	t_log("[%s] ALTFUTEX_PRELOAD_STATS: %d operations, each with the calls made, %s",
	      mode_name[m], n,
	      m == MODULE ? "on the module but for PI, FUTEX_FD, unknown" :
			    "all on the kernel");
}

/* Run this program with @m under the library at @so; check it. */
static void run_preloaded(enum mode m, const char *so)
{
	static char out[65536];
	static const char msg[] = "altfutex-preload: cannot open /dev/altfutex";
	size_t len = 0;
	int p[2], st;
	pid_t pid;
	ssize_t n;

	CHECK(!pipe2(p, O_CLOEXEC), "pipe2");
	pid = t_fork();
	if (!pid) {
		static const char self[] = "/proc/self/exe";

		dup2(p[1], STDERR_FILENO);
		if (m == KERNEL)
			hide_device();
		setenv("LD_PRELOAD", so, 1);
		setenv("ALTFUTEX_PRELOAD_STATS", "1", 1);
		execl(self, self, mode_name[m], (char *)NULL);
		_exit(T_FAIL);
	}
	close(p[1]);
	while (len < sizeof(out) - 1 &&
	       (n = read(p[0], out + len, sizeof(out) - 1 - len)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		CHECK(n > 0, "read: %s", strerror(errno));
		len += n;
	}
	out[len] = 0;
	close(p[0]);
	st = t_reap(pid);
	fputs(out, stderr);
	if (st == T_SKIP) {
		t_log("[%s] skipped", mode_name[m]);
		return;
	}
	CHECK(st == 0, "the run with %s (%s) exited with %d", so,
	      mode_name[m], st);
	if (m == KERNEL) {
		const char *l = strstr(out, msg);

		CHECK(l && !strstr(l + 1, msg),
		      "[kernel] not one line \"%s ...\" on stderr", msg);
		t_log("[kernel] the library said it cannot open the device");
	} else {
		CHECK(!strstr(out, msg), "[module] the device did not open");
	}
	check_stats(out, m);
}

int main(int argc, char **argv)
{
	const char *so;
	char wide[16];
	int i;

	if (argc > 1) {
		for (mode = NATIVE; mode <= KERNEL; mode++)
			if (!strcmp(argv[1], mode_name[mode]))
				break;
		CHECK(mode <= KERNEL, "unknown mode %s", argv[1]);
		t_init(mode == MODULE ? "preload[module]" : "preload[kernel]",
		       100);
		wide_errno = atoi(getenv(WIDE_ENV) ? getenv(WIDE_ENV) : "0");
		run_checks();
		/* what the statistics must say, for the parent */
		for (i = 0; i < NOPS; i++)
			if (calls[i])
				fprintf(stderr, "preload-test: calls %s %lu\n",
					op_name[i], calls[i]);
		return T_PASS;
	}
	t_init("preload", 240);
	mode = NATIVE;
	run_checks();
	snprintf(wide, sizeof(wide), "%d", wide_errno);
	setenv(WIDE_ENV, wide, 1);
	so = preload_path();
	if (!so)
		t_skip("no lib/libaltfutex-preload.so here, no $ALTFUTEX_PRELOAD_SO");
	if (access("/dev/altfutex", R_OK | W_OK))
		t_skip("no /dev/altfutex: the module is not loaded");
	run_preloaded(MODULE, so);
	run_preloaded(KERNEL, so);
	mode = NATIVE;
	t_log("native, on the module and without the device: all as futex(2)");
	return T_PASS;
}
