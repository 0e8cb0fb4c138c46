/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * helpers: what the altfutex tests share, compiled once (tests/helpers.c)
 * and linked into every test program, after liburing's test/helpers.
 *
 * Each test is a standalone program that exits 0 (pass), 1 (fail) or 77
 * (skip), prints what it checked ("ok: ..." lines, and "FAIL: ..." on
 * stderr), and arms a watchdog with t_init() so that a bug fails the test
 * instead of hanging the run.  Every helper that blocks is bounded by that
 * watchdog, which kills the whole process group when it fires.
 *
 * The parts:
 *   running a test     t_init(), t_log(), t_fail(), t_skip(), CHECK()
 *   time               clocks, sleeps, timespecs
 *   processes          t_fork() (children killed if the test fails)
 *   /proc and /sys     small files, thread states ("asleep on a futex?")
 *   memory and fds     mappings, memfds, residency, SCM_RIGHTS
 *   backends           altfutex and futex(2) behind one interface
 *   waiter threads     struct t_waiter: one thread, one wait, its result
 *   puppets            forked children that run operations on command,
 *                      and waiters that live in them
 *   both backends      a scenario run with altfutex and with futex(2)
 */
#ifndef ALTFUTEX_TEST_HELPERS_H
#define ALTFUTEX_TEST_HELPERS_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <altfutex.h>

/* ---- running a test --------------------------------------------------- */

#define T_PASS 0
#define T_FAIL 1
#define T_SKIP 77

/* The test's name, set by t_init(): the prefix of every line it prints. */
extern const char *t_name;

/*
 * How many times slower than a stock kernel the running one is, from
 * $ALTFUTEX_TEST_SCALE (an integer from 1 to 100, default 1): the debug
 * kernel, with KASAN, lockdep and kmemleak under TCG, takes several times
 * as long for everything (10 000 threads take 145 s to start there).  It
 * stretches the watchdogs; no assertion depends on it unless a test says
 * so (flood's bounds, fuzz's duration).
 */
unsigned int t_time_scale(void);

/*
 * Start a test: name it and arm a watchdog of @seconds (times
 * t_time_scale()) for the whole program.  The test becomes a
 * process-group leader so that the watchdog kills forked helpers too.
 */
void t_init(const char *name, unsigned int seconds);

#define t_log(fmt, ...) \
	printf("%s: " fmt "\n", t_name, ##__VA_ARGS__)

#define t_fail(fmt, ...) do {						\
	fprintf(stderr, "%s: FAIL at %s:%d: " fmt "\n", t_name,		\
		__FILE__, __LINE__, ##__VA_ARGS__);			\
	exit(T_FAIL);							\
} while (0)

#define t_skip(fmt, ...) do {						\
	printf("%s: SKIP: " fmt "\n", t_name, ##__VA_ARGS__);		\
	exit(T_SKIP);							\
} while (0)

/* CHECK(cond, fmt, ...): fail the test with a message unless cond holds. */
#define CHECK(cond, fmt, ...) do {					\
	if (!(cond))							\
		t_fail("%s: " fmt, #cond, ##__VA_ARGS__);		\
} while (0)

/* CHECK_RET(expr, want): expr (an altfutex call) must return want. */
#define CHECK_RET(expr, want) do {					\
	long __r = (long)(expr);					\
	long __w = (long)(want);					\
	if (__r != __w)							\
		t_fail("%s returned %ld (%s), expected %ld (%s)", #expr,	\
		       __r, __r < 0 ? strerror((int)-__r) : "ok",	\
		       __w, __w < 0 ? strerror((int)-__w) : "ok");	\
} while (0)

/* What a call's result @r (>= 0, or a negative errno) means: "ok" or why. */
const char *t_err(int r);

/* ---- constants and small macros --------------------------------------- */

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif

#define NSEC_PER_MSEC 1000000LL
#define NSEC_PER_SEC 1000000000LL

#define PGSZ ((size_t)sysconf(_SC_PAGESIZE))

