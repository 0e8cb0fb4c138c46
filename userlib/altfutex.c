// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * libaltfutex: thin wrappers around the /dev/altfutex ioctls.
 *
 * The state is the process's device descriptor and its waiter-count page.
 * The descriptor is opened on first use and published with a
 * compare-and-swap, so concurrent first calls (even from signal handlers)
 * open it at most once for good; a loser closes its own descriptor.  The
 * descriptor survives fork(), so a child keeps working.
 *
 * Wakes that cost no system call
 * ------------------------------
 * The device maps, read-only, a page of counts of the calling process's
 * waiters on private keys (<linux/altfutex.h>, "The waiter-count page").
 * altfutex_wake() and altfutex_requeue() with flags == ALTFUTEX_PRIVATE,
 * altfutex_wake2() with ALTFUTEX_PRIVATE (and a size), and each such word
 * of altfutex_wakev() store nothing themselves: the caller stored the
 * word (K1) before the call; they issue a full fence (MKu) and, if the
 * count of the word is 0 (K0u), return 0 without the ioctl (wakev leaves
 * that word out).  The module's wait.c argues why no
 * wake is lost ("The waiter-count page").  They do so only where the
 * kernel would return 0 too: an aligned address the kernel would not
 * call -EFAULT (at most ALTFUTEX_FAST_MAX), counts >= 0 for a requeue;
 * anything else goes to the ioctl, which gives the error.  A WAIT never
 * reads the word here: a bad address must stay -EFAULT, not SIGSEGV.
 *
 * The page is mapped, on the first private wake or requeue, over a page
 * of our own data (altfutex_count_page).  A child made by fork(),
 * _Fork(), or clone() without CLONE_VM keeps the mapping, and the kernel
 * shows it the child's own counts there.  Where mapping fails (an old
 * module, a sandbox, no memory) the ioctl is used, as it is when the
 * environment variable ALTFUTEX_NO_FASTPATH is set (to measure the
 * ioctl path).
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "altfutex.h"

#define ALTFUTEX_DEVICE "/dev/altfutex"
#define NSEC_PER_SEC 1000000000L

static int altfutex_devfd = -1;

