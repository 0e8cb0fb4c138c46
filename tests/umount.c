// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * umount: a key on a MAP_SHARED file page must not outlive what pins its
 * filesystem.  A word of a file on a fresh tmpfs is mapped, an altfutex
 * waiter queued on it, the mapping and the file closed, the tmpfs
 * unmounted: nothing but altfutex then refers to the file.  If the key
 * held only its inode, umount would shut the superblock down under it
 * ("VFS: Busy inodes after unmount", then a kernel BUG when the key's
 * inode is finally put).  Scenarios, each on a tmpfs of its own:
 *   fd       an fd waiter, closed after the umount;
 *   wait     a thread waiting with a timeout, which must time out;
 *   rearm    an fd waiter woken, then re-armed after the umount (which
 *            reads the word through the page cache);
 *   requeue  a thread requeued from a private word onto the tmpfs word,
 *            which must time out there.
 * Each runs twice: as root in a private mount namespace, and as uid 65534
 * in a user and mount namespace of its own (that half is skipped, with a
 * message, if unshare(CLONE_NEWUSER) is refused).  "umount SCENARIO" runs
 * one scenario only.  The kernel log is read after each step: anything it
 * says about a filesystem fails the test (the runner fails it, too, on a
 * WARN or BUG).
 */
#include <grp.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>

#include "helpers.h"

#define NOBODY 65534
#define WAIT_MS 500	/* longer than munmap + close + umount under TCG */
#define MAX_WAIT_MS 4000	/* 0.5 + 1 + 2 + 4 s: inside the 60 s watchdog */

static char mnt[32];	/* the mount point, made by main() */
static int kmsg = -1;	/* /dev/kmsg, positioned at its end; -1: none */

/* Fail if the kernel logged a report since the last call. */
static void kmsg_check(const char *what)
{
	static const char *const bad[] = {
		"VFS:", "Busy inodes", "BUG", "WARNING", "Oops",
	};
	char buf[2048], *msg;
	unsigned int i;
	int found = 0;
	ssize_t n;

	if (kmsg < 0)
		return;
	t_sleep_ms(50);		/* a delayed fput(), from a workqueue */
	for (;;) {
		n = read(kmsg, buf, sizeof(buf) - 1);
		if (n < 0 && errno == EPIPE)
			continue;	/* records overwritten: go on */
		if (n <= 0)
			break;
		buf[n] = 0;
		msg = strchr(buf, ';');
		msg = msg ? msg + 1 : buf;
		for (i = 0; i < ARRAY_SIZE(bad); i++) {
			if (strstr(msg, bad[i])) {
				fprintf(stderr, "%s: kernel: %s", t_name, msg);
				found = 1;
				break;
			}
		}
	}
	if (found)
		t_fail("%s: the kernel logged the report above", what);
}

/* Mount a new tmpfs on mnt; map a word of a new file on it. */
static uint32_t *setup(int *fdp)
{
	char path[64];
	uint32_t *p;
	int fd;

	CHECK(!mount("altfutex-umount", mnt, "tmpfs", 0, "size=64k"),
	      "mount tmpfs on %s: %s", mnt, strerror(errno));
	snprintf(path, sizeof(path), "%s/word", mnt);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	CHECK(fd >= 0, "create %s: %s", path, strerror(errno));
	CHECK(!ftruncate(fd, 4096), "ftruncate: %s", strerror(errno));
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(p != MAP_FAILED, "mmap: %s", strerror(errno));
	*fdp = fd;
	p[16] = 0;
	return &p[16];
}

/* Unmap and close the file: from now on only altfutex refers to it. */
static void unmap_close(uint32_t *word, int fd)
{
	CHECK(!munmap((char *)word - 64, 4096), "munmap: %s", strerror(errno));
	CHECK(!close(fd), "close: %s", strerror(errno));
}

