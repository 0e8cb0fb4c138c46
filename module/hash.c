// SPDX-License-Identifier: GPL-2.0
/*
 * The hash table: a power-of-two array of buckets, each with its own lock
 * and FIFO queue.  Keys are hashed with SipHash under a random key chosen
 * at load time, so that nobody can aim a flood of futexes at one bucket.
 */
#include <linux/cache.h>
#include <linux/cpumask.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/random.h>
#include <linux/siphash.h>
#include <linux/slab.h>

#include "altfutex.h"

/* The largest table hash_size may ask for: 2^20 buckets, 64 MiB. */
#define AF_HASH_MAX	BIT(20)

struct af_bucket *af_buckets __read_mostly;
struct af_hash_layout af_hash __read_mostly;

/**
 * af_hash_init() - allocate the table
 * @size: number of buckets, a power of two; 0 picks 256 per possible CPU
 *
 * Return: 0, -EINVAL for a bad @size, or -ENOMEM.
 */
int af_hash_init(unsigned int size)
{
	unsigned int i;

	if (!size)
		size = roundup_pow_of_two(256 * num_possible_cpus());
	if (!is_power_of_2(size) || size > AF_HASH_MAX)
		return -EINVAL;

	af_buckets = kvcalloc(size, sizeof(*af_buckets), GFP_KERNEL);
	if (!af_buckets)
		return -ENOMEM;
	for (i = 0; i < size; i++) {
		atomic_set(&af_buckets[i].waiters, 0);
		spin_lock_init(&af_buckets[i].lock);
		INIT_LIST_HEAD(&af_buckets[i].queue);
	}
	af_hash.mask = size - 1;
	get_random_bytes(&af_hash.key, sizeof(af_hash.key));
	return 0;
}

void af_hash_exit(void)
{
	unsigned int i;

	for (i = 0; i <= af_hash.mask; i++)
		WARN_ON_ONCE(!list_empty(&af_buckets[i].queue) ||
			     atomic_read(&af_buckets[i].waiters));
	kvfree(af_buckets);
	af_buckets = NULL;
}

unsigned int af_hash_size(void)
{
	return af_hash.mask + 1;
}

#if IS_BUILTIN(CONFIG_KUNIT)
/*
 * For the KUnit suites: is there a table?  Not yet when a kernel runs a
 * module's suites before its init function, as 6.1 does (at
 * MODULE_STATE_COMING); the queue suite then sets up a table of its own.
 */
bool af_hash_ready(void)
{
	return af_buckets;
}
#endif
