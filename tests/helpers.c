// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * helpers: the definitions of tests/helpers.h, which documents them.
 */
#include "helpers.h"

#include <linux/futex.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>

/* ---- running a test --------------------------------------------------- */

const char *t_name = "test";

static void watchdog_fired(int sig)
{
	static const char msg[] = "FAIL: watchdog expired (test hung)\n";

	(void)sig;
	if (write(2, msg, sizeof(msg) - 1) < 0)
		_exit(T_FAIL);
	/* take every process of the test down with us */
	kill(0, SIGKILL);
	_exit(T_FAIL);
}

unsigned int t_time_scale(void)
{
	const char *s = getenv("ALTFUTEX_TEST_SCALE");
	long n = s ? atol(s) : 1;

	return n >= 1 && n <= 100 ? (unsigned int)n : 1;
}

void t_init(const char *name, unsigned int seconds)
{
	t_name = name;
	setvbuf(stdout, NULL, _IOLBF, 0);
	setpgid(0, 0);
	signal(SIGALRM, watchdog_fired);
	alarm(seconds * t_time_scale());
}

const char *t_err(int r)
{
	return r < 0 ? strerror(-r) : "ok";
}

/* ---- time ---------------------------------------------------------------- */

int64_t t_now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (int64_t)ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

void t_sleep_ms(long ms)
{
	struct timespec ts = t_ts_ms(ms);

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

struct timespec t_ts_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * NSEC_PER_MSEC };

	return ts;
}

struct timespec t_ts_ns(int64_t ns)
{
	struct timespec ts = { ns / NSEC_PER_SEC, ns % NSEC_PER_SEC };

	return ts;
}

/* ---- processes ------------------------------------------------------------ */

pid_t t_gettid(void)
{
	return (pid_t)syscall(SYS_gettid);
}

#define MAXKIDS 64

static pid_t kids[MAXKIDS];

static void kill_kids(void)
{
	int i;

	for (i = 0; i < MAXKIDS; i++) {
		if (kids[i] > 0) {
			kill(kids[i], SIGKILL);
			waitpid(kids[i], NULL, 0);
			kids[i] = 0;
		}
	}
}

static void forget_kid(pid_t pid)
{
	int i;

	for (i = 0; i < MAXKIDS; i++)
		if (kids[i] == pid)
			kids[i] = 0;
}

pid_t t_fork(void)
{
	static int registered;
	pid_t pid;
	int i;

	if (!registered) {
		atexit(kill_kids);
		registered = 1;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		t_fail("fork: %s", strerror(errno));
	if (!pid) {
		memset(kids, 0, sizeof(kids));
		return 0;
	}
	for (i = 0; i < MAXKIDS; i++) {
		if (!kids[i]) {
			kids[i] = pid;
			break;
		}
	}
	return pid;
}

int t_reap(pid_t pid)
{
	int st, r;

	while ((r = waitpid(pid, &st, 0)) < 0 && errno == EINTR)
		;
	forget_kid(pid);
	if (r < 0)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

int t_reap_within(pid_t pid, long ms)
{
	int64_t t0 = t_now_ns(CLOCK_MONOTONIC), t;

	do {
		t = t_now_ns(CLOCK_MONOTONIC) - t0;
		if (waitpid(pid, NULL, WNOHANG) == pid) {
			forget_kid(pid);
			return (int)(t / NSEC_PER_MSEC);
		}
		t_sleep_ms(5);
	} while (t < ms * NSEC_PER_MSEC);
	return -1;
}

/* ---- /proc and /sys ------------------------------------------------------ */

int t_read_file(const char *path, char *buf, size_t size)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = 0;
	return (int)n;
}

int t_read_task_file(pid_t pid, pid_t tid, const char *file, char *buf,
		     size_t size)
{
	char path[96];
	int n;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/%s",
		 pid ? pid : getpid(), tid, file);
	n = t_read_file(path, buf, size);
	return n > 0 ? n : -1;
}

