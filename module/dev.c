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

static bool af_misaligned(u64 uaddr)
{
	return uaddr & (sizeof(u32) - 1);
}

/* What every call on a word rejects: a flag outside @allowed, misalignment. */
static bool af_bad_word(u64 uaddr, u32 flags, u32 allowed)
{
	return (flags & ~allowed) || af_misaligned(uaddr);
}

static int af_ioctl_wait(struct af_client *c, void __user *argp)
{
	struct altfutex_wait_args args;
	struct timespec64 ts, *timeout = NULL;

	if (copy_from_user(&args, argp, sizeof(args)))
		return -EFAULT;
	if (af_bad_word(args.uaddr, args.flags,
			ALTFUTEX_FLAGS_MASK | ALTFUTEX_TIMEOUT))
		return -EINVAL;
	if (args.flags & ALTFUTEX_TIMEOUT) {
		ts.tv_sec = args.timeout.tv_sec;
		ts.tv_nsec = args.timeout.tv_nsec;
		if (ts.tv_sec < 0 || !timespec64_valid(&ts))
			return -EINVAL;
		timeout = &ts;
	} else if (args.timeout.tv_sec || args.timeout.tv_nsec) {
		return -EINVAL;
	}
	return af_wait(c, u64_to_user_ptr(args.uaddr),
		       args.flags & ALTFUTEX_FLAGS_MASK, args.val, timeout);
}

static int af_ioctl_wake(struct af_client *c, void __user *argp)
{
	struct altfutex_wake_args args;

	if (copy_from_user(&args, argp, sizeof(args)))
		return -EFAULT;
	if (af_bad_word(args.uaddr, args.flags, ALTFUTEX_PRIVATE))
		return -EINVAL;
	return af_wake(c, u64_to_user_ptr(args.uaddr), args.flags,
		       args.nr_wake);
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
