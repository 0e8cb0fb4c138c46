// SPDX-License-Identifier: GPL-2.0
/*
 * Waiting and waking.
 *
 * The lost-wakeup argument
 * ------------------------
 * Userspace uses a futex word like this:
 *
 *	waiter				waker
 *	------				-----
 *	v = *uaddr;			*uaddr = new;			(K1)
 *	altfutex_wait(uaddr, v):	altfutex_wake(uaddr):
 *	  waiters++		(W0)	  smp_mb()			(MK)
 *	  smp_mb()		(MW)	  if (!waiters) return 0	(K0)
 *	  lock(bucket)		(W1)	  lock(bucket)			(K2)
 *	  append to queue		  take waiters off the queue
 *	  unlock(bucket)	(W2)	  unlock(bucket)		(K3)
 *	  u = *uaddr;		(W3)
 *	  u == v ? sleep : -EAGAIN
 *
 * (waiters is the bucket's count of waiters queued or about to be; a
 * waiter decrements it, under the bucket lock, when it leaves the queue.)
 *
 * A wakeup is lost only if the waker misses the waiter *and* the waiter's
 * read W3 misses the waker's store K1.  The waker can miss it in two ways.
 *
 * 1. It reads waiters == 0 at K0 and returns without the lock.  Each side
 *    writes one location and then, after a full barrier, reads the
 *    location the other writes: the waiter writes waiters (W0) and reads
 *    *uaddr (W3, after MW); the waker writes *uaddr (K1) and reads waiters
 *    (K0, after MK).  With MW and MK both full barriers, the two reads
 *    cannot both miss the other side's write (the store-buffering
 *    pattern): if K0 does not see W0, then W3 sees K1 (or a later store)
 *    and the waiter returns -EAGAIN instead of sleeping.  The count can
 *    reach zero only when every waiter counted in it has left the queue,
 *    so a zero count never hides a waiter that has passed W0; and a waiter
 *    that has not reached W0 yet will read `new' at W3 for the same
 *    reason.  This is the kernel futex's scheme (its waiters count and
 *    smp_mb()).
 *
 * 2. It takes the lock (K2) and its scan does not find the waiter.  Both
 *    sides take the same bucket lock, so one critical section comes first:
 *
 *  - the waiter's: its unlock W2 is a RELEASE and the waker's lock K2 an
 *    ACQUIRE that follows it, so the waker's scan sees the waiter queued;
 *  - the waker's: K1 is program-ordered before the waker's unlock K3, a
 *    RELEASE; the waiter's lock W1 is an ACQUIRE that follows K3, and W3 is
 *    program-ordered after W1, so W3 reads `new' (or a later value).
 *
 * A requeue moves waiters between buckets with both locks held, adding
 * them to the target's count before taking them off the source's, so no
 * count ever drops to zero while a waiter it covered is still queued.  A
 * requeue takes the locks without looking at the counts, as the scan of
 * case 2.
 *
 * No table.  A private key's bucket is in its process's table (hash.c),
 * which the process's first wait creates, and publishes, before its W0,
 * and which stays while the process can run.  A wake that finds no table
 * returns 0 without a lock: it looks for the table after MK, so the table
 * plays the part of the count in case 1 (the waiter writes it before MW,
 * the waker reads it after MK), and a waker that misses it is one whose
 * K1 the waiter's W3 sees.
 *
 * Across a resize.  The shared table grows (hash.c) by moving every
 * queued waiter, with its count, to a new table under the write side of
 * af_resize_sem, while W0 to W2 and K0 to K3 of a shared key each run
 * under the read side: each runs wholly before or wholly after a resize.
 * A waiter's W0..W2 before it and a waker's K0..K3 after it meet in the
 * new bucket, which holds the moved waiter and its count: the waiter's
 * read-side release comes before the resize's write-side acquire, and
 * the resize's write-side release before the waker's read-side acquire.
 * A waker's K1..K3 before it and a waiter's W0..W3 after it are ordered
 * by the same chain the other way, so W3 sees K1.  The waiter's W3 and
 * its sleep need no read side: it holds no bucket then.
 *
 * The waiter-count page.  A process's waiters on private keys are also
 * counted in a page the process may map read-only (counts.c), one counter
 * per slot of words, so that its library can answer a WAKE, or a REQUEUE
 * without a value check, with ALTFUTEX_PRIVATE without the ioctl:
 *
 *	waiter (here)				waker (libaltfutex)
 *	count[slot]++		(W0u)		*uaddr = new;		(K1)
 *	waiters++		(W0)		full fence		(MKu)
 *	smp_mb()		(MW)		c = count[slot];	(K0u)
 *	...			(W1-W2)		c == 0 ? return 0 : ioctl
 *	u = *uaddr;		(W3)
 *
 * This is case 1 again, the page's counter in the part of the bucket's
 * count: the waiter writes the counter (W0u) and, after MW, reads *uaddr
 * (W3); the waker writes *uaddr (K1) and, after its full fence MKu, reads
 * the counter (K0u).  They cannot both miss the other's write, so a waker
 * that reads 0 is one whose K1 the waiter's W3 sees: the waiter returns
 * -EAGAIN.  MKu is the library's, not left to its caller: on x86 a load
 * may pass an earlier store to another location without it.  A counter
 * is lowered only once its waiter has left the queue (af_claim(),
 * af_dequeue(), under the bucket lock), so 0 never hides a queued waiter;
 * a requeue raises the target's counter before it lowers the source's
 * (requeue.c).  The kernel writes the page through its own address and
 * user space reads it through its mapping: the same physical page, which
 * x86 keeps coherent (as every architecture without an aliasing data
 * cache does).
 *
 * Before all this, af_wait() reads the word once without queueing (W3'):
 * if it already differs from v, the wait returns -EAGAIN at once.  That
 * is a correct outcome whenever it happens (the caller's v is stale at a
 * moment inside the call) and no wake can be lost by a thread that does
 * not sleep.
 *
 * No spurious wakeups, and every counted waiter returns 0
 * -------------------------------------------------------
 * A queued waiter leaves its queue only under its bucket's lock, either
 * taken off by a waker or requeuer (af_claim(), which counts it) or by
 * itself on a timeout, a signal, a failed value check or a fault
 * (af_dequeue()).  Whoever holds the lock first decides; the other sees the
 * outcome.  A waiter whose af_dequeue() finds itself already claimed
 * returns 0 whatever it was about to report, and a waiter returns 0 only
 * after a waker claimed it.  The words of a vector wait are one waiter
 * queued in many places: a waker claims one of them only if it is the
 * first to claim the whole vector (vector.c), and passes the others by.
 *
 * Bitsets and sizes
 * -----------------
 * A waiter carries a bitset (w->mask; ALTFUTEX_BITSET_MATCH_ANY for the
 * first API's waits and for fds), and a wake takes, oldest first, the
 * waiters of its key whose bitsets share a bit with its own.  The key is
 * the word's address whatever the word's size: the size only says how
 * many bytes the value checks (W3', W3) read, in one access, the word
 * being aligned to its size (af_read_word()).
 *
 * Waking after the lock is dropped
 * --------------------------------
 * The kernel's wake_q is not exported to modules, so a waker strings the
 * claimed waiters on its own list (af_wake_list) and, after releasing the
 * bucket lock, calls each one's wake operation (af_waiter.wake): a
 * thread's wakes the thread (af_wake_thread()), an fd's notifies its
 * pollers (fd.c).  A claimed waiter is in state WAKING: it may not return
 * (not even on a signal or timeout), an fd may not be released or
 * re-armed, until its wake operation has stored WOKEN (D), after which
 * the waker no longer touches it; a thread's takes a task reference
 * first, since the thread may exit as soon as it sees WOKEN, and an fd's
 * notifies before (D), since the fd may be freed as soon as it is WOKEN.
 */
