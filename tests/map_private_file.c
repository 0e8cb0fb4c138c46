// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * map_private_file: a MAP_PRIVATE file mapping is keyed per process, even
 * before it is written (the README's "Keys: what "the same futex" means";
 * futex(2) keys an unwritten page by its inode, see "Where altfutex
 * differs from futex(2)"):
 *  - a waiter on a MAP_PRIVATE mapping is not woken by another process's
 *    wake through a MAP_SHARED mapping of the same file byte, before or
 *    after that process stores to the byte, nor by a MAP_SHARED alias in
 *    its own process; it is woken by its own process's wake at its address;
 *  - a waiter on a MAP_SHARED mapping is not woken through a MAP_PRIVATE
 *    mapping of the same byte;
 *  - read-only (PROT_READ) MAP_PRIVATE mappings too;
 *  - parent and child sharing an inherited MAP_PRIVATE mapping at one
 *    address are separate futexes;
 *  - a waiter on an unwritten writable MAP_PRIVATE page is woken by its
 *    own process's wake after another thread wrote the word.
 * Run on a memfd and on a regular file (in /tmp or the cwd).
 */
#include "helpers.h"

static char g_path[128];
static pid_t g_owner;

static void cleanup(void)
{
	if (getpid() == g_owner && g_path[0])
		unlink(g_path);
}

static void run(int fd, const char *kind)
{
	size_t pg = PGSZ;
	size_t off = pg + 32;
	char *ms, *mv, *mi, *win, *cv, *cr, *cs;
	struct puppet c;
	struct p_waiter w;

	ms = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	mv = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	mi = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	CHECK(ms != MAP_FAILED && mv != MAP_FAILED && mi != MAP_FAILED,
	      "mmap: %s", strerror(errno));
	win = t_reserve(8 * pg);
	*U32_AT(ms, off) = 0;
	*U32_AT(ms, off + 4) = 0;

	puppet_start(&c, "child", NULL, NULL);
	cv = p_mmap(&c, win, 2 * pg, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_FIXED, fd, 0);
	cr = p_mmap(&c, win + 3 * pg, pg, PROT_READ, MAP_PRIVATE | MAP_FIXED,
		    fd, pg);
	cs = p_mmap(&c, win + 5 * pg, 2 * pg, PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_FIXED, fd, 0);

	/* another process's MAP_SHARED wake, before and after a store */
	w = w_start(&c, cv + off, 0, 0, T_SAFETY_MS, "child@private");
	CHECK_RET(p_wake(NULL, ms + off, INT_MAX, 0), 0);
	w_check_asleep(&w, 30);
	p_store(NULL, ms + off, 7);
	CHECK(p_load(&c, cv + off) == 7, "unwritten MAP_PRIVATE page should show the file");
	CHECK_RET(p_wake(NULL, ms + off, INT_MAX, 0), 0);
	w_check_asleep(&w, 30);
	CHECK_RET(p_wake(&c, cs + off, INT_MAX, 0), 0);	/* own shared alias */
	w_check_asleep(&w, 10);
	CHECK_RET(p_wake(&c, cv + off, INT_MAX, 0), 1);
	w_expect(&w, 0);
	t_log("ok: %s: MAP_PRIVATE waiter: no MAP_SHARED wake reaches it, its own does",
	      kind);

	/* read-only MAP_PRIVATE: also per process */
	w = w_start(&c, cr + 32, 7, 0, T_SAFETY_MS, "child@private-ro");
	CHECK_RET(p_wake(NULL, ms + off, INT_MAX, 0), 0);
	w_check_asleep(&w, 30);
	CHECK_RET(p_wake(&c, cr + 32, INT_MAX, 0), 1);
	w_expect(&w, 0);
	t_log("ok: %s: the same for a PROT_READ MAP_PRIVATE mapping", kind);

	/* a MAP_SHARED waiter is not reached through MAP_PRIVATE */
	w = w_start(&c, cs + off, 7, 0, T_SAFETY_MS, "child@shared");
	CHECK_RET(p_wake(NULL, mv + off, INT_MAX, 0), 0);
	CHECK_RET(p_wake(&c, cv + off, INT_MAX, 0), 0);
	w_check_asleep(&w, 30);
	CHECK_RET(p_wake(NULL, ms + off, INT_MAX, 0), 1);
	w_expect(&w, 0);
	t_log("ok: %s: a MAP_SHARED waiter is not woken through MAP_PRIVATE mappings",
	      kind);

	/* inherited MAP_PRIVATE mapping: one address, two processes */
	w = w_start(NULL, mi + off, 7, 0, T_SAFETY_MS, "parent@inherited");
	CHECK_RET(p_wake(&c, mi + off, INT_MAX, 0), 0);
	w_check_asleep(&w, 30);
	CHECK_RET(p_wake(NULL, mi + off, INT_MAX, 0), 1);
	w_expect(&w, 0);
	w = w_start(&c, mi + off, 7, 0, T_SAFETY_MS, "child@inherited");
	CHECK_RET(p_wake(NULL, mi + off, INT_MAX, 0), 0);
	w_check_asleep(&w, 30);
	CHECK_RET(p_wake(&c, mi + off, INT_MAX, 0), 1);
	w_expect(&w, 0);
	t_log("ok: %s: parent and child on an inherited MAP_PRIVATE mapping are separate",
	      kind);

	/* a write by another thread (COW break), then its own wake */
	w = w_start(&c, cv + off + 4, 0, 0, T_SAFETY_MS, "child@private+4");
	p_store(&c, cv + off + 4, 1);
	CHECK(*U32_AT(ms, off + 4) == 0, "a MAP_PRIVATE write reached the file");
	CHECK_RET(p_wake(NULL, ms + off + 4, INT_MAX, 0), 0);
	w_check_asleep(&w, 10);
	CHECK_RET(p_wake(&c, cv + off + 4, INT_MAX, 0), 1);
	w_expect(&w, 0);
	w = w_start(NULL, mv + off + 4, 0, 0, T_SAFETY_MS, "parent@private+4");
	p_store(NULL, mv + off + 4, 1);
	CHECK_RET(p_wake(NULL, mv + off + 4, INT_MAX, 0), 1);
	w_expect(&w, 0);
	t_log("ok: %s: req 13: COW break by another thread, then own wake wakes",
	      kind);

	/* after COW the private copy is still per process */
	w = w_start(&c, cv + off + 4, 1, 0, T_SAFETY_MS, "child@written");
	CHECK_RET(p_wake(NULL, ms + off + 4, INT_MAX, 0), 0);
	CHECK_RET(p_wake(NULL, mv + off + 4, INT_MAX, 0), 0);
	w_check_asleep(&w, 30);
	CHECK_RET(p_wake(&c, cv + off + 4, INT_MAX, 0), 1);
	w_expect(&w, 0);
	t_log("ok: %s: a written MAP_PRIVATE page is still per process", kind);

	puppet_stop(&c);
	munmap(ms, 2 * pg);
	munmap(mv, 2 * pg);
	munmap(mi, 2 * pg);
	munmap(win, 8 * pg);
}

int main(void)
{
	static const char *const dirs[] = { "/tmp", "." };
	size_t pg = PGSZ;
	unsigned int i;
	int fd;

	t_init("map_private_file", 60);
	g_owner = getpid();
	atexit(cleanup);

	fd = t_memfd("map_private_file", 2 * pg);
	run(fd, "memfd");
	close(fd);

	for (i = 0, fd = -1; i < 2 && fd < 0; i++) {
		snprintf(g_path, sizeof(g_path), "%s/altfutex-mpf.%d", dirs[i],
			 getpid());
		fd = open(g_path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	}
	if (fd < 0) {
		g_path[0] = 0;
		t_log("cannot create a regular file in /tmp or the cwd: regular-file part not run");
	} else {
		CHECK(ftruncate(fd, 2 * pg) == 0, "ftruncate: %s",
		      strerror(errno));
		run(fd, "regular file");
		close(fd);
	}
	t_log("PASS");
	return T_PASS;
}
