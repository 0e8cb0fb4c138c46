// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * The life of an altfutex fd beyond its creator:
 *  - 1000 fds on one key are woken in FIFO order by wakes of 1;
 *  - an fd sent by SCM_RIGHTS outlives its creator and is woken by a
 *    third process through a shared memfd mapped at another address;
 *  - an fd on a private futex whose process is gone is never woken by a
 *    new process that uses the same address (the fd holds its mm, so a
 *    stale key cannot match a recycled one: the README's "How the design
 *    avoids pinning pages");
 *  - an fd stays wakeable after its mapping is unmapped;
 *  - 100 000 create/close cycles leak nothing (slab counts).
 */
#include <sys/resource.h>
#include <sys/socket.h>

#include "helpers.h"

#define NR_FIFO		1000
#define NR_CYCLES	100000

static void test_fifo_1000(void)
{
	static int fds[NR_FIFO];
	struct rlimit rl = { 4096, 4096 };
	static uint32_t word;
	int i;

	setrlimit(RLIMIT_NOFILE, &rl);
	for (i = 0; i < NR_FIFO; i++) {
		fds[i] = altfutex_fd(&word, 0, ALTFUTEX_PRIVATE);
		CHECK(fds[i] >= 0, "fd %d: %d", i, fds[i]);
	}
	for (i = 0; i < NR_FIFO; i++) {
		CHECK_RET(altfutex_wake(&word, 1, ALTFUTEX_PRIVATE), 1);
		CHECK(t_readable(fds[i]), "fd %d not woken by wake %d", i, i);
		if (i + 1 < NR_FIFO)
			CHECK(!t_readable(fds[i + 1]), "fd %d woken early", i + 1);
	}
	CHECK_RET(altfutex_wake(&word, 1, ALTFUTEX_PRIVATE), 0);
	for (i = 0; i < NR_FIFO; i++)
		close(fds[i]);
	t_log("%d fds on one key woken one by one in FIFO order", NR_FIFO);
}

static uint32_t *map_memfd(int mfd)
{
	uint32_t *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED,
			   mfd, 0);

	CHECK(p != MAP_FAILED, "mmap");
	return p;
}

static void test_scm_rights(void)
{
	int sv[2], mfd, fd, st;
	uint32_t *w;
	pid_t creator, waker;

	mfd = memfd_create("fd_life", 0);
	CHECK(mfd >= 0 && !ftruncate(mfd, 4096), "memfd");
	CHECK(!socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), "socketpair");

	creator = fork();
	CHECK(creator >= 0, "fork");
	if (!creator) {
		uint32_t *cw;

		mmap(NULL, 8192, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
		     -1, 0);	/* shift the next mapping's address */
		cw = map_memfd(mfd);
		cw[5] = 42;
		fd = altfutex_fd(&cw[5], 42, 0);
		if (fd < 0)
			_exit(T_FAIL);
		t_send_fd(sv[0], fd);
		_exit(T_PASS);	/* the fd now lives only in the parent */
	}
	fd = t_recv_fd(sv[1]);
	CHECK(t_reap(creator) == T_PASS, "creator failed");
	CHECK(!t_readable(fd), "ready before any wake");

	waker = fork();
	CHECK(waker >= 0, "fork");
	if (!waker) {
		w = map_memfd(mfd);
		_exit(altfutex_wake(&w[5], INT_MAX, 0) == 1 ? T_PASS : T_FAIL);
	}
	CHECK(t_reap(waker) == T_PASS, "third process did not wake the fd");
	CHECK(t_readable(fd), "fd not woken");
	close(fd);

	/* a private futex fd whose process is gone matches nobody */
	creator = fork();
	CHECK(creator >= 0, "fork");
	if (!creator) {
		static uint32_t pw = 7;

		fd = altfutex_fd(&pw, 7, ALTFUTEX_PRIVATE);
		if (fd < 0)
			_exit(T_FAIL);
		t_send_fd(sv[0], fd);
		_exit(T_PASS);
	}
	fd = t_recv_fd(sv[1]);
	CHECK(t_reap(creator) == T_PASS, "creator failed");
	waker = fork();
	CHECK(waker >= 0, "fork");
	if (!waker) {
		static uint32_t pw = 7;	/* same address in a new process */

		_exit(altfutex_wake(&pw, INT_MAX, ALTFUTEX_PRIVATE) == 0 ?
		      T_PASS : T_FAIL);
	}
	st = t_reap(waker);
	CHECK(st == T_PASS, "a new process woke a dead process's fd");
	CHECK(!t_readable(fd), "stale private fd became ready");
	close(fd);
	close(sv[0]);
	close(sv[1]);
	close(mfd);
	t_log("SCM_RIGHTS: fd outlives its creator, woken by a third process;"
	      " a dead process's private fd matches nobody");
}

