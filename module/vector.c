// SPDX-License-Identifier: GPL-2.0
/*
 * Vectors: one thread waiting on many words at once (WAITV), and many
 * wakes in one call (WAKEV).
 *
 * One waiter, many queues
 * -----------------------
 * A vector wait queues one af_waiter per word, each in its own word's
 * bucket and FIFO on its key like any other waiter, all pointing at one
 * struct af_vec.  What makes them one waiter is the claim: a wake may
 * take a word only if it is the first to claim the vector, by setting
 * vec->claimed from NULL to that word with cmpxchg(), under that word's
 * bucket lock (af_claim(), af_vec_claim() in altfutex.h).  Two wakers on
 * two words of one vector hold two different bucket locks, but they race
 * on the one claimed pointer, and exactly one wins: it counts the vector
 * and wakes the thread.  The other passes the word by as if it were not
 * there and goes on to the next waiter of its key, so no count is spent on
 * a vector another wake has (the counting rule of wait.c: a wake's count
 * is the number of waiters that return success because of it).
 *
 * The thread leaves the same way.  On a timeout, a signal, a changed word
 * or a fault it claims its own vector (AF_VEC_SELF); if a wake claimed it
 * first, that wake counted it, and the thread returns the index of the
 * wake's word instead of its error.  Either way it then takes each of its
 * words still queued off its queue (af_dequeue(), which follows a word a
 * requeue moved) before it returns; the word the wake took is off its
 * queue already.  Words passed by stay queued, and counted in their
 * buckets' and pages' counts, until then: a count may only be too high,
 * which costs a wake its lock or an ioctl, never a lost wake.  A requeue
 * leaves them where they are (af_vec_dead()).
 *
 * Lost wakeups
 * ------------
 * Every word is queued (W0 to W2 of wait.c) before any word is read
 * (W3), so wait.c's argument holds word by word: a waker of word i whose
 * store the read of word i misses finds word i queued, and takes the
 * vector unless another wake did; in both cases a wake counts it.  Before
 * that, every word is read once unqueued (W3', as wait.c): a vector whose
 * word already differs returns -EAGAIN having queued nothing.
 *
 * The waiters are allocated: up to ALTFUTEX_VEC_MAX of them do not fit a
 * kernel stack (futex_waitv(2) allocates its vector too), so a vector
 * wait can fail with -ENOMEM.  A wake that claimed a word touches the
 * thread's af_vec (on its stack) and the word until it stores WOKEN (D);
 * the thread waits for that before it frees them.
 *
 * A WAKEV is each entry's wake in turn, one after the other: no lock is
 * held from one to the next, and each is what a WAKE would do.
 */
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/slab.h>

#include "altfutex.h"

/*
 * The wake operation of a word of a vector: as a thread's (wait.c), the
 * task referenced before (D), woken after it.  The thread sleeps on the
 * vector's state (af_sleep()), stored before the word's, for which it
 * waits before it frees anything (af_vec_leave()).
 */
static void af_vec_wake(struct af_waiter *w)
{
	struct task_struct *task = w->vec->task;

	get_task_struct(task);
	/* pairs with the acquire of af_sleep(): the vector is done */
	smp_store_release(&w->vec->state, AF_WOKEN);
	/* (D) from here on @w and its vector may be freed */
	af_waiter_release(w);
	wake_up_process(task);
	put_task_struct(task);
}

/*
 * Take the @n words of @ws off their queues, and settle who has the
 * vector.  Return: @ret if this thread claimed it, else the index of the
 * word a wake took, once that wake is done with it (D).
 */
static int af_vec_leave(struct af_waiter *ws, unsigned int n, int ret)
{
	struct af_vec *vec = ws->vec;
	struct af_waiter *won;
	unsigned int i;

	won = cmpxchg(&vec->claimed, NULL, AF_VEC_SELF);
	for (i = 0; i < n; i++)
		af_dequeue(&ws[i]);
	if (won) {
		/* claimed under its lock; the wake stores WOKEN (D), wakes us */
		for (;;) {
			set_current_state(TASK_UNINTERRUPTIBLE);
			/* pairs with (D) */
			if (smp_load_acquire(&won->state) == AF_WOKEN)
				break;
			schedule();
		}
		__set_current_state(TASK_RUNNING);
		ret = won - ws;
	}
	/* each word's key as it is now: a requeue may have moved it */
	for (i = 0; i < n; i++)
		if (af_waiter_holds_ref(&ws[i], &ws[i].key))
			af_key_put(&ws[i].key);
	return ret;
}

