// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * nopin: a sleeping waiter pins no page (the README's "How the design
 * avoids pinning pages"; issue 6).  Each scenario puts threads to sleep
 * on words in a page and then asks the kernel to do something that it
 * refuses to do to a page somebody holds a reference on; a design that
 * pinned the page under its waiters fails each one:
 *
 *  migrate  private anonymous, memfd, SysV shm and regular-file (ext2 disk)
 *           pages are moved to the other NUMA node with move_pages(2):
 *           every page must report the new node (migration fails with
 *           -EAGAIN/-EBUSY for a page with an extra reference)
 *  pageout  MADV_PAGEOUT swaps the anonymous, memfd and SysV shm pages out:
 *           pagemap's "swapped" bit for the anonymous page; for shmem
 *           (whose swap entries are not in the page table, so pagemap
 *           cannot show them) mincore says not resident and smaps counts
 *           the page as Swap (reclaim skips a page with an extra reference)
 *  thp      waiters on three sub-pages of a transparent huge page; the THP
 *           is split (debugfs split_huge_pages: AnonHugePages drops to 0;
 *           splitting fails with an extra reference) and collapsed again
 *           with MADV_COLLAPSE (which refuses pages with extra references)
 *  ksm      two processes, each with a waiter on a word of a private page
 *           with the same contents: KSM merges them (same PFN in both
 *           pagemaps; KSM skips a page with an extra reference), and each
 *           process's wake finds only its own waiter
 *  file     a waiter on a MAP_SHARED page of a file on a disk file system;
 *           the mapping is unmapped, POSIX_FADV_DONTNEED evicts the page
 *           (mincore of a fresh mapping: not resident; eviction skips a
 *           page with an extra reference), the file is mapped at another
 *           address, and a wake through it finds the waiter
 *  control  no waiter, but a page reference held the way the 2003 design
 *           held it (vmsplice(2) into a pipe keeps a reference on the
 *           page, like get_page): the same probes must see that page
 *           stay put (not migrated, not swapped out, not evicted), which
 *           shows that they would catch a waiter that pinned its page
 * After each step, a wake finds every waiter (the exact count) and each
 * returns 0.  Every scenario runs with altfutex and with futex(2); the
 * table at the end has both columns.
 *
 * Needs root (move_pages of shared pages, PFNs in pagemap, KSM and THP
 * settings, debugfs), two NUMA nodes, swap and the disk of the test VM
 * (scripts/vm-init.sh); it skips a part only where the kernel lacks the
 * feature, and says why.
 */
#include <sys/ipc.h>
#include <sys/mount.h>
#include <sys/shm.h>
#include <sys/uio.h>

#include "helpers.h"

#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25
#endif
#ifndef MPOL_MF_MOVE
#define MPOL_MF_MOVE 2
#endif

/* ---- memory probes ------------------------------------------------------- */

#define PM_PRESENT 0x8000000000000000ULL
#define PM_SWAPPED 0x4000000000000000ULL
#define PM_PFN_MASK ((1ULL << 55) - 1)

/* The pagemap entry of @addr in process @pid (0: this one). */
static uint64_t pagemap_entry(pid_t pid, const void *addr)
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

/* The NUMA node of the page at @addr (move_pages query), or -errno. */
static int node_of(void *addr)
{
	int status = -1;

	CHECK(syscall(SYS_move_pages, 0, 1UL, &addr, NULL, &status, 0) == 0,
	      "move_pages query: %s", strerror(errno));
	return status;
}

/* Is NUMA node 1 online (the VM has two nodes)? */
static int two_nodes(void)
{
	return access("/sys/devices/system/node/node1", F_OK) == 0;
}

/* ---- the pages under test ------------------------------------------------ */

#define WORD_A 0x40	/* two waiters here */
#define WORD_B 0x80	/* and one here */

enum kind { K_ANON, K_MEMFD, K_SYSV, K_FILE, K_NR };
static const char *const kind_name[K_NR] = {
	"private anon", "memfd", "SysV shm", "file (ext2)",
};

struct region {
	enum kind kind;
	char *base;	/* one page */
	int fd;
	int shmid;
	struct t_waiter w[3];
};

static char g_file[256];

static void remove_file(void)
{
	if (g_file[0])
		unlink(g_file);
}

