// SPDX-License-Identifier: GPL-2.0
/*
 * Restarting a wait whose timeout is relative, and the wait of a
 * wake-and-wait.
 *
 * A signal that no handler takes (SIGSTOP and SIGCONT, a ptrace stop, the
 * freezer) interrupts a sleeping wait, and the kernel then restarts the
 * system call.  Restarting the ioctl itself would count a relative timeout
 * from zero again, so that a wait stopped often enough never times out.
 * Like futex(2), af_wait() keeps the wait's end, an absolute time on the
 * host's CLOCK_MONOTONIC, in the thread's restart block instead, and the
 * restart calls af_wait_restart() rather than the ioctl.  With a handler
 * the call returns -EINTR, as before.  A WAKE_WAIT goes the same way
 * whatever its timeout (none and absolute ones included): restarting its
 * ioctl would make its wake a second time.
 *
 * The restart block then points into this module, and a thread can hold
 * that pointer long after the wait: until its next restartable call, or
 * forever if a handler ran and never returned (siglongjmp()), and it may
 * call restart_syscall(2) at any time.  Two rules keep that safe across
 * rmmod:
 *
 *  - af_wait_restart() runs only while it holds a module reference, taken
 *    with try_module_get(), which fails once rmmod has begun; it then
 *    returns -EINTR without touching anything else;
 *  - af_restart_exit(), at unload, points every thread's restart block
 *    that still names af_wait_restart() at the kernel's own "nothing to
 *    restart" function, then waits with synchronize_rcu_tasks() until no
 *    thread can still be between loading the pointer and calling it, or
 *    between module_put() and the return: a task is quiescent for RCU
 *    Tasks only once it has left the kernel or switched out voluntarily,
 *    and neither path sleeps.  fork() copies the restart block, so a walk
 *    can miss a child made meanwhile; the walk is repeated until one
 *    changes nothing.
 *
 * The kernel's do_no_restart_syscall() is not exported.  init_task, the
 * boot CPU's idle task, has it in its restart block from the boot on and
 * never makes a system call, so its pointer is read from there.
 */
#include <linux/module.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/thread_info.h>

#include "altfutex.h"

typedef long (*af_restart_fn)(struct restart_block *rb);

/* The kernel's do_no_restart_syscall(): "there is nothing to restart". */
static af_restart_fn af_no_restart __read_mostly;

/*
 * The wait is kept in the restart block's futex fields: the word's
 * address, its privacy and size (flags), the bitset, the end and its
 * clock (ALTFUTEX_CLOCK_REALTIME in flags; KTIME_MAX: no end), and the
 * value, whose upper half (a 64-bit word's) goes where futex(2) keeps a
 * second address.
 */
static long af_wait_restart(struct restart_block *rb)
{
	struct af_deadline dl = {
		.clock = rb->futex.flags & ALTFUTEX_CLOCK_REALTIME ?
			 CLOCK_REALTIME : CLOCK_MONOTONIC,
		.expires = (ktime_t)rb->futex.time,
	};
	struct af_word wd = {
		.uaddr = rb->futex.uaddr,
		.val = (u64)(unsigned long)rb->futex.uaddr2 << 32 |
		       rb->futex.val,
		.mask = rb->futex.bitset,
		.flags = rb->futex.flags & AF_WORD_FLAGS,
	};
	struct af_deadline *dlp = dl.expires == KTIME_MAX ? NULL : &dl;
	long ret;

	if (!try_module_get(THIS_MODULE))
		return -EINTR;			/* being unloaded */
	rb->fn = af_no_restart;
	ret = af_wait_until(NULL, &wd, dlp);
	if (ret == -ERESTARTNOHAND)
		ret = af_restart_wait(&wd, dlp);
	module_put(THIS_MODULE);
	return ret;
}

/**
 * af_restart_wait() - make a signal restart this wait with the same end
 * @wd: the word, its value and the wait's bitset
 * @dl: the wait's end on the host's clocks, or NULL for none
 *
 * Return: -ERESTART_RESTARTBLOCK, for the interrupted wait to return.
 */
int af_restart_wait(const struct af_word *wd, const struct af_deadline *dl)
{
	struct restart_block *rb = &current->restart_block;
	unsigned int flags = wd->flags & AF_WORD_FLAGS;

	if (dl && dl->clock == CLOCK_REALTIME)
		flags |= ALTFUTEX_CLOCK_REALTIME;
	rb->futex.uaddr = wd->uaddr;
	rb->futex.uaddr2 = (u32 __user *)(unsigned long)(wd->val >> 32);
	rb->futex.val = (u32)wd->val;
	rb->futex.flags = flags;
	rb->futex.bitset = wd->mask;
	rb->futex.time = dl ? dl->expires : KTIME_MAX;
	return set_restart_fn(rb, af_wait_restart);
}

int af_restart_init(void)
{
	af_no_restart = READ_ONCE(init_task.restart_block.fn);
	if (WARN_ON_ONCE(!af_no_restart))
		return -EINVAL;
	return 0;
}

/* Point every thread's restart block away from this module (see above). */
void af_restart_exit(void)
{
	struct task_struct *g, *t;
	bool changed;

	do {
		changed = false;
		rcu_read_lock();
		for_each_process_thread(g, t) {
			if (cmpxchg(&t->restart_block.fn, af_wait_restart,
				    af_no_restart) == af_wait_restart)
				changed = true;
		}
		rcu_read_unlock();
		synchronize_rcu_tasks();
	} while (changed);
}
