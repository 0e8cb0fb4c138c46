// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * fuzz: a seeded, time-bounded fuzzer of /dev/altfutex.
 *
 *   fuzz [SEED]
 *
 * Environment:
 *   ALTFUTEX_FUZZ_SEED=N        the seed when none is given (default: the
 *                               time); always printed first, for a replay
 *   ALTFUTEX_FUZZ_SECONDS=N     how long to run (default 20, times
 *                               ALTFUTEX_TEST_SCALE)
 *   ALTFUTEX_FUZZ_PROCS=N       worker processes (default 4 to 6, seeded)
 *   ALTFUTEX_FUZZ_THREADS=N     threads per worker (default 2 to 4, seeded)
 *   ALTFUTEX_FUZZ_NO_UMOUNT=1   never let a tmpfs go (umount, MNT_DETACH,
 *                               or its mount namespace ending) while an fd
 *                               waiter or a wait on one of its words lives
 *   ALTFUTEX_FUZZ_NO_TIMENS=1   no timed waits from inside a time namespace
 *
 * Worker processes, each with a few threads, hammer the raw ioctls with
 * random and boundary arguments (ioctl numbers, sizes, flags, counts,
 * timespecs, word sizes, masks, WAKE_OP operations, word and argument
 * addresses of every bad kind), on a small
 * pool of words so that real waits meet real wakes, mixed with what
 * changes the memory and the descriptors under them: fork, exec, exit,
 * SIGKILL, close of the device and of fd waiters, munmap, mremap,
 * madvise, mprotect, ftruncate, SCM_RIGHTS (with fds left in flight),
 * epoll, SIGIO, user, mount and time namespaces, and umount of a tmpfs
 * holding words.
 *
 * The main oracle is the kernel log (the harness fails a test during which
 * the kernel logged a WARN, BUG, lockdep or KASAN report) and the absence
 * of hangs: every blocking call is bounded (a timeout of at most 50 ms, or
 * a per-thread timer signal), and the parent checks that no call stays in
 * the kernel for more than 10 s (times ALTFUTEX_TEST_SCALE).  In user
 * space it also checks what the ABI promises: only documented errnos,
 * exact errnos where the arguments decide (-EINVAL, -EFAULT, -ENOTTY),
 * counts within bounds, fds with O_CLOEXEC, a read of 8 bytes that says 1,
 * and no -ETIMEDOUT before the deadline.
 *
 * Each thread's sequence of operations follows from the seed; what the
 * threads do to each other does not, so a replay repeats the mix, not the
 * interleaving.  Exit status: 0, 1 on a failed check or a hang, 77 if
 * /dev/altfutex does not exist.
 */
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <dirent.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>

#include <linux/altfutex.h>

#include "helpers.h"

#ifndef MADV_COLD
#define MADV_COLD 20
#endif
#ifndef sigev_notify_thread_id
#define sigev_notify_thread_id _sigev_un._tid
#endif

#define MAX_WORKERS	8
#define MAX_THREADS	8
#define MAX_SLOTS	512
#define MAX_FDS		48
#define NDEV		2	/* /dev/altfutex descriptors per worker */
#define NV		6	/* victim pages, and as many alternates */
#define GMF_PAGES	4
#define WAIT_MAX_NS	(50 * NSEC_PER_MSEC)
#define HANG_S		10	/* an op longer than this (scaled) hangs */
#define CHILD_HANG_S	40	/* an op that waits for a child */

enum kind {
	K_WAIT, K_WAKE, K_REQUEUE, K_CMP_REQUEUE, K_FD, K_REARM, K_FD_READ,
	K_POLL, K_EPOLL, K_FD_CLOSE, K_IOCTL_FDW, K_STORE, K_BAD_CMD,
	K_BAD_ARGP, K_DEV_CLOSE, K_SCM, K_FORK, K_EXEC, K_KILL, K_WORKER_KILL,
	K_MUNMAP, K_MREMAP, K_MADVISE, K_MPROTECT, K_FTRUNCATE, K_SIGIO,
	K_NS, K_UMOUNT_LIVE, K_TIMENS, K_NS_SKIP, K_WAIT2, K_WAKE2,
	K_WAKE_OP, K_NR
};

static const char *const kind_name[K_NR] = {
	[K_WAIT] = "wait", [K_WAKE] = "wake", [K_REQUEUE] = "requeue",
	[K_CMP_REQUEUE] = "cmp_requeue", [K_FD] = "fd",
	[K_REARM] = "fd_rearm", [K_FD_READ] = "fd_read", [K_POLL] = "poll",
	[K_EPOLL] = "epoll_wait", [K_FD_CLOSE] = "fd_close",
	[K_IOCTL_FDW] = "ioctl_on_fd_waiter", [K_STORE] = "store",
	[K_BAD_CMD] = "bad_cmd", [K_BAD_ARGP] = "bad_argp",
	[K_DEV_CLOSE] = "dev_close", [K_SCM] = "scm_rights",
	[K_FORK] = "fork", [K_EXEC] = "exec", [K_KILL] = "kill_waiter",
	[K_WORKER_KILL] = "kill_worker", [K_MUNMAP] = "munmap",
	[K_MREMAP] = "mremap", [K_MADVISE] = "madvise",
	[K_MPROTECT] = "mprotect", [K_FTRUNCATE] = "ftruncate",
	[K_SIGIO] = "sigio_received", [K_NS] = "userns_tmpfs",
	[K_UMOUNT_LIVE] = "umount_live", [K_TIMENS] = "timens",
	[K_NS_SKIP] = "ns_skipped", [K_WAIT2] = "wait2", [K_WAKE2] = "wake2",
	[K_WAKE_OP] = "wake_op",
};

/*
 * What the parent watches: one slot per thread of every process of the
 * run, in shared memory.  A thread bumps seq and sets kind (+1) when an
 * operation starts, clears kind when it ends; the parent calls a slot
 * whose seq has not moved for limit_s seconds, while kind is set and the
 * thread lives, a hang.
 */
struct slot {
	int tid;		/* 0: free; claimed by compare-and-swap */
	int pid;		/* 0 until the claim is complete */
	unsigned int seq;
	int kind;		/* enum kind + 1 while in an operation */
	int limit_s;
	int pad;
	uint64_t a0, a1;	/* what the operation works on */
};

/* Shared by every process of the run, exec'd ones too (a memfd). */
struct shared {
	uint64_t seed;
	int64_t start;		/* CLOCK_REALTIME: a time namespace's is off */
	int stop;
	int failed;
	uint64_t calls[K_NR];
	uint64_t errors[K_NR];
	char msg[1024];
	struct slot slots[MAX_SLOTS];
};

static size_t pg;
static struct shared *sh;
static size_t sh_size;		/* page-rounded size of struct shared */
static uint32_t *swords;	/* 2 pages of the state memfd: shared keys */
static uint32_t *gsh;		/* 2 pages MAP_SHARED|MAP_ANONYMOUS */
static uint32_t *gmf;		/* GMF_PAGES of a memfd that workers truncate */
static int state_fd = -1, gmf_fd = -1;
static int gsock[2] = { -1, -1 };	/* fd waiters in flight between workers */
static char *bad_page;		/* PROT_NONE */
static char *hole;		/* unmapped at start: someone may map it later */
static int no_umount, no_timens;
static int in_child;		/* a fork child: no worker locks (see do_fork) */

/* ---- random numbers --------------------------------------------------- */

struct rng {
	uint64_t s;
};

static uint64_t mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* splitmix64: tiny, and any seed is a good one */
static uint64_t rnd64(struct rng *r)
{
	r->s += 0x9e3779b97f4a7c15ULL;
	return mix64(r->s);
}

static uint32_t rnd(struct rng *r, uint32_t n)
{
	return n ? (uint32_t)(((rnd64(r) >> 32) * n) >> 32) : 0;
}

static int chance(struct rng *r, unsigned int pct)
{
	return rnd(r, 100) < pct;
}

/* ---- failures --------------------------------------------------------- */

static void stop_all(void)
{
	__atomic_store_n(&sh->stop, 1, __ATOMIC_SEQ_CST);
}

static int stopping(void)
{
	return __atomic_load_n(&sh->stop, __ATOMIC_RELAXED);
}

/*
 * A check failed: say so with the seed, keep the first message for the
 * summary, and stop the run (the processes finish their bounded calls).
 */
