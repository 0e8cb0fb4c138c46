// SPDX-License-Identifier: GPL-2.0
/*
 * Requeue: wake some waiters of one futex and move others, in order, to
 * the tail of another futex's queue.
 *
 * The moved waiters are first gathered on a private list and only then
 * appended to the target queue, so a requeue onto the same key (or onto a
 * key in the same bucket) never meets the waiters it has just moved: this
 * is the endless loop the 2003 thread found when key1 == key2, and it also
 * keeps FIFO order, moved waiters landing after everybody already queued.
 *
 * The lost-wakeup argument of wait.c holds as for a wake: the requeuer
 * takes the bucket locks (K2) after the caller's store (K1) and looks for
 * waiters only under them; CMP_REQUEUE reads the word under them too.
 *
 * Locks: both buckets, the one at the lower address first, so concurrent
 * A->B and B->A requeues cannot deadlock (af_double_lock(), altfutex.h).
 * A waiter's bucket pointer and key change only while both locks are
 * held, which is what af_lock_waiter() relies on to follow a waiter that
 * moves.  A requeue moves waiters whatever their bitsets, and they keep
 * them; the words of a vector that a wake has taken stay where they are.
 */
#include <linux/file.h>
#include <linux/lockdep.h>
#include <linux/uaccess.h>

#include "altfutex.h"
#include "trace.h"

/*
 * Read *@uaddr while holding bucket locks: page faults are disabled, so a
 * page that is not present makes this fail with -EFAULT instead of
 * sleeping; the caller then faults it in unlocked and retries.
 */
static int af_get_value_locked(u32 *val, u32 __user *uaddr)
{
	int ret;

	pagefault_disable();
	ret = get_user(*val, uaddr);
	pagefault_enable();
	return ret;
}

/*
 * The part of af_requeue() that works on the keys, once they are formed;
 * the KUnit suites call it on keys of their own, with no @cmpval.
 * Without KUnit it is static, called once, and inlined into af_requeue().
 * @uaddr1 is read only for @cmpval.
 */
VISIBLE_IF_KUNIT int af_requeue_keys(const struct af_key *key1,
				     const struct af_key *key2,
				     u32 __user *uaddr1, int nr_wake,
				     int nr_requeue, const u32 *cmpval)
{
	struct af_bucket *b1, *b2;
	struct af_waiter *w, *tmp;
	struct af_wake_list wl;
	int woken = 0, moved = 0, refs1 = 0;
	LIST_HEAD(moving);
	const struct af_key *any;
	bool same_key, shared;
	u32 uval;
	int ret;

	same_key = af_key_match(key1, key2);
	/* a shared one if either is: af_shared_enter() then holds the table */
	any = key1->type == AF_KEY_SHARED ? key1 : key2;
	af_wake_list_init(&wl);

retry:
	/* no resize of the shared table while we hold its buckets (hash.c) */
	shared = af_shared_enter(any);
	b1 = af_hash_bucket(key1);
	b2 = af_hash_bucket(key2);
	af_double_lock(b1, b2);		/* (K2) of wait.c, for both keys */
	if (cmpval) {
		ret = af_get_value_locked(&uval, uaddr1);
		if (ret) {
			/* fault it in holding nothing: it may take long */
			af_double_unlock(b1, b2);
			af_shared_exit(shared);
			ret = get_user(uval, uaddr1);
			if (ret)
				return ret;
			goto retry;
		}
		if (uval != *cmpval) {
			ret = -EAGAIN;
			goto out_unlock;
		}
	}

	list_for_each_entry_safe(w, tmp, &b1->queue, node) {
		/* whatever its bitset: a requeue moves a waiter, mask and all */
		if (!af_key_match(&w->key, key1))
			continue;
		if (woken < nr_wake) {
			if (af_claim(w, &wl))
				woken++;
			continue;
		}
		/* a word of a vector already taken: left for its thread */
		if (af_vec_dead(w))
			continue;
		if (moved == nr_requeue)
			break;
		list_move_tail(&w->node, &moving);
		moved++;
	}
	/*
	 * Retarget the moved waiters.  What each held on key1 is dropped: a
	 * shared key's file now (each waiter may hold its own open file of
	 * the inode; fput() only queues the release, so it may run under a
	 * spinlock), a private key's mm, the same for all, below.
	 */
	list_for_each_entry(w, &moving, node) {
		if (!same_key) {
			if (af_waiter_holds_ref(w, key2))
				af_key_get(key2);
			if (af_waiter_holds_ref(w, key1)) {
				if (key1->type == AF_KEY_SHARED)
					fput(w->key.file);
				else
					refs1++;
			}
			w->key = *key2;
		}
		WRITE_ONCE(w->bucket, b2);
	}
	list_splice_tail(&moving, &b2->queue);
	/* add before subtracting: see "The lost-wakeup argument" in wait.c */
	if (b1 != b2 && moved) {
		atomic_add(moved, &b2->waiters);
		atomic_sub(moved, &b1->waiters);
	}
	/* the same for the waiter-count pages ("The waiter-count page") */
	if (!same_key && moved) {
		af_count_add(key2, moved);
		smp_mb__after_atomic();		/* the add before the subtract */
		af_count_add(key1, -moved);
	}
	ret = woken + moved;

out_unlock:
	af_double_unlock(b1, b2);	/* (K3) */
	af_shared_exit(shared);
	af_wake_list_run(&wl);
	/* Never the last references: the caller runs in key1's mm. */
	while (refs1--)
		af_key_put(key1);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(af_requeue_keys);

/**
 * af_requeue() - wake and requeue waiters of the futex at @uaddr1
 * @c: the device file the call came through
 * @uaddr1: the futex whose waiters are woken or moved
 * @uaddr2: the futex they are moved to
 * @flags: ALTFUTEX_PRIVATE or 0, for both addresses
 * @nr_wake: wake up to this many of @uaddr1's waiters, oldest first
 * @nr_requeue: then move up to this many more, oldest first, to @uaddr2
 * @cmpval: if not NULL, first check that *@uaddr1 == *@cmpval, atomically
 *	    with respect to wakes and requeues of @uaddr1
 *
 * Both keys get their tables: a private one is the caller's, made here
 * if the caller never waited (moved waiters need somewhere to go).
 *
 * Return: the number woken plus the number moved, -EAGAIN on a value
 * mismatch, -EFAULT, or -ENOMEM (no room for the caller's private table).
 */
int af_requeue(struct af_client *c, u32 __user *uaddr1, u32 __user *uaddr2,
	       unsigned int flags, int nr_wake, int nr_requeue,
	       const u32 *cmpval)
{
	struct af_key key1, key2;
	int ret;

	ret = af_key_lookup2(c, uaddr1, uaddr2, flags, &key1, &key2);
	if (!ret) {
		ret = af_requeue_keys(&key1, &key2, uaddr1, nr_wake,
				      nr_requeue, cmpval);
		af_key_drop(&key2);
		af_key_drop(&key1);
	}
	trace_altfutex_requeue(uaddr1, uaddr2, flags, nr_wake, nr_requeue,
			       cmpval, cmpval ? *cmpval : 0, ret);
	return ret;
}
