// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * efault: addresses that are not readable user memory.
 *  - unmapped (mmap + munmap), NULL: -EFAULT for wait (either flag) and a
 *    non-private wake; a private wake never touches memory and finds
 *    nobody (0);
 *  - kernel and non-canonical addresses: -EFAULT for everything (README:
 *    "a non-user address is -EFAULT in every case");
 *  - a PROT_NONE page: -EFAULT for wait and non-private wake;
 *  - a MAP_SHARED file page past EOF after ftruncate: wait and wake
 *    -EFAULT; the page holding EOF and pages before it still work;
 *  - bad pointers to the ioctl argument struct: errno EFAULT, no oops;
 *  - read-only memory (PROT_READ, never written) works: the module only
 *    reads the word.
 */
#include <sys/ioctl.h>

#include "helpers.h"

static size_t pg;

static void check_bad(uint32_t *p, const char *what, int priv_wake)
{
	struct timespec ts = t_ts_ms(10);

	t_log("checking %s (%p)", what, (void *)p);
	CHECK_RET(altfutex_wait(p, 0, NULL, 0), -EFAULT);
	CHECK_RET(altfutex_wait(p, 0, &ts, 0), -EFAULT);
	CHECK_RET(altfutex_wait(p, 0, NULL, ALTFUTEX_PRIVATE), -EFAULT);
	CHECK_RET(altfutex_wait(p, 0, &ts, ALTFUTEX_PRIVATE), -EFAULT);
	CHECK_RET(altfutex_wake(p, 1, 0), -EFAULT);
	CHECK_RET(altfutex_wake(p, INT_MAX, 0), -EFAULT);
	CHECK_RET(altfutex_wake(p, 1, ALTFUTEX_PRIVATE), priv_wake);
	t_log("ok: %s: wait -EFAULT (either flag), wake -EFAULT, private wake %d",
	      what, priv_wake);
}

