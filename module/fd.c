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
 * An fd waiter is an af_waiter with no task.  A waker moves it to WOKEN and
 * notifies it under the bucket lock (af_claim()), which also keeps it from
 * being freed meanwhile: release takes it off its queue under that lock.
 * Its state moves QUEUED -> WOKEN (a waker), WOKEN -> IDLE (read), and
 * IDLE or WOKEN -> QUEUED (re-arm); read and re-arm are serialised by the
 * fd's mutex, and no waker touches a waiter that is not queued.
 *
 * The fd holds a reference on its key's mm (mmgrab(), which does not keep
 * the address space alive) or inode, never on a page, and a reference on
 * this module through its file, so rmmod waits until it is closed.
 */
#include <linux/anon_inodes.h>
#include <linux/fcntl.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/magic.h>
#include <linux/mutex.h>
#include <linux/pagemap.h>
#include <linux/poll.h>
#include <linux/sched/mm.h>
#include <linux/shmem_fs.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/wait.h>

#include "altfutex.h"

struct af_fd {
	struct af_waiter w;		/* task == NULL */
	wait_queue_head_t wq;		/* blocked readers and pollers */
	struct fasync_struct *fasync;	/* O_ASYNC: SIGIO on wake */
	struct mutex lock;		/* serialises read and re-arm */
};

static struct kmem_cache *af_fd_cache;
static const struct file_operations af_fd_fops;

/* Called by af_claim() under the bucket lock, state already WOKEN. */
static void af_fd_notify(struct af_waiter *w)
{
	struct af_fd *fd = container_of(w, struct af_fd, w);

	wake_up_interruptible_poll(&fd->wq, EPOLLIN | EPOLLRDNORM);
	kill_fasync(&fd->fasync, SIGIO, POLL_IN);
}

static bool af_fd_woken(struct af_fd *fd)
{
	/* pairs with the release in af_claim() */
	return smp_load_acquire(&fd->w.state) == AF_WOKEN;
}

/*
 * Read the word of a shared key through the page cache: a re-arm may come
 * from a process that does not map the file where the creator did, or at
 * all.  The page is referenced only for the read.
 */
static int af_read_shared_word(struct inode *inode, u64 pos, u32 *val)
{
	struct address_space *mapping = inode->i_mapping;
	pgoff_t index = pos >> PAGE_SHIFT;
	struct page *page;
	void *kaddr;

	if (S_ISREG(inode->i_mode) &&
	    index >= DIV_ROUND_UP_ULL(i_size_read(inode), PAGE_SIZE))
		return -EFAULT;
	if (inode->i_sb->s_magic == TMPFS_MAGIC)
		page = shmem_read_mapping_page_gfp(mapping, index,
						   mapping_gfp_mask(mapping));
	else if (mapping->a_ops->read_folio)
		page = read_mapping_page(mapping, index, NULL);
	else
		return -EOPNOTSUPP;
	if (IS_ERR(page))
		return -EFAULT;
	kaddr = kmap_local_page(page);
	*val = READ_ONCE(*(u32 *)(kaddr + offset_in_page(pos)));
	kunmap_local(kaddr);
	put_page(page);
	return 0;
}

/* Read the word @w is keyed on; @uaddr if the caller still knows it. */
static int af_fd_get_value(struct af_waiter *w, u32 __user *uaddr, u32 *val)
{
	if (uaddr)
		return get_user(*val, uaddr) ? -EFAULT : 0;
	if (w->key.type == AF_KEY_SHARED)
		return af_read_shared_word(w->key.object, w->key.word, val);
	/* a private futex can only be read from inside its process */
	if (w->key.object != current->mm)
		return -EINVAL;
	return get_user(*val, (u32 __user *)u64_to_user_ptr(w->key.word)) ?
	       -EFAULT : 0;
}

/*
 * Queue @fd's waiter, then check the word: (W1), (W2) and (W3) of wait.c.
 * Return: 0 if armed (or already woken by a racing wake), else an error
 * and the waiter is not queued.
 */
static int af_fd_arm(struct af_fd *fd, u32 __user *uaddr, u32 val)
{
	u32 uval;
	int ret;

	af_enqueue(&fd->w);				/* (W1), (W2) */
	ret = af_fd_get_value(&fd->w, uaddr, &uval);	/* (W3) */
	if (!ret && uval != val)
		ret = -EAGAIN;
	/* a waker that claimed the fd meanwhile counted it: keep the wake */
	if (ret && !af_dequeue(&fd->w))
		ret = 0;
	return ret;
}

/**
 * af_fd_create() - a new fd waiting on the futex at @uaddr
 * @uaddr: 4-byte aligned user address
 * @flags: ALTFUTEX_PRIVATE or 0
 * @val: the value the caller saw
 *
 * Return: the new fd (O_CLOEXEC), -EAGAIN if *@uaddr != @val (and no fd),
 * -EFAULT, -EMFILE, -ENOMEM.
 */
int af_fd_create(u32 __user *uaddr, unsigned int flags, u32 val)
{
	struct file *file;
	struct af_fd *fd;
	int fdnum, ret;

	fd = kmem_cache_zalloc(af_fd_cache, GFP_KERNEL_ACCOUNT);
	if (!fd)
		return -ENOMEM;
	init_waitqueue_head(&fd->wq);
	mutex_init(&fd->lock);
	fd->w.notify = af_fd_notify;
	ret = af_key_lookup(uaddr, flags, &fd->w.key);
	if (ret)
		goto err_free;
	/* the fd may outlive us: it needs a reference on a private key's mm */
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
	mutex_lock(&fd->lock);
	/* only a re-arm (serialised here) makes the waiter QUEUED */
	if (READ_ONCE(fd->w.state) == AF_QUEUED)
		ret = -EBUSY;
	else
		ret = af_fd_arm(fd, NULL, val);	/* drops an unread wake */
	mutex_unlock(&fd->lock);
out:
	fput(file);
	return ret;
}

static ssize_t af_fd_read(struct file *file, char __user *buf, size_t count,
			  loff_t *ppos)
{
	struct af_fd *fd = file->private_data;
	const u64 wakes = 1;
	ssize_t ret;

	if (count < sizeof(wakes))
		return -EINVAL;
	for (;;) {
		mutex_lock(&fd->lock);
		if (af_fd_woken(fd))
			break;
		mutex_unlock(&fd->lock);
		if (file->f_flags & O_NONBLOCK)
			return -EAGAIN;
		ret = wait_event_interruptible(fd->wq, af_fd_woken(fd));
		if (ret)
			return ret;
	}
	/* WOKEN: no waker touches it, and read and re-arm hold the mutex */
	if (copy_to_user(buf, &wakes, sizeof(wakes))) {
		ret = -EFAULT;
	} else {
		WRITE_ONCE(fd->w.state, AF_IDLE);
		ret = sizeof(wakes);
	}
	mutex_unlock(&fd->lock);
	return ret;
}

static __poll_t af_fd_poll(struct file *file, poll_table *pt)
{
	struct af_fd *fd = file->private_data;

	poll_wait(file, &fd->wq, pt);
	return af_fd_woken(fd) ? EPOLLIN | EPOLLRDNORM : 0;
}

static int af_fd_fasync(int fdnum, struct file *file, int on)
{
	struct af_fd *fd = file->private_data;

	return fasync_helper(fdnum, file, on, &fd->fasync);
}

static int af_fd_release(struct inode *inode, struct file *file)
{
	struct af_fd *fd = file->private_data;

	af_dequeue(&fd->w);
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
