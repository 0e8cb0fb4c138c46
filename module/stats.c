// SPDX-License-Identifier: GPL-2.0
/*
 * The statistics file, /sys/kernel/debug/altfutex/stats: one "name value"
 * line each, in this order (README.md, "Observability"):
 *
 *	waiters N		threads queued on an altfutex now (a vector
 *				wait once per word it still has queued)
 *	fd_waiters N		fd waiters queued (armed, not yet woken) now
 *	longest_chain N		the longest queue of one hash bucket now
 *	private_tables N	processes' private tables now
 *	shared_buckets N	buckets of the shared table now
 *	calls_wait N		ioctl calls of each operation since load
 *	calls_wake N
 *	calls_requeue N
 *	calls_cmp_requeue N
 *	calls_fd N
 *	calls_fd_rearm N
 *	calls_wait2 N		(the extended API's, as the others)
 *	calls_wake2 N
 *	calls_waitv N
 *	calls_wakev N
 *	calls_wake_wait N
 *	calls_wake_op N
 *
 * The first five are counted when the file is read, by walking every
 * bucket under its lock (af_hash_census()), so that waiting and waking
 * pay nothing for them; the calls are per-CPU counters (af_stat_inc()).
 * A wake or requeue that the library answers from the waiter-count page
 * makes no ioctl and is not counted.
 *
 * The file is a convenience: a kernel without debugfs, or a failure to
 * create it, leaves the module working without it.
 */
#include <linux/debugfs.h>
#include <linux/percpu.h>
#include <linux/seq_file.h>

#include "altfutex.h"

DEFINE_PER_CPU(struct af_stats, af_stats);

static const char *const af_stat_names[AF_STAT_NR] = {
	[AF_STAT_WAIT]		= "calls_wait",
	[AF_STAT_WAKE]		= "calls_wake",
	[AF_STAT_REQUEUE]	= "calls_requeue",
	[AF_STAT_CMP_REQUEUE]	= "calls_cmp_requeue",
	[AF_STAT_FD]		= "calls_fd",
	[AF_STAT_FD_REARM]	= "calls_fd_rearm",
	[AF_STAT_WAIT2]		= "calls_wait2",
	[AF_STAT_WAKE2]		= "calls_wake2",
	[AF_STAT_WAITV]		= "calls_waitv",
	[AF_STAT_WAKEV]		= "calls_wakev",
	[AF_STAT_WAKE_WAIT]	= "calls_wake_wait",
	[AF_STAT_WAKE_OP]	= "calls_wake_op",
};

static struct dentry *af_debugfs_dir;

static int af_stats_file_show(struct seq_file *m, void *unused)
{
	struct af_census cs;
	unsigned long sum;
	unsigned int cpu;
	int i;

	af_hash_census(&cs);
	seq_printf(m, "waiters %lu\n", cs.threads);
	seq_printf(m, "fd_waiters %lu\n", cs.fds);
	seq_printf(m, "longest_chain %lu\n", cs.longest);
	seq_printf(m, "private_tables %lu\n", cs.tables);
	seq_printf(m, "shared_buckets %u\n", cs.shared_buckets);
	for (i = 0; i < AF_STAT_NR; i++) {
		sum = 0;
		for_each_possible_cpu(cpu)
			sum += per_cpu(af_stats, cpu).calls[i];
		seq_printf(m, "%s %lu\n", af_stat_names[i], sum);
	}
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(af_stats_file);

/* Errors are ignored, as debugfs wants: the module works without it. */
void af_stats_init(void)
{
	af_debugfs_dir = debugfs_create_dir("altfutex", NULL);
	debugfs_create_file("stats", 0444, af_debugfs_dir, NULL,
			    &af_stats_file_fops);
}

/* Waits for readers of the file, which walk the tables, to leave it. */
void af_stats_exit(void)
{
	debugfs_remove(af_debugfs_dir);
	af_debugfs_dir = NULL;
}
