// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * shared_file: a regular file mapped MAP_SHARED is keyed by (inode, file
 * offset) (the README's "Keys: what "the same futex" means"):
 *  - two processes that map it at different addresses and different mmap
 *    offsets, each through its own open(), wake each other;
 *  - munmap + mmap at a new address in the waker: the sleeping waiter
 *    (mapped elsewhere in the other process) is still found;
 *  - the waiter's own mapping may go away while it sleeps (it stays queued
 *    on its key); a new wake on the unmapped address is -EFAULT;
 *  - mremap() of the waiter's mapping to a new address while it sleeps:
 *    wakes through the new address and from the other process find it;
 *  - a read-only MAP_SHARED mapping of an O_RDONLY fd can wait (and wake):
 *    a writer's wake through a writable mapping wakes it.
 *
 * Runs in every distinct writable filesystem among argv[1..] or, by
 * default, the cwd, /tmp, /var/tmp, /dev/shm, /run and the test VM's disk
 * ($ALTFUTEX_VM_DISK, an ext2 file system).  In the test VM
 * the others are all the initramfs root (tmpfs or ramfs), so as root
 * the test also mounts a ramfs of its own (page-cache pages that are not
 * shmem) when none was covered.  It says which filesystems it covered.
 */
#include <sys/mount.h>
#include <sys/statfs.h>

#include "helpers.h"

#define MAX_DIRS 16
#define RAMFS_MAGIC_ 0x858458f6

static char g_path[200];
static pid_t g_owner;

static void cleanup(void)
{
	if (getpid() == g_owner && g_path[0])
		unlink(g_path);
}

static const char *fs_name(long type)
{
	switch ((unsigned long)type) {
	case 0x01021994: return "tmpfs";
	case RAMFS_MAGIC_: return "ramfs";
	case 0xef53: return "ext2/3/4";
	case 0x58465342: return "xfs";
	case 0x9123683e: return "btrfs";
	case 0x01021997: return "9p";
	case 0x6969: return "nfs";
	case 0x65735546: return "fuse";
	case 0x794c7630: return "overlayfs";
	}
	return "other";
}

