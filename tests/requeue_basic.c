// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * REQUEUE and CMP_REQUEUE semantics: counts, FIFO order across a requeue,
 * requeue onto the same key (the 2003 endless loop), only key1's waiters
 * move (none of key2's own: a requeue that took the wrong key as its
 * source would move them), moved waiters answer to key2 only, requeue
 * between private and shared keys, and argument errors.
 */
#include "helpers.h"

#define MAXW 16

static struct t_waiter ws[MAXW];

/* Start waiter @id on @word and return once it sleeps in the kernel. */
static void start_waiter(int id, uint32_t *word, unsigned int flags)
{
	struct t_waiter *w = &ws[id];

	t_waiter_init(w, word, 0, flags, NULL, "requeue");
	w->id = id;
	CHECK(!t_waiter_run(w), "thread");
	t_waiter_asleep(w);
}

/* wake(1) on @word and check that waiter @id is the one that returns. */
static void wake_one_expect(uint32_t *word, unsigned int flags, int id)
{
	t_waiter_wake_one(word, flags, &ws[id]);
}

/* Join waiter @id, which must have returned 0. */
static void join_woken(int id)
{
	int r = t_waiter_join(&ws[id]);

	CHECK(r == 0, "waiter %d returned %d", id, r);
}

static void test_fifo_across_requeue(uint32_t *a, uint32_t *b)
{
	int i;

	t_returned_reset();
	for (i = 0; i < 8; i++)
		start_waiter(i, a, 0);		/* A: 0..7 */
	for (i = 8; i < 12; i++)
		start_waiter(i, b, 0);		/* B: 8..11 */

	/* wake A's oldest, move the next three behind B's own waiters */
	CHECK_RET(altfutex_requeue(a, b, 1, 3, 0), 4);
	t_returned_wait(1);
	CHECK(t_returned_id(0) == 0, "requeue woke %d, not the oldest",
	      t_returned_id(0));
	join_woken(0);

	/* B now holds 8 9 10 11 1 2 3, in that order */
	wake_one_expect(b, 0, 8);
	wake_one_expect(b, 0, 9);
	wake_one_expect(b, 0, 10);
	wake_one_expect(b, 0, 11);
	wake_one_expect(b, 0, 1);
	wake_one_expect(b, 0, 2);
	wake_one_expect(b, 0, 3);
	CHECK_RET(altfutex_wake(b, INT_MAX, 0), 0);
	/* A kept 4 5 6 7, in order */
	for (i = 4; i < 8; i++)
		wake_one_expect(a, 0, i);
	CHECK_RET(altfutex_wake(a, INT_MAX, 0), 0);
	t_log("FIFO kept across a requeue, moved waiters after B's own");
}

static void test_same_key(uint32_t *a, uint32_t *other)
{
	int i;

	t_returned_reset();
	for (i = 0; i < 6; i++)
		start_waiter(i, a, 0);
	start_waiter(6, other, 0);	/* same page: maybe the same bucket */

	/* the 2003 lockup: must terminate, wake 2, move the other 4 */
	CHECK_RET(altfutex_requeue(a, a, 2, INT_MAX, 0), 6);
	t_returned_wait(2);
	t_waiter_join(&ws[0]);
	t_waiter_join(&ws[1]);
	CHECK((t_returned_id(0) == 0 && t_returned_id(1) == 1) ||
	      (t_returned_id(0) == 1 && t_returned_id(1) == 0), "woke %d %d",
	      t_returned_id(0), t_returned_id(1));
	/* the moved four stay in order, once each */
	for (i = 2; i < 6; i++)
		wake_one_expect(a, 0, i);
	CHECK_RET(altfutex_wake(a, INT_MAX, 0), 0);

	/* requeue onto itself with nothing to wake keeps everybody queued */
	t_returned_reset();
	for (i = 0; i < 3; i++)
		start_waiter(i, a, 0);
	CHECK_RET(altfutex_cmp_requeue(a, a, 0, INT_MAX, 0, 0), 3);
	t_sleep_ms(50);
	CHECK(t_returned() == 0, "a self-requeue woke somebody");
	for (i = 0; i < 3; i++)
		wake_one_expect(a, 0, i);
	wake_one_expect(other, 0, 6);
	t_log("requeue onto the same key terminates, counts once, keeps FIFO");
}