long t_read_long(const char *path)
{
	char buf[64];

	return t_read_file(path, buf, sizeof(buf)) > 0 ? atol(buf) : -1;
}

int t_write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), r;

	if (fd < 0)
		return -errno;
	r = write(fd, s, strlen(s)) == (ssize_t)strlen(s) ? 0 : -errno;
	close(fd);
	return r;
}

long t_meminfo_kb(const char *field)
{
	FILE *f = fopen("/proc/meminfo", "re");
	size_t len = strlen(field);
	char line[256];
	long kb = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, field, len) && line[len] == ':') {
			kb = atol(line + len + 1);
			break;
		}
	}
	fclose(f);
	return kb;
}

int t_swap_devices(void)
{
	FILE *f = fopen("/proc/swaps", "re");
	char line[256];
	int lines = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		lines++;
	fclose(f);
	return lines > 1 ? lines - 1 : 0;
}

const char *t_vm_disk(void)
{
	const char *d = getenv("ALTFUTEX_VM_DISK");

	return d && *d ? d : NULL;
}

int t_task_state(pid_t pid, pid_t tid)
{
	char buf[256], *p;

	if (t_read_task_file(pid, tid, "stat", buf, sizeof(buf)) < 0)
		return -1;
	/* "tid (comm) S ...": comm may hold anything, even ')' */
	p = strrchr(buf, ')');
	if (!p || !p[1] || !p[2])
		return 0;
	return (unsigned char)p[2];
}

int t_sleep_state(pid_t pid, pid_t tid, long sysno)
{
	int state = t_task_state(pid, tid);
	char buf[256];

	if (state < 0 || state == 'Z' || state == 'X')
		return -1;
	if (state != 'S' && state != 'D')
		return 0;
	if (t_read_task_file(pid, tid, "syscall", buf, sizeof(buf)) < 0)
		return 0;
	return atol(buf) == sysno ? state : 0;
}

int t_asleep(pid_t pid, pid_t tid)
{
	int state = t_sleep_state(pid, tid, SYS_ioctl);

	return state < 0 ? -1 : state == 'S';
}

void t_wait_asleep(pid_t pid, pid_t tid)
{
	int r;

	while ((r = t_asleep(pid, tid)) != 1) {
		if (r < 0)
			t_fail("thread %d of process %d is gone instead of sleeping",
			       tid, pid ? pid : getpid());
		t_sleep_ms(1);
	}
}

int t_fd_is(int fd, const char *target)
{
	char path[64], link[128];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return 0;
	link[n] = 0;
	return !strcmp(link, target);
}

long t_slab_active(const char *name)
{
	char line[512];
	size_t len = strlen(name);
	long n = -1;
	FILE *f;
	int fd;

	snprintf(line, sizeof(line), "/sys/kernel/slab/%s/shrink", name);
	fd = open(line, O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (write(fd, "1", 1) != 1)
			t_log("shrinking slab cache %s: %s", name,
			      strerror(errno));
		close(fd);
	}
	f = fopen("/proc/slabinfo", "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, name, len) && line[len] == ' ') {
			n = atol(line + len);
			break;
		}
	fclose(f);
	return n;
}

/* ---- memory and descriptors ---------------------------------------------- */