#include <linux/hrtimer.h>
#include <linux/indirect_call_wrapper.h>
#include <linux/lockdep.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/uaccess.h>

#include "altfutex.h"
#include "trace.h"

/* A sleeping thread's waiter, on its stack (af_wait_until()). */
struct af_thread_waiter {
	struct af_waiter w;
	struct task_struct *task;
};

/*
 * The wake operation of a thread's waiter.  The task is referenced before
 * (D), since the thread may return and exit as soon as it sees WOKEN; it
 * is woken after (D), or it could wake, still see WAKING and sleep with
 * nobody left to wake it.
 */
static void af_wake_thread(struct af_waiter *w)
{
	struct task_struct *task =
		container_of(w, struct af_thread_waiter, w)->task;

	get_task_struct(task);
	/* (D) from here on @w may be gone with its thread's stack */
	af_waiter_release(w);
	wake_up_process(task);
	put_task_struct(task);
}

/*
 * Wait until the waker that claimed our @w is done with it (D): it wakes
 * us just after.
 */
static void af_wait_released(struct af_waiter *w)
{
	for (;;) {
		set_current_state(TASK_UNINTERRUPTIBLE);
		if (!af_waiter_waking(w))
			break;
		schedule();
	}
	__set_current_state(TASK_RUNNING);
}

