// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * shared_anon: MAP_SHARED|MAP_ANONYMOUS memory, and MAP_SHARED /dev/zero,
 * inherited across fork() is one futex namespace for parent and child
 * (keyed by its backing inode: the README's "Keys: what "the same futex"
 * means"); two such regions are different objects; and with
 * ALTFUTEX_PRIVATE on both sides the key is per process, so the child's
 * private wake does not wake the parent's private waiter.
 */
#include "helpers.h"

static void check_shared(const char *what, char *sa, size_t pg)
{
	struct puppet c, late;
	struct p_waiter w;
	char *word = sa + pg + 128;

	puppet_start(&c, "child", NULL, NULL);

	w = w_start(NULL, word, 0, 0, T_SAFETY_MS, "parent");
	CHECK_RET(p_wake(&c, word, INT_MAX, 0), 1);
	w_expect(&w, 0);
	w = w_start(&c, word, 0, 0, T_SAFETY_MS, "child");
	CHECK_RET(p_wake(NULL, word, INT_MAX, 0), 1);
	w_expect(&w, 0);
	t_log("ok: %s: parent and child wake each other", what);

	/* offsets stay independent */
	w = w_start(&c, word + 4, 0, 0, T_SAFETY_MS, "child@+4");
	CHECK_RET(p_wake(NULL, word, INT_MAX, 0), 0);
	CHECK_RET(p_wake(NULL, word - pg, INT_MAX, 0), 0);
	w_check_asleep(&w, 20);
	CHECK_RET(p_wake(NULL, word + 4, INT_MAX, 0), 1);
	w_expect(&w, 0);
	t_log("ok: %s: other byte offsets and pages are other futexes", what);

	/* a child forked while the parent's waiter sleeps */
	w = w_start(NULL, word, 0, 0, T_SAFETY_MS, "parent");
	puppet_start(&late, "late child", NULL, NULL);
	CHECK_RET(p_wake(&late, word, INT_MAX, 0), 1);
	w_expect(&w, 0);
	puppet_stop(&late);
	t_log("ok: %s: a child forked while the parent sleeps wakes it", what);

	/* ALTFUTEX_PRIVATE on both sides: per process */
	w = w_start(NULL, word, 0, ALTFUTEX_PRIVATE, T_SAFETY_MS,
		    "parent/private");
	CHECK_RET(p_wake(&c, word, INT_MAX, ALTFUTEX_PRIVATE), 0);
	w_check_asleep(&w, 50);
	CHECK_RET(p_wake(NULL, word, INT_MAX, ALTFUTEX_PRIVATE), 1);
	w_expect(&w, 0);
	w = w_start(&c, word, 0, ALTFUTEX_PRIVATE, T_SAFETY_MS,
		    "child/private");
	CHECK_RET(p_wake(NULL, word, INT_MAX, ALTFUTEX_PRIVATE), 0);
	w_check_asleep(&w, 50);
	CHECK_RET(p_wake(&c, word, INT_MAX, ALTFUTEX_PRIVATE), 1);
	w_expect(&w, 0);
	t_log("ok: %s: with ALTFUTEX_PRIVATE, parent and child are separate",
	      what);

	puppet_stop(&c);
}

int main(void)
{
	size_t pg = PGSZ;
	char *sa, *sa2, *za;
	struct p_waiter w;
	int zfd;

	t_init("shared_anon", 60);

	sa = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	sa2 = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK(sa != MAP_FAILED && sa2 != MAP_FAILED, "mmap: %s", strerror(errno));
	check_shared("MAP_SHARED|MAP_ANONYMOUS", sa, pg);

	/* two MAP_SHARED anonymous regions are two objects */
	w = w_start(NULL, sa + pg + 128, 0, 0, T_SAFETY_MS, "region 1");
	CHECK_RET(altfutex_wake(U32_AT(sa2, pg + 128), INT_MAX, 0), 0);
	w_check_asleep(&w, 20);
	CHECK_RET(altfutex_wake(U32_AT(sa, pg + 128), INT_MAX, 0), 1);
	w_expect(&w, 0);
	t_log("ok: two separate MAP_SHARED|MAP_ANONYMOUS regions are different futexes");

	zfd = open("/dev/zero", O_RDWR | O_CLOEXEC);
	if (zfd < 0) {
		t_log("no /dev/zero (%s): MAP_SHARED /dev/zero part not run",
		      strerror(errno));
	} else {
		za = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_SHARED,
			  zfd, 0);
		CHECK(za != MAP_FAILED, "mmap /dev/zero: %s", strerror(errno));
		check_shared("MAP_SHARED /dev/zero", za, pg);
		close(zfd);
	}

	t_log("PASS");
	return T_PASS;
}
