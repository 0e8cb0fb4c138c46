// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * count_sb: no wake is lost through the library's fast path (README,
 * "Wakes that cost no system call"; module/wait.c, "The waiter-count
 * page").
 *
 * The store-buffering pattern under stress: pairs of threads play
 * ping-pong on one private word each, every move a relaxed store of the
 * next value and altfutex_wake(ALTFUTEX_PRIVATE), which returns 0 without
 * the ioctl whenever the word's count is 0; every wait is the other
 * side's "load; altfutex_wait(word, old value)".  The library's fence
 * (MKu) and the module's barrier after the count (MW) are all that stand
 * between that and a lost wake: a waiter that sleeps through a move.
 * So every wait has a timeout, and a wait that times out after the other
 * side's wake for the value it waits to see out had returned more than
 * 100 ms earlier is a lost wake: FAIL.
 *
 * Half of the pairs have words of their own slot, the other half words
 * that share one slot (counts of other pairs' sleepers then make their
 * wakes take the ioctl).  Time-bounded: ALTFUTEX_SB_SECONDS (default 4)
 * of play; make check runs it with the default hash and hash_size=1.
 */
#include "helpers.h"

#define PAIRS		4
#define WAIT_MS		2000
#define LOST_MS		100

struct pair {
	uint32_t *word;
	int64_t woke_at[2];	/* when each side's last wake returned */
	uint32_t woke_val[2];	/* the value it stored before that wake */
	long rounds, fast_zero, lost;
	int stop;		/* a side saw the time up, after its move */
};

struct side {
	struct pair *p;
	int me;			/* 0 moves to odd values, 1 to even */
	int where;		/* for the watchdog: 'w'ait, w'a'ke, 'd'one */
	int last;		/* the last wait's result */
};

static struct side sides[PAIRS][2];

static struct pair pairs[PAIRS];
static int64_t stop_at;
static int sides_done;

static int64_t now(void)
{
	return t_now_ns(CLOCK_MONOTONIC);
}

/*
 * Wait until the word leaves @val, the other side's move; 0, or -1 on a
 * lost wake.  The other side records the value it stored and when its
 * wake returned once the wake has returned; it cannot move again before
 * we do, so what we read here is its last move.
 */
static int wait_change(struct side *s, uint32_t val)
{
	struct pair *p = s->p;
	struct timespec ts = t_ts_ms(WAIT_MS);
	int other = !s->me, r;
	uint32_t now_val, woke_val;
	int64_t woke_at;

	while (__atomic_load_n(p->word, __ATOMIC_ACQUIRE) == val &&
	       !__atomic_load_n(&p->stop, __ATOMIC_ACQUIRE)) {
		__atomic_store_n(&s->where, 'w', __ATOMIC_RELAXED);
		r = altfutex_wait(p->word, val, &ts, ALTFUTEX_PRIVATE);
		__atomic_store_n(&s->last, r, __ATOMIC_RELAXED);
		__atomic_store_n(&s->where, 'r', __ATOMIC_RELAXED);
		if (r != -ETIMEDOUT)
			continue;
		now_val = __atomic_load_n(p->word, __ATOMIC_ACQUIRE);
		woke_val = __atomic_load_n(&p->woke_val[other],
					   __ATOMIC_ACQUIRE);
		woke_at = __atomic_load_n(&p->woke_at[other],
					  __ATOMIC_ACQUIRE);
		if (now_val != val && woke_val == now_val &&
		    now() - woke_at > LOST_MS * 1000000LL) {
			t_log("pair %d: slept %d ms on %u; now %u, woken %lld ms ago",
			      (int)(p - pairs), WAIT_MS, val, now_val,
			      (long long)((now() - woke_at) / 1000000));
			return -1;
		}
	}
	return 0;
}

/*
 * One side of a pair: side 0 moves when the word is even, side 1 when it
 * is odd; a move stores the next value and wakes.  The first side to see
 * the time up after its move says so (stop) and leaves: the other side
 * sees the move or the stop, whether waiting or about to move, and
 * leaves too.
 */
