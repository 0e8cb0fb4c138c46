// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * wait_wake: the basic round trip.  A thread waits, another wakes: the wait
 * returns 0 and the wake 1.  A wake with nobody waiting returns 0.  A wake
 * with nr_wake 0 or negative wakes nobody and returns 0 (altfutex differs
 * from futex(2) here): the waiter stays asleep until a real wake.
 */
#include "helpers.h"

static uint32_t word;
static uint32_t other;

int main(void)
{
	static const int nonpos[] = { 0, -1, -2, INT_MIN };
	unsigned int flags;
	struct t_waiter w;
	int f, i;

	t_init("wait_wake", 60);

	for (f = 0; f < 2; f++) {
		flags = f ? ALTFUTEX_PRIVATE : 0;

		CHECK_RET(altfutex_wake(&word, 1, flags), 0);
		CHECK_RET(altfutex_wake(&word, INT_MAX, flags), 0);
		t_log("ok: flags %#x: wake with no waiter returns 0", flags);

		t_waiter_start(&w, &word, 0, flags, T_SAFETY_MS, "waiter");
		CHECK_RET(altfutex_wake(&word, 1, flags), 1);
		t_waiter_expect(&w, 0);
		CHECK_RET(altfutex_wake(&word, 1, flags), 0);
		t_log("ok: flags %#x: woken wait 0, wake 1, a second wake 0",
		      flags);

		t_waiter_start(&w, &word, 0, flags, T_SAFETY_MS, "waiter");
		for (i = 0; i < (int)(ARRAY_SIZE(nonpos)); i++)
			CHECK_RET(altfutex_wake(&word, nonpos[i], flags), 0);
		CHECK_RET(altfutex_wake(&other, 1, flags), 0);
		t_waiter_check_asleep(&w, 50);
		CHECK_RET(altfutex_wake(&word, 1, flags), 1);
		t_waiter_expect(&w, 0);
		t_log("ok: flags %#x: nr_wake 0, -1, -2, INT_MIN, other word: 0, waiter sleeps on",
		      flags);

		/* a wake asking for more than are queued */
		t_waiter_start(&w, &word, 0, flags, T_SAFETY_MS, "waiter");
		CHECK_RET(altfutex_wake(&word, 2, flags), 1);
		t_waiter_expect(&w, 0);
		t_log("ok: flags %#x: wake(2) with one waiter returns 1", flags);
	}

	/* the waiter sees the value written before the wake */
	word = 0;
	t_waiter_start(&w, &word, 0, 0, T_SAFETY_MS, "waiter");
	__atomic_store_n(&word, 1, __ATOMIC_SEQ_CST);
	CHECK_RET(altfutex_wake(&word, 1, 0), 1);
	t_waiter_expect(&w, 0);
	CHECK_RET(altfutex_wait(&word, 0, NULL, 0), -EAGAIN);
	t_log("ok: store + wake, then a new wait on the old value is -EAGAIN");

	t_log("PASS");
	return T_PASS;
}