/* The 32-bit word @off bytes into @base. */
#define U32_AT(base, off) ((uint32_t *)((char *)(base) + (off)))

/*
 * The timeout of a waiter that a correct module wakes: it only turns a
 * lost wake into a clear -ETIMEDOUT failure before the watchdog fires.
 * T_SAFETY_LONG_MS is for waiters that sleep through slow work on their
 * memory (migration, swap-out, KSM), which can take a minute in the VM.
 */
#define T_SAFETY_MS 20000L
#define T_SAFETY_LONG_MS 120000L

/* What older C libraries lack. */
#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif
#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21
#endif
#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

/* ---- time ---------------------------------------------------------------- */

/* Clock @clk now, in ns. */
int64_t t_now_ns(clockid_t clk);

/* Sleep @ms, whatever signals arrive meanwhile. */
void t_sleep_ms(long ms);

/* @ms milliseconds, or @ns nanoseconds, as a timespec. */
struct timespec t_ts_ms(long ms);
struct timespec t_ts_ns(int64_t ns);

/* ---- processes ------------------------------------------------------------ */

pid_t t_gettid(void);

/*
 * fork(), with stdio flushed first, failing the test if it cannot.  The
 * parent remembers the child: if the test exits before reaping it (a
 * failed CHECK), it is killed, so that no process is left holding
 * /dev/altfutex open.  Returns 0 in the child.
 */
pid_t t_fork(void);

/*
 * Reap @pid and return its exit status, or -1 if it did not exit (killed)
 * or was reaped already.  A child of t_fork() is forgotten.
 */
int t_reap(pid_t pid);

/* Reap @pid within @ms: the time it took, in ms, or -1 (still alive). */
int t_reap_within(pid_t pid, long ms);

/* ---- /proc and /sys ------------------------------------------------------ */

/*
 * Read file @path into @buf (NUL-terminated, at most @size - 1 bytes):
 * the byte count, or -1 if it cannot be read.
 */
int t_read_file(const char *path, char *buf, size_t size);

/*
 * Read /proc/PID/task/TID/@file (@pid 0: this process) into @buf, NUL
 * terminated.  Returns the length, or -1 if the thread is gone.
 */
int t_read_task_file(pid_t pid, pid_t tid, const char *file, char *buf,
		     size_t size);

/* The number in a small file (sysfs, procfs), or -1 if it is absent. */
long t_read_long(const char *path);

/* Write @s to the file @path: 0, or -errno. */
int t_write_str(const char *path, const char *s);

/* A field of /proc/meminfo ("MemAvailable", no colon) in kB, or -1. */
long t_meminfo_kb(const char *field);

/* How many swap devices are active (the lines of /proc/swaps). */
int t_swap_devices(void);

/* The disk file system of the test VM ($ALTFUTEX_VM_DISK), or NULL. */
const char *t_vm_disk(void);

/*
 * The state letter of thread @tid of process @pid (0: this one) in
 * /proc/PID/task/TID/stat: 'R', 'S', 'D', 'T', 'Z', ...; 0 if the line
 * cannot be parsed, -1 if the thread is gone.
 */
int t_task_state(pid_t pid, pid_t tid);

/*
 * Is thread @tid (of @pid, 0: this process) blocked in system call
 * @sysno?  Its state letter, 'S' or 'D', if so; 0 if it runs or sleeps
 * elsewhere; -1 if it is gone or a zombie.  The first field of
 * /proc/PID/task/TID/syscall is the system call number and stays there
 * while the thread is blocked in it.  This is the one probe of where a
 * thread sleeps; the two below ask it about altfutex.
 */
int t_sleep_state(pid_t pid, pid_t tid, long sysno);

/*
 * Is thread @tid (of @pid, 0: this process) asleep on an altfutex, that
 * is, interruptibly ('S') inside ioctl()?  1 if so, 0 if not (yet), -1 if
 * it is gone.  'D' is not enough: a thread still forming its key may sit
 * there on the mmap lock before it is queued.
 */