void *t_map(size_t pages, int prot, int flags)
{
	size_t len = pages * PGSZ;
	void *p = mmap(NULL, len, prot, flags | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		t_fail("mmap %zu bytes: %s", len, strerror(errno));
	return p;
}

char *t_reserve(size_t len)
{
	void *p = mmap(NULL, len, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (p == MAP_FAILED)
		t_fail("reserve %zu bytes: %s", len, strerror(errno));
	return p;
}

int t_memfd(const char *name, size_t len)
{
	int fd = memfd_create(name, MFD_CLOEXEC);

	if (fd < 0)
		t_fail("memfd_create: %s", strerror(errno));
	if (ftruncate(fd, (off_t)len))
		t_fail("ftruncate memfd: %s", strerror(errno));
	return fd;
}

size_t t_resident(const void *addr, size_t len)
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

long t_smaps_kb(const void *addr, const char *field)
{
	FILE *f = fopen("/proc/self/smaps", "re");
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

int t_fd_woken(uint32_t *word, unsigned int flags)
{
	int fd = altfutex_fd(word, 0, flags);

	CHECK(fd >= 0, "altfutex_fd: %s", t_err(fd));
	CHECK_RET(altfutex_wake(word, 1, flags), 1);
	CHECK(!fcntl(fd, F_SETFL, O_NONBLOCK), "O_NONBLOCK: %s",
	      strerror(errno));
	CHECK(!madvise(word, PGSZ, MADV_DONTNEED), "madvise: %s",
	      strerror(errno));
	return fd;
}

int t_readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	CHECK(poll(&p, 1, 0) >= 0, "poll");
	return !!(p.revents & POLLIN);
}

void t_send_fd(int sock, int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	char byte = 'F';
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);

	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	CHECK(sendmsg(sock, &msg, 0) == 1, "sendmsg: %s", strerror(errno));
}

int t_recv_fd(int sock)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	char byte;
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *c;
	int fd;

	CHECK(recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) == 1, "recvmsg: %s",
	      strerror(errno));
	c = CMSG_FIRSTHDR(&msg);
	CHECK(c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS,
	      "no fd received");
	memcpy(&fd, CMSG_DATA(c), sizeof(int));
	return fd;
}

/* ---- backends ------------------------------------------------------------ */

/*
 * futex(2) takes a struct timespec of the C library's time_t; the tests
 * that use this backend are built 64-bit only (not in M32_TESTS), where
 * that is the kernel's.
 */
