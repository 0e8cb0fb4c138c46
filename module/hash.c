// SPDX-License-Identifier: GPL-2.0
/*
 * The hash tables: power-of-two arrays of buckets, each with its own lock
 * and FIFO queue.  Keys are hashed with SipHash under a random key chosen
 * at load time, so that nobody can aim a flood of futexes at one bucket.
 *
 * A random key is not enough against a flood, though: an unprivileged
 * process can simply queue so many waiters (fd waiters cost it one file
 * descriptor each) that every bucket holds a long chain, and then every
 * other process's wakes and waits scan it.  So:
 *
 *  - Private keys of each process live in a table of that process's own
 *    (struct af_ptable, one per mm), as Linux 6.16 does for futex(2): no
 *    process shares a bucket with another's private futexes, whatever
 *    either queues.  A table is created by the process's first wait (a
 *    wake that finds none has nobody to wake: see "No table" in wait.c),
 *    found through the device file's cache (struct af_client) or a global
 *    rhashtable keyed by the mm, and kept while the process lives and
 *    while any waiter still holds a reference on it (an fd waiter, or a
 *    thread that a requeue moved onto this process's private key); then
 *    it is reaped (af_ptable_reap()).
 *
 *  - Shared keys live in one table for the system, which grows with its
 *    load: a wait that finds its bucket's chain long asks a worker to
 *    count the waiters, and past AF_LOAD_MAX waiters a bucket the worker
 *    rehashes everything into a table of at least one bucket per waiter
 *    (af_hash_grow()), at most AF_HASH_MAX buckets.  Operations on shared keys hold the read side
 *    of af_resize_sem (a per-CPU rwsem: no shared cache line) from the
 *    moment they pick a bucket until they drop its lock; the worker takes
 *    the write side, so it moves waiters while nobody looks, and the
 *    ordering argument of wait.c holds across a resize (see there).
 *
 * hash_size= fixes the size of the shared table and of every private one
 * (make check's hash_size=1 puts every key of a table in one bucket) and
 * turns growth off.
 */
#include <linux/cache.h>
#include <linux/cpumask.h>
#include <linux/jiffies.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/percpu-rwsem.h>
#include <linux/random.h>
#include <linux/rhashtable.h>
#include <linux/sched/mm.h>
#include <linux/siphash.h>
#include <linux/slab.h>
#include <linux/workqueue.h>

#include "altfutex.h"

/* The largest table hash_size may ask for, or growth make: 2^20 buckets. */
#define AF_HASH_MAX	BIT(20)
/* A private table's default size is at most this. */
#define AF_PTABLE_MAX	1024U
/* A chain this long makes a wait ask for a look at the shared load... */
#define AF_CHAIN_LONG	8
/* ...at most this often... */
#define AF_GROW_PERIOD	(HZ / 10)
/* ...and the table grows once it holds more than this many a bucket. */
#define AF_LOAD_MAX	2
/* Dead processes' tables are reaped at least this often. */
#define AF_REAP_PERIOD	(10 * HZ)

struct af_bucket *af_buckets __read_mostly;
EXPORT_SYMBOL_IF_KUNIT(af_buckets);
struct af_hash_layout af_hash __read_mostly;
EXPORT_SYMBOL_IF_KUNIT(af_hash);
DEFINE_PERCPU_RWSEM(af_resize_sem);

static bool af_hash_fixed __read_mostly;	/* hash_size= was given */
static unsigned int af_ptable_size __read_mostly;
static unsigned long af_grow_next;		/* jiffies */
static void af_hash_grow(struct work_struct *work);
static DECLARE_WORK(af_grow_work, af_hash_grow);

static void af_buckets_init(struct af_bucket *b, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		atomic_set(&b[i].waiters, 0);
		spin_lock_init(&b[i].lock);
		INIT_LIST_HEAD(&b[i].queue);
	}
}

/* ---- the shared table ------------------------------------------------------ */

/*
 * A shared-key wait found @b's chain long: have the worker count the load
 * soon, unless it did lately or the table may not grow.
 */
void af_hash_check_load(struct af_bucket *b)
{
	unsigned long next = READ_ONCE(af_grow_next);

	if (atomic_read(&b->waiters) <= AF_CHAIN_LONG || af_hash_fixed ||
	    af_hash.mask + 1 >= AF_HASH_MAX || time_before(jiffies, next))
		return;
	if (cmpxchg(&af_grow_next, next, jiffies + AF_GROW_PERIOD) == next)
		queue_work(system_unbound_wq, &af_grow_work);
}

