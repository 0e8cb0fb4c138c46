/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * libaltfutex-preload: what preload.c (the syscall() entry point and the
 * futex(2) operations) and preload_waitv.c (futex_waitv's arguments) share.
 * Nothing here is exported from the library: its version script
 * (preload.map) exports syscall() only.
 */
#ifndef ALTFUTEX_PRELOAD_H
#define ALTFUTEX_PRELOAD_H

#include <stddef.h>
#include <stdint.h>

/* The kernel's 64-bit timespec (futex_waitv's, and futex's on 64-bit). */
struct preload_ts64 {
	int64_t tv_sec;
	int64_t tv_nsec;
};

/*
 * Copy @n bytes of the caller's memory at @src to @dst without faulting:
 * 0, or -EFAULT where the kernel would have failed to read them.  Where
 * the kernel refuses process_vm_readv() (no CONFIG_CROSS_MEMORY_ATTACH,
 * a seccomp filter), it is a plain copy, which faults as a plain read.
 */
int preload_read(void *dst, const void *src, size_t n);

/*
 * The kernel's futex_waitv(2), with flags 0: its result, or a negative
 * errno (errno is clobbered).
 */
long preload_kernel_waitv(const void *waiters, unsigned int nr,
			  const void *timeout, int clockid);

/*
 * futex_waitv(2) on the module: the index of a woken word, or a negative
 * errno as the system call would give it.
 */
long preload_futex_waitv(const void *waiters, unsigned int nr,
			 unsigned int flags, const void *timeout, int clockid);

#endif /* ALTFUTEX_PRELOAD_H */
