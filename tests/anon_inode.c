// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * anon_inode: mappings of anonymous-inode files (perf ring buffers, BPF
 * maps, KVM vCPUs, ...) are MAP_SHARED mappings of files that all share
 * one inode, anon_inode_inode, across every process of the system.  A key
 * of (inode, offset) on such a page would make the same offset of two
 * unrelated processes' perf buffers one futex: a process could wake, or
 * requeue, another's waiters.
 *
 * Two processes A and B each open a perf event on themselves (software,
 * dummy) and map its ring buffer; the word is at offset 2048 of the
 * metadata page, in its reserved area, which the kernel never writes.  A
 * waits there (flags 0); B's wake on the same offset of its own buffer
 * must wake nobody, and B's requeue from there to another word must move
 * nobody: A's waiter must then still be woken through A's own word.
 *
 * The module may key such a word by the open file, or refuse it with
 * -EFAULT; both are accepted.  Keyed by the file, one buffer shared by
 * threads, or mapped again by a child through the inherited perf fd, is
 * still one futex: that is checked too.  Skipped (77) if perf_event_open()
 * is refused (perf_event_paranoid) or the buffer cannot be mapped.
 */
#include <linux/perf_event.h>

#include "helpers.h"

#define OFF 2048	/* in the reserved area of struct perf_event_mmap_page */
#define OFF2 2052

static int perf_fd = -1;
static int failures;

#define bad(fmt, ...) do {						\
	t_log("FAIL: " fmt, ##__VA_ARGS__);				\
	failures++;							\
} while (0)

/* Open a perf event on this process and map its ring buffer (1+1 pages). */
static int64_t perf_map(uint64_t unused)
{
	struct perf_event_attr attr = {
		.type = PERF_TYPE_SOFTWARE,
		.size = sizeof(attr),
		.config = PERF_COUNT_SW_DUMMY,
		.disabled = 1,
		.exclude_kernel = 1,
		.exclude_hv = 1,
	};
	void *p;

	perf_fd = (int)syscall(SYS_perf_event_open, &attr, 0, -1, -1,
			       PERF_FLAG_FD_CLOEXEC);
	if (perf_fd < 0)
		return -errno;
	p = mmap(NULL, 2 * PGSZ, PROT_READ | PROT_WRITE, MAP_SHARED, perf_fd,
		 0);
	if (p == MAP_FAILED)
		return -errno;
	*U32_AT(p, OFF) = 0;
	*U32_AT(p, OFF2) = 0;
	return (int64_t)(uintptr_t)p;
}

/* In B: move one waiter of B's word at OFF to OFF2. */
static int64_t requeue_own(uint64_t base)
{
	return altfutex_requeue(U32_AT(base, OFF), U32_AT(base, OFF2), 0, 1,
				0);
}

static char *map_in(struct puppet *p)
{
	int64_t r = p_call(p, perf_map, 0);

	if (r < 0)
		t_fail("perf buffer in %s: %s", pname(p), strerror((int)-r));
	return (char *)(uintptr_t)r;
}

/* A and B, unrelated buffers: no wake or requeue may cross. */
static void check_unrelated(int refused)
{
	struct puppet a, b;
	struct p_waiter w;
	char *pa, *pb;
	int r;

	puppet_start(&a, "A", NULL, NULL);
	puppet_start(&b, "B", NULL, NULL);
	pa = map_in(&a);
	pb = map_in(&b);
	if (refused) {
		r = p_wait(&a, U32_AT(pa, OFF), 0, 0, 0);
		if (r != -EFAULT)
			bad("A's wait: %d (%s), expected -EFAULT", r, strerror(-r));
		r = p_wake(&b, U32_AT(pb, OFF), 1, 0);
		if (r != -EFAULT && r != 0)
			bad("B's wake: %d (%s), expected -EFAULT", r, strerror(-r));
		goto out;
	}

	w = w_start(&a, U32_AT(pa, OFF), 0, 0, T_SAFETY_MS, "A's waiter");
	r = p_wake(&b, U32_AT(pb, OFF), 1, 0);
	if (r) {
		bad("B's wake on its own perf buffer returned %d: it woke A's waiter",
		    r);
		if (w_poll(&w) != -1) {
			w_join(&w);
			w = w_start(&a, U32_AT(pa, OFF), 0, 0, T_SAFETY_MS,
				    "A's waiter");
		}
	} else {
		w_check_asleep(&w, 50);
		t_log("ok: B's wake on its own buffer woke nobody");
	}

	r = (int)p_call(&b, requeue_own, (uintptr_t)pb);
	if (r)
		bad("B's requeue on its own perf buffer returned %d: it moved A's waiter",
		    r);
	r = p_wake(&a, U32_AT(pa, OFF), 1, 0);
	if (r != 1) {
		bad("A's wake on its own word returned %d, expected 1", r);
		/* it was moved to OFF2: wake it there, to finish */
		r = p_wake(&a, U32_AT(pa, OFF2), 1, 0);
		t_log("A's wake at offset %d (where B's requeue moved it): %d",
		      OFF2, r);
	} else {
		t_log("ok: B's requeue moved nobody; A's wake woke A's waiter");
	}
	w_expect(&w, 0);
out:
	puppet_stop(&a);
	puppet_stop(&b);
}

/* One buffer (one open file): shared by threads and by a forked child. */
static void check_same_file(char *self)
{
	struct puppet c;
	struct p_waiter w;
	char *pc;
	int r;

	w = w_start(NULL, U32_AT(self, OFF), 0, 0, T_SAFETY_MS, "thread");
	r = altfutex_wake(U32_AT(self, OFF), 1, 0);
	if (r != 1)
		bad("wake by another thread, same buffer: %d, expected 1", r);
	else
		t_log("ok: same buffer, two threads: one futex");
	w_expect(&w, 0);

	/* perf mappings are VM_DONTCOPY: the child maps the inherited fd */
	puppet_start(&c, "child", NULL, NULL);
	pc = p_mmap(&c, NULL, 2 * PGSZ, PROT_READ | PROT_WRITE, MAP_SHARED,
		    perf_fd, 0);
	w = w_start(NULL, U32_AT(self, OFF), 0, 0, T_SAFETY_MS, "parent");
	r = p_wake(&c, U32_AT(pc, OFF), 1, 0);
	if (r != 1)
		bad("wake by a child through the inherited perf fd: %d, expected 1",
		    r);
	else
		t_log("ok: same buffer mapped by a child through the inherited fd: one futex");
	w_expect(&w, 0);
	puppet_stop(&c);
}

int main(void)
{
	struct timespec zero = { 0, 0 };
	int64_t r;
	char *self;
	int refused;

	t_init("anon_inode", 60);
	r = perf_map(0);
	if (r < 0)
		t_skip("a perf ring buffer: %s", strerror((int)-r));
	self = (char *)(uintptr_t)r;

	/* keyed (a zero timeout expires) or refused with -EFAULT */
	r = altfutex_wait(U32_AT(self, OFF), 0, &zero, 0);
	CHECK(r == -ETIMEDOUT || r == -EFAULT,
	      "wait on a perf buffer: %d (%s)", (int)r, strerror((int)-r));
	refused = r == -EFAULT;
	t_log("a word of a perf buffer is %s",
	      refused ? "refused (-EFAULT)" : "a futex");

	check_unrelated(refused);
	if (!refused)
		check_same_file(self);
	if (failures)
		t_fail("%d check(s) failed (above)", failures);
	t_log("PASS");
	return T_PASS;
}
