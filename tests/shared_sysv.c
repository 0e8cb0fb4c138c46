// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * shared_sysv: a SysV shm segment attached at different addresses in two
 * processes, and twice in one process, is one futex namespace (keyed by
 * its backing inode: the README's "Keys: what "the same futex" means");
 * another segment is another namespace; after IPC_RMID a sleeping waiter
 * is still woken through any attachment that remains.
 */
#include <sys/ipc.h>
#include <sys/shm.h>

#include "helpers.h"

static int g_shmid;

/* Attach g_shmid at @addr (0: anywhere) in the calling process. */
static int64_t attach(uint64_t addr)
{
	void *p = shmat(g_shmid, (void *)(uintptr_t)addr,
			addr ? SHM_REMAP : 0);

	return p == (void *)-1 ? -errno : (int64_t)(uintptr_t)p;
}

static int64_t detach(uint64_t addr)
{
	return shmdt((void *)(uintptr_t)addr) ? -errno : 0;
}

static char *p_attach(struct puppet *p, char *addr)
{
	int64_t r = p_call(p, attach, (uintptr_t)addr);

	if (r < 0 && r > -4096)
		t_fail("shmat in %s: %s", pname(p), strerror((int)-r));
	return (char *)(uintptr_t)r;
}

int main(void)
{
	size_t pg = PGSZ;
	size_t off = pg + 256;
	struct puppet c;
	struct p_waiter w;
	char *ma, *ma2, *mb, *mb2, *mo, *win;
	int other;

	t_init("shared_sysv", 60);

	if (access("/proc/sysvipc/shm", F_OK))
		t_skip("no /proc/sysvipc/shm: no SysV shm in this kernel?");
	g_shmid = shmget(IPC_PRIVATE, 2 * pg, IPC_CREAT | 0600);
	CHECK(g_shmid >= 0, "shmget: %s", strerror(errno));
	other = shmget(IPC_PRIVATE, 2 * pg, IPC_CREAT | 0600);
	CHECK(other >= 0, "shmget: %s", strerror(errno));

	win = t_reserve(8 * pg);
	ma = p_attach(NULL, NULL);
	ma2 = p_attach(NULL, NULL);
	mo = shmat(other, NULL, 0);
	CHECK(mo != (void *)-1, "shmat: %s", strerror(errno));
	shmctl(other, IPC_RMID, NULL);	/* goes away with its last detach */

	puppet_start(&c, "child", NULL, NULL);
	mb = p_attach(&c, win);
	mb2 = p_attach(&c, win + 4 * pg);
	t_log("word at segment offset %zu: parent %p and %p, child %p and %p",
	      off, ma + off, ma2 + off, mb + off, mb2 + off);
	CHECK(ma != ma2 && ma != mb && ma2 != mb && mb != mb2,
	      "attachments must be at different addresses");

	p_store(&c, mb + off, 3);
	CHECK(*U32_AT(ma, off) == 3, "segment not shared");
	p_store(NULL, ma2 + off, 0);

	w = w_start(NULL, ma + off, 0, 0, T_SAFETY_MS, "parent@ma");
	CHECK_RET(p_wake(&c, mb + off, INT_MAX, 0), 1);
	w_expect(&w, 0);
	w = w_start(&c, mb + off, 0, 0, T_SAFETY_MS, "child@mb");
	CHECK_RET(p_wake(NULL, ma2 + off, INT_MAX, 0), 1);
	w_expect(&w, 0);
	t_log("ok: parent and child wake each other through different attachments");

	w = w_start(NULL, ma + off, 0, 0, T_SAFETY_MS, "parent@ma");
	CHECK_RET(p_wake(NULL, ma2 + off, INT_MAX, 0), 1);
	w_expect(&w, 0);
	w = w_start(&c, mb2 + off, 0, 0, T_SAFETY_MS, "child@mb2");
	CHECK_RET(p_wake(&c, mb + off, INT_MAX, 0), 1);
	w_expect(&w, 0);
	t_log("ok: two attachments in one process meet");

	w = w_start(&c, mb + off, 0, 0, T_SAFETY_MS, "child@mb");
	CHECK_RET(p_wake(NULL, mo + off, INT_MAX, 0), 0);
	CHECK_RET(p_wake(NULL, ma + off + 4, INT_MAX, 0), 0);
	CHECK_RET(p_wake(NULL, ma + off - pg, INT_MAX, 0), 0);
	w_check_asleep(&w, 20);
	CHECK_RET(p_wake(NULL, ma + off, INT_MAX, 0), 1);
	w_expect(&w, 0);
	t_log("ok: another segment, another byte offset, another page: other futexes");

	/* IPC_RMID while a waiter sleeps */
	w = w_start(&c, mb + off, 0, 0, T_SAFETY_MS, "child@mb");
	CHECK(shmctl(g_shmid, IPC_RMID, NULL) == 0, "IPC_RMID: %s",
	      strerror(errno));
	CHECK_RET(p_wake(NULL, ma + off, INT_MAX, 0), 1);
	w_expect(&w, 0);
	t_log("ok: after IPC_RMID a wake through a remaining attachment wakes the waiter");

	/* ... and after the other attachments are gone too */
	w = w_start(&c, mb + off, 0, 0, T_SAFETY_MS, "child@mb");
	CHECK_RET(p_call(NULL, detach, (uintptr_t)ma), 0);
	CHECK_RET(p_call(NULL, detach, (uintptr_t)ma2), 0);
	CHECK_RET(p_call(&c, detach, (uintptr_t)ma), 0);	/* inherited */
	CHECK_RET(p_call(&c, detach, (uintptr_t)ma2), 0);
	CHECK_RET(p_wake(&c, mb2 + off, INT_MAX, 0), 1);
	w_expect(&w, 0);
	t_log("ok: removed segment, parent detached: the child's two attachments still meet");

	puppet_stop(&c);
	t_log("PASS");
	return T_PASS;
}
