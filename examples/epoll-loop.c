// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * An epoll event loop driven by futex words, with altfutex_fd.
 *
 * Producer processes post messages into mailboxes in a shared memfd: each
 * mailbox is a 32-bit counter that a producer increments and then wakes.
 * The consumer waits for all mailboxes at once with epoll: one altfutex fd
 * per mailbox.  When an fd becomes readable it reads the wake, takes every
 * message the counter shows, and re-arms the fd with the value it saw.
 * If a producer posted in between, the re-arm fails with -EAGAIN instead
 * of sleeping through that message, and the loop simply takes it too:
 * this is the race that made Linux drop FUTEX_FD, closed.
 *
 *	usage: epoll-loop [producers [messages-per-producer]]
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <altfutex.h>

#define MAX_PRODUCERS	16

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int die(const char *what, int err)
{
	fprintf(stderr, "epoll-loop: %s: %s\n", what, strerror(err));
	exit(1);
}

/* A producer: post @n messages to its mailbox, waking the consumer. */
static void produce(int memfd, int id, int n)
{
	uint32_t *box = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED,
			     memfd, 0);
	int i, r;

	if (box == MAP_FAILED)
		_exit(1);
	for (i = 0; i < n; i++) {
		__atomic_fetch_add(&box[id], 1, __ATOMIC_RELEASE);
		r = altfutex_wake(&box[id], 1, 0);
		if (r < 0)
			_exit(1);
		if (!(i % 64))
			usleep(100);	/* let messages arrive in bursts */
	}
	_exit(0);
}

int main(int argc, char **argv)
{
	int producers = argc > 1 ? atoi(argv[1]) : 4;
	int per = argc > 2 ? atoi(argv[2]) : 2000;
	uint32_t seen[MAX_PRODUCERS] = { 0 };
	int fds[MAX_PRODUCERS];
	long taken = 0, wakeups = 0, raced = 0, total;
	struct epoll_event ev, events[MAX_PRODUCERS];
	uint32_t *box;
	int memfd, ep, i, n, r, st, bad = 0;
	uint64_t count;
	double t0;

	if (producers < 1 || producers > MAX_PRODUCERS || per < 1) {
		fprintf(stderr, "usage: epoll-loop [1..%d [messages]]\n",
			MAX_PRODUCERS);
		return 2;
	}
	total = (long)producers * per;
	memfd = memfd_create("mailboxes", MFD_CLOEXEC);
	if (memfd < 0 || ftruncate(memfd, 4096))
		die("memfd", errno);
	box = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
	if (box == MAP_FAILED)
		die("mmap", errno);
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0)
		die("epoll_create1", errno);

	/* one armed fd per mailbox, registered with epoll */
	for (i = 0; i < producers; i++) {
		fds[i] = altfutex_fd(&box[i], 0, 0);
		if (fds[i] < 0)
			die("altfutex_fd", -fds[i]);
		ev.events = EPOLLIN;
		ev.data.u32 = i;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev))
			die("epoll_ctl", errno);
	}

	t0 = now();
	for (i = 0; i < producers; i++) {
		pid_t pid = fork();

		if (pid < 0)
			die("fork", errno);
		if (!pid)
			produce(memfd, i, per);
	}

	while (taken < total) {
		n = epoll_wait(ep, events, producers, 10000);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			die("epoll_wait (a lost wakeup?)", n ? errno : ETIMEDOUT);
		for (i = 0; i < n; i++) {
			int id = events[i].data.u32;
			uint32_t v;

			if (read(fds[id], &count, sizeof(count)) != sizeof(count))
				die("read", errno);
			wakeups++;
			/* take everything posted, then re-arm on what we saw */
			do {
				v = __atomic_load_n(&box[id], __ATOMIC_ACQUIRE);
				taken += v - seen[id];
				seen[id] = v;
				r = altfutex_fd_rearm(fds[id], v);
				if (r == -EAGAIN)
					raced++;
			} while (r == -EAGAIN);
			if (r < 0)
				die("altfutex_fd_rearm", -r);
		}
	}

	for (i = 0; i < producers; i++) {
		if (wait(&st) < 0 || !WIFEXITED(st) || WEXITSTATUS(st))
			bad++;
		close(fds[i]);
	}
	printf("epoll-loop: %d producers posted %ld messages, one mailbox each\n",
	       producers, total);
	printf("epoll-loop: the consumer took %ld through %ld epoll wakeups in %.2f s\n",
	       taken, wakeups, now() - t0);
	printf("epoll-loop: %ld re-arms found a new message and said -EAGAIN\n",
	       raced);
	if (bad || taken != total) {
		printf("epoll-loop: FAILED (%d producers failed)\n", bad);
		return 1;
	}
	return 0;
}
