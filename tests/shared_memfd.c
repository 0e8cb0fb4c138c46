// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * shared_memfd: a memfd is one futex namespace for every process that
 * maps it, whatever address or mmap offset each one uses: it is keyed by
 * (inode, byte offset), as the README's "Keys: what "the same futex"
 * means" says.
 *
 *   self  maps the memfd at ma (offset 0, 2 pages) and again at me (offset
 *         1 page, 1 page): two aliases in one process;
 *   c1    a fork: inherits ma, and maps the memfd again at mb (offset 0) and
 *         at mc (offset 1 page) inside a window reserved before the fork;
 *   c2    a fork that opens /proc/PARENT/fd/N (a new open file of the same
 *         inode) and maps it at md (offset 0).
 *
 * The word under test is file byte PG + 64: ma+PG+64 = mb+PG+64 = mc+64 =
 * md+PG+64 = me+64.
 *
 * Then a process killed while it sleeps leaves no waiter behind: a wake
 * neither counts it nor stops at it.
 *
 * Finally the same on a hugetlb memfd (MFD_HUGETLB): words at the same
 * offset in different 4 KiB parts of one huge page, or in two huge pages,
 * are different futexes.  As root the test reserves two huge pages for
 * this if none are free; otherwise that part is skipped, with a note.
 */
#include "helpers.h"

#ifndef MFD_HUGETLB
#define MFD_HUGETLB 0x0004U
#endif

static int write_long(const char *path, long v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%ld\n", v);
	return t_write_str(path, buf) ? -1 : 0;
}

static void hugetlb_part(void)
{
	static const char nr_path[] = "/proc/sys/vm/nr_hugepages";
	size_t pg = PGSZ, hp = (size_t)t_meminfo_kb("Hugepagesize") * 1024;
	long nr = -1, nfree = t_meminfo_kb("HugePages_Free");
	size_t off = hp + 3 * pg + 64;	/* huge page 1, 4 KiB part 3 */
	struct puppet c;
	struct p_waiter w;
	char *ma, *mb;
	int fd;

	if (!hp || nfree < 0) {
		t_log("note: no huge page support: hugetlb part skipped");
		return;
	}
	if (nfree < 2 && geteuid() == 0) {
		nr = t_read_long(nr_path);
		if (nr < 0 || write_long(nr_path, nr + 2 - nfree))
			nr = -1;
	}
	fd = memfd_create("shared_memfd_huge", MFD_CLOEXEC | MFD_HUGETLB);
	if (fd < 0) {
		t_log("note: memfd_create(MFD_HUGETLB): %s: hugetlb part skipped",
		      strerror(errno));
		goto out;
	}
	ma = MAP_FAILED;
	if (!ftruncate(fd, 2 * hp))
		ma = mmap(NULL, 2 * hp, PROT_READ | PROT_WRITE,
			  MAP_SHARED | MAP_POPULATE, fd, 0);
	if (ma == MAP_FAILED) {
		t_log("note: cannot map two huge pages (%s): hugetlb part skipped",
		      strerror(errno));
		close(fd);
		goto out;
	}

	puppet_start(&c, "c-huge", NULL, NULL);
	mb = p_mmap(&c, NULL, hp, PROT_READ | PROT_WRITE, MAP_SHARED, fd, hp);
	t_log("hugetlb memfd (%zu KiB pages): word at file offset %zu: self %p, child %p",
	      hp / 1024, off, ma + off, mb + off - hp);
	CHECK(mb != ma + hp, "mappings must be at different addresses");

	w = w_start(&c, mb + off - hp, 0, 0, T_SAFETY_MS, "child@huge");
	CHECK_RET(p_wake(NULL, ma + hp + 64, INT_MAX, 0), 0);	 /* part 0 */
	CHECK_RET(p_wake(NULL, ma + off - hp, INT_MAX, 0), 0);	 /* huge page 0 */
	CHECK_RET(p_wake(NULL, ma + off + pg, INT_MAX, 0), 0);	 /* part 4 */
	w_check_asleep(&w, 20);
	CHECK_RET(p_wake(NULL, ma + off, INT_MAX, 0), 1);
	w_expect(&w, 0);
	w = w_start(NULL, ma + hp + 64, 0, 0, T_SAFETY_MS, "self@huge");
	CHECK_RET(p_wake(&c, mb + 3 * pg + 64, INT_MAX, 0), 0);
	CHECK_RET(p_wake(&c, mb + 64, INT_MAX, 0), 1);
	w_expect(&w, 0);
	t_log("ok: hugetlb memfd shared; its 4 KiB parts are distinct futexes");

	puppet_stop(&c);
	munmap(ma, 2 * hp);
	close(fd);
out:
	if (nr >= 0)
		write_long(nr_path, nr);
}