static void fz_fail(const char *fmt, ...)
{
	char buf[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fprintf(stderr, "fuzz: FAIL (seed %llu, %.1f s, pid %d tid %d): %s\n",
		(unsigned long long)sh->seed,
		(double)(t_now_ns(CLOCK_REALTIME) - sh->start) / 1e9,
		getpid(), t_gettid(), buf);
	if (!__atomic_exchange_n(&sh->failed, 1, __ATOMIC_SEQ_CST))
		snprintf(sh->msg, sizeof(sh->msg), "%s", buf);
	stop_all();
}

/* ---- per-thread state, slots, the interrupt timer --------------------- */

struct thr {
	int idx;
	struct rng r;
	struct slot *slot;
	timer_t timer;
	int has_timer;
	char *argpage;		/* a RW page followed by a PROT_NONE page */
	char *argrw, *argro;	/* one place, seen RW and read-only */
};

static struct slot *slot_claim(void)
{
	int tid = t_gettid();
	int i;

	for (i = 0; i < MAX_SLOTS; i++) {
		struct slot *s = &sh->slots[i];
		int zero = 0;

		if (__atomic_compare_exchange_n(&s->tid, &zero, tid, 0,
						__ATOMIC_SEQ_CST,
						__ATOMIC_SEQ_CST)) {
			s->kind = 0;
			__atomic_store_n(&s->pid, getpid(), __ATOMIC_SEQ_CST);
			return s;
		}
	}
	return NULL;	/* unsupervised; the global watchdog still is there */
}

static void slot_release(struct slot *s)
{
	if (!s)
		return;
	__atomic_store_n(&s->kind, 0, __ATOMIC_SEQ_CST);
	__atomic_store_n(&s->pid, 0, __ATOMIC_SEQ_CST);
	__atomic_store_n(&s->tid, 0, __ATOMIC_SEQ_CST);
}

static void op_begin(struct thr *t, int kind, uint64_t a0, uint64_t a1,
		     int limit_s)
{
	struct slot *s = t->slot;

	__atomic_add_fetch(&sh->calls[kind], 1, __ATOMIC_RELAXED);
	if (!s)
		return;
	s->a0 = a0;
	s->a1 = a1;
	s->limit_s = limit_s;
	__atomic_add_fetch(&s->seq, 1, __ATOMIC_SEQ_CST);
	__atomic_store_n(&s->kind, kind + 1, __ATOMIC_SEQ_CST);
}

static void op_end(struct thr *t)
{
	if (t->slot)
		__atomic_store_n(&t->slot->kind, 0, __ATOMIC_SEQ_CST);
}

static void op_error(int kind)
{
	__atomic_add_fetch(&sh->errors[kind], 1, __ATOMIC_RELAXED);
}

/*
 * Calls that may block for good (a wait without a timeout, or with one too
 * long, a blocking read) are bounded by a timer that sends this thread
 * SIGUSR1 (no SA_RESTART) after 60 ms and every 20 ms after that, until
 * disarmed: one of them lands while the thread sleeps, and the call
 * returns -EINTR.
 */
static void irq_timer_init(struct thr *t)
{
	struct sigevent sev = { 0 };

	sev.sigev_notify = SIGEV_THREAD_ID;
	sev.sigev_signo = SIGUSR1;
	sev.sigev_notify_thread_id = t_gettid();
	t->has_timer = !timer_create(CLOCK_MONOTONIC, &sev, &t->timer);
}

static void irq_timer_arm(struct thr *t, int on)
{
	struct itimerspec its = { 0 };

	if (!t->has_timer)
		return;
	if (on) {
		its.it_value.tv_nsec = 60 * NSEC_PER_MSEC;
		its.it_interval.tv_nsec = 20 * NSEC_PER_MSEC;
	}
	timer_settime(t->timer, 0, &its, NULL);
}

/* A thread's own page for arguments, followed by a PROT_NONE page. */
static void argpage_init(struct thr *t)
{
	t->argpage = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (t->argpage == MAP_FAILED) {
		fz_fail("mmap: %s", strerror(errno));
		exit(T_FAIL);
	}
	mprotect(t->argpage + pg, pg, PROT_NONE);
}

static void thr_init(struct thr *t, uint64_t seed, int idx)
{
	memset(t, 0, sizeof(*t));
	t->idx = idx;
	t->r.s = mix64(seed ^ (0x1234567ULL * (idx + 1)));
	t->slot = slot_claim();
	irq_timer_init(t);
	argpage_init(t);
}

static void thr_fini(struct thr *t)
{
	if (t->has_timer)
		timer_delete(t->timer);
	munmap(t->argpage, 2 * pg);
	slot_release(t->slot);
	t->slot = NULL;
}

/* ---- touching words that may vanish ----------------------------------- */

/*
 * Other threads unmap, truncate and protect the memory our words live in,
 * so a load or store of our own may fault: SIGSEGV and SIGBUS jump back
 * out of it (SA_NODEFER, so no signal mask to restore).  A fault outside
 * such a guard is a bug of ours and kills the process, which the parent
 * reports.
 */
struct guard {
	sigjmp_buf jb;
};

static __thread struct guard *guard;

static void fault_handler(int sig, siginfo_t *si, void *uc)
{
	struct sigaction sa = { .sa_handler = SIG_DFL };

	if (guard)
		siglongjmp(guard->jb, 1);
	sigaction(sig, &sa, NULL);	/* the fault happens again: die */
}

static void noop_handler(int sig)
{
}

static void sigio_handler(int sig)
{
	__atomic_add_fetch(&sh->calls[K_SIGIO], 1, __ATOMIC_RELAXED);
}

static void setup_signals(void)
{
	struct sigaction sa = { 0 };

	sa.sa_sigaction = fault_handler;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = noop_handler;	/* no SA_RESTART: the call ends */
	sigaction(SIGUSR1, &sa, NULL);
	sa.sa_handler = sigio_handler;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGIO, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static int safe_load(const uint32_t *p, uint32_t *v)
{
	struct guard g;

	if (sigsetjmp(g.jb, 0)) {
		guard = NULL;
		return -1;
	}
	guard = &g;
	*v = __atomic_load_n(p, __ATOMIC_RELAXED);
	guard = NULL;
	return 0;
}

static void safe_store_raw(uint32_t *p, uint32_t v)
{
	struct guard g;

	if (sigsetjmp(g.jb, 0)) {
		guard = NULL;
		return;
	}
	guard = &g;
	__atomic_store_n(p, v, __ATOMIC_RELAXED);
	guard = NULL;
}

/* ---- the worker ------------------------------------------------------- */

enum { V_RESERVED, V_MAPPED, V_LOST };

struct wfd {
	int fd;			/* -1: free */
	unsigned int gen;
	uint32_t *uaddr;	/* the word it was created on */
};

struct worker {
	int idx, gen, nthreads;
	uint64_t seed;
	int dev[NDEV];
	pthread_mutex_t lock;		/* fds */
	struct wfd fds[MAX_FDS];
	unsigned int fdgen;
	int epfd;
	int sock[2];
	int vmf;			/* memfd behind victim pages */
	int tmpf;			/* a /dev/shm file behind others */
	char tmpname[64];
	/*
	 * The victim region: 2 * NV pages that we own; each is reserved
	 * (PROT_NONE), mapped (with some backing), or lost: after munmap
	 * or mremap left a hole that another mapping of this process took
	 * before we could reserve it again.  Our stores take vlock for
	 * reading and never touch a page that is not mapped, so that they
	 * cannot land in memory that is not ours.
	 */
	pthread_rwlock_t vlock;
	char *vbase;
	unsigned char vstate[2 * NV];
	uint32_t *priv;			/* private anonymous words */
	uint32_t *ro;			/* a read-only shared view of vmf */
	char *tail;			/* a RW page, then a PROT_NONE one */
	char *tail2;			/* a RW page, then (likely) nothing */
	char *argrw, *argro;		/* one memfd page, seen RW and RO */
};

static struct worker *W;

static int in_victim(const void *p)
{
	return W && (const char *)p >= W->vbase &&
	       (const char *)p < W->vbase + 2 * NV * pg;
}

/*
 * Store into a word of ours, if it is still ours: a page of the victim
 * region only while it is mapped (a fork child, which must not take a
 * lock another thread of its parent may have held at fork, leaves those
 * alone).
 */
static void safe_store(uint32_t *p, uint32_t v)
{
	size_t i;

	if (!in_victim(p)) {
		safe_store_raw(p, v);
		return;
	}
	if (in_child)
		return;
	i = ((char *)p - W->vbase) / pg;
	pthread_rwlock_rdlock(&W->vlock);
	if (W->vstate[i] == V_MAPPED)
		safe_store_raw(p, v);
	pthread_rwlock_unlock(&W->vlock);
}

/* ---- words and addresses ---------------------------------------------- */

enum { ADDR_USER, ADDR_KERNEL, ADDR_MAYBE };

/*
 * Non-user for sure (above the 5-level TASK_SIZE too), user for sure
 * (below the 4-level one), or it depends on the paging mode.
 */
static int addr_class(uint64_t a)
{
	if (a > 0x00fffffffffff000ULL - 4)
		return ADDR_KERNEL;
	if (a <= 0x7ffffffff000ULL - 4)
		return ADDR_USER;
	return ADDR_MAYBE;
}

static const uint64_t bad_addrs[] = {
	0, 4, 0x1000, 0x7ffffffff000ULL - 4, 0x7ffffffff000ULL,
	0x0000800000000000ULL, 0x00fffffffffff000ULL, 0x0100000000000000ULL,
	0x8000000000000000ULL, 0xdead000000000100ULL, 0xffff800000000000ULL,
	0xffff888000000000ULL, 0xffffffff81000000ULL, 0xffffffffff600000ULL,
	0xfffffffffffffffcULL,
};

static uint32_t *bad_word(struct thr *t)
{
	unsigned int c = rnd(&t->r, 7);

	if (c == 0)
		return (uint32_t *)bad_page;
	if (c == 1)
		return (uint32_t *)(hole + 4 * rnd(&t->r, pg / 4));
	if (c == 2 && W)	/* the PROT_NONE page after tail */
		return (uint32_t *)(W->tail + pg);
	if (c == 3 && W)	/* the unmapped page after tail2, most likely */
		return (uint32_t *)(W->tail2 + pg);
	return (uint32_t *)(uintptr_t)
		bad_addrs[rnd(&t->r, ARRAY_SIZE(bad_addrs))];
}

/* A word of a page: few of them, so that waits and wakes meet. */
static uint32_t *page_word(struct thr *t, void *page)
{
	static const unsigned int off[] = { 0, 4, 68, 4092 };

	return (uint32_t *)((char *)page + off[rnd(&t->r, ARRAY_SIZE(off))]);
}

static uint32_t *pick_word(struct thr *t)
{
	uint32_t *p;

	switch (rnd(&t->r, 20)) {
	case 0 ... 3:
		p = page_word(t, (char *)swords + rnd(&t->r, 2) * pg);
		break;
	case 4 ... 6:
		p = gsh ? page_word(t, (char *)gsh + rnd(&t->r, 2) * pg) :
			  page_word(t, swords);
		break;
	case 7 ... 8:
		p = page_word(t, (char *)gmf + rnd(&t->r, GMF_PAGES) * pg);
		break;
	case 9 ... 10:
		p = W ? page_word(t, W->priv) : page_word(t, swords);
		break;
	case 11 ... 14:
		p = W ? page_word(t, W->vbase + rnd(&t->r, 2 * NV) * pg) :
			page_word(t, gmf);
		break;
	case 15:
		p = W ? page_word(t, W->ro) : page_word(t, gmf);
		break;
	case 16:
		/* the last word before a PROT_NONE or an unmapped page */
		p = !W ? page_word(t, swords) :
		    (uint32_t *)((chance(&t->r, 50) ? W->tail : W->tail2) +
				 pg - 4);
		break;
	default:
		p = bad_word(t);
		break;
	}
	if (chance(&t->r, 4))
		p = (uint32_t *)((char *)p + 1 + rnd(&t->r, 3));
	return p;
}

static const int32_t nr_values[] = {
	INT_MIN, INT_MIN + 1, -2, -1, 0, 1, 1, 1, 2, 3, 8, INT_MAX - 1,
	INT_MAX,
};

static int32_t pick_nr(struct thr *t)
{
	if (chance(&t->r, 10))
		return (int32_t)rnd64(&t->r);
	return nr_values[rnd(&t->r, ARRAY_SIZE(nr_values))];
}

static uint32_t pick_flags(struct thr *t, uint32_t valid)
{
	uint32_t f = chance(&t->r, 35) ? ALTFUTEX_PRIVATE : 0;

	if (chance(&t->r, 10))
		f |= valid & (uint32_t)rnd64(&t->r);
	if (chance(&t->r, 4))
		f |= 1u << rnd(&t->r, 32);	/* perhaps an unknown bit */
	return f;
}

/* ---- argument structs ------------------------------------------------- */

enum { ARG_OK, ARG_BAD, ARG_UNKNOWN };

/*
 * Where the argument struct @a goes: mostly where it is; else at the very
 * end of a page before a PROT_NONE one, or in a read-only view (both
 * fine: the module only reads it); or straddling into the PROT_NONE page,
 * at NULL, a kernel or non-canonical address, a PROT_NONE page (-EFAULT);
 * or anywhere at all (unknown).
 */
static void *place_arg(struct thr *t, void *a, size_t len, int *cls)
{
	unsigned int c = rnd(&t->r, 100);
	size_t k;
	char *p;

	*cls = ARG_OK;
	if (c < 76)
		return a;
	if (c < 84) {
		p = t->argpage + pg - len;
		memcpy(p, a, len);
		return p;
	}
	if (c < 88 && t->argro) {
		memcpy(t->argrw, a, len);
		return t->argro;
	}
	*cls = ARG_BAD;
	if (c < 93) {
		k = 1 + rnd(&t->r, len - 1);
		p = t->argpage + pg - len + k;
		memcpy(p, a, len - k);
		return p;
	}
	if (c < 98) {
		switch (rnd(&t->r, 4)) {
		case 0:
			return bad_page + rnd(&t->r, pg - len);
		case 1:
			return t->argpage + pg;
		default:
			p = (char *)(uintptr_t)
				bad_addrs[rnd(&t->r, ARRAY_SIZE(bad_addrs))];
			if (addr_class((uintptr_t)p) == ADDR_MAYBE ||
			    (uintptr_t)p >= 0x7ffffffff000ULL - len)
				*cls = ARG_UNKNOWN;
			return p;
		}
	}
	*cls = ARG_UNKNOWN;
	return (void *)(uintptr_t)(rnd64(&t->r) &
				   (chance(&t->r, 50) ? 0x7fffffffffffULL :
							~0ULL));
}

/* ioctl(2), with junk in the upper half of the number at times: ignored */
static long xioctl(struct thr *t, int fd, unsigned int cmd, void *arg)
{
	unsigned long c = cmd;
	long r;

	if (chance(&t->r, 3))
		c |= (unsigned long)rnd64(&t->r) << 32;
	r = syscall(SYS_ioctl, fd, c, arg);
	return r < 0 ? -errno : r;
}

static int child_dev = -1;	/* an exec'd child's /dev/altfutex */

static int dev_fd(struct thr *t)
{
	return W ? W->dev[rnd(&t->r, NDEV)] : child_dev;
}

/* ---- the user-space oracle -------------------------------------------- */

struct call {
	int kind;
	unsigned int cmd;
	const void *argp;
	int argcls;
	uint64_t uaddr, uaddr2;
	uint32_t flags, val;
	int64_t n1, n2, sec, nsec;
};

/* The errnos the ABI documents for each call (README, API) */
static const int wait_errs[] = {
	EAGAIN, ETIMEDOUT, EINTR, EFAULT, EINVAL, 0
};

static const int wake_errs[] = { EFAULT, EINVAL, 0 };

static const int cmp_errs[] = { EAGAIN, EFAULT, EINVAL, 0 };

static const int wake_op_errs[] = { EFAULT, EINVAL, ENOMEM, 0 };

static const int fd_errs[] = { EAGAIN, EFAULT, EINVAL, EMFILE, ENOMEM, 0 };

static const int rearm_errs[] = {
	EAGAIN, EBUSY, EBADF, EINVAL, EFAULT, 0
};

static int in_list(int e, const int *l)
{
	for (; *l; l++)
		if (*l == e)
			return 1;
	return 0;
}

static void call_fail(const struct call *c, long ret, const char *why)
{
	char args[256];

	snprintf(args, sizeof(args),
		 "cmd %#x argp %p uaddr %#llx uaddr2 %#llx flags %#x val %u",
		 c->cmd, c->argp, (unsigned long long)c->uaddr,
		 (unsigned long long)c->uaddr2, c->flags, c->val);
	fz_fail("%s: %s n %lld/%lld timeout %lld.%09lld: %ld (%s): %s",
		kind_name[c->kind], args, (long long)c->n1, (long long)c->n2,
		(long long)c->sec, (long long)c->nsec, ret,
		ret < 0 ? strerror((int)-ret) : "ok", why);
}

/*
 * @must: errnos (0-terminated) one of which the call had to fail with, or
 * NULL; @doc: the errnos the ABI documents for it; @max: the largest
 * success value (< 0: any).  A bad argument pointer can only be -EFAULT.
 */
static void check(const struct call *c, long ret, const int *must,
		  const int *doc, long max)
{
	static const int efault[] = { EFAULT, 0 };

	if (ret < 0)
		op_error(c->kind);
	if (c->argcls == ARG_BAD)
		must = efault;
	if (c->argcls == ARG_UNKNOWN) {
		must = NULL;
		max = -1;
	}
	if (must) {
		if (ret >= 0 || !in_list((int)-ret, must))
			call_fail(c, ret,
				  "not the errno its arguments call for");
		return;
	}
	if (ret < 0 && !in_list((int)-ret, doc))
		call_fail(c, ret, "an errno the ABI does not document for this call");
	if (ret >= 0 && max >= 0 && ret > max)
		call_fail(c, ret, "more than the call may return");
}

/* The errnos bad arguments decide, into @m (room for 3 and the 0). */
static const int *must_list(int *m, int einval, uint64_t a1, uint64_t a2)
{
	int n = 0;

	if (einval)
		m[n++] = EINVAL;
	if (addr_class(a1) == ADDR_KERNEL || addr_class(a2) == ADDR_KERNEL) {
		m[n++] = EFAULT;
	} else if (einval && (addr_class(a1) == ADDR_MAYBE ||
			      addr_class(a2) == ADDR_MAYBE)) {
		m[n++] = EFAULT;
	}
	m[n] = 0;
	return n ? m : NULL;
}

/* ---- the fd waiter table ---------------------------------------------- */

static void fdw_add(int fd, uint32_t *uaddr)
{
	int i;

	pthread_mutex_lock(&W->lock);
	for (i = 0; i < MAX_FDS; i++)
		if (W->fds[i].fd < 0)
			break;
	if (i == MAX_FDS) {
		/* full: the oldest entry goes (closed while others use it) */
		i = (int)(W->fdgen % MAX_FDS);
		close(W->fds[i].fd);
	}
	W->fds[i].fd = fd;
	W->fds[i].gen = ++W->fdgen;
	W->fds[i].uaddr = uaddr;
	pthread_mutex_unlock(&W->lock);
}

/* A snapshot of a random entry: fd, gen and word; -1 if none. */
static int fdw_pick(struct thr *t, struct wfd *out)
{
	int i, n;

	if (in_child) {		/* a lock-free look at what fork copied */
		for (n = 0; n < 8; n++) {
			*out = W->fds[rnd(&t->r, MAX_FDS)];
			if (out->fd >= 0)
				return 0;
		}
		return -1;
	}
	pthread_mutex_lock(&W->lock);
	for (n = 0; n < 8; n++) {
		i = (int)rnd(&t->r, MAX_FDS);
		if (W->fds[i].fd >= 0) {
			*out = W->fds[i];
			pthread_mutex_unlock(&W->lock);
			return 0;
		}
	}
	pthread_mutex_unlock(&W->lock);
	return -1;
}

/* Is @e still in the table?  If not, its fd number may be another file. */
static int fdw_same(const struct wfd *e)
{
	int i, same = 0;

	if (in_child)
		return 1;
	pthread_mutex_lock(&W->lock);
	for (i = 0; i < MAX_FDS; i++)
		if (W->fds[i].fd == e->fd && W->fds[i].gen == e->gen)
			same = 1;
	pthread_mutex_unlock(&W->lock);
	return same;
}

static void fdw_close_random(struct thr *t)
{
	int i, n;

	pthread_mutex_lock(&W->lock);
	for (n = 0; n < 8; n++) {
		i = (int)rnd(&t->r, MAX_FDS);
		if (W->fds[i].fd >= 0) {
			close(W->fds[i].fd);
			W->fds[i].fd = -1;
			break;
		}
	}
	pthread_mutex_unlock(&W->lock);
}

/* ---- the ioctls ------------------------------------------------------- */

static int64_t now_ns(clockid_t clk)
{
	return t_now_ns(clk);
}

/* A value for a wait: mostly the word's own, so that the waiter sleeps. */
static uint32_t pick_val(struct thr *t, const uint32_t *p)
{
	uint32_t v;

	/* no load from a kernel address: the kernel logs some of those */
	if (addr_class((uintptr_t)p) != ADDR_USER || safe_load(p, &v) ||
	    chance(&t->r, 8))
		return (uint32_t)rnd64(&t->r);
	return v;
}

static const int64_t sec_values[] = {
	-1, INT64_MIN, INT64_MAX, 1LL << 62, 0, 1, 0x7fffffffLL, 0x80000000LL,
};

static const int64_t nsec_values[] = {
	-1, NSEC_PER_SEC, NSEC_PER_SEC - 1, INT64_MIN, INT64_MAX, 0, 1,
};

/*
 * Fill in the timeout of a wait.  Return 1 if the wait is bounded by its
 * own timeout (at most 50 ms from now), and then *@clk and *@deadline
 * (absolute) or *@rel (relative) to check an -ETIMEDOUT against.
 */
static int pick_timeout(struct thr *t, struct altfutex_wait_args *a,
			clockid_t *clk, int64_t *deadline, int64_t *rel)
{
	int64_t d = (int64_t)rnd(&t->r, WAIT_MAX_NS);
	uint32_t tf = a->flags & ~(ALTFUTEX_TIMEOUT | ALTFUTEX_ABSTIME |
				   ALTFUTEX_CLOCK_REALTIME);

	*deadline = 0;
	*rel = -1;
	switch (rnd(&t->r, 12)) {
	case 0 ... 3:
		a->flags = tf | ALTFUTEX_TIMEOUT;
		if (chance(&t->r, 20))
			a->flags |= ALTFUTEX_CLOCK_REALTIME;
		a->timeout.tv_nsec = d;
		*rel = d;
		return 1;
	case 4 ... 5:
		a->flags = tf | ALTFUTEX_TIMEOUT | ALTFUTEX_ABSTIME;
		*clk = CLOCK_MONOTONIC;
		break;
	case 6:
		a->flags = tf | ALTFUTEX_TIMEOUT | ALTFUTEX_ABSTIME |
			   ALTFUTEX_CLOCK_REALTIME;
		*clk = CLOCK_REALTIME;
		break;
	case 7:	/* long past */
		a->flags = tf | ALTFUTEX_TIMEOUT | ALTFUTEX_ABSTIME;
		a->timeout.tv_sec = rnd(&t->r, 2);
		a->timeout.tv_nsec = rnd(&t->r, NSEC_PER_SEC);
		*clk = CLOCK_MONOTONIC;
		*deadline = a->timeout.tv_sec * NSEC_PER_SEC +
			    a->timeout.tv_nsec;
		return 1;
	case 8:	/* none: the interrupt timer ends it */
		a->flags = tf | (a->flags & (ALTFUTEX_ABSTIME |
					     ALTFUTEX_CLOCK_REALTIME));
		return 0;
	case 9:	/* timeout fields without ALTFUTEX_TIMEOUT: -EINVAL */
		a->flags = tf;
		a->timeout.tv_sec = sec_values[rnd(&t->r,
						   ARRAY_SIZE(sec_values))];
		a->timeout.tv_nsec = nsec_values[rnd(&t->r,
						     ARRAY_SIZE(nsec_values))];
		return 0;
	default:	/* boundary values, with ALTFUTEX_TIMEOUT */
		a->flags |= ALTFUTEX_TIMEOUT;
		a->timeout.tv_sec = sec_values[rnd(&t->r,
						   ARRAY_SIZE(sec_values))];
		a->timeout.tv_nsec = nsec_values[rnd(&t->r,
						     ARRAY_SIZE(nsec_values))];
		return 0;
	}
	*deadline = now_ns(*clk) + d;
	a->timeout.tv_sec = *deadline / NSEC_PER_SEC;
	a->timeout.tv_nsec = *deadline % NSEC_PER_SEC;
	return 1;
}

/*
 * What do_wait() and do_wait2() share once their arguments are picked: the
 * timeout's own -EINVAL cases (added to @einval, what the rest of the
 * arguments make), the call with its argument @arg (@size bytes, its
 * timeout @ts) placed where place_arg() puts it, the check of its result,
 * and for a bounded wait that timed out, that it did not do so early.
 */
static void wait_call(struct thr *t, struct call *c, void *arg,
		      size_t size, const struct altfutex_timespec *ts,
		      int einval, int bounded, clockid_t clk, int64_t deadline,
		      int64_t rel)
{
	int64_t t0, t1;
	int m[4];
	long ret;

	if (c->flags & ALTFUTEX_TIMEOUT)
		einval |= ts->tv_sec < 0 || ts->tv_nsec < 0 ||
			  ts->tv_nsec >= NSEC_PER_SEC;
	else
		einval |= ts->tv_sec || ts->tv_nsec;
	c->sec = ts->tv_sec;
	c->nsec = ts->tv_nsec;
	c->argp = place_arg(t, arg, size, &c->argcls);
	if (c->argcls != ARG_OK)
		bounded = 0;

	op_begin(t, c->kind, c->uaddr, c->flags, HANG_S);
	if (!bounded)
		irq_timer_arm(t, 1);
	t0 = now_ns(CLOCK_MONOTONIC);
	ret = xioctl(t, dev_fd(t), c->cmd, (void *)c->argp);
	t1 = now_ns(rel >= 0 ? CLOCK_MONOTONIC : clk);
	if (!bounded)
		irq_timer_arm(t, 0);
	op_end(t);

	check(c, ret, must_list(m, einval, c->uaddr, 0), wait_errs, 0);
	if (ret != -ETIMEDOUT || !bounded || c->argcls != ARG_OK)
		return;
	if (rel >= 0 && t1 - t0 < rel)
		call_fail(c, ret, "timed out before its relative timeout");
	if (rel < 0 && t1 < deadline)
		call_fail(c, ret, "timed out before its absolute deadline");
}

static void do_wait(struct thr *t)
{
	struct altfutex_wait_args a = { 0 };
	int64_t deadline, rel;
	clockid_t clk = CLOCK_MONOTONIC;
	int bounded, einval;
	struct call c = { .kind = K_WAIT, .cmd = ALTFUTEX_IOC_WAIT };
	uint32_t *p = pick_word(t);

	a.uaddr = (uintptr_t)p;
	a.val = pick_val(t, p);
	a.flags = pick_flags(t, ALTFUTEX_FLAGS_MASK);
	bounded = pick_timeout(t, &a, &clk, &deadline, &rel);
	einval = (a.flags & ~(ALTFUTEX_FLAGS_MASK | ALTFUTEX_TIMEOUT)) ||
		 (a.uaddr & 3);
	c.uaddr = a.uaddr;
	c.flags = a.flags;
	c.val = a.val;
	wait_call(t, &c, &a, sizeof(a), &a.timeout, einval, bounded, clk,
		  deadline, rel);
}

static void do_wake(struct thr *t)
{
	struct altfutex_wake_args a = { 0 };
	struct call c = { .kind = K_WAKE, .cmd = ALTFUTEX_IOC_WAKE };
	int m[4], einval;
	long ret;

	a.uaddr = (uintptr_t)pick_word(t);
	a.nr_wake = pick_nr(t);
	a.flags = pick_flags(t, ALTFUTEX_PRIVATE);
	einval = (a.flags & ~ALTFUTEX_PRIVATE) || (a.uaddr & 3);
	c.uaddr = a.uaddr;
	c.flags = a.flags;
	c.n1 = a.nr_wake;
	c.argp = place_arg(t, &a, sizeof(a), &c.argcls);
	op_begin(t, K_WAKE, a.uaddr, a.nr_wake, HANG_S);
	ret = xioctl(t, dev_fd(t), c.cmd, (void *)c.argp);
	op_end(t);
	check(&c, ret, must_list(m, einval, a.uaddr, 0), wake_errs,
	      a.nr_wake > 0 ? a.nr_wake : 0);
}

static void do_requeue(struct thr *t, int cmp)
{
	struct altfutex_requeue_args a = { 0 };
	struct call c = { .kind = cmp ? K_CMP_REQUEUE : K_REQUEUE };
	uint32_t *p = pick_word(t);
	int m[4], einval;
	long ret, max;

	c.cmd = cmp ? ALTFUTEX_IOC_CMP_REQUEUE : ALTFUTEX_IOC_REQUEUE;
	a.uaddr = (uintptr_t)p;
	a.uaddr2 = chance(&t->r, 15) ? a.uaddr : (uintptr_t)pick_word(t);
	a.nr_wake = chance(&t->r, 60) ? (int32_t)rnd(&t->r, 3) : pick_nr(t);
	a.nr_requeue = chance(&t->r, 60) ? (int32_t)rnd(&t->r, 4) :
					    pick_nr(t);
	if (cmp)
		a.val = pick_val(t, p);
	else if (chance(&t->r, 5))
		a.val = (uint32_t)rnd64(&t->r);
	a.flags = pick_flags(t, ALTFUTEX_PRIVATE);
	einval = (a.flags & ~ALTFUTEX_PRIVATE) || (a.uaddr & 3) ||
		 (a.uaddr2 & 3) || a.nr_wake < 0 || a.nr_requeue < 0 ||
		 (!cmp && a.val);
	c.uaddr = a.uaddr;
	c.uaddr2 = a.uaddr2;
	c.flags = a.flags;
	c.val = a.val;
	c.n1 = a.nr_wake;
	c.n2 = a.nr_requeue;
	c.argp = place_arg(t, &a, sizeof(a), &c.argcls);
	op_begin(t, c.kind, a.uaddr, a.uaddr2, HANG_S);
	ret = xioctl(t, dev_fd(t), c.cmd, (void *)c.argp);
	op_end(t);
	max = (long)(a.nr_wake > 0 ? a.nr_wake : 0) +
	      (a.nr_requeue > 0 ? a.nr_requeue : 0);
	check(&c, ret, must_list(m, einval, a.uaddr, a.uaddr2),
	      cmp ? cmp_errs : wake_errs, max);
}

/* What to do with a new fd waiter: SIGIO, O_NONBLOCK, epoll. */
static void fd_setup(struct thr *t, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct f_owner_ex own;

	if (chance(&t->r, 25)) {
		if (chance(&t->r, 50)) {
			fcntl(fd, F_SETOWN, getpid());
		} else {
			own.type = F_OWNER_TID;
			own.pid = t_gettid();
			fcntl(fd, F_SETOWN_EX, &own);
		}
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_ASYNC);
	}
	if (chance(&t->r, 50))
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	if (!in_child && chance(&t->r, 40)) {
		if (chance(&t->r, 30))
			ev.events |= EPOLLET;
		if (chance(&t->r, 20))
			ev.events |= EPOLLONESHOT;
		ev.data.fd = fd;
		epoll_ctl(W->epfd, EPOLL_CTL_ADD, fd, &ev);
	}
}

/* Create an fd waiter; return it (the caller keeps it) or -1. */
static int fd_create(struct thr *t, int dev, uint32_t **wordp)
{
	struct altfutex_fd_args a = { 0 };
	struct call c = { .kind = K_FD, .cmd = ALTFUTEX_IOC_FD };
	uint32_t *p = pick_word(t);
	int m[4], einval, fl;
	long ret;

	a.uaddr = (uintptr_t)p;
	a.val = pick_val(t, p);
	a.flags = pick_flags(t, ALTFUTEX_PRIVATE);
	einval = (a.flags & ~ALTFUTEX_PRIVATE) || (a.uaddr & 3);
	c.uaddr = a.uaddr;
	c.flags = a.flags;
	c.val = a.val;
	c.argp = place_arg(t, &a, sizeof(a), &c.argcls);
	op_begin(t, K_FD, a.uaddr, a.flags, HANG_S);
	ret = xioctl(t, dev, c.cmd, (void *)c.argp);
	op_end(t);
	check(&c, ret, must_list(m, einval, a.uaddr, 0), fd_errs, INT_MAX);
	if (ret < 0)
		return -1;
	fl = fcntl((int)ret, F_GETFD);
	if (fl < 0 || !(fl & FD_CLOEXEC))
		call_fail(&c, ret, "the new fd is not open with FD_CLOEXEC");
	*wordp = p;
	return (int)ret;
}

static void do_fd(struct thr *t)
{
	uint32_t *p;
	int fd = fd_create(t, dev_fd(t), &p);

	if (fd < 0)
		return;
	fd_setup(t, fd);
	fdw_add(fd, p);
}

/* @must: NULL, or the errno the descriptor decides */
static int rearm(struct thr *t, int fd, uint32_t val, const int *must)
{
	struct altfutex_rearm_args a = { .fd = fd, .val = val };
	struct call c = { .kind = K_REARM, .cmd = ALTFUTEX_IOC_FD_REARM };
	long ret;

	c.n1 = fd;
	c.val = val;
	c.argp = place_arg(t, &a, sizeof(a), &c.argcls);
	op_begin(t, K_REARM, (uint64_t)fd, val, HANG_S);
	ret = xioctl(t, dev_fd(t), c.cmd, (void *)c.argp);
	op_end(t);
	check(&c, ret, must, rearm_errs, 0);
	return (int)ret;
}

static void do_rearm(struct thr *t)
{
	static const int einval[] = { EINVAL, 0 }, ebadf[] = { EBADF, 0 };
	struct wfd e;

	switch (rnd(&t->r, 10)) {
	case 0:
		rearm(t, dev_fd(t), 0, einval);	/* not an fd waiter */
		return;
	case 1:
		rearm(t, W->epfd, 0, einval);
		return;
	case 2:
		rearm(t, chance(&t->r, 50) ? -1 : INT_MAX, 0, ebadf);
		return;
	default:
		if (fdw_pick(t, &e))
			return;
		rearm(t, e.fd, pick_val(t, e.uaddr), NULL);
	}
}

/* Read an fd waiter: 8 bytes that say 1, or a documented error. */
static void fd_read(struct thr *t, const struct wfd *e)
{
	static const size_t sizes[] = { 8, 8, 8, 16, 4096, 0, 4, 7 };
	static const int read_errs[] = { EAGAIN, EINTR, EINVAL, EFAULT, 0 };
	uint64_t buf[2] = { 0, 0 };
	size_t n = sizes[rnd(&t->r, ARRAY_SIZE(sizes))];
	void *b = buf;
	int bad = 0;
	ssize_t r;

	if (n > sizeof(buf))
		b = t->argpage;
	if (chance(&t->r, 8)) {
		b = chance(&t->r, 50) ? (void *)bad_page :
			(void *)(uintptr_t)bad_addrs[rnd(&t->r,
						  ARRAY_SIZE(bad_addrs))];
		bad = addr_class((uintptr_t)b) != ADDR_MAYBE;
	} else if (chance(&t->r, 5) && t->argro) {
		b = t->argro;	/* read-only: the copy-out fails */
		bad = 1;
	}
	op_begin(t, K_FD_READ, (uint64_t)e->fd, n, HANG_S);
	irq_timer_arm(t, 1);	/* a blocking read waits for a wake */
	r = read(e->fd, b, n);
	irq_timer_arm(t, 0);
	op_end(t);
	if (r < 0)
		op_error(K_FD_READ);
	if (!fdw_same(e))
		return;		/* closed meanwhile: maybe another file */
	if (r < 0 && !in_list(errno, read_errs))
		fz_fail("read(fd waiter %d, %zu bytes): %s, not documented",
			e->fd, n, strerror(errno));
	else if (r >= 0 && (r != 8 || n < 8))
		fz_fail("read(fd waiter %d, %zu bytes) returned %zd, not 8",
			e->fd, n, r);
	else if (r == 8 && b == buf && buf[0] != 1)
		fz_fail("read(fd waiter %d) gave %llu, not 1", e->fd,
			(unsigned long long)buf[0]);
	else if (r < 0 && errno == EINVAL && n >= 8)
		fz_fail("read(fd waiter %d, %zu bytes): EINVAL", e->fd, n);
	else if (r >= 0 && bad)
		fz_fail("read(fd waiter %d) into %p (bad) succeeded", e->fd, b);
}

static void do_fd_read(struct thr *t)
{
	struct wfd e;

	if (!fdw_pick(t, &e))
		fd_read(t, &e);
}

static void do_poll(struct thr *t)
{
	struct pollfd pf[4];
	struct wfd e[4];
	int i, n = 0, r;

	for (i = 0; i < 4; i++)
		if (!fdw_pick(t, &e[n])) {
			pf[n].fd = e[n].fd;
			pf[n].events = POLLIN;
			n++;
		}
	if (!n)
		return;
	op_begin(t, K_POLL, (uint64_t)n, 0, HANG_S);
	r = poll(pf, n, (int)rnd(&t->r, 30));
	op_end(t);
	if (r <= 0)
		return;
	for (i = 0; i < n; i++)
		if ((pf[i].revents & POLLIN) && chance(&t->r, 70))
			fd_read(t, &e[i]);
}

static void do_epoll(struct thr *t)
{
	struct epoll_event ev[8];
	int i, r;

	op_begin(t, K_EPOLL, 0, 0, HANG_S);
	r = epoll_wait(W->epfd, ev, 8, (int)rnd(&t->r, 20));
	op_end(t);
	for (i = 0; i < r; i++) {
		struct wfd e = { .fd = ev[i].data.fd };
		int j, found = 0;

		pthread_mutex_lock(&W->lock);
		for (j = 0; j < MAX_FDS; j++)
			if (W->fds[j].fd == e.fd) {
				e = W->fds[j];
				found = 1;
			}
		pthread_mutex_unlock(&W->lock);
		if (found && chance(&t->r, 70))
			fd_read(t, &e);
	}
}

static void do_fd_close(struct thr *t)
{
	op_begin(t, K_FD_CLOSE, 0, 0, HANG_S);
	fdw_close_random(t);
	op_end(t);
}

/* An fd waiter has no ioctls: -ENOTTY, whatever the number. */
static void do_ioctl_fdw(struct thr *t)
{
	static const unsigned int cmds[] = {
		ALTFUTEX_IOC_WAIT, ALTFUTEX_IOC_WAKE, ALTFUTEX_IOC_FD,
		ALTFUTEX_IOC_FD_REARM, ALTFUTEX_IOC_REQUEUE,
	};
	struct altfutex_wait_args a = { 0 };
	struct wfd e;
	long ret;

	if (fdw_pick(t, &e))
		return;
	op_begin(t, K_IOCTL_FDW, (uint64_t)e.fd, 0, HANG_S);
	ret = xioctl(t, e.fd, cmds[rnd(&t->r, ARRAY_SIZE(cmds))], &a);
	op_end(t);
	if (ret < 0)
		op_error(K_IOCTL_FDW);
	if (ret != -ENOTTY && fdw_same(&e))
		fz_fail("ioctl on fd waiter %d returned %ld, not -ENOTTY",
			e.fd, ret);
}

static void do_store(struct thr *t)
{
	uint32_t *p = pick_word(t), v;

	op_begin(t, K_STORE, (uintptr_t)p, 0, HANG_S);
	if (addr_class((uintptr_t)p) == ADDR_USER && !safe_load(p, &v))
		safe_store(p, chance(&t->r, 80) ? v + 1 :
						   (uint32_t)rnd64(&t->r));
	op_end(t);
}

/* ---- the extended API: sizes, masks, WAKE_OP ----------------------------- */

/* The bytes of a word whose flags hold @flags' size field. */
static unsigned int size_bytes(uint32_t flags)
{
	static const unsigned char bytes[4] = { 4, 1, 2, 8 };

	return bytes[(flags & ALTFUTEX_SIZE_MASK) / ALTFUTEX_SIZE_U8];
}

/* Flags of a word of the extended API: pick_flags() and mostly a size. */
static uint32_t pick_flags2(struct thr *t, uint32_t valid)
{
	uint32_t f = pick_flags(t, valid);

	if (chance(&t->r, 70))
		f = (f & ~ALTFUTEX_SIZE_MASK) |
		    rnd(&t->r, 4) * ALTFUTEX_SIZE_U8;
	return f;
}

/* A word of the size in @flags: pick_word(), moved in its u32 at times. */
static uint64_t pick_word2(struct thr *t, uint32_t flags)
{
	uint64_t a = (uintptr_t)pick_word(t);
	unsigned int b = size_bytes(flags);

	if (b < 4 && chance(&t->r, 50))
		a += b * rnd(&t->r, 4 / b);
	else if (b == 8 && chance(&t->r, 75))
		a &= ~7ULL;	/* most words of pick_word() are not */
	return a;
}

static uint32_t pick_mask(struct thr *t)
{
	switch (rnd(&t->r, 16)) {
	case 0:
		return 0;
	case 1 ... 5:
		return ALTFUTEX_BITSET_MATCH_ANY;
	case 6 ... 9:
		return 1u << rnd(&t->r, 32);
	default:
		return (uint32_t)rnd64(&t->r);
	}
}

/*
 * A value for a wait2 on the word at @a of @bytes: mostly its own (so
 * that the waiter sleeps), read from the aligned u32 (or two) holding
 * it; at times one beyond its size.
 */
static uint64_t pick_val2(struct thr *t, uint64_t a, unsigned int bytes)
{
	uint32_t *p = (uint32_t *)(uintptr_t)(a & ~3ULL);
	uint64_t v = pick_val(t, p), mask;

	if (bytes == 8)
		v |= (uint64_t)pick_val(t, p + 1) << 32;
	else if (bytes < 4)
		v >>= 8 * (a & 3);
	mask = bytes == 8 ? ~0ULL : (1ULL << (8 * bytes)) - 1;
	v &= mask;
	if (chance(&t->r, 5))
		v |= rnd64(&t->r) & ~mask;
	return v;
}

static void do_wait2(struct thr *t)
{
	struct altfutex_wait_args tw = { 0 };
	struct altfutex_wait2_args a = { 0 };
	int64_t deadline, rel;
	clockid_t clk = CLOCK_MONOTONIC;
	int bounded, einval;
	struct call c = { .kind = K_WAIT2, .cmd = ALTFUTEX_IOC_WAIT2 };
	unsigned int b;

	a.flags = pick_flags2(t, ALTFUTEX_FLAGS2_MASK);
	b = size_bytes(a.flags);
	a.uaddr = pick_word2(t, a.flags);
	a.val = pick_val2(t, a.uaddr, b);
	a.mask = pick_mask(t);
	/* the timeout as WAIT's: pick_timeout() keeps the other flags */
	tw.flags = a.flags;
	bounded = pick_timeout(t, &tw, &clk, &deadline, &rel);
	a.flags = tw.flags;
	a.timeout = tw.timeout;
	einval = (a.flags & ~(ALTFUTEX_FLAGS2_MASK | ALTFUTEX_TIMEOUT)) ||
		 (a.uaddr & (b - 1)) || !a.mask ||
		 (b < 8 && a.val >> (8 * b));
	c.uaddr = a.uaddr;
	c.flags = a.flags;
	c.val = (uint32_t)a.val;
	c.n1 = a.mask;
	c.n2 = (int64_t)(a.val >> 32);
	wait_call(t, &c, &a, sizeof(a), &a.timeout, einval, bounded, clk,
		  deadline, rel);
}

static void do_wake2(struct thr *t)
{
	struct altfutex_wake2_args a = { 0 };
	struct call c = { .kind = K_WAKE2, .cmd = ALTFUTEX_IOC_WAKE2 };
	int m[4], einval;
	long ret;

	a.flags = pick_flags2(t, ALTFUTEX_PRIVATE | ALTFUTEX_SIZE_MASK);
	a.uaddr = pick_word2(t, a.flags);
	a.mask = pick_mask(t);
	a.nr_wake = pick_nr(t);
	if (chance(&t->r, 3))
		a.reserved = (uint32_t)rnd64(&t->r) | 1;
	einval = (a.flags & ~(ALTFUTEX_PRIVATE | ALTFUTEX_SIZE_MASK)) ||
		 (a.uaddr & (size_bytes(a.flags) - 1)) || !a.mask ||
		 a.reserved;
	c.uaddr = a.uaddr;
	c.flags = a.flags;
	c.val = a.mask;
	c.n1 = a.nr_wake;
	c.n2 = a.reserved;
	c.argp = place_arg(t, &a, sizeof(a), &c.argcls);
	op_begin(t, K_WAKE2, a.uaddr, a.nr_wake, HANG_S);
	ret = xioctl(t, dev_fd(t), c.cmd, (void *)c.argp);
	op_end(t);
	check(&c, ret, must_list(m, einval, a.uaddr, 0), wake_errs,
	      a.nr_wake > 0 ? a.nr_wake : 0);
}

/*
 * A word that WAKE_OP may write: pick_word()'s, but never one of memory
 * that may have become someone else's (the hole, the page after tail2, a
 * victim page we lost, the top of the user address space), which turn
 * into the PROT_NONE page; a victim page is kept ours until the call ends
 * by holding vlock (*@locked); a fork child leaves them alone.
 */
static uint32_t *pick_word_w(struct thr *t, int *locked)
{
	uint32_t *p = pick_word(t);
	uintptr_t a = (uintptr_t)p, page = a & ~(uintptr_t)(pg - 1);
	int bad = page == (uintptr_t)hole ||
		  (W && page == (uintptr_t)(W->tail2 + pg)) ||
		  (a >= 0x7ffffffff000ULL - pg && a < 0x7ffffffff000ULL);

	*locked = 0;
	if (!bad && in_victim(p)) {
		if (in_child) {
			bad = 1;
		} else {
			pthread_rwlock_rdlock(&W->vlock);
			*locked = 1;
			bad = W->vstate[(page - (uintptr_t)W->vbase) / pg] ==
			      V_LOST;
		}
	}
	if (bad)
		p = (uint32_t *)(bad_page + (a & (pg - 1)));
	return p;
}

static void do_wake_op(struct thr *t)
{
	struct altfutex_wake_op_args a = { 0 };
	struct call c = { .kind = K_WAKE_OP, .cmd = ALTFUTEX_IOC_WAKE_OP };
	int m[5], n = 0, einval, undef, locked;
	uint32_t op;
	long ret, max;

	a.uaddr2 = (uintptr_t)pick_word_w(t, &locked);
	a.uaddr = chance(&t->r, 10) ? a.uaddr2 : (uintptr_t)pick_word(t);
	a.nr_wake = chance(&t->r, 60) ? (int32_t)rnd(&t->r, 3) : pick_nr(t);
	a.nr_wake2 = chance(&t->r, 60) ? (int32_t)rnd(&t->r, 3) : pick_nr(t);
	if (chance(&t->r, 85))	/* FUTEX_OP(op, oparg, cmp, cmparg) */
		op = rnd(&t->r, 5) << 28 |
		     (chance(&t->r, 20) ? 8u << 28 : 0) |
		     rnd(&t->r, 6) << 24 | rnd(&t->r, 1u << 24);
	else
		op = (uint32_t)rnd64(&t->r);
	a.op = op;
	a.flags = pick_flags(t, ALTFUTEX_PRIVATE);
	einval = (a.flags & ~ALTFUTEX_PRIVATE) || (a.uaddr & 3) ||
		 (a.uaddr2 & 3);
	undef = (op >> 28 & 7) > 4 || (op >> 24 & 0xf) > 5;
	/*
	 * An undefined op is -EINVAL (futex(2) says ENOSYS), like bad flags
	 * and misaligned words; whether the module looks at the words
	 * (EFAULT) before it decodes the op is its choice.
	 */
	if (einval || undef)
		m[n++] = EINVAL;
	if (undef || (einval && (addr_class(a.uaddr) != ADDR_USER ||
				 addr_class(a.uaddr2) != ADDR_USER)))
		m[n++] = EFAULT;
	else if (addr_class(a.uaddr) == ADDR_KERNEL ||
		 addr_class(a.uaddr2) == ADDR_KERNEL)
		m[n++] = EFAULT;
	m[n] = 0;
	c.uaddr = a.uaddr;
	c.uaddr2 = a.uaddr2;
	c.flags = a.flags;
	c.val = a.op;
	c.n1 = a.nr_wake;
	c.n2 = a.nr_wake2;
	c.argp = place_arg(t, &a, sizeof(a), &c.argcls);
	op_begin(t, K_WAKE_OP, a.uaddr, a.uaddr2, HANG_S);
	ret = xioctl(t, dev_fd(t), c.cmd, (void *)c.argp);
	op_end(t);
	if (locked)
		pthread_rwlock_unlock(&W->vlock);
	max = (long)(a.nr_wake > 0 ? a.nr_wake : 0) +
	      (a.nr_wake2 > 0 ? a.nr_wake2 : 0);
	check(&c, ret, n ? m : NULL, wake_op_errs, max);
}

/*
 * An ioctl number the device does not define: -ENOTTY.  Defined numbers
 * with another direction or size, other numbers of magic 0xF8, and other
 * magics (not those the VFS itself answers for every file: 0, 'T', 'X',
 * 'f', 0x94).
 */
static void do_bad_cmd(struct thr *t)
{
	static const unsigned int defined[] = {
		ALTFUTEX_IOC_WAIT, ALTFUTEX_IOC_WAKE, ALTFUTEX_IOC_REQUEUE,
		ALTFUTEX_IOC_CMP_REQUEUE, ALTFUTEX_IOC_FD,
		ALTFUTEX_IOC_FD_REARM, ALTFUTEX_IOC_WAIT2, ALTFUTEX_IOC_WAKE2,
		ALTFUTEX_IOC_WAITV, ALTFUTEX_IOC_WAKEV, ALTFUTEX_IOC_WAKE_WAIT,
		ALTFUTEX_IOC_WAKE_OP,
	};
	struct call c = { .kind = K_BAD_CMD };
	static const int enotty[] = { ENOTTY, 0 };
	unsigned int cmd, nr, size, dir, type, i;
	char buf[64] = { 0 };
	long ret;

	do {
		cmd = defined[rnd(&t->r, ARRAY_SIZE(defined))];
		nr = _IOC_NR(cmd);
		size = _IOC_SIZE(cmd);
		dir = _IOC_DIR(cmd);
		type = ALTFUTEX_IOC_MAGIC;
		switch (rnd(&t->r, 5)) {
		case 0:
			dir = rnd(&t->r, 4);
			break;
		case 1:
			size = rnd(&t->r, 2) ? size + 4 * rnd(&t->r, 3) - 4 :
					       rnd(&t->r, 1u << 14);
			break;
		case 2:
			nr = rnd(&t->r, 256);
			dir = rnd(&t->r, 4);
			size = rnd(&t->r, 64);
			break;
		case 3:
			type = rnd(&t->r, 256);
			break;
		default:
			cmd = (uint32_t)rnd64(&t->r);
			nr = _IOC_NR(cmd);
			size = _IOC_SIZE(cmd);
			dir = _IOC_DIR(cmd);
			type = _IOC_TYPE(cmd);
			break;
		}
		cmd = _IOC(dir, type, nr, size);
		for (i = 0; i < ARRAY_SIZE(defined); i++)
			if (cmd == defined[i])
				cmd = 0;
	} while (!cmd || type == 0 || type == 'T' || type == 'X' ||
		 type == 'f' || type == 0x94);
	c.cmd = cmd;
	c.argp = chance(&t->r, 50) ? (void *)buf :
		 place_arg(t, buf, sizeof(buf), &c.argcls);
	c.argcls = ARG_OK;	/* the number decides, whatever the pointer */
	op_begin(t, K_BAD_CMD, cmd, 0, HANG_S);
	ret = xioctl(t, dev_fd(t), cmd, (void *)c.argp);
	op_end(t);
	check(&c, ret, enotty, enotty, 0);
}

/* A defined number, with the argument struct at an address that is bad. */
static void do_bad_argp(struct thr *t)
{
	static const struct {
		unsigned int cmd;
		size_t len;
	} defs[] = {
		{ ALTFUTEX_IOC_WAIT, sizeof(struct altfutex_wait_args) },
		{ ALTFUTEX_IOC_WAKE, sizeof(struct altfutex_wake_args) },
		{ ALTFUTEX_IOC_REQUEUE, sizeof(struct altfutex_requeue_args) },
		{ ALTFUTEX_IOC_CMP_REQUEUE,
		  sizeof(struct altfutex_requeue_args) },
		{ ALTFUTEX_IOC_FD, sizeof(struct altfutex_fd_args) },
		{ ALTFUTEX_IOC_FD_REARM, sizeof(struct altfutex_rearm_args) },
		{ ALTFUTEX_IOC_WAIT2, sizeof(struct altfutex_wait2_args) },
		{ ALTFUTEX_IOC_WAKE2, sizeof(struct altfutex_wake2_args) },
		{ ALTFUTEX_IOC_WAITV, sizeof(struct altfutex_waitv_args) },
		{ ALTFUTEX_IOC_WAKEV, sizeof(struct altfutex_wakev_args) },
		{ ALTFUTEX_IOC_WAKE_WAIT,
		  sizeof(struct altfutex_wake_wait_args) },
		{ ALTFUTEX_IOC_WAKE_OP, sizeof(struct altfutex_wake_op_args) },
	};
	struct call c = { .kind = K_BAD_ARGP, .argcls = ARG_BAD };
	unsigned int i = rnd(&t->r, ARRAY_SIZE(defs));
	size_t k;
	long ret;

	c.cmd = defs[i].cmd;
	switch (rnd(&t->r, 5)) {
	case 0:	/* straddling the end of a page before a PROT_NONE one */
		k = 1 + rnd(&t->r, defs[i].len - 1);
		c.argp = t->argpage + pg - defs[i].len + k;
		memset(t->argpage + pg - defs[i].len + k, 0,
		       defs[i].len - k);
		break;
	case 1:
		c.argp = bad_page + rnd(&t->r, pg - defs[i].len);
		break;
	case 2:
		c.argp = NULL;
		break;
	default:
		do {
			c.argp = (void *)(uintptr_t)
				bad_addrs[rnd(&t->r, ARRAY_SIZE(bad_addrs))];
		} while (addr_class((uintptr_t)c.argp) != ADDR_KERNEL);
		break;
	}
	op_begin(t, K_BAD_ARGP, c.cmd, (uintptr_t)c.argp, HANG_S);
	ret = xioctl(t, dev_fd(t), c.cmd, (void *)c.argp);
	op_end(t);
	check(&c, ret, NULL, wake_errs, 0);
}

/*
 * Replace a /dev/altfutex descriptor while other threads are inside
 * ioctls on it: dup2() drops the old file from the table atomically, so
 * the number never names anything else.
 */
static void do_dev_close(struct thr *t)
{
	int i = (int)rnd(&t->r, NDEV);
	int fd;

	op_begin(t, K_DEV_CLOSE, (uint64_t)W->dev[i], 0, HANG_S);
	fd = open("/dev/altfutex", O_RDWR | O_CLOEXEC);
	if (fd >= 0) {
		dup3(fd, W->dev[i], O_CLOEXEC);
		close(fd);
	}
	op_end(t);
}

/* ---- SCM_RIGHTS ------------------------------------------------------- */

static int send_fds(int sock, const int *fds, int n)
{
	char cbuf[CMSG_SPACE(4 * sizeof(int))] = { 0 };
	char byte = 'F';
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf,
		.msg_controllen = CMSG_SPACE(n * sizeof(int)),
	};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);

	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(n * sizeof(int));
	memcpy(CMSG_DATA(cm), fds, n * sizeof(int));
	return sendmsg(sock, &msg, MSG_DONTWAIT | MSG_NOSIGNAL) == 1 ? 0 : -1;
}