int t_asleep(pid_t pid, pid_t tid);

/* Wait until t_asleep(): fail if the thread is gone meanwhile. */
void t_wait_asleep(pid_t pid, pid_t tid);

/* Is descriptor @fd of this process open on @target (its /proc link)? */
int t_fd_is(int fd, const char *target);

/*
 * Active objects of slab cache @name, or -1 if /proc/slabinfo has no line
 * of its own for it (the VM boots with slab_nomerge).  The cache is
 * shrunk first (/sys/kernel/slab/NAME/shrink), which gives back the free
 * objects that per-CPU slabs keep and, on a KASAN kernel, the freed
 * objects that KASAN's quarantine still holds (slabinfo counts both as
 * active: tens of thousands after 100 000 create/close cycles), so that
 * the count is what the module really holds.
 */
long t_slab_active(const char *name);

/* ---- memory and descriptors ---------------------------------------------- */

/* An anonymous mapping of @pages pages (@flags: MAP_PRIVATE or MAP_SHARED). */
void *t_map(size_t pages, int prot, int flags);

/*
 * Reserve @len bytes of address space (PROT_NONE), e.g. before forking:
 * children then MAP_FIXED files into distinct parts of it, which makes the
 * addresses different by construction.
 */
char *t_reserve(size_t len);

/* A memfd (O_CLOEXEC) of @len bytes. */
int t_memfd(const char *name, size_t len);

/* How many of the pages of the @len bytes at @addr are resident (mincore). */
size_t t_resident(const void *addr, size_t len);

/*
 * Field @field (e.g. "Swap:") in kB of the VMA of @addr in
 * /proc/self/smaps, or -1.
 */
long t_smaps_kb(const void *addr, const char *field);

/*
 * An fd waiter on @word (created with @flags), woken, made O_NONBLOCK, and
 * the page of @word dropped from this process (MADV_DONTNEED), so that
 * its next re-arm has to read the word again: for the tests of re-arms
 * whose read of the word never finishes (fuse, uffd).
 */
int t_fd_woken(uint32_t *word, unsigned int flags);

/* Does @fd poll POLLIN right now? */
int t_readable(int fd);

/* Send @fd, with one byte of data, on the UNIX socket @sock (SCM_RIGHTS). */
void t_send_fd(int sock, int fd);

/* Receive a descriptor sent by t_send_fd() on @sock. */
int t_recv_fd(int sock);

/* ---- backends ------------------------------------------------------------ */

/*
 * A futex implementation: altfutex or the kernel's futex(2), for the tests
 * that run a scenario with both (t_both_run()).  @flags are 0 or
 * ALTFUTEX_PRIVATE (FUTEX_PRIVATE_FLAG for futex(2)); a timeout is
 * relative.  Both key the word by its mapping unless the flag is given.
 */
struct t_backend {
	const char *name;
	long sysno;	/* the system call a sleeping waiter is in */
	int (*wait)(uint32_t *uaddr, uint32_t val, const struct timespec *ts,
		    unsigned int flags);
	int (*wake)(uint32_t *uaddr, int nr, unsigned int flags);
};

extern const struct t_backend t_altfutex;	/* altfutex_wait(), _wake() */
extern const struct t_backend t_native;	/* FUTEX_WAIT, FUTEX_WAKE */

/* ---- waiter threads ------------------------------------------------------ */

/*
 * A thread that makes one wait call and keeps its result.  Every field is
 * set by t_waiter_init(); between it and t_waiter_run() a test may change
 * @be or set @id.  tid and done are read with __atomic loads.
 */
struct t_waiter {
	pthread_t thread;
	const struct t_backend *be;	/* t_altfutex unless changed */
	uint32_t *uaddr;
	uint32_t val;
	unsigned int flags;
	struct timespec ts;	/* the timeout, if has_ts */
	int has_ts;
	const char *what;	/* for the messages */
	int id;			/* >= 0: its return is logged, see below */
	int tid;		/* 0 until the thread runs */
	int done;		/* the wait returned */
	int ret;		/* what it returned */
	int64_t t_start;	/* CLOCK_MONOTONIC ns, just before the wait */
	int64_t t_end;		/* CLOCK_MONOTONIC ns, just after it */
	int joined;
};

