// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suites for the parts of altfutex that need no user process.
 *
 * The tests in tests/ check the module from user space, through real
 * mappings and sleeping threads.  These check three rules on their own,
 * on inputs user space cannot choose: VMAs, files and inodes made up for
 * the test (a VM_IO mapping, a page offset no file reaches), every layout
 * of the hash table, two keys forced into one bucket whatever the table
 * size, and the exact order in which a wake or a requeue takes waiters
 * off a queue, which a sleeping thread cannot report without a race:
 *
 *  altfutex_keys   af_key_vma(), the key rules: which memory is keyed by
 *                  (mm, address) and which by (inode, byte offset), what
 *                  is -EFAULT, and that the rules take no reference;
 *  altfutex_hash   af_hash_index(): keys spread evenly over the buckets,
 *                  the layout depends on the SipHash key, and a table of
 *                  one bucket puts every key in it;
 *  altfutex_queue  af_enqueue(), af_wake_key(), af_requeue_keys() and
 *                  af_dequeue() on fake waiters: FIFO order, keys that
 *                  share a bucket, NULL, the counts returned, requeue to the
 *                  tail (onto the same key too, NULL), and the bucket counts.
 *
 * They are a module of their own, altfutex_kunit.ko, built only for a
 * kernel with KUnit (see Kbuild), which calls into altfutex.ko through
 * the symbols it exports then (EXPORT_SYMBOL_IF_KUNIT); altfutex.ko has
 * no code for them.  They run when altfutex_kunit.ko is loaded, after
 * altfutex.ko, on tables of their own; tests/kunit.c loads it, reports
 * /sys/kernel/debug/kunit/<suite>/results and unloads it.
 *
 * The fake waiters are af_waiters whose wake operation, called by the
 * waker in the order it took them off the queue, records the order of the
 * wakes.  Their keys are
 * private keys of a dummy object of this file, which no mm or inode can
 * be, so they never match a real futex; and each waiter's mm is that
 * object too, so no wake or requeue ever takes a reference on it
 * (af_waiter_holds_ref()).
 */
#include <kunit/test.h>
#include <linux/fs.h>
#include <linux/limits.h>
#include <linux/mm.h>
#include <linux/random.h>
#include <linux/shmem_fs.h>
#include <linux/slab.h>

#include "altfutex.h"

/* ---- key rules ------------------------------------------------------------ */

/* Two processes' mm: only their addresses matter, nothing reads them. */
static int af_fake_mm_a, af_fake_mm_b;
#define AF_MM_A		((struct mm_struct *)&af_fake_mm_a)
#define AF_MM_B		((struct mm_struct *)&af_fake_mm_b)

/* What vm_flags mmap(2) gives each kind of mapping (without VM_MAY*EXEC). */
#define AF_PRIVATE_RW	(VM_READ | VM_WRITE | VM_MAYREAD | VM_MAYWRITE)
#define AF_SHARED_RW	(AF_PRIVATE_RW | VM_SHARED | VM_MAYSHARE)
/* MAP_SHARED of a file opened O_RDONLY: may share, never writes */
#define AF_SHARED_RO	(VM_READ | VM_MAYREAD | VM_MAYSHARE)

#define AF_MAP_PAGES	64UL

/* A mapping of AF_MAP_PAGES pages, from which the tests make a VMA. */
struct af_map {
	struct mm_struct *mm;
	unsigned long start;
	unsigned long flags;
	struct file *file;
	pgoff_t pgoff;
};

/* The key af_key_vma() forms for @addr in a VMA made from @m. */
static int af_key_at(const struct af_map *m, unsigned long addr,
		     struct af_key *key)
{
	struct vm_area_struct vma = {
		.vm_start = m->start,
		.vm_end = m->start + AF_MAP_PAGES * PAGE_SIZE,
		.vm_mm = m->mm,
		.vm_flags = m->flags,
		.vm_pgoff = m->pgoff,
		.vm_file = m->file,
	};

	return af_key_vma(m->mm, &vma, addr, key);
}

struct af_fake_file {
	struct file file;
	struct inode inode;
};

/* A file whose inode has @mode and @size, freed with the test. */
static struct file *af_fake_file(struct kunit *test, umode_t mode,
				 loff_t size)
{
	struct af_fake_file *f = kunit_kzalloc(test, sizeof(*f), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, f);
	f->inode.i_mode = mode;
	i_size_write(&f->inode, size);
	f->file.f_inode = &f->inode;
	return &f->file;
}

/* Check that @key is the shared key of byte @pos of @object, via @file. */
static void af_expect_shared_on(struct kunit *test, const struct af_key *key,
				void *object, struct file *file, u64 pos)
{
	KUNIT_EXPECT_EQ(test, key->type, AF_KEY_SHARED);
	KUNIT_EXPECT_PTR_EQ(test, key->object, object);
	KUNIT_EXPECT_PTR_EQ(test, key->file, file);
	KUNIT_EXPECT_EQ(test, key->word, pos);
}

/* Check that @key is the shared key of byte @pos of @file's inode. */
static void af_expect_shared(struct kunit *test, const struct af_key *key,
			     struct file *file, u64 pos)
{
	af_expect_shared_on(test, key, file_inode(file), file, pos);
}

static void af_expect_private(struct kunit *test, const struct af_key *key,
			      struct mm_struct *mm, unsigned long addr)
{
	KUNIT_EXPECT_EQ(test, key->type, AF_KEY_PRIVATE);
	KUNIT_EXPECT_PTR_EQ(test, key->object, (void *)mm);
	KUNIT_EXPECT_EQ(test, key->word, (u64)addr);
}

#define AF_BASE		0x10000000UL	/* where the test maps, mostly */

/* Private anonymous memory: (mm, address), as ALTFUTEX_PRIVATE forms. */
static void af_key_private_anon(struct kunit *test)
{
	struct af_map m = { AF_MM_A, AF_BASE, AF_PRIVATE_RW, NULL, 0 };
	unsigned long addr = AF_BASE + 3 * PAGE_SIZE + 0x124;
	struct af_key key, flag;

	KUNIT_ASSERT_EQ(test, af_key_at(&m, addr, &key), 0);
	af_expect_private(test, &key, AF_MM_A, addr);
	af_key_private(AF_MM_A, addr, &flag);
	KUNIT_EXPECT_TRUE(test, af_key_match(&key, &flag));
	KUNIT_EXPECT_EQ(test, flag.type, AF_KEY_PRIVATE);

	/* read-only, and executable, private memory: still (mm, address) */
	m.flags = VM_READ | VM_MAYREAD;
	KUNIT_ASSERT_EQ(test, af_key_at(&m, addr, &key), 0);
	af_expect_private(test, &key, AF_MM_A, addr);
	m.flags = VM_READ | VM_EXEC | VM_MAYREAD | VM_MAYEXEC;
	KUNIT_ASSERT_EQ(test, af_key_at(&m, addr, &key), 0);
	af_expect_private(test, &key, AF_MM_A, addr);

	/* VM_MAYSHARE with no file has no object to share: private */
	m.flags = AF_SHARED_RW;
	KUNIT_ASSERT_EQ(test, af_key_at(&m, addr, &key), 0);
	af_expect_private(test, &key, AF_MM_A, addr);
}

