/* SPDX-License-Identifier: GPL-2.0 */
/*
 * altfutex core: keys, hash buckets and waiters.  Nothing here knows about
 * ioctls; dev.c decodes those and calls the af_*() operations below.
 *
 * The small steps every call takes (a private word's key, dropping a key,
 * finding a bucket, an empty wake list) are inline functions here rather
 * than calls into the file of their concern: each call and return saved
 * on those paths showed in the benchmark's wake with no waiter (README,
 * "What was optimized"; bench/history/run4-v7-v8.txt).  The key rules
 * themselves are in key.c.
 */
#ifndef _ALTFUTEX_CORE_H
#define _ALTFUTEX_CORE_H

#include <kunit/visibility.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/hrtimer.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/percpu.h>
#include <linux/percpu-rwsem.h>
#include <linux/refcount.h>
#include <linux/rhashtable-types.h>
#include <linux/sched.h>
#include <linux/siphash.h>
#include <linux/spinlock.h>
#include <linux/time64.h>
#include <linux/types.h>
#include <linux/uaccess.h>
#include <uapi/linux/altfutex.h>

/* ---- keys (key.c) ------------------------------------------------------ */

enum af_key_type {
	AF_KEY_PRIVATE,		/* object is a struct mm_struct * */
	AF_KEY_SHARED,		/* object is a struct inode * or struct file * */
};

/*
 * What identifies a futex.  Private: (mm, user address).  Shared: (inode,
 * byte offset of the word in the file) for memory that is a file's page
 * cache, or (open file, byte offset) for memory a driver maps (see
 * af_key_vma()).  No key holds a page.  Every key in use keeps its object
 * alive, either by a reference (a shared key holds its mapping's file, an
 * fd waiter's private key its mm's table, which mmgrab()s the mm) or
 * because the thread using it runs in that mm (see key.c), so an object
 * cannot be freed and recycled while a key names it: an mm, an inode and
 * a file can never compare equal, and a stale key can never match a new
 * object.
 *
 * A shared key holds the *file*, not only the inode: the file pins the
 * mount, so the filesystem cannot be shut down under a waiter (an inode
 * alone does not keep its superblock alive: "Busy inodes after unmount").
 */
struct af_key {
	void *object;
	u64 word;
	union {
		struct file *file;	/* shared: the reference the key holds */
		struct af_ptable *pt;	/* private: its mm's table, or NULL */
	};
	enum af_key_type type;
};

struct af_client;
struct af_ptable *af_client_table(struct af_client *c, bool create);

int af_key_lookup_shared(void __user *uaddr, struct af_key *key);
void af_key_get(const struct af_key *key);
void af_key_put(const struct af_key *key);
int af_key_read_shared(const struct af_key *key, u32 *val);

static inline bool af_key_match(const struct af_key *a, const struct af_key *b)
{
	return a->object == b->object && a->word == b->word;
}

static inline void af_key_private(struct mm_struct *mm, unsigned long addr,
				  struct af_key *key)
{
	key->object = mm;
	key->word = addr;
	key->pt = NULL;
	key->type = AF_KEY_PRIVATE;
}

/* ---- futex words --------------------------------------------------------- */

/* The bytes of a word whose flags hold @flags' ALTFUTEX_SIZE_* field. */
static inline unsigned int af_word_size(unsigned int flags)
{
	switch (flags & ALTFUTEX_SIZE_MASK) {
	case ALTFUTEX_SIZE_U8:
		return 1;
	case ALTFUTEX_SIZE_U16:
		return 2;
	case ALTFUTEX_SIZE_U64:
		return 8;
	default:
		return 4;
	}
}

/*
 * Read the word of @flags' size at @uaddr into @val: exactly its bytes,
 * in one access (the word is aligned to its size).  Return: 0, -EFAULT.
 */
static inline int af_read_word(void __user *uaddr, unsigned int flags,
			       u64 *val)
{
	int ret;

	switch (flags & ALTFUTEX_SIZE_MASK) {
	case ALTFUTEX_SIZE_U8: {
		u8 v;

		ret = get_user(v, (u8 __user *)uaddr);
		*val = v;
		break;
	}
	case ALTFUTEX_SIZE_U16: {
		u16 v;

		ret = get_user(v, (u16 __user *)uaddr);
		*val = v;
		break;
	}
	case ALTFUTEX_SIZE_U64: {
		u64 v;

		ret = get_user(v, (u64 __user *)uaddr);
		*val = v;
		break;
	}
	default: {
		u32 v;

		ret = get_user(v, (u32 __user *)uaddr);
		*val = v;
		break;
	}
	}
	return ret ? -EFAULT : 0;
}

