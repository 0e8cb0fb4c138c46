// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * fork_cow: private anonymous memory is keyed by (process, address), as
 * the table of the README's "Keys: what "the same futex" means" says.
 *  - After fork(), parent and child waiting at the same address are
 *    separate futexes, whether the page was written before the fork and
 *    not since (shared copy-on-write), written since by the child or by
 *    the parent, or never written at all (zero page); with and without
 *    ALTFUTEX_PRIVATE.  A wake from the other process returns 0 and the
 *    waiter stays asleep until its own process wakes it.
 *  - Two processes that map fresh, never-written anonymous memory at the
 *    same address do not wake each other (the zero-page case).
 *  - A waiter on a not-yet-written writable private page is woken by a
 *    wake of its own process issued after another thread wrote the word
 *    (which breaks copy-on-write), both on a fresh page and on a page
 *    still shared copy-on-write after fork().
 *  - mremap() of private memory under a sleeping waiter: the waiter stays
 *    keyed on the old address, as in 2003 and as futex(2) does (the
 *    README's "Keys: what "the same futex" means").
 */
#include "helpers.h"

/* The other process must not wake @waiter's process at @word. */
static void check_separate(struct puppet *waiter, struct puppet *other,
			   char *word, unsigned int flags, const char *what)
{
	struct p_waiter w;

	w = w_start(waiter, word, 0, flags, T_SAFETY_MS, what);
	CHECK_RET(p_wake(other, word, INT_MAX, flags), 0);
	w_check_asleep(&w, 30);
	CHECK_RET(p_wake(other, word, INT_MAX, flags), 0);
	CHECK_RET(p_wake(waiter, word, INT_MAX, flags), 1);
	w_expect(&w, 0);
}

static void check_page(struct puppet *c, char *word, const char *what)
{
	static const unsigned int flags[] = { 0, ALTFUTEX_PRIVATE };
	unsigned int i;

	for (i = 0; i < 2; i++) {
		check_separate(NULL, c, word, flags[i], what);
		check_separate(c, NULL, word, flags[i], what);
	}
	t_log("ok: %s: parent and child are separate futexes (flag 0 and PRIVATE)",
	      what);
}

int main(void)
{
	size_t pg = PGSZ;
	struct puppet c, u1, u2;
	struct p_waiter w;
	char *pa, *win, *x1, *x2;

	t_init("fork_cow", 60);

	pa = mmap(NULL, 6 * pg, PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(pa != MAP_FAILED, "mmap: %s", strerror(errno));
	/* pages 0, 2, 3, 4 written before the fork; 1 and 5 never */
	*U32_AT(pa, 0 * pg + 64) = 0;
	*U32_AT(pa, 2 * pg + 64) = 0;
	*U32_AT(pa, 3 * pg + 64) = 0;
	*U32_AT(pa, 4 * pg + 64) = 0;
	win = t_reserve(4 * pg);

	puppet_start(&c, "child", NULL, NULL);

	check_page(&c, pa + 64, "written before fork, not since");
	(void)p_load(NULL, pa + pg + 64);	/* map the zero page */
	(void)p_load(&c, pa + pg + 64);
	check_page(&c, pa + pg + 64, "never written (zero page)");
	p_store(&c, pa + 2 * pg + 64, 0);
	check_page(&c, pa + 2 * pg + 64, "written by the child since fork");
	p_store(NULL, pa + 3 * pg + 64, 0);
	check_page(&c, pa + 3 * pg + 64, "written by the parent since fork");

	/* the other process breaks COW while the waiter sleeps */
	w = w_start(NULL, pa + 64, 0, 0, T_SAFETY_MS, "parent");
	p_store(&c, pa + 64, 1);
	CHECK_RET(p_wake(&c, pa + 64, INT_MAX, 0), 0);
	w_check_asleep(&w, 30);
	CHECK(*U32_AT(pa, 64) == 0, "the child's write reached the parent");
	CHECK_RET(p_wake(NULL, pa + 64, 1, 0), 1);
	w_expect(&w, 0);
	t_log("ok: the child writing the word (COW break) and waking does not wake the parent");

	/* a COW break by another thread of the waiter's process */
	w = w_start(&c, pa + 4 * pg + 64, 0, 0, T_SAFETY_MS, "child");
	p_store(&c, pa + 4 * pg + 64, 1);
	CHECK_RET(p_wake(&c, pa + 4 * pg + 64, INT_MAX, 0), 1);
	w_expect(&w, 0);
	w = w_start(NULL, pa + 4 * pg + 64, 0, 0, T_SAFETY_MS, "parent");
	p_store(NULL, pa + 4 * pg + 64, 1);
	CHECK_RET(p_wake(NULL, pa + 4 * pg + 64, INT_MAX, 0), 1);
	w_expect(&w, 0);
	CHECK(p_load(&c, pa + 4 * pg + 64) == 1, "child's copy changed");
	t_log("ok: req 13: after fork, COW break by another thread, own wake wakes");

	w = w_start(NULL, pa + 5 * pg + 64, 0, 0, T_SAFETY_MS, "parent");
	p_store(NULL, pa + 5 * pg + 64, 1);
	CHECK_RET(p_wake(NULL, pa + 5 * pg + 64, INT_MAX, 0), 1);
	w_expect(&w, 0);
	t_log("ok: req 13: never-written page, another thread writes, own wake wakes");

	puppet_stop(&c);

	/* mremap of private memory: the waiter keeps its (mm, old address) key */
	{
		char *mm = win + 2 * pg;
		char *mo = pa + 5 * pg;

		w = w_start(NULL, mo + 64, 1, ALTFUTEX_PRIVATE, T_SAFETY_MS,
			    "private@old");
		CHECK(mremap(mo, pg, pg, MREMAP_MAYMOVE | MREMAP_FIXED, mm) == mm,
		      "mremap: %s", strerror(errno));
		CHECK_RET(altfutex_wake(U32_AT(mm, 64), INT_MAX, ALTFUTEX_PRIVATE), 0);
		w_check_asleep(&w, 20);
		CHECK_RET(altfutex_wake(U32_AT(mo, 64), INT_MAX, ALTFUTEX_PRIVATE), 1);
		w_expect(&w, 0);

		w = w_start(NULL, mm + 64, 1, 0, T_SAFETY_MS, "anon@old");
		CHECK(mremap(mm, pg, pg, MREMAP_MAYMOVE | MREMAP_FIXED, mo) == mo,
		      "mremap: %s", strerror(errno));
		CHECK_RET(altfutex_wake(U32_AT(mo, 64), INT_MAX, 0), 0);
		CHECK_RET(altfutex_wake(U32_AT(mm, 64), INT_MAX, 0), -EFAULT);
		w_check_asleep(&w, 20);
		/* new memory at the old address has the old key */
		CHECK(mmap(mm, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE |
			   MAP_ANONYMOUS | MAP_FIXED, -1, 0) == mm, "mmap: %s",
		      strerror(errno));
		CHECK_RET(altfutex_wake(U32_AT(mm, 64), INT_MAX, 0), 1);
		w_expect(&w, 0);
	}
	t_log("ok: a private waiter keeps its old address as key after mremap");

	/* never-written anonymous memory at one address in two processes */
	puppet_start(&u1, "u1", NULL, NULL);
	puppet_start(&u2, "u2", NULL, NULL);
	x1 = p_mmap(&u1, win, 2 * pg, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	x2 = p_mmap(&u2, win, 2 * pg, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	CHECK(x1 == x2, "same address expected");
	(void)p_load(&u1, x1 + 64);	/* page 0: zero page mapped */
	(void)p_load(&u2, x2 + 64);	/* page 1: not even faulted */
	check_separate(&u1, &u2, x1 + 64, 0, "u1 zero page");
	check_separate(&u2, &u1, x1 + 64, 0, "u2 zero page");
	check_separate(&u1, &u2, x1 + pg + 64, 0, "u1 untouched page");
	check_separate(&u2, &u1, x1 + pg + 64, 0, "u2 untouched page");
	t_log("ok: req 14: never-written memory at %p in 2 processes: separate",
	      x1 + 64);
	puppet_stop(&u1);
	puppet_stop(&u2);

	t_log("PASS");
	return T_PASS;
}
