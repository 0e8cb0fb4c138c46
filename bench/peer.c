// SPDX-License-Identifier: GPL-2.0
/*
 * The native peer of altfutex's waiter-count page, for bench/bench.c: a
 * user-space waiter count of the kind libc++ keeps for std::atomic::wait
 * (its __libcpp_contention_table), in a shared library of its own as
 * libc++'s __cxx_atomic_notify_one is in libc++.so, so that the bench
 * calls it as it calls libaltfutex: through the PLT.  A table of 256
 * counters hashed by address; a waiter adds, fences, waits, subtracts
 * (peer_wait); a waker fences, loads the count, and makes the system call
 * only if it is not zero.
 */
#include <errno.h>
#include <linux/futex.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

#define PEER_SLOTS 256
static uint32_t peer_count[PEER_SLOTS];

static uint32_t *peer_slot(const uint32_t *w)
{
	uintptr_t a = (uintptr_t)w;

	return &peer_count[((a >> 2) ^ (a >> 12)) & (PEER_SLOTS - 1)];
}

static int peer_futex(uint32_t *w, int op, uint32_t val, uintptr_t val2,
		      uint32_t *w2)
{
	long r = syscall(SYS_futex, w, op, val, val2, w2, 0);

	return r < 0 ? -errno : (int)r;
}

int peer_wait(uint32_t *w, uint32_t val)
{
	uint32_t *c = peer_slot(w);
	int r;

	__atomic_add_fetch(c, 1, __ATOMIC_SEQ_CST);
	r = peer_futex(w, FUTEX_WAIT_PRIVATE, val, 0, NULL);
	__atomic_sub_fetch(c, 1, __ATOMIC_RELEASE);
	return r;
}

int peer_wake(uint32_t *w, int nr)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!__atomic_load_n(peer_slot(w), __ATOMIC_RELAXED))
		return 0;
	return peer_futex(w, FUTEX_WAKE_PRIVATE, nr, 0, NULL);
}

int peer_requeue(uint32_t *w1, uint32_t *w2, int nr_wake, int nr_requeue)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!__atomic_load_n(peer_slot(w1), __ATOMIC_RELAXED))
		return 0;
	return peer_futex(w1, FUTEX_REQUEUE_PRIVATE, nr_wake,
			  (uintptr_t)nr_requeue, w2);
}
