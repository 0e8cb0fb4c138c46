// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * fuse: a futex word whose read never finishes, in a FUSE file.  The test
 * is the server (raw /dev/fuse protocol, one file "f"): once silenced, it
 * parks every READ until a FUSE_INTERRUPT for it comes, then answers it
 * -EINTR (a request the server has read ends on SIGKILL only so).  What
 * the module holds meanwhile must not keep the caller from dying nor
 * anyone else from going on:
 *
 *   wait   a thread of a child waits (flags 0, ALTFUTEX_PRIVATE) on a word
 *          of a MAP_SHARED mapping of "f" whose page is not cached: the
 *          read blocks in FUSE; SIGKILL must reap the child within 2 s;
 *   rearm  an fd waiter on such a word, created while the page was cached,
 *          woken, the page evicted: its re-arm blocks in FUSE (flags 0:
 *          through the page cache).  Another process sharing the fd must
 *          get -EAGAIN from a non-blocking read() and 0 from close(), each
 *          within 500 ms; a wake of an unrelated word must work; SIGKILL
 *          must reap the re-arming process within 2 s.
 *
 * Then the server is killed, which aborts the connection, and the mount
 * detached.  Skipped (77) without /dev/fuse or if the mount fails.
 */
#include <linux/fuse.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/uio.h>

#include "helpers.h"

#define FSIZE	(16 * 4096)	/* the size of "f", all zeros */
#define PARKED	64
#define LOAD(x)		__atomic_load_n(&(x), __ATOMIC_SEQ_CST)
#define STORE(x, v)	__atomic_store_n(&(x), (v), __ATOMIC_SEQ_CST)

/* Shared by the test's processes. */
static struct {
	int silent;		/* the server parks READs */
	int parked;		/* READs parked, since the case began */
	int interrupts;		/* parked READs answered -EINTR */
	int tid;		/* the thread that waits or re-arms */
	int sharer;		/* the other process sharing the fd */
	int done, ret;		/* the re-arm returned ret */
	int answered;		/* the sharer's results are in */
	struct { int ret, err, ms; } res[2];	/* read(), close() */
} *ctl;
static char mnt[64], path[80];
static int failures;

#define bad(fmt, ...) do {						\
	t_log("FAIL: " fmt, ##__VA_ARGS__);				\
	failures++;							\
} while (0)

static void reply(int fd, uint64_t unique, int error, const void *p, size_t n)
{
	struct fuse_out_header h = { sizeof(h) + n, error, unique };
	struct iovec iov[2] = { { &h, sizeof(h) }, { (void *)p, n } };

	if (writev(fd, iov, 2) < 0 && errno != ENOENT)
		t_log("server: answering %llu: %s",
		      (unsigned long long)unique, strerror(errno));
}

static void attr_of(uint64_t node, struct fuse_attr *a)
{
	a->ino = node;
	a->mode = node == 1 ? S_IFDIR | 0755 : S_IFREG | 0644;
	a->nlink = node == 1 ? 2 : 1;
	a->size = node == 1 ? 0 : FSIZE;
	a->blocks = a->size / 512;
	a->blksize = 4096;
}

/* The server: no INIT flags, no readahead, no async read; page cache. */
static void serve(int fd)
{
	static char buf[FUSE_MIN_READ_BUFFER + 65536], zeros[65536];
	struct fuse_in_header *in = (void *)buf;
	struct fuse_read_in *rd = (void *)(in + 1);
	struct fuse_init_in *init = (void *)(in + 1);
	struct fuse_interrupt_in *intr = (void *)(in + 1);
	uint64_t parked[PARKED] = { 0 };
	union {
		struct fuse_init_out init;
		struct fuse_entry_out entry;
		struct fuse_attr_out attr;
		struct fuse_open_out open;
	} o;
	size_t n;
	int i, err;

	for (;;) {
		if (read(fd, buf, sizeof(buf)) < 0) {
			if (errno == EINTR || errno == ENOENT)
				continue;
			_exit(0);	/* ENODEV: unmounted or aborted */
		}
		memset(&o, 0, sizeof(o));
		n = 0;
		err = 0;
		switch (in->opcode) {
		case FUSE_INIT:		/* the kernel's minor, if older */
			o.init = (struct fuse_init_out){ FUSE_KERNEL_VERSION,
				init->minor < FUSE_KERNEL_MINOR_VERSION ?
				init->minor : FUSE_KERNEL_MINOR_VERSION,
				.max_write = 4096, .time_gran = 1 };
			n = sizeof(o.init);
			break;
		case FUSE_LOOKUP:
			if (in->nodeid != 1 || strcmp((char *)(in + 1), "f")) {
				err = -ENOENT;
				break;
			}
			o.entry = (struct fuse_entry_out){ .nodeid = 2,
				.entry_valid = 3600, .attr_valid = 3600 };
			attr_of(2, &o.entry.attr);
			n = sizeof(o.entry);
			break;
		case FUSE_GETATTR:
			o.attr.attr_valid = 3600;
			attr_of(in->nodeid, &o.attr.attr);
			n = sizeof(o.attr);
			break;
		case FUSE_OPEN:	/* neither FOPEN_KEEP_CACHE nor DIRECT_IO */
			o.open.fh = 1;
			n = sizeof(o.open);
			break;
		case FUSE_FLUSH:
		case FUSE_RELEASE:
			break;
		case FUSE_READ:
			if (LOAD(ctl->silent)) {
				for (i = 0; i < PARKED - 1 && parked[i]; i++)
					;
				parked[i] = in->unique;
				__atomic_add_fetch(&ctl->parked, 1,
						   __ATOMIC_SEQ_CST);
				continue;
			}
			n = rd->offset < FSIZE ? FSIZE - rd->offset : 0;
			reply(fd, in->unique, 0, zeros,
			      n < rd->size ? n : rd->size);
			continue;
		case FUSE_INTERRUPT:	/* answer the READ, not the interrupt */
			for (i = 0; i < PARKED; i++) {
				if (!parked[i] || parked[i] != intr->unique)
					continue;
				reply(fd, parked[i], -EINTR, NULL, 0);
				parked[i] = 0;
				__atomic_add_fetch(&ctl->interrupts, 1,
						   __ATOMIC_SEQ_CST);
			}
			continue;
		case FUSE_FORGET:
		case FUSE_BATCH_FORGET:
			continue;
		default:
			err = -EIO;
		}
		reply(fd, in->unique, err, &o, n);
	}
}