static int native_wait(uint32_t *uaddr, uint32_t val,
		       const struct timespec *ts, unsigned int flags)
{
	int op = FUTEX_WAIT;
	long r;

	if (flags & ALTFUTEX_PRIVATE)
		op |= FUTEX_PRIVATE_FLAG;
	r = syscall(SYS_futex, uaddr, op, val, ts, NULL, 0);
	if (r < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	return (int)r;
}

static int native_wake(uint32_t *uaddr, int nr, unsigned int flags)
{
	int op = FUTEX_WAKE;
	long r;

	if (flags & ALTFUTEX_PRIVATE)
		op |= FUTEX_PRIVATE_FLAG;
	r = syscall(SYS_futex, uaddr, op, nr, NULL, NULL, 0);
	return r < 0 ? -errno : (int)r;
}

const struct t_backend t_altfutex = {
	"altfutex", SYS_ioctl, altfutex_wait, altfutex_wake,
};

const struct t_backend t_native = {
	"native", SYS_futex, native_wait, native_wake,
};

/* ---- waiter threads ------------------------------------------------------ */

#define WAITER_STACK (64 * 1024)
#define RETURNED_MAX 64

static pthread_mutex_t returned_lock = PTHREAD_MUTEX_INITIALIZER;
static int returned_ids[RETURNED_MAX];
static int nreturned;		/* under returned_lock */

static void *waiter_main(void *arg)
{
	struct t_waiter *w = arg;

	__atomic_store_n(&w->tid, t_gettid(), __ATOMIC_SEQ_CST);
	w->t_start = t_now_ns(CLOCK_MONOTONIC);
	w->ret = w->be->wait(w->uaddr, w->val, w->has_ts ? &w->ts : NULL,
			     w->flags);
	w->t_end = t_now_ns(CLOCK_MONOTONIC);
	if (w->id >= 0) {
		pthread_mutex_lock(&returned_lock);
		if (nreturned < RETURNED_MAX)
			returned_ids[nreturned] = w->id;
		nreturned++;
		pthread_mutex_unlock(&returned_lock);
	}
	__atomic_store_n(&w->done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

void t_waiter_init(struct t_waiter *w, uint32_t *uaddr, uint32_t val,
		   unsigned int flags, const struct timespec *ts,
		   const char *what)
{
	memset(w, 0, sizeof(*w));
	w->be = &t_altfutex;
	w->uaddr = uaddr;
	w->val = val;
	w->flags = flags;
	if (ts) {
		w->ts = *ts;
		w->has_ts = 1;
	}
	w->what = what;
	w->id = -1;
}

int t_waiter_run(struct t_waiter *w)
{
	pthread_attr_t attr;
	int err;

	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, WAITER_STACK);
	err = pthread_create(&w->thread, &attr, waiter_main, w);
	pthread_attr_destroy(&attr);
	return err;
}

void t_waiter_spawn_ts(struct t_waiter *w, uint32_t *uaddr, uint32_t val,
		       unsigned int flags, const struct timespec *ts,
		       const char *what)
{
	int err;

	t_waiter_init(w, uaddr, val, flags, ts, what);
	err = t_waiter_run(w);
	if (err)
		t_fail("pthread_create for %s: %s", what, strerror(err));
	t_waiter_tid(w);
}

void t_waiter_spawn(struct t_waiter *w, uint32_t *uaddr, uint32_t val,
		    unsigned int flags, long timeout_ms, const char *what)
{
	struct timespec ts = t_ts_ms(timeout_ms);

	t_waiter_spawn_ts(w, uaddr, val, flags, timeout_ms < 0 ? NULL : &ts,
			  what);
}

void t_waiter_start_ts(struct t_waiter *w, uint32_t *uaddr, uint32_t val,
		       unsigned int flags, const struct timespec *ts,
		       const char *what)
{
	t_waiter_spawn_ts(w, uaddr, val, flags, ts, what);
	t_waiter_asleep(w);
}

void t_waiter_start(struct t_waiter *w, uint32_t *uaddr, uint32_t val,
		    unsigned int flags, long timeout_ms, const char *what)
{
	t_waiter_spawn(w, uaddr, val, flags, timeout_ms, what);
	t_waiter_asleep(w);
}

void t_waiter_start_be(struct t_waiter *w, const struct t_backend *be,
		       void *uaddr, uint32_t val, unsigned int flags)
{
	struct timespec ts = t_ts_ms(T_SAFETY_LONG_MS);
	int err;

	t_waiter_init(w, uaddr, val, flags, &ts, be->name);
	w->be = be;
	err = t_waiter_run(w);
	if (err)
		t_fail("pthread_create: %s", strerror(err));
	t_waiter_asleep(w);
}

pid_t t_waiter_tid(struct t_waiter *w)
{
	pid_t tid;

	while (!(tid = __atomic_load_n(&w->tid, __ATOMIC_SEQ_CST)))
		sched_yield();
	return tid;
}

int t_waiter_done(struct t_waiter *w)
{
	return __atomic_load_n(&w->done, __ATOMIC_SEQ_CST);
}

/* Is @w asleep on its futex (in its backend's system call)? */
static int waiter_sleeps(struct t_waiter *w)
{
	return t_sleep_state(0, w->tid, w->be->sysno) == 'S';
}

void t_waiter_asleep(struct t_waiter *w)
{
	t_waiter_tid(w);
	while (!waiter_sleeps(w)) {
		if (t_waiter_done(w))
			t_fail("waiter %s returned %d (%s) instead of sleeping",
			       w->what, w->ret, t_err(w->ret));
		t_sleep_ms(1);
	}
}

void t_waiter_check_asleep(struct t_waiter *w, long ms)
{
	t_sleep_ms(ms);
	if (t_waiter_done(w))
		t_fail("waiter %s returned %d (%s) but should still sleep",
		       w->what, w->ret, t_err(w->ret));
	if (!waiter_sleeps(w))
		t_fail("waiter %s is no longer asleep in the kernel", w->what);
}

int t_waiter_join(struct t_waiter *w)
{
	if (!w->joined) {
		pthread_join(w->thread, NULL);
		w->joined = 1;
	}
	return w->ret;
}

void t_waiter_expect(struct t_waiter *w, int want)
{
	int r = t_waiter_join(w);

	if (r != want)
		t_fail("waiter %s returned %d (%s), expected %d (%s)",
		       w->what, r, t_err(r), want, t_err(want));
}

void t_waiter_expect_within(struct t_waiter *w, int want, long ms)
{
	int64_t end = t_now_ns(CLOCK_MONOTONIC) + ms * NSEC_PER_MSEC;

	while (!t_waiter_done(w)) {
		if (t_now_ns(CLOCK_MONOTONIC) > end)
			t_fail("waiter %s did not return within %ld ms (expected %d (%s))",
			       w->what, ms, want, t_err(want));
		t_sleep_ms(1);
	}
	t_waiter_expect(w, want);
}

void t_returned_reset(void)
{
	pthread_mutex_lock(&returned_lock);
	nreturned = 0;
	pthread_mutex_unlock(&returned_lock);
}

int t_returned(void)
{
	int n;

	pthread_mutex_lock(&returned_lock);
	n = nreturned;
	pthread_mutex_unlock(&returned_lock);
	return n;
}

int t_returned_id(int i)
{
	int id;

	pthread_mutex_lock(&returned_lock);
	id = i >= 0 && i < nreturned && i < RETURNED_MAX ?
	     returned_ids[i] : -1;
	pthread_mutex_unlock(&returned_lock);
	return id;
}

void t_returned_wait(int n)
{
	int64_t end = t_now_ns(CLOCK_MONOTONIC) + 10 * NSEC_PER_SEC;

	while (t_returned() < n) {
		if (t_now_ns(CLOCK_MONOTONIC) > end)
			t_fail("only %d of %d woken waiters returned",
			       t_returned(), n);
		t_sleep_ms(1);
	}
}

void t_waiter_wake_one(uint32_t *uaddr, unsigned int flags,
		       struct t_waiter *w)
{
	int before = t_returned(), r;

	CHECK_RET(altfutex_wake(uaddr, 1, flags), 1);
	t_returned_wait(before + 1);
	if (t_returned_id(before) != w->id)
		t_fail("wake(1) number %d woke waiter %d, expected %d",
		       before + 1, t_returned_id(before), w->id);
	r = t_waiter_join(w);
	CHECK(r == 0, "waiter %d returned %d (%s)", w->id, r, t_err(r));
}

/* ---- puppets ------------------------------------------------------------- */

/* The waiter threads of a process, started by P_WAIT_BG: slot numbers. */
#define BGW_MAX 64

static struct t_waiter bgw[BGW_MAX];
static int bgw_used[BGW_MAX];

/* Start a waiter thread; return (slot << 32) | tid once its tid is known. */
static int64_t bgw_start(uint32_t *uaddr, uint32_t val, unsigned int flags,
			 long timeout_ms)
{
	int i;

	for (i = 0; i < BGW_MAX && bgw_used[i]; i++)
		;
	if (i == BGW_MAX)
		t_fail("out of background waiter slots");
	bgw_used[i] = 1;
	t_waiter_spawn(&bgw[i], uaddr, val, flags, timeout_ms, "background");
	return ((int64_t)i << 32) | (uint32_t)bgw[i].tid;
}

/* -1 while the waiter is still in altfutex_wait(), else its result. */
static int64_t bgw_poll(int slot)
{
	return t_waiter_done(&bgw[slot]) ? bgw[slot].ret : -1;
}

/* Join the waiter (blocks until it returns) and give back its result. */
static int64_t bgw_join(int slot)
{
	bgw_used[slot] = 0;
	return t_waiter_join(&bgw[slot]);
}

/* The commands, run locally or by a puppet. */
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
	P_CALL,		/* a0 function int64_t (*)(uint64_t), a1 argument */
	P_WAIT,		/* a0 uaddr, a1 val, a2 flags, a3 timeout_ms, in this thread */
	P_MREMAP,	/* a0 old, a1 old_len, a2 new_len, a3 flags, a4 new_addr */
};

struct pmsg {
	int64_t op;
	uint64_t a[6];
	char path[256];
};

static int64_t pmsg_exec(const struct pmsg *m)
{
	struct timespec ts;
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
	case P_CALL:
		return ((pcall_fn)(uintptr_t)m->a[0])(m->a[1]);
	case P_WAIT:
		ts = t_ts_ms((long)m->a[3]);
		return altfutex_wait((uint32_t *)(uintptr_t)m->a[0],
				     (uint32_t)m->a[1],
				     (long)m->a[3] < 0 ? NULL : &ts,
				     (unsigned int)m->a[2]);
	}
	t_fail("unknown puppet command %lld", (long long)m->op);
	return -1;
}

