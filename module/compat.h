/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every difference between the kernels altfutex builds for lives here, so
 * that no other file tests a kernel version.  Kbuild detects each feature
 * in the target kernel's headers (AF_HAVE_*), which also copes with
 * distribution backports.
 */
#ifndef _ALTFUTEX_COMPAT_H
#define _ALTFUTEX_COMPAT_H

#include <linux/hrtimer.h>

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

#endif /* _ALTFUTEX_COMPAT_H */