static void test_moved_answer_to_key2(uint32_t *a, uint32_t *b)
{
	t_returned_reset();
	start_waiter(0, a, 0);
	start_waiter(1, b, 0);
	start_waiter(2, a, 0);
	/* only A's waiters move, not B's own */
	CHECK_RET(altfutex_requeue(a, b, 0, INT_MAX, 0), 2);
	CHECK_RET(altfutex_wake(a, INT_MAX, 0), 0);
	t_sleep_ms(50);
	CHECK(t_returned() == 0, "a wake on A found a moved waiter");
	wake_one_expect(b, 0, 1);
	wake_one_expect(b, 0, 0);
	wake_one_expect(b, 0, 2);
	t_log("moved waiters answer to key2 only; key2's own stay first");
}

static void test_private_shared(uint32_t *priv, uint32_t *shared)
{
	t_returned_reset();
	/* shared -> private */
	start_waiter(0, shared, 0);
	CHECK_RET(altfutex_requeue(shared, priv, 0, 1, 0), 1);
	CHECK_RET(altfutex_wake(shared, 1, 0), 0);
	wake_one_expect(priv, 0, 0);
	/* private -> shared */
	start_waiter(1, priv, ALTFUTEX_PRIVATE);
	CHECK_RET(altfutex_requeue(priv, shared, 0, 1, 0), 1);
	wake_one_expect(shared, 0, 1);
	t_log("requeue between private and shared keys");
}

static void test_args(uint32_t *a, uint32_t *b)
{
	uint32_t *mis = (uint32_t *)((char *)a + 1);

	*a = 7;
	CHECK_RET(altfutex_cmp_requeue(a, b, 1, 1, 6, 0), -EAGAIN);
	CHECK_RET(altfutex_cmp_requeue(a, b, 1, 1, 7, 0), 0);
	*a = 0;
	CHECK_RET(altfutex_requeue(a, b, -1, 1, 0), -EINVAL);
	CHECK_RET(altfutex_requeue(a, b, 1, -1, 0), -EINVAL);
	CHECK_RET(altfutex_cmp_requeue(a, b, -1, 0, 0, 0), -EINVAL);
	CHECK_RET(altfutex_requeue(mis, b, 1, 1, 0), -EINVAL);
	CHECK_RET(altfutex_requeue(a, mis, 1, 1, 0), -EINVAL);
	CHECK_RET(altfutex_requeue(a, b, 1, 1, 1u << 6), -EINVAL);
	CHECK_RET(altfutex_requeue(a, b, 0, 0, 0), 0);
	CHECK_RET(altfutex_requeue(a, (uint32_t *)16, 1, 1, 0), -EFAULT);
	CHECK_RET(altfutex_cmp_requeue((uint32_t *)16, b, 1, 1, 0, 0),
		  -EFAULT);
	t_log("argument errors: EAGAIN, EINVAL, EFAULT");
}

int main(void)
{
	uint32_t *priv, *shared;
	int fd;

	t_init("requeue_basic", 60);
	if (altfutex_open() < 0)
		t_fail("cannot open /dev/altfutex: %d", altfutex_open());

	priv = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	fd = memfd_create("requeue_basic", 0);
	CHECK(fd >= 0 && !ftruncate(fd, 4096), "memfd");
	shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(priv != MAP_FAILED && shared != MAP_FAILED, "mmap");

	test_fifo_across_requeue(&priv[0], &priv[1]);
	test_same_key(&priv[2], &priv[3]);
	test_moved_answer_to_key2(&shared[0], &shared[1]);
	test_private_shared(&priv[4], &shared[2]);
	test_args(&priv[5], &priv[6]);
	return T_PASS;
}