/*
 * Lock the bucket that protects @w.  A requeue may move @w to another
 * bucket while we wait for the lock; it changes w->bucket only while
 * holding both locks, so once we hold the lock w->bucket still names, @w
 * stays there until we drop it.
 */
struct af_bucket *af_lock_waiter(struct af_waiter *w)
	__acquires(&w->bucket->lock)
{
	struct af_bucket *b;

	for (;;) {
		b = READ_ONCE(w->bucket);
		spin_lock(&b->lock);
		if (likely(b == READ_ONCE(w->bucket)))
			return b;
		spin_unlock(&b->lock);
	}
}

/*
 * Append @w to the queue of its key's bucket: W0 to W2 above.  A private
 * key must have its table (key->pt).
 */
void af_enqueue(struct af_waiter *w)
{
	struct af_bucket *b;
	bool shared;

	shared = af_shared_enter(&w->key);
	b = af_hash_bucket(&w->key);
	af_count_add(&w->key, 1);			/* (W0u) */
	atomic_inc(&b->waiters);			/* (W0) */
	smp_mb__after_atomic();		/* (MW) pairs with (MK) and (MKu) */
	spin_lock(&b->lock);				/* (W1) ACQUIRE */
	WRITE_ONCE(w->bucket, b);
	WRITE_ONCE(w->state, AF_QUEUED);
	list_add_tail(&w->node, &b->queue);
	spin_unlock(&b->lock);				/* (W2) RELEASE */
	/* from here on w->key is the queue's: a requeue may change it */
	if (shared)
		af_hash_check_load(b);
	af_shared_exit(shared);
}
EXPORT_SYMBOL_IF_KUNIT(af_enqueue);

/**
 * af_dequeue() - take @w off its queue, unless a waker got there first
 * @w: a waiter of the calling thread (or an fd)
 *
 * Return: true if @w was queued and this call removed it; false if it was
 * not queued.  If a waker claimed it, that waker may still be at work on
 * it (af_waiter_waking()): the caller waits for it to finish, as befits
 * the waiter (a thread sleeps, an fd's releaser polls), before @w returns,
 * is freed or is queued again.
 */
bool af_dequeue(struct af_waiter *w)
{
	struct af_bucket *b;
	bool queued;

	/* whatever its key now: a requeue may move it to the shared table */
	percpu_down_read(&af_resize_sem);
	b = af_lock_waiter(w);
	/* a waker may store WOKEN (D) meanwhile, without the lock */
	queued = READ_ONCE(w->state) == AF_QUEUED;
	if (queued) {
		list_del_init(&w->node);
		atomic_dec(&b->waiters);
		af_count_add(&w->key, -1);
		WRITE_ONCE(w->state, AF_IDLE);
	}
	spin_unlock(&b->lock);
	percpu_up_read(&af_resize_sem);
	return queued;
}
EXPORT_SYMBOL_IF_KUNIT(af_dequeue);

/*
 * Take @w off its queue for a wake; the caller holds its bucket lock and,
 * if this returns true, counts it as woken.  Its wake operation runs from
 * af_wake_list_run() once the caller has dropped the lock.  False: @w is
 * a word of a vector that another wake, or its thread, has taken
 * (af_vec_claim()); it stays queued, uncounted, for its thread to remove.
 */
bool af_claim(struct af_waiter *w, struct af_wake_list *wl)
{
	lockdep_assert_held(&w->bucket->lock);
	if (!af_vec_claim(w))
		return false;
	list_del_init(&w->node);
	atomic_dec(&w->bucket->waiters);
	af_count_add(&w->key, -1);
	WRITE_ONCE(w->state, AF_WAKING);
	w->wake_next = NULL;
	*wl->tail = w;
	wl->tail = &w->wake_next;
	return true;
}

