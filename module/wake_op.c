// SPDX-License-Identifier: GPL-2.0
/*
 * Wake-op: futex(2)'s FUTEX_WAKE_OP on altfutex keys.  Apply an operation
 * to the 32-bit word at uaddr2, wake waiters of uaddr, and, if a
 * comparison holds for the word's old value, waiters of uaddr2 too: the
 * unlock-and-signal of a condition variable whose mutex and condition are
 * two words, in one call.  The operation is encoded as FUTEX_OP() of
 * <linux/futex.h> encodes it: op in bits 28-31 (FUTEX_OP_OPARG_SHIFT
 * makes the argument a shift count), cmp in bits 24-27, a signed 12-bit
 * oparg in bits 12-23 and cmparg in bits 0-11.
 *
 * Ordering
 * --------
 * The operation is the waker's store to uaddr2, (K1) of wait.c, made
 * while both buckets are locked, after (K2) and before (K3).  A waiter of
 * uaddr2 whose (W2) came before our (K2) is on its queue, and the scan
 * finds it; one whose (W1) comes after our (K3) acquires what we released
 * and reads, at its (W3), the new value or a later one.  No waiter of
 * uaddr2 can both miss the wake and see the old value: the operation is
 * atomic with respect to them, as FUTEX_WAKE_OP's is.  For uaddr the
 * caller's own store came before the call, and the scan under the lock is
 * case 2 of wait.c's argument.  No count is read without the lock here:
 * the operation needs the locks whatever the counts say.
 *
 * The operation is a cmpxchg() loop on the user word, with page faults
 * disabled since bucket locks are held: a page that is not there fails
 * it with -EFAULT, after which the locks are dropped, the page is faulted
 * in for writing as a store would (fixup_user_fault()), and the call
 * starts again.  A word that cannot be written (read-only memory, no
 * mapping) is -EFAULT, and nobody is woken.
 */
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/uaccess.h>
#include <uapi/linux/futex.h>
#include <asm/futex.h>

#include "altfutex.h"

/* A FUTEX_OP() operation, taken apart. */
struct af_op {
	unsigned int op;	/* FUTEX_OP_SET ... FUTEX_OP_XOR */
	unsigned int cmp;	/* FUTEX_OP_CMP_EQ ... FUTEX_OP_CMP_GE */
	u32 oparg;
	int cmparg;
};

/* Is @encoded an operation and a comparison that futex(2) defines? */
bool af_wake_op_valid(u32 encoded)
{
	return ((encoded >> 28) & 7) <= FUTEX_OP_XOR &&
	       ((encoded >> 24) & 15) <= FUTEX_OP_CMP_GE;
}

static void af_op_decode(u32 encoded, struct af_op *o)
{
	o->op = (encoded >> 28) & 7;
	o->cmp = (encoded >> 24) & 15;
	o->oparg = sign_extend32((encoded >> 12) & 0xfff, 11);
	o->cmparg = sign_extend32(encoded & 0xfff, 11);
	/* a shift count out of 0..31 is taken modulo 32, as futex(2) does */
	if (encoded & (FUTEX_OP_OPARG_SHIFT << 28))
		o->oparg = 1u << (o->oparg & 31);
}

/* The word's new value, from its old one. */
static u32 af_op_result(const struct af_op *o, u32 old)
{
	switch (o->op) {
	case FUTEX_OP_ADD:
		return old + o->oparg;
	case FUTEX_OP_OR:
		return old | o->oparg;
	case FUTEX_OP_ANDN:
		return old & ~o->oparg;
	case FUTEX_OP_XOR:
		return old ^ o->oparg;
	default:				/* FUTEX_OP_SET */
		return o->oparg;
	}
}

/* Does the comparison hold for the word's old value (as a signed int)? */
static bool af_op_holds(const struct af_op *o, u32 old)
{
	int v = (int)old;

	switch (o->cmp) {
	case FUTEX_OP_CMP_EQ:
		return v == o->cmparg;
	case FUTEX_OP_CMP_NE:
		return v != o->cmparg;
	case FUTEX_OP_CMP_LT:
		return v < o->cmparg;
	case FUTEX_OP_CMP_LE:
		return v <= o->cmparg;
	case FUTEX_OP_CMP_GT:
		return v > o->cmparg;
	default:				/* FUTEX_OP_CMP_GE */
		return v >= o->cmparg;
	}
}

