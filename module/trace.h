/* SPDX-License-Identifier: GPL-2.0 */
/*
 * altfutex's tracepoints (TRACE_SYSTEM altfutex): under
 * /sys/kernel/tracing/events/altfutex/, and for `perf trace -e
 * 'altfutex:*'`.  trace.c instantiates them (CREATE_TRACE_POINTS); the
 * other files include this header to call trace_altfutex_*().  Off, each
 * costs its caller a static-key NOP; on a kernel without tracepoints the
 * calls compile to nothing.
 *
 * Every address in them is the calling process's own user address; no
 * kernel pointer is recorded.  A wake or requeue that the library
 * answers from the waiter-count page without an ioctl leaves no event.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM altfutex

#if !defined(_ALTFUTEX_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _ALTFUTEX_TRACE_H

#include <linux/tracepoint.h>
#include <linux/types.h>

/* A thread starts waiting: before the value check. */
TRACE_EVENT(altfutex_wait_start,
	TP_PROTO(const void __user *uaddr, u64 val, unsigned int flags,
		 bool timed),
	TP_ARGS(uaddr, val, flags, timed),
	TP_STRUCT__entry(
		__field(unsigned long, uaddr)
		__field(u64, val)
		__field(unsigned int, flags)
		__field(bool, timed)
	),
	TP_fast_assign(
		__entry->uaddr = (unsigned long)uaddr;
		__entry->val = val;
		__entry->flags = flags;
		__entry->timed = timed;
	),
	TP_printk("uaddr=0x%lx val=%llu flags=0x%x timed=%d", __entry->uaddr,
		  __entry->val, __entry->flags, __entry->timed)
);

/* A thread's wait returns @ret (0 woken, or -errno). */
TRACE_EVENT(altfutex_wait_end,
	TP_PROTO(const void __user *uaddr, int ret),
	TP_ARGS(uaddr, ret),
	TP_STRUCT__entry(
		__field(unsigned long, uaddr)
		__field(int, ret)
	),
	TP_fast_assign(
		__entry->uaddr = (unsigned long)uaddr;
		__entry->ret = ret;
	),
	TP_printk("uaddr=0x%lx ret=%d", __entry->uaddr, __entry->ret)
);

/* A WAKE or WAKE2 ioctl: @ret is how many it woke, or -errno. */
TRACE_EVENT(altfutex_wake,
	TP_PROTO(const void __user *uaddr, unsigned int flags, int nr_wake,
		 int ret),
	TP_ARGS(uaddr, flags, nr_wake, ret),
	TP_STRUCT__entry(
		__field(unsigned long, uaddr)
		__field(unsigned int, flags)
		__field(int, nr_wake)
		__field(int, ret)
	),
	TP_fast_assign(
		__entry->uaddr = (unsigned long)uaddr;
		__entry->flags = flags;
		__entry->nr_wake = nr_wake;
		__entry->ret = ret;
	),
	TP_printk("uaddr=0x%lx flags=0x%x nr_wake=%d ret=%d", __entry->uaddr,
		  __entry->flags, __entry->nr_wake, __entry->ret)
);

/*
 * A REQUEUE or CMP_REQUEUE (@cmp, with @val) ioctl: @ret is how many it
 * woke plus how many it moved, or -errno.
 */
TRACE_EVENT(altfutex_requeue,
	TP_PROTO(const u32 __user *uaddr, const u32 __user *uaddr2,
		 unsigned int flags, int nr_wake, int nr_requeue, bool cmp,
		 u32 val, int ret),
	TP_ARGS(uaddr, uaddr2, flags, nr_wake, nr_requeue, cmp, val, ret),
	TP_STRUCT__entry(
		__field(unsigned long, uaddr)
		__field(unsigned long, uaddr2)
		__field(unsigned int, flags)
		__field(int, nr_wake)
		__field(int, nr_requeue)
		__field(bool, cmp)
		__field(u32, val)
		__field(int, ret)
	),
	TP_fast_assign(
		__entry->uaddr = (unsigned long)uaddr;
		__entry->uaddr2 = (unsigned long)uaddr2;
		__entry->flags = flags;
		__entry->nr_wake = nr_wake;
		__entry->nr_requeue = nr_requeue;
		__entry->cmp = cmp;
		__entry->val = val;
		__entry->ret = ret;
	),
	TP_printk("uaddr=0x%lx uaddr2=0x%lx flags=0x%x nr_wake=%d nr_requeue=%d cmp=%d val=%u ret=%d",
		  __entry->uaddr, __entry->uaddr2, __entry->flags,
		  __entry->nr_wake, __entry->nr_requeue, __entry->cmp,
		  __entry->val, __entry->ret)
);

/*
 * An fd waiter is created (@rearm 0) or re-armed (1) on the word at
 * @uaddr (the address it was created with): @ret is the new fd (also
 * @fd; -1 on an error), 0 for a re-arm, or -errno.  A re-arm of a
 * descriptor that is no altfutex fd leaves no event.
 */
TRACE_EVENT(altfutex_fd_arm,
	TP_PROTO(unsigned long uaddr, u32 val, int fd, bool rearm, int ret),
	TP_ARGS(uaddr, val, fd, rearm, ret),
	TP_STRUCT__entry(
		__field(unsigned long, uaddr)
		__field(u32, val)
		__field(int, fd)
		__field(bool, rearm)
		__field(int, ret)
	),
	TP_fast_assign(
		__entry->uaddr = uaddr;
		__entry->val = val;
		__entry->fd = fd;
		__entry->rearm = rearm;
		__entry->ret = ret;
	),
	TP_printk("uaddr=0x%lx val=%u fd=%d rearm=%d ret=%d", __entry->uaddr,
		  __entry->val, __entry->fd, __entry->rearm, __entry->ret)
);

/* A wake or requeue woke the fd waiter created on @uaddr. */
TRACE_EVENT(altfutex_fd_wake,
	TP_PROTO(unsigned long uaddr),
	TP_ARGS(uaddr),
	TP_STRUCT__entry(
		__field(unsigned long, uaddr)
	),
	TP_fast_assign(
		__entry->uaddr = uaddr;
	),
	TP_printk("uaddr=0x%lx", __entry->uaddr)
);

/* The last close of the fd waiter created on @uaddr; @armed: still queued. */
TRACE_EVENT(altfutex_fd_release,
	TP_PROTO(unsigned long uaddr, bool armed),
	TP_ARGS(uaddr, armed),
	TP_STRUCT__entry(
		__field(unsigned long, uaddr)
		__field(bool, armed)
	),
	TP_fast_assign(
		__entry->uaddr = uaddr;
		__entry->armed = armed;
	),
	TP_printk("uaddr=0x%lx armed=%d", __entry->uaddr, __entry->armed)
);

#endif /* _ALTFUTEX_TRACE_H */

/*
 * An out-of-tree module's header is not under include/trace/events:
 * define_trace.h finds it again as "./trace.h" through the -I of
 * module/ that Kbuild gives every file.
 */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