/* Unreadable memory, device I/O and no VMA at all: -EFAULT. */
static void af_key_efault(struct kunit *test)
{
	static const unsigned long bad[] = {
		0,				/* PROT_NONE */
		VM_WRITE | VM_MAYWRITE,		/* no VM_READ */
		VM_EXEC | VM_MAYEXEC,
		AF_SHARED_RW & ~VM_READ,
		AF_PRIVATE_RW | VM_IO,
		AF_PRIVATE_RW | VM_PFNMAP,
		AF_SHARED_RW | VM_IO,
		AF_SHARED_RW | VM_PFNMAP,
		AF_SHARED_RO | VM_IO | VM_PFNMAP,
	};
	struct file *file = af_fake_file(test, S_IFREG | 0644, 1 << 20);
	unsigned long addr = AF_BASE + 0x40;
	struct af_map m = { AF_MM_A, AF_BASE, 0, NULL, 0 };
	struct af_key key;
	int i, with_file, ret;

	KUNIT_EXPECT_EQ(test, af_key_vma(AF_MM_A, NULL, addr, &key), -EFAULT);
	for (with_file = 0; with_file < 2; with_file++) {
		m.file = with_file ? file : NULL;
		for (i = 0; i < ARRAY_SIZE(bad); i++) {
			m.flags = bad[i];
			ret = af_key_at(&m, addr, &key);
			if (ret != -EFAULT)
				KUNIT_FAIL(test, "vm_flags %#lx, file %d: %d",
					   bad[i], with_file, ret);
		}
	}
}

/*
 * MAP_SHARED of a file: (inode, pgoff << PAGE_SHIFT | offset in page),
 * pgoff = vm_pgoff + (addr - vm_start) >> PAGE_SHIFT; read-only shared
 * mappings included.  No reference is taken: af_key_lookup() takes it.
 */
static void af_key_shared_file(struct kunit *test)
{
	struct file *file = af_fake_file(test, S_IFREG | 0644, 1 << 20);
	struct inode *inode = file_inode(file);
	struct af_map m = { AF_MM_A, AF_BASE, AF_SHARED_RW, file, 7 };
	unsigned long addr = AF_BASE + 5 * PAGE_SIZE + 0x88;
	u64 pos = (12ULL << PAGE_SHIFT) + 0x88;
	struct af_key key;

	KUNIT_ASSERT_EQ(test, af_key_at(&m, addr, &key), 0);
	af_expect_shared(test, &key, file, pos);

	m.flags = AF_SHARED_RO;
	KUNIT_ASSERT_EQ(test, af_key_at(&m, addr, &key), 0);
	af_expect_shared(test, &key, file, pos);

	/* the first and the last word of the mapping */
	KUNIT_ASSERT_EQ(test, af_key_at(&m, AF_BASE, &key), 0);
	af_expect_shared(test, &key, file, 7ULL << PAGE_SHIFT);
	addr = AF_BASE + AF_MAP_PAGES * PAGE_SIZE - 4;
	KUNIT_ASSERT_EQ(test, af_key_at(&m, addr, &key), 0);
	af_expect_shared(test, &key, file,
			 ((7 + AF_MAP_PAGES) << PAGE_SHIFT) - 4);

	KUNIT_EXPECT_EQ(test, atomic_read(&inode->i_count), 0);
}

/* MAP_PRIVATE of a file, written or not, is (mm, address). */
static void af_key_private_file(struct kunit *test)
{
	struct file *file = af_fake_file(test, S_IFREG | 0644, 1 << 20);
	struct af_map m = { AF_MM_A, AF_BASE, AF_PRIVATE_RW, file, 3 };
	unsigned long addr = AF_BASE + 2 * PAGE_SIZE + 8;
	struct af_key key;

	KUNIT_ASSERT_EQ(test, af_key_at(&m, addr, &key), 0);
	af_expect_private(test, &key, AF_MM_A, addr);
	m.flags = VM_READ | VM_MAYREAD | VM_MAYWRITE;	/* PROT_READ */
	KUNIT_ASSERT_EQ(test, af_key_at(&m, addr, &key), 0);
	af_expect_private(test, &key, AF_MM_A, addr);
	/* even past the end of the file: the page is the process's own */
	m.file = af_fake_file(test, S_IFREG | 0644, 0);
	KUNIT_ASSERT_EQ(test, af_key_at(&m, addr, &key), 0);
	af_expect_private(test, &key, AF_MM_A, addr);
}

/*
 * One page of a file mapped twice, at different addresses and file
 * offsets, in two processes, read-write and read-only: one futex.
 */
static void af_key_two_mappings(struct kunit *test)
{
	struct file *file = af_fake_file(test, S_IFREG | 0644, 1 << 20);
	struct af_map m1 = { AF_MM_A, AF_BASE, AF_SHARED_RW, file, 0 };
	struct af_map m2 = { AF_MM_B, 0x7f0000000000UL, AF_SHARED_RO, file, 3 };
	unsigned long a1 = m1.start + 5 * PAGE_SIZE + 0x40;
	unsigned long a2 = m2.start + 2 * PAGE_SIZE + 0x40;
	struct af_key k1, k2;

	KUNIT_ASSERT_EQ(test, af_key_at(&m1, a1, &k1), 0);
	KUNIT_ASSERT_EQ(test, af_key_at(&m2, a2, &k2), 0);
	KUNIT_EXPECT_TRUE(test, af_key_match(&k1, &k2));
	af_expect_shared(test, &k1, file, (5ULL << PAGE_SHIFT) + 0x40);
	af_expect_shared(test, &k2, file, (5ULL << PAGE_SHIFT) + 0x40);

	/* the same address in both: different pages, different futexes */
	m2.start = m1.start;
	KUNIT_ASSERT_EQ(test, af_key_at(&m2, a1, &k2), 0);
	KUNIT_EXPECT_FALSE(test, af_key_match(&k1, &k2));
	af_expect_shared(test, &k2, file, (8ULL << PAGE_SHIFT) + 0x40);
}