/*
 * What a wait names: the word, its flags (its privacy and size, and for
 * a wait the timeout's ALTFUTEX_ABSTIME and ALTFUTEX_CLOCK_REALTIME;
 * checked by the caller), the value the caller saw, and the bitset of the
 * wakes it takes.
 */
struct af_word {
	void __user *uaddr;
	u64 val;
	u32 mask;
	unsigned int flags;
};

/* The flags that say what a word is: its privacy and its size. */
#define AF_WORD_FLAGS	(ALTFUTEX_PRIVATE | ALTFUTEX_SIZE_MASK)

/* The flags that say what a wait's timeout is. */
#define AF_TIME_FLAGS	(ALTFUTEX_ABSTIME | ALTFUTEX_CLOCK_REALTIME)

/**
 * af_key_lookup() - form the key of the futex word at @uaddr
 * @c: the device file the call came through (its table cache)
 * @uaddr: a user address aligned to its word's size
 * @flags: ALTFUTEX_PRIVATE or 0, and the word's ALTFUTEX_SIZE_*
 * @key: filled in; a shared key holds a reference on its mapping's file,
 *	 a private one none (see "References" in key.c); af_key_drop()
 *	 drops what it holds
 * @create: a private key needs its process's table (hash.c): make it if
 *	    there is none; without @create, a process with no table gets a
 *	    key with none (key->pt NULL: it has no waiter to find)
 *
 * ALTFUTEX_PRIVATE needs no VMA: (mm, address), here.  Otherwise the VMA
 * decides, under the mmap lock, in af_key_lookup_shared() (key.c).
 *
 * Return: 0, -EFAULT if @uaddr is not mapped user memory that may hold a
 * futex (or is past the end of its file), -EINTR if a fatal signal
 * interrupted the wait for the mmap lock, or -ENOMEM (@create).
 */
static inline int af_key_lookup(struct af_client *c, void __user *uaddr,
				unsigned int flags, struct af_key *key,
				bool create)
{
	unsigned int size = af_word_size(flags);
	int ret;

	/*
	 * Since 6.10, x86's access_ok() passes any address below the sign
	 * bit on a CPU with LAM, leaving the rest to the page fault; but a
	 * private key is formed without touching memory.  A word beyond the
	 * top of the user address space is -EFAULT on every kernel.
	 */
	if (!access_ok(uaddr, size) ||
	    (unsigned long)uaddr > TASK_SIZE_MAX - size)
		return -EFAULT;
	if (flags & ALTFUTEX_PRIVATE) {
		af_key_private(current->mm, (unsigned long)uaddr, key);
	} else {
		ret = af_key_lookup_shared(uaddr, key);
		if (ret || key->type == AF_KEY_SHARED)
			return ret;
	}
	key->pt = af_client_table(c, create);
	return key->pt || !create ? 0 : -ENOMEM;
}

/* Drop what af_key_lookup() took for @key. */
static inline void af_key_drop(const struct af_key *key)
{
	if (key->type == AF_KEY_SHARED)
		fput(key->file);
}

/*
 * The keys of the two words of a requeue or a wake-op, both with their
 * tables (@create): 0, or an error and neither key.
 */
static inline int af_key_lookup2(struct af_client *c, void __user *uaddr1,
				 void __user *uaddr2, unsigned int flags,
				 struct af_key *key1, struct af_key *key2)
{
	int ret = af_key_lookup(c, uaddr1, flags, key1, true);

	if (ret)
		return ret;
	ret = af_key_lookup(c, uaddr2, flags, key2, true);
	if (ret)
		af_key_drop(key1);
	return ret;
}

/* ---- hash table (hash.c) ------------------------------------------------- */