int main(void)
{
	struct puppet c1, c2;
	struct p_waiter w1, w2, w3;
	size_t pg = PGSZ;
	size_t off = pg + 64;		/* file offset of the word */
	char *ma, *mb, *mc, *md, *me, *win;
	char path[64];
	int fd, fd2;

	t_init("shared_memfd", 60);

	fd = t_memfd("shared_memfd", 2 * pg);
	ma = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(ma != MAP_FAILED, "mmap: %s", strerror(errno));
	win = t_reserve(16 * pg);

	puppet_start(&c1, "c1", NULL, NULL);
	puppet_start(&c2, "c2", NULL, NULL);

	mb = p_mmap(&c1, win, 2 * pg, PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_FIXED, fd, 0);
	mc = p_mmap(&c1, win + 3 * pg, pg, PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_FIXED, fd, pg);
	snprintf(path, sizeof(path), "/proc/%d/fd/%d", getpid(), fd);
	fd2 = p_open(&c2, path, O_RDWR);
	CHECK(fd2 >= 0, "open %s in c2: %s", path, strerror(-fd2));
	md = p_mmap(&c2, win + 6 * pg, 2 * pg, PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_FIXED, fd2, 0);
	me = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, pg);
	CHECK(me != MAP_FAILED, "mmap: %s", strerror(errno));
	t_log("word at file offset %zu: self %p (alias %p), c1 %p and %p, c2 %p",
	      off, ma + off, me + 64, mb + off, mc + 64, md + off);
	CHECK(ma != mb && ma != md && mb != md && ma + pg != mc && ma + pg != me,
	      "mappings must be at different addresses");

	/* the memory itself is shared */
	p_store(&c1, mc + 64, 5);
	CHECK(p_load(NULL, ma + off) == 5 && p_load(&c2, md + off) == 5,
	      "memfd word not shared");
	CHECK_RET(altfutex_wait(U32_AT(ma, off), 0, NULL, 0), -EAGAIN);
	p_store(&c2, md + off, 0);
	t_log("ok: the word is the same memory in all mappings");

	/* 1. fork-inherited mapping at the same address, different mm */
	w1 = w_start(NULL, ma + off, 0, 0, T_SAFETY_MS, "self@ma");
	CHECK_RET(p_wake(&c1, ma + off, 1, 0), 1);
	w_expect(&w1, 0);
	t_log("ok: c1 wakes self through the inherited mapping");

	/* 2. other address, same offset, other process */
	w1 = w_start(&c1, mb + off, 0, 0, T_SAFETY_MS, "c1@mb");
	CHECK_RET(p_wake(NULL, ma + off, 1, 0), 1);
	w_expect(&w1, 0);
	w1 = w_start(NULL, ma + off, 0, 0, T_SAFETY_MS, "self@ma");
	CHECK_RET(p_wake(&c2, md + off, 1, 0), 1);
	w_expect(&w1, 0);
	t_log("ok: wakes cross processes mapping at different addresses");

	/* 3. other mmap offset: the same file byte at page offset 64 */
	w1 = w_start(NULL, ma + off, 0, 0, T_SAFETY_MS, "self@ma");
	CHECK_RET(p_wake(&c1, mc + 64, 1, 0), 1);
	w_expect(&w1, 0);
	w1 = w_start(&c1, mc + 64, 0, 0, T_SAFETY_MS, "c1@mc");
	CHECK_RET(p_wake(&c2, md + off, 1, 0), 1);
	w_expect(&w1, 0);
	t_log("ok: wakes cross mappings made at different mmap offsets");

	/* 4. three processes: exact counts, oldest first */
	w1 = w_start(NULL, ma + off, 0, 0, T_SAFETY_MS, "self@ma");
	w2 = w_start(&c1, mb + off, 0, 0, T_SAFETY_MS, "c1@mb");
	w3 = w_start(&c2, md + off, 0, 0, T_SAFETY_MS, "c2@md");
	CHECK_RET(p_wake(&c1, mc + 64, 1, 0), 1);
	w_expect(&w1, 0);
	w_check_asleep(&w2, 20);
	w_check_asleep(&w3, 0);
	CHECK_RET(p_wake(&c2, md + off, INT_MAX, 0), 2);
	w_expect(&w2, 0);
	w_expect(&w3, 0);
	CHECK_RET(p_wake(NULL, me + 64, INT_MAX, 0), 0);
	t_log("ok: three processes: wake(1) woke the oldest, wake(INT_MAX) returned 2, then 0");

	/* 5. different byte offsets (and pages) are different futexes */
	w1 = w_start(NULL, ma + off, 0, 0, T_SAFETY_MS, "self@+0");
	w2 = w_start(&c1, mb + off + 4, 0, 0, T_SAFETY_MS, "c1@+4");
	w3 = w_start(&c2, md + off + 8, 0, 0, T_SAFETY_MS, "c2@+8");
	CHECK_RET(p_wake(&c2, md + off + 12, INT_MAX, 0), 0);
	CHECK_RET(p_wake(&c1, mb + 64, INT_MAX, 0), 0);	/* page 0, same in-page offset */
	CHECK_RET(p_wake(NULL, ma + off + 2 * 64, INT_MAX, 0), 0);
	CHECK_RET(p_wake(NULL, me + 64 + 4, INT_MAX, 0), 1);
	w_expect(&w2, 0);
	w_check_asleep(&w1, 20);
	w_check_asleep(&w3, 0);
	CHECK_RET(p_wake(&c1, mc + 64 + 8, INT_MAX, 0), 1);
	w_expect(&w3, 0);
	w_check_asleep(&w1, 0);
	CHECK_RET(p_wake(&c2, md + off, INT_MAX, 0), 1);
	w_expect(&w1, 0);
	t_log("ok: offsets +0, +4, +8 in a page, and another page, are independent");

	/* 6. two aliases of the memfd in one process */
	w1 = w_start(NULL, ma + off, 0, 0, T_SAFETY_MS, "self@ma");
	CHECK_RET(p_wake(NULL, me + 64, 1, 0), 1);
	w_expect(&w1, 0);
	w1 = w_start(NULL, me + 64, 0, 0, T_SAFETY_MS, "self@me");
	CHECK_RET(p_wake(NULL, ma + off, 1, 0), 1);
	w_expect(&w1, 0);
	w1 = w_start(&c1, mc + 64, 0, 0, T_SAFETY_MS, "c1@mc");
	CHECK_RET(p_wake(&c1, mb + off, 1, 0), 1);
	w_expect(&w1, 0);
	t_log("ok: two aliases of the memfd in one process meet (same and different mmap offsets)");

	/* 7. the mapping the waker uses may be brand new */
	w1 = w_start(&c1, mb + off, 0, 0, T_SAFETY_MS, "c1@mb");
	p_munmap(&c2, md, 2 * pg);
	md = p_mmap(&c2, win + 12 * pg, pg, PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_FIXED, fd2, pg);
	CHECK_RET(p_wake(&c2, md + 64, 1, 0), 1);
	w_expect(&w1, 0);
	t_log("ok: a waker's mapping made after the waiter slept finds it");

	/* 8. a waiter killed in its sleep is gone from the queue */
	{
		struct puppet k;

		puppet_start(&k, "victim", NULL, NULL);
		w1 = w_start(&k, ma + off, 0, 0, -1, "victim@ma");
		w2 = w_start(&c1, mb + off, 0, 0, T_SAFETY_MS, "c1@mb");
		puppet_kill(&k);
		CHECK_RET(p_wake(&c2, md + 64, 1, 0), 1);
		w_expect(&w2, 0);
		CHECK_RET(p_wake(NULL, ma + off, INT_MAX, 0), 0);
		t_log("ok: a waiter killed in its sleep is not counted; the next one is woken");
	}

	puppet_stop(&c1);
	puppet_stop(&c2);

	hugetlb_part();
	t_log("PASS");
	return T_PASS;
}