static void *play(void *arg)
{
	struct side *s = arg;
	struct pair *p = s->p;
	uint32_t v;
	int r;

	while (!__atomic_load_n(&p->stop, __ATOMIC_ACQUIRE)) {
		v = __atomic_load_n(p->word, __ATOMIC_ACQUIRE);
		if ((v & 1) != (uint32_t)s->me) {
			if (wait_change(s, v)) {
				__atomic_add_fetch(&p->lost, 1,
						   __ATOMIC_RELAXED);
				break;
			}
			continue;
		}
		__atomic_store_n(p->word, v + 1, __ATOMIC_RELAXED);	/* (K1) */
		__atomic_store_n(&s->where, 'a', __ATOMIC_RELAXED);
		r = altfutex_wake(p->word, 1, ALTFUTEX_PRIVATE);
		__atomic_store_n(&s->where, 'r', __ATOMIC_RELAXED);
		if (r < 0)
			t_fail("wake: %s", t_err(r));
		__atomic_store_n(&p->woke_at[s->me], now(), __ATOMIC_RELEASE);
		__atomic_store_n(&p->woke_val[s->me], v + 1, __ATOMIC_RELEASE);
		if (!r)
			__atomic_add_fetch(&p->fast_zero, 1, __ATOMIC_RELAXED);
		__atomic_add_fetch(&p->rounds, 1, __ATOMIC_RELAXED);
		if (now() > stop_at) {
			__atomic_store_n(&p->stop, 1, __ATOMIC_RELEASE);
			break;
		}
	}
	__atomic_store_n(&s->where, 'd', __ATOMIC_RELAXED);
	__atomic_add_fetch(&sides_done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* Until every side is done: fail, saying where, after 10 s with no move. */
static void watch(void)
{
	long last = -1, moves;
	int64_t since = now();
	int i;

	while (__atomic_load_n(&sides_done, __ATOMIC_ACQUIRE) < 2 * PAIRS) {
		t_sleep_ms(100);
		for (moves = 0, i = 0; i < PAIRS; i++)
			moves += __atomic_load_n(&pairs[i].rounds,
						 __ATOMIC_RELAXED);
		if (moves != last) {
			last = moves;
			since = now();
			continue;
		}
		if (now() - since < 10000000000LL * t_time_scale())
			continue;
		for (i = 0; i < PAIRS; i++)
			t_log("pair %d: word %u, %ld moves, last wakes %u/%u, sides %c(%d) %c(%d)",
			      i, __atomic_load_n(pairs[i].word,
						 __ATOMIC_RELAXED),
			      pairs[i].rounds, pairs[i].woke_val[0],
			      pairs[i].woke_val[1], sides[i][0].where,
			      sides[i][0].last, sides[i][1].where,
			      sides[i][1].last);
		t_fail("no move for 10 s, %d of %d sides done",
		       sides_done, 2 * PAIRS);
	}
}

int main(void)
{
	static uint32_t words[PAIRS * 1024] __attribute__((aligned(4096)));
	const char *env = getenv("ALTFUTEX_SB_SECONDS");
	pthread_t th[PAIRS][2];
	long rounds = 0, fast = 0, lost = 0;
	int secs = env ? atoi(env) : 4, i, k;
	uint32_t dummy = 0;

	t_init("count_sb", 120);
	if (altfutex_open() < 0)
		t_skip("no /dev/altfutex");
	if (secs < 1 || secs > 600)
		secs = 4;
	/*
	 * Pairs 0 and 1: one word each, slots of their own.  Pairs 2 and 3:
	 * words in different pages that altfutex_count_slot() puts in one
	 * slot.
	 */
	pairs[0].word = &words[0];
	pairs[1].word = &words[1];
	pairs[2].word = &words[2 * 1024 + 8];
	for (i = 3 * 1024; i < 4 * 1024; i++)
		if (altfutex_count_slot((uintptr_t)&words[i]) ==
		    altfutex_count_slot((uintptr_t)pairs[2].word))
			pairs[3].word = &words[i];
	CHECK(pairs[3].word, "no word shares pair 2's slot");
	CHECK(altfutex_count_slot((uintptr_t)pairs[0].word) !=
	      altfutex_count_slot((uintptr_t)pairs[1].word),
	      "pairs 0 and 1 share a slot");

	/* map the count page now, as a first private wake does */
	CHECK_RET(altfutex_wake(&dummy, 1, ALTFUTEX_PRIVATE), 0);
	stop_at = now() + secs * 1000000000LL;
	for (i = 0; i < PAIRS; i++)
		for (k = 0; k < 2; k++) {
			sides[i][k] = (struct side){ &pairs[i], k, 'r', 0 };
			if (pthread_create(&th[i][k], NULL, play, &sides[i][k]))
				t_fail("pthread_create");
		}
	watch();
	for (i = 0; i < PAIRS; i++)
		for (k = 0; k < 2; k++)
			pthread_join(th[i][k], NULL);
	for (i = 0; i < PAIRS; i++) {
		t_log("pair %d (%s slot): %ld moves, %ld wakes returned 0%s",
		      i, i < 2 ? "own" : "shared", pairs[i].rounds,
		      pairs[i].fast_zero, pairs[i].lost ? ", LOST WAKE" : "");
		rounds += pairs[i].rounds;
		fast += pairs[i].fast_zero;
		lost += pairs[i].lost;
	}
	CHECK(!lost, "%ld lost wake(s)", lost);
	CHECK(rounds >= PAIRS * 10, "only %ld moves in %d s", rounds, secs);
	t_log("ok: %ld moves in %d s, %ld wakes found nobody, no lost wake",
	      rounds, secs, fast);
	t_log("PASS");
	return T_PASS;
}
