// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * private_flag: ALTFUTEX_PRIVATE and the keys of the README's "Keys: what
 * "the same futex" means".
 *  - PRIVATE wait + PRIVATE wake among threads works on every kind of
 *    memory (stack, bss, heap, private and shared anonymous, files);
 *  - private anonymous memory and MAP_PRIVATE files are keyed (process,
 *    address) with or without the flag: a PRIVATE waiter is woken by a
 *    plain wake and a plain waiter by a PRIVATE wake;
 *  - on MAP_SHARED memory (anonymous, memfd, file) the keys differ: a
 *    PRIVATE waiter is not found by a plain wake nor a plain waiter by a
 *    PRIVATE wake; each is then woken by a wake with its own flag;
 *  - one memfd page mapped twice in the process: plain waits and wakes
 *    meet through either address (object key), PRIVATE ones only through
 *    the same address.
 */
#include "helpers.h"

static size_t pg;

/* @waddr waits with @wf; a wake on @kaddr with @kf finds it iff @meet. */
static void pair(uint32_t *waddr, unsigned int wf, uint32_t *kaddr,
		 unsigned int kf, int meet, const char *mem)
{
	struct t_waiter w;

	t_waiter_start(&w, waddr, *waddr, wf, T_SAFETY_MS, "waiter");
	if (meet) {
		CHECK_RET(altfutex_wake(kaddr, INT_MAX, kf), 1);
		t_waiter_expect_within(&w, 0, 5000);
	} else {
		CHECK_RET(altfutex_wake(kaddr, INT_MAX, kf), 0);
		t_waiter_check_asleep(&w, 20);
		CHECK_RET(altfutex_wake(waddr, INT_MAX, wf), 1);
		t_waiter_expect_within(&w, 0, 5000);
	}
	CHECK_RET(altfutex_wake(waddr, INT_MAX, wf), 0);
	t_log("ok: %s: waiter %s, wake %s%s: %s", mem,
	      wf ? "PRIVATE" : "plain", kf ? "PRIVATE" : "plain",
	      waddr == kaddr ? "" : " through the other mapping",
	      meet ? "woken" : "not found, then woken by its own flag");
}

/* The four combinations of flags on one address. */
static void combos(uint32_t *p, int same_key, const char *mem)
{
	pair(p, ALTFUTEX_PRIVATE, p, ALTFUTEX_PRIVATE, 1, mem);
	pair(p, 0, p, 0, 1, mem);
	pair(p, ALTFUTEX_PRIVATE, p, 0, same_key, mem);
	pair(p, 0, p, ALTFUTEX_PRIVATE, same_key, mem);
}

static int tmpfile_fd(size_t len)
{
	char path[] = "/tmp/altfutex-priv-XXXXXX";
	int fd = mkstemp(path);

	CHECK(fd >= 0, "mkstemp: %s", strerror(errno));
	unlink(path);
	CHECK(!ftruncate(fd, (off_t)len), "ftruncate: %s", strerror(errno));
	return fd;
}

int main(void)
{
	static uint32_t bss_word;
	uint32_t stack_word = 0, *heap, *p, *q;
	char *m, *m2;
	int fd;

	t_init("private_flag", 60);
	pg = (size_t)sysconf(_SC_PAGESIZE);

	combos(&stack_word, 1, "stack");
	combos(&bss_word, 1, "bss");
	heap = malloc(64);
	CHECK(heap, "malloc");
	heap[3] = 0;
	combos(heap + 3, 1, "heap");
	free(heap);
	m = t_map(1, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	combos((uint32_t *)m + 9, 1, "private anonymous");

	fd = tmpfile_fd(pg);
	m = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	CHECK(m != MAP_FAILED, "mmap: %s", strerror(errno));
	combos((uint32_t *)m + 11, 1, "MAP_PRIVATE file, never written");
	((uint32_t *)m)[12] = 0;
	combos((uint32_t *)m + 12, 1, "MAP_PRIVATE file, written (COW)");
	munmap(m, pg);

	m = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(m != MAP_FAILED, "mmap: %s", strerror(errno));
	combos((uint32_t *)m + 13, 0, "MAP_SHARED file");
	munmap(m, pg);
	close(fd);

	m = t_map(1, PROT_READ | PROT_WRITE, MAP_SHARED);
	combos((uint32_t *)m + 14, 0, "MAP_SHARED anonymous");

	fd = memfd_create("altfutex-private-flag", MFD_CLOEXEC);
	if (fd < 0) {
		t_log("memfd_create: %s: memfd part not run", strerror(errno));
	} else {
		CHECK(!ftruncate(fd, (off_t)pg), "ftruncate: %s",
		      strerror(errno));
		m = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		m2 = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		CHECK(m != MAP_FAILED && m2 != MAP_FAILED, "mmap: %s",
		      strerror(errno));
		CHECK(m != m2, "same address twice");
		combos((uint32_t *)m + 15, 0, "memfd");

		/* one word, two addresses */
		p = (uint32_t *)m + 16;
		q = (uint32_t *)m2 + 16;
		*p = 0;
		pair(p, 0, q, 0, 1, "memfd mapped twice");
		pair(q, 0, p, 0, 1, "memfd mapped twice");
		pair(p, ALTFUTEX_PRIVATE, q, ALTFUTEX_PRIVATE, 0,
		     "memfd mapped twice");
		pair(q, ALTFUTEX_PRIVATE, p, ALTFUTEX_PRIVATE, 0,
		     "memfd mapped twice");
		pair(p, ALTFUTEX_PRIVATE, q, 0, 0, "memfd mapped twice");
		pair(p, 0, q, ALTFUTEX_PRIVATE, 0, "memfd mapped twice");
		munmap(m, pg);
		munmap(m2, pg);
		close(fd);
	}
	t_log("PASS");
	return T_PASS;
}
