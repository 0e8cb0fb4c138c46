// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * altfutex_fd: the value check at creation and re-arm (-EAGAIN, and no fd
 * is created), readiness through poll, select and epoll (level and edge
 * triggered), read() of the wake count, re-arm cycles and -EBUSY, blocking
 * and O_NONBLOCK reads, SIGIO, FIFO order shared with threads, close while
 * queued, requeue of fd waiters, and argument errors.
 */
#include <sys/epoll.h>
#include <sys/select.h>

#include "helpers.h"

static uint32_t word, word2;

static int count_fds(void)
{
	int n = 0, fd;

	for (fd = 0; fd < 1024; fd++)
		if (fcntl(fd, F_GETFD) >= 0)
			n++;
	return n;
}

static void expect_read(int fd, uint64_t want)
{
	uint64_t v = 0;

	CHECK(read(fd, &v, sizeof(v)) == sizeof(v), "read: %s",
	      strerror(errno));
	CHECK(v == want, "read %llu", (unsigned long long)v);
}

static void test_create_and_read(void)
{
	uint64_t v;
	char small[4];
	int fd, n;

	word = 1;
	n = count_fds();
	CHECK_RET(altfutex_fd(&word, 0, 0), -EAGAIN);
	CHECK(count_fds() == n, "a failed altfutex_fd leaked an fd");

	fd = altfutex_fd(&word, 1, 0);
	CHECK(fd >= 0, "altfutex_fd: %d", fd);
	CHECK(fcntl(fd, F_GETFD) & FD_CLOEXEC, "fd is not O_CLOEXEC");
	CHECK(!t_readable(fd), "ready before any wake");
	fcntl(fd, F_SETFL, O_NONBLOCK);
	CHECK(read(fd, &v, sizeof(v)) < 0 && errno == EAGAIN,
	      "O_NONBLOCK read before the wake");
	CHECK(read(fd, small, sizeof(small)) < 0 && errno == EINVAL,
	      "4-byte read must be EINVAL");
	CHECK_RET(altfutex_fd_rearm(fd, 1), -EBUSY);

	CHECK_RET(altfutex_wake(&word, INT_MAX, 0), 1);
	CHECK(t_readable(fd), "not ready after the wake");
	expect_read(fd, 1);
	CHECK(!t_readable(fd), "still ready after read");
	CHECK(read(fd, &v, sizeof(v)) < 0 && errno == EAGAIN, "second read");
	CHECK_RET(altfutex_wake(&word, INT_MAX, 0), 0);

	/* re-arm cycles; wakes never accumulate */
	for (n = 0; n < 100; n++) {
		CHECK_RET(altfutex_fd_rearm(fd, 1), 0);
		CHECK_RET(altfutex_fd_rearm(fd, 1), -EBUSY);
		CHECK_RET(altfutex_wake(&word, 1, 0), 1);
		CHECK_RET(altfutex_wake(&word, 1, 0), 0);
		expect_read(fd, 1);
	}
	CHECK_RET(altfutex_fd_rearm(fd, 2), -EAGAIN);
	CHECK_RET(altfutex_wake(&word, 1, 0), 0);
	/* an unread wake is dropped by a re-arm */
	CHECK_RET(altfutex_fd_rearm(fd, 1), 0);
	CHECK_RET(altfutex_wake(&word, 1, 0), 1);
	CHECK_RET(altfutex_fd_rearm(fd, 1), 0);
	CHECK(!t_readable(fd), "re-arm kept a stale wake");
	close(fd);				/* close while queued */
	CHECK_RET(altfutex_wake(&word, INT_MAX, 0), 0);

	CHECK_RET(altfutex_fd_rearm(0, 1), -EINVAL);	/* not ours */
	CHECK_RET(altfutex_fd_rearm(987, 1), -EBADF);
	CHECK_RET(altfutex_fd((uint32_t *)((char *)&word + 2), 1, 0),
		  -EINVAL);
	CHECK_RET(altfutex_fd(&word, 1, ALTFUTEX_ABSTIME), -EINVAL);
	CHECK_RET(altfutex_fd((uint32_t *)16, 1, 0), -EFAULT);
	t_log("value check, read, re-arm, EBUSY, close while queued, errors");
}