static void test_dir(const char *dir, const char *fsname)
{
	size_t pg = PGSZ;
	size_t off = pg + 512;	/* file offset of the word */
	struct puppet c1, c2;
	char *ma, *ma2, *mb, *mc, *mr, *win, *mf2;
	struct p_waiter w;
	int fd, fd1, fdro, fd2;
	char path2[300];

	snprintf(g_path, sizeof(g_path), "%s/altfutex-shared-file.%d", dir,
		 getpid());
	fd = open(g_path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	CHECK(fd >= 0, "create %s: %s", g_path, strerror(errno));
	CHECK(ftruncate(fd, 3 * pg) == 0, "ftruncate: %s", strerror(errno));
	ma = mmap(NULL, 3 * pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(ma != MAP_FAILED, "mmap: %s", strerror(errno));
	ma2 = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, pg);
	CHECK(ma2 != MAP_FAILED, "mmap: %s", strerror(errno));
	win = t_reserve(16 * pg);

	puppet_start(&c1, "c1", NULL, NULL);
	puppet_start(&c2, "c2", NULL, NULL);
	fd1 = p_open(&c1, g_path, O_RDWR);
	CHECK(fd1 >= 0, "open in c1: %s", strerror(-fd1));
	mb = p_mmap(&c1, win, 3 * pg, PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_FIXED, fd1, 0);
	mc = p_mmap(&c1, win + 4 * pg, 2 * pg, PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_FIXED, fd1, pg);
	fdro = p_open(&c2, g_path, O_RDONLY);
	CHECK(fdro >= 0, "open O_RDONLY in c2: %s", strerror(-fdro));
	mr = p_mmap(&c2, win + 8 * pg, 3 * pg, PROT_READ, MAP_SHARED | MAP_FIXED,
		    fdro, 0);
	t_log("%s (%s): word at file offset %zu: self %p (alias %p), c1 %p and %p, c2 read-only %p",
	      dir, fsname, off, ma + off, ma2 + 512, mb + off, mc + 512, mr + off);

	p_store(&c1, mc + 512, 9);
	CHECK(*U32_AT(ma, off) == 9 && p_load(&c2, mr + off) == 9,
	      "file not shared");
	p_store(NULL, ma + off, 0);

	/* different addresses, different mmap offsets, separate opens */
	w = w_start(NULL, ma + off, 0, 0, T_SAFETY_MS, "self@ma");
	CHECK_RET(p_wake(&c1, mc + 512, INT_MAX, 0), 1);
	w_expect(&w, 0);
	w = w_start(&c1, mb + off, 0, 0, T_SAFETY_MS, "c1@mb");
	CHECK_RET(p_wake(NULL, ma2 + 512, INT_MAX, 0), 1);
	w_expect(&w, 0);
	w = w_start(&c1, mc + 512, 0, 0, T_SAFETY_MS, "c1@mc");
	CHECK_RET(p_wake(&c1, mb + off, INT_MAX, 0), 1);
	w_expect(&w, 0);
	t_log("ok: %s: processes and aliases at different addresses and mmap offsets meet",
	      fsname);

	/* independence: other byte offset, other page, other file */
	snprintf(path2, sizeof(path2), "%s.2", g_path);
	fd2 = open(path2, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	CHECK(fd2 >= 0, "create %s: %s", path2, strerror(errno));
	unlink(path2);
	CHECK(ftruncate(fd2, 3 * pg) == 0, "ftruncate: %s", strerror(errno));
	mf2 = mmap(NULL, 3 * pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd2, 0);
	CHECK(mf2 != MAP_FAILED, "mmap: %s", strerror(errno));
	w = w_start(&c1, mb + off, 0, 0, T_SAFETY_MS, "c1@mb");
	CHECK_RET(p_wake(NULL, mf2 + off, INT_MAX, 0), 0);
	CHECK_RET(p_wake(NULL, ma + off + 4, INT_MAX, 0), 0);
	CHECK_RET(p_wake(NULL, ma + off + pg, INT_MAX, 0), 0);
	w_check_asleep(&w, 20);
	CHECK_RET(p_wake(NULL, ma + off, INT_MAX, 0), 1);
	w_expect(&w, 0);
	munmap(mf2, 3 * pg);
	close(fd2);
	t_log("ok: %s: another file, byte offset or page is another futex", fsname);

	/* munmap + remap at a new address in the waker */
	w = w_start(&c1, mc + 512, 0, 0, T_SAFETY_MS, "c1@mc");
	{
		char *mn = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE,
			       MAP_SHARED, fd, pg);

		CHECK(mn != MAP_FAILED, "mmap: %s", strerror(errno));
		CHECK(munmap(ma, 3 * pg) == 0, "munmap: %s", strerror(errno));
		CHECK(mn != ma + pg, "the new mapping must be elsewhere");
		CHECK_RET(altfutex_wake(U32_AT(ma, off), INT_MAX, 0), -EFAULT);
		CHECK_RET(altfutex_wake(U32_AT(mn, 512), INT_MAX, 0), 1);
		/* keep "ma + off" meaning the word; only ma + pg is mapped */
		ma = mn - pg;
	}
	w_expect(&w, 0);
	t_log("ok: %s: waker munmap + mmap elsewhere: finds the waiter; old address -EFAULT",
	      fsname);

	/* the waiter's own mapping goes away while it sleeps */
	w = w_start(&c1, mb + off, 0, 0, T_SAFETY_MS, "c1@mb");
	p_munmap(&c1, mb, 3 * pg);
	w_check_asleep(&w, 10);
	CHECK_RET(p_wake(&c1, mb + off, INT_MAX, 0), -EFAULT);
	CHECK_RET(p_wake(NULL, ma + off, INT_MAX, 0), 1);
	w_expect(&w, 0);
	mb = p_mmap(&c1, win, 3 * pg, PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_FIXED, fd1, 0);
	t_log("ok: %s: a waiter whose mapping was unmapped is still woken by the key",
	      fsname);

	/* mremap of the waiter's mapping while it sleeps */
	{
		char *mm = win + 12 * pg;

		w = w_start(&c1, mb + off, 0, 0, T_SAFETY_MS, "c1@mb");
		p_mremap(&c1, mb, 3 * pg, mm);
		CHECK_RET(p_wake(&c1, mm + off, INT_MAX, 0), 1);
		w_expect(&w, 0);
		w = w_start(&c1, mm + off, 0, 0, T_SAFETY_MS, "c1@moved");
		p_mremap(&c1, mm, 3 * pg, mb);
		CHECK_RET(p_wake(NULL, ma + off, INT_MAX, 0), 1);
		w_expect(&w, 0);
	}
	t_log("ok: %s: waiter's mapping moved by mremap: still woken from both sides",
	      fsname);

	/* read-only MAP_SHARED mapping of an O_RDONLY fd */
	p_store(NULL, ma + off, 0);
	w = w_start(&c2, mr + off, 0, 0, T_SAFETY_MS, "c2@mr(ro)");
	p_store(&c1, mb + off, 1);
	CHECK_RET(p_wake(&c1, mb + off, INT_MAX, 0), 1);
	w_expect(&w, 0);
	CHECK_RET(p_wait(&c2, mr + off, 0, 0, 0), -EAGAIN);
	CHECK_RET(p_wait(&c2, mr + off, 1, 0, 1), -ETIMEDOUT);
	w = w_start(&c1, mc + 512, 1, 0, T_SAFETY_MS, "c1@mc");
	CHECK_RET(p_wake(&c2, mr + off, INT_MAX, 0), 1);
	w_expect(&w, 0);
	t_log("ok: %s: read-only mapping of an O_RDONLY fd: waits, reads, wakes",
	      fsname);

	puppet_stop(&c1);
	puppet_stop(&c2);
	munmap(ma + pg, 2 * pg);
	munmap(ma2, pg);
	munmap(win, 16 * pg);
	close(fd);
	unlink(g_path);
	g_path[0] = 0;
}

int main(int argc, char **argv)
{
	static const char * const defaults[] = {
		".", "/tmp", "/var/tmp", "/dev/shm", "/run",
	};
	const char *disk = t_vm_disk();
	const char *dirs[MAX_DIRS];
	int ndirs = 0;
	dev_t seen[MAX_DIRS];
	int nseen = 0, i, j, other = 0;
	char covered[512] = "";

	t_init("shared_file", 90);
	if (argc > 1) {
		for (i = 1; i < argc && ndirs < MAX_DIRS; i++)
			dirs[ndirs++] = argv[i];
	} else {
		for (i = 0; i < (int)(sizeof(defaults) / sizeof(*defaults)); i++)
			dirs[ndirs++] = defaults[i];
		/* the test VM's disk file system (scripts/vm-init.sh) */
		if (disk)
			dirs[ndirs++] = disk;
	}
	g_owner = getpid();
	atexit(cleanup);

	for (i = 0; i < ndirs && nseen < MAX_DIRS; i++) {
		struct statfs sfs;
		struct stat st;
		const char *fsname;

		if (stat(dirs[i], &st) || !S_ISDIR(st.st_mode) ||
		    access(dirs[i], W_OK) || statfs(dirs[i], &sfs)) {
			t_log("%s: not a writable directory, not used", dirs[i]);
			continue;
		}
		for (j = 0; j < nseen && seen[j] != st.st_dev; j++)
			;
		if (j < nseen)
			continue;	/* same filesystem as an earlier one */
		seen[nseen++] = st.st_dev;
		fsname = fs_name(sfs.f_type);
		if (strcmp(fsname, "tmpfs") && strcmp(fsname, "ramfs"))
			other = 1;
		test_dir(dirs[i], fsname);
		snprintf(covered + strlen(covered),
			 sizeof(covered) - strlen(covered), " %s(%s)", dirs[i],
			 fsname);
	}
	if (!nseen)
		t_skip("no writable directory to create a file in");
	if (!strstr(covered, "(ramfs)")) {
		char mnt[] = "/tmp/altfutex-ramfs.XXXXXX";

		if (geteuid() != 0) {
			t_log("not root: no ramfs mounted for an extra filesystem");
		} else if (!mkdtemp(mnt)) {
			t_log("mkdtemp %s: %s: no ramfs covered", mnt,
			      strerror(errno));
		} else if (mount("ramfs", mnt, "ramfs", 0, NULL)) {
			t_log("mount ramfs: %s: no ramfs covered", strerror(errno));
			rmdir(mnt);
		} else {
			test_dir(mnt, "ramfs");
			snprintf(covered + strlen(covered),
				 sizeof(covered) - strlen(covered),
				 " %s(ramfs)", mnt);
			umount(mnt);
			rmdir(mnt);
		}
	}
	if (!other)
		t_log("note: only tmpfs/ramfs were available; no disk filesystem covered");
	t_log("PASS: filesystems covered:%s", covered);
	return T_PASS;
}