/* Wait up to @ms for *@v to be nonzero. */
static int until(int *v, long ms)
{
	for (; ms > 0 && !LOAD(*v); ms -= 5)
		t_sleep_ms(5);
	return LOAD(*v);
}

/* The first word of "f", mapped shared and read-only. */
static uint32_t *map_f(int *fdp)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	void *p;

	CHECK(fd >= 0, "open %s: %s", path, strerror(errno));
	p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
	CHECK(p != MAP_FAILED, "mmap: %s", strerror(errno));
	if (fdp)
		*fdp = fd;
	return p;
}

/* SIGKILL @pid, which must be gone within 2 s. */
static void kill_check(pid_t pid, const char *what, unsigned int flags)
{
	int n = LOAD(ctl->interrupts), ms;

	kill(pid, SIGKILL);
	ms = t_reap_within(pid, 2000);
	if (ms < 0)
		t_fail("%s, flags %#x: alive 2 s after SIGKILL", what, flags);
	t_log("ok: %s, flags %#x: reaped %d ms after SIGKILL (%d READ(s) interrupted)",
	      what, flags, ms, LOAD(ctl->interrupts) - n);
}

static void check_wait(unsigned int flags)
{
	struct t_waiter w;
	pid_t pid;

	memset(ctl, 0, sizeof(*ctl));	/* nothing in flight */
	STORE(ctl->silent, 1);
	pid = t_fork();
	if (!pid) {
		t_waiter_spawn(&w, map_f(NULL), 0, flags, -1, "fuse word");
		STORE(ctl->tid, w.tid);
		pause();
		_exit(0);
	}
	CHECK(until(&ctl->tid, 5000), "wait, flags %#x: no thread", flags);
	if (until(&ctl->parked, 2000))
		t_log("wait, flags %#x: the wait blocks in FUSE (state %c)",
		      flags, t_sleep_state(pid, ctl->tid, SYS_ioctl));
	else
		bad("wait, flags %#x: no READ reached the server", flags);
	kill_check(pid, "wait", flags);
}

static int rearm_fd;

static void *rearm_main(void *arg)
{
	STORE(ctl->tid, t_gettid());
	ctl->ret = altfutex_fd_rearm(rearm_fd, 0);
	STORE(ctl->done, 1);
	return NULL;
}

/* The other process: once the re-arm blocks, read() and close() the fd. */
static void sharer(void)
{
	int64_t t0;
	uint64_t v;
	int i;

	until(&ctl->parked, 2000);
	for (i = 0; i < 2; i++) {
		t0 = t_now_ns(CLOCK_MONOTONIC);
		ctl->res[i].ret = i ? close(rearm_fd) :
				  (int)read(rearm_fd, &v, sizeof(v));
		ctl->res[i].err = errno;
		ctl->res[i].ms = (int)((t_now_ns(CLOCK_MONOTONIC) - t0) /
				       NSEC_PER_MSEC);
	}
	STORE(ctl->answered, 1);
	_exit(0);
}

