// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/altfutex: module setup and ioctl decoding.
 *
 * This file only copies the argument structs in, checks every field the
 * ABI reserves, and calls the core.  The ABI itself is documented in
 * include/uapi/linux/altfutex.h.
 */
#include <linux/fs.h>
#include <linux/kernel.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "altfutex.h"

static unsigned int hash_size;
module_param(hash_size, uint, 0444);
MODULE_PARM_DESC(hash_size,
		 "buckets of every hash table, a power of two (default: the shared table 256 per CPU and growing, each process's 16 per CPU)");

/* Is @uaddr not aligned to the size of its word (@flags' field)? */
static bool af_misaligned_sized(u64 uaddr, u32 flags)
{
	return uaddr & (af_word_size(flags) - 1);
}

static bool af_misaligned(u64 uaddr)
{
	return af_misaligned_sized(uaddr, ALTFUTEX_SIZE_U32);
}

/* What every call on a word rejects: a flag outside @allowed, misalignment. */
static bool af_bad_word(u64 uaddr, u32 flags, u32 allowed)
{
	return (flags & ~allowed) || af_misaligned_sized(uaddr, flags);
}

/* Does @val have bits beyond the size of its word (@flags' field)? */
static bool af_val_too_big(u64 val, u32 flags)
{
	unsigned int bits = af_word_size(flags) * BITS_PER_BYTE;

	return bits < 64 && val >> bits;
}

/*
 * The timeout of a wait: NULL with no ALTFUTEX_TIMEOUT in @flags (and
 * then the fields must be 0), else @ts; an ERR_PTR() for a bad one.
 */
static struct timespec64 *af_timeout(const struct altfutex_timespec *uts,
				     u32 flags, struct timespec64 *ts)
{
	if (!(flags & ALTFUTEX_TIMEOUT))
		return uts->tv_sec || uts->tv_nsec ? ERR_PTR(-EINVAL) : NULL;
	ts->tv_sec = uts->tv_sec;
	ts->tv_nsec = uts->tv_nsec;
	if (ts->tv_sec < 0 || !timespec64_valid(ts))
		return ERR_PTR(-EINVAL);
	return ts;
}

static int af_ioctl_wait(struct af_client *c, void __user *argp)
{
	struct altfutex_wait_args args;
	struct timespec64 ts, *timeout;
	struct af_word wd;

	if (copy_from_user(&args, argp, sizeof(args)))
		return -EFAULT;
	if (af_bad_word(args.uaddr, args.flags,
			ALTFUTEX_FLAGS_MASK | ALTFUTEX_TIMEOUT))
		return -EINVAL;
	timeout = af_timeout(&args.timeout, args.flags, &ts);
	if (IS_ERR(timeout))
		return PTR_ERR(timeout);
	wd.uaddr = u64_to_user_ptr(args.uaddr);
	wd.val = args.val;
	wd.mask = ALTFUTEX_BITSET_MATCH_ANY;
	wd.flags = args.flags & ALTFUTEX_FLAGS_MASK;
	return af_wait(c, &wd, timeout);
}

static int af_ioctl_wake(struct af_client *c, void __user *argp)
{
	struct altfutex_wake_args args;

	if (copy_from_user(&args, argp, sizeof(args)))
		return -EFAULT;
	if (af_bad_word(args.uaddr, args.flags, ALTFUTEX_PRIVATE))
		return -EINVAL;
	return af_wake(c, u64_to_user_ptr(args.uaddr), args.flags,
		       ALTFUTEX_BITSET_MATCH_ANY, args.nr_wake);
}

static int af_ioctl_requeue(struct af_client *c, void __user *argp,
			    bool cmp)
{
	struct altfutex_requeue_args args;

	if (copy_from_user(&args, argp, sizeof(args)))
		return -EFAULT;
	if (af_bad_word(args.uaddr, args.flags, ALTFUTEX_PRIVATE) ||
	    af_misaligned(args.uaddr2))
		return -EINVAL;
	if (args.nr_wake < 0 || args.nr_requeue < 0)
		return -EINVAL;
	if (!cmp && args.val)
		return -EINVAL;
	return af_requeue(c, u64_to_user_ptr(args.uaddr),
			  u64_to_user_ptr(args.uaddr2), args.flags,
			  args.nr_wake, args.nr_requeue, cmp ? &args.val : NULL);
}