/*
 * A bucket: one lock and one FIFO queue for all the keys that hash to it.
 * Waiters of one key keep their order of arrival on it; keys that share a
 * bucket interleave, which costs only the scan.  waiters counts the
 * waiters queued on it or about to be, so that a wake can tell without
 * the lock that there is nobody to wake (the ordering is argued in
 * wait.c).  One bucket per cache line: a lock, its count and its queue
 * head together, no false sharing between buckets.
 *
 * Locking
 * -------
 * bucket->lock protects the bucket's queue and, for every waiter on it,
 * the waiter's node, bucket, key and a QUEUED state.  The read side of
 * af_resize_sem keeps the shared table in place (hash.c).  Order:
 *
 *	mmap lock (read, key formation only; held with nothing below)
 *	af_resize_sem, read side (a shared key's enqueue, wake and requeue;
 *	every dequeue)
 *	  bucket lock of the lower address (af_double_lock(), requeue.c)
 *	    bucket lock of the higher address
 *
 * Nothing else is taken under a bucket lock: no allocation, no user
 * access that may fault (af_get_value_locked() runs with page faults
 * disabled), no wakeup of a thread and no fd notification (both run after
 * the lock is dropped, from the waker's af_wake_list); a requeue only
 * moves key references (get_file(), refcount_inc(), and fput(), which
 * defers the release).  The fields read
 * without the lock are w->bucket (af_lock_waiter(), rechecked under the
 * lock it names), w->state (READ_ONCE()/smp_load_acquire(), see wait.c)
 * and bucket->waiters (atomic).
 */
struct af_bucket {
	atomic_t waiters;		/* queued + queueing; see wait.c */
	spinlock_t lock;		/* protects queue and its waiters */
	struct list_head queue;		/* struct af_waiter, oldest first */
} ____cacheline_aligned_in_smp;

int af_hash_init(unsigned int size);
void af_hash_exit(void);
unsigned int af_hash_size(void);
void af_hash_check_load(struct af_bucket *b);

/* What the layout of a table depends on: its SipHash key and its size. */
struct af_hash_layout {
	siphash_key_t key;		/* random, chosen at load time */
	unsigned int mask;		/* the number of buckets - 1 */
};

/*
 * The index of @key's bucket in a table laid out as @layout says: what
 * af_hash_bucket() computes, on its own for the KUnit suites.
 */
static inline unsigned long af_hash_index(const struct af_key *key,
					  const struct af_hash_layout *layout)
{
	u64 h = siphash_2u64((u64)(unsigned long)key->object, key->word,
			     &layout->key);

	return h & layout->mask;
}

/*
 * The shared table: set up by af_hash_init(), replaced by a bigger one
 * only under the write side of af_resize_sem (hash.c), so that it may be
 * used under the read side (af_shared_enter()).
 */
extern struct af_bucket *af_buckets;
extern struct af_hash_layout af_hash;
extern struct percpu_rw_semaphore af_resize_sem;

/*
 * A process's private table (hash.c).  ref counts its process (while
 * AF_PT_LIVE), each device file that caches it, and each waiter that
 * holds a reference on a private key of it (af_key_get()).
 */
struct af_ptable {
	struct rhash_head node;		/* in the mm -> table rhashtable */
	struct mm_struct *mm;		/* its key; mmgrab()ed */
	refcount_t ref;
	unsigned long flags;		/* AF_PT_LIVE */
	unsigned int mask;		/* the number of buckets - 1 */
	struct af_ptable *reap_next;	/* on a reaper's list */
	struct page *count_page;	/* the waiter counts (counts.c) */
	atomic_t *counts;		/* its address; NULL: none (KUnit) */
	struct rcu_head rcu;
	struct af_bucket buckets[];
};

#define AF_PT_LIVE	0		/* its process holds a reference */

/* What the core keeps per device file: its private table cache. */
struct af_client {
	struct af_ptable *pt;		/* the table of pt->mm, referenced */
};

/*
 * Add @delta to the count user space sees for the word of @key, a key of
 * a queued waiter (counts.c): a private key's, in its process's table.
 */
static inline void af_count_add(const struct af_key *key, int delta)
{
	atomic_t *counts = key->type == AF_KEY_PRIVATE ? key->pt->counts : NULL;

	if (counts)
		atomic_add(delta, &counts[altfutex_count_slot(key->word)]);
}

int af_counts_alloc(struct af_ptable *pt);
void af_counts_free(struct af_ptable *pt);
int af_counts_mmap(struct af_client *c, struct vm_area_struct *vma);

struct af_ptable *af_ptable_alloc(unsigned int size);
unsigned int af_ptable_default_size(void);
struct af_ptable *af_ptable_lookup(struct mm_struct *mm);
void af_ptable_put(struct af_ptable *pt);
void af_ptable_reap(struct af_ptable *pt);
void af_client_release(struct af_client *c);

