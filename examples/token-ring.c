// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * token-ring: pass a token around a ring of processes with altfutex.
 *
 * One memfd holds one 32-bit word per process: turn[i] is 1 when it is
 * process i's turn.  Every process maps the memfd at a *different* address,
 * and still they all wait and wake on the same futexes, because altfutex
 * keys shared memory by (file, offset), not by address.
 *
 * Process i loops:
 *	wait until turn[i] == 1		(altfutex_wait sleeps while it is 0)
 *	turn[i] = 0
 *	turn[i + 1] = 1; wake it	(altfutex_wake)
 *
 * The same ring then runs on the native futex(2) syscall, for comparison.
 *
 * usage: token-ring [PROCESSES [ROUNDS]]	(default 4 processes, 2000 rounds)
 */
#include <errno.h>
#include <linux/futex.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <altfutex.h>

#define MAX_PROCS	64
#define TIME_LIMIT	120	/* seconds; a hang ends the demo with an error */

/* The layout of the memfd that all processes share. */
struct ring {
	uint32_t turn[MAX_PROCS][16];	/* turn[i][0]; a cache line each */
	uint64_t handoffs;		/* only the token holder touches it */
	uint64_t addr[MAX_PROCS];	/* where process i mapped the memfd */
	int failed;			/* set by a process that saw an error */
};

/* The two ways to sleep and wake that the demo compares. */
struct futex_ops {
	const char *name;
	int (*wait)(uint32_t *word, uint32_t val);	/* 0 or -errno */
	int (*wake)(uint32_t *word);			/* woken or -errno */
};

static int af_wait(uint32_t *word, uint32_t val)
{
	/* no flag: the word is shared between processes */
	return altfutex_wait(word, val, NULL, 0);
}

static int af_wake(uint32_t *word)
{
	return altfutex_wake(word, 1, 0);
}

static int native_wait(uint32_t *word, uint32_t val)
{
	if (syscall(SYS_futex, word, FUTEX_WAIT, val, NULL, NULL, 0))
		return -errno;
	return 0;
}

static int native_wake(uint32_t *word)
{
	long n = syscall(SYS_futex, word, FUTEX_WAKE, 1, NULL, NULL, 0);

	return n < 0 ? -errno : (int)n;
}

static const struct futex_ops altfutex_ops = { "altfutex", af_wait, af_wake };
static const struct futex_ops native_ops = { "futex(2)", native_wait, native_wake };

static size_t ring_size(void)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);

	return (sizeof(struct ring) + pg - 1) / pg * pg;
}

/* Sleep until *word becomes 1, then take the token (set it back to 0). */
static int take_token(const struct futex_ops *ops, uint32_t *word)
{
	int ret;

	while (__atomic_load_n(word, __ATOMIC_ACQUIRE) != 1) {
		ret = ops->wait(word, 0);
		/* -EAGAIN: the word changed before we slept; look again */
		if (ret && ret != -EAGAIN && ret != -EINTR)
			return ret;
	}
	__atomic_store_n(word, 0, __ATOMIC_RELAXED);
	return 0;
}

/* Give the token to the owner of *word and wake it. */
static int give_token(const struct futex_ops *ops, uint32_t *word)
{
	int ret;

	__atomic_store_n(word, 1, __ATOMIC_RELEASE);
	ret = ops->wake(word);
	return ret < 0 ? ret : 0;
}