static int af_ioctl_fd(struct af_client *c, void __user *argp)
{
	struct altfutex_fd_args args;

	if (copy_from_user(&args, argp, sizeof(args)))
		return -EFAULT;
	if (af_bad_word(args.uaddr, args.flags, ALTFUTEX_PRIVATE))
		return -EINVAL;
	return af_fd_create(c, u64_to_user_ptr(args.uaddr), args.flags,
			    args.val);
}

static int af_ioctl_fd_rearm(void __user *argp)
{
	struct altfutex_rearm_args args;

	if (copy_from_user(&args, argp, sizeof(args)))
		return -EFAULT;
	return af_fd_rearm(args.fd, args.val);
}

/* ---- the extended API ---------------------------------------------------- */

/*
 * A wait's word from its fields: -EINVAL for flags outside AF_WORD_FLAGS
 * and @extra, a word not aligned to its size, or a value it cannot hold.
 */
static int af_word_of(struct af_word *wd, u64 uaddr, u64 val, u32 mask,
		      u32 flags, u32 extra)
{
	if (af_bad_word(uaddr, flags, AF_WORD_FLAGS | extra) ||
	    af_val_too_big(val, flags) || !mask)
		return -EINVAL;
	wd->uaddr = u64_to_user_ptr(uaddr);
	wd->val = val;
	wd->mask = mask;
	wd->flags = flags & (AF_WORD_FLAGS | AF_TIME_FLAGS);
	return 0;
}

static int af_ioctl_wait2(struct af_client *c, void __user *argp)
{
	struct altfutex_wait2_args args;
	struct timespec64 ts, *timeout;
	struct af_word wd;
	int ret;

	if (copy_from_user(&args, argp, sizeof(args)))
		return -EFAULT;
	ret = af_word_of(&wd, args.uaddr, args.val, args.mask, args.flags,
			 AF_TIME_FLAGS | ALTFUTEX_TIMEOUT);
	if (ret)
		return ret;
	timeout = af_timeout(&args.timeout, args.flags, &ts);
	if (IS_ERR(timeout))
		return PTR_ERR(timeout);
	return af_wait(c, &wd, timeout);
}

static int af_ioctl_wake2(struct af_client *c, void __user *argp)
{
	struct altfutex_wake2_args args;

	if (copy_from_user(&args, argp, sizeof(args)))
		return -EFAULT;
	if (af_bad_word(args.uaddr, args.flags, AF_WORD_FLAGS) ||
	    !args.mask || args.reserved)
		return -EINVAL;
	return af_wake(c, u64_to_user_ptr(args.uaddr), args.flags, args.mask,
		       args.nr_wake);
}

/* WAITV copies this many words on the stack, more into an allocation. */
#define AF_VEC_ON_STACK	8

static int af_ioctl_waitv(struct af_client *c, void __user *argp)
{
	struct af_word stack[AF_VEC_ON_STACK], *words = stack;
	const struct altfutex_vec __user *uv;
	struct altfutex_waitv_args args;
	struct timespec64 ts, *timeout;
	struct altfutex_vec e;
	unsigned int i;
	int ret;

	if (copy_from_user(&args, argp, sizeof(args)))
		return -EFAULT;
	if ((args.flags & ~(AF_TIME_FLAGS | ALTFUTEX_TIMEOUT)) ||
	    !args.nr || args.nr > ALTFUTEX_VEC_MAX)
		return -EINVAL;
	timeout = af_timeout(&args.timeout, args.flags, &ts);
	if (IS_ERR(timeout))
		return PTR_ERR(timeout);
	if (args.nr > AF_VEC_ON_STACK) {
		words = kmalloc_array(args.nr, sizeof(*words),
				      GFP_KERNEL_ACCOUNT);
		if (!words)
			return -ENOMEM;
	}
	uv = u64_to_user_ptr(args.words);
	for (i = 0; i < args.nr; i++) {
		ret = -EFAULT;
		if (copy_from_user(&e, &uv[i], sizeof(e)))
			goto out;
		/* a vector's words take every wake: no bitset of their own */
		ret = af_word_of(&words[i], e.uaddr, e.val,
				 ALTFUTEX_BITSET_MATCH_ANY, e.flags, 0);
		if (ret)
			goto out;
	}
	ret = af_waitv(c, words, args.nr, args.flags & AF_TIME_FLAGS,
		       timeout);
out:
	if (words != stack)
		kfree(words);
	return ret;
}