/*
 * Wake, oldest first, the claimed waiters from @first on
 * (af_wake_list_run()), each by its own operation.  No lock held: an fd's
 * runs its poll and fasync callbacks (epoll, SIGIO), which must not run
 * under a bucket spinlock.  Most waiters are sleeping threads: theirs is
 * called directly, not through the pointer.
 */
void af_wake_waiters(struct af_waiter *first)
{
	struct af_waiter *w, *next;

	for (w = first; w; w = next) {
		next = w->wake_next;	/* @w may be freed once woken */
		INDIRECT_CALL_1(w->wake, af_wake_thread, w);
	}
}

/*
 * Where a timed wait ends, on the host's clocks.  A relative timeout
 * counts from the call.  An absolute CLOCK_MONOTONIC one is a time on the
 * caller's clock, which a time namespace may shift from the host's (as
 * clock_nanosleep() converts, af_timens_to_host()); CLOCK_REALTIME is the
 * same in every namespace.
 */
void af_deadline_of(const struct timespec64 *timeout, unsigned int flags,
		    struct af_deadline *dl)
{
	dl->clock = CLOCK_MONOTONIC;
	dl->expires = timespec64_to_ktime(*timeout);
	if (!(flags & ALTFUTEX_ABSTIME))
		dl->expires = ktime_add_safe(ktime_get(), dl->expires);
	else if (flags & ALTFUTEX_CLOCK_REALTIME)
		dl->clock = CLOCK_REALTIME;
	else
		dl->expires = af_timens_to_host(dl->expires);
}

/* Arm @to, on the stack, to fire at @dl: it wakes the calling thread. */
void af_timer_start(struct hrtimer_sleeper *to, const struct af_deadline *dl)
{
	af_sleeper_setup(to, dl->clock, HRTIMER_MODE_ABS);
	hrtimer_set_expires_range_ns(&to->timer, dl->expires,
				     current->timer_slack_ns);
	hrtimer_sleeper_start_expires(to, HRTIMER_MODE_ABS);
}

/* Cancel what af_timer_start() armed; it may have fired. */
void af_timer_stop(struct hrtimer_sleeper *to)
{
	hrtimer_cancel(&to->timer);
	destroy_hrtimer_on_stack(&to->timer);
}

/*
 * Sleep until *@state is WOKEN (0), the timer fires (-ETIMEDOUT) or a
 * signal is pending (-ERESTARTNOHAND: restarted if no handler runs, -EINTR
 * if one does).  @state is a waiter's, or a vector's (vector.c).  On an
 * error the waiter may still be queued.
 */
int af_sleep(const int *state, struct hrtimer_sleeper *to)
{
	int ret;

	for (;;) {
		set_current_state(TASK_INTERRUPTIBLE);
		if (smp_load_acquire(state) == AF_WOKEN) {	/* pairs with (D) */
			ret = 0;
			break;
		}
		if (to && !READ_ONCE(to->task)) {
			ret = -ETIMEDOUT;
			break;
		}
		if (signal_pending(current)) {
			ret = -ERESTARTNOHAND;
			break;
		}
		schedule();
	}
	__set_current_state(TASK_RUNNING);
	return ret;
}

/*
 * af_wait_until(), between its tracepoints.  The waiter lives on this
 * thread's stack, as the kernel futex's does: it is queued only while
 * this function runs, and a waker stops touching it once it has stored
 * WOKEN (D), before which we cannot return.  So a sleeping thread costs
 * no slab memory and the wait path allocates nothing.
 */