/* Map one page of @kind and store 0 in its words (the page is resident). */
static void region_make(struct region *r, enum kind kind)
{
	size_t pg = PGSZ;

	memset(r, 0, sizeof(*r));
	r->kind = kind;
	r->fd = -1;
	r->shmid = -1;
	switch (kind) {
	case K_ANON:
		r->base = mmap(NULL, pg, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		break;
	case K_MEMFD:
		r->fd = memfd_create("nopin", MFD_CLOEXEC);
		CHECK(r->fd >= 0, "memfd_create: %s", strerror(errno));
		CHECK(!ftruncate(r->fd, pg), "ftruncate: %s", strerror(errno));
		r->base = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_SHARED,
			       r->fd, 0);
		break;
	case K_SYSV:
		r->shmid = shmget(IPC_PRIVATE, pg, IPC_CREAT | 0600);
		CHECK(r->shmid >= 0, "shmget: %s", strerror(errno));
		r->base = shmat(r->shmid, NULL, 0);
		shmctl(r->shmid, IPC_RMID, NULL);
		if (r->base == (void *)-1)
			r->base = MAP_FAILED;
		break;
	case K_FILE:
		snprintf(g_file, sizeof(g_file), "%s/nopin.%d", t_vm_disk(),
			 getpid());
		atexit(remove_file);
		r->fd = open(g_file, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC,
			     0600);
		CHECK(r->fd >= 0, "open %s: %s", g_file, strerror(errno));
		CHECK(!ftruncate(r->fd, pg), "ftruncate: %s", strerror(errno));
		r->base = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_SHARED,
			       r->fd, 0);
		break;
	default:
		t_fail("bad kind");
	}
	CHECK(r->base != MAP_FAILED, "%s: map: %s", kind_name[kind],
	      strerror(errno));
	memset(r->base, 0x5a, pg);
	*U32_AT(r->base, WORD_A) = 0;
	*U32_AT(r->base, WORD_B) = 0;
	if (kind == K_FILE)
		CHECK(!fsync(r->fd), "fsync: %s", strerror(errno));
}

static void region_wait(struct region *r, const struct t_backend *be)
{
	t_waiter_start_be(&r->w[0], be, r->base + WORD_A, 0, 0);
	t_waiter_start_be(&r->w[1], be, r->base + WORD_A, 0, 0);
	t_waiter_start_be(&r->w[2], be, r->base + WORD_B, 0, 0);
}

/* A wake finds every waiter of @r: 2, then 1, and each returns 0. */
static void region_wake(struct region *r, const struct t_backend *be,
			const char *after)
{
	int n;

	t_waiter_check_asleep(&r->w[2], 1);
	n = be->wake(U32_AT(r->base, WORD_A), INT_MAX, 0);
	CHECK(n == 2, "%s, %s: wake found %d (%s) of the 2 waiters",
	      kind_name[r->kind], after, n, t_err(n));
	n = be->wake(U32_AT(r->base, WORD_B), INT_MAX, 0);
	CHECK(n == 1, "%s, %s: wake found %d (%s) of 1 waiter",
	      kind_name[r->kind], after, n, t_err(n));
	for (n = 0; n < 3; n++) {
		int ret = t_waiter_join(&r->w[n]);

		CHECK(ret == 0, "%s, %s: waiter %d returned %d (%s)",
		      kind_name[r->kind], after, n, ret, t_err(ret));
	}
}

static int nkinds(int with_file)
{
	if (with_file && t_vm_disk())
		return K_NR;
	if (with_file)
		t_log("no disk (ALTFUTEX_VM_DISK unset: not in the test VM?): no file page");
	return K_FILE;
}

/* ---- migrate ------------------------------------------------------------- */