int altfutex_open(void)
{
	int fd = __atomic_load_n(&altfutex_devfd, __ATOMIC_ACQUIRE);
	int expected = -1;

	if (fd >= 0)
		return fd;
	fd = open(ALTFUTEX_DEVICE, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (!__atomic_compare_exchange_n(&altfutex_devfd, &expected, fd, 0,
					 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		close(fd);
		return expected;
	}
	return fd;
}

/* ioctl() on the device; errno is preserved for the caller. */
static int altfutex_ioctl(unsigned long req, void *arg)
{
	int saved = errno;
	int fd = altfutex_open();
	int ret;

	if (fd < 0)
		return fd;
	ret = ioctl(fd, req, arg);
	if (ret < 0)
		ret = -errno;
	errno = saved;
	return ret;
}

/*
 * The highest word the kernel takes (TASK_SIZE_MAX on x86-64 with 4-level
 * page tables, less the word): above it, or on a 5-level machine above
 * that, the ioctl decides.
 */
#define ALTFUTEX_FAST_MAX	((1ULL << 47) - 4096 - 4)

/*
 * The count page is mapped over this page of our own data, which until
 * then says "maybe a waiter" for every word: the fast path reads the
 * counts at an address fixed at link time, with no pointer to load and
 * nothing to test first.  Where the page cannot be mapped it stays so,
 * and every call takes the ioctl.  fork() keeps the mapping, and the
 * kernel gives the child its own counts there (the mapping is wiped on
 * fork and refilled on the child's first read), so there is nothing to
 * do after fork().  Not static: the compiler must not assume that
 * nothing writes it.
 */
__attribute__((visibility("hidden"), aligned(ALTFUTEX_COUNT_PAGE_SIZE)))
uint32_t altfutex_count_page[ALTFUTEX_COUNT_SLOTS] = {
	[0 ... ALTFUTEX_COUNT_SLOTS - 1] = 1,
};

/* Mapping the count page: not tried yet, under way, done or impossible. */
enum {
	ALTFUTEX_PAGE_UNTRIED,
	ALTFUTEX_PAGE_BUSY,
	ALTFUTEX_PAGE_MAPPED,
	ALTFUTEX_PAGE_OFF,
};

static int altfutex_page_state;

/*
 * Map the count page over altfutex_count_page, once: called on the ioctl
 * path, so the first private wake or requeue of a process maps it for the
 * next ones.  It is mapped elsewhere first (an old module, a sandbox fail
 * there, harmlessly), then moved in place with mremap(), which replaces
 * our page in one step; should even that fail, our page is put back.
 */
static void altfutex_fast_prepare(void)
{
	int state = ALTFUTEX_PAGE_UNTRIED, saved, fd;
	void *page = altfutex_count_page, *m;

	if (__atomic_load_n(&altfutex_page_state, __ATOMIC_RELAXED) !=
	    ALTFUTEX_PAGE_UNTRIED ||
	    !__atomic_compare_exchange_n(&altfutex_page_state, &state,
					 ALTFUTEX_PAGE_BUSY, 0,
					 __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
		return;
	saved = errno;
	state = ALTFUTEX_PAGE_OFF;
	fd = altfutex_open();
	if (fd < 0 || getenv("ALTFUTEX_NO_FASTPATH") ||
	    sysconf(_SC_PAGESIZE) != ALTFUTEX_COUNT_PAGE_SIZE)
		goto out;
	m = mmap(NULL, ALTFUTEX_COUNT_PAGE_SIZE, PROT_READ, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		goto out;
	if (mremap(m, ALTFUTEX_COUNT_PAGE_SIZE, ALTFUTEX_COUNT_PAGE_SIZE,
		   MREMAP_MAYMOVE | MREMAP_FIXED, page) == page) {
		state = ALTFUTEX_PAGE_MAPPED;
		goto out;
	}
	munmap(m, ALTFUTEX_COUNT_PAGE_SIZE);
	m = mmap(page, ALTFUTEX_COUNT_PAGE_SIZE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	if (m == page) {
		for (size_t i = 0; i < ALTFUTEX_COUNT_SLOTS; i++)
			altfutex_count_page[i] = 1;
	}
out:
	__atomic_store_n(&altfutex_page_state, state, __ATOMIC_RELEASE);
	errno = saved;
}

/*
 * Why the fast path may not answer for the word at @a with @flags: not 0
 * unless the flags are ALTFUTEX_PRIVATE and the word is aligned and one
 * the kernel would not call -EFAULT (every aligned 32-bit address is).
 * No branch: the caller tests it with the count, once.
 */
static inline uintptr_t altfutex_fast_bad_sized(uintptr_t a, uintptr_t align,
						unsigned int flags)
{
#if UINTPTR_MAX > 0xffffffffu
	/*
	 * An aligned a is at most ALTFUTEX_FAST_MAX = 2^47 - 4096 - 4 when
	 * a + 4096 stays below 2^47 (and a word of any size then ends below
	 * the kernel's limit); a itself at or above 2^47 (the sum may then
	 * wrap) has a high bit set too.  So the low bits and bits 47 to 63
	 * of (a + 4096) | a say it all, in one mask.
	 */
	uintptr_t t = (a + 4096) | a;

	return (t & (0xffff800000000000ULL | align)) |
	       (flags ^ ALTFUTEX_PRIVATE);
#else
	return (a & align) | (flags ^ ALTFUTEX_PRIVATE);
#endif
}

/* The same for a 32-bit word of the first API. */
static inline uintptr_t altfutex_fast_bad(uintptr_t a, unsigned int flags)
{
	return altfutex_fast_bad_sized(a, 3, flags);
}

/* The bytes of a word whose flags hold @flags' ALTFUTEX_SIZE_* field. */
static inline unsigned int altfutex_size(unsigned int flags)
{
	static const unsigned char size[4] = { 4, 1, 2, 8 };

	return size[(flags & ALTFUTEX_SIZE_MASK) / ALTFUTEX_SIZE_U8];
}

/*
 * The same for a word of the extended API: its size in its flags, and a
 * mask of 0 (-EINVAL) left to the kernel too.
 */
static inline uintptr_t altfutex_fast_bad2(uintptr_t a, uint32_t mask,
					   unsigned int flags)
{
	return altfutex_fast_bad_sized(a, altfutex_size(flags) - 1,
				       flags & ~ALTFUTEX_SIZE_MASK) | !mask;
}

/*
 * The count of the private word at @a: 0 if no waiter can be queued on
 * it.  (MKu) and (K0u) of the module's ordering argument; the caller's
 * store to the word is its (K1).  Any address gives a slot in the page,
 * so the count is read before the caller tests whether the fast path may
 * answer at all.
 */
static inline __attribute__((always_inline)) uint32_t altfutex_count(uintptr_t a)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);			/* (MKu) */
	return __atomic_load_n(&altfutex_count_page[altfutex_count_slot(a)],
			       __ATOMIC_RELAXED);			/* (K0u) */
}

/*
 * The timeout of a wait, into the ioctl's @ts and @flags (the caller's
 * flags): 0, or -EINVAL for a bad one.  A relative timeout is turned into
 * an absolute CLOCK_MONOTONIC deadline here, before the ioctl: when a
 * stop signal or a handler-less signal makes the kernel restart the call,
 * the restarted wait then ends at the same moment instead of starting the
 * whole interval again.
 */
static int altfutex_deadline(const struct timespec *timeout,
			     struct altfutex_timespec *ts, uint32_t *flags)
{
	struct timespec now;
	int64_t carry = 0;

	if (!timeout)
		return 0;
	if (timeout->tv_sec < 0 || timeout->tv_nsec < 0 ||
	    timeout->tv_nsec >= NSEC_PER_SEC)
		return -EINVAL;
	*flags |= ALTFUTEX_TIMEOUT;
	ts->tv_sec = timeout->tv_sec;
	ts->tv_nsec = timeout->tv_nsec;
	if (*flags & ALTFUTEX_ABSTIME)
		return 0;
	/* cannot fail for CLOCK_MONOTONIC */
	clock_gettime(CLOCK_MONOTONIC, &now);
	*flags &= ~ALTFUTEX_CLOCK_REALTIME;
	*flags |= ALTFUTEX_ABSTIME;
	ts->tv_nsec += now.tv_nsec;
	if (ts->tv_nsec >= NSEC_PER_SEC) {
		ts->tv_nsec -= NSEC_PER_SEC;
		carry = 1;
	}
	/* a deadline past the end of time is no deadline */
	if (ts->tv_sec > INT64_MAX - now.tv_sec - carry)
		ts->tv_sec = INT64_MAX;
	else
		ts->tv_sec += now.tv_sec + carry;
	return 0;
}

int altfutex_wait(uint32_t *uaddr, uint32_t val,
		  const struct timespec *timeout, unsigned int flags)
{
	struct altfutex_wait_args args = {
		.uaddr = (uintptr_t)uaddr,
		.val = val,
		.flags = flags,
	};
	int ret;

	if (flags & ~ALTFUTEX_FLAGS_MASK)
		return -EINVAL;
	ret = altfutex_deadline(timeout, &args.timeout, &args.flags);
	if (ret)
		return ret;
	return altfutex_ioctl(ALTFUTEX_IOC_WAIT, &args);
}

static __attribute__((noinline))
int altfutex_wake_ioctl(uint32_t *uaddr, int nr_wake, unsigned int flags)
{
	struct altfutex_wake_args args = {
		.uaddr = (uintptr_t)uaddr,
		.nr_wake = nr_wake,
		.flags = flags,
	};

	if (flags == ALTFUTEX_PRIVATE)
		altfutex_fast_prepare();
	return altfutex_ioctl(ALTFUTEX_IOC_WAKE, &args);
}

int altfutex_wake(uint32_t *uaddr, int nr_wake, unsigned int flags)
{
	uintptr_t a = (uintptr_t)uaddr;

	if (!(altfutex_fast_bad(a, flags) | altfutex_count(a)))
		return 0;
	return altfutex_wake_ioctl(uaddr, nr_wake, flags);
}

static int altfutex_do_requeue(unsigned long req, uint32_t *uaddr,
			       uint32_t *uaddr2, int nr_wake, int nr_requeue,
			       uint32_t val, unsigned int flags)
{
	struct altfutex_requeue_args args = {
		.uaddr = (uintptr_t)uaddr,
		.uaddr2 = (uintptr_t)uaddr2,
		.nr_wake = nr_wake,
		.nr_requeue = nr_requeue,
		.val = val,
		.flags = flags,
	};

	return altfutex_ioctl(req, &args);
}

static __attribute__((noinline))
int altfutex_requeue_ioctl(uint32_t *uaddr, uint32_t *uaddr2, int nr_wake,
			   int nr_requeue, unsigned int flags)
{
	if (flags == ALTFUTEX_PRIVATE)
		altfutex_fast_prepare();
	return altfutex_do_requeue(ALTFUTEX_IOC_REQUEUE, uaddr, uaddr2,
				   nr_wake, nr_requeue, 0, flags);
}

int altfutex_requeue(uint32_t *uaddr, uint32_t *uaddr2,
		     int nr_wake, int nr_requeue, unsigned int flags)
{
	uintptr_t a = (uintptr_t)uaddr;

	/* where the kernel would return 0: nobody to wake or to move */
	if (!(altfutex_fast_bad(a | (uintptr_t)uaddr2, flags) |
	      (uint32_t)(nr_wake | nr_requeue) >> 31 | altfutex_count(a)))
		return 0;
	return altfutex_requeue_ioctl(uaddr, uaddr2, nr_wake, nr_requeue,
				      flags);
}

int altfutex_cmp_requeue(uint32_t *uaddr, uint32_t *uaddr2,
			 int nr_wake, int nr_requeue, uint32_t val,
			 unsigned int flags)
{
	return altfutex_do_requeue(ALTFUTEX_IOC_CMP_REQUEUE, uaddr, uaddr2,
				   nr_wake, nr_requeue, val, flags);
}

int altfutex_fd(uint32_t *uaddr, uint32_t val, unsigned int flags)
{
	struct altfutex_fd_args args = {
		.uaddr = (uintptr_t)uaddr,
		.val = val,
		.flags = flags,
	};

	return altfutex_ioctl(ALTFUTEX_IOC_FD, &args);
}

int altfutex_fd_rearm(int fd, uint32_t val)
{
	struct altfutex_rearm_args args = {
		.fd = fd,
		.val = val,
	};

	return altfutex_ioctl(ALTFUTEX_IOC_FD_REARM, &args);
}

/* ---- the extended API ---------------------------------------------------- */

int altfutex_wait2(void *uaddr, uint64_t val, uint32_t mask,
		   const struct timespec *timeout, unsigned int flags)
{
	struct altfutex_wait2_args args = {
		.uaddr = (uintptr_t)uaddr,
		.val = val,
		.mask = mask,
		.flags = flags,
	};
	int ret;

	if (flags & ~ALTFUTEX_FLAGS2_MASK)
		return -EINVAL;
	ret = altfutex_deadline(timeout, &args.timeout, &args.flags);
	if (ret)
		return ret;
	return altfutex_ioctl(ALTFUTEX_IOC_WAIT2, &args);
}

static __attribute__((noinline))
int altfutex_wake2_ioctl(void *uaddr, uint32_t mask, int nr_wake,
			 unsigned int flags)
{
	struct altfutex_wake2_args args = {
		.uaddr = (uintptr_t)uaddr,
		.mask = mask,
		.nr_wake = nr_wake,
		.flags = flags,
	};

	if (flags & ALTFUTEX_PRIVATE)
		altfutex_fast_prepare();
	return altfutex_ioctl(ALTFUTEX_IOC_WAKE2, &args);
}

/* The fast path of altfutex_wake(), for a word of any size. */
int altfutex_wake2(void *uaddr, uint32_t mask, int nr_wake,
		   unsigned int flags)
{
	uintptr_t a = (uintptr_t)uaddr;

	if (!(altfutex_fast_bad2(a, mask, flags) | altfutex_count(a)))
		return 0;
	return altfutex_wake2_ioctl(uaddr, mask, nr_wake, flags);
}

/*
 * struct altfutex_waiter is struct altfutex_vec on 64-bit: the vector is
 * passed as it is.  On 32-bit its pointer is 4 bytes, and it is copied.
 */
#define ALTFUTEX_VEC_SAME_LAYOUT					\
	(sizeof(struct altfutex_waiter) == sizeof(struct altfutex_vec) &&	\
	 offsetof(struct altfutex_waiter, val) ==			\
	 offsetof(struct altfutex_vec, val) &&				\
	 offsetof(struct altfutex_waiter, flags) ==			\
	 offsetof(struct altfutex_vec, flags) &&			\
	 offsetof(struct altfutex_waiter, nr_wake) ==			\
	 offsetof(struct altfutex_vec, nr_wake))

static void altfutex_vec_of(struct altfutex_vec *dst,
			    const struct altfutex_waiter *src)
{
	dst->uaddr = (uintptr_t)src->uaddr;
	dst->val = src->val;
	dst->flags = src->flags;
	dst->nr_wake = src->nr_wake;
}

int altfutex_waitv(const struct altfutex_waiter *v, unsigned int n,
		   const struct timespec *timeout, unsigned int flags)
{
	struct altfutex_vec copy[ALTFUTEX_VEC_SAME_LAYOUT ? 1 :
				 ALTFUTEX_VEC_MAX];
	struct altfutex_waitv_args args = {
		.words = (uintptr_t)v,
		.nr = n,
		.flags = flags,
	};
	unsigned int i;
	int ret;

	if (flags & ~(ALTFUTEX_ABSTIME | ALTFUTEX_CLOCK_REALTIME) ||
	    !n || n > ALTFUTEX_VEC_MAX)
		return -EINVAL;
	ret = altfutex_deadline(timeout, &args.timeout, &args.flags);
	if (ret)
		return ret;
	if (!ALTFUTEX_VEC_SAME_LAYOUT) {
		for (i = 0; i < n; i++)
			altfutex_vec_of(&copy[i], &v[i]);
		args.words = (uintptr_t)copy;
	}
	return altfutex_ioctl(ALTFUTEX_IOC_WAITV, &args);
}

/*
 * Each word's wake, in one ioctl.  The fast path of altfutex_wake2()
 * applies to each word: after one full fence (MKu), a private word whose
 * count is 0 is left out, and if none is left there is no ioctl.  Only
 * words the kernel would answer 0 for are left out, so the first error is
 * still the kernel's to give.
 */
int altfutex_wakev(const struct altfutex_waiter *v, unsigned int n)
{
	struct altfutex_vec copy[ALTFUTEX_VEC_MAX];
	struct altfutex_wakev_args args = { .words = (uintptr_t)v };
	unsigned int i, kept = 0;
	uintptr_t a;

	if (!n || n > ALTFUTEX_VEC_MAX)
		return -EINVAL;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);			/* (MKu) */
	for (i = 0; i < n; i++) {
		a = (uintptr_t)v[i].uaddr;
		if (!(altfutex_fast_bad2(a, 1, v[i].flags) |
		      __atomic_load_n(&altfutex_count_page[altfutex_count_slot(a)],
				      __ATOMIC_RELAXED)))		/* (K0u) */
			continue;
		altfutex_vec_of(&copy[kept++], &v[i]);
	}
	if (!kept)
		return 0;
	if (kept < n || !ALTFUTEX_VEC_SAME_LAYOUT)
		args.words = (uintptr_t)copy;
	args.nr = kept;
	altfutex_fast_prepare();
	return altfutex_ioctl(ALTFUTEX_IOC_WAKEV, &args);
}

int altfutex_wake_wait(void *wake_uaddr, int nr_wake, void *wait_uaddr,
		       uint64_t val, const struct timespec *timeout,
		       unsigned int flags)
{
	struct altfutex_wake_wait_args args = {
		.wake_uaddr = (uintptr_t)wake_uaddr,
		.wait_uaddr = (uintptr_t)wait_uaddr,
		.val = val,
		.nr_wake = nr_wake,
		.flags = flags,
	};
	int ret;

	if (flags & ~ALTFUTEX_FLAGS2_MASK)
		return -EINVAL;
	ret = altfutex_deadline(timeout, &args.timeout, &args.flags);
	if (ret)
		return ret;
	return altfutex_ioctl(ALTFUTEX_IOC_WAKE_WAIT, &args);
}

int altfutex_wake_op(uint32_t *uaddr, uint32_t *uaddr2, int nr_wake,
		     int nr_wake2, uint32_t op, unsigned int flags)
{
	struct altfutex_wake_op_args args = {
		.uaddr = (uintptr_t)uaddr,
		.uaddr2 = (uintptr_t)uaddr2,
		.nr_wake = nr_wake,
		.nr_wake2 = nr_wake2,
		.op = op,
		.flags = flags,
	};

	return altfutex_ioctl(ALTFUTEX_IOC_WAKE_OP, &args);
}