static int __af_wait_until(struct af_client *c, const struct af_word *wd,
			   const struct af_deadline *dl)
{
	struct hrtimer_sleeper sleeper, *to = NULL;
	struct af_thread_waiter waiter = { .task = current };
	struct af_waiter *w = &waiter.w;
	u64 uval;
	int ret;

	/* (W3'): a stale value needs no key, no queue, no lock */
	ret = af_read_word(wd->uaddr, wd->flags, &uval);
	if (ret)
		return ret;
	if (uval != wd->val)
		return -EAGAIN;

	ret = af_key_lookup(c, wd->uaddr, wd->flags, &w->key, true);
	if (ret)
		return ret;
	w->mm = current->mm;
	w->wake = af_wake_thread;
	w->mask = wd->mask;

	af_enqueue(w);					/* (W0) to (W2) */

	/*
	 * (W3): no lock held, so the read may fault the page in, and may
	 * block for as long as the fault does (userfaultfd, FUSE): a signal
	 * ends such a fault with -EFAULT, and nobody waits on us meanwhile.
	 */
	ret = af_read_word(wd->uaddr, wd->flags, &uval);
	if (!ret && uval != wd->val) {
		ret = -EAGAIN;
	} else if (!ret) {
		if (dl) {
			to = &sleeper;
			af_timer_start(to, dl);
		}
		ret = af_sleep(&w->state, to);
	}
	/* A waker that claimed us counted us: report the wake. */
	if (ret && !af_dequeue(w)) {
		af_wait_released(w);
		ret = 0;
	}

	if (to)
		af_timer_stop(to);
	/* What we hold on the key we are on now, a requeue's key2 perhaps. */
	if (af_waiter_holds_ref(w, &w->key))
		af_key_put(&w->key);
	return ret;
}

/**
 * af_wait_until() - sleep on the futex @wd names while it holds its value
 * @c: the device file the call came through, or NULL (a restart)
 * @wd: the word (aligned to its size), its value, the wait's bitset
 * @dl: when to give up, or NULL for never
 *
 * Each wait is traced from its start (altfutex_wait_start) to its result
 * (altfutex_wait_end); a restarted one starts again.
 *
 * Return: 0 when woken, -EAGAIN if the word does not hold the value,
 * -ETIMEDOUT, -ERESTARTNOHAND on a signal, -EFAULT, -ENOMEM (no room for
 * the process's private table, on its first wait).
 */
int af_wait_until(struct af_client *c, const struct af_word *wd,
		  const struct af_deadline *dl)
{
	int ret;

	trace_altfutex_wait_start(wd->uaddr, wd->val, wd->flags, !!dl);
	ret = __af_wait_until(c, wd, dl);
	trace_altfutex_wait_end(wd->uaddr, ret);
	return ret;
}

/**
 * af_wait() - sleep on the futex @wd names while it holds its value
 * @c: the device file the call came through
 * @wd: the word (aligned to its size), its value, the wait's bitset; its
 *	flags say what @timeout is (ALTFUTEX_ABSTIME, _CLOCK_REALTIME)
 * @timeout: relative (CLOCK_MONOTONIC) or, with ALTFUTEX_ABSTIME, absolute
 *	     time on the caller's CLOCK_MONOTONIC or CLOCK_REALTIME; NULL
 *	     for none
 *
 * A signal that no handler takes (a stop, a ptrace stop, the freezer)
 * restarts the call.  An absolute deadline survives that as it is; a
 * relative one would count again from the restart, so its end is kept in
 * the thread's restart block (af_restart_wait()), as futex(2) does.
 *
 * Return: as af_wait_until(), or -ERESTART_RESTARTBLOCK for a signal
 * during a wait with a relative timeout.
 */
int af_wait(struct af_client *c, const struct af_word *wd,
	    const struct timespec64 *timeout)
{
	struct af_deadline dl;
	int ret;

	if (!timeout)
		return af_wait_until(c, wd, NULL);

	af_deadline_of(timeout, wd->flags, &dl);
	ret = af_wait_until(c, wd, &dl);
	if (ret == -ERESTARTNOHAND && !(wd->flags & ALTFUTEX_ABSTIME))
		ret = af_restart_wait(wd, &dl);
	return ret;
}

/*
 * Claim onto @wl, oldest first, up to @nr waiters of @key queued on @b
 * whose bitset shares a bit with @mask; return how many.  The caller
 * holds @b's lock and wakes them once it has dropped it.
 */
int af_claim_key(struct af_bucket *b, const struct af_key *key, u32 mask,
		 int nr, struct af_wake_list *wl)
{
	struct af_waiter *w, *tmp;
	int claimed = 0;

	if (nr <= 0)
		return 0;
	list_for_each_entry_safe(w, tmp, &b->queue, node) {
		if (!af_key_match(&w->key, key) || !(w->mask & mask) ||
		    !af_claim(w, wl))
			continue;
		if (++claimed == nr)
			break;
	}
	return claimed;
}