static void rearmer(unsigned int flags)
{
	int ffd;
	uint32_t *word = map_f(&ffd);
	unsigned char vec;
	pid_t sharer_pid;
	pthread_t t;

	rearm_fd = t_fd_woken(word, flags);
	/* evict the page too: the next read of the word goes to the server */
	CHECK(!posix_fadvise(ffd, 0, 0, POSIX_FADV_DONTNEED), "fadvise");
	CHECK(!mincore(word, 4096, &vec) && !(vec & 1),
	      "the page of the word is still cached");
	STORE(ctl->silent, 1);
	fflush(NULL);
	sharer_pid = fork();
	if (!sharer_pid)
		sharer();
	STORE(ctl->sharer, sharer_pid);
	pthread_create(&t, NULL, rearm_main, NULL);
	pause();
	_exit(0);
}

static void check_rearm(unsigned int flags)
{
	static uint32_t other;
	struct t_waiter w;
	pid_t pid;

	memset(ctl, 0, sizeof(*ctl));	/* the server answers */
	pid = t_fork();
	if (!pid)
		rearmer(flags);
	CHECK(until(&ctl->tid, 5000), "rearm, flags %#x: no re-arm", flags);
	if (until(&ctl->parked, 2000))
		t_log("rearm, flags %#x: the re-arm blocks in FUSE (state %c)",
		      flags, t_sleep_state(pid, ctl->tid, SYS_ioctl));
	else if (LOAD(ctl->done))
		bad("rearm, flags %#x: the re-arm returned %d (%s), no READ sent",
		    flags, ctl->ret, t_err(ctl->ret));
	else
		bad("rearm, flags %#x: no READ sent, and the re-arm never returned",
		    flags);

	/* an unrelated futex works meanwhile */
	t_waiter_start(&w, &other, 0, 0, T_SAFETY_MS, "unrelated");
	CHECK_RET(altfutex_wake(&other, 1, 0), 1);
	t_waiter_expect_within(&w, 0, 500);

	/* the other process sharing the fd must not wait behind it */
	if (!until(&ctl->answered, 1000))
		t_log("rearm, flags %#x: the sharer still waits after 1 s",
		      flags);
	kill_check(pid, "rearm", flags);
	/* the sharer is ours now (subreaper): its answers, late or not */
	if (!until(&ctl->answered, 2000))
		t_fail("rearm, flags %#x: the sharer never answered", flags);
	t_log("rearm, flags %#x: sharer: read() %d (%s) in %d ms, close() %d in %d ms",
	      flags, ctl->res[0].ret, ctl->res[0].ret < 0 ?
	      strerror(ctl->res[0].err) : "ok", ctl->res[0].ms,
	      ctl->res[1].ret, ctl->res[1].ms);
	if (ctl->res[0].ret != -1 || ctl->res[0].err != EAGAIN ||
	    ctl->res[0].ms >= 500 || ctl->res[1].ret || ctl->res[1].ms >= 500)
		bad("rearm, flags %#x: the sharer's read() or close() waited behind the re-arm",
		    flags);
	if (t_reap_within(ctl->sharer, 2000) < 0)
		t_fail("the sharer did not exit");
}

int main(void)
{
	pid_t server, pid;
	char opts[96];
	int fd;

	t_init("fuse", 60);
	fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		t_skip("/dev/fuse: %s", strerror(errno));
	strcpy(mnt, "/tmp/altfutex-fuse.XXXXXX");
	CHECK(mkdtemp(mnt), "mkdtemp: %s", strerror(errno));
	snprintf(path, sizeof(path), "%s/f", mnt);
	snprintf(opts, sizeof(opts),
		 "fd=%d,rootmode=40000,user_id=0,group_id=0", fd);
	if (mount("altfutex", mnt, "fuse", MS_NOSUID | MS_NODEV, opts)) {
		int err = errno;

		rmdir(mnt);
		t_skip("mount fuse: %s", strerror(err));
	}
	ctl = t_map(1, PROT_READ | PROT_WRITE, MAP_SHARED);
	server = t_fork();	/* /dev/fuse reads fail until the mount */
	if (!server)
		serve(fd);
	close(fd);	/* the server's is the last: killing it aborts */
	/* orphaned sharers are reparented to us */
	CHECK(!prctl(PR_SET_CHILD_SUBREAPER, 1), "PR_SET_CHILD_SUBREAPER: %s",
	      strerror(errno));
	check_wait(0);
	check_wait(ALTFUTEX_PRIVATE);
	check_rearm(ALTFUTEX_PRIVATE);
	check_rearm(0);

	kill(server, SIGKILL);
	t_reap(server);
	fflush(NULL);
	pid = fork();	/* a page left locked would hang the umount */
	if (!pid)
		_exit(umount2(mnt, MNT_DETACH) ? 1 : 0);
	if (t_reap_within(pid, 2000) < 0)
		bad("umount2(MNT_DETACH) still blocked after 2 s");
	else
		rmdir(mnt);
	if (failures)
		t_fail("%d check(s) failed (above)", failures);
	t_log("PASS");
	return T_PASS;
}