/* The life of process @me: map the memfd at @where, pass the token @rounds times. */
static int member(const struct futex_ops *ops, int memfd, char *where,
		  int me, int nprocs, int rounds)
{
	struct ring *ring;
	int round, ret;

	ring = mmap(where, ring_size(), PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_FIXED, memfd, 0);
	if (ring == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	ring->addr[me] = (uintptr_t)ring;

	for (round = 0; round < rounds; round++) {
		ret = take_token(ops, &ring->turn[me][0]);
		if (!ret) {
			ring->handoffs++;
			ret = give_token(ops, &ring->turn[(me + 1) % nprocs][0]);
		}
		if (ret) {
			fprintf(stderr, "process %d: %s: %s\n", me, ops->name,
				strerror(-ret));
			ring->failed = 1;
			return 1;
		}
	}
	return 0;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * Run the ring once with @ops.  Returns handoffs per second, or -1.
 *
 * To be sure the processes use different addresses, the parent reserves
 * one window of address space before forking, and process i maps the
 * memfd over slot i of it (MAP_FIXED).  Without that, processes forked
 * from one parent tend to get the same address from mmap().
 */
static double run_ring(const struct futex_ops *ops, int nprocs, int rounds,
		       int verbose)
{
	size_t size = ring_size();
	size_t slot = size + (size_t)sysconf(_SC_PAGESIZE); /* leave a gap */
	pid_t pids[MAX_PROCS];
	struct ring *ring;
	double start, secs, rate;
	char *window;
	int memfd, i, status, ok = 1;

	memfd = memfd_create("token-ring", MFD_CLOEXEC);
	if (memfd < 0 || ftruncate(memfd, size)) {
		perror("memfd");
		return -1;
	}
	ring = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
	window = mmap(NULL, slot * nprocs, PROT_NONE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (ring == MAP_FAILED || window == MAP_FAILED) {
		perror("mmap");
		return -1;
	}

	start = now();
	for (i = 0; i < nprocs; i++) {
		pids[i] = fork();
		if (pids[i] < 0) {
			perror("fork");
			exit(1);
		}
		if (pids[i] == 0)
			_exit(member(ops, memfd, window + i * slot, i, nprocs,
				     rounds));
	}

	/* hand the token to process 0 */
	if (give_token(ops, &ring->turn[0][0]))
		ok = 0;

	for (i = 0; i < nprocs; i++) {
		if (waitpid(pids[i], &status, 0) < 0 || !WIFEXITED(status) ||
		    WEXITSTATUS(status))
			ok = 0;
	}
	secs = now() - start;

	if (verbose) {
		for (i = 0; i < nprocs; i++)
			printf("  process %d (pid %d) mapped the memfd at %#llx\n",
			       i, pids[i], (unsigned long long)ring->addr[i]);
	}
	if (ring->failed || ring->handoffs != (uint64_t)nprocs * rounds)
		ok = 0;
	rate = ring->handoffs / secs;
	printf("%-9s %d processes x %d rounds: %llu handoffs in %.3f s = %.0f handoffs/s%s\n",
	       ops->name, nprocs, rounds, (unsigned long long)ring->handoffs,
	       secs, rate, ok ? "" : "  << FAILED");

	munmap(window, slot * nprocs);
	munmap(ring, size);
	close(memfd);
	return ok ? rate : -1;
}

static void time_limit(int sig)
{
	static const char msg[] = "token-ring: time limit reached, the ring is stuck\n";

	(void)sig;
	if (write(2, msg, sizeof(msg) - 1) < 0)
		_exit(2);
	kill(0, SIGKILL);	/* the whole process group, children too */
	_exit(2);
}

int main(int argc, char **argv)
{
	int nprocs = argc > 1 ? atoi(argv[1]) : 4;
	int rounds = argc > 2 ? atoi(argv[2]) : 2000;
	double alt, native;
	int fd;

	if (nprocs < 2 || nprocs > MAX_PROCS || rounds < 1) {
		fprintf(stderr, "usage: %s [PROCESSES (2..%d) [ROUNDS]]\n",
			argv[0], MAX_PROCS);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	setpgid(0, 0);
	signal(SIGALRM, time_limit);
	alarm(TIME_LIMIT);

	fd = altfutex_open();
	if (fd < 0) {
		fprintf(stderr, "token-ring: /dev/altfutex: %s (is the module loaded?)\n",
			strerror(-fd));
		return 1;
	}

	printf("token-ring: %d processes pass a token %d times each, through one memfd\n",
	       nprocs, rounds);
	alt = run_ring(&altfutex_ops, nprocs, rounds, 1);
	native = run_ring(&native_ops, nprocs, rounds, 0);
	if (alt < 0 || native < 0) {
		printf("token-ring: FAILED\n");
		return 1;
	}
	printf("altfutex runs at %.2fx the speed of futex(2) here\n",
	       alt / native);
	printf("token-ring: OK\n");
	return 0;
}