/*
 * Count the shared table's waiters and, if there are more than
 * AF_LOAD_MAX a bucket, move them all into a table of at least one bucket
 * per waiter.  Only this work item changes the table (a work item never runs
 * twice at once), so it may read it without the rwsem to count.  With the
 * write side held, nobody is between picking a bucket and unlocking it,
 * so every waiter that is counted is queued: the new counts are exactly
 * the moved waiters, and the chains keep their order, which is each key's
 * FIFO order (all waiters of a key are in one old bucket and go to one new
 * bucket).
 */
static void af_hash_grow(struct work_struct *work)
{
	unsigned int i, size, old_size = af_hash.mask + 1;
	struct af_bucket *old = af_buckets, *new, *b;
	struct af_waiter *w, *tmp;
	unsigned long total = 0;

	for (i = 0; i < old_size; i++)
		total += atomic_read(&old[i].waiters);
	if (total <= AF_LOAD_MAX * old_size)
		return;
	size = min_t(unsigned long, AF_HASH_MAX, roundup_pow_of_two(total));

	new = kvcalloc(size, sizeof(*new), GFP_KERNEL);
	if (!new)
		return;
	af_buckets_init(new, size);

	percpu_down_write(&af_resize_sem);
	for (i = 0; i < old_size; i++) {
		list_for_each_entry_safe(w, tmp, &old[i].queue, node) {
			b = &new[af_hash_of(&w->key) & (size - 1)];
			list_move_tail(&w->node, &b->queue);
			atomic_inc(&b->waiters);
			WRITE_ONCE(w->bucket, b);
		}
	}
	WRITE_ONCE(af_buckets, new);
	WRITE_ONCE(af_hash.mask, size - 1);
	percpu_up_write(&af_resize_sem);

	pr_debug("altfutex: %lu shared waiters: %u -> %u buckets\n", total,
		 old_size, size);
	kvfree(old);
}

unsigned int af_hash_size(void)
{
	return af_hash.mask + 1;
}

/* ---- private tables --------------------------------------------------------- */

static struct rhashtable af_ptables;
static const struct rhashtable_params af_ptable_params = {
	.key_len = sizeof(struct mm_struct *),
	.key_offset = offsetof(struct af_ptable, mm),
	.head_offset = offsetof(struct af_ptable, node),
	.automatic_shrinking = true,
};

static void af_ptable_reap_all(struct work_struct *work);
static DECLARE_DELAYED_WORK(af_reap_work, af_ptable_reap_all);

/**
 * af_ptable_alloc() - a private table of @size buckets, of no process yet
 * @size: a power of two
 *
 * Charged to the caller's memory cgroup.  Its one reference is the
 * caller's; af_ptable_create() makes it the process's (AF_PT_LIVE).
 *
 * Return: the table, or NULL.
 */
struct af_ptable *af_ptable_alloc(unsigned int size)
{
	struct af_ptable *pt;

	pt = kvzalloc(struct_size(pt, buckets, size), GFP_KERNEL_ACCOUNT);
	if (!pt)
		return NULL;
	refcount_set(&pt->ref, 1);
	pt->mask = size - 1;
	af_buckets_init(pt->buckets, size);
	return pt;
}
EXPORT_SYMBOL_IF_KUNIT(af_ptable_alloc);

/* The table of @mm, if it has one.  @mm must be alive (a user of it). */
struct af_ptable *af_ptable_lookup(struct mm_struct *mm)
{
	return rhashtable_lookup_fast(&af_ptables, &mm, af_ptable_params);
}

/*
 * Make @mm's table, or find the one a racing thread of it made.  It holds
 * @mm's struct (mmgrab(), not the address space), so that no other mm can
 * take its address, hence its key, while it lives.
 */
static struct af_ptable *af_ptable_create(struct mm_struct *mm)
{
	struct af_ptable *pt, *old;

	pt = af_ptable_alloc(af_ptable_size);
	if (!pt)
		return NULL;
	if (af_counts_alloc(pt)) {
		kvfree(pt);
		return NULL;
	}
	pt->mm = mm;
	set_bit(AF_PT_LIVE, &pt->flags);
	mmgrab(mm);
	old = rhashtable_lookup_get_insert_fast(&af_ptables, &pt->node,
						af_ptable_params);
	if (old) {
		mmdrop(mm);
		af_counts_free(pt);
		kvfree(pt);
		return IS_ERR(old) ? NULL : old;
	}
	if (!delayed_work_pending(&af_reap_work))
		queue_delayed_work(system_unbound_wq, &af_reap_work,
				   AF_REAP_PERIOD);
	return pt;
}