/* One word of a WAKEV, @e (NULL: it could not be read), into @req. */
static void af_wake_req_of(struct af_wake_req *req,
			   const struct altfutex_vec *e)
{
	req->err = 0;
	if (!e) {
		req->err = -EFAULT;
		return;
	}
	if (af_bad_word(e->uaddr, e->flags, AF_WORD_FLAGS))
		req->err = -EINVAL;
	req->uaddr = u64_to_user_ptr(e->uaddr);
	req->flags = e->flags;
	req->nr_wake = e->nr_wake;
}

/*
 * Each word is decoded on its own: a bad one gets its error, and the
 * others are still woken (af_wakev()).  The vector is copied in one go;
 * only if that faults is it read word by word, to find which.
 */
static int af_ioctl_wakev(struct af_client *c, void __user *argp)
{
	struct af_wake_req stack[AF_VEC_ON_STACK], *reqs = stack;
	struct altfutex_vec vstack[AF_VEC_ON_STACK], *v = vstack;
	const struct altfutex_vec __user *uv;
	struct altfutex_wakev_args args;
	unsigned int i;
	int ret = -ENOMEM;

	if (copy_from_user(&args, argp, sizeof(args)))
		return -EFAULT;
	if (args.flags || !args.nr || args.nr > ALTFUTEX_VEC_MAX)
		return -EINVAL;
	if (args.nr > AF_VEC_ON_STACK) {
		reqs = kmalloc_array(args.nr, sizeof(*reqs),
				     GFP_KERNEL_ACCOUNT);
		v = kmalloc_array(args.nr, sizeof(*v), GFP_KERNEL_ACCOUNT);
		if (!reqs || !v)
			goto out;
	}
	uv = u64_to_user_ptr(args.words);
	if (!copy_from_user(v, uv, args.nr * sizeof(*v))) {
		for (i = 0; i < args.nr; i++)
			af_wake_req_of(&reqs[i], &v[i]);
	} else {
		for (i = 0; i < args.nr; i++)
			af_wake_req_of(&reqs[i], copy_from_user(&v[i], &uv[i],
								sizeof(*v)) ?
					NULL : &v[i]);
	}
	ret = af_wakev(c, reqs, args.nr);
out:
	if (reqs != stack) {
		kfree(reqs);
		kfree(v);
	}
	return ret;
}

static int af_ioctl_wake_wait(struct af_client *c, void __user *argp)
{
	struct altfutex_wake_wait_args args;
	struct timespec64 ts, *timeout;
	struct af_word wd;
	int ret;

	if (copy_from_user(&args, argp, sizeof(args)))
		return -EFAULT;
	ret = af_word_of(&wd, args.wait_uaddr, args.val,
			 ALTFUTEX_BITSET_MATCH_ANY, args.flags,
			 AF_TIME_FLAGS | ALTFUTEX_TIMEOUT);
	if (ret)
		return ret;
	/* both words are of the size the flags give */
	if (af_misaligned_sized(args.wake_uaddr, args.flags))
		return -EINVAL;
	timeout = af_timeout(&args.timeout, args.flags, &ts);
	if (IS_ERR(timeout))
		return PTR_ERR(timeout);
	return af_wake_wait(c, u64_to_user_ptr(args.wake_uaddr), args.nr_wake,
			    &wd, timeout);
}

static int af_ioctl_wake_op(struct af_client *c, void __user *argp)
{
	struct altfutex_wake_op_args args;

	if (copy_from_user(&args, argp, sizeof(args)))
		return -EFAULT;
	if (af_bad_word(args.uaddr, args.flags, ALTFUTEX_PRIVATE) ||
	    af_misaligned(args.uaddr2))
		return -EINVAL;
	/* an operation or comparison FUTEX_OP() does not define */
	if (!af_wake_op_valid(args.op))
		return -EINVAL;
	return af_wake_op(c, u64_to_user_ptr(args.uaddr),
			  u64_to_user_ptr(args.uaddr2), args.flags,
			  args.nr_wake, args.nr_wake2, args.op);
}