/*
 * A socket sent over itself, or a number that another thread closed and
 * reused between our look at the table and the send, is not one.
 */
static int is_fd_waiter(int fd)
{
	return t_fd_is(fd, "anon_inode:[altfutex]");
}

/* Receive what is queued on @sock into the table (or close it). */
static void recv_fds(int sock)
{
	char cbuf[CMSG_SPACE(8 * sizeof(int))];
	char byte;
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm;
	int fds[8], n, i;

	if (recvmsg(sock, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC) <= 0)
		return;
	for (cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
		if (cm->cmsg_level != SOL_SOCKET ||
		    cm->cmsg_type != SCM_RIGHTS)
			continue;
		n = (int)((cm->cmsg_len - CMSG_LEN(0)) / sizeof(int));
		memcpy(fds, CMSG_DATA(cm), n * sizeof(int));
		for (i = 0; i < n; i++) {
			if (is_fd_waiter(fds[i]))
				fdw_add(fds[i], swords);
			else
				close(fds[i]);
		}
	}
}

static void do_scm(struct thr *t)
{
	struct wfd e[3];
	int sp[2], fds[4], n = 0, i;

	for (i = 0; i < 3; i++)
		if (!fdw_pick(t, &e[n])) {
			fds[n] = e[n].fd;
			n++;
		}
	op_begin(t, K_SCM, (uint64_t)n, 0, HANG_S);
	switch (rnd(&t->r, 6)) {
	case 0:
		if (n)
			send_fds(W->sock[0], fds, n);
		break;
	case 1:
		if (n)
			send_fds(gsock[0], fds, 1 + rnd(&t->r, n));
		break;
	case 2:
		recv_fds(W->sock[1]);
		break;
	case 3:
		recv_fds(gsock[1]);
		break;
	default:
		/*
		 * Close a socketpair with fd waiters in flight, at times with
		 * one of its own ends in flight too: the unix garbage
		 * collector releases those.
		 */
		if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sp))
			break;
		if (n)
			send_fds(sp[0], fds, n);
		if (chance(&t->r, 40)) {
			fds[n] = sp[1];
			send_fds(sp[0], &fds[n], 1);
			fds[n] = sp[0];
			send_fds(sp[1], &fds[n], 1);
		}
		close(sp[0]);
		close(sp[1]);
		break;
	}
	op_end(t);
}

