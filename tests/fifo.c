// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * fifo: waiters are woken oldest first.
 *  - 32 threads queue one after the other (each started only once the
 *    previous one sleeps); 32 x wake(1) wake them in exactly that order;
 *  - wake(5) wakes the five oldest, then the rest follow in order;
 *  - two keys interleaved in one queue (maybe one bucket; always one with
 *    hash_size=1) keep their own orders;
 *  - a woken thread that waits again goes to the tail.
 * For private memory, with and without ALTFUTEX_PRIVATE, and shared memory.
 */
#include "helpers.h"

#define NW 32

static struct t_waiter fws[NW];

/* Start waiter @id on @uaddr; return once it sleeps in the kernel. */
static void fw_start(int id, uint32_t *uaddr, unsigned int flags)
{
	struct t_waiter *w = &fws[id];
	int before = t_returned();

	t_waiter_init(w, uaddr, 0, flags, NULL, "fifo");
	w->id = id;
	CHECK(!t_waiter_run(w), "pthread_create");
	while (t_asleep(0, t_waiter_tid(w)) != 1) {
		if (t_returned() != before)
			t_fail("waiter %d returned %d (%s) instead of sleeping",
			       id, w->ret, t_err(w->ret));
		t_sleep_ms(1);
	}
}

static void fw_join(int id)
{
	int r = t_waiter_join(&fws[id]);

	CHECK(r == 0, "waiter %d returned %d (%s)", id, r, t_err(r));
}

/* wake(1) on @uaddr must wake waiter @id. */
static void wake_one_expect(uint32_t *uaddr, unsigned int flags, int id)
{
	t_waiter_wake_one(uaddr, flags, &fws[id]);
}

static void check_order(uint32_t *word, unsigned int flags, const char *mem)
{
	int i, j, seen;

	t_returned_reset();
	for (i = 0; i < NW; i++)
		fw_start(i, word, flags);
	for (i = 0; i < NW; i++)
		wake_one_expect(word, flags, i);
	CHECK_RET(altfutex_wake(word, INT_MAX, flags), 0);
	t_log("ok: %s: %d waiters woken one by one in queueing order", mem,
	      NW);

	/* wake(5) takes the five oldest */
	t_returned_reset();
	for (i = 0; i < 12; i++)
		fw_start(i, word, flags);
	CHECK_RET(altfutex_wake(word, 5, flags), 5);
	t_returned_wait(5);
	t_sleep_ms(20);
	CHECK(t_returned() == 5, "%d returned after wake(5)", t_returned());
	seen = 0;
	for (i = 0; i < 5; i++) {
		j = t_returned_id(i);
		CHECK(j >= 0 && j < 5, "wake(5) woke waiter %d", j);
		seen |= 1 << j;
	}
	CHECK(seen == 0x1f, "wake(5) woke the set %#x", seen);
	for (i = 0; i < 5; i++)
		fw_join(i);
	for (i = 5; i < 12; i++)
		wake_one_expect(word, flags, i);
	CHECK_RET(altfutex_wake(word, INT_MAX, flags), 0);
	t_log("ok: %s: wake(5) woke the five oldest of 12, the rest followed in order",
	      mem);

	/* two keys, interleaved: A0 B1 A2 B3 ... */
	t_returned_reset();
	for (i = 0; i < 16; i++)
		fw_start(i, word + (i & 1), flags);
	for (i = 1; i < 16; i += 2)
		wake_one_expect(word + 1, flags, i);
	for (i = 0; i < 16; i += 2)
		wake_one_expect(word, flags, i);
	t_log("ok: %s: two keys interleaved in the queue keep their own orders",
	      mem);

	/* a re-queued waiter goes to the tail */
	t_returned_reset();
	for (i = 0; i < 4; i++)
		fw_start(i, word, flags);
	wake_one_expect(word, flags, 0);
	fw_start(0, word, flags);		/* 1 2 3 0 */
	wake_one_expect(word, flags, 1);
	wake_one_expect(word, flags, 2);
	wake_one_expect(word, flags, 3);
	wake_one_expect(word, flags, 0);
	t_log("ok: %s: a waiter that waits again queues behind the others",
	      mem);
}

int main(void)
{
	uint32_t *priv, *shared;
	static uint32_t bss[2];

	t_init("fifo", 120);

	priv = t_map(1, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	shared = t_map(1, PROT_READ | PROT_WRITE, MAP_SHARED);
	check_order(bss, 0, "bss");
	check_order(priv + 100, 0, "private anonymous");
	check_order(priv + 200, ALTFUTEX_PRIVATE, "ALTFUTEX_PRIVATE");
	check_order(shared + 300, 0, "MAP_SHARED anonymous");
	t_log("PASS");
	return T_PASS;
}