static void check_addresses(void)
{
	uint32_t *p;
	char *m;

	m = t_map(3, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	CHECK(!munmap(m + pg, pg), "munmap: %s", strerror(errno));
	check_bad((uint32_t *)(m + pg), "unmapped page", 0);
	check_bad((uint32_t *)(m + 2 * pg - 4), "last word of an unmapped page",
		  0);
	/* its neighbours still work */
	p = (uint32_t *)(m + pg - 4);
	CHECK_RET(altfutex_wake(p, 1, 0), 0);
	p = (uint32_t *)(m + 2 * pg);
	CHECK_RET(altfutex_wake(p, 1, 0), 0);
	check_bad(NULL, "NULL", 0);
	check_bad((uint32_t *)(uintptr_t)0xffffffff81000000ull,
		  "kernel address", -EFAULT);
	check_bad((uint32_t *)(uintptr_t)0xffff888000000000ull,
		  "kernel direct map", -EFAULT);
	check_bad((uint32_t *)(uintptr_t)0x8000000000000000ull,
		  "non-canonical address", -EFAULT);
	munmap(m, 3 * pg);
}

/*
 * PROT_NONE is not readable user memory: wait, and a wake without
 * ALTFUTEX_PRIVATE (which follows the same -EFAULT rules as wait), are
 * -EFAULT.
 */
static void check_prot_none(void)
{
	char *m;

	m = t_map(1, PROT_NONE, MAP_PRIVATE);
	check_bad((uint32_t *)m, "PROT_NONE private page", 0);
	munmap(m, pg);
	m = t_map(1, PROT_READ | PROT_WRITE, MAP_SHARED);
	*(uint32_t *)m = 0;
	CHECK(!mprotect(m, pg, PROT_NONE), "mprotect: %s", strerror(errno));
	check_bad((uint32_t *)m + 5, "PROT_NONE shared page (populated)", 0);
	munmap(m, pg);
}

static void check_truncate(void)
{
	char path[] = "/tmp/altfutex-efault-XXXXXX";
	struct timespec ts = t_ts_ms(10);
	uint32_t *w0, *w1, *w2;
	char *m, *mp;
	int fd;

	fd = mkstemp(path);
	CHECK(fd >= 0, "mkstemp: %s", strerror(errno));
	unlink(path);
	CHECK(!ftruncate(fd, 3 * pg), "ftruncate: %s", strerror(errno));
	m = mmap(NULL, 3 * pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(m != MAP_FAILED, "mmap: %s", strerror(errno));
	mp = mmap(NULL, 3 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	CHECK(mp != MAP_FAILED, "mmap: %s", strerror(errno));
	w0 = (uint32_t *)(m + 64);
	w1 = (uint32_t *)(m + pg + 512);
	w2 = (uint32_t *)(m + 2 * pg + 8);
	*w0 = *w1 = *w2 = 0;
	CHECK_RET(altfutex_wait(w2, 0, &ts, 0), -ETIMEDOUT);

	/* EOF in the middle of page 1: page 1 still holds futexes */
	CHECK(!ftruncate(fd, pg + 100), "ftruncate: %s", strerror(errno));
	CHECK_RET(altfutex_wait(w2, 0, NULL, 0), -EFAULT);
	CHECK_RET(altfutex_wait(w2, 0, &ts, ALTFUTEX_PRIVATE), -EFAULT);
	CHECK_RET(altfutex_wake(w2, 1, 0), -EFAULT);
	CHECK_RET(altfutex_wake(w2, 1, ALTFUTEX_PRIVATE), 0);
	CHECK_RET(altfutex_wait(w1, 0, &ts, 0), -ETIMEDOUT);
	CHECK_RET(altfutex_wake(w1, 1, 0), 0);
	CHECK_RET(altfutex_wait(w0, 0, &ts, 0), -ETIMEDOUT);
	t_log("ok: file cut to 1 page + 100 B: page 2 -EFAULT, pages 0-1 work");
	CHECK_RET(altfutex_wait((uint32_t *)(mp + 2 * pg), 0, &ts, 0), -EFAULT);
	t_log("ok: MAP_PRIVATE file page past EOF: wait -EFAULT");

	CHECK(!ftruncate(fd, 0), "ftruncate: %s", strerror(errno));
	CHECK_RET(altfutex_wait(w0, 0, NULL, 0), -EFAULT);
	CHECK_RET(altfutex_wake(w0, 1, 0), -EFAULT);
	CHECK_RET(altfutex_wait(w1, 0, NULL, 0), -EFAULT);
	CHECK_RET(altfutex_wake(w1, 1, 0), -EFAULT);
	t_log("ok: truncated to 0: every page of the mapping is -EFAULT for wait and wake");

	/* grown again: the same mapping works again */
	CHECK(!ftruncate(fd, 3 * pg), "ftruncate: %s", strerror(errno));
	CHECK_RET(altfutex_wait(w2, 0, &ts, 0), -ETIMEDOUT);
	CHECK_RET(altfutex_wake(w2, 1, 0), 0);
	t_log("ok: extended again: wait and wake work again");
	munmap(m, 3 * pg);
	munmap(mp, 3 * pg);
	close(fd);
}

static void check_ioctl_args(void)
{
	static const uintptr_t bad[] = {
		0, 16, 0xffffffff81000000ull, 0x8000000000000000ull,
	};
	static const unsigned long cmds[] = {
		ALTFUTEX_IOC_WAIT, ALTFUTEX_IOC_WAKE,
		ALTFUTEX_IOC_REQUEUE, ALTFUTEX_IOC_CMP_REQUEUE,
	};
	unsigned int i, j;
	char *m;
	int fd = altfutex_open();
	int r;

	CHECK(fd >= 0, "altfutex_open: %s", t_err(fd));
	for (i = 0; i < ARRAY_SIZE(cmds); i++) {
		for (j = 0; j < ARRAY_SIZE(bad); j++) {
			errno = 0;
			r = ioctl(fd, cmds[i], (void *)bad[j]);
			CHECK(r == -1 && errno == EFAULT,
			      "ioctl %#lx with argument %#lx: %d, errno %d (%s)",
			      cmds[i], (unsigned long)bad[j], r, errno,
			      strerror(errno));
		}
	}
	/* an argument struct that runs off the end of a mapping */
	m = t_map(2, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	CHECK(!munmap(m + pg, pg), "munmap: %s", strerror(errno));
	for (i = 0; i < ARRAY_SIZE(cmds); i++) {
		errno = 0;
		r = ioctl(fd, cmds[i], m + pg - 8);
		CHECK(r == -1 && errno == EFAULT,
		      "ioctl %#lx, struct straddling an unmapped page: %d, errno %d (%s)",
		      cmds[i], r, errno, strerror(errno));
	}
	munmap(m, pg);
	t_log("ok: bad argument struct pointers give EFAULT");
}

static void check_readonly(void)
{
	struct timespec ts = t_ts_ms(20);
	struct t_waiter w;
	char path[] = "/tmp/altfutex-ro-XXXXXX";
	uint32_t *ro, one = 1;
	int fd;

	ro = t_map(1, PROT_READ, MAP_PRIVATE);
	CHECK_RET(altfutex_wait(ro, 0, &ts, 0), -ETIMEDOUT);
	CHECK_RET(altfutex_wait(ro + 1, 1, &ts, 0), -EAGAIN);
	CHECK_RET(altfutex_wait(ro, 0, &ts, ALTFUTEX_PRIVATE), -ETIMEDOUT);
	t_waiter_start(&w, ro + 2, 0, 0, T_SAFETY_MS, "read-only waiter");
	CHECK_RET(altfutex_wake(ro + 2, 1, 0), 1);
	t_waiter_expect(&w, 0);
	munmap(ro, pg);
	t_log("ok: PROT_READ anonymous page: wait sleeps or -EAGAIN, wake works");

	fd = mkstemp(path);
	CHECK(fd >= 0, "mkstemp: %s", strerror(errno));
	unlink(path);
	CHECK(pwrite(fd, &one, 4, 0) == 4 && !ftruncate(fd, pg), "write: %s",
	      strerror(errno));
	ro = mmap(NULL, pg, PROT_READ, MAP_SHARED, fd, 0);
	CHECK(ro != MAP_FAILED, "mmap: %s", strerror(errno));
	CHECK_RET(altfutex_wait(ro, 1, &ts, 0), -ETIMEDOUT);
	CHECK_RET(altfutex_wait(ro, 0, &ts, 0), -EAGAIN);
	CHECK_RET(altfutex_wait(ro + 1, 0, &ts, 0), -ETIMEDOUT);
	munmap(ro, pg);
	close(fd);
	t_log("ok: PROT_READ MAP_SHARED file page: wait reads the word (-ETIMEDOUT / -EAGAIN)");
}

int main(void)
{
	t_init("efault", 60);
	pg = (size_t)sysconf(_SC_PAGESIZE);

	check_addresses();
	check_truncate();
	check_ioctl_args();
	check_readonly();
	check_prot_none();
	t_log("PASS");
	return T_PASS;
}