/* Drop a reference on @pt; the last one frees it (no waiter is left). */
void af_ptable_put(struct af_ptable *pt)
{
	unsigned int i;

	if (!refcount_dec_and_test(&pt->ref))
		return;
	for (i = 0; i <= pt->mask; i++)
		WARN_ON_ONCE(!list_empty(&pt->buckets[i].queue));
	rhashtable_remove_fast(&af_ptables, &pt->node, af_ptable_params);
	mmdrop(pt->mm);
	af_counts_free(pt);
	/* a lookup of another mm may still walk past it */
	kvfree_rcu(pt, rcu);
}

/*
 * Drop the reference @pt's process holds, once the process is gone: then
 * no thread runs in its mm (mm_users is 0 and stays 0), so no new private
 * key of it can be formed, and only waiters that hold references (fds,
 * threads of other processes requeued here) can still use the table.
 */
static bool af_ptable_dead(struct af_ptable *pt)
{
	return !atomic_read(&pt->mm->mm_users) &&
	       test_and_clear_bit(AF_PT_LIVE, &pt->flags);
}

void af_ptable_reap(struct af_ptable *pt)
{
	if (af_ptable_dead(pt))
		af_ptable_put(pt);
}

/*
 * Reap the tables of every process that has exited, every AF_REAP_PERIOD
 * while there are tables: a process usually has its table reaped when it
 * closes /dev/altfutex at exit (af_client_release()), but a child that
 * used its parent's descriptor, or a process that closed it before it
 * exited, leaves its table to this.
 */
static void af_ptable_reap_all(struct work_struct *work)
{
	struct af_ptable *pt, *dead = NULL;
	struct rhashtable_iter iter;

	rhashtable_walk_enter(&af_ptables, &iter);
	rhashtable_walk_start(&iter);
	while ((pt = rhashtable_walk_next(&iter))) {
		if (IS_ERR(pt))
			continue;		/* -EAGAIN: a resize; go on */
		if (af_ptable_dead(pt)) {
			pt->reap_next = dead;	/* put outside the walk */
			dead = pt;
		}
	}
	rhashtable_walk_stop(&iter);
	rhashtable_walk_exit(&iter);
	while (dead) {
		pt = dead;
		dead = pt->reap_next;
		af_ptable_put(pt);
	}
	if (atomic_read(&af_ptables.nelems))
		queue_delayed_work(system_unbound_wq, &af_reap_work,
				   AF_REAP_PERIOD);
}

/* ---- a device file's cache ---------------------------------------------------- */

/**
 * af_client_table() - the private table of the calling process
 * @c: the device file it calls through, or NULL (a restarted wait)
 * @create: make it if there is none
 *
 * The file caches the table of the first process that needs one through
 * it; another process sharing the file (a child after fork()) finds its
 * own in the rhashtable.
 *
 * Return: the table; NULL if there is none (!@create) or no memory.
 */
struct af_ptable *af_client_table(struct af_client *c, bool create)
{
	struct mm_struct *mm = current->mm;
	struct af_ptable *pt = c ? READ_ONCE(c->pt) : NULL;

	if (likely(pt && pt->mm == mm))
		return pt;
	pt = af_ptable_lookup(mm);
	if (!pt && create)
		pt = af_ptable_create(mm);
	if (pt && c && !READ_ONCE(c->pt)) {
		refcount_inc(&pt->ref);
		if (cmpxchg(&c->pt, NULL, pt))
			refcount_dec(&pt->ref);	/* never the last: LIVE */
	}
	return pt;
}

/* The device file is closed: drop its cache, reap a dead process's table. */
void af_client_release(struct af_client *c)
{
	struct af_ptable *pt = c->pt;

	if (!pt)
		return;
	af_ptable_reap(pt);
	af_ptable_put(pt);
}

/* ---- a census, for the statistics (stats.c) ------------------------------------ */

/* Count @b's queue, under its lock, into @cs. */
static void af_census_bucket(struct af_bucket *b, struct af_census *cs)
{
	struct af_waiter *w;
	unsigned long n = 0;

	spin_lock(&b->lock);
	list_for_each_entry(w, &b->queue, node) {
		n++;
		if (w->mm)
			cs->threads++;
		else
			cs->fds++;		/* an fd has no thread, no mm */
	}
	spin_unlock(&b->lock);
	cs->longest = max(cs->longest, n);
}

