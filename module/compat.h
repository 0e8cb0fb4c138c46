/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every difference between the kernels altfutex builds for lives here, so
 * that no other file tests a kernel version.  Kbuild detects each feature
 * in the target kernel's headers (AF_HAVE_*), which also copes with
 * distribution backports, and puts this file before every source file
 * (-include): none includes it by hand.
 */
#ifndef _ALTFUTEX_COMPAT_H
#define _ALTFUTEX_COMPAT_H

#include <linux/hrtimer.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/nsproxy.h>
#include <linux/sched.h>
#include <linux/time_namespace.h>

/* 6.13 replaced hrtimer_init_sleeper_on_stack() by a _setup_ variant. */
#ifdef AF_HAVE_HRTIMER_SETUP
static inline void af_sleeper_setup(struct hrtimer_sleeper *sl,
				    clockid_t clock, enum hrtimer_mode mode)
{
	hrtimer_setup_sleeper_on_stack(sl, clock, mode);
}
#else
static inline void af_sleeper_setup(struct hrtimer_sleeper *sl,
				    clockid_t clock, enum hrtimer_mode mode)
{
	hrtimer_init_sleeper_on_stack(sl, clock, mode);
}
#endif

/*
 * A CLOCK_MONOTONIC time @t of the calling task's time namespace, as a
 * time of the host's CLOCK_MONOTONIC: what clock_nanosleep() does with an
 * absolute deadline.  The kernel's own helper, do_timens_ktime_to_host(),
 * is not exported; the offsets are in the header.  A time before the
 * host's boot is 0 (already past), one past the end of time KTIME_MAX.
 * Kernels built without time namespaces have no offset to apply.
 */
#ifdef CONFIG_TIME_NS
static inline ktime_t af_timens_to_host(ktime_t t)
{
	struct time_namespace *ns = current->nsproxy->time_ns;
	ktime_t off = timespec64_to_ktime(ns->offsets.monotonic);

	if (likely(!off))
		return t;
	if (off < 0 && t > KTIME_MAX + off)
		return KTIME_MAX;
	return t < off ? 0 : ktime_sub(t, off);
}
#else
static inline ktime_t af_timens_to_host(ktime_t t)
{
	return t;
}
#endif

/* 6.3 made vm_flags read-only outside the helpers that change it. */
#ifdef AF_HAVE_VM_FLAGS_MOD
static inline void af_vm_flags_mod(struct vm_area_struct *vma,
				   vm_flags_t set, vm_flags_t clear)
{
	vm_flags_mod(vma, set, clear);
}
#else
static inline void af_vm_flags_mod(struct vm_area_struct *vma,
				   vm_flags_t set, vm_flags_t clear)
{
	vma->vm_flags = (vma->vm_flags | set) & ~clear;
}
#endif

/*
 * 6.13 made symbol namespaces strings.  altfutex_kunit.ko imports the one
 * EXPORT_SYMBOL_IF_KUNIT() exports into (MODULE_IMPORT_NS(AF_KUNIT_NS)).
 */
#ifdef AF_HAVE_STRING_NS
#define AF_KUNIT_NS	"EXPORTED_FOR_KUNIT_TESTING"
#else
#define AF_KUNIT_NS	EXPORTED_FOR_KUNIT_TESTING
#endif

#endif /* _ALTFUTEX_COMPAT_H */