/* Different byte offsets in one page are different futexes. */
static void af_key_offsets(struct kunit *test)
{
	struct file *file = af_fake_file(test, S_IFREG | 0644, 1 << 20);
	struct af_map shared = { AF_MM_A, AF_BASE, AF_SHARED_RW, file, 0 };
	struct af_map private = { AF_MM_A, AF_BASE, AF_PRIVATE_RW, NULL, 0 };
	unsigned long page = AF_BASE + 4 * PAGE_SIZE;
	struct af_key first, key;
	unsigned long off;
	int pass;

	for (pass = 0; pass < 2; pass++) {
		const struct af_map *m = pass ? &private : &shared;

		KUNIT_ASSERT_EQ(test, af_key_at(m, page, &first), 0);
		for (off = 4; off < PAGE_SIZE; off += 4) {
			KUNIT_ASSERT_EQ(test, af_key_at(m, page + off, &key), 0);
			KUNIT_EXPECT_PTR_EQ(test, key.object, first.object);
			if (key.word != first.word + off) {
				KUNIT_FAIL(test, "%s: offset %#lx: word %#llx",
					   pass ? "private" : "shared", off,
					   key.word);
				break;
			}
		}
		/* and the next page's first word is another futex again */
		KUNIT_ASSERT_EQ(test, af_key_at(m, page + PAGE_SIZE, &key), 0);
		KUNIT_EXPECT_EQ(test, key.word, first.word + PAGE_SIZE);
	}
}

/* The same address in two processes: two private futexes. */
static void af_key_two_mms(struct kunit *test)
{
	struct file *file = af_fake_file(test, S_IFREG | 0644, 1 << 20);
	struct af_map a = { AF_MM_A, AF_BASE, AF_PRIVATE_RW, NULL, 0 };
	struct af_map b = { AF_MM_B, AF_BASE, AF_PRIVATE_RW, NULL, 0 };
	unsigned long addr = AF_BASE + 0x1000 + 0x10;
	struct af_key ka, kb;
	int pass;

	/* anonymous memory, then a MAP_PRIVATE file (after fork(), say) */
	for (pass = 0; pass < 2; pass++) {
		a.file = pass ? file : NULL;
		b.file = a.file;
		KUNIT_ASSERT_EQ(test, af_key_at(&a, addr, &ka), 0);
		KUNIT_ASSERT_EQ(test, af_key_at(&b, addr, &kb), 0);
		af_expect_private(test, &ka, AF_MM_A, addr);
		af_expect_private(test, &kb, AF_MM_B, addr);
		KUNIT_EXPECT_FALSE(test, af_key_match(&ka, &kb));
	}
}

/*
 * A page at or past the end of a regular file is no futex; the size is
 * rounded up to a page, and the rule is the same through vm_pgoff.  A
 * file that is not regular (a device's shared memory) has no end.
 */
static void af_key_eof(struct kunit *test)
{
	struct file *file = af_fake_file(test, S_IFREG | 0644,
					 2 * PAGE_SIZE + 1);
	struct af_map m = { AF_MM_A, AF_BASE, AF_SHARED_RW, file, 0 };
	struct af_key key;
	unsigned long pg;

	for (pg = 0; pg < 3; pg++)
		KUNIT_EXPECT_EQ(test, af_key_at(&m, AF_BASE + pg * PAGE_SIZE,
						&key), 0);
	KUNIT_EXPECT_EQ(test, af_key_at(&m, AF_BASE + 3 * PAGE_SIZE - 4, &key),
			0);
	KUNIT_EXPECT_EQ(test, af_key_at(&m, AF_BASE + 3 * PAGE_SIZE, &key),
			-EFAULT);
	KUNIT_EXPECT_EQ(test, af_key_at(&m, AF_BASE + 9 * PAGE_SIZE, &key),
			-EFAULT);
	/* file page 3 again, through vm_pgoff; read-only too */
	m.pgoff = 2;
	KUNIT_EXPECT_EQ(test, af_key_at(&m, AF_BASE, &key), 0);
	KUNIT_EXPECT_EQ(test, af_key_at(&m, AF_BASE + PAGE_SIZE, &key),
			-EFAULT);
	m.flags = AF_SHARED_RO;
	KUNIT_EXPECT_EQ(test, af_key_at(&m, AF_BASE + PAGE_SIZE, &key),
			-EFAULT);

	/* exactly two pages: page 2 is past the end; an empty file: page 0 */
	m.pgoff = 0;
	i_size_write(file_inode(file), 2 * PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, af_key_at(&m, AF_BASE + PAGE_SIZE, &key), 0);
	KUNIT_EXPECT_EQ(test, af_key_at(&m, AF_BASE + 2 * PAGE_SIZE, &key),
			-EFAULT);
	i_size_write(file_inode(file), 0);
	KUNIT_EXPECT_EQ(test, af_key_at(&m, AF_BASE, &key), -EFAULT);

	/*
	 * A character device has no end of file, and its memory is the
	 * driver's, so the key names the open file, not the inode.
	 */
	m.file = af_fake_file(test, S_IFCHR | 0600, 0);
	m.pgoff = 1000;
	KUNIT_ASSERT_EQ(test, af_key_at(&m, AF_BASE + 9 * PAGE_SIZE, &key), 0);
	af_expect_shared_on(test, &key, m.file, m.file, 1009ULL << PAGE_SHIFT);
}

/*
 * Two open files of one inode whose memory is not a page cache (an
 * anonymous inode, as perf, KVM and BPF maps share; a character device):
 * two futexes, one per open file, so no process reaches another's.  Two
 * opens of a regular file: one futex, whichever file the key holds.
 */
static void af_key_driver_memory(struct kunit *test)
{
	static const umode_t modes[] = { 0600, S_IFCHR | 0600, S_IFREG | 0600 };
	struct af_map a = { AF_MM_A, AF_BASE, AF_SHARED_RW };
	struct af_map b = { AF_MM_B, AF_BASE, AF_SHARED_RW };
	unsigned long addr = AF_BASE + 64;
	struct af_key ka, kb;
	struct file *fa, *fb;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(modes); i++) {
		fa = af_fake_file(test, modes[i], 1 << 20);
		fb = kunit_kzalloc(test, sizeof(*fb), GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, fb);
		fb->f_inode = file_inode(fa);
		a.file = fa;
		b.file = fb;
		KUNIT_ASSERT_EQ(test, af_key_at(&a, addr, &ka), 0);
		KUNIT_ASSERT_EQ(test, af_key_at(&b, addr, &kb), 0);
		KUNIT_EXPECT_PTR_EQ(test, ka.file, fa);
		KUNIT_EXPECT_PTR_EQ(test, kb.file, fb);
		KUNIT_EXPECT_EQ(test, af_key_match(&ka, &kb),
				S_ISREG(modes[i]));
	}
}