/* ---- memory under the words ------------------------------------------- */

/* Map something at victim page @i (we own it: reserved or mapped). */
static void victim_map(struct thr *t, int i)
{
	char *a = W->vbase + i * pg;
	int prot = PROT_READ | PROT_WRITE, flags = MAP_FIXED;
	int fd = -1;
	off_t off = 0;
	void *m;

	switch (rnd(&t->r, 6)) {
	case 0:
		flags |= MAP_PRIVATE | MAP_ANONYMOUS;
		break;
	case 1:
		flags |= MAP_SHARED | MAP_ANONYMOUS;
		break;
	case 2:
		flags |= MAP_SHARED;
		fd = W->vmf;
		break;
	case 3:
		flags |= MAP_PRIVATE;
		fd = W->vmf;
		break;
	case 4:
		flags |= MAP_SHARED;
		fd = W->tmpf;
		break;
	default:
		flags |= MAP_SHARED;
		prot = PROT_READ;
		fd = W->vmf;
		break;
	}
	if (fd >= 0)
		off = (off_t)(rnd(&t->r, 4) * pg);
	m = mmap(a, pg, prot, flags, fd, off);
	if (m == MAP_FAILED)
		m = mmap(a, pg, PROT_NONE, MAP_FIXED | MAP_PRIVATE |
			 MAP_ANONYMOUS, -1, 0);
	W->vstate[i] = m == MAP_FAILED ? V_LOST :
		       (m == a ? V_MAPPED : V_LOST);
}