/*
 * Unmount the tmpfs while a key still names the file.  The module's
 * choice: a shared key holds a reference on the mapped struct file, which
 * pins the mount like any open file, so umount(2) fails with EBUSY and
 * MNT_DETACH detaches the mount, the filesystem being shut down when the
 * last waiter leaves.  A module that kept the filesystem alive some other
 * way could let the plain umount succeed, and that is as safe: both are
 * accepted, so that this test is about safety (the filesystem is never
 * shut down under a key), not about which of the two safe answers.
 */
static void do_umount(const char *what)
{
	if (!umount(mnt)) {
		t_log("%s: umount succeeded with a waiter queued", what);
	} else {
		CHECK(errno == EBUSY, "%s: umount: %s", what, strerror(errno));
		CHECK(!umount2(mnt, MNT_DETACH), "%s: umount2(MNT_DETACH): %s",
		      what, strerror(errno));
		t_log("%s: umount: EBUSY; MNT_DETACH done", what);
	}
	kmsg_check(what);
}

static void scenario_fd(void)
{
	uint32_t *word;
	int fd, afd;

	word = setup(&fd);
	afd = altfutex_fd(word, 0, 0);
	CHECK(afd >= 0, "altfutex_fd: %s", t_err(afd));
	unmap_close(word, fd);
	do_umount("fd");
	CHECK(!close(afd), "close the fd waiter: %s", strerror(errno));
	kmsg_check("fd: after the last close");
	t_log("ok: fd: fd waiter closed after the umount");
}

/*
 * The thread scenarios need the wait's timeout to fire after the umount:
 * WAIT_MS outlasts munmap + close + umount + the kernel-log read under
 * TCG, but a loaded host can stretch those.  A try whose wait ended
 * before the umount proves nothing (and fails nothing): it is run again
 * with twice the timeout, up to MAX_WAIT_MS.
 */
static void with_longer_waits(const char *what, int (*try)(long ms))
{
	long ms;

	for (ms = WAIT_MS; ms <= MAX_WAIT_MS; ms *= 2) {
		if (try(ms))
			return;
		t_log("%s: the %ld ms wait ended before the umount: again, with %ld ms",
		      what, ms, 2 * ms);
	}
	t_fail("%s: even a %d ms wait ended before the umount", what,
	       MAX_WAIT_MS);
}

/* 1 if the waiter was still queued at the umount, 0 if it had timed out */
static int try_wait(long ms)
{
	struct t_waiter w;
	uint32_t *word;
	int fd, early;

	word = setup(&fd);
	t_waiter_start(&w, word, 0, 0, ms, "waiter on the tmpfs word");
	unmap_close(word, fd);
	do_umount("wait");
	early = t_waiter_done(&w);
	t_waiter_expect_within(&w, -ETIMEDOUT, ms + 5000);
	kmsg_check("wait: after the timeout");
	return !early;
}

static void scenario_wait(void)
{
	with_longer_waits("wait", try_wait);
	t_log("ok: wait: the waiter timed out after the umount");
}

static void scenario_rearm(void)
{
	uint32_t *word;
	uint64_t n;
	int fd, afd, r;

	word = setup(&fd);
	afd = altfutex_fd(word, 0, 0);
	CHECK(afd >= 0, "altfutex_fd: %s", t_err(afd));
	CHECK_RET(altfutex_wake(word, 1, 0), 1);
	CHECK(read(afd, &n, sizeof(n)) == sizeof(n), "read the fd waiter: %s",
	      strerror(errno));
	unmap_close(word, fd);
	do_umount("rearm");
	r = altfutex_fd_rearm(afd, 0);
	CHECK(r == 0 || r == -EAGAIN, "re-arm after the umount: %d (%s)", r,
	      t_err(r));
	kmsg_check("rearm: after the re-arm");
	/* no mapping is left to wake it through: just close it */
	CHECK(!close(afd), "close the fd waiter: %s", strerror(errno));
	kmsg_check("rearm: after the last close");
	t_log("ok: rearm: re-arm after the umount returned %d (%s)", r,
	      t_err(r));
}

