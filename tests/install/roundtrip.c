// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * roundtrip: a program built as a user of an installed altfutex builds it,
 * with nothing but `pkg-config --cflags --libs altfutex` (or the .a).
 * scripts/check-install.sh builds it against a staged install and runs
 * it in the VM, on the installed library and the module loaded by name.
 *
 * A thread waits on a word; the main thread wakes it once the wait is
 * queued (a wake that finds it returns 1), and the wait returns 0.  Then
 * the same across fork(), on shared memory.  Exit status 0 when all of it
 * held, 1 otherwise; SIGALRM ends a hang.
 */
#include <altfutex.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static uint32_t word;

static void *waiter(void *arg)
{
	struct timespec ts = { .tv_sec = 10 };
	int *ret = arg;

	*ret = altfutex_wait(&word, 0, &ts, ALTFUTEX_PRIVATE);
	return NULL;
}

/* Wake one waiter of *uaddr, retrying until one was queued; the woken count. */
static int wake_one(uint32_t *uaddr, unsigned int flags)
{
	struct timespec pause = { .tv_nsec = 1000000 };
	int i, n = 0;

	for (i = 0; i < 5000 && n == 0; i++) {
		n = altfutex_wake(uaddr, 1, flags);
		if (n == 0)
			nanosleep(&pause, NULL);
	}
	return n;
}

static int thread_round_trip(void)
{
	pthread_t t;
	int n, ret = 1;

	if (pthread_create(&t, NULL, waiter, &ret)) {
		fprintf(stderr, "roundtrip: pthread_create failed\n");
		return 1;
	}
	n = wake_one(&word, ALTFUTEX_PRIVATE);
	pthread_join(t, NULL);
	if (n != 1 || ret != 0) {
		fprintf(stderr, "roundtrip: threads: wake %d (want 1), wait %d (want 0)\n",
			n, ret);
		return 1;
	}
	printf("roundtrip: threads: wake 1, wait 0\n");
	return 0;
}

static int fork_round_trip(void)
{
	struct timespec ts = { .tv_sec = 10 };
	uint32_t *shared;
	int n, status;
	pid_t pid;

	shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shared == MAP_FAILED) {
		perror("roundtrip: mmap");
		return 1;
	}
	*shared = 0;
	pid = fork();
	if (pid < 0) {
		perror("roundtrip: fork");
		return 1;
	}
	if (pid == 0)
		_exit(altfutex_wait(shared, 0, &ts, 0) == 0 ? 0 : 1);
	n = wake_one(shared, 0);
	if (waitpid(pid, &status, 0) != pid)
		return 1;
	if (n != 1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "roundtrip: fork: wake %d (want 1), child status %#x\n",
			n, status);
		return 1;
	}
	printf("roundtrip: fork, shared memory: wake 1, wait 0\n");
	return 0;
}

int main(void)
{
	int fd;

	alarm(30);
	fd = altfutex_open();
	if (fd < 0) {
		fprintf(stderr, "roundtrip: altfutex_open: %s\n", strerror(-fd));
		return 1;
	}
	if (thread_round_trip() || fork_round_trip())
		return 1;
	return 0;
}
