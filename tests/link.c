// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * link: libaltfutex linked dynamically (build/tests/link) and statically
 * (build/tests/link-static):
 *  - the first call opens the device lazily and leaves errno alone even
 *    when it fails; no call ever modifies errno;
 *  - threads racing through the first altfutex_open() all get one fd, and
 *    exactly one descriptor of /dev/altfutex stays open;
 *  - altfutex_open() returns the same fd every time; it has FD_CLOEXEC and
 *    an exec'd program does not inherit it;
 *  - a wait/wake round trip works;
 *  - a child after fork() wakes the parent's waiter on MAP_SHARED anonymous
 *    memory without calling altfutex_open(), using the inherited fd.
 */
#include <sys/auxv.h>
#include <sys/mman.h>

#include "helpers.h"

#define NRACE 8

static int is_devfd(int fd)
{
	return t_fd_is(fd, "/dev/altfutex");
}

static int count_devfds(void)
{
	int fd, n = 0;

	for (fd = 0; fd < 1024; fd++)
		n += is_devfd(fd);
	return n;
}

/* In a fresh child: the lazy open inside a failing call keeps errno. */
static void check_first_call_errno(void)
{
	static uint32_t words[2];
	pid_t pid;
	int r;

	pid = t_fork();
	if (!pid) {
		if (count_devfds() != 0) {
			fprintf(stderr, "device already open before the first call\n");
			_exit(2);
		}
		errno = 4242;
		r = altfutex_wake((uint32_t *)((char *)words + 2), 1, 0);
		if (r != -EINVAL || errno != 4242) {
			fprintf(stderr, "first call: %d, errno %d\n", r, errno);
			_exit(3);
		}
		if (count_devfds() != 1) {
			fprintf(stderr, "%d device fds after the first call\n",
				count_devfds());
			_exit(4);
		}
		_exit(0);
	}
	r = t_reap(pid);
	CHECK(r == 0, "child checking the first call exited with %d", r);
	t_log("ok: the first call opens the device lazily and keeps errno even when it fails");
}

static pthread_barrier_t barrier;
static int race_fd[NRACE];

static void *race_main(void *arg)
{
	int *slot = arg;

	pthread_barrier_wait(&barrier);
	*slot = altfutex_open();
	return NULL;
}

static void check_open_race(void)
{
	pthread_t th[NRACE];
	int i;

	CHECK(count_devfds() == 0, "device open before any call");
	pthread_barrier_init(&barrier, NULL, NRACE);
	for (i = 0; i < NRACE; i++)
		CHECK(!pthread_create(&th[i], NULL, race_main, &race_fd[i]),
		      "pthread_create");
	for (i = 0; i < NRACE; i++)
		pthread_join(th[i], NULL);
	for (i = 0; i < NRACE; i++)
		CHECK(race_fd[i] >= 0 && race_fd[i] == race_fd[0],
		      "thread %d got %d, thread 0 got %d", i, race_fd[i],
		      race_fd[0]);
	CHECK(count_devfds() == 1, "%d descriptors of /dev/altfutex open",
	      count_devfds());
	t_log("ok: %d threads racing in the first altfutex_open(): fd %d, one open",
	      NRACE, race_fd[0]);
}

static void check_fd(char *self)
{
	char arg[16];
	int fd = altfutex_open(), fd2 = altfutex_open(), fl;
	pid_t pid;
	int r;

	CHECK(fd >= 0, "altfutex_open: %s", t_err(fd));
	CHECK(fd == fd2 && fd == race_fd[0], "altfutex_open returned %d, %d",
	      fd, fd2);
	CHECK(is_devfd(fd), "fd %d is not /dev/altfutex", fd);
	fl = fcntl(fd, F_GETFD);
	CHECK(fl >= 0 && (fl & FD_CLOEXEC), "F_GETFD: %#x", fl);
	fl = fcntl(fd, F_GETFL);
	CHECK(fl >= 0 && (fl & O_ACCMODE) == O_RDWR, "F_GETFL: %#x", fl);
	t_log("ok: altfutex_open() returns fd %d every time, /dev/altfutex, O_RDWR, FD_CLOEXEC",
	      fd);

	snprintf(arg, sizeof(arg), "%d", fd);
	pid = t_fork();
	if (!pid) {
		char *const argv[] = { self, "--exec-child", arg, NULL };

		execv("/proc/self/exe", argv);
		_exit(5);
	}
	r = t_reap(pid);
	CHECK(r == 0, "exec'd child: the device fd was inherited (exit %d)",
	      r);
	t_log("ok: an exec'd program does not inherit the device fd");
}