/* Describe a wait of @w: @ts is its timeout (NULL: none), per @flags. */
void t_waiter_init(struct t_waiter *w, uint32_t *uaddr, uint32_t val,
		   unsigned int flags, const struct timespec *ts,
		   const char *what);

/*
 * Start the thread (64 KiB of stack) of a waiter described by
 * t_waiter_init(), without waiting for anything: 0, or the error of
 * pthread_create().
 */
int t_waiter_run(struct t_waiter *w);

/*
 * Start a waiter thread and return once its tid is known, without waiting
 * for it to sleep.  @timeout_ms < 0 means no timeout; @ts is a timeout
 * interpreted according to @flags (NULL: none).
 */
void t_waiter_spawn(struct t_waiter *w, uint32_t *uaddr, uint32_t val,
		    unsigned int flags, long timeout_ms, const char *what);
void t_waiter_spawn_ts(struct t_waiter *w, uint32_t *uaddr, uint32_t val,
		       unsigned int flags, const struct timespec *ts,
		       const char *what);

/* The same, returning once the waiter sleeps on its futex. */
void t_waiter_start(struct t_waiter *w, uint32_t *uaddr, uint32_t val,
		    unsigned int flags, long timeout_ms, const char *what);
void t_waiter_start_ts(struct t_waiter *w, uint32_t *uaddr, uint32_t val,
		       unsigned int flags, const struct timespec *ts,
		       const char *what);

/*
 * A waiter of backend @be on @uaddr with a timeout of T_SAFETY_LONG_MS,
 * named after the backend; returns once it sleeps.
 */
void t_waiter_start_be(struct t_waiter *w, const struct t_backend *be,
		       void *uaddr, uint32_t val, unsigned int flags);

/* The waiter's tid, once its thread has run. */
pid_t t_waiter_tid(struct t_waiter *w);

/* Has its wait returned? */
int t_waiter_done(struct t_waiter *w);

/* Wait until @w sleeps on its futex; fail if its wait returns instead. */
void t_waiter_asleep(struct t_waiter *w);

/* Give a wrong wake @ms to act, then fail unless @w still sleeps. */
void t_waiter_check_asleep(struct t_waiter *w, long ms);

/* Join @w (bounded by the watchdog) and return its result. */
int t_waiter_join(struct t_waiter *w);

/* Join @w and check it returned @want. */
void t_waiter_expect(struct t_waiter *w, int want);

/*
 * Check that @w returns @want within @ms (a lost wake then fails clearly
 * instead of running into the watchdog).
 */
void t_waiter_expect_within(struct t_waiter *w, int want, long ms);

/*
 * The order in which waiters return: a waiter whose id was set (>= 0)
 * logs it when its wait returns.  t_returned() is how many have since
 * t_returned_reset(), t_returned_id(i) the id of the i-th of them (of the
 * first 64; -1 past them).
 */
void t_returned_reset(void);
int t_returned(void);
int t_returned_id(int i);

/* Wait (10 s at most) until @n waiters have returned since the reset. */
void t_returned_wait(int n);

/*
 * wake(1) on @uaddr must wake @w (the next waiter to return) within 10 s;
 * it is then joined, and its wait must have returned 0.
 */
void t_waiter_wake_one(uint32_t *uaddr, unsigned int flags,
		       struct t_waiter *w);

/* ---- puppets ------------------------------------------------------------- */

/*
 * A puppet is a forked child that executes commands sent by the parent
 * over a pipe and answers each with one 64-bit value: map a file at some
 * address, store a word, wake, start a waiter thread, ...  Every operation
 * takes a puppet pointer; NULL means "do it in this process", so a test
 * reads the same whichever process acts.  A puppet's commands run in its
 * main thread while its waiters sleep in other threads (t_waiter); the
 * parent learns a remote waiter's tid and watches it with t_asleep().
 */
