/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * Helpers for the shared-memory, process and stress tests.
 *
 * Background waiters
 *   bgw_start() starts a thread that calls altfutex_wait() once and keeps
 *   its result.  Each process has its own table of such waiters.
 *
 * Puppets
 *   A puppet is a forked child that executes commands sent by the parent
 *   over a pipe and answers each with one 64-bit value: map a file at some
 *   address, store a word, wake, start a background waiter, ...  Every
 *   operation takes a puppet pointer; NULL means "do it in this process",
 *   so a test reads the same whichever process acts.  The parent learns a
 *   remote waiter's tid and then uses the /proc based t_blocked_in_ioctl()
 *   to see it asleep.  A puppet's commands run in its main thread while its
 *   background waiters sleep in other threads.
 *
 * Every blocking step is bounded by the watchdog of t_init(): the whole
 * process group is killed when it fires.
 */
#ifndef ALTFUTEX_TEST_SHM_UTIL_H
#define ALTFUTEX_TEST_SHM_UTIL_H

#include "harness.h"

#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/stat.h>

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

#define PGSZ ((size_t)sysconf(_SC_PAGESIZE))

/*
 * Timeout given to waiters that a correct module wakes: it only turns a
 * lost wakeup into a clear -ETIMEDOUT failure before the watchdog fires.
 */
#define SAFETY_MS 10000L

/* ---- background waiters ------------------------------------------------ */

#define BGW_MAX 64

struct bgw {
	pthread_t thread;
	uint32_t *uaddr;
	uint32_t val;
	unsigned int flags;
	long timeout_ms;	/* < 0: no timeout */
	int tid;		/* atomic; 0 until the thread runs */
	int done;		/* atomic */
	int ret;
	int used;
};

static struct bgw bgw_table[BGW_MAX];