/* The hash of @key, before it is masked to a table's size. */
static inline u64 af_hash_of(const struct af_key *key)
{
	return siphash_2u64((u64)(unsigned long)key->object, key->word,
			    &af_hash.key);
}

/*
 * The bucket of @key: in its process's table for a private key (NULL if
 * it has none), in the shared table for a shared one, whose read side the
 * caller holds (af_shared_enter()).
 */
static inline struct af_bucket *af_hash_bucket(const struct af_key *key)
{
	struct af_ptable *pt = key->pt;

	if (key->type == AF_KEY_SHARED)
		return &af_buckets[af_hash_of(key) & af_hash.mask];
	return pt ? &pt->buckets[af_hash_of(key) & pt->mask] : NULL;
}

/*
 * Use the shared table (a no-op for a private key): see hash.c.  Returns
 * what af_shared_exit() must be given: whether the read side was taken.
 * It is decided once, here, because the key may not stay what it was: a
 * queued waiter's key belongs to the queue, and a requeue may change it,
 * shared to private or back, the moment its bucket lock is dropped.
 */
static inline bool af_shared_enter(const struct af_key *key)
{
	if (key->type != AF_KEY_SHARED)
		return false;
	percpu_down_read(&af_resize_sem);
	return true;
}

static inline void af_shared_exit(bool shared)
{
	if (shared)
		percpu_up_read(&af_resize_sem);
}

/* ---- waiters (wait.c) ---------------------------------------------------- */

/*
 * A waiter's life: QUEUED while on a bucket queue.  A waker that takes it
 * off the queue moves it, under the bucket lock, to WAKING, and after
 * dropping the lock calls its wake operation, which wakes whoever waits
 * and moves it to WOKEN (D), after which the waker no longer touches it.
 * Only the holder of the bucket lock changes a QUEUED waiter, so a wake, a
 * timeout, a signal and a failed value check cannot both claim it; and a
 * waiter does not leave (return, be freed or queued again) while it is
 * WAKING.
 */
enum af_waiter_state {
	AF_IDLE,		/* not queued (an fd waiter before re-arm) */
	AF_QUEUED,
	AF_WAKING,
	AF_WOKEN,
};

struct af_waiter;

/*
 * A waiter's wake operation: called by the waker that claimed it, oldest
 * first, with no lock held (af_wake_waiters()).  It wakes whoever waits
 * (a sleeping thread, wait.c; an fd's pollers and SIGIO owners, fd.c) and
 * hands the waiter back with af_waiter_release() (D), after which it may
 * be freed at any moment.
 */
typedef void (*af_wake_fn)(struct af_waiter *w);

struct af_waiter {
	struct list_head node;		/* on bucket->queue */
	struct af_bucket *bucket;	/* the bucket whose lock protects it */
	struct af_key key;		/* see af_waiter_holds_ref() */
	struct mm_struct *mm;		/* the waiting thread's mm, or NULL */
	af_wake_fn wake;		/* how to wake it, once claimed */
	struct af_waiter *wake_next;	/* on a waker's private list */
	struct af_vec *vec;		/* the vector it is a word of, or NULL */
	u32 mask;			/* the wakes it takes (a bitset) */
	int state;			/* enum af_waiter_state */
};

/*
 * A vector of waiters that one thread sleeps on (vector.c): whichever
 * wake first finds one of its words takes the whole vector, by setting
 * claimed to that word under the word's bucket lock; the thread itself
 * takes it (AF_VEC_SELF) to leave on an error, a timeout or a signal.
 * Words of a vector claimed by somebody else stay queued, dead, until
 * their thread takes them off: wakes and requeues pass them by.
 */
struct af_vec {
	struct af_waiter *claimed;	/* NULL while nobody has it */
	struct task_struct *task;	/* the sleeping thread */
	int state;			/* AF_WOKEN once a wake is done */
};

#define AF_VEC_SELF	((struct af_waiter *)1)

/*
 * May a wake take @w?  Only if it is no word of a vector, or the first
 * word of its vector that a wake (or the thread, leaving) claims.  The
 * caller holds @w's bucket lock: two wakers that meet two words of one
 * vector in two buckets race on claimed, and one loses.
 */