static void xwrite(int fd, const void *buf, size_t len)
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
static int xread(int fd, void *buf, size_t len)
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

static void puppet_serve(int cmd, int rep)
{
	struct pmsg m;
	int64_t r;

	memset(bgw, 0, sizeof(bgw));
	memset(bgw_used, 0, sizeof(bgw_used));
	for (;;) {
		if (xread(cmd, &m, sizeof(m)))
			_exit(T_FAIL);	/* the parent went away */
		if (m.op == P_EXIT)
			exit(T_PASS);
		r = pmsg_exec(&m);
		xwrite(rep, &r, sizeof(r));
	}
}

void puppet_start(struct puppet *p, const char *name, void (*init)(void *),
		  void *arg)
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

void puppet_stop(struct puppet *p)
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

void puppet_kill(struct puppet *p)
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
static int64_t px(struct puppet *p, const struct pmsg *m)
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

const char *pname(struct puppet *p)
{
	return p ? p->name : "self";
}

int p_wake(struct puppet *p, void *uaddr, int nr, unsigned int flags)
{
	struct pmsg m = { .op = P_WAKE,
			  .a = { (uintptr_t)uaddr, (uint64_t)(int64_t)nr, flags } };

	return (int)px(p, &m);
}

int p_wait(struct puppet *p, void *uaddr, uint32_t val, unsigned int flags,
	   long timeout_ms)
{
	struct pmsg m = { .op = P_WAIT,
			  .a = { (uintptr_t)uaddr, val, flags,
				 (uint64_t)(int64_t)timeout_ms } };

	return (int)px(p, &m);
}