/* After munmap or mremap: take the hole back, unless someone else did. */
static void victim_refill(int i)
{
	char *a = W->vbase + i * pg;
	void *m = mmap(a, pg, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS |
		       MAP_FIXED_NOREPLACE, -1, 0);

	if (m == a) {
		W->vstate[i] = V_RESERVED;
	} else {
		if (m != MAP_FAILED)
			munmap(m, pg);	/* an old kernel ignored the flag */
		W->vstate[i] = V_LOST;
	}
}

static void do_munmap(struct thr *t)
{
	int i = (int)rnd(&t->r, 2 * NV);

	op_begin(t, K_MUNMAP, (uintptr_t)(W->vbase + i * pg), 0, HANG_S);
	pthread_rwlock_wrlock(&W->vlock);
	if (W->vstate[i] != V_LOST) {
		if (W->vstate[i] == V_MAPPED && chance(&t->r, 30)) {
			victim_map(t, i);	/* replaced in one step */
		} else {
			munmap(W->vbase + i * pg, pg);
			victim_refill(i);
			if (W->vstate[i] == V_RESERVED && chance(&t->r, 70))
				victim_map(t, i);
		}
	}
	pthread_rwlock_unlock(&W->vlock);
	op_end(t);
}

/* Move a mapped victim page onto another victim page, maybe back later. */
static void do_mremap(struct thr *t)
{
	int i = (int)rnd(&t->r, 2 * NV), j = (int)rnd(&t->r, 2 * NV);
	char *from = W->vbase + i * pg, *to = W->vbase + j * pg;

	op_begin(t, K_MREMAP, (uintptr_t)from, (uintptr_t)to, HANG_S);
	pthread_rwlock_wrlock(&W->vlock);
	if (i != j && W->vstate[i] == V_MAPPED && W->vstate[j] != V_LOST) {
		if (mremap(from, pg, pg, MREMAP_MAYMOVE | MREMAP_FIXED,
			   to) == to) {
			W->vstate[j] = V_MAPPED;
			victim_refill(i);
		}
	}
	pthread_rwlock_unlock(&W->vlock);
	op_end(t);
}