/*
 * Apply @o to the word at @uaddr atomically; its old value into @oldp.
 * Page faults are disabled: a page not present is -EFAULT.
 */
static int af_op_apply(const struct af_op *o, u32 __user *uaddr, u32 *oldp)
{
	u32 old, cur;
	int ret;

	if (get_user(old, uaddr))
		return -EFAULT;
	for (;;) {
		ret = futex_atomic_cmpxchg_inatomic(&cur, uaddr, old,
						    af_op_result(o, old));
		if (ret)
			return ret;
		if (cur == old)
			break;
		old = cur;			/* changed meanwhile: again */
	}
	*oldp = old;
	return 0;
}

/* Make the page of @uaddr present and writable, as a store would. */
static int af_fault_in_writeable(u32 __user *uaddr)
{
	struct mm_struct *mm = current->mm;
	int ret;

	if (mmap_read_lock_killable(mm))
		return -EINTR;
	ret = fixup_user_fault(mm, (unsigned long)uaddr, FAULT_FLAG_WRITE,
			       NULL);
	mmap_read_unlock(mm);
	return ret < 0 ? ret : 0;
}

/* af_wake_op(), once the keys are formed. */
static int af_wake_op_keys(const struct af_key *key1,
			   const struct af_key *key2, u32 __user *uaddr2,
			   int nr_wake, int nr_wake2, const struct af_op *o)
{
	const struct af_key *any;
	struct af_bucket *b1, *b2;
	struct af_wake_list wl;
	bool shared;
	int ret;
	u32 old;

	/* a shared one if either is: af_shared_enter() then holds the table */
	any = key1->type == AF_KEY_SHARED ? key1 : key2;
	af_wake_list_init(&wl);
	for (;;) {
		shared = af_shared_enter(any);
		b1 = af_hash_bucket(key1);
		b2 = af_hash_bucket(key2);
		af_double_lock(b1, b2);			/* (K2) */
		pagefault_disable();
		ret = af_op_apply(o, uaddr2, &old);	/* (K1) of uaddr2 */
		pagefault_enable();
		if (!ret)
			break;
		af_double_unlock(b1, b2);
		af_shared_exit(shared);
		if (ret != -EFAULT)
			return ret;
		ret = af_fault_in_writeable(uaddr2);
		if (ret)
			return ret;
	}
	ret = af_claim_key(b1, key1, ALTFUTEX_BITSET_MATCH_ANY, nr_wake, &wl);
	if (af_op_holds(o, old))
		ret += af_claim_key(b2, key2, ALTFUTEX_BITSET_MATCH_ANY,
				    nr_wake2, &wl);
	af_double_unlock(b1, b2);			/* (K3) */
	af_shared_exit(shared);
	af_wake_list_run(&wl);
	return ret;
}

/**
 * af_wake_op() - FUTEX_WAKE_OP: operate on one word, wake on two
 * @c: the device file the call came through
 * @uaddr1: the futex woken in any case
 * @uaddr2: the word operated on, woken if the comparison holds
 * @flags: ALTFUTEX_PRIVATE or 0, for both words
 * @nr_wake: wake up to this many of @uaddr1's waiters; <= 0 none
 * @nr_wake2: and up to this many of @uaddr2's, if the comparison holds
 * @op: the operation and comparison, as FUTEX_OP() encodes them; one
 *	that af_wake_op_valid() accepts
 *
 * Return: the number woken, -EFAULT (@uaddr2 not writable, nothing done),
 * -ENOMEM (no room for the caller's private table).
 */
int af_wake_op(struct af_client *c, u32 __user *uaddr1, u32 __user *uaddr2,
	       unsigned int flags, int nr_wake, int nr_wake2, u32 op)
{
	struct af_key key1, key2;
	struct af_op o;
	int ret;

	af_op_decode(op, &o);
	ret = af_key_lookup2(c, uaddr1, uaddr2, flags, &key1, &key2);
	if (ret)
		return ret;
	ret = af_wake_op_keys(&key1, &key2, uaddr2, nr_wake, nr_wake2, &o);
	af_key_drop(&key2);
	af_key_drop(&key1);
	return ret;
}
