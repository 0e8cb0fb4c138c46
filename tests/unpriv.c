// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * unpriv: any user may use /dev/altfutex, whose node has mode 0666.
 * As root: check the node's mode, then fork two children that drop to
 * uid/gid 65534 with no supplementary groups.  Each opens the device
 * itself (the parent never touches libaltfutex before forking), does
 * wait/wake among its own threads (private and shared words), and the two
 * wake each other through a memfd mapped at different addresses.
 * Skipped (77) when not run as root.
 */
#include <grp.h>
#include <sys/prctl.h>

#include "helpers.h"

#define NOBODY 65534

static void drop_and_selftest(void *arg)
{
	char *own = arg;	/* a MAP_SHARED memfd page of this process */
	uint32_t *priv;
	struct p_waiter w;
	int fd;

	CHECK(setgroups(0, NULL) == 0, "setgroups: %s", strerror(errno));
	CHECK(setgid(NOBODY) == 0, "setgid: %s", strerror(errno));
	CHECK(setuid(NOBODY) == 0, "setuid: %s", strerror(errno));
	CHECK(getuid() == NOBODY && geteuid() == NOBODY &&
	      getgid() == NOBODY && getegid() == NOBODY, "drop failed");
	CHECK(setuid(0) != 0, "could regain root");
	prctl(PR_SET_DUMPABLE, 1);	/* let the parent read /proc/PID/task */

	fd = open("/dev/altfutex", O_RDWR | O_CLOEXEC);
	CHECK(fd >= 0, "open /dev/altfutex as uid %d: %s", NOBODY,
	      strerror(errno));
	close(fd);
	fd = altfutex_open();
	CHECK(fd >= 0, "altfutex_open as uid %d: %s", NOBODY, strerror(-fd));

	priv = mmap(NULL, PGSZ, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(priv != MAP_FAILED, "mmap: %s", strerror(errno));
	w = w_start(NULL, priv, 0, ALTFUTEX_PRIVATE, T_SAFETY_MS,
		    "thread/private");
	CHECK_RET(altfutex_wake(priv, INT_MAX, ALTFUTEX_PRIVATE), 1);
	w_expect(&w, 0);
	w = w_start(NULL, priv + 1, 0, 0, T_SAFETY_MS, "thread/anon");
	CHECK_RET(altfutex_wake(priv + 1, INT_MAX, 0), 1);
	w_expect(&w, 0);
	w = w_start(NULL, own + 8, 0, 0, T_SAFETY_MS, "thread/memfd");
	CHECK_RET(altfutex_wake(U32_AT(own, 8), INT_MAX, 0), 1);
	w_expect(&w, 0);
	CHECK_RET(altfutex_wait(priv, 1, NULL, 0), -EAGAIN);
	t_log("ok: pid %d as uid %d: opened the device, threads wait and wake",
	      getpid(), NOBODY);
}

int main(void)
{
	size_t pg = PGSZ;
	struct puppet u1, u2;
	struct p_waiter w;
	struct stat st;
	char *win, *m1, *m2;
	int fd;

	t_init("unpriv", 60);
	if (geteuid() != 0)
		t_skip("needs root to switch to uid %d", NOBODY);

	CHECK(stat("/dev/altfutex", &st) == 0, "stat /dev/altfutex: %s",
	      strerror(errno));
	CHECK(S_ISCHR(st.st_mode), "/dev/altfutex is not a character device");
	CHECK((st.st_mode & 07777) == 0666, "/dev/altfutex has mode %04o, not 0666",
	      (unsigned int)(st.st_mode & 07777));
	t_log("ok: /dev/altfutex is a character device with mode 0666");

	/* map the memfd in each child at its own address, before dropping */
	fd = t_memfd("unpriv", 2 * pg);
	win = t_reserve(8 * pg);
	m1 = mmap(win, pg, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0);
	CHECK(m1 == win, "mmap: %s", strerror(errno));
	m2 = mmap(win + 3 * pg, pg, PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_FIXED, fd, 0);
	CHECK(m2 == win + 3 * pg, "mmap: %s", strerror(errno));

	puppet_start(&u1, "u1", drop_and_selftest, m1);
	p_munmap(&u1, m2, pg);	/* u1 uses only M1 */
	puppet_start(&u2, "u2", drop_and_selftest, m2);
	p_munmap(&u2, m1, pg);	/* u2 uses only M2 */
	munmap(m1, pg);
	munmap(m2, pg);
	t_log("memfd word: u1 at %p, u2 at %p", m1 + 64, m2 + 64);

	w = w_start(&u1, m1 + 64, 0, 0, T_SAFETY_MS, "u1");
	CHECK_RET(p_wake(&u2, m2 + 64, INT_MAX, 0), 1);
	w_expect(&w, 0);
	w = w_start(&u2, m2 + 64, 0, 0, T_SAFETY_MS, "u2");
	CHECK_RET(p_wake(&u1, m1 + 64, INT_MAX, 0), 1);
	w_expect(&w, 0);
	t_log("ok: two uid-%d processes wake each other through a memfd at different addresses",
	      NOBODY);

	puppet_stop(&u1);
	puppet_stop(&u2);
	t_log("PASS");
	return T_PASS;
}