static void sc_migrate(const struct t_backend *be)
{
	struct region r[K_NR];
	void *pages[K_NR];
	int from[K_NR], to[K_NR], status[K_NR];
	int n = nkinds(1), i, tries;
	long ret = 0;

	if (!two_nodes())
		t_skip("one NUMA node: nothing to migrate to");
	for (i = 0; i < n; i++) {
		region_make(&r[i], i);
		region_wait(&r[i], be);
		pages[i] = r[i].base;
		from[i] = node_of(pages[i]);
		CHECK(from[i] >= 0, "%s: page not present (%s)", kind_name[i],
		      strerror(-from[i]));
		to[i] = !from[i];
	}
	/*
	 * Migration may fail for a moment when something else holds the page
	 * (the LRU being drained, writeback); a pinned page fails every time.
	 */
	for (tries = 1; tries <= 5; tries++) {
		ret = syscall(SYS_move_pages, 0, (unsigned long)n, pages, to,
			      status, MPOL_MF_MOVE);
		CHECK(ret >= 0, "move_pages: %s", strerror(errno));
		for (i = 0; i < n && status[i] == to[i]; i++)
			;
		if (!ret && i == n)
			break;
		t_log("move_pages attempt %d: %ld page(s) not moved", tries, ret);
		t_sleep_ms(200);
	}
	for (i = 0; i < n; i++) {
		t_log("%-13s node %d -> %d: status %d (%s)", kind_name[i],
		      from[i], to[i], status[i],
		      status[i] >= 0 ? "moved" : strerror(-status[i]));
		CHECK(status[i] == to[i], "%s: page not migrated",
		      kind_name[i]);
		CHECK(node_of(pages[i]) == to[i], "%s: page still on node %d",
		      kind_name[i], node_of(pages[i]));
	}
	CHECK(ret == 0, "move_pages returned %ld", ret);
	for (i = 0; i < n; i++)
		region_wake(&r[i], be, "after migration");
	t_log("ok: %d pages, 3 waiters each, migrated in %d attempt(s); all woken",
	      n, tries);
}

/* ---- pageout ------------------------------------------------------------- */

/*
 * Swapped out and gone from memory: for anonymous memory, pagemap's
 * swapped bit (set as soon as the page is unmapped into the swap cache)
 * and mincore (which counts a page still in the swap cache as resident:
 * a page that reclaim could not free because of an extra reference).
 */
static int swapped_out(struct region *r)
{
	if (r->kind == K_ANON)
		return !!(pagemap_entry(0, r->base) & PM_SWAPPED) &&
		       t_resident(r->base, PGSZ) == 0;
	return t_resident(r->base, PGSZ) == 0 &&
	       t_smaps_kb(r->base, "Swap:") >= (long)(PGSZ / 1024);
}

static void sc_pageout(const struct t_backend *be)
{
	struct region r[K_FILE];
	int n = nkinds(0), i, tries, left = 0;

	if (t_read_long("/proc/sys/vm/swappiness") < 0 ||
	    access("/proc/swaps", F_OK))
		t_skip("the kernel has no swap support");
	CHECK(t_swap_devices() > 0,
	      "no swap device is active (the test VM sets one up)");
	for (i = 0; i < n; i++) {
		region_make(&r[i], i);
		region_wait(&r[i], be);
	}
	/* a page may still sit in a per-CPU LRU batch: try again a little */
	for (tries = 1; tries <= 30; tries++) {
		left = 0;
		for (i = 0; i < n; i++) {
			if (swapped_out(&r[i]))
				continue;
			left++;
			CHECK(!madvise(r[i].base, PGSZ, MADV_PAGEOUT),
			      "madvise(MADV_PAGEOUT): %s", strerror(errno));
		}
		for (i = 0, left = 0; i < n; i++)
			left += !swapped_out(&r[i]);
		if (!left)
			break;
		t_sleep_ms(100);
	}
	for (i = 0; i < n; i++) {
		uint64_t pm = pagemap_entry(0, r[i].base);

		t_log("%-13s pagemap present=%d swapped=%d, mincore %zu, smaps Swap %ld kB",
		      kind_name[i], !!(pm & PM_PRESENT), !!(pm & PM_SWAPPED),
		      t_resident(r[i].base, PGSZ),
		      t_smaps_kb(r[i].base, "Swap:"));
		CHECK(swapped_out(&r[i]), "%s: page not swapped out after %d tries",
		      kind_name[i], tries - 1);
	}
	for (i = 0; i < n; i++) {
		region_wake(&r[i], be, "after swap-out");
		t_log("%-13s after the wakes the page is %s", kind_name[i],
		      swapped_out(&r[i]) ? "still swapped out (the wake did not touch it)" :
		      "back in memory (the wake faulted it in)");
	}
	t_log("ok: %d pages swapped out under 3 waiters each (%d round(s)); all woken",
	      n, tries);
}

/* ---- thp ----------------------------------------------------------------- */

#define HPAGE (2UL << 20)

static const char thp_enabled[] = "/sys/kernel/mm/transparent_hugepage/enabled";
static const char split_ctl[] = "/sys/kernel/debug/split_huge_pages";