/* A page of words to play with; victim pages only while they are ours. */
static char *pick_page(struct thr *t, int *victim)
{
	*victim = 0;
	switch (rnd(&t->r, 5)) {
	case 0:
		return (char *)gsh + rnd(&t->r, 2) * pg;
	case 1:
		return (char *)gmf + rnd(&t->r, GMF_PAGES) * pg;
	case 2:
		return (char *)W->priv;
	default:
		*victim = 1;
		return W->vbase + rnd(&t->r, 2 * NV) * pg;
	}
}

static void do_madvise(struct thr *t)
{
	static const int advice[] = {
		MADV_DONTNEED, MADV_DONTNEED, MADV_PAGEOUT, MADV_PAGEOUT,
		MADV_COLD, MADV_WILLNEED, MADV_REMOVE, MADV_FREE,
	};
	int victim, adv = advice[rnd(&t->r, ARRAY_SIZE(advice))];
	char *p = pick_page(t, &victim);

	op_begin(t, K_MADVISE, (uintptr_t)p, (uint64_t)adv, HANG_S);
	pthread_rwlock_rdlock(&W->vlock);
	if (!victim || W->vstate[(p - W->vbase) / pg] != V_LOST)
		madvise(p, pg, adv);
	pthread_rwlock_unlock(&W->vlock);
	op_end(t);
}

static void do_mprotect(struct thr *t)
{
	static const int prots[] = {
		PROT_NONE, PROT_READ, PROT_READ | PROT_WRITE,
		PROT_READ | PROT_WRITE, PROT_WRITE,
	};
	int victim, prot = prots[rnd(&t->r, ARRAY_SIZE(prots))];
	char *p = pick_page(t, &victim);

	op_begin(t, K_MPROTECT, (uintptr_t)p, (uint64_t)prot, HANG_S);
	pthread_rwlock_rdlock(&W->vlock);
	if (!victim || W->vstate[(p - W->vbase) / pg] == V_MAPPED)
		mprotect(p, pg, prot);
	pthread_rwlock_unlock(&W->vlock);
	op_end(t);
}

/* Shrink or grow a file that holds words: words past EOF are -EFAULT. */
static void do_ftruncate(struct thr *t)
{
	static const int sizes[] = { 0, 1, 2, 3, 4, 4, 4, 4 };
	int fd, full;
	off_t size;

	switch (rnd(&t->r, 4)) {
	case 0:
		fd = gmf_fd;
		full = GMF_PAGES;
		break;
	case 1:
		fd = W->tmpf;
		full = 4;
		break;
	default:
		fd = W->vmf;
		full = 4;
		break;
	}
	size = (off_t)sizes[rnd(&t->r, ARRAY_SIZE(sizes))] * full / 4 * pg;
	if (chance(&t->r, 20) && size)
		size -= (off_t)(1 + rnd(&t->r, pg - 1));
	op_begin(t, K_FTRUNCATE, (uint64_t)fd, (uint64_t)size, HANG_S);
	if (ftruncate(fd, size))
		op_error(K_FTRUNCATE);
	op_end(t);
}

/* ---- processes -------------------------------------------------------- */

static void reap(struct thr *t, pid_t pid, const char *what)
{
	int st;

	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return;
	if (WIFSIGNALED(st) && WTERMSIG(st) != SIGKILL)
		fz_fail("%s %d died of signal %d (%s)%s", what, pid,
			WTERMSIG(st), strsignal(WTERMSIG(st)),
			WTERMSIG(st) == SIGSEGV ?
			": a kernel oops kills with SIGSEGV too" : "");
	else if (WIFEXITED(st) && WEXITSTATUS(st) == 3)
		__atomic_add_fetch(&sh->calls[K_NS_SKIP], 1,
				   __ATOMIC_RELAXED);
	else if (WIFEXITED(st) && WEXITSTATUS(st) != 0 &&
		 WEXITSTATUS(st) != T_FAIL)
		fz_fail("%s %d exited with status %d", what, pid,
			WEXITSTATUS(st));
}

/*
 * A few operations in a child of fork() (or in an exec'd one): on
 * inherited words and fd waiters, without the worker's locks (another
 * thread of the parent may have held one at fork), nor its victim region.
 */
static void child_ops(struct thr *t, int n, int dev)
{
	int fds[8], nfds = 0, i, fd;
	uint32_t *p, v;
	struct wfd e;

	while (n-- > 0 && !stopping()) {
		switch (rnd(&t->r, 8)) {
		case 0:
		case 1:
			do_wait(t);
			break;
		case 2:
			do_wake(t);
			break;
		case 3:
			do_requeue(t, (int)rnd(&t->r, 2));
			break;
		case 4:
			fd = fd_create(t, dev, &p);
			if (fd >= 0 && nfds < 8)
				fds[nfds++] = fd;
			else if (fd >= 0)
				close(fd);
			break;
		case 5:
			if (W && !fdw_pick(t, &e)) {
				if (chance(&t->r, 50))
					rearm(t, e.fd, pick_val(t, e.uaddr), NULL);
				else
					close(e.fd);
			}
			break;
		case 6:
			p = pick_word(t);
			if (addr_class((uintptr_t)p) == ADDR_USER &&
			    !safe_load(p, &v))
				safe_store(p, v + 1);
			break;
		default:
			if (nfds && chance(&t->r, 50))
				close(fds[--nfds]);
			break;
		}
	}
	/* some stay open: exit closes them */
	for (i = 0; i < nfds; i++)
		if (chance(&t->r, 50))
			close(fds[i]);
}

/* Prepare the calling (single-threaded) child of fork(). */
static void child_init(struct thr *t, uint64_t salt)
{
	in_child = 1;
	t->r.s = mix64(t->r.s ^ salt);
	t->slot = slot_claim();
	irq_timer_init(t);
}

static void do_fork(struct thr *t)
{
	uint64_t salt = rnd64(&t->r);
	pid_t pid;

	op_begin(t, K_FORK, 0, 0, CHILD_HANG_S);
	pid = fork();
	if (pid == 0) {
		child_init(t, salt);
		child_ops(t, 5 + (int)rnd(&t->r, 25), W->dev[0]);
		slot_release(t->slot);
		_exit(0);
	}
	if (pid > 0)
		reap(t, pid, "fork child");
	op_end(t);
}

/* Waits that end only with a wake, a timeout or a signal, until killed. */
static void *waiter_thread(void *arg)
{
	struct thr *parent = arg, t;
	int64_t end = now_ns(CLOCK_MONOTONIC) + 2 * NSEC_PER_SEC;

	t = *parent;
	t.r.s = mix64(t.r.s ^ (uint64_t)t_gettid());
	t.slot = slot_claim();
	irq_timer_init(&t);
	/*
	 * Places for arguments of this thread's own: with its parent's, the
	 * kernel could read another waiter's arguments, written there
	 * between this one's copy and its ioctl (and the oracle would
	 * check the wrong call).
	 */
	argpage_init(&t);
	t.argrw = NULL;
	t.argro = NULL;
	while (now_ns(CLOCK_MONOTONIC) < end && !stopping())
		do_wait(&t);
	munmap(t.argpage, 2 * pg);
	slot_release(t.slot);
	return NULL;
}

/* A child that waits, with fd waiters too, and is SIGKILLed meanwhile. */
static void do_kill(struct thr *t)
{
	uint64_t salt = rnd64(&t->r);
	int delay = (int)rnd(&t->r, 40);
	pthread_t th[2];
	uint32_t *p;
	pid_t pid;
	int i;

	op_begin(t, K_KILL, 0, 0, CHILD_HANG_S);
	pid = fork();
	if (pid == 0) {
		child_init(t, salt);
		for (i = 0; i < 3; i++)
			fd_create(t, W->dev[0], &p);
		for (i = 0; i < (int)rnd(&t->r, 3); i++)
			pthread_create(&th[i], NULL, waiter_thread, t);
		waiter_thread(t);
		_exit(0);
	}
	if (pid > 0) {
		t_sleep_ms(delay);
		kill(pid, SIGKILL);
		reap(t, pid, "killed waiter");
	}
	op_end(t);
}

/* exec ourselves with --exec-child, at times while threads wait. */
static void do_exec(struct thr *t)
{
	uint64_t salt = rnd64(&t->r);
	char sfd[16], gfd[16], seed[32];
	pthread_t th[2];
	pid_t pid;
	int i;

	op_begin(t, K_EXEC, 0, 0, CHILD_HANG_S);
	pid = fork();
	if (pid == 0) {
		child_init(t, salt);
		snprintf(sfd, sizeof(sfd), "%d", state_fd);
		snprintf(gfd, sizeof(gfd), "%d", gmf_fd);
		snprintf(seed, sizeof(seed), "%llu",
			 (unsigned long long)rnd64(&t->r));
		/* exec kills these while they sleep in the module */
		for (i = 0; i < (int)rnd(&t->r, 3); i++)
			pthread_create(&th[i], NULL, waiter_thread, t);
		t_sleep_ms(rnd(&t->r, 15));
		slot_release(t->slot);
		execl("/proc/self/exe", "fuzz", "--exec-child", sfd, gfd, seed,
		      (char *)NULL);
		_exit(2);
	}
	if (pid > 0)
		reap(t, pid, "exec child");
	op_end(t);
}

/* ---- namespaces ------------------------------------------------------- */

/* unshare a user namespace (mapping us as ourselves) or not; 0 if done */
static int enter_userns(int flags)
{
	char map[64];
	uid_t uid = getuid();
	gid_t gid = getgid();

	if (unshare(CLONE_NEWUSER | flags))
		return -1;
	t_write_str("/proc/self/setgroups", "deny");
	snprintf(map, sizeof(map), "%d %d 1", uid, uid);
	if (t_write_str("/proc/self/uid_map", map))
		return -1;
	snprintf(map, sizeof(map), "%d %d 1", gid, gid);
	return t_write_str("/proc/self/gid_map", map);
}

struct tmpfs_waiter {
	struct thr *t;
	uint32_t *word;
	int64_t end;
};

