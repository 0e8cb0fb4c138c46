/* SPDX-License-Identifier: GPL-2.0 */
/* The native peers of the waiter-count page (bench/peer.c). */
#ifndef ALTFUTEX_BENCH_PEER_H
#define ALTFUTEX_BENCH_PEER_H

#include <stdint.h>

int peer_wait(uint32_t *w, uint32_t val);
int peer_wake(uint32_t *w, int nr);
int peer_requeue(uint32_t *w1, uint32_t *w2, int nr_wake, int nr_requeue);
int peer_wake_min(uint32_t *w, int nr);
int peer_requeue_min(uint32_t *w1, uint32_t *w2, int nr_wake,
		     int nr_requeue);

#endif
