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

struct fw {
	pthread_t thread;
	uint32_t *uaddr;
	unsigned int flags;
	int id;
	int tid;	/* atomic */
	int ret;
	int joined;
};

static struct fw fws[NW];
static int seq[NW];
static int nseq;		/* under seq_lock */
static pthread_mutex_t seq_lock = PTHREAD_MUTEX_INITIALIZER;

static void *fw_main(void *arg)
{
	struct fw *w = arg;

	__atomic_store_n(&w->tid, t_gettid(), __ATOMIC_SEQ_CST);
	w->ret = altfutex_wait(w->uaddr, 0, NULL, w->flags);
	pthread_mutex_lock(&seq_lock);
	seq[nseq++] = w->id;
	pthread_mutex_unlock(&seq_lock);
	return NULL;
}

static int returned(void)
{
	int n;

	pthread_mutex_lock(&seq_lock);
	n = nseq;
	pthread_mutex_unlock(&seq_lock);
	return n;
}

/* Start waiter @id on @uaddr; return once it sleeps in the kernel. */
static void fw_start(int id, uint32_t *uaddr, unsigned int flags)
{
	struct fw *w = &fws[id];
	int before = returned();

	memset(w, 0, sizeof(*w));
	w->uaddr = uaddr;
	w->flags = flags;
	w->id = id;
	CHECK(!pthread_create(&w->thread, NULL, fw_main, w), "pthread_create");
	while (!__atomic_load_n(&w->tid, __ATOMIC_SEQ_CST))
		sched_yield();
	while (t_asleep(0, w->tid) != 1) {
		if (returned() != before)
			t_fail("waiter %d returned %d (%s) instead of sleeping",
			       id, w->ret, t_err(w->ret));
		t_sleep_ms(1);
	}
}

static void fw_join(int id)
{
	struct fw *w = &fws[id];

	if (w->joined)
		return;
	pthread_join(w->thread, NULL);
	w->joined = 1;
	CHECK(w->ret == 0, "waiter %d returned %d (%s)", id, w->ret,
	      t_err(w->ret));
}

/* Wait until @n waiters in all have returned. */
static void wait_returned(int n)
{
	int64_t end = t_now_ns(CLOCK_MONOTONIC) + 10 * NSEC_PER_SEC;

	while (returned() < n) {
		if (t_now_ns(CLOCK_MONOTONIC) > end)
			t_fail("only %d of %d woken waiters returned",
			       returned(), n);
		t_sleep_ms(1);
	}
}

/* wake(1) on @uaddr must wake waiter @id. */
static void wake_one_expect(uint32_t *uaddr, unsigned int flags, int id)
{
	int before = returned();

	CHECK_RET(altfutex_wake(uaddr, 1, flags), 1);
	wait_returned(before + 1);
	if (seq[before] != id)
		t_fail("wake(1) number %d woke waiter %d, expected %d",
		       before + 1, seq[before], id);
	fw_join(id);
}

static void reset(void)
{
	nseq = 0;
}

static void check_order(uint32_t *word, unsigned int flags, const char *mem)
{
	int i, j, seen;

	reset();
	for (i = 0; i < NW; i++)
		fw_start(i, word, flags);
	for (i = 0; i < NW; i++)
		wake_one_expect(word, flags, i);
	CHECK_RET(altfutex_wake(word, INT_MAX, flags), 0);
	t_log("ok: %s: %d waiters woken one by one in queueing order", mem,
	      NW);

	/* wake(5) takes the five oldest */
	reset();
	for (i = 0; i < 12; i++)
		fw_start(i, word, flags);
	CHECK_RET(altfutex_wake(word, 5, flags), 5);
	wait_returned(5);
	t_sleep_ms(20);
	CHECK(returned() == 5, "%d returned after wake(5)", returned());
	seen = 0;
	for (i = 0; i < 5; i++) {
		j = seq[i];
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
	reset();
	for (i = 0; i < 16; i++)
		fw_start(i, word + (i & 1), flags);
	for (i = 1; i < 16; i += 2)
		wake_one_expect(word + 1, flags, i);
	for (i = 0; i < 16; i += 2)
		wake_one_expect(word, flags, i);
	t_log("ok: %s: two keys interleaved in the queue keep their own orders",
	      mem);

	/* a re-queued waiter goes to the tail */
	reset();
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