static void sc_thp(const struct t_backend *be)
{
	static const size_t offs[3] = { WORD_A, 4096 + WORD_A, HPAGE - 4 };
	struct t_waiter w[3];
	char *raw, *hp, buf[128];
	long kb;
	int i, r, tries;

	if (access(thp_enabled, F_OK))
		t_skip("the kernel has no transparent huge pages");
	{
		FILE *f = fopen(thp_enabled, "r");

		CHECK(f && fgets(buf, sizeof(buf), f), "read %s", thp_enabled);
		fclose(f);
		if (strstr(buf, "[never]"))
			CHECK(!t_write_str(thp_enabled, "madvise"),
			      "cannot enable THP");
	}
	raw = mmap(NULL, 2 * HPAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(raw != MAP_FAILED, "mmap: %s", strerror(errno));
	hp = (char *)(((uintptr_t)raw + HPAGE - 1) & ~(HPAGE - 1));
	CHECK(!madvise(hp, HPAGE, MADV_HUGEPAGE), "MADV_HUGEPAGE: %s",
	      strerror(errno));
	hp[0] = 1;
	kb = t_smaps_kb(hp, "AnonHugePages:");
	if (kb < 2048) {
		r = madvise(hp, HPAGE, MADV_COLLAPSE);
		t_log("no THP at the first fault (AnonHugePages %ld kB); MADV_COLLAPSE: %s",
		      kb, r ? strerror(errno) : "ok");
		kb = t_smaps_kb(hp, "AnonHugePages:");
	}
	CHECK(kb >= 2048, "no transparent huge page could be had (AnonHugePages %ld kB)",
	      kb);
	for (i = 0; i < 3; i++) {
		*U32_AT(hp, offs[i]) = 0;
		t_waiter_start_be(&w[i], be, hp + offs[i], 0, 0);
	}
	t_log("THP at %p (AnonHugePages %ld kB), waiters on sub-pages 0, 1 and 511",
	      (void *)hp, kb);

	/* split it */
	if (access(split_ctl, F_OK))
		mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL);
	if (access(split_ctl, F_OK)) {
		t_log("no %s (no debugfs): the split is not tested", split_ctl);
	} else {
		snprintf(buf, sizeof(buf), "%d,0x%lx,0x%lx", getpid(),
			 (unsigned long)hp, (unsigned long)hp + HPAGE);
		/*
		 * As with migration, a split fails for a moment when
		 * something else holds a reference (a per-CPU LRU batch);
		 * a pinned THP fails every time.
		 */
		for (tries = 1; tries <= 5; tries++) {
			r = t_write_str(split_ctl, buf);
			CHECK(!r, "write %s to %s: %s", buf, split_ctl,
			      strerror(-r));
			kb = t_smaps_kb(hp, "AnonHugePages:");
			if (!kb)
				break;
			t_log("split attempt %d: AnonHugePages still %ld kB",
			      tries, kb);
			t_sleep_ms(200);
		}
		t_log("split: AnonHugePages now %ld kB", kb);
		CHECK(kb == 0, "the THP was not split (AnonHugePages %ld kB)", kb);
		for (i = 0; i < 3; i++)
			t_waiter_check_asleep(&w[i], 1);
	}

	/* collapse it again */
	r = madvise(hp, HPAGE, MADV_COLLAPSE);
	if (r && errno == EINVAL) {
		t_log("the kernel has no MADV_COLLAPSE: the collapse is not tested");
	} else {
		kb = t_smaps_kb(hp, "AnonHugePages:");
		t_log("MADV_COLLAPSE: %s; AnonHugePages now %ld kB",
		      r ? strerror(errno) : "ok", kb);
		CHECK(!r && kb >= 2048, "the pages were not collapsed into a THP");
	}

	for (i = 0; i < 3; i++) {
		r = be->wake(U32_AT(hp, offs[i]), INT_MAX, 0);
		CHECK(r == 1, "sub-page word %zu: wake found %d (%s)", offs[i],
		      r, t_err(r));
		r = t_waiter_join(&w[i]);
		CHECK(r == 0, "waiter %d returned %d (%s)", i, r, t_err(r));
	}
	t_log("ok: waiters on a THP survived a split and a collapse; every one woken");
	munmap(raw, 2 * HPAGE);
}

/* ---- ksm ----------------------------------------------------------------- */

#define KSM "/sys/kernel/mm/ksm/"