static void *tmpfs_wait_thread(void *arg)
{
	struct tmpfs_waiter *tw = arg;
	struct altfutex_wait_args a = { 0 };
	struct thr t = *tw->t;

	t.slot = slot_claim();
	while (now_ns(CLOCK_MONOTONIC) < tw->end) {
		a.uaddr = (uintptr_t)tw->word;
		a.val = pick_val(&t, tw->word);
		a.flags = ALTFUTEX_TIMEOUT;
		a.timeout.tv_nsec = 1 + rnd(&t.r, WAIT_MAX_NS);
		op_begin(&t, K_WAIT, a.uaddr, a.flags, HANG_S);
		xioctl(&t, W->dev[0], ALTFUTEX_IOC_WAIT, &a);
		op_end(&t);
	}
	slot_release(t.slot);
	return NULL;
}

/*
 * The child of do_ns(): in a mount namespace of its own (and a user
 * namespace, at times), a tmpfs on /tmp holding a MAP_SHARED file of
 * words, fd waiters and a thread's timed waits on them, then the tmpfs
 * goes: munmap, close, umount (plain or MNT_DETACH) or the namespace's
 * end, while the waiters live, unless ALTFUTEX_FUZZ_NO_UMOUNT (then they
 * are gone first).  An fd waiter holds its inode and nothing of the
 * mount, so this is where a key that outlives its super block shows.
 */
static void ns_child(struct thr *t, int userns)
{
	struct tmpfs_waiter tw = { .t = t };
	int fd, wfd[4], nw = 0, i, live, how;
	pthread_t th;
	int thread = 0;
	uint32_t *m;
	uint32_t v;

	if (userns ? enter_userns(CLONE_NEWNS) : unshare(CLONE_NEWNS))
		_exit(3);
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
	    mount("tmpfs", "/tmp", "tmpfs", 0, "size=1m"))
		_exit(3);
	fd = open("/tmp/words", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0 || ftruncate(fd, 2 * pg))
		_exit(3);
	m = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		_exit(3);
	m[0] = 1;
	m[pg / 4] = 2;
	live = !no_umount && chance(&t->r, 70);
	for (i = 0; i < 1 + (int)rnd(&t->r, 4); i++) {
		struct altfutex_fd_args a = { 0 };
		long r;

		a.uaddr = (uintptr_t)&m[rnd(&t->r, 2) * pg / 4];
		safe_load((uint32_t *)(uintptr_t)a.uaddr, &v);
		a.val = v;
		op_begin(t, K_FD, a.uaddr, 0, HANG_S);
		r = xioctl(t, W->dev[0], ALTFUTEX_IOC_FD, &a);
		op_end(t);
		if (r >= 0) {
			fd_setup(t, (int)r);
			wfd[nw++] = (int)r;
		} else if (r != -EAGAIN) {
			fz_fail("ALTFUTEX_IOC_FD on a tmpfs word: %s",
				strerror((int)-r));
		}
	}
	if (chance(&t->r, 60)) {
		tw.word = &m[rnd(&t->r, 2) * pg / 4];
		tw.end = now_ns(CLOCK_MONOTONIC) +
			 (10 + rnd(&t->r, 60)) * NSEC_PER_MSEC;
		thread = !pthread_create(&th, NULL, tmpfs_wait_thread, &tw);
	}
	if (live && nw && chance(&t->r, 30))
		send_fds(W->sock[0], wfd, 1);	/* the worker closes it */
	if (!live) {
		for (i = 0; i < nw; i++)
			close(wfd[i]);
		nw = 0;
		if (thread)
			pthread_join(th, NULL);
		thread = 0;
	}
	t_sleep_ms(rnd(&t->r, 10));
	munmap(m, 2 * pg);
	close(fd);
	how = (int)rnd(&t->r, 3);
	if (live)
		__atomic_add_fetch(&sh->calls[K_UMOUNT_LIVE], 1,
				   __ATOMIC_RELAXED);
	if (how < 2)	/* else the namespace's end unmounts it */
		umount2("/tmp", how ? MNT_DETACH : 0);
	t_sleep_ms(rnd(&t->r, 10));
	for (i = 0; i < nw; i++)
		if (chance(&t->r, 70))
			close(wfd[i]);
	if (thread)
		pthread_join(th, NULL);
	slot_release(t->slot);
	_exit(0);
}

static void do_ns(struct thr *t)
{
	uint64_t salt = rnd64(&t->r);
	int userns = chance(&t->r, 50);
	pid_t pid;

	op_begin(t, K_NS, (uint64_t)userns, 0, CHILD_HANG_S);
	pid = fork();
	if (pid == 0) {
		child_init(t, salt);
		ns_child(t, userns);
	}
	if (pid > 0)
		reap(t, pid, "namespace child");
	op_end(t);
}

/*
 * Timed waits from inside a time namespace whose CLOCK_MONOTONIC is
 * offset from the host's: an absolute deadline on it is the namespace's
 * time, so it must be translated (as futex(2) does), or the wait ends
 * early (a negative offset) or far too late (a positive one: the hang
 * check catches it).
 */
static void timens_grandchild(struct thr *t)
{
	int n = 5 + (int)rnd(&t->r, 15);

	t->slot = slot_claim();
	irq_timer_init(t);
	while (n-- > 0 && !stopping())
		do_wait(t);
	slot_release(t->slot);
	_exit(0);
}

static void timens_child(struct thr *t)
{
	char offs[128];
	int64_t up = now_ns(CLOCK_MONOTONIC) / NSEC_PER_SEC;
	int64_t off;
	pid_t pid;

	if (chance(&t->r, 50) ? enter_userns(CLONE_NEWTIME) :
				unshare(CLONE_NEWTIME))
		_exit(3);
	switch (rnd(&t->r, 3)) {
	case 0:	/* backwards, but not below zero */
		off = -(int64_t)rnd(&t->r, (uint32_t)(up > 2 ? up - 1 : 1));
		break;
	case 1:
		off = 1 + rnd(&t->r, 3600);
		break;
	default:
		off = 86400LL * (1 + rnd(&t->r, 1000));
		break;
	}
	snprintf(offs, sizeof(offs), "monotonic %lld 0\nboottime %lld 0\n",
		 (long long)off, (long long)off);
	if (t_write_str("/proc/self/timens_offsets", offs))
		_exit(3);
	pid = fork();	/* the child is the first in the namespace */
	if (pid == 0)
		timens_grandchild(t);
	if (pid > 0)
		reap(t, pid, "time namespace child");
	slot_release(t->slot);
	_exit(0);
}

static void do_timens(struct thr *t)
{
	uint64_t salt = rnd64(&t->r);
	pid_t pid;

	if (no_timens)
		return;
	op_begin(t, K_TIMENS, 0, 0, CHILD_HANG_S);
	pid = fork();
	if (pid == 0) {
		child_init(t, salt);
		timens_child(t);
	}
	if (pid > 0)
		reap(t, pid, "time namespace child");
	op_end(t);
}

/* ---- the worker's loop ------------------------------------------------ */

static const struct {
	void (*fn)(struct thr *t);
	int weight;
} ops[] = {
	{ do_wait, 24 }, { do_wake, 14 }, { do_fd, 8 }, { do_store, 10 },
	{ do_rearm, 5 }, { do_fd_read, 5 }, { do_poll, 2 }, { do_epoll, 3 },
	{ do_fd_close, 4 }, { do_ioctl_fdw, 1 }, { do_bad_cmd, 3 },
	{ do_bad_argp, 3 }, { do_dev_close, 1 }, { do_scm, 3 },
	{ do_munmap, 2 }, { do_mremap, 2 }, { do_madvise, 2 },
	{ do_mprotect, 2 }, { do_ftruncate, 2 }, { do_wait2, 8 },
	{ do_wake2, 6 }, { do_wake_op, 5 },
};

static void do_requeue0(struct thr *t)
{
	do_requeue(t, 0);
}

static void do_requeue1(struct thr *t)
{
	do_requeue(t, 1);
}

/* The rare and costly ones: a new process each. */
static const struct {
	void (*fn)(struct thr *t);
	int weight;
} rare_ops[] = {
	{ do_fork, 3 }, { do_kill, 3 }, { do_exec, 2 }, { do_ns, 3 },
	{ do_timens, 2 },
};

static void one_op(struct thr *t)
{
	unsigned int total = 0, i, x;

	if (chance(&t->r, 10)) {
		(chance(&t->r, 50) ? do_requeue0 : do_requeue1)(t);
		return;
	}
	if (rnd(&t->r, 1000) < 8) {
		for (i = 0; i < ARRAY_SIZE(rare_ops); i++)
			total += rare_ops[i].weight;
		x = rnd(&t->r, total);
		for (i = 0; x >= (unsigned int)rare_ops[i].weight; i++)
			x -= rare_ops[i].weight;
		rare_ops[i].fn(t);
		return;
	}
	for (i = 0; i < ARRAY_SIZE(ops); i++)
		total += ops[i].weight;
	x = rnd(&t->r, total);
	for (i = 0; x >= (unsigned int)ops[i].weight; i++)
		x -= ops[i].weight;
	ops[i].fn(t);
}

static struct thr threads[MAX_THREADS];

static void *worker_thread(void *arg)
{
	struct thr *t = arg;

	thr_init(t, W->seed, t->idx);
	t->argrw = W->argrw + t->idx * 256;
	t->argro = W->argro + t->idx * 256;
	while (!stopping())
		one_op(t);
	thr_fini(t);
	return NULL;
}

static int memfd(const char *name, off_t size)
{
	int fd = memfd_create(name, 0);

	if (fd < 0 || ftruncate(fd, size)) {
		fz_fail("memfd_create/ftruncate: %s", strerror(errno));
		exit(T_FAIL);
	}
	return fd;
}

static void *xmap(void *addr, size_t len, int prot, int flags, int fd,
		  off_t off)
{
	void *m = mmap(addr, len, prot, flags, fd, off);

	if (m == MAP_FAILED) {
		fz_fail("mmap: %s", strerror(errno));
		exit(T_FAIL);
	}
	return m;
}