static inline bool af_vec_claim(struct af_waiter *w)
{
	return likely(!w->vec) || !cmpxchg(&w->vec->claimed, NULL, w);
}

/* Is @w a word of a vector that is already taken?  (Moving it is moot.) */
static inline bool af_vec_dead(const struct af_waiter *w)
{
	return unlikely(w->vec) && READ_ONCE(w->vec->claimed);
}

/* (D): the waker is done with @w (see wait.c, "Waking after the lock"). */
static inline void af_waiter_release(struct af_waiter *w)
{
	/* (D): pairs with the acquire of af_waiter_waking() and af_sleep() */
	smp_store_release(&w->state, AF_WOKEN);
}

/*
 * Is a waker that claimed @w still at work on it?  Whoever frees or
 * queues @w again after af_dequeue() found it claimed waits until not.
 */
static inline bool af_waiter_waking(struct af_waiter *w)
{
	return smp_load_acquire(&w->state) == AF_WAKING;	/* pairs with (D) */
}

/*
 * Does @w hold a reference (af_key_get()) on the object of @key, once
 * keyed on it?  Always, except for a thread's waiter on a private key of
 * the thread's own mm, which the sleeping thread keeps alive itself.  A
 * requeue with flags 0 can move a thread onto the private key of another
 * process (the requeuer's private memory): that waiter must pin the other
 * mm, or it could be freed and recycled while the key names it
 * (tests/requeue_mm_ref).
 */
static inline bool af_waiter_holds_ref(const struct af_waiter *w,
				       const struct af_key *key)
{
	return key->type == AF_KEY_SHARED || key->object != w->mm;
}

/* The waiters a waker claimed, to wake once the lock is dropped. */
struct af_wake_list {
	struct af_waiter *first;
	struct af_waiter **tail;
};

static inline void af_wake_list_init(struct af_wake_list *wl)
{
	wl->first = NULL;
	wl->tail = &wl->first;
}

bool af_claim(struct af_waiter *w, struct af_wake_list *wl);
int af_claim_key(struct af_bucket *b, const struct af_key *key, u32 mask,
		 int nr, struct af_wake_list *wl);
void af_wake_waiters(struct af_waiter *first);

/* Wake, oldest first, the waiters claimed onto @wl; no lock held. */
static inline void af_wake_list_run(struct af_wake_list *wl)
{
	if (wl->first)
		af_wake_waiters(wl->first);
}

void af_enqueue(struct af_waiter *w);
bool af_dequeue(struct af_waiter *w);
struct af_bucket *af_lock_waiter(struct af_waiter *w)
	__acquires(&w->bucket->lock);

int af_wait(struct af_client *c, const struct af_word *wd,
	    const struct timespec64 *timeout);

/* When a timed wait ends: an absolute time on the host's @clock. */
struct af_deadline {
	clockid_t clock;
	ktime_t expires;
};

void af_deadline_of(const struct timespec64 *timeout, unsigned int flags,
		    struct af_deadline *dl);
int af_wait_until(struct af_client *c, const struct af_word *wd,
		  const struct af_deadline *dl);

/* The sleep of a waiting thread (wait.c), for vector.c too. */
void af_timer_start(struct hrtimer_sleeper *to, const struct af_deadline *dl);
void af_timer_stop(struct hrtimer_sleeper *to);
int af_sleep(const int *state, struct hrtimer_sleeper *to);

/* ---- restarting a wait (restart.c) ----------------------------------------- */

int af_restart_init(void);
void af_restart_exit(void);
int af_restart_wait(const struct af_word *wd, const struct af_deadline *dl);
int af_wake(struct af_client *c, void __user *uaddr, unsigned int flags,
	    u32 mask, int nr_wake);
int af_wake_wait(struct af_client *c, void __user *wake_uaddr, int nr_wake,
		 const struct af_word *wd, const struct timespec64 *timeout);

/* ---- vectors (vector.c) ---------------------------------------------------- */

int af_waitv(struct af_client *c, const struct af_word *words,
	     unsigned int nr, unsigned int tflags,
	     const struct timespec64 *timeout);

/* One wake of a WAKEV, or the error its entry gets without it. */
struct af_wake_req {
	void __user *uaddr;
	unsigned int flags;		/* ALTFUTEX_PRIVATE, ALTFUTEX_SIZE_* */
	int nr_wake;
	int err;			/* not 0: the entry's error, no wake */
};

