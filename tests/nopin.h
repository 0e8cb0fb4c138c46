/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * Helpers for the "no page is pinned" tests (nopin*.c): one scenario runs
 * twice, once with altfutex and once with the native futex(2), in a child
 * process each, and the test prints a table row per scenario:
 *
 *	ROW migrate                      altfutex=ok    native=ok
 *
 * A scenario is a function of a backend; it fails with CHECK/t_fail and
 * skips with t_skip, as a test does.  The test fails if an altfutex run
 * fails; a native run's failure is reported in its column and logged (the
 * native futex has pinned no page either since the 2003 redesign, so both
 * columns are expected to say ok).
 *
 * Both backends key the word by its mapping (no private flag): altfutex
 * with flags 0, futex(2) with FUTEX_WAIT/FUTEX_WAKE without
 * FUTEX_PRIVATE_FLAG, unless a scenario asks for the private variant.
 *
 * Memory probes: /proc/PID/pagemap (present, swapped, PFN; root sees
 * PFNs), mincore(2), a field of /proc/self/smaps, move_pages(2).
 */
#ifndef ALTFUTEX_TEST_NOPIN_H
#define ALTFUTEX_TEST_NOPIN_H

#include "harness.h"

#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/stat.h>

#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21
#endif
#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25
#endif
#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif
#ifndef MPOL_MF_MOVE
#define MPOL_MF_MOVE 2
#endif

#define PGSZ ((size_t)sysconf(_SC_PAGESIZE))
#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif
#define U32_AT(base, off) ((uint32_t *)((char *)(base) + (off)))

/* A waiter that a correct implementation wakes never reaches this. */
#define NP_SAFETY_MS 120000L

/* ---- the two backends --------------------------------------------------- */

struct backend {
	const char *name;
	long sysno;	/* the system call a sleeping waiter is in */
	int (*wait)(uint32_t *uaddr, uint32_t val, long timeout_ms, int priv);
	int (*wake)(uint32_t *uaddr, int nr, int priv);
};

static int np_af_wait(uint32_t *uaddr, uint32_t val, long ms, int priv)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	return altfutex_wait(uaddr, val, ms < 0 ? NULL : &ts,
			     priv ? ALTFUTEX_PRIVATE : 0);
}

static int np_af_wake(uint32_t *uaddr, int nr, int priv)
{
	return altfutex_wake(uaddr, nr, priv ? ALTFUTEX_PRIVATE : 0);
}

static int np_fx_wait(uint32_t *uaddr, uint32_t val, long ms, int priv)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	long r;

	r = syscall(SYS_futex, uaddr,
		    FUTEX_WAIT | (priv ? FUTEX_PRIVATE_FLAG : 0), val,
		    ms < 0 ? NULL : &ts, NULL, 0);
	if (r < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	return (int)r;
}

static int np_fx_wake(uint32_t *uaddr, int nr, int priv)
{
	long r = syscall(SYS_futex, uaddr,
			 FUTEX_WAKE | (priv ? FUTEX_PRIVATE_FLAG : 0), nr,
			 NULL, NULL, 0);

	return r < 0 ? -errno : (int)r;
}

static const struct backend np_backends[] = {
	{ "altfutex", SYS_ioctl, np_af_wait, np_af_wake },
	{ "native", SYS_futex, np_fx_wait, np_fx_wake },
};

static inline const char *np_err(int r)
{
	return r < 0 ? strerror(-r) : "ok";
}

/* ---- waiter threads ------------------------------------------------------ */

struct np_waiter {
	pthread_t thread;
	const struct backend *be;
	uint32_t *uaddr;
	uint32_t val;
	int priv;
	long timeout_ms;
	int tid;	/* atomic */
	int done;	/* atomic */
	int ret;
};

/* Read @path into @buf (NUL-terminated): the byte count, -1 on error. */
static inline int np_read_buf(const char *path, char *buf, size_t size)
{
	int fd, n;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = 0;
	return n;
}

/*
 * Is thread @tid of @pid (0: this process) asleep in system call @sysno?
 * 1 yes, 0 not (yet), -1 gone.
 */