void p_store(struct puppet *p, void *uaddr, uint32_t val)
{
	struct pmsg m = { .op = P_STORE, .a = { (uintptr_t)uaddr, val } };

	px(p, &m);
}

uint32_t p_load(struct puppet *p, void *uaddr)
{
	struct pmsg m = { .op = P_LOAD, .a = { (uintptr_t)uaddr } };

	return (uint32_t)px(p, &m);
}

void *p_mmap(struct puppet *p, void *addr, size_t len, int prot, int flags,
	     int fd, off_t off)
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

void *p_mremap(struct puppet *p, void *old, size_t len, void *to)
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

void p_munmap(struct puppet *p, void *addr, size_t len)
{
	struct pmsg m = { .op = P_MUNMAP, .a = { (uintptr_t)addr, len } };
	int64_t r = px(p, &m);

	if (r)
		t_fail("munmap in %s: %s", pname(p), strerror((int)-r));
}

int p_open(struct puppet *p, const char *path, int flags)
{
	struct pmsg m = { .op = P_OPEN, .a = { (uint64_t)flags } };

	if (strlen(path) >= sizeof(m.path))
		t_fail("path too long: %s", path);
	memcpy(m.path, path, strlen(path) + 1);
	return (int)px(p, &m);
}

int64_t p_call(struct puppet *p, pcall_fn fn, uint64_t arg)
{
	struct pmsg m = { .op = P_CALL, .a = { (uintptr_t)fn, arg } };

	return px(p, &m);
}