struct ksm_kid {
	pid_t pid;
	int cmd, rep;
	uintptr_t page;
	int tid;
};

/*
 * A process with a waiter on word WORD_A of a private page holding
 * @pattern.  It answers commands on its pipe: 'w' wake (the count), 'j'
 * join the waiter (its result); 'q' ends it.
 */
static void ksm_kid_start(struct ksm_kid *k, const struct t_backend *be,
			  const char *pattern)
{
	int c[2], r[2];

	CHECK(!pipe(c) && !pipe(r), "pipe: %s", strerror(errno));
	k->pid = fork();
	CHECK(k->pid >= 0, "fork: %s", strerror(errno));
	if (!k->pid) {
		struct t_waiter w;
		char *p = mmap(NULL, PGSZ, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		int64_t msg[2];
		char op;

		CHECK(p != MAP_FAILED, "mmap: %s", strerror(errno));
		memcpy(p, pattern, PGSZ);
		CHECK(!madvise(p, PGSZ, MADV_MERGEABLE), "MADV_MERGEABLE: %s",
		      strerror(errno));
		t_waiter_start_be(&w, be, p + WORD_A, 0, 0);
		msg[0] = (intptr_t)p;
		msg[1] = w.tid;
		CHECK(write(r[1], msg, sizeof(msg)) == sizeof(msg), "write");
		while (read(c[0], &op, 1) == 1 && op != 'q') {
			msg[0] = op == 'w' ? be->wake(U32_AT(p, WORD_A), INT_MAX, 0) :
				 t_waiter_join(&w);
			CHECK(write(r[1], msg, 8) == 8, "write");
		}
		_exit(0);
	}
	close(c[0]);
	close(r[1]);
	k->cmd = c[1];
	k->rep = r[0];
	{
		int64_t msg[2];

		CHECK(read(k->rep, msg, sizeof(msg)) == sizeof(msg),
		      "the KSM child died");
		k->page = (uintptr_t)msg[0];
		k->tid = (int)msg[1];
	}
}

static int64_t ksm_kid_do(struct ksm_kid *k, char op)
{
	int64_t v;

	CHECK(write(k->cmd, &op, 1) == 1, "write: %s", strerror(errno));
	CHECK(read(k->rep, &v, 8) == 8, "the KSM child died");
	return v;
}

static void sc_ksm(const struct t_backend *be)
{
	struct ksm_kid k[2];
	char *pattern = malloc(PGSZ);
	long run, to_scan, sleep_ms;
	uint64_t pfn[2] = { 0, 0 };
	int64_t t0, v;
	int i;

	if (access(KSM "run", F_OK))
		t_skip("the kernel has no KSM");
	CHECK(pattern, "malloc");
	srandom((unsigned int)t_now_ns(CLOCK_MONOTONIC));
	for (i = 0; i < (int)PGSZ; i++)
		pattern[i] = (char)random();
	*U32_AT(pattern, WORD_A) = 0;
	run = t_read_long(KSM "run");
	to_scan = t_read_long(KSM "pages_to_scan");
	sleep_ms = t_read_long(KSM "sleep_millisecs");
	for (i = 0; i < 2; i++)
		ksm_kid_start(&k[i], be, pattern);
	CHECK(!t_write_str(KSM "pages_to_scan", "1000") &&
	      !t_write_str(KSM "sleep_millisecs", "10") &&
	      !t_write_str(KSM "run", "1"), "cannot start ksmd");

	t0 = t_now_ns(CLOCK_MONOTONIC);
	for (;;) {
		for (i = 0; i < 2; i++)
			pfn[i] = pagemap_entry(k[i].pid, (void *)k[i].page) &
				 PM_PFN_MASK;
		if (pfn[0] && pfn[0] == pfn[1])
			break;
		if (t_now_ns(CLOCK_MONOTONIC) - t0 > 60000000000LL)
			break;
		t_sleep_ms(20);
	}
	t_log("after %.1f s: PFNs %#llx and %#llx; ksm pages_shared %ld, pages_sharing %ld",
	      (t_now_ns(CLOCK_MONOTONIC) - t0) / 1e9,
	      (unsigned long long)pfn[0], (unsigned long long)pfn[1],
	      t_read_long(KSM "pages_shared"),
	      t_read_long(KSM "pages_sharing"));
	{
		char b[24];

		snprintf(b, sizeof(b), "%ld", to_scan);
		t_write_str(KSM "pages_to_scan", b);
		snprintf(b, sizeof(b), "%ld", sleep_ms);
		t_write_str(KSM "sleep_millisecs", b);
		snprintf(b, sizeof(b), "%ld", run);
		t_write_str(KSM "run", b);
	}
	CHECK(pfn[0] && pfn[0] == pfn[1],
	      "KSM did not merge the two pages under the waiters in 60 s");

	for (i = 0; i < 2; i++)
		CHECK(t_sleep_state(k[i].pid, k[i].tid, be->sysno) == 'S',
		      "waiter of process %d is not asleep", i);
	v = ksm_kid_do(&k[0], 'w');
	CHECK(v == 1, "process 0's wake found %lld waiters, not its own 1",
	      (long long)v);
	t_sleep_ms(20);
	CHECK(t_sleep_state(k[1].pid, k[1].tid, be->sysno) == 'S',
	      "process 1's waiter was woken by process 0's wake");
	CHECK(ksm_kid_do(&k[0], 'j') == 0, "process 0's waiter did not return 0");
	v = ksm_kid_do(&k[1], 'w');
	CHECK(v == 1, "process 1's wake found %lld waiters, not its own 1",
	      (long long)v);
	CHECK(ksm_kid_do(&k[1], 'j') == 0, "process 1's waiter did not return 0");
	for (i = 0; i < 2; i++) {
		CHECK(write(k[i].cmd, "q", 1) == 1, "write: %s", strerror(errno));
		close(k[i].cmd);
		close(k[i].rep);
		CHECK(t_reap(k[i].pid) == 0, "KSM child %d failed", i);
	}
	t_log("ok: pages merged under waiters; each wake found only its own waiter");
	free(pattern);
}

/* ---- file ---------------------------------------------------------------- */

static void sc_file(const struct t_backend *be)
{
	size_t pg = PGSZ;
	struct t_waiter w[2];
	char *m1, *m2, *hole;
	int fd, i, r, tries;
	size_t res = 1;

	if (!t_vm_disk())
		t_skip("no disk file system (ALTFUTEX_VM_DISK unset: not in the test VM?)");
	snprintf(g_file, sizeof(g_file), "%s/nopin-file.%d", t_vm_disk(),
		 getpid());
	atexit(remove_file);
	fd = open(g_file, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	CHECK(fd >= 0, "open %s: %s", g_file, strerror(errno));
	CHECK(!ftruncate(fd, 2 * pg), "ftruncate: %s", strerror(errno));
	m1 = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(m1 != MAP_FAILED, "mmap: %s", strerror(errno));
	memset(m1, 0x33, 2 * pg);
	*U32_AT(m1, pg + WORD_A) = 0;
	CHECK(!fsync(fd), "fsync: %s", strerror(errno));
	for (i = 0; i < 2; i++)
		t_waiter_start_be(&w[i], be, m1 + pg + WORD_A, 0, 0);

	CHECK(!munmap(m1, 2 * pg), "munmap: %s", strerror(errno));
	/* keep the old address busy, so that the new mapping is elsewhere */
	hole = mmap(m1, 2 * pg, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS |
		    MAP_FIXED_NOREPLACE, -1, 0);
	CHECK(hole == m1, "mmap placeholder: %s", strerror(errno));
	m2 = mmap(NULL, 2 * pg, PROT_READ, MAP_SHARED, fd, 0);
	CHECK(m2 != MAP_FAILED && m2 != m1, "mmap: %s", strerror(errno));
	for (tries = 1; tries <= 30; tries++) {
		CHECK(!fdatasync(fd), "fdatasync: %s", strerror(errno));
		r = posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
		CHECK(!r, "posix_fadvise: %s", strerror(r));
		res = t_resident(m2 + pg, pg);
		if (!res)
			break;
		t_sleep_ms(100);
	}
	t_log("unmapped, POSIX_FADV_DONTNEED: new mapping %p (was %p): page %s (%d round(s))",
	      (void *)m2, (void *)m1, res ? "RESIDENT" : "not resident",
	      tries);
	CHECK(!res, "the page was not evicted from the page cache");
	for (i = 0; i < 2; i++)
		t_waiter_check_asleep(&w[i], 1);
	r = be->wake(U32_AT(m2, pg + WORD_A), INT_MAX, 0);
	CHECK(r == 2, "wake through the new mapping found %d (%s) of 2", r,
	      t_err(r));
	for (i = 0; i < 2; i++) {
		r = t_waiter_join(&w[i]);
		CHECK(r == 0, "waiter %d returned %d (%s)", i, r, t_err(r));
	}
	t_log("ok: page evicted under 2 waiters; a wake through the new mapping found both (%s)",
	      t_resident(m2 + pg, pg) ? "resident" : "still not resident");
	munmap(m2, 2 * pg);
	munmap(hole, 2 * pg);
	close(fd);
}

/* ---- control: a page with an extra reference is caught ----------------- */

/* Take a reference on the page at @p: vmsplice it into a new pipe. */
static int pin_page(void *p)
{
	struct iovec iov = { p, PGSZ };
	int fds[2];

	CHECK(!pipe(fds), "pipe: %s", strerror(errno));
	CHECK(vmsplice(fds[1], &iov, 1, 0) == (ssize_t)PGSZ, "vmsplice: %s",
	      strerror(errno));
	return fds[0];
}

static void sc_control(const struct t_backend *be)
{
	struct region r[K_NR];
	int n = nkinds(1), i, node, to, status, caught = 0;
	void *page;
	long ret;

	if (strcmp(be->name, "altfutex"))
		t_skip("the control takes no futex: run once");
	for (i = 0; i < n; i++) {
		region_make(&r[i], i);
		pin_page(r[i].base);
	}
	for (i = 0; two_nodes() && i < n; i++) {
		page = r[i].base;
		node = node_of(page);
		to = !node;
		status = -1;
		ret = syscall(SYS_move_pages, 0, 1UL, &page, &to, &status,
			      MPOL_MF_MOVE);
		t_log("pinned %-13s move_pages: %ld not moved; on node %d: %s",
		      kind_name[i], ret, node_of(page),
		      node_of(page) == node ? "caught" : "NOT CAUGHT");
		caught += node_of(page) == node;
	}
	for (i = 0; i < K_FILE; i++) {
		madvise(r[i].base, PGSZ, MADV_PAGEOUT);
		t_log("pinned %-13s MADV_PAGEOUT: pagemap swapped=%d, mincore %zu: %s",
		      kind_name[i],
		      !!(pagemap_entry(0, r[i].base) & PM_SWAPPED),
		      t_resident(r[i].base, PGSZ),
		      swapped_out(&r[i]) ? "swapped out: NOT CAUGHT" : "caught");
		caught += !swapped_out(&r[i]);
	}
	if (n == K_NR) {
		CHECK(!fsync(r[K_FILE].fd), "fsync: %s", strerror(errno));
		posix_fadvise(r[K_FILE].fd, 0, 0, POSIX_FADV_DONTNEED);
		i = t_resident(r[K_FILE].base, PGSZ);
		t_log("pinned %-13s POSIX_FADV_DONTNEED: %s", kind_name[K_FILE],
		      i ? "caught" : "evicted: NOT CAUGHT");
		caught += !!i;
	}
	i = (two_nodes() ? n : 0) + K_FILE + (n == K_NR);
	CHECK(caught == i, "only %d of %d pinned pages caught by the probes",
	      caught, i);
	t_log("ok: the probes catch all %d pinned pages", caught);
}

/* nopin [SCENARIO...]: all of them by default */
int main(int argc, char **argv)
{
	static const struct {
		const char *arg, *name;
		t_scenario_fn fn;
	} sc[] = {
		{ "migrate", "migrate (move_pages)", sc_migrate },
		{ "pageout", "pageout (MADV_PAGEOUT)", sc_pageout },
		{ "thp", "thp split + collapse", sc_thp },
		{ "ksm", "ksm merge", sc_ksm },
		{ "file", "file evict + remap", sc_file },
		{ "control", "control: pinned, no waiter", sc_control },
	};
	size_t i;
	int j;

	t_init("nopin", 280);
	if (geteuid() != 0)
		t_skip("needs root (move_pages of shared pages, PFNs, KSM and THP settings)");
	for (i = 0; i < ARRAY_SIZE(sc); i++) {
		for (j = 1; j < argc && strcmp(argv[j], sc[i].arg); j++)
			;
		if (argc == 1 || j < argc)
			t_both_run(sc[i].name, sc[i].fn);
	}
	t_both_summary();
	if (t_both_failed())
		t_fail("%d scenario(s) failed with altfutex", t_both_failed());
	t_log("PASS");
	return T_PASS;
}