int af_wakev(struct af_client *c, const struct af_wake_req *reqs,
	     unsigned int nr);

/* ---- wake-op (wake_op.c) --------------------------------------------------- */

int af_wake_op(struct af_client *c, u32 __user *uaddr1, u32 __user *uaddr2,
	       unsigned int flags, int nr_wake, int nr_wake2, u32 op);
bool af_wake_op_valid(u32 op);

/* ---- requeue (requeue.c) -------------------------------------------------- */

/*
 * Two buckets at once (requeue, wake-op): the one at the lower address
 * first, so that concurrent A->B and B->A calls cannot deadlock.
 */
static inline void af_double_lock(struct af_bucket *b1, struct af_bucket *b2)
	__acquires(&b1->lock) __acquires(&b2->lock)
{
	if (b1 > b2)
		swap(b1, b2);
	spin_lock(&b1->lock);
	if (b1 != b2)
		spin_lock_nested(&b2->lock, SINGLE_DEPTH_NESTING);
	else
		__acquire(&b2->lock);	/* sparse: one lock, two names */
}

static inline void af_double_unlock(struct af_bucket *b1, struct af_bucket *b2)
	__releases(&b1->lock) __releases(&b2->lock)
{
	if (b1 != b2)
		spin_unlock(&b2->lock);
	else
		__release(&b2->lock);
	spin_unlock(&b1->lock);
}

int af_requeue(struct af_client *c, u32 __user *uaddr1, u32 __user *uaddr2,
	       unsigned int flags, int nr_wake, int nr_requeue,
	       const u32 *cmpval);

/* ---- fd waiters (fd.c) -------------------------------------------------- */

int af_fd_init(void);
void af_fd_exit(void);
int af_fd_create(struct af_client *c, u32 __user *uaddr, unsigned int flags,
		 u32 val);
int af_fd_rearm(int fdnum, u32 val);

/* ---- statistics (stats.c) ------------------------------------------------ */

/* What a census of the hash tables counts (af_hash_census(), hash.c). */
struct af_census {
	unsigned long threads;		/* queued waiters that are threads */
	unsigned long fds;		/* queued fd waiters */
	unsigned long longest;		/* the longest queue of one bucket */
	unsigned long tables;		/* private tables */
	unsigned int shared_buckets;	/* the size of the shared table */
};

void af_hash_census(struct af_census *cs);

/* The operations whose calls are counted, one per ioctl (dev.c). */
enum af_stat {
	AF_STAT_WAIT,
	AF_STAT_WAKE,
	AF_STAT_REQUEUE,
	AF_STAT_CMP_REQUEUE,
	AF_STAT_FD,
	AF_STAT_FD_REARM,
	AF_STAT_WAIT2,
	AF_STAT_WAKE2,
	AF_STAT_WAITV,
	AF_STAT_WAKEV,
	AF_STAT_WAKE_WAIT,
	AF_STAT_WAKE_OP,
	AF_STAT_NR
};

/*
 * Per-CPU call counts, summed only when the statistics file is read: a
 * call adds to its own CPU's line with one instruction (this_cpu_inc(),
 * no atomic, no shared cache line), which matters on the wake with no
 * waiter that the benchmark measures.
 */
struct af_stats {
	unsigned long calls[AF_STAT_NR];
};

DECLARE_PER_CPU(struct af_stats, af_stats);

static inline void af_stat_inc(enum af_stat op)
{
	this_cpu_inc(af_stats.calls[op]);
}

void af_stats_init(void);
void af_stats_exit(void);

/* ---- for the KUnit suites (kunit_suites.c) ------------------------------ */

/*
 * altfutex_kunit.ko calls the core directly: with KUnit, these and the
 * entry points above that it uses are exported to it
 * (EXPORT_SYMBOL_IF_KUNIT, in the namespace AF_KUNIT_NS), without it
 * these are static and nothing is exported.
 */
#if IS_ENABLED(CONFIG_KUNIT)
int af_key_vma(struct mm_struct *mm, struct vm_area_struct *vma,
	       unsigned long addr, struct af_key *key);
int af_wake_key(struct af_key *key, u32 mask, int nr_wake);
int af_requeue_keys(const struct af_key *key1, const struct af_key *key2,
		    u32 __user *uaddr1, int nr_wake, int nr_requeue,
		    const u32 *cmpval);
#endif

#endif /* _ALTFUTEX_CORE_H */