static inline int np_asleep(pid_t pid, pid_t tid, long sysno)
{
	char path[96], buf[256];
	char *p;

	if (!pid)
		pid = getpid();
	snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", pid, tid);
	if (np_read_buf(path, buf, sizeof(buf)) <= 0)
		return -1;
	p = strrchr(buf, ')');
	if (!p || p[2] == 'Z' || p[2] == 'X')
		return -1;
	if (p[2] != 'S')
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/task/%d/syscall", pid, tid);
	if (np_read_buf(path, buf, sizeof(buf)) <= 0)
		return 0;
	return atol(buf) == sysno;
}

static void *np_waiter_main(void *arg)
{
	struct np_waiter *w = arg;

	__atomic_store_n(&w->tid, t_gettid(), __ATOMIC_SEQ_CST);
	w->ret = w->be->wait(w->uaddr, w->val, w->timeout_ms, w->priv);
	__atomic_store_n(&w->done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

/* Start a waiter thread (64 KiB stack) without waiting for it to sleep. */
static inline void np_spawn(struct np_waiter *w, const struct backend *be,
			    void *uaddr, uint32_t val, int priv)
{
	pthread_attr_t attr;
	int err;

	memset(w, 0, sizeof(*w));
	w->be = be;
	w->uaddr = uaddr;
	w->val = val;
	w->priv = priv;
	w->timeout_ms = NP_SAFETY_MS;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	err = pthread_create(&w->thread, &attr, np_waiter_main, w);
	pthread_attr_destroy(&attr);
	if (err)
		t_fail("pthread_create: %s", strerror(err));
}

/* Wait until @w sleeps in the kernel; fail if its wait returned. */
static inline void np_wait_asleep(struct np_waiter *w)
{
	int tid;

	while (!(tid = __atomic_load_n(&w->tid, __ATOMIC_SEQ_CST)))
		sched_yield();
	for (;;) {
		if (__atomic_load_n(&w->done, __ATOMIC_SEQ_CST))
			t_fail("%s wait on %p returned %d (%s) instead of sleeping",
			       w->be->name, (void *)w->uaddr, w->ret,
			       np_err(w->ret));
		if (np_asleep(0, tid, w->be->sysno) == 1)
			return;
		t_sleep_ms(1);
	}
}

static inline void np_start(struct np_waiter *w, const struct backend *be,
			    void *uaddr, uint32_t val, int priv)
{
	np_spawn(w, be, uaddr, val, priv);
	np_wait_asleep(w);
}

static inline int np_join(struct np_waiter *w)
{
	pthread_join(w->thread, NULL);
	return w->ret;
}

/* Is @w still asleep (checked for @ms, it must not return meanwhile)? */
static inline void np_check_asleep(struct np_waiter *w, long ms)
{
	t_sleep_ms(ms);
	if (__atomic_load_n(&w->done, __ATOMIC_SEQ_CST))
		t_fail("%s waiter on %p returned %d (%s) but nobody woke it",
		       w->be->name, (void *)w->uaddr, w->ret, np_err(w->ret));
	CHECK(np_asleep(0, w->tid, w->be->sysno) == 1,
	      "%s waiter on %p is not asleep", w->be->name, (void *)w->uaddr);
}

/* ---- memory probes ------------------------------------------------------- */

#define PM_PRESENT 0x8000000000000000ULL
#define PM_SWAPPED 0x4000000000000000ULL
#define PM_PFN_MASK ((1ULL << 55) - 1)

/* The pagemap entry of @addr in process @pid (0: this one). */
static inline uint64_t np_pagemap(pid_t pid, const void *addr)
{
	char path[64];
	uint64_t e = 0;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/pagemap", pid ? pid : getpid());
	fd = open(path, O_RDONLY | O_CLOEXEC);
	CHECK(fd >= 0, "open %s: %s", path, strerror(errno));
	CHECK(pread(fd, &e, 8, (off_t)((uintptr_t)addr / PGSZ * 8)) == 8,
	      "read %s: %s", path, strerror(errno));
	close(fd);
	return e;
}

/* How many of the @len bytes' pages at @addr are resident (mincore). */
static inline size_t np_resident(const void *addr, size_t len)
{
	size_t n = (len + PGSZ - 1) / PGSZ, i, r = 0;
	unsigned char *v = malloc(n);

	CHECK(v, "malloc");
	CHECK(mincore((void *)addr, len, v) == 0, "mincore: %s",
	      strerror(errno));
	for (i = 0; i < n; i++)
		r += v[i] & 1;
	free(v);
	return r;
}

/* Field @field (e.g. "Swap:") in kB of the VMA of @addr in /proc/self/smaps. */
static inline long np_smaps_kb(const void *addr, const char *field)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[512];
	int in = 0;
	long kb = -1;

	CHECK(f, "open smaps: %s", strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		unsigned long s, e;
		char c;

		if (sscanf(line, "%lx-%lx %c", &s, &e, &c) == 3 &&
		    strchr(line, '-') < strchr(line, ' ')) {
			in = (uintptr_t)addr >= s && (uintptr_t)addr < e;
			continue;
		}
		if (in && !strncmp(line, field, strlen(field))) {
			kb = atol(line + strlen(field));
			break;
		}
	}
	fclose(f);
	return kb;
}

/* The NUMA node of the page at @addr (move_pages query), or -errno. */
static inline int np_node(void *addr)
{
	int status = -1;

	CHECK(syscall(SYS_move_pages, 0, 1UL, &addr, NULL, &status, 0) == 0,
	      "move_pages query: %s", strerror(errno));
	return status;
}

/* Is NUMA node 1 online (the VM has two nodes)? */
static inline int np_two_nodes(void)
{
	return access("/sys/devices/system/node/node1", F_OK) == 0;
}

/* Read a small sysfs/proc number; -1 if absent. */
static inline long np_read_long(const char *path)
{
	char buf[64];

	return np_read_buf(path, buf, sizeof(buf)) > 0 ? atol(buf) : -1;
}

static inline int np_write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), r;

	if (fd < 0)
		return -errno;
	r = write(fd, s, strlen(s)) == (ssize_t)strlen(s) ? 0 : -errno;
	close(fd);
	return r;
}