/*
 * Wake up to @nr_wake waiters of @key whose bitset shares a bit with
 * @mask, oldest first; return how many.  Words of a vector that another
 * wake took are passed by (af_claim()).
 * What af_wake() does once it has the key; the KUnit suites call it on
 * keys of their own.  Without KUnit it is static, called once, and
 * inlined into af_wake().  A private key of a process with no table yet
 * (key->pt NULL) gets it here, if it has one by now.
 */
VISIBLE_IF_KUNIT int af_wake_key(struct af_key *key, u32 mask, int nr_wake)
{
	struct af_wake_list wl;
	struct af_bucket *b;
	bool shared;
	int woken;

	if (nr_wake <= 0)
		return 0;

	/* the caller's store to the word (K1) came before this call */
	smp_mb();					/* (MK) pairs with (MW) */
	if (unlikely(key->type == AF_KEY_PRIVATE && !key->pt)) {
		/* "No table" above: this read is the K0 of the table */
		key->pt = af_ptable_lookup(current->mm);
		if (!key->pt)
			return 0;
	}
	shared = af_shared_enter(key);
	b = af_hash_bucket(key);
	if (!atomic_read(&b->waiters)) {		/* (K0) */
		af_shared_exit(shared);
		return 0;
	}

	af_wake_list_init(&wl);
	spin_lock(&b->lock);				/* (K2) ACQUIRE */
	woken = af_claim_key(b, key, mask, nr_wake, &wl);
	spin_unlock(&b->lock);				/* (K3) RELEASE */
	af_shared_exit(shared);
	af_wake_list_run(&wl);
	return woken;
}
EXPORT_SYMBOL_IF_KUNIT(af_wake_key);

/**
 * af_wake() - wake up to @nr_wake waiters of the futex at @uaddr
 * @c: the device file the call came through
 * @uaddr: user address aligned to its word's size
 * @flags: ALTFUTEX_PRIVATE or 0, and the word's ALTFUTEX_SIZE_*
 * @mask: wake only waiters whose bitset shares a bit with it
 * @nr_wake: the most to wake; <= 0 wakes nobody
 *
 * Return: the number woken, oldest first, or -EFAULT.
 */
int af_wake(struct af_client *c, void __user *uaddr, unsigned int flags,
	    u32 mask, int nr_wake)
{
	struct af_key key;
	int ret;

	ret = af_key_lookup(c, uaddr, flags, &key, false);
	if (ret)
		return ret;
	ret = af_wake_key(&key, mask, nr_wake);
	af_key_drop(&key);
	trace_altfutex_wake(uaddr, flags, nr_wake, ret);
	return ret;
}

/**
 * af_wake_wait() - wake waiters of one word, then wait on another
 * @c: the device file the call came through
 * @wake_uaddr: the word to wake, of @wd's size and privacy
 * @nr_wake: the most to wake there; <= 0 wakes nobody
 * @wd: the word to wait on, as af_wait() takes it
 * @timeout: as af_wait()'s
 *
 * The handoff of a ping-pong in one call.  The wake is done, and counted,
 * before the wait starts, as two calls would do it: a woken thread that
 * answers at once finds this one queued or finds the word changed.  A
 * signal that no handler takes restarts the wait alone, whatever its
 * timeout, through the restart block (restart.c): restarting the ioctl
 * would make the wake again.
 *
 * Return: the wake's error, before any wait; else the wait's result.
 */
int af_wake_wait(struct af_client *c, void __user *wake_uaddr, int nr_wake,
		 const struct af_word *wd, const struct timespec64 *timeout)
{
	struct af_deadline dl, *dlp = NULL;
	int ret;

	ret = af_wake(c, wake_uaddr, wd->flags, ALTFUTEX_BITSET_MATCH_ANY,
		      nr_wake);
	if (ret < 0)
		return ret;
	if (timeout) {
		af_deadline_of(timeout, wd->flags, &dl);
		dlp = &dl;
	}
	ret = af_wait_until(c, wd, dlp);
	/* a restart of the ioctl would wake again: only the wait restarts */
	if (ret == -ERESTARTNOHAND)
		ret = af_restart_wait(wd, dlp);
	return ret;
}