/* A file offset beyond 4 GiB (and beyond 32 bits of pages) stays whole. */
static void af_key_large_offset(struct kunit *test)
{
	pgoff_t pgoff = BIT(31) + 5;
	struct file *file = af_fake_file(test, S_IFCHR | 0600, 0);
	struct af_map m = { AF_MM_A, AF_BASE, AF_SHARED_RW, file, pgoff };
	struct af_key key;

	KUNIT_ASSERT_EQ(test, af_key_at(&m, AF_BASE + PAGE_SIZE + 0xc, &key),
			0);
	/* a character device (no end of file): keyed on the open file */
	af_expect_shared_on(test, &key, file, file,
			    ((u64)(pgoff + 1) << PAGE_SHIFT) + 0xc);
}

/*
 * MAP_SHARED anonymous memory, memfd and SysV shm are all mappings of a
 * shmem file, a regular file of the segment's size: keyed by its inode,
 * with the end-of-file rule.  This one is real, from shmem_file_setup().
 */
static void af_key_shmem(struct kunit *test)
{
	struct file *file = shmem_file_setup("altfutex-kunit",
					     2 * PAGE_SIZE + 100, VM_NORESERVE);
	struct af_map m = { AF_MM_A, AF_BASE, AF_SHARED_RW, NULL, 0 };
	struct af_key key;
	struct inode *inode;
	int count;

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, file);
	inode = file_inode(file);
	count = atomic_read(&inode->i_count);
	m.file = file;
	KUNIT_EXPECT_TRUE(test, S_ISREG(inode->i_mode));

	/* shared anonymous memory or SysV shm: the segment from offset 0 */
	KUNIT_EXPECT_EQ(test, af_key_at(&m, AF_BASE + PAGE_SIZE + 4, &key), 0);
	af_expect_shared(test, &key, file, PAGE_SIZE + 4);
	/* a memfd mapped from its second page, read-only (say, sealed) */
	m.pgoff = 1;
	m.flags = AF_SHARED_RO;
	KUNIT_EXPECT_EQ(test, af_key_at(&m, AF_BASE + 4, &key), 0);
	af_expect_shared(test, &key, file, PAGE_SIZE + 4);
	KUNIT_EXPECT_EQ(test, af_key_at(&m, AF_BASE + PAGE_SIZE, &key), 0);
	af_expect_shared(test, &key, file, 2 * PAGE_SIZE);
	/* page 3 is past the segment's end */
	KUNIT_EXPECT_EQ(test, af_key_at(&m, AF_BASE + 2 * PAGE_SIZE, &key),
			-EFAULT);
	/* MAP_PRIVATE of the memfd: private */
	m.flags = AF_PRIVATE_RW;
	KUNIT_EXPECT_EQ(test, af_key_at(&m, AF_BASE + 4, &key), 0);
	af_expect_private(test, &key, AF_MM_A, AF_BASE + 4);

	KUNIT_EXPECT_EQ(test, atomic_read(&inode->i_count), count);
	fput(file);
}

static struct kunit_case af_key_cases[] = {
	KUNIT_CASE(af_key_private_anon),
	KUNIT_CASE(af_key_efault),
	KUNIT_CASE(af_key_shared_file),
	KUNIT_CASE(af_key_private_file),
	KUNIT_CASE(af_key_two_mappings),
	KUNIT_CASE(af_key_driver_memory),
	KUNIT_CASE(af_key_offsets),
	KUNIT_CASE(af_key_two_mms),
	KUNIT_CASE(af_key_eof),
	KUNIT_CASE(af_key_large_offset),
	KUNIT_CASE(af_key_shmem),
	{}
};

static struct kunit_suite af_key_suite = {
	.name = "altfutex_keys",
	.test_cases = af_key_cases,
};

/* ---- hash ------------------------------------------------------------------ */

#define AF_SPREAD_KEYS		100000
#define AF_SPREAD_BUCKETS	4096

/*
 * Bounds that a uniform hash (SipHash under a random key, as a PRF) meets
 * with overwhelming probability.  Each bucket's load is binomial with
 * n = 100000, p = 1/4096, mean mu = 24.41.
 *
 * Largest load: by the Chernoff bound P(X >= (1 + d) mu) <=
 * (e^d / (1 + d)^(1 + d))^mu, a load of 80 (d = 2.277) has probability
 * under 8.1e-18 per bucket, 3.3e-14 for any of the 4096.
 *
 * Pearson's statistic X2 = sum (c - mu)^2 / mu = k sum c^2 / n - n has
 * mean k - 1 = 4095 and standard deviation sqrt(2 (k - 1)) = 90.5, and is
 * asymptotically chi-square with 4095 degrees of freedom.  The bound
 * k' + 2 sqrt(k' x) + 2 x of Laurent and Massart (Ann. Statist. 28(5),
 * 2000, lemma 1) with k' = 4095 and x = 30 is 4856 (8.4 standard
 * deviations), exceeded with probability under e^-30 = 9.4e-14.
 */
#define AF_SPREAD_MAX_LOAD	80
#define AF_SPREAD_MAX_X2	4856

/* The keys of one spread test: what varies from one key to the next. */
struct af_spread {
	const char *name;
	unsigned long object_step;
	u64 word_step;
};

static const struct af_spread af_spreads[] = {
	/* one process's words: consecutive u32 futexes */
	{ "words", 0, sizeof(u32) },
	/* one word in many processes: mm_structs, a slab of 1 KiB objects */
	{ "objects", 1024, 0 },
	/* one futex at the start of every page of one shared file */
	{ "pages", 0, PAGE_SIZE },
};

