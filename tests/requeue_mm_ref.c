// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * A waiter requeued onto another process's private key keeps that key's
 * mm from being recycled.
 *
 * Process B sleeps on a word of a shared memfd.  Process A requeues it
 * (flags 0) onto a word of A's private anonymous memory, whose key is
 * (A's mm, address), and exits.  B's waiter now names A's mm: unless it
 * holds a reference on that mm (mmgrab()), the mm_struct is freed with A
 * and the next process is likely to get the same one, so that a wake by
 * an unrelated process C at the same address would find B.  Several such
 * processes C wake that address; none may find anybody, and B must time
 * out (-ETIMEDOUT) instead of being woken.
 */
#include <limits.h>
#include <sys/mman.h>

#include "helpers.h"

#define NR_STRANGERS	32
#define B_TIMEOUT_MS	4000

static uint32_t *shared_word;

/* A fixed address that A and every C map privately. */
static uint32_t *fixed_addr(void)
{
	return (uint32_t *)(uintptr_t)0x5a5a00000000ull;
}

static void map_private_at_fixed(void)
{
	void *p = mmap(fixed_addr(), 4096, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);

	if (p != fixed_addr())
		_exit(10);
	*fixed_addr() = 0;
}

/* B: sleep on the shared word; 0 if it timed out, 1 if woken, 2 else. */
static int run_b(void)
{
	struct timespec ts = t_ts_ms(B_TIMEOUT_MS);
	int r = altfutex_wait(shared_word, 0, &ts, 0);

	if (r == -ETIMEDOUT)
		return 0;
	return r == 0 ? 1 : 2;
}

/* A: move B onto A's private word; exit status: how many moved. */
static int run_a(void)
{
	map_private_at_fixed();
	return altfutex_requeue(shared_word, fixed_addr(), 0, 1, 0);
}

/* C: wake A's old address in a new mm; exit status: how many it woke. */
static int run_c(void)
{
	int r;

	map_private_at_fixed();
	r = altfutex_wake(fixed_addr(), INT_MAX, 0);
	return r < 0 ? 100 : r;
}

int main(void)
{
	pid_t b, a, c;
	int fd, r, i;

	t_init("requeue_mm_ref", 60);
	fd = memfd_create("requeue_mm_ref", MFD_CLOEXEC);
	CHECK(fd >= 0, "memfd_create: %s", strerror(errno));
	CHECK(!ftruncate(fd, 4096), "ftruncate");
	shared_word = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED,
			   fd, 0);
	CHECK(shared_word != MAP_FAILED, "mmap: %s", strerror(errno));
	*shared_word = 0;

	b = t_fork();
	if (!b)
		_exit(run_b());
	t_wait_asleep(b, b);

	a = t_fork();
	if (!a)
		_exit(run_a());
	r = t_reap(a);
	CHECK(r == 1, "A's requeue onto its private word moved %d, expected 1",
	      r);
	t_log("ok: A moved B onto (A's mm, %p) and exited", fixed_addr());

	for (i = 0; i < NR_STRANGERS; i++) {
		c = t_fork();
		if (!c)
			_exit(run_c());
		r = t_reap(c);
		CHECK(r == 0,
		      "process %d waking %p in a new mm %s (exit status %d): B's key outlived A's mm",
		      i, fixed_addr(), r == 100 ? "failed" : "found a waiter",
		      r);
	}
	t_log("ok: %d later processes waking %p in their own mm found nobody",
	      NR_STRANGERS, fixed_addr());

	r = t_reap(b);
	CHECK(r == 0, "B %s", r == 1 ? "was woken through a recycled mm" :
	      "failed (its wait returned an error other than -ETIMEDOUT)");
	t_log("ok: B, left on the key of A's exited mm, timed out");
	return T_PASS;
}