struct puppet {
	pid_t pid;
	int cmd;	/* the parent writes commands */
	int rep;	/* the parent reads replies */
	const char *name;
};

/*
 * Fork a puppet.  @init, if given, runs first in the child (it may fail
 * the child with CHECK; the parent notices on the next command).
 */
void puppet_start(struct puppet *p, const char *name, void (*init)(void *),
		  void *arg);

/* Stop a puppet and check that it exited cleanly. */
void puppet_stop(struct puppet *p);

/* Kill a puppet with SIGKILL (its sleeping waiters with it) and reap it. */
void puppet_kill(struct puppet *p);

/* @p's name, "self" for NULL. */
const char *pname(struct puppet *p);

/* altfutex_wake() in @p. */
int p_wake(struct puppet *p, void *uaddr, int nr, unsigned int flags);

/*
 * altfutex_wait() in @p's command thread; for calls that do not sleep
 * long.  @timeout_ms < 0: none.
 */
int p_wait(struct puppet *p, void *uaddr, uint32_t val, unsigned int flags,
	   long timeout_ms);

/* Store, or load, the word at @uaddr in @p. */
void p_store(struct puppet *p, void *uaddr, uint32_t val);
uint32_t p_load(struct puppet *p, void *uaddr);

/* mmap() in @p; fails the test unless it works (at @addr, if fixed). */
void *p_mmap(struct puppet *p, void *addr, size_t len, int prot, int flags,
	     int fd, off_t off);

/* mremap() @len bytes at @old to exactly @to in @p (MAYMOVE|FIXED). */
void *p_mremap(struct puppet *p, void *old, size_t len, void *to);

/* munmap() in @p; fails the test unless it works. */
void p_munmap(struct puppet *p, void *addr, size_t len);

/* open() (with O_CLOEXEC) in @p: the fd, or -errno. */
int p_open(struct puppet *p, const char *path, int flags);

/* Call @fn(@arg) in @p and return what it returns. */
typedef int64_t (*pcall_fn)(uint64_t arg);
int64_t p_call(struct puppet *p, pcall_fn fn, uint64_t arg);

/* A waiter thread in a puppet, or in this process. */
struct p_waiter {
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
struct p_waiter w_start(struct puppet *p, void *uaddr, uint32_t val,
			unsigned int flags, long timeout_ms, const char *what);

/* -1 while still waiting, else the result of its altfutex_wait(). */
int64_t w_poll(const struct p_waiter *w);

/* Wait for the waiter to return and give its result. */
int w_join(const struct p_waiter *w);

/* Fail unless @w still sleeps (after giving a wrong wake @ms to act). */
void w_check_asleep(const struct p_waiter *w, long ms);

/* Join @w and check that it returned @want. */
void w_expect(const struct p_waiter *w, int want);

/* ---- a scenario with both backends --------------------------------------- */

/*
 * The tests that compare altfutex with the native futex (nopin, nopin_scale,
 * mem_change) run each scenario twice, once per backend, in a child
 * process each, and print a table row per scenario:
 *
 *	ROW migrate                      altfutex=ok    native=ok
 *
 * A scenario is a function of a backend; it fails with CHECK/t_fail and
 * skips with t_skip, as a test does.  The test fails if an altfutex run
 * fails; a native run's failure is reported in its column and logged (the
 * native futex has pinned no page either since the 2003 redesign, so both
 * columns are expected to say ok).
 */
typedef void (*t_scenario_fn)(const struct t_backend *be);

/* Run @fn with each backend, each in a child process; print the row. */
void t_both_run(const char *scenario, t_scenario_fn fn);

/* Print the table of every t_both_run() so far. */
void t_both_summary(void);

/* How many scenarios failed with altfutex. */
int t_both_failed(void);

#endif /* ALTFUTEX_TEST_HELPERS_H */