/**
 * af_hash_census() - count the queued waiters of every table
 * @cs: filled in
 *
 * Each bucket is counted under its own lock, one at a time, so the
 * totals are exact only when nothing waits or wakes meanwhile; a table
 * that the rhashtable moves during the walk may be counted twice.  It
 * costs the operations nothing but the time a bucket lock is held, and
 * sleeps between tables (and every few shared buckets).
 */
void af_hash_census(struct af_census *cs)
{
	struct rhashtable_iter iter;
	struct af_ptable *pt;
	unsigned int i;

	memset(cs, 0, sizeof(*cs));
	/* the shared table stays in place under the read side */
	percpu_down_read(&af_resize_sem);
	cs->shared_buckets = af_hash.mask + 1;
	for (i = 0; i <= af_hash.mask; i++) {
		af_census_bucket(&af_buckets[i], cs);
		if (i % 256 == 255)
			cond_resched();
	}
	percpu_up_read(&af_resize_sem);

	/* a table found here is freed only after an RCU grace period */
	rhashtable_walk_enter(&af_ptables, &iter);
	rhashtable_walk_start(&iter);
	while ((pt = rhashtable_walk_next(&iter))) {
		if (IS_ERR(pt))
			continue;		/* -EAGAIN: a resize; go on */
		cs->tables++;
		for (i = 0; i <= pt->mask; i++)
			af_census_bucket(&pt->buckets[i], cs);
		rhashtable_walk_stop(&iter);
		cond_resched();
		rhashtable_walk_start(&iter);
	}
	rhashtable_walk_stop(&iter);
	rhashtable_walk_exit(&iter);
}

/* ---- set-up ------------------------------------------------------------------------ */

/* A private table's default size: 16 buckets per CPU, up to a bound. */
unsigned int af_ptable_default_size(void)
{
	return min(AF_PTABLE_MAX, roundup_pow_of_two(16 * num_possible_cpus()));
}
EXPORT_SYMBOL_IF_KUNIT(af_ptable_default_size);

/**
 * af_hash_init() - allocate the shared table, set up the private ones
 * @size: number of buckets of every table, a power of two; 0 picks the
 *	  defaults (the shared table 256 buckets per possible CPU, growing;
 *	  a private one 16 per CPU, up to AF_PTABLE_MAX)
 *
 * Return: 0, -EINVAL for a bad @size, or -ENOMEM.
 */
int af_hash_init(unsigned int size)
{
	unsigned int shared = size;
	int ret;

	if (size && (!is_power_of_2(size) || size > AF_HASH_MAX))
		return -EINVAL;
	af_hash_fixed = size;
	if (!size) {
		shared = roundup_pow_of_two(256 * num_possible_cpus());
		size = af_ptable_default_size();
	}
	af_ptable_size = size;

	af_buckets = kvcalloc(shared, sizeof(*af_buckets), GFP_KERNEL);
	if (!af_buckets)
		return -ENOMEM;
	af_buckets_init(af_buckets, shared);
	af_hash.mask = shared - 1;
	get_random_bytes(&af_hash.key, sizeof(af_hash.key));
	af_grow_next = jiffies;

	ret = rhashtable_init(&af_ptables, &af_ptable_params);
	if (ret) {
		kvfree(af_buckets);
		af_buckets = NULL;
	}
	return ret;
}

/* At unload nobody holds a table but its process: free them all. */
static void af_ptable_free(void *ptr, void *arg)
{
	struct af_ptable *pt = ptr;

	WARN_ON_ONCE(refcount_read(&pt->ref) != 1);
	mmdrop(pt->mm);
	af_counts_free(pt);
	kvfree(pt);
}

void af_hash_exit(void)
{
	unsigned int i;

	cancel_work_sync(&af_grow_work);
	cancel_delayed_work_sync(&af_reap_work);
	rhashtable_free_and_destroy(&af_ptables, af_ptable_free, NULL);
	for (i = 0; i <= af_hash.mask; i++)
		WARN_ON_ONCE(!list_empty(&af_buckets[i].queue) ||
			     atomic_read(&af_buckets[i].waiters));
	kvfree(af_buckets);
	af_buckets = NULL;
}