static void worker_setup(void)
{
	int i, fd;

	for (i = 0; i < NDEV; i++) {
		W->dev[i] = open("/dev/altfutex", O_RDWR | O_CLOEXEC);
		if (W->dev[i] < 0) {
			fz_fail("open /dev/altfutex: %s", strerror(errno));
			exit(T_FAIL);
		}
	}
	pthread_mutex_init(&W->lock, NULL);
	pthread_rwlock_init(&W->vlock, NULL);
	for (i = 0; i < MAX_FDS; i++)
		W->fds[i].fd = -1;
	W->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, W->sock)) {
		fz_fail("socketpair: %s", strerror(errno));
		exit(T_FAIL);
	}
	W->vmf = memfd("fuzz-victim", 4 * pg);
	snprintf(W->tmpname, sizeof(W->tmpname), "/dev/shm/fuzz-%d",
		 getpid());
	W->tmpf = open(W->tmpname, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (W->tmpf < 0)
		W->tmpf = memfd("fuzz-tmp", 4 * pg);	/* no /dev/shm */
	else
		unlink(W->tmpname);
	if (ftruncate(W->tmpf, 4 * pg))
		fz_fail("ftruncate: %s", strerror(errno));
	W->priv = xmap(NULL, pg, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	W->ro = xmap(NULL, pg, PROT_READ, MAP_SHARED, W->vmf, 0);
	W->tail = xmap(NULL, 2 * pg, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	mprotect(W->tail + pg, pg, PROT_NONE);
	W->tail2 = xmap(NULL, 2 * pg, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap(W->tail2 + pg, pg);
	fd = memfd("fuzz-args", pg);
	W->argrw = xmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	W->argro = xmap(NULL, pg, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	W->vbase = xmap(NULL, 2 * NV * pg, PROT_NONE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	for (i = 0; i < 2 * NV; i++) {
		W->vstate[i] = V_RESERVED;
		if (i < NV)
			victim_map(&threads[0], i);
	}
}

static void worker_main(int idx, int gen, int nthreads)
{
	static struct worker w;
	pthread_t th[MAX_THREADS];
	int i;

	W = &w;
	w.idx = idx;
	w.gen = gen;
	w.nthreads = nthreads;
	w.seed = mix64(sh->seed ^ ((uint64_t)(idx + 1) << 32) ^
		       (uint64_t)gen);
	threads[0].r.s = w.seed;
	worker_setup();
	for (i = 0; i < nthreads; i++)
		threads[i].idx = i;
	for (i = 1; i < nthreads; i++)
		if (pthread_create(&th[i], NULL, worker_thread, &threads[i])) {
			fz_fail("pthread_create failed");
			break;
		}
	nthreads = i;
	worker_thread(&threads[0]);
	for (i = 1; i < nthreads; i++)
		pthread_join(th[i], NULL);
	for (i = 0; i < MAX_FDS; i++)
		if (w.fds[i].fd >= 0)
			close(w.fds[i].fd);
	_exit(0);
}

/* ---- exec'd children -------------------------------------------------- */

/* fuzz --exec-child STATE_FD GMF_FD SEED: a few calls, then exit. */
static int exec_child_main(char **argv)
{
	struct thr t;
	struct stat st;
	int dev;

	pg = (size_t)sysconf(_SC_PAGESIZE);
	state_fd = atoi(argv[2]);
	gmf_fd = atoi(argv[3]);
	if (fstat(state_fd, &st))
		return 2;
	sh_size = (sizeof(struct shared) + pg - 1) & ~(pg - 1);
	sh = mmap(NULL, sh_size + 2 * pg, PROT_READ | PROT_WRITE, MAP_SHARED,
		  state_fd, 0);
	gmf = mmap(NULL, GMF_PAGES * pg, PROT_READ | PROT_WRITE, MAP_SHARED,
		   gmf_fd, 0);
	bad_page = mmap(NULL, 2 * pg, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
			-1, 0);
	if (sh == MAP_FAILED || gmf == MAP_FAILED || bad_page == MAP_FAILED)
		return 2;
	swords = (uint32_t *)((char *)sh + sh_size);
	hole = bad_page + pg;
	munmap(hole, pg);
	setup_signals();
	dev = open("/dev/altfutex", O_RDWR | O_CLOEXEC);
	if (dev < 0) {
		fz_fail("exec child: open /dev/altfutex: %s", strerror(errno));
		return T_FAIL;
	}
	child_dev = dev;
	in_child = 1;
	memset(&t, 0, sizeof(t));
	t.r.s = mix64(strtoull(argv[4], NULL, 10));
	t.slot = slot_claim();
	irq_timer_init(&t);
	t.argpage = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (t.argpage == MAP_FAILED)
		return 2;
	mprotect(t.argpage + pg, pg, PROT_NONE);
	child_ops(&t, 10 + (int)rnd(&t.r, 30), dev);
	slot_release(t.slot);
	return 0;	/* dev and some fd waiters still open */
}

/* ---- the parent: workers, hangs, the end ------------------------------ */

struct wslot {
	pid_t pid;
	int gen;
};

static struct wslot workers[MAX_WORKERS];
static int nworkers, nthreads;

static void spawn_worker(int idx)
{
	pid_t pid = fork();

	if (pid < 0) {
		fz_fail("fork: %s", strerror(errno));
		return;
	}
	if (pid == 0)
		worker_main(idx, workers[idx].gen, nthreads);
	workers[idx].pid = pid;
}

/* Print the kernel stack of a hung thread (root only). */
static void dump_stack(pid_t pid, pid_t tid)
{
	char buf[4096];

	if (t_read_task_file(pid, tid, "stack", buf, sizeof(buf)) > 0)
		fprintf(stderr, "fuzz: kernel stack of %d/%d:\n%s", pid, tid,
			buf);
	if (t_read_task_file(pid, tid, "wchan", buf, sizeof(buf)) > 0)
		fprintf(stderr, "fuzz: wchan of %d/%d: %s\n", pid, tid, buf);
}

static struct {
	unsigned int seq;
	int kind;
	int64_t since;
} seen[MAX_SLOTS];

/*
 * Free the slots of threads that are gone (killed, exec'd), and fail on
 * an operation that has not moved for its limit.  Returns 1 on a hang.
 */
static int scan_slots(int64_t now, int check_dead)
{
	int64_t limit, scale = t_time_scale();
	int i, over, hung = 0;

	for (i = 0; i < MAX_SLOTS; i++) {
		struct slot *s = &sh->slots[i];
		int tid = __atomic_load_n(&s->tid, __ATOMIC_SEQ_CST);
		int pid = __atomic_load_n(&s->pid, __ATOMIC_SEQ_CST);
		int kind = __atomic_load_n(&s->kind, __ATOMIC_SEQ_CST);
		unsigned int seq = __atomic_load_n(&s->seq, __ATOMIC_SEQ_CST);

		if (!tid || !pid)
			continue;
		if (seq != seen[i].seq || kind != seen[i].kind) {
			seen[i].seq = seq;
			seen[i].kind = kind;
			seen[i].since = now;
		}
		limit = s->limit_s * scale * NSEC_PER_SEC;
		over = kind && now - seen[i].since > limit;
		if (!over && !check_dead)
			continue;
		if (t_sleep_state(pid, tid, SYS_ioctl) < 0) {
			/* gone: free the slot if it is still that one */
			if (__atomic_compare_exchange_n(&s->tid, &tid, 0, 0,
							__ATOMIC_SEQ_CST,
							__ATOMIC_SEQ_CST))
				s->pid = 0;
			continue;
		}
		if (!over)
			continue;
		fz_fail("hang: pid %d tid %d has been in %s (%#llx, %#llx) for %lld s",
			pid, tid, kind_name[kind - 1],
			(unsigned long long)s->a0, (unsigned long long)s->a1,
			(long long)((now - seen[i].since) / NSEC_PER_SEC));
		dump_stack(pid, tid);
		seen[i].since = now;	/* once per limit is enough */
		hung = 1;
	}
	return hung;
}

/* SIGKILL every other process of our process group. */
static void kill_group(void)
{
	pid_t me = getpid(), pgrp = getpgrp();
	struct dirent *d;
	char buf[512], *p;
	DIR *dir = opendir("/proc");
	int pid, pg_of;

	if (!dir)
		return;
	while ((d = readdir(dir))) {
		pid = atoi(d->d_name);
		if (pid <= 0 || pid == me)
			continue;
		if (t_read_task_file(pid, pid, "stat", buf, sizeof(buf)) < 0)
			continue;
		p = strrchr(buf, ')');
		/* ") S ppid pgrp" */
		if (!p || sscanf(p + 2, "%*c %*d %d", &pg_of) != 1)
			continue;
		if (pg_of == pgrp)
			kill(pid, SIGKILL);
	}
	closedir(dir);
}

/* Reap what has ended: workers (respawned unless stopping), and orphans. */
static int reap_some(void)
{
	int st, i, n = 0;
	pid_t pid;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		n++;
		for (i = 0; i < nworkers; i++)
			if (workers[i].pid == pid)
				break;
		if (WIFSIGNALED(st) && WTERMSIG(st) != SIGKILL)
			fz_fail("%s %d died of signal %d (%s)",
				i < nworkers ? "worker" : "process", pid,
				WTERMSIG(st), strsignal(WTERMSIG(st)));
		else if (i < nworkers && WIFEXITED(st) &&
			 WEXITSTATUS(st) != 0 && !sh->failed)
			fz_fail("worker %d exited with status %d", pid,
				WEXITSTATUS(st));
		if (i == nworkers)
			continue;
		workers[i].pid = 0;
		if (!stopping()) {
			workers[i].gen++;
			spawn_worker(i);
		}
	}
	return pid < 0 && errno == ECHILD ? -1 : n;
}

static long env_long(const char *name, long def, long min, long max)
{
	const char *s = getenv(name);
	char *end;
	long v;

	if (!s || !*s)
		return def;
	v = strtol(s, &end, 0);
	if (*end || v < min || v > max) {
		fprintf(stderr, "fuzz: ignoring %s=%s (%ld to %ld)\n", name, s,
			min, max);
		return def;
	}
	return v;
}

static void setup_shared(void)
{
	char *m;

	sh_size = (sizeof(struct shared) + pg - 1) & ~(pg - 1);
	/* not O_CLOEXEC: exec'd children map it by number */
	state_fd = memfd_create("fuzz-state", 0);
	gmf_fd = memfd_create("fuzz-gmf", 0);
	if (state_fd < 0 || gmf_fd < 0 ||
	    ftruncate(state_fd, sh_size + 2 * pg) ||
	    ftruncate(gmf_fd, GMF_PAGES * pg))
		t_fail("memfd: %s", strerror(errno));
	sh = mmap(NULL, sh_size + 2 * pg, PROT_READ | PROT_WRITE, MAP_SHARED,
		  state_fd, 0);
	gmf = mmap(NULL, GMF_PAGES * pg, PROT_READ | PROT_WRITE, MAP_SHARED,
		   gmf_fd, 0);
	gsh = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	m = mmap(NULL, 2 * pg, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(sh != MAP_FAILED && gmf != MAP_FAILED && gsh != MAP_FAILED &&
	      m != MAP_FAILED, "mmap: %s", strerror(errno));
	swords = (uint32_t *)((char *)sh + sh_size);
	bad_page = m;
	hole = m + pg;
	munmap(hole, pg);
	CHECK(!socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, gsock),
	      "socketpair: %s", strerror(errno));
}

int main(int argc, char **argv)
{
	uint64_t seed;
	long seconds;
	int64_t start, end, now, next_kill, ran;
	struct rng r;
	int i, fd, hung = 0;
	const char *s;

	if (argc >= 5 && !strcmp(argv[1], "--exec-child"))
		return exec_child_main(argv);

	t_name = "fuzz";
	s = argc > 1 ? argv[1] : getenv("ALTFUTEX_FUZZ_SEED");
	seed = s && *s ? strtoull(s, NULL, 0) :
		mix64((uint64_t)t_now_ns(CLOCK_REALTIME) ^
		      ((uint64_t)getpid() << 32));
	/* short in make check; the debug kernel's scale gives about 60 s */
	seconds = env_long("ALTFUTEX_FUZZ_SECONDS", 20L * t_time_scale(), 1,
			   86400);
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("fuzz: seed %llu (replay: ALTFUTEX_FUZZ_SEED=%llu)\n",
	       (unsigned long long)seed, (unsigned long long)seed);

	fd = open("/dev/altfutex", O_RDWR | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		t_skip("no /dev/altfutex: the module is not loaded");
	if (fd < 0)
		t_fail("open /dev/altfutex: %s", strerror(errno));
	close(fd);

	/* the run, the end's grace period, and some room */
	t_init("fuzz", (unsigned int)seconds + 90);
	pg = (size_t)sysconf(_SC_PAGESIZE);
	r.s = seed;
	nworkers = (int)env_long("ALTFUTEX_FUZZ_PROCS", 4 + rnd(&r, 3), 1,
				 MAX_WORKERS);
	nthreads = (int)env_long("ALTFUTEX_FUZZ_THREADS", 2 + rnd(&r, 3), 1,
				 MAX_THREADS);
	no_umount = env_long("ALTFUTEX_FUZZ_NO_UMOUNT", 0, 0, 1);
	no_timens = env_long("ALTFUTEX_FUZZ_NO_TIMENS", 0, 0, 1);
	printf("fuzz: %ld s, %d processes of %d threads%s%s\n", seconds,
	       nworkers, nthreads,
	       no_umount ? ", no umount under live waiters" : "",
	       no_timens ? ", no time namespaces" : "");

	/* a landmark in the kernel log, to tie a report there to the seed */
	fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		char line[96];
		int n = snprintf(line, sizeof(line),
				 "altfutex fuzz: seed %llu, %ld s\n",
				 (unsigned long long)seed, seconds);

		if (write(fd, line, n) != n)
			printf("fuzz: /dev/kmsg: %s\n", strerror(errno));
		close(fd);
	}
	setup_shared();
	sh->seed = seed;
	sh->start = t_now_ns(CLOCK_REALTIME);
	setup_signals();
	/* orphans of killed workers come to us, and we know when all ended */
	prctl(PR_SET_CHILD_SUBREAPER, 1);

	start = now_ns(CLOCK_MONOTONIC);
	end = start + seconds * NSEC_PER_SEC;
	next_kill = start + (1000 + rnd(&r, 3000)) * NSEC_PER_MSEC;
	for (i = 0; i < nworkers; i++)
		spawn_worker(i);
	while ((now = now_ns(CLOCK_MONOTONIC)) < end && !stopping()) {
		t_sleep_ms(50);
		reap_some();
		if (scan_slots(now, 0))
			hung = 1;
		if (now >= next_kill) {
			/* SIGKILL a worker, whatever it is doing: waiting */
			i = (int)rnd(&r, nworkers);
			if (workers[i].pid > 0) {
				kill(workers[i].pid, SIGKILL);
				__atomic_add_fetch(&sh->calls[K_WORKER_KILL],
						   1, __ATOMIC_RELAXED);
			}
			next_kill = now + (1000 + rnd(&r, 3000)) *
					  NSEC_PER_MSEC;
		}
		if (((now - start) / NSEC_PER_MSEC) % 1000 < 50)
			scan_slots(now, 1);
	}
	stop_all();
	ran = now_ns(CLOCK_MONOTONIC) - start;

	/* Every call is bounded: all should end within seconds. */
	end = now_ns(CLOCK_MONOTONIC) + 30LL * t_time_scale() * NSEC_PER_SEC;
	while (!hung && reap_some() >= 0) {
		now = now_ns(CLOCK_MONOTONIC);
		if (scan_slots(now, 0))
			hung = 1;
		if (now > end) {
			fz_fail("processes still running 30 s after the end");
			break;
		}
		t_sleep_ms(20);
	}
	if (hung || sh->failed) {
		kill_group();
		for (i = 0; i < 100 && reap_some() >= 0; i++)
			t_sleep_ms(50);
	}

	printf("fuzz: seed %llu, %ld s, %d processes of %d threads\n",
	       (unsigned long long)seed, seconds, nworkers, nthreads);
	{
		uint64_t total = 0;

		for (i = 0; i < K_NR; i++) {
			printf("fuzz:   %-20s %10llu calls, %9llu errors\n",
			       kind_name[i], (unsigned long long)sh->calls[i],
			       (unsigned long long)sh->errors[i]);
			total += sh->calls[i];
		}
		printf("fuzz: %llu operations in %.1f s, %.0f per second\n",
		       (unsigned long long)total, (double)ran / 1e9,
		       (double)total * 1e9 / (double)(ran ? ran : 1));
	}
	if (sh->failed) {
		printf("fuzz: FAIL: %s\nfuzz: replay with ALTFUTEX_FUZZ_SEED=%llu\n",
		       sh->msg, (unsigned long long)seed);
		return T_FAIL;
	}
	printf("fuzz: PASS\n");
	return T_PASS;
}
