// SPDX-License-Identifier: GPL-2.0
/*
 * A race-free FUTEX_FD: a file descriptor that is a one-shot waiter.
 *
 * Linux removed FUTEX_FD in 2.6.26 because it had no value check: a wake
 * that came between the caller's look at the word and the creation of the
 * fd was lost.  Here the fd is queued exactly like a sleeping thread, and
 * the word is read only after that (the argument is at the top of
 * wait.c), so creation and re-arm fail with -EAGAIN instead of missing a
 * wake.
 *
 * An fd waiter is an af_waiter whose wake operation is af_fd_wake().  A
 * waker claims it under the bucket lock like a thread (QUEUED -> WAKING)
 * and, once the lock is dropped, af_fd_wake() sets ready, notifies pollers
 * and SIGIO owners, and only then lets it go (WAKING -> WOKEN, (D) in
 * wait.c): release and re-arm wait for that (af_fd_wait_released()), so
 * the fd cannot be freed or queued again under the waker.
 *
 * Two fields, two owners: w.state says where the waiter is (queued or
 * not), and belongs to the queue (wait.c); ready says a wake came that
 * read() has not consumed, set by the notification and cleared by read()
 * and by re-arm.  No lock is held while the word is read, which may take
 * as long as a fault does (userfaultfd, FUSE): re-arms exclude each other
 * with a bit that makes the second one fail with -EBUSY rather than wait,
 * and read(), poll() and close() take nothing a re-arm holds.
 *
 * The fd holds a reference on its key's private table (which holds the
 * mm's struct with mmgrab(), which does not keep the address space alive)
 * or its mapping's file (key.c), never on a page, and a reference on
 * this module through its file, so rmmod is refused until it is closed.
 */
#include <linux/anon_inodes.h>
#include <linux/fcntl.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/poll.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/wait.h>

#include "altfutex.h"
#include "trace.h"

struct af_fd {
	struct af_waiter w;		/* w.mm == NULL: no thread of its own */
	wait_queue_head_t wq;		/* blocked readers and pollers */
	struct fasync_struct *fasync;	/* O_ASYNC: SIGIO on wake */
	unsigned long flags;		/* AF_FD_ARMING */
	unsigned long uaddr;		/* created on it, for the tracepoints */
	int ready;			/* a wake not read yet */
};

/* A re-arm is under way (bit of af_fd.flags). */
#define AF_FD_ARMING	0

static struct kmem_cache *af_fd_cache;
static const struct file_operations af_fd_fops;

/*
 * The wake operation of an fd waiter: called by a waker that claimed @w,
 * with no lock held.  @w stays WAKING, hence allocated, until (D).
 */
static void af_fd_wake(struct af_waiter *w)
{
	struct af_fd *fd = container_of(w, struct af_fd, w);

	trace_altfutex_fd_wake(fd->uaddr);
	WRITE_ONCE(fd->ready, 1);
	/* the wait queue's lock orders ready before a poller's recheck */
	wake_up_interruptible_poll(&fd->wq, EPOLLIN | EPOLLRDNORM);
	kill_fasync(&fd->fasync, SIGIO, POLL_IN);
	/* (D) from here on @fd may be freed by its releaser */
	af_waiter_release(w);
}

/*
 * Wait until a waker that claimed @fd has finished with it (D).  Nobody
 * wakes us when it has: it has only the fd's wait queue and fasync list
 * to notify, so we poll.
 */
static void af_fd_wait_released(struct af_fd *fd)
{
	while (af_waiter_waking(&fd->w))
		cond_resched();
}

/* af_dequeue(), and if a waker claimed @fd, wait until it is done. */
static bool af_fd_dequeue(struct af_fd *fd)
{
	if (af_dequeue(&fd->w))
		return true;
	af_fd_wait_released(fd);
	return false;
}

static bool af_fd_ready(struct af_fd *fd)
{
	return READ_ONCE(fd->ready);
}

/*
 * Read the word @key names: @uaddr if the caller still knows it, else
 * through the key, which holds what it names.
 */
