// SPDX-License-Identifier: GPL-2.0
/*
 * The native peers of altfutex's waiter-count page, for bench/bench.c: a
 * user-space waiter count of the kind libc++ keeps for std::atomic::wait,
 * in a shared library of its own as libc++'s __cxx_atomic_notify_one is
 * in libc++.so, so that the bench calls it as it calls libaltfutex:
 * through the PLT.  A waiter adds, fences, waits, subtracts (peer_wait);
 * a waker fences, loads the count, and makes the system call only if it
 * is not zero.  Two tables:
 *
 *  - libc++'s shape (peer_wake, peer_requeue): 256 entries of a cache
 *    line each, indexed by the pointer's std::hash, which in libc++ is
 *    the CityHash mix of its eight bytes (written here from its
 *    description: two multiply-xorshift rounds and a multiply);
 *  - the least a count can cost (peer_wake_min, peer_requeue_min): 256
 *    plain counters indexed by (a >> 2 ^ a >> 12), the index altfutex
 *    itself uses.
 */
#include <errno.h>
#include <linux/futex.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "peer.h"

#define PEER_SLOTS 256

/* libc++'s table: one cache line per entry */
static struct {
	uint32_t count;
} __attribute__((aligned(64))) peer_table[PEER_SLOTS];

static uint32_t peer_min[PEER_SLOTS];

/* The CityHash mix of the 8 bytes of a pointer (its 16-byte-input form). */
static uint64_t peer_hash(uintptr_t p)
{
	const uint64_t mul = 0x9ddfea08eb382d69ULL;
	uint64_t u = 8 + ((uint64_t)(uint32_t)p << 3);
	uint64_t v = (uint64_t)p >> 32;
	uint64_t a = (u ^ v) * mul, b;

	a ^= a >> 47;
	b = (v ^ a) * mul;
	b ^= b >> 47;
	return b * mul;
}

static uint32_t *peer_slot(const uint32_t *w)
{
	return &peer_table[peer_hash((uintptr_t)w) & (PEER_SLOTS - 1)].count;
}

static uint32_t *peer_slot_min(const uint32_t *w)
{
	uintptr_t a = (uintptr_t)w;

	return &peer_min[((a >> 2) ^ (a >> 12)) & (PEER_SLOTS - 1)];
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

int peer_wake_min(uint32_t *w, int nr)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!__atomic_load_n(peer_slot_min(w), __ATOMIC_RELAXED))
		return 0;
	return peer_futex(w, FUTEX_WAKE_PRIVATE, nr, 0, NULL);
}

int peer_requeue_min(uint32_t *w1, uint32_t *w2, int nr_wake,
		     int nr_requeue)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!__atomic_load_n(peer_slot_min(w1), __ATOMIC_RELAXED))
		return 0;
	return peer_futex(w1, FUTEX_REQUEUE_PRIVATE, nr_wake,
			  (uintptr_t)nr_requeue, w2);
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