/* Does every word of @words hold its value?  0, -EAGAIN or -EFAULT. */
static int af_vec_check(const struct af_word *words, unsigned int nr)
{
	unsigned int i;
	u64 uval;
	int ret;

	for (i = 0; i < nr; i++) {
		ret = af_read_word(words[i].uaddr, words[i].flags, &uval);
		if (ret)
			return ret;
		if (uval != words[i].val)
			return -EAGAIN;
	}
	return 0;
}

/* af_waitv(), once its deadline is known. */
static int af_waitv_until(struct af_client *c, const struct af_word *words,
			  unsigned int nr, const struct af_deadline *dl)
{
	struct af_vec vec = { .task = current };
	struct hrtimer_sleeper sleeper, *to = NULL;
	struct af_waiter *ws;
	unsigned int i;
	int ret;

	/* (W3'): a stale word needs no allocation, no key, no queue */
	ret = af_vec_check(words, nr);
	if (ret)
		return ret;
	ws = kmalloc_array(nr, sizeof(*ws), GFP_KERNEL_ACCOUNT);
	if (!ws)
		return -ENOMEM;
	for (i = 0; i < nr; i++) {
		ret = af_key_lookup(c, words[i].uaddr, words[i].flags,
				    &ws[i].key, true);
		if (ret)
			goto out_keys;
		ws[i].mm = current->mm;
		ws[i].wake = af_vec_wake;
		ws[i].vec = &vec;
		ws[i].mask = words[i].mask;
	}

	for (i = 0; i < nr; i++)
		af_enqueue(&ws[i]);			/* (W0) to (W2) */
	ret = af_vec_check(words, nr);			/* (W3) */
	if (!ret) {
		if (dl) {
			to = &sleeper;
			af_timer_start(to, dl);
		}
		ret = af_sleep(&vec.state, to);
		if (to)
			af_timer_stop(to);
	}
	ret = af_vec_leave(ws, nr, ret);
	kfree(ws);
	return ret;

out_keys:
	while (i--)
		af_key_drop(&ws[i].key);
	kfree(ws);
	return ret;
}

/**
 * af_waitv() - sleep on several futexes at once
 * @c: the device file the call came through
 * @words: the words (each aligned to its size), their values, bitsets
 * @nr: how many, 1 to ALTFUTEX_VEC_MAX
 * @tflags: ALTFUTEX_ABSTIME, ALTFUTEX_CLOCK_REALTIME: what @timeout is
 * @timeout: as af_wait()'s, or NULL for none
 *
 * A wait with a relative timeout is not restarted after a signal that no
 * handler takes: it would count the whole timeout again, and a vector
 * does not fit a restart block.  It returns -EINTR instead.  An absolute
 * one is restarted, by the ioctl again.
 *
 * Return: the index of the word whose wake took the vector, -EAGAIN if a
 * word does not hold its value (nothing stays queued), -ETIMEDOUT,
 * -ERESTARTNOHAND or -EINTR on a signal, -EFAULT, -ENOMEM.
 */
int af_waitv(struct af_client *c, const struct af_word *words,
	     unsigned int nr, unsigned int tflags,
	     const struct timespec64 *timeout)
{
	struct af_deadline dl;
	int ret;

	if (!timeout)
		return af_waitv_until(c, words, nr, NULL);
	af_deadline_of(timeout, tflags, &dl);
	ret = af_waitv_until(c, words, nr, &dl);
	if (ret == -ERESTARTNOHAND && !(tflags & ALTFUTEX_ABSTIME))
		ret = -EINTR;
	return ret;
}

/**
 * af_wakev() - each request's wake, in order
 * @c: the device file the call came through
 * @reqs: the wakes; one with an error is not made, and gives its error
 * @nr: how many
 *
 * Return: the total woken, or the first request's error: the others are
 * made all the same.
 */
int af_wakev(struct af_client *c, const struct af_wake_req *reqs,
	     unsigned int nr)
{
	int woken = 0, err = 0, ret;
	unsigned int i;

	for (i = 0; i < nr; i++) {
		ret = reqs[i].err;
		if (!ret)
			ret = af_wake(c, reqs[i].uaddr, reqs[i].flags,
				      ALTFUTEX_BITSET_MATCH_ANY,
				      reqs[i].nr_wake);
		if (ret < 0) {
			if (!err)
				err = ret;
		} else {
			woken += ret;
		}
	}
	return err ? err : woken;
}