/* Is @w asleep on its futex, wherever it is? */
static int p_waiter_sleeps(const struct p_waiter *w)
{
	return t_asleep(w->pid, w->tid) == 1;
}

struct p_waiter w_start(struct puppet *p, void *uaddr, uint32_t val,
			unsigned int flags, long timeout_ms, const char *what)
{
	struct pmsg m = { .op = P_WAIT_BG,
			  .a = { (uintptr_t)uaddr, val, flags,
				 (uint64_t)(int64_t)timeout_ms } };
	struct p_waiter w;
	int64_t r = px(p, &m), res;

	w.p = p;
	w.pid = p ? p->pid : 0;
	w.slot = (int)(r >> 32);
	w.tid = (pid_t)(uint32_t)r;
	w.what = what;
	while (!p_waiter_sleeps(&w)) {
		res = w_poll(&w);
		if (res != -1)
			t_fail("waiter %s in %s returned %lld (%s) instead of sleeping",
			       what, pname(p), (long long)res, t_err((int)res));
		t_sleep_ms(1);
	}
	return w;
}

int64_t w_poll(const struct p_waiter *w)
{
	struct pmsg q = { .op = P_WAIT_POLL, .a = { (uint64_t)w->slot } };

	return px(w->p, &q);
}

int w_join(const struct p_waiter *w)
{
	struct pmsg q = { .op = P_WAIT_JOIN, .a = { (uint64_t)w->slot } };

	return (int)px(w->p, &q);
}

void w_check_asleep(const struct p_waiter *w, long ms)
{
	int64_t r;

	t_sleep_ms(ms);
	r = w_poll(w);
	if (r != -1)
		t_fail("waiter %s in %s returned %lld (%s) but should still sleep",
		       w->what, pname(w->p), (long long)r, t_err((int)r));
	if (!p_waiter_sleeps(w))
		t_fail("waiter %s in %s is not asleep in the kernel any more",
		       w->what, pname(w->p));
}

void w_expect(const struct p_waiter *w, int want)
{
	int r = w_join(w);

	if (r != want)
		t_fail("waiter %s in %s returned %d (%s), expected %d (%s)",
		       w->what, pname(w->p), r, t_err(r), want, t_err(want));
}

/* ---- a scenario with both backends --------------------------------------- */

#define BOTH_ROWS 16

static int both_failed;
static char both_rows[BOTH_ROWS][128];
static int both_nrows;

void t_both_run(const char *scenario, t_scenario_fn fn)
{
	static const struct t_backend *const be[2] = {
		&t_altfutex, &t_native,
	};
	const char *res[2];
	size_t i;

	for (i = 0; i < 2; i++) {
		pid_t pid;
		int st;

		t_log("---- %s with %s", scenario, be[i]->name);
		pid = t_fork();
		if (!pid) {
			fn(be[i]);
			fflush(stdout);
			_exit(T_PASS);
		}
		st = t_reap(pid);
		res[i] = st == T_PASS ? "ok" : st == T_SKIP ? "skip" : "FAIL";
		if (st != T_PASS && st != T_SKIP && i == 0)
			both_failed++;
	}
	t_log("ROW %-30s altfutex=%-5s native=%s", scenario, res[0], res[1]);
	if (both_nrows < BOTH_ROWS)
		snprintf(both_rows[both_nrows++], sizeof(both_rows[0]),
			 "%-30s altfutex=%-5s native=%s", scenario, res[0],
			 res[1]);
	if (strcmp(res[1], "ok") && strcmp(res[1], "skip"))
		t_log("note: the native futex failed %s (reported, not a failure of this test)",
		      scenario);
}

void t_both_summary(void)
{
	int i;

	t_log("scenario                       altfutex       native");
	for (i = 0; i < both_nrows; i++)
		t_log("%s", both_rows[i]);
}

int t_both_failed(void)
{
	return both_failed;
}