static void af_spread_desc(const struct af_spread *s, char *desc)
{
	strscpy(desc, s->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(af_spread, af_spreads, af_spread_desc);

static struct af_key af_spread_key(const struct af_spread *s,
				   unsigned long i)
{
	struct af_key key = {
		.object = (void *)((unsigned long)&af_fake_mm_a +
				   i * s->object_step),
		.word = 0x7ffc0000 + i * s->word_step,
		.type = AF_KEY_PRIVATE,
	};

	return key;
}

static void af_hash_spread(struct kunit *test)
{
	const struct af_spread *s = test->param_value;
	struct af_hash_layout layout = { .mask = AF_SPREAD_BUCKETS - 1 };
	unsigned int *count, top = 0;
	u64 sum_sq = 0;
	unsigned long i;
	struct af_key key;

	count = kunit_kcalloc(test, AF_SPREAD_BUCKETS, sizeof(*count),
			      GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, count);
	get_random_bytes(&layout.key, sizeof(layout.key));

	for (i = 0; i < AF_SPREAD_KEYS; i++) {
		key = af_spread_key(s, i);
		count[af_hash_index(&key, &layout)]++;
	}
	for (i = 0; i < AF_SPREAD_BUCKETS; i++) {
		top = max(top, count[i]);
		sum_sq += (u64)count[i] * count[i];
	}
	/* X2 <= bound, in integers: k sum c^2 <= n (n + bound) */
	KUNIT_EXPECT_LE(test, top, AF_SPREAD_MAX_LOAD);
	KUNIT_EXPECT_LE_MSG(test, AF_SPREAD_BUCKETS * sum_sq,
			    (u64)AF_SPREAD_KEYS *
			    (AF_SPREAD_KEYS + AF_SPREAD_MAX_X2),
			    "X2 = %llu", AF_SPREAD_BUCKETS * sum_sq /
			    AF_SPREAD_KEYS - AF_SPREAD_KEYS);
}

#define AF_LAYOUT_KEYS		1000
/*
 * Keys that land in the same bucket under two unrelated SipHash keys:
 * binomial, n = 1000, p = 1/4096 (mean 0.24).  P(X >= 11) <=
 * C(1000, 11) p^11 < 4e-14.
 */
#define AF_LAYOUT_MAX_SAME	10

/* How many of the test keys @a and @b put in the same bucket. */
static unsigned int af_layout_same(const struct af_hash_layout *a,
				   const struct af_hash_layout *b)
{
	const struct af_spread *s = &af_spreads[0];
	unsigned int i, same = 0;
	struct af_key key;

	for (i = 0; i < AF_LAYOUT_KEYS; i++) {
		key = af_spread_key(s, i);
		same += af_hash_index(&key, a) == af_hash_index(&key, b);
	}
	return same;
}

/*
 * The layout depends on the SipHash key, all of it: another random key,
 * or the same one with one bit flipped, gives an unrelated layout.  And
 * the same key always gives the same one.
 */
static void af_hash_key_layout(struct kunit *test)
{
	static const unsigned int bits[] = { 0, 63, 64, 127 };
	struct af_hash_layout a = { .mask = AF_SPREAD_BUCKETS - 1 };
	struct af_hash_layout b;
	int i;

	get_random_bytes(&a.key, sizeof(a.key));
	b = a;
	KUNIT_EXPECT_EQ(test, af_layout_same(&a, &b), AF_LAYOUT_KEYS);
	for (i = 0; i < ARRAY_SIZE(bits); i++) {
		b = a;
		b.key.key[bits[i] / 64] ^= BIT_ULL(bits[i] % 64);
		KUNIT_EXPECT_LE_MSG(test, af_layout_same(&a, &b),
				    AF_LAYOUT_MAX_SAME, "bit %u flipped",
				    bits[i]);
	}
	do {
		get_random_bytes(&b.key, sizeof(b.key));
	} while (!memcmp(&a.key, &b.key, sizeof(a.key)));
	KUNIT_EXPECT_LE(test, af_layout_same(&a, &b), AF_LAYOUT_MAX_SAME);
}

/* Mask 0, a one-bucket table: every key in bucket 0; else within mask. */
static void af_hash_mask(struct kunit *test)
{
	struct af_hash_layout layout = { .mask = 0 };
	const struct af_spread *s;
	unsigned int i, j, bad = 0, wide = 0;
	struct af_key key;

	get_random_bytes(&layout.key, sizeof(layout.key));
	for (j = 0; j < ARRAY_SIZE(af_spreads); j++) {
		s = &af_spreads[j];
		for (i = 0; i < 1000; i++) {
			key = af_spread_key(s, i);
			layout.mask = 0;
			bad += af_hash_index(&key, &layout) != 0;
			layout.mask = BIT(i % 21) - 1;
			wide += af_hash_index(&key, &layout) > layout.mask;
		}
	}
	KUNIT_EXPECT_EQ(test, bad, 0);
	KUNIT_EXPECT_EQ(test, wide, 0);
}

static struct kunit_case af_hash_cases[] = {
	KUNIT_CASE_PARAM(af_hash_spread, af_spread_gen_params),
	KUNIT_CASE(af_hash_key_layout),
	KUNIT_CASE(af_hash_mask),
	{}
};

static struct kunit_suite af_hash_suite = {
	.name = "altfutex_hash",
	.test_cases = af_hash_cases,
};

/* ---- queue order -------------------------------------------------------------- */

/*
 * The table the queue tests use: the keys are private keys of a dummy
 * process, in a private table of the case's own (af_ptable_alloc(), the
 * table a process gets), of a process's default size, then of one bucket
 * (what make check's hash_size=1 load asks for), freed after the case.
 * No real waiter can be in it: the live tables are never touched.
 */
struct af_table {
	const char *name;
	unsigned int size;	/* 0: a process's default */
};

static const struct af_table af_tables[] = {
	{ "default size", 0 },
	{ "1 bucket", 1 },
};

static void af_table_desc(const struct af_table *t, char *desc)
{
	strscpy(desc, t->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(af_table, af_tables, af_table_desc);

#define AF_QT_WAITERS	64
#define AF_QT_BUCKETS	4

struct af_queue_test;

struct af_test_waiter {
	struct af_waiter w;
	struct af_queue_test *qt;
	int id;			/* its index in qt->waiters */
	bool enqueued;
};

/* One case's state (test->priv), undone by af_queue_exit(). */
struct af_queue_test {
	struct af_test_waiter waiters[AF_QT_WAITERS];
	int nr_waiters;
	int woken[AF_QT_WAITERS];	/* ids, in the order of the wakes */
	int nr_woken;
	int nr_checked;			/* of woken[], by af_expect_woken() */
	struct af_bucket *buckets[AF_QT_BUCKETS];
	int start[AF_QT_BUCKETS];	/* their counts before the case */
	int nr_buckets;
	struct af_ptable *pt;		/* the case's table */
};

/* What the test keys name, and their waiters' mm: no mm, no inode. */
static char af_test_object;
#define AF_TEST_MM	((struct mm_struct *)&af_test_object)

/* The case's table, for af_test_key() (cases run one at a time). */
static struct af_ptable *af_test_pt;

static struct af_key af_test_key(u64 word)
{
	struct af_key key = {
		.object = &af_test_object,
		.word = word,
		.pt = af_test_pt,
		.type = AF_KEY_PRIVATE,
	};

	return key;
}

static unsigned int af_test_size(void)
{
	return af_test_pt->mask + 1;
}

static int af_queue_init(struct kunit *test)
{
	const struct af_table *table = test->param_value;
	struct af_queue_test *qt;

	qt = kunit_kzalloc(test, sizeof(*qt), GFP_KERNEL);
	if (!qt)
		return -ENOMEM;
	test->priv = qt;
	qt->pt = af_ptable_alloc(table->size ?: af_ptable_default_size());
	if (!qt->pt)
		return -ENOMEM;
	af_test_pt = qt->pt;
	return 0;
}

/*
 * The index in qt->buckets of the bucket of @key, remembered with its
 * count the first time.
 */
static int af_test_bucket(struct kunit *test, const struct af_key *key)
{
	struct af_queue_test *qt = test->priv;
	struct af_bucket *b = af_hash_bucket(key);
	int i;

	for (i = 0; i < qt->nr_buckets; i++)
		if (qt->buckets[i] == b)
			return i;
	KUNIT_ASSERT_LT(test, i, AF_QT_BUCKETS);
	qt->buckets[i] = b;
	qt->start[i] = atomic_read(&b->waiters);
	qt->nr_buckets++;
	return i;
}

/* The count of @key's bucket relative to its count before the case. */
static int af_test_count(struct kunit *test, const struct af_key *key)
{
	struct af_queue_test *qt = test->priv;
	int i = af_test_bucket(test, key);

	return atomic_read(&qt->buckets[i]->waiters) - qt->start[i];
}

/* The wake operation: from the waker's wake list, in order. */
static void af_test_wake(struct af_waiter *w)
{
	struct af_test_waiter *tw = container_of(w, struct af_test_waiter, w);
	struct af_queue_test *qt = tw->qt;

	if (qt->nr_woken < AF_QT_WAITERS)
		qt->woken[qt->nr_woken] = tw->id;
	qt->nr_woken++;
	af_waiter_release(w);				/* (D) */
}

/* af_wake_key() on a copy of @key, which it may complete (key->pt). */
static int af_test_wake_key(const struct af_key *key, int nr_wake)
{
	struct af_key k = *key;

	return af_wake_key(&k, ALTFUTEX_BITSET_MATCH_ANY, nr_wake);
}

/* Queue a new fake waiter on @key; return its id. */
static int af_test_enqueue(struct kunit *test, const struct af_key *key)
{
	struct af_queue_test *qt = test->priv;
	struct af_test_waiter *tw;

	KUNIT_ASSERT_LT(test, qt->nr_waiters, AF_QT_WAITERS);
	af_test_bucket(test, key);
	tw = &qt->waiters[qt->nr_waiters];
	tw->qt = qt;
	tw->id = qt->nr_waiters++;
	tw->w.key = *key;
	tw->w.mm = AF_TEST_MM;
	tw->w.wake = af_test_wake;
	tw->w.vec = NULL;
	tw->w.mask = ALTFUTEX_BITSET_MATCH_ANY;
	af_enqueue(&tw->w);
	tw->enqueued = true;
	return tw->id;
}

/*
 * Into @ids, the waiters of the test queued on @b in queue order: those
 * of @key, or all of them if @key is NULL.  Return how many there are.
 */
static int af_test_queued(struct af_bucket *b, const struct af_key *key,
			  int *ids, int max)
{
	struct af_test_waiter *tw;
	struct af_waiter *w;
	int n = 0;

	spin_lock(&b->lock);
	list_for_each_entry(w, &b->queue, node) {
		if (w->key.object != &af_test_object ||
		    (key && !af_key_match(&w->key, key)))
			continue;
		tw = container_of(w, struct af_test_waiter, w);
		if (n < max)
			ids[n] = tw->id;
		n++;
	}
	spin_unlock(&b->lock);
	return n;
}

/* Expect @n ids in @got to be @want, and report the first difference. */
static void af_expect_ids(struct kunit *test, const char *what,
			  const int *got, int n_got, const int *want, int n)
{
	int i;

	if (n_got != n) {
		KUNIT_FAIL(test, "%s: %d waiters, expected %d", what, n_got, n);
		return;
	}
	for (i = 0; i < n; i++) {
		if (got[i] != want[i]) {
			KUNIT_FAIL(test, "%s: #%d is waiter %d, expected %d",
				   what, i, got[i], want[i]);
			return;
		}
	}
}

/* The wakes since the last call are those of @want, in that order. */
static void af_expect_woken(struct kunit *test, const char *what,
			    const int *want, int n)
{
	struct af_queue_test *qt = test->priv;
	int got = min(qt->nr_woken, AF_QT_WAITERS) - qt->nr_checked;

	af_expect_ids(test, what, qt->woken + qt->nr_checked, got, want, n);
	qt->nr_checked = qt->nr_woken;
}

/* Expect the test's waiters of @key, in queue order, to be @want. */
static void af_expect_queued(struct kunit *test, const char *what,
			     const struct af_key *key, const int *want, int n)
{
	int got[AF_QT_WAITERS];
	int nr = af_test_queued(af_hash_bucket(key), key, got, AF_QT_WAITERS);

	af_expect_ids(test, what, got, nr, want, n);
}

/*
 * A key other than @a whose bucket is (@same) or is not the bucket of
 * @a, found by trying words after @a's.  For the same bucket, 64 times
 * the table size tries fail with probability (1 - 1/size)^(64 size) <
 * e^-64; for another one, a one-bucket table has none (false).
 */
static bool af_test_find_key(const struct af_key *a, bool same,
			     struct af_key *b)
{
	struct af_bucket *ba = af_hash_bucket(a);
	unsigned long tries = 64UL * af_test_size();
	u64 word = a->word;

	if (!same && af_test_size() == 1)
		return false;
	while (tries--) {
		word += sizeof(u32);
		*b = af_test_key(word);
		if ((af_hash_bucket(b) == ba) == same)
			return true;
	}
	return false;
}

/*
 * Dequeue every fake waiter, and check that the buckets are as the case
 * found them: the same counts, none of the test's waiters queued.  Runs
 * even when an assertion ended the case early.
 */
static void af_queue_exit(struct kunit *test)
{
	struct af_queue_test *qt = test->priv;
	int i, left;

	if (!qt)
		return;
	for (i = 0; i < qt->nr_waiters; i++)
		if (qt->waiters[i].enqueued)
			af_dequeue(&qt->waiters[i].w);
	for (i = 0; i < qt->nr_buckets; i++) {
		KUNIT_EXPECT_EQ(test, atomic_read(&qt->buckets[i]->waiters),
				qt->start[i]);
		left = af_test_queued(qt->buckets[i], NULL, NULL, 0);
		KUNIT_EXPECT_EQ(test, left, 0);
	}
	af_test_pt = NULL;
	kvfree(qt->pt);
}

/* 32 waiters on one key, woken by wakes of 1: oldest first. */
static void af_queue_fifo(struct kunit *test)
{
	struct af_queue_test *qt = test->priv;
	struct af_key a = af_test_key(0x1000);
	int i, ret;

	for (i = 0; i < 32; i++)
		af_test_enqueue(test, &a);
	KUNIT_EXPECT_EQ(test, af_test_count(test, &a), 32);
	for (i = 0; i < 32; i++) {
		ret = af_test_wake_key(&a, 1);
		if (ret != 1 || qt->nr_woken != i + 1 || qt->woken[i] != i) {
			KUNIT_FAIL(test, "wake #%d returned %d, woke %d waiters, the last %d",
				   i, ret, qt->nr_woken,
				   qt->nr_woken ? qt->woken[qt->nr_woken - 1] : -1);
			return;
		}
		KUNIT_EXPECT_EQ(test, qt->waiters[i].w.state, AF_WOKEN);
		KUNIT_EXPECT_EQ(test, af_test_count(test, &a), 31 - i);
	}
	KUNIT_EXPECT_EQ(test, af_test_wake_key(&a, 1), 0);
	KUNIT_EXPECT_EQ(test, qt->nr_woken, 32);
}

/*
 * Two keys in one bucket, their waiters interleaved: a wake of one never
 * takes the other's, and each keeps its order.
 */
static void af_queue_shared_bucket(struct kunit *test)
{
	static const int a3[] = { 0, 2, 4 };
	static const int a_rest[] = { 6, 8, 10, 12, 14 };
	static const int b_all[] = { 1, 3, 5, 7, 9, 11, 13, 15 };
	struct af_key a = af_test_key(0x2000), b;
	int i;

	KUNIT_ASSERT_TRUE(test, af_test_find_key(&a, true, &b));
	for (i = 0; i < 8; i++) {
		af_test_enqueue(test, &a);	/* ids 0, 2, 4... */
		af_test_enqueue(test, &b);	/* ids 1, 3, 5... */
	}
	KUNIT_EXPECT_EQ(test, af_test_count(test, &a), 16);

	KUNIT_EXPECT_EQ(test, af_test_wake_key(&a, 3), 3);
	af_expect_woken(test, "wake(a, 3)", a3, ARRAY_SIZE(a3));
	af_expect_queued(test, "b after wake(a, 3)", &b, b_all,
			 ARRAY_SIZE(b_all));
	af_expect_queued(test, "a after wake(a, 3)", &a, a_rest,
			 ARRAY_SIZE(a_rest));
	KUNIT_EXPECT_EQ(test, af_test_wake_key(&b, INT_MAX), 8);
	af_expect_woken(test, "wake(b, INT_MAX)", b_all, ARRAY_SIZE(b_all));
	KUNIT_EXPECT_EQ(test, af_test_wake_key(&a, INT_MAX), 5);
	af_expect_woken(test, "wake(a, INT_MAX)", a_rest, ARRAY_SIZE(a_rest));
	KUNIT_EXPECT_EQ(test, af_test_count(test, &a), 0);
}

/* A wake returns exactly how many it woke; nr_wake <= 0 wakes nobody. */
static void af_queue_wake_count(struct kunit *test)
{
	static const int nonpos[] = { 0, -1, INT_MIN };
	static const int first2[] = { 0, 1 };
	static const int next3[] = { 2, 3, 4 };
	struct af_queue_test *qt = test->priv;
	struct af_key a = af_test_key(0x3000), b;
	int i;

	KUNIT_ASSERT_TRUE(test, af_test_find_key(&a, true, &b));
	KUNIT_EXPECT_EQ(test, af_test_wake_key(&a, 1), 0);	/* nobody queued */
	for (i = 0; i < 5; i++)
		af_test_enqueue(test, &a);
	for (i = 0; i < ARRAY_SIZE(nonpos); i++)
		KUNIT_EXPECT_EQ(test, af_test_wake_key(&a, nonpos[i]), 0);
	/* another key of the same bucket, with no waiter of its own */
	KUNIT_EXPECT_EQ(test, af_test_wake_key(&b, INT_MAX), 0);
	KUNIT_EXPECT_EQ(test, qt->nr_woken, 0);
	KUNIT_EXPECT_EQ(test, af_test_count(test, &a), 5);

	KUNIT_EXPECT_EQ(test, af_test_wake_key(&a, 2), 2);
	af_expect_woken(test, "wake(a, 2)", first2, ARRAY_SIZE(first2));
	KUNIT_EXPECT_EQ(test, af_test_wake_key(&a, 10), 3);
	af_expect_woken(test, "wake(a, 10)", next3, ARRAY_SIZE(next3));
	KUNIT_EXPECT_EQ(test, af_test_wake_key(&a, 1), 0);
	KUNIT_EXPECT_EQ(test, qt->nr_woken, 5);
	KUNIT_EXPECT_EQ(test, af_test_count(test, &a), 0);
}

/* Do the waiters @ids wait on @key, in @key's bucket? */
static void af_expect_keyed(struct kunit *test, const struct af_key *key,
			    const int *ids, int n)
{
	struct af_queue_test *qt = test->priv;
	struct af_bucket *b = af_hash_bucket(key);
	struct af_waiter *w;
	int i;

	for (i = 0; i < n; i++) {
		w = &qt->waiters[ids[i]].w;
		KUNIT_EXPECT_TRUE(test, af_key_match(&w->key, key));
		KUNIT_EXPECT_EQ(test, w->key.type, AF_KEY_PRIVATE);
		KUNIT_EXPECT_PTR_EQ(test, w->bucket, b);
		KUNIT_EXPECT_EQ(test, w->state, AF_QUEUED);
	}
}

/*
 * requeue(a -> b, nr_wake 2, nr_requeue 3) with 6 waiters on a and 2 on
 * b: a's 2 oldest woken, its next 3 moved, in order, behind b's; the
 * moved waiters' key and bucket are b's, af_dequeue() finds one there.
 */
static void af_requeue_case(struct kunit *test, const struct af_key *a,
			    const struct af_key *b)
{
	static const int woken[] = { 0, 2 };
	static const int moved[] = { 3, 5, 6 };
	static const int b_after[] = { 1, 4, 3, 5, 6 };
	static const int a_after[] = { 7 };
	static const int b_rest[] = { 1, 4, 3, 5 };
	struct af_queue_test *qt = test->priv;
	bool split = af_hash_bucket(a) != af_hash_bucket(b);
	int i;

	/* a0 b0 a1 a2 b1 a3 a4 a5: a's are 0 2 3 5 6 7, b's 1 4 */
	for (i = 0; i < 8; i++)
		af_test_enqueue(test, i == 1 || i == 4 ? b : a);
	KUNIT_EXPECT_EQ(test, af_requeue_keys(a, b, NULL, 0, 0, NULL), 0);
	KUNIT_EXPECT_EQ(test, qt->nr_woken, 0);

	KUNIT_EXPECT_EQ(test, af_requeue_keys(a, b, NULL, 2, 3, NULL), 5);
	af_expect_woken(test, "requeue(a, b, 2, 3) woke", woken,
			ARRAY_SIZE(woken));
	af_expect_queued(test, "b after requeue", b, b_after,
			 ARRAY_SIZE(b_after));
	af_expect_queued(test, "a after requeue", a, a_after,
			 ARRAY_SIZE(a_after));
	af_expect_keyed(test, b, moved, ARRAY_SIZE(moved));
	if (split) {
		KUNIT_EXPECT_EQ(test, af_test_count(test, a), 1);
		KUNIT_EXPECT_EQ(test, af_test_count(test, b), 5);
	} else {
		KUNIT_EXPECT_EQ(test, af_test_count(test, a), 6);
	}

	/* a moved waiter leaves b's bucket (a timeout, say) */
	KUNIT_EXPECT_TRUE(test, af_dequeue(&qt->waiters[6].w));
	KUNIT_EXPECT_EQ(test, qt->waiters[6].w.state, AF_IDLE);
	KUNIT_EXPECT_EQ(test, af_test_count(test, b), split ? 4 : 5);

	/* more than a has: the one left */
	KUNIT_EXPECT_EQ(test, af_requeue_keys(a, b, NULL, 10, 10, NULL), 1);
	af_expect_woken(test, "requeue(a, b, 10, 10) woke", a_after,
			ARRAY_SIZE(a_after));
	KUNIT_EXPECT_EQ(test, af_test_wake_key(b, INT_MAX), 4);
	af_expect_woken(test, "wake(b) after requeue", b_rest,
			ARRAY_SIZE(b_rest));
	KUNIT_EXPECT_EQ(test, af_test_count(test, a), 0);
	KUNIT_EXPECT_EQ(test, af_test_count(test, b), 0);
	for (i = 0; i < 8; i++)
		KUNIT_EXPECT_FALSE(test, af_dequeue(&qt->waiters[i].w));
}

/* requeue onto a key of the same bucket */
static void af_queue_requeue(struct kunit *test)
{
	struct af_key a = af_test_key(0x4000), b;

	KUNIT_ASSERT_TRUE(test, af_test_find_key(&a, true, &b));
	af_requeue_case(test, &a, &b);
}

/* requeue onto a key of another bucket (none in a one-bucket table) */
static void af_queue_requeue_split(struct kunit *test)
{
	struct af_key a = af_test_key(0x5000), b;

	if (!af_test_find_key(&a, false, &b))
		kunit_skip(test, "a table of one bucket");
	af_requeue_case(test, &a, &b);
}

/*
 * requeue(a -> a): the endless loop of the 2003 thread if the moved
 * waiters were met again.  It terminates, wakes nr_wake, moves up to
 * nr_requeue, INT_MAX included, to the tail of the bucket in order (after
 * another key's waiters too), counts them, and leaves the keys alone.
 */
static void af_queue_requeue_self(struct kunit *test)
{
	static const int woken1[] = { 0, 2 };
	static const int order1[] = { 1, 3, 4, 5, 6, 7, 8, 9 };
	static const int woken2[] = { 4 };
	static const int order2[] = { 1, 3, 7, 8, 9, 5, 6 };
	static const int a_final[] = { 7, 8, 9, 5, 6 };
	static const int b_all[] = { 1, 3 };
	struct af_queue_test *qt = test->priv;
	struct af_key a = af_test_key(0x6000), b;
	struct af_bucket *bucket = af_hash_bucket(&a);
	int got[AF_QT_WAITERS];
	int i, n;

	KUNIT_ASSERT_TRUE(test, af_test_find_key(&a, true, &b));
	/* a0 b0 a1 b1 a2 ... a7: b's are 1 and 3 */
	for (i = 0; i < 10; i++)
		af_test_enqueue(test, i == 1 || i == 3 ? &b : &a);

	KUNIT_EXPECT_EQ(test, af_requeue_keys(&a, &a, NULL, 2, INT_MAX, NULL), 8);
	af_expect_woken(test, "requeue(a, a, 2, INT_MAX) woke", woken1,
			ARRAY_SIZE(woken1));
	n = af_test_queued(bucket, NULL, got, AF_QT_WAITERS);
	af_expect_ids(test, "bucket after requeue(a, a, 2, INT_MAX)", got, n,
		      order1, ARRAY_SIZE(order1));
	KUNIT_EXPECT_EQ(test, af_test_count(test, &a), 8);

	KUNIT_EXPECT_EQ(test, af_requeue_keys(&a, &a, NULL, 1, 2, NULL), 3);
	af_expect_woken(test, "requeue(a, a, 1, 2) woke", woken2,
			ARRAY_SIZE(woken2));
	n = af_test_queued(bucket, NULL, got, AF_QT_WAITERS);
	af_expect_ids(test, "bucket after requeue(a, a, 1, 2)", got, n, order2,
		      ARRAY_SIZE(order2));

	/* moving all of them keeps their order; moving none moves none */
	KUNIT_EXPECT_EQ(test, af_requeue_keys(&a, &a, NULL, 0, INT_MAX, NULL), 5);
	KUNIT_EXPECT_EQ(test, af_requeue_keys(&a, &a, NULL, 0, 0, NULL), 0);
	n = af_test_queued(bucket, NULL, got, AF_QT_WAITERS);
	af_expect_ids(test, "bucket after requeue(a, a, 0, *)", got, n, order2,
		      ARRAY_SIZE(order2));
	af_expect_keyed(test, &a, a_final, ARRAY_SIZE(a_final));
	af_expect_keyed(test, &b, b_all, ARRAY_SIZE(b_all));
	KUNIT_EXPECT_EQ(test, qt->nr_woken, 3);
	KUNIT_EXPECT_EQ(test, af_test_count(test, &a), 7);

	KUNIT_EXPECT_EQ(test, af_test_wake_key(&a, INT_MAX), 5);
	af_expect_woken(test, "wake(a) after requeue(a, a)", a_final,
			ARRAY_SIZE(a_final));
	KUNIT_EXPECT_EQ(test, af_test_wake_key(&b, INT_MAX), 2);
	af_expect_woken(test, "wake(b) after requeue(a, a)", b_all,
			ARRAY_SIZE(b_all));
	KUNIT_EXPECT_EQ(test, af_test_count(test, &a), 0);
}

static struct kunit_case af_queue_cases[] = {
	KUNIT_CASE_PARAM(af_queue_fifo, af_table_gen_params),
	KUNIT_CASE_PARAM(af_queue_shared_bucket, af_table_gen_params),
	KUNIT_CASE_PARAM(af_queue_wake_count, af_table_gen_params),
	KUNIT_CASE_PARAM(af_queue_requeue, af_table_gen_params),
	KUNIT_CASE_PARAM(af_queue_requeue_split, af_table_gen_params),
	KUNIT_CASE_PARAM(af_queue_requeue_self, af_table_gen_params),
	{}
};

static struct kunit_suite af_queue_suite = {
	.name = "altfutex_queue",
	.init = af_queue_init,
	.exit = af_queue_exit,
	.test_cases = af_queue_cases,
};

kunit_test_suites(&af_key_suite, &af_hash_suite, &af_queue_suite);

MODULE_IMPORT_NS(AF_KUNIT_NS);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("KUnit suites of altfutex: key rules, hash, queue order");