static int try_requeue(long ms)
{
	uint32_t *priv = t_map(1, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	struct t_waiter w;
	uint32_t *word;
	int fd, early;

	word = setup(&fd);
	t_waiter_start(&w, priv, 0, 0, ms, "waiter requeued onto tmpfs");
	CHECK_RET(altfutex_requeue(priv, word, 0, 1, 0), 1);
	unmap_close(word, fd);
	do_umount("requeue");
	early = t_waiter_done(&w);
	t_waiter_expect_within(&w, -ETIMEDOUT, ms + 5000);
	kmsg_check("requeue: after the timeout");
	munmap(priv, 4096);
	return !early;
}

static void scenario_requeue(void)
{
	with_longer_waits("requeue", try_requeue);
	t_log("ok: requeue: the requeued waiter timed out after the umount");
}

static const struct {
	const char *name;
	void (*fn)(void);
} scenarios[] = {
	{ "fd", scenario_fd },
	{ "wait", scenario_wait },
	{ "rearm", scenario_rearm },
	{ "requeue", scenario_requeue },
};

static void run(const char *only)
{
	unsigned int i;

	/* nothing mounted here may propagate to the test's namespace */
	CHECK(!mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL),
	      "make / private: %s", strerror(errno));
	for (i = 0; i < ARRAY_SIZE(scenarios); i++)
		if (!only || !strcmp(only, scenarios[i].name))
			scenarios[i].fn();
	exit(T_PASS);
}

static void write_file(const char *path, const char *s)
{
	int r = t_write_str(path, s);

	CHECK(!r, "write %s: %s", path, strerror(-r));
}

static void as_root(const char *only)
{
	CHECK(!unshare(CLONE_NEWNS), "unshare(CLONE_NEWNS): %s",
	      strerror(errno));
	run(only);
}

static void as_nobody(const char *only)
{
	CHECK(!setgroups(0, NULL), "setgroups: %s", strerror(errno));
	CHECK(!setgid(NOBODY), "setgid: %s", strerror(errno));
	CHECK(!setuid(NOBODY), "setuid: %s", strerror(errno));
	prctl(PR_SET_DUMPABLE, 1);
	if (unshare(CLONE_NEWUSER | CLONE_NEWNS)) {
		t_log("SKIP as uid %d: unshare(CLONE_NEWUSER|CLONE_NEWNS): %s",
		      NOBODY, strerror(errno));
		exit(T_SKIP);
	}
	/* root in the namespace, so that files may be created on the tmpfs */
	write_file("/proc/self/setgroups", "deny");
	write_file("/proc/self/uid_map", "0 65534 1");
	write_file("/proc/self/gid_map", "0 65534 1");
	run(only);
}

int main(int argc, char **argv)
{
	const char *only = argc > 1 ? argv[1] : NULL;
	pid_t pid;
	int st;

	t_init("umount", 60);
	if (getuid())
		t_skip("needs root");
	strcpy(mnt, "/tmp/altfutex-umount-XXXXXX");
	CHECK(mkdtemp(mnt), "mkdtemp: %s", strerror(errno));
	CHECK(!chmod(mnt, 0755), "chmod: %s", strerror(errno));
	kmsg = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (kmsg >= 0)
		lseek(kmsg, 0, SEEK_END);
	else
		t_log("no /dev/kmsg (%s): relying on the runner's log check",
		      strerror(errno));

	t_log("--- as root, in a mount namespace of its own");
	pid = t_fork();
	if (!pid)
		as_root(only);
	st = t_reap(pid);
	CHECK(st == T_PASS, "the root half exited with %d", st);

	t_log("--- as uid %d, in a user and mount namespace", NOBODY);
	pid = t_fork();
	if (!pid)
		as_nobody(only);
	st = t_reap(pid);
	CHECK(st == T_PASS || st == T_SKIP, "the uid %d half exited with %d",
	      NOBODY, st);
	kmsg_check("the end");
	rmdir(mnt);
	t_log("PASS");
	return T_PASS;
}
