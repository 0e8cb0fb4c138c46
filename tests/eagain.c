// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * eagain: a wait whose value does not match returns -EAGAIN at once, with
 * and without ALTFUTEX_PRIVATE, with no timeout, a relative timeout and
 * absolute timeouts on either clock, on private and on shared memory; it
 * does not stay queued (a later wake finds nobody).
 */
#include "helpers.h"

/* "at once": far below any timeout given, generous for an emulated VM */
#define QUICK_MS 2000

/* A mismatching wait with each kind of timeout: -EAGAIN. */
static void expect4(uint32_t *word, uint32_t val, unsigned int fl,
		    const struct timespec *rel, const struct timespec *absm,
		    const struct timespec *absr)
{
	unsigned int abs = fl | ALTFUTEX_ABSTIME;

	CHECK_RET(altfutex_wait(word, val, NULL, fl), -EAGAIN);
	CHECK_RET(altfutex_wait(word, val, rel, fl), -EAGAIN);
	CHECK_RET(altfutex_wait(word, val, absm, abs), -EAGAIN);
	CHECK_RET(altfutex_wait(word, val, absr,
				abs | ALTFUTEX_CLOCK_REALTIME), -EAGAIN);
}

static void check_eagain(uint32_t *word, const char *mem)
{
	static const unsigned int fl[] = {
		0, ALTFUTEX_PRIVATE,
	};
	static const uint32_t vals[] = { 0, 1, 0xffffffffu, 0x80000000u };
	struct timespec rel = t_ts_ms(60000), absm, absr;
	int64_t t0, dt;
	unsigned int i, j, f;

	absm = t_ts_ns(t_now_ns(CLOCK_MONOTONIC) + 60 * NSEC_PER_SEC);
	absr = t_ts_ns(t_now_ns(CLOCK_REALTIME) + 60 * NSEC_PER_SEC);

	for (i = 0; i < ARRAY_SIZE(vals); i++) {
		*word = vals[i];
		for (f = 0; f < ARRAY_SIZE(fl); f++) {
			for (j = 0; j < ARRAY_SIZE(vals); j++) {
				if (j == i)
					continue;
				t0 = t_now_ns(CLOCK_MONOTONIC);
				expect4(word, vals[j], fl[f], &rel, &absm,
					&absr);
				dt = t_now_ns(CLOCK_MONOTONIC) - t0;
				CHECK(dt < QUICK_MS * NSEC_PER_MSEC,
				      "4 mismatching waits took %lld ms",
				      (long long)(dt / NSEC_PER_MSEC));
			}
			CHECK_RET(altfutex_wake(word, INT_MAX, fl[f]), 0);
		}
	}
	t_log("ok: %s: *uaddr != val: -EAGAIN at once, any timeout kind or flag; none queued",
	      mem);

	/* a value that differs only in its top or bottom bit */
	*word = 0x12345678;
	CHECK_RET(altfutex_wait(word, 0x12345679, &rel, 0), -EAGAIN);
	CHECK_RET(altfutex_wait(word, 0x92345678, &rel, 0), -EAGAIN);
	/* the matching value does sleep: check with a short timeout */
	rel = t_ts_ms(10);
	CHECK_RET(altfutex_wait(word, 0x12345678, &rel, 0), -ETIMEDOUT);
	t_log("ok: %s: all 32 bits compared; the matching value sleeps", mem);
}

int main(void)
{
	uint32_t *shared, *priv;
	static uint32_t bss_word;
	uint32_t stack_word;

	t_init("eagain", 60);

	priv = t_map(1, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	shared = t_map(1, PROT_READ | PROT_WRITE, MAP_SHARED);
	check_eagain(&bss_word, "bss");
	check_eagain(&stack_word, "stack");
	check_eagain(priv + 17, "private anonymous");
	check_eagain(shared + 17, "shared anonymous");

	/* a waiter that got -EAGAIN must not be found by a wake */
	stack_word = 5;
	CHECK_RET(altfutex_wait(&stack_word, 4, NULL, 0), -EAGAIN);
	CHECK_RET(altfutex_wake(&stack_word, 1, 0), 0);
	t_log("PASS");
	return T_PASS;
}