static void test_select_epoll(void)
{
	struct epoll_event ev, out[2];
	struct timeval tv = { 0, 0 };
	int fd, lt, et, n;
	fd_set rd;

	word = 3;
	fd = altfutex_fd(&word, 3, ALTFUTEX_PRIVATE);
	CHECK(fd >= 0, "altfutex_fd: %d", fd);
	lt = epoll_create1(EPOLL_CLOEXEC);
	et = epoll_create1(EPOLL_CLOEXEC);
	ev.events = EPOLLIN;
	ev.data.fd = fd;
	CHECK(!epoll_ctl(lt, EPOLL_CTL_ADD, fd, &ev), "epoll_ctl");
	ev.events = EPOLLIN | EPOLLET;
	CHECK(!epoll_ctl(et, EPOLL_CTL_ADD, fd, &ev), "epoll_ctl");

	CHECK(epoll_wait(lt, out, 2, 0) == 0, "epoll ready too early");
	FD_ZERO(&rd);
	FD_SET(fd, &rd);
	CHECK(select(fd + 1, &rd, NULL, NULL, &tv) == 0, "select too early");

	CHECK_RET(altfutex_wake(&word, 1, ALTFUTEX_PRIVATE), 1);
	FD_ZERO(&rd);
	FD_SET(fd, &rd);
	CHECK(select(fd + 1, &rd, NULL, NULL, &tv) == 1, "select");
	/* level: ready every time; edge: once per wake */
	CHECK(epoll_wait(lt, out, 2, 0) == 1, "epoll LT");
	CHECK(epoll_wait(lt, out, 2, 0) == 1, "epoll LT again");
	CHECK(epoll_wait(et, out, 2, 0) == 1, "epoll ET");
	CHECK(epoll_wait(et, out, 2, 0) == 0, "epoll ET twice");
	expect_read(fd, 1);
	CHECK(epoll_wait(lt, out, 2, 0) == 0, "epoll LT after read");

	CHECK_RET(altfutex_fd_rearm(fd, 3), 0);
	CHECK_RET(altfutex_wake(&word, 1, ALTFUTEX_PRIVATE), 1);
	n = epoll_wait(et, out, 2, 1000);
	CHECK(n == 1 && out[0].data.fd == fd, "epoll ET after re-arm");
	close(lt);
	close(et);
	close(fd);
	t_log("poll, select, epoll level- and edge-triggered");
}

static void *wake_later(void *arg)
{
	t_sleep_ms(100);
	if (altfutex_wake(arg, 1, 0) != 1)
		t_fail("wake for the blocking read found nobody");
	return NULL;
}

static int sigio_seen;	/* counted by the handler, lock-free atomics */

static void on_sigio(int sig)
{
	(void)sig;
	__atomic_fetch_add(&sigio_seen, 1, __ATOMIC_SEQ_CST);
}

static void test_blocking_read_and_sigio(void)
{
	pthread_t th;
	int fd;

	word = 4;
	fd = altfutex_fd(&word, 4, 0);
	CHECK(fd >= 0, "altfutex_fd: %d", fd);
	CHECK(!pthread_create(&th, NULL, wake_later, &word), "thread");
	expect_read(fd, 1);			/* blocks until the wake */
	pthread_join(th, NULL);

	signal(SIGIO, on_sigio);
	CHECK(!fcntl(fd, F_SETOWN, getpid()), "F_SETOWN");
	CHECK(!fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_ASYNC), "O_ASYNC");
	CHECK_RET(altfutex_fd_rearm(fd, 4), 0);
	CHECK(!__atomic_load_n(&sigio_seen, __ATOMIC_SEQ_CST), "SIGIO before the wake");
	CHECK_RET(altfutex_wake(&word, 1, 0), 1);
	while (!__atomic_load_n(&sigio_seen, __ATOMIC_SEQ_CST))
		t_sleep_ms(1);
	expect_read(fd, 1);
	close(fd);
	t_log("blocking read, SIGIO on wake");
}

static void test_fifo_with_threads_and_requeue(void)
{
	struct t_waiter t;
	int fd1, fd2, r;

	word = 5;
	fd1 = altfutex_fd(&word, 5, 0);
	t_waiter_start(&t, &word, 5, 0, -1, "thread");
	fd2 = altfutex_fd(&word, 5, 0);
	CHECK(fd1 >= 0 && fd2 >= 0, "altfutex_fd");

	/* queue: fd1, thread, fd2 -- one wake each, oldest first */
	CHECK_RET(altfutex_wake(&word, 1, 0), 1);
	CHECK(t_readable(fd1) && !t_readable(fd2), "fd1 should go first");
	CHECK_RET(altfutex_requeue(&word, &word2, 0, INT_MAX, 0), 2);
	CHECK_RET(altfutex_wake(&word, INT_MAX, 0), 0);
	CHECK_RET(altfutex_wake(&word2, 1, 0), 1);
	r = t_waiter_join(&t);
	CHECK(r == 0, "thread returned %d", r);
	CHECK(!t_readable(fd2), "fd2 woken out of turn");
	CHECK_RET(altfutex_wake(&word2, 1, 0), 1);
	CHECK(t_readable(fd2), "requeued fd not woken through key2");
	expect_read(fd2, 1);
	/* re-arm goes to the key it was last queued on: word2 */
	word2 = 6;
	CHECK_RET(altfutex_fd_rearm(fd2, 6), 0);
	CHECK_RET(altfutex_wake(&word, 1, 0), 0);
	CHECK_RET(altfutex_wake(&word2, 1, 0), 1);
	close(fd1);
	close(fd2);
	t_log("fds and threads share one FIFO; requeue moves fds");
}

int main(void)
{
	t_init("fd_basic", 60);
	if (altfutex_open() < 0)
		t_skip("no /dev/altfutex");
	test_create_and_read();
	test_select_epoll();
	test_blocking_read_and_sigio();
	test_fifo_with_threads_and_requeue();
	return T_PASS;
}