static void *bgw_main(void *arg)
{
	struct bgw *w = arg;
	struct timespec ts;
	int ret;

	__atomic_store_n(&w->tid, t_gettid(), __ATOMIC_SEQ_CST);
	ts.tv_sec = w->timeout_ms / 1000;
	ts.tv_nsec = (w->timeout_ms % 1000) * 1000000L;
	ret = altfutex_wait(w->uaddr, w->val, w->timeout_ms < 0 ? NULL : &ts,
			    w->flags);
	w->ret = ret;
	__atomic_store_n(&w->done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

/* Start a waiter thread; return (slot << 32) | tid once its tid is known. */
static inline int64_t bgw_start(uint32_t *uaddr, uint32_t val,
				unsigned int flags, long timeout_ms)
{
	struct bgw *w = NULL;
	int i, tid, err;

	for (i = 0; i < BGW_MAX; i++) {
		if (!bgw_table[i].used) {
			w = &bgw_table[i];
			break;
		}
	}
	if (!w)
		t_fail("out of background waiter slots");
	memset(w, 0, sizeof(*w));
	w->used = 1;
	w->uaddr = uaddr;
	w->val = val;
	w->flags = flags;
	w->timeout_ms = timeout_ms;
	err = pthread_create(&w->thread, NULL, bgw_main, w);
	if (err)
		t_fail("pthread_create: %s", strerror(err));
	while (!(tid = __atomic_load_n(&w->tid, __ATOMIC_SEQ_CST)))
		sched_yield();
	return ((int64_t)i << 32) | (uint32_t)tid;
}

/* -1 while the waiter is still in altfutex_wait(), else its result. */
static inline int64_t bgw_poll(int slot)
{
	struct bgw *w = &bgw_table[slot];

	if (!__atomic_load_n(&w->done, __ATOMIC_SEQ_CST))
		return -1;
	return w->ret;
}

/* Join the waiter (blocks until it returns) and give back its result. */
static inline int64_t bgw_join(int slot)
{
	struct bgw *w = &bgw_table[slot];

	pthread_join(w->thread, NULL);
	w->used = 0;
	return w->ret;
}

/* ---- commands, run locally or by a puppet ------------------------------ */

enum pop {
	P_EXIT = 1,
	P_WAKE,		/* a0 uaddr, a1 nr, a2 flags -> altfutex_wake() */
	P_WAIT_BG,	/* a0 uaddr, a1 val, a2 flags, a3 timeout_ms -> slot<<32|tid */
	P_WAIT_POLL,	/* a0 slot -> -1 or result */
	P_WAIT_JOIN,	/* a0 slot -> result */
	P_MMAP,		/* a0 addr, a1 len, a2 prot, a3 flags, a4 fd, a5 off */
	P_MUNMAP,	/* a0 addr, a1 len */
	P_STORE,	/* a0 uaddr, a1 val */
	P_LOAD,		/* a0 uaddr */
	P_OPEN,		/* path, a0 flags -> fd or -errno */
	P_CLOSE,	/* a0 fd */
	P_CALL,		/* a0 function int64_t (*)(uint64_t), a1 argument */
	P_WAIT,		/* a0 uaddr, a1 val, a2 flags, a3 timeout_ms, in this thread */
	P_MREMAP,	/* a0 old, a1 old_len, a2 new_len, a3 flags, a4 new_addr */
};

struct pmsg {
	int64_t op;
	uint64_t a[6];
	char path[256];
};

typedef int64_t (*pcall_fn)(uint64_t arg);

static inline int64_t pmsg_exec(const struct pmsg *m)
{
	void *p;
	int fd;

	switch (m->op) {
	case P_WAKE:
		return altfutex_wake((uint32_t *)(uintptr_t)m->a[0],
				     (int)m->a[1], (unsigned int)m->a[2]);
	case P_WAIT_BG:
		return bgw_start((uint32_t *)(uintptr_t)m->a[0],
				 (uint32_t)m->a[1], (unsigned int)m->a[2],
				 (long)m->a[3]);
	case P_WAIT_POLL:
		return bgw_poll((int)m->a[0]);
	case P_WAIT_JOIN:
		return bgw_join((int)m->a[0]);
	case P_MMAP:
		p = mmap((void *)(uintptr_t)m->a[0], m->a[1], (int)m->a[2],
			 (int)m->a[3], (int)m->a[4], (off_t)m->a[5]);
		return p == MAP_FAILED ? -errno : (int64_t)(uintptr_t)p;
	case P_MREMAP:
		p = mremap((void *)(uintptr_t)m->a[0], m->a[1], m->a[2],
			   (int)m->a[3], (void *)(uintptr_t)m->a[4]);
		return p == MAP_FAILED ? -errno : (int64_t)(uintptr_t)p;
	case P_MUNMAP:
		return munmap((void *)(uintptr_t)m->a[0], m->a[1]) ? -errno : 0;
	case P_STORE:
		__atomic_store_n((uint32_t *)(uintptr_t)m->a[0],
				 (uint32_t)m->a[1], __ATOMIC_SEQ_CST);
		return 0;
	case P_LOAD:
		return __atomic_load_n((uint32_t *)(uintptr_t)m->a[0],
				       __ATOMIC_SEQ_CST);
	case P_OPEN:
		fd = open(m->path, (int)m->a[0] | O_CLOEXEC);
		return fd < 0 ? -errno : fd;
	case P_CLOSE:
		return close((int)m->a[0]) ? -errno : 0;
	case P_CALL:
		return ((pcall_fn)(uintptr_t)m->a[0])(m->a[1]);
	case P_WAIT: {
		long ms = (long)m->a[3];
		struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

		return altfutex_wait((uint32_t *)(uintptr_t)m->a[0],
				     (uint32_t)m->a[1], ms < 0 ? NULL : &ts,
				     (unsigned int)m->a[2]);
	}
	}
	t_fail("unknown puppet command %lld", (long long)m->op);
	return -1;
}

/* ---- puppets ------------------------------------------------------------ */

struct puppet {
	pid_t pid;
	int cmd;	/* parent writes commands */
	int rep;	/* parent reads replies */
	const char *name;
};

static inline void xwrite(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			t_fail("pipe write: %s", n ? strerror(errno) : "short");
		p += n;
		len -= n;
	}
}

/* Read exactly @len bytes; 0 on success, -1 on EOF. */
static inline int xread(int fd, void *buf, size_t len)
{
	char *p = buf;
	ssize_t n;

	while (len) {
		n = read(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			t_fail("pipe read: %s", strerror(errno));
		if (n == 0)
			return -1;
		p += n;
		len -= n;
	}
	return 0;
}

static inline void puppet_serve(int cmd, int rep)
{
	struct pmsg m;
	int64_t r;

	memset(bgw_table, 0, sizeof(bgw_table));
	for (;;) {
		if (xread(cmd, &m, sizeof(m)))
			_exit(T_FAIL);	/* the parent went away */
		if (m.op == P_EXIT)
			exit(T_PASS);
		r = pmsg_exec(&m);
		xwrite(rep, &r, sizeof(r));
	}
}

/*
 * Fork a puppet.  @init, if given, runs first in the child (it may fail
 * the child with CHECK; the parent notices on the next command).
 */
static inline void puppet_start(struct puppet *p, const char *name,
				void (*init)(void *), void *arg)
{
	int c[2], r[2];

	signal(SIGPIPE, SIG_IGN);
	if (pipe2(c, O_CLOEXEC) || pipe2(r, O_CLOEXEC))
		t_fail("pipe: %s", strerror(errno));
	fflush(NULL);
	p->name = name;
	p->pid = fork();
	if (p->pid < 0)
		t_fail("fork: %s", strerror(errno));
	if (!p->pid) {
		close(c[1]);
		close(r[0]);
		if (init)
			init(arg);
		puppet_serve(c[0], r[1]);
	}
	close(c[0]);
	close(r[1]);
	p->cmd = c[1];
	p->rep = r[0];
}

/* Stop a puppet and check that it exited cleanly. */
static inline void puppet_stop(struct puppet *p)
{
	struct pmsg m = { .op = P_EXIT };
	int st;

	xwrite(p->cmd, &m, sizeof(m));
	close(p->cmd);
	close(p->rep);
	st = t_reap(p->pid);
	if (st != T_PASS)
		t_fail("puppet %s (pid %d) exited with %d", p->name, p->pid, st);
}

/* Kill a puppet with SIGKILL (its sleeping waiters with it) and reap it. */
static inline void puppet_kill(struct puppet *p)
{
	int st;

	kill(p->pid, SIGKILL);
	close(p->cmd);
	close(p->rep);
	while (waitpid(p->pid, &st, 0) < 0)
		if (errno != EINTR)
			t_fail("waitpid: %s", strerror(errno));
	if (!WIFSIGNALED(st) || WTERMSIG(st) != SIGKILL)
		t_fail("puppet %s did not die of SIGKILL", p->name);
}

/* Run @m in the puppet @p, or here when @p is NULL. */
static inline int64_t px(struct puppet *p, const struct pmsg *m)
{
	int64_t r;

	if (!p)
		return pmsg_exec(m);
	xwrite(p->cmd, m, sizeof(*m));
	if (xread(p->rep, &r, sizeof(r))) {
		int st = t_reap(p->pid);

		t_fail("puppet %s (pid %d) died (status %d)", p->name, p->pid,
		       st);
	}
	return r;
}

static inline const char *pname(struct puppet *p)
{
	return p ? p->name : "self";
}

static inline int p_wake(struct puppet *p, void *uaddr, int nr,
			 unsigned int flags)
{
	struct pmsg m = { .op = P_WAKE,
			  .a = { (uintptr_t)uaddr, (uint64_t)(int64_t)nr, flags } };

	return (int)px(p, &m);
}

static inline void p_store(struct puppet *p, void *uaddr, uint32_t val)
{
	struct pmsg m = { .op = P_STORE, .a = { (uintptr_t)uaddr, val } };

	px(p, &m);
}

static inline uint32_t p_load(struct puppet *p, void *uaddr)
{
	struct pmsg m = { .op = P_LOAD, .a = { (uintptr_t)uaddr } };

	return (uint32_t)px(p, &m);
}

/* mmap() in @p; fails the test unless it works. */
static inline void *p_mmap(struct puppet *p, void *addr, size_t len, int prot,
			   int flags, int fd, off_t off)
{
	struct pmsg m = { .op = P_MMAP,
			  .a = { (uintptr_t)addr, len, (uint64_t)prot,
				 (uint64_t)flags, (uint64_t)(int64_t)fd,
				 (uint64_t)off } };
	int64_t r = px(p, &m);

	if (r < 0 && r > -4096)
		t_fail("mmap in %s: %s", pname(p), strerror((int)-r));
	if (addr && (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) &&
	    (void *)(uintptr_t)r != addr)
		t_fail("mmap in %s: got %p, wanted %p", pname(p),
		       (void *)(uintptr_t)r, addr);
	return (void *)(uintptr_t)r;
}

/* mremap() @len bytes at @old to exactly @to in @p (MAYMOVE|FIXED). */
static inline void *p_mremap(struct puppet *p, void *old, size_t len, void *to)
{
	struct pmsg m = { .op = P_MREMAP,
			  .a = { (uintptr_t)old, len, len,
				 MREMAP_MAYMOVE | MREMAP_FIXED, (uintptr_t)to } };
	int64_t r = px(p, &m);

	if (r < 0 && r > -4096)
		t_fail("mremap in %s: %s", pname(p), strerror((int)-r));
	if ((void *)(uintptr_t)r != to)
		t_fail("mremap in %s: got %p, wanted %p", pname(p),
		       (void *)(uintptr_t)r, to);
	return to;
}

static inline void p_munmap(struct puppet *p, void *addr, size_t len)
{
	struct pmsg m = { .op = P_MUNMAP, .a = { (uintptr_t)addr, len } };
	int64_t r = px(p, &m);

	if (r)
		t_fail("munmap in %s: %s", pname(p), strerror((int)-r));
}

static inline int p_open(struct puppet *p, const char *path, int flags)
{
	struct pmsg m = { .op = P_OPEN, .a = { (uint64_t)flags } };

	if (strlen(path) >= sizeof(m.path))
		t_fail("path too long: %s", path);
	memcpy(m.path, path, strlen(path) + 1);
	return (int)px(p, &m);
}

static inline void p_close(struct puppet *p, int fd)
{
	struct pmsg m = { .op = P_CLOSE, .a = { (uint64_t)fd } };

	px(p, &m);
}

/* altfutex_wait() in @p's command thread; for calls that do not sleep long. */
static inline int p_wait(struct puppet *p, void *uaddr, uint32_t val,
			 unsigned int flags, long timeout_ms)
{
	struct pmsg m = { .op = P_WAIT,
			  .a = { (uintptr_t)uaddr, val, flags,
				 (uint64_t)(int64_t)timeout_ms } };

	return (int)px(p, &m);
}

static inline int64_t p_call(struct puppet *p, pcall_fn fn, uint64_t arg)
{
	struct pmsg m = { .op = P_CALL, .a = { (uintptr_t)fn, arg } };

	return px(p, &m);
}

/* ---- waiters, local or remote ------------------------------------------ */

struct waiter {
	struct puppet *p;	/* NULL: a thread of this process */
	pid_t pid;		/* 0 for this process */
	pid_t tid;
	int slot;
	const char *what;
};

/*
 * Start a waiter in @p (NULL: here) on @uaddr (an address in @p), and wait
 * until it is asleep in the kernel.  Fails the test if the wait returns
 * before it sleeps.  @timeout_ms < 0 means no timeout; a long timeout is a
 * safety net only, the tests never rely on its expiry for a pass.
 */
static inline struct waiter w_start(struct puppet *p, void *uaddr,
				    uint32_t val, unsigned int flags,
				    long timeout_ms, const char *what)
{
	struct pmsg m = { .op = P_WAIT_BG,
			  .a = { (uintptr_t)uaddr, val, flags,
				 (uint64_t)(int64_t)timeout_ms } };
	struct pmsg q = { .op = P_WAIT_POLL };
	struct waiter w;
	int64_t r = px(p, &m);

	w.p = p;
	w.pid = p ? p->pid : 0;
	w.slot = (int)(r >> 32);
	w.tid = (pid_t)(uint32_t)r;
	w.what = what;
	q.a[0] = w.slot;
	for (;;) {
		int64_t res;

		if (t_blocked_in_ioctl(w.pid, w.tid))
			break;
		res = px(p, &q);
		if (res != -1)
			t_fail("waiter %s in %s returned %lld (%s) instead of sleeping",
			       what, pname(p), (long long)res,
			       res < 0 ? strerror((int)-res) : "ok");
		t_sleep_ms(1);
	}
	return w;
}

/* -1 while still waiting, else the result of its altfutex_wait(). */
static inline int64_t w_poll(const struct waiter *w)
{
	struct pmsg q = { .op = P_WAIT_POLL, .a = { (uint64_t)w->slot } };

	return px(w->p, &q);
}

/* Wait for the waiter to return and give its result. */
static inline int w_join(const struct waiter *w)
{
	struct pmsg q = { .op = P_WAIT_JOIN, .a = { (uint64_t)w->slot } };

	return (int)px(w->p, &q);
}

/* Fail unless @w still sleeps (after giving a wrong wake @ms to act). */
static inline void w_check_asleep(const struct waiter *w, long ms)
{
	int64_t r;

	t_sleep_ms(ms);
	r = w_poll(w);
	if (r != -1)
		t_fail("waiter %s in %s returned %lld (%s) but should still sleep",
		       w->what, pname(w->p), (long long)r,
		       r < 0 ? strerror((int)-r) : "ok");
	if (!t_blocked_in_ioctl(w->pid, w->tid))
		t_fail("waiter %s in %s is not asleep in the kernel any more",
		       w->what, pname(w->p));
}

/* Join @w and check that it returned @want. */
static inline void w_expect(const struct waiter *w, int want)
{
	int r = w_join(w);

	if (r != want)
		t_fail("waiter %s in %s returned %d (%s), expected %d (%s)",
		       w->what, pname(w->p), r, r < 0 ? strerror(-r) : "ok",
		       want, want < 0 ? strerror(-want) : "ok");
}

/* ---- address helpers ------------------------------------------------------ */

/*
 * Reserve @len bytes of address space (PROT_NONE) before forking: children
 * then MAP_FIXED files into distinct parts of it, which makes the addresses
 * different by construction.
 */
static inline char *reserve_va(size_t len)
{
	void *p = mmap(NULL, len, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (p == MAP_FAILED)
		t_fail("reserve %zu bytes: %s", len, strerror(errno));
	return p;
}

static inline int make_memfd(const char *name, size_t len)
{
	int fd = memfd_create(name, MFD_CLOEXEC);

	if (fd < 0)
		t_fail("memfd_create: %s", strerror(errno));
	if (ftruncate(fd, (off_t)len))
		t_fail("ftruncate memfd: %s", strerror(errno));
	return fd;
}

#define U32_AT(base, off) ((uint32_t *)((char *)(base) + (off)))

#endif /* ALTFUTEX_TEST_SHM_UTIL_H */