static long af_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct af_client *c = file->private_data;
	void __user *argp = (void __user *)arg;

	/* each call counts on its own CPU (stats.c) */
	switch (cmd) {
	case ALTFUTEX_IOC_WAIT:
		af_stat_inc(AF_STAT_WAIT);
		return af_ioctl_wait(c, argp);
	case ALTFUTEX_IOC_WAKE:
		af_stat_inc(AF_STAT_WAKE);
		return af_ioctl_wake(c, argp);
	case ALTFUTEX_IOC_REQUEUE:
		af_stat_inc(AF_STAT_REQUEUE);
		return af_ioctl_requeue(c, argp, false);
	case ALTFUTEX_IOC_CMP_REQUEUE:
		af_stat_inc(AF_STAT_CMP_REQUEUE);
		return af_ioctl_requeue(c, argp, true);
	case ALTFUTEX_IOC_FD:
		af_stat_inc(AF_STAT_FD);
		return af_ioctl_fd(c, argp);
	case ALTFUTEX_IOC_FD_REARM:
		af_stat_inc(AF_STAT_FD_REARM);
		return af_ioctl_fd_rearm(argp);
	case ALTFUTEX_IOC_WAIT2:
		af_stat_inc(AF_STAT_WAIT2);
		return af_ioctl_wait2(c, argp);
	case ALTFUTEX_IOC_WAKE2:
		af_stat_inc(AF_STAT_WAKE2);
		return af_ioctl_wake2(c, argp);
	case ALTFUTEX_IOC_WAITV:
		af_stat_inc(AF_STAT_WAITV);
		return af_ioctl_waitv(c, argp);
	case ALTFUTEX_IOC_WAKEV:
		af_stat_inc(AF_STAT_WAKEV);
		return af_ioctl_wakev(c, argp);
	case ALTFUTEX_IOC_WAKE_WAIT:
		af_stat_inc(AF_STAT_WAKE_WAIT);
		return af_ioctl_wake_wait(c, argp);
	case ALTFUTEX_IOC_WAKE_OP:
		af_stat_inc(AF_STAT_WAKE_OP);
		return af_ioctl_wake_op(c, argp);
	default:
		return -ENOTTY;
	}
}

/* Each open file has the core's per-file state: its private table cache. */
static int af_open(struct inode *inode, struct file *file)
{
	struct af_client *c = kzalloc(sizeof(*c), GFP_KERNEL_ACCOUNT);

	if (!c)
		return -ENOMEM;
	file->private_data = c;
	return 0;
}

static int af_release(struct inode *inode, struct file *file)
{
	struct af_client *c = file->private_data;

	af_client_release(c);
	kfree(c);
	return 0;
}

/* The calling process's waiter-count page (counts.c). */
static int af_mmap(struct file *file, struct vm_area_struct *vma)
{
	return af_counts_mmap(file->private_data, vma);
}

static const struct file_operations af_fops = {
	.owner		= THIS_MODULE,
	.open		= af_open,
	.release	= af_release,
	.mmap		= af_mmap,
	.unlocked_ioctl	= af_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= noop_llseek,
};

static struct miscdevice af_miscdev = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "altfutex",
	.fops	= &af_fops,
	.mode	= 0666,
};

static int __init af_init(void)
{
	int ret;

	ret = af_hash_init(hash_size);
	if (ret) {
		pr_err("altfutex: bad hash_size %u: %d\n", hash_size, ret);
		return ret;
	}
	ret = af_restart_init();
	if (ret)
		goto err_hash;
	ret = af_fd_init();
	if (ret)
		goto err_hash;
	af_stats_init();
	ret = misc_register(&af_miscdev);
	if (ret)
		goto err_stats;
	pr_info("altfutex: /dev/altfutex ready, %u hash buckets\n",
		af_hash_size());
	return 0;

err_stats:
	af_stats_exit();
	af_fd_exit();
err_hash:
	af_hash_exit();
	return ret;
}

static void __exit af_exit(void)
{
	misc_deregister(&af_miscdev);
	af_stats_exit();
	af_restart_exit();
	af_fd_exit();
	af_hash_exit();
}

module_init(af_init);
module_exit(af_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("altfutex developers");
MODULE_DESCRIPTION("Alternate futex keyed by (mm, address) or (inode, offset); pins no page");