static void test_munmap(void)
{
	uint32_t *a, *b;
	int mfd, fd;

	mfd = memfd_create("fd_munmap", 0);
	CHECK(mfd >= 0 && !ftruncate(mfd, 4096), "memfd");
	a = map_memfd(mfd);
	b = map_memfd(mfd);
	fd = altfutex_fd(&a[1], 0, 0);
	CHECK(fd >= 0, "altfutex_fd: %d", fd);
	CHECK(!munmap(a, 4096), "munmap");
	CHECK_RET(altfutex_wake(&b[1], 1, 0), 1);
	CHECK(t_readable(fd), "fd not woken after munmap");
	close(fd);

	a = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	fd = altfutex_fd(&a[0], 0, ALTFUTEX_PRIVATE);
	CHECK(fd >= 0, "altfutex_fd: %d", fd);
	CHECK(!munmap(a, 4096), "munmap");
	/* a private wake never touches memory: it still finds the fd */
	CHECK_RET(altfutex_wake(&a[0], 1, ALTFUTEX_PRIVATE), 1);
	CHECK(t_readable(fd), "private fd not woken after munmap");
	close(fd);
	munmap(b, 4096);
	close(mfd);
	t_log("fds stay wakeable after their mapping is unmapped");
}

static void test_no_leak(void)
{
	static uint32_t word;
	long before, after;
	int i, fd, fds_before;

	fds_before = dup(0);
	close(fds_before);
	before = t_slab_active("altfutex_fd");
	for (i = 0; i < NR_CYCLES; i++) {
		fd = altfutex_fd(&word, 0, ALTFUTEX_PRIVATE);
		CHECK(fd >= 0, "cycle %d: %d", i, fd);
		close(fd);
		if (!(i & 1))
			CHECK_RET(altfutex_fd(&word, 1, 0), -EAGAIN);
	}
	CHECK_RET(altfutex_wake(&word, INT_MAX, ALTFUTEX_PRIVATE), 0);
	fd = dup(0);
	CHECK(fd == fds_before, "fd numbers leaked (%d vs %d)", fd,
	      fds_before);
	close(fd);
	after = t_slab_active("altfutex_fd");
	if (before < 0 || after < 0) {
		/* a merged cache (no slab_nomerge) has no line of its own */
		t_log("%d cycles; altfutex_fd not in /proc/slabinfo: no slab check",
		      NR_CYCLES);
		return;
	}
	/* allow what per-CPU slabs may hold, not a leak of 100 000 */
	CHECK(after <= before + 256, "altfutex_fd objects %ld -> %ld", before,
	      after);
	t_log("%d create/close cycles: altfutex_fd objects %ld -> %ld",
	      NR_CYCLES, before, after);
}

int main(void)
{
	t_init("fd_life", 240);
	if (altfutex_open() < 0)
		t_skip("no /dev/altfutex");
	test_fifo_1000();
	test_scm_rights();
	test_munmap();
	test_no_leak();
	return T_PASS;
}