static int af_fd_get_value(const struct af_key *key, u32 __user *uaddr,
			   u32 *val)
{
	if (uaddr)
		return get_user(*val, uaddr) ? -EFAULT : 0;
	if (key->type == AF_KEY_SHARED)
		return af_key_read_shared(key, val);
	/* a private futex can only be read from inside its process */
	if (key->object != current->mm)
		return -EINVAL;
	return get_user(*val, (u32 __user *)u64_to_user_ptr(key->word)) ?
	       -EFAULT : 0;
}

/*
 * Queue @fd's waiter, then check the word: (W1), (W2) and (W3) of wait.c.
 * Once queued, fd->w.key is the queue's: a requeue may rewrite it, and
 * drop the reference the fd held on it, under the bucket lock, while we
 * read the word.  So a re-arm reads through a copy taken before queueing,
 * with a reference of its own: it checks the word it was armed on, as a
 * wait does even when a requeue moves it meanwhile.
 * Return: 0 if armed (or already woken by a racing wake), else an error
 * and the waiter is not queued.
 */
static int af_fd_arm(struct af_fd *fd, u32 __user *uaddr, u32 val)
{
	struct af_key key = fd->w.key;
	u32 uval;
	int ret;

	if (!uaddr)
		af_key_get(&key);
	af_enqueue(&fd->w);				/* (W1), (W2) */
	ret = af_fd_get_value(&key, uaddr, &uval);	/* (W3) */
	if (!uaddr)
		af_key_put(&key);
	if (!ret && uval != val)
		ret = -EAGAIN;
	/* a waker that claimed the fd meanwhile counted it: keep the wake */
	if (ret && !af_fd_dequeue(fd))
		ret = 0;
	return ret;
}

/* af_fd_create(), but for its tracepoint. */
static int __af_fd_create(struct af_client *c, u32 __user *uaddr,
			  unsigned int flags, u32 val)
{
	struct file *file;
	struct af_fd *fd;
	int fdnum, ret;

	fd = kmem_cache_zalloc(af_fd_cache, GFP_KERNEL_ACCOUNT);
	if (!fd)
		return -ENOMEM;
	init_waitqueue_head(&fd->wq);
	fd->w.wake = af_fd_wake;
	fd->w.mask = ALTFUTEX_BITSET_MATCH_ANY;	/* takes every wake */
	fd->uaddr = (unsigned long)uaddr;
	ret = af_key_lookup(c, uaddr, flags, &fd->w.key, true);
	if (ret)
		goto err_free;
	/* the fd may outlive us: it needs a reference on a private table */
	if (fd->w.key.type == AF_KEY_PRIVATE)
		af_key_get(&fd->w.key);

	fdnum = get_unused_fd_flags(O_CLOEXEC);
	if (fdnum < 0) {
		ret = fdnum;
		goto err_key;
	}
	file = anon_inode_getfile("[altfutex]", &af_fd_fops, fd, O_RDWR);
	if (IS_ERR(file)) {
		ret = PTR_ERR(file);
		goto err_fdnum;
	}
	/* From here on the file owns @fd: af_fd_release() frees it. */
	ret = af_fd_arm(fd, uaddr, val);
	if (ret) {
		put_unused_fd(fdnum);
		fput(file);
		return ret;
	}
	fd_install(fdnum, file);
	return fdnum;

err_fdnum:
	put_unused_fd(fdnum);
err_key:
	af_key_put(&fd->w.key);
err_free:
	kmem_cache_free(af_fd_cache, fd);
	return ret;
}

/**
 * af_fd_create() - a new fd waiting on the futex at @uaddr
 * @c: the device file the call came through
 * @uaddr: 4-byte aligned user address
 * @flags: ALTFUTEX_PRIVATE or 0
 * @val: the value the caller saw
 *
 * Return: the new fd (O_CLOEXEC), -EAGAIN if *@uaddr != @val (and no fd),
 * -EFAULT, -EMFILE, -ENOMEM.
 */