static void check_round_trip(void)
{
	static uint32_t word;
	struct t_waiter w;
	int saved;

	t_waiter_start(&w, &word, 0, 0, T_SAFETY_MS, "waiter");
	errno = 777;
	CHECK_RET(altfutex_wake(&word, 1, 0), 1);
	CHECK(errno == 777, "a successful wake changed errno to %d", errno);
	t_waiter_expect(&w, 0);
	t_log("ok: wait/wake round trip");

	saved = 31337;
	errno = saved;
	CHECK_RET(altfutex_wait(&word, 1, NULL, 0), -EAGAIN);
	CHECK_RET(altfutex_wait((uint32_t *)((char *)&word + 1), 0, NULL, 0),
		  -EINVAL);
	CHECK_RET(altfutex_wait(&word, 0, NULL, 1u << 9), -EINVAL);
	CHECK_RET(altfutex_wake(NULL, 1, 0), -EFAULT);
	{
		struct timespec ts = { 0, 1000 };

		CHECK_RET(altfutex_wait(&word, 0, &ts, 0), -ETIMEDOUT);
		ts.tv_nsec = -1;
		CHECK_RET(altfutex_wait(&word, 0, &ts, 0), -EINVAL);
	}
	CHECK(errno == saved, "errno changed from %d to %d", saved, errno);
	t_log("ok: failing calls (-EAGAIN, -EINVAL, -EFAULT, -ETIMEDOUT) leave errno alone");
}

static void check_fork(void)
{
	uint32_t *shared = t_map(1, PROT_READ | PROT_WRITE,
				  MAP_SHARED);
	struct t_waiter w;
	pid_t pid;
	int r;

	t_waiter_start(&w, shared + 7, 0, 0, T_SAFETY_MS, "parent waiter");
	pid = t_fork();
	if (!pid) {
		/* no altfutex_open(): the library uses the inherited fd */
		r = altfutex_wake(shared + 7, 1, 0);
		if (r != 1)
			_exit(10 + (r < 0 ? -r : r));
		if (altfutex_open() != race_fd[0] || count_devfds() != 1)
			_exit(9);
		_exit(0);
	}
	r = t_reap(pid);
	CHECK(r == 0, "child's wake failed (exit %d: 11 = woke nobody, 10+errno)",
	      r);
	t_waiter_expect(&w, 0);
	t_log("ok: a forked child wakes the parent's waiter with the inherited fd");
}

int main(int argc, char **argv)
{
	unsigned long base;

	if (argc == 3 && !strcmp(argv[1], "--exec-child")) {
		int fd = atoi(argv[2]);

		/* the fd must be closed, or at least not the device */
		return fcntl(fd, F_GETFD) >= 0 && is_devfd(fd) ? 1 : 0;
	}

	t_init("link", 60);
	base = getauxval(AT_BASE);
	t_log("linked %s (AT_BASE %#lx: %s)",
	      base ? "dynamically" : "statically", base,
	      base ? "an ELF interpreter is loaded" : "no ELF interpreter");
	{
		size_t n = strlen(argv[0]);
		int named_static = n >= 7 &&
				   !strcmp(argv[0] + n - 7, "-static");

		CHECK(named_static == !base, "%s is linked %s", argv[0],
		      base ? "dynamically" : "statically");
	}

	check_first_call_errno();
	check_open_race();
	check_fd(argv[0]);
	check_round_trip();
	check_fork();
	t_log("PASS");
	return T_PASS;
}