/* A field of /proc/meminfo in kB. */
static inline long np_meminfo_kb(const char *field)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[256];
	long kb = -1;

	CHECK(f, "open /proc/meminfo: %s", strerror(errno));
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, field, strlen(field)) &&
		    line[strlen(field)] == ':') {
			kb = atol(line + strlen(field) + 1);
			break;
		}
	fclose(f);
	return kb;
}

/* How many swap devices are active (the lines of /proc/swaps after its header). */
static inline int np_swap_devices(void)
{
	FILE *f = fopen("/proc/swaps", "r");
	char line[256];
	int lines = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		lines++;
	fclose(f);
	return lines > 1 ? lines - 1 : 0;
}

/* The disk file system of the test VM, or NULL. */
static inline const char *np_disk(void)
{
	const char *d = getenv("ALTFUTEX_VM_DISK");

	return d && *d ? d : NULL;
}

/* ---- running a scenario with both backends ----------------------------- */

typedef void (*np_scenario_fn)(const struct backend *be);

static int np_failed;
static char np_rows[16][128];
static int np_nrows;

/*
 * Run @fn once per backend, each in a child process, and print the row.
 * Returns nothing; np_failed counts failed altfutex runs.
 */
static inline void np_run(const char *scenario, np_scenario_fn fn)
{
	const char *res[2];
	size_t i;

	for (i = 0; i < 2; i++) {
		const struct backend *be = &np_backends[i];
		pid_t pid;
		int st;

		t_log("---- %s with %s", scenario, be->name);
		fflush(stdout);
		fflush(stderr);
		pid = fork();
		CHECK(pid >= 0, "fork: %s", strerror(errno));
		if (!pid) {
			fn(be);
			fflush(stdout);
			_exit(T_PASS);
		}
		st = t_reap(pid);
		res[i] = st == T_PASS ? "ok" : st == T_SKIP ? "skip" : "FAIL";
		if (st != T_PASS && st != T_SKIP && i == 0)
			np_failed++;
	}
	t_log("ROW %-30s altfutex=%-5s native=%s", scenario, res[0], res[1]);
	if (np_nrows < 16)
		snprintf(np_rows[np_nrows++], sizeof(np_rows[0]),
			 "%-30s altfutex=%-5s native=%s", scenario, res[0],
			 res[1]);
	if (strcmp(res[1], "ok") && strcmp(res[1], "skip"))
		t_log("note: the native futex failed %s (reported, not a failure of this test)",
		      scenario);
}

/* Print the table of every np_run() so far. */
static inline void np_summary(void)
{
	int i;

	t_log("scenario                       altfutex       native");
	for (i = 0; i < np_nrows; i++)
		t_log("%s", np_rows[i]);
}

#endif /* ALTFUTEX_TEST_NOPIN_H */