int af_fd_create(struct af_client *c, u32 __user *uaddr, unsigned int flags,
		 u32 val)
{
	int ret = __af_fd_create(c, uaddr, flags, val);

	trace_altfutex_fd_arm((unsigned long)uaddr, val, ret < 0 ? -1 : ret,
			      false, ret);
	return ret;
}

/**
 * af_fd_rearm() - queue an altfutex fd again on the key it was last on
 * @fdnum: the fd
 * @val: the value the caller saw
 *
 * Return: 0, -EAGAIN if the word differs, -EBUSY if still armed, -EBADF,
 * -EINVAL for an fd that is not an altfutex fd (or a private futex of
 * another process), -EFAULT.
 */
int af_fd_rearm(int fdnum, u32 val)
{
	struct file *file = fget(fdnum);
	struct af_fd *fd;
	int ret;

	if (!file)
		return -EBADF;
	if (file->f_op != &af_fd_fops) {
		ret = -EINVAL;
		goto out;
	}
	fd = file->private_data;
	if (test_and_set_bit_lock(AF_FD_ARMING, &fd->flags)) {
		ret = -EBUSY;			/* another re-arm is under way */
		goto out;
	}
	if (READ_ONCE(fd->w.state) == AF_QUEUED) {
		ret = -EBUSY;
	} else {
		/* a waker may still be notifying: let it finish first */
		af_fd_wait_released(fd);
		WRITE_ONCE(fd->ready, 0);	/* drops an unread wake */
		ret = af_fd_arm(fd, NULL, val);
	}
	clear_bit_unlock(AF_FD_ARMING, &fd->flags);
	trace_altfutex_fd_arm(fd->uaddr, val, fdnum, true, ret);
out:
	fput(file);
	return ret;
}

/*
 * The count, always 1, is copied out before the wake is consumed, so a
 * bad buffer leaves it to be read again.  Two readers race for one wake
 * with xchg(): the loser waits for the next.
 */
static ssize_t af_fd_read(struct file *file, char __user *buf, size_t count,
			  loff_t *ppos)
{
	struct af_fd *fd = file->private_data;
	const u64 wakes = 1;
	int ret;

	if (count < sizeof(wakes))
		return -EINVAL;
	for (;;) {
		if (af_fd_ready(fd)) {
			if (copy_to_user(buf, &wakes, sizeof(wakes)))
				return -EFAULT;
			if (xchg(&fd->ready, 0))
				return sizeof(wakes);
			continue;
		}
		if (file->f_flags & O_NONBLOCK)
			return -EAGAIN;
		ret = wait_event_interruptible(fd->wq, af_fd_ready(fd));
		if (ret)
			return ret;
	}
}

static __poll_t af_fd_poll(struct file *file, poll_table *pt)
{
	struct af_fd *fd = file->private_data;

	poll_wait(file, &fd->wq, pt);
	return af_fd_ready(fd) ? EPOLLIN | EPOLLRDNORM : 0;
}

static int af_fd_fasync(int fdnum, struct file *file, int on)
{
	struct af_fd *fd = file->private_data;

	return fasync_helper(fdnum, file, on, &fd->fasync);
}

static int af_fd_release(struct inode *inode, struct file *file)
{
	struct af_fd *fd = file->private_data;
	bool armed = af_fd_dequeue(fd);

	trace_altfutex_fd_release(fd->uaddr, armed);
	af_key_put(&fd->w.key);
	kmem_cache_free(af_fd_cache, fd);
	return 0;
}

static const struct file_operations af_fd_fops = {
	.owner		= THIS_MODULE,
	.read		= af_fd_read,
	.poll		= af_fd_poll,
	.fasync		= af_fd_fasync,
	.release	= af_fd_release,
	.llseek		= noop_llseek,
};

int af_fd_init(void)
{
	af_fd_cache = kmem_cache_create("altfutex_fd", sizeof(struct af_fd),
					0, SLAB_ACCOUNT, NULL);
	return af_fd_cache ? 0 : -ENOMEM;
}

void af_fd_exit(void)
{
	kmem_cache_destroy(af_fd_cache);
}
