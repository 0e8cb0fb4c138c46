// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * eintr: signals and a sleeping waiter.
 *  - a handler installed without SA_RESTART interrupts a wait: -EINTR, and
 *    the waiter has left the queue (a later wake(1) returns 0);
 *  - with SA_RESTART the wait either returns -EINTR (a handler ran) or
 *    restarts transparently; then it never returns early: it is woken by a
 *    later wake (0, counted) and keeps its deadline;
 *  - a blocked signal does not disturb the wait;
 *  - SIGSTOP + SIGCONT (no handler) on a waiting child process do not make
 *    the wait return; a relative timeout across a stop still expires on
 *    time, not restarted from scratch;
 *  - a short race of signals against wakes: the sum of what the wakes
 *    return equals the number of waits that returned 0.
 */
#include "helpers.h"

#define LATE_MS 400

static int handled;	/* atomic */

static void on_signal(int sig)
{
	(void)sig;
	__atomic_fetch_add(&handled, 1, __ATOMIC_SEQ_CST);
}

static void set_handler(int sig, int sa_flags)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sa.sa_flags = sa_flags;
	sigemptyset(&sa.sa_mask);
	CHECK(!sigaction(sig, &sa, NULL), "sigaction: %s", strerror(errno));
}

/* Signal @w and wait until the handler ran or the wait returned. */
static void signal_waiter(struct t_waiter *w, int sig)
{
	int before = __atomic_load_n(&handled, __ATOMIC_SEQ_CST);

	CHECK(!pthread_kill(w->thread, sig), "pthread_kill");
	while (__atomic_load_n(&handled, __ATOMIC_SEQ_CST) == before)
		t_sleep_ms(1);
}

static uint32_t word;

static void check_no_restart(unsigned int pflag)
{
	struct t_waiter w;

	set_handler(SIGUSR1, 0);

	t_waiter_start(&w, &word, 0, pflag, -1, "waiter, no timeout");
	signal_waiter(&w, SIGUSR1);
	t_waiter_expect_within(&w, -EINTR, 5000);
	CHECK_RET(altfutex_wake(&word, 1, pflag), 0);

	t_waiter_start(&w, &word, 0, pflag, T_SAFETY_MS, "waiter, timeout");
	signal_waiter(&w, SIGUSR1);
	t_waiter_expect_within(&w, -EINTR, 5000);
	CHECK_RET(altfutex_wake(&word, 1, pflag), 0);
	t_log("ok: flags %#x: handler without SA_RESTART: -EINTR, and wake(1) then finds nobody",
	      pflag);
}

static void check_restart(unsigned int pflag)
{
	struct t_waiter w;
	int64_t dt;
	int r;

	set_handler(SIGUSR2, SA_RESTART);

	t_waiter_start(&w, &word, 0, pflag, -1, "SA_RESTART waiter");
	signal_waiter(&w, SIGUSR2);
	/* either it returned -EINTR or it goes back to sleep */
	while (!t_waiter_done(&w) && t_asleep(0, w.tid) != 1)
		t_sleep_ms(1);
	t_sleep_ms(20);
	if (t_waiter_done(&w)) {
		CHECK(w.ret == -EINTR,
		      "SA_RESTART waiter returned %d (%s) with no wake",
		      w.ret, t_err(w.ret));
		t_waiter_join(&w);
		CHECK_RET(altfutex_wake(&word, 1, pflag), 0);
		t_log("ok: flags %#x: SA_RESTART: -EINTR (allowed), then wake(1) = 0",
		      pflag);
	} else {
		t_waiter_check_asleep(&w, 20);
		CHECK_RET(altfutex_wake(&word, 1, pflag), 1);
		t_waiter_expect_within(&w, 0, 5000);
		t_log("ok: flags %#x: SA_RESTART: restarted, then woken by wake(1) = 1",
		      pflag);
	}

	/* with a timeout: -EINTR at the signal, or -ETIMEDOUT on time */
	t_waiter_start(&w, &word, 0, pflag, 600, "SA_RESTART waiter, 600 ms");
	t_sleep_ms(100);
	signal_waiter(&w, SIGUSR2);
	r = t_waiter_join(&w);
	dt = (w.t_end - w.t_start) / NSEC_PER_MSEC;
	if (r == -EINTR) {
		CHECK(dt < 600, "-EINTR after %lld ms", (long long)dt);
		t_log("ok: flags %#x: SA_RESTART, 600 ms timeout: -EINTR after %lld ms",
		      pflag, (long long)dt);
	} else {
		CHECK(r == -ETIMEDOUT, "returned %d (%s), no wake was sent",
		      r, t_err(r));
		CHECK(dt >= 600 && dt <= 600 + LATE_MS,
		      "restarted wait timed out after %lld ms, not 600",
		      (long long)dt);
		t_log("ok: flags %#x: SA_RESTART, 600 ms: restarted, -ETIMEDOUT at %lld ms",
		      pflag, (long long)dt);
	}
	CHECK_RET(altfutex_wake(&word, 1, pflag), 0);
}

static void check_blocked(void)
{
	struct t_waiter w;
	sigset_t set, old;

	set_handler(SIGUSR1, 0);
	/* the waiter thread inherits the mask: SIGUSR1 blocked */
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, &old);
	t_waiter_start(&w, &word, 0, 0, -1, "waiter with SIGUSR1 blocked");
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	CHECK(!pthread_kill(w.thread, SIGUSR1), "pthread_kill");
	t_waiter_check_asleep(&w, 50);
	CHECK_RET(altfutex_wake(&word, 1, 0), 1);
	t_waiter_expect_within(&w, 0, 5000);
	t_log("ok: a blocked signal leaves the waiter asleep; wake(1) = 1 wakes it");
	/* the pending SIGUSR1 died with the thread (thread-directed) */
}

/* ---- SIGSTOP / SIGCONT on a child process ---------------------------- */

struct child_res {
	int tid;
	int ret;
	int done;
	int64_t t_start, t_end;
};

static struct child_res *res;	/* MAP_SHARED */
static uint32_t *sword;		/* MAP_SHARED */

static pid_t start_child(long timeout_ms)
{
	struct timespec ts = t_ts_ms(timeout_ms);
	pid_t pid;

	memset(res, 0, sizeof(*res));
	*sword = 0;
	pid = t_fork();
	if (!pid) {
		__atomic_store_n(&res->tid, t_gettid(), __ATOMIC_SEQ_CST);
		res->t_start = t_now_ns(CLOCK_MONOTONIC);
		res->ret = altfutex_wait(sword, 0,
					 timeout_ms < 0 ? NULL : &ts, 0);
		res->t_end = t_now_ns(CLOCK_MONOTONIC);
		__atomic_store_n(&res->done, 1, __ATOMIC_SEQ_CST);
		_exit(0);
	}
	while (!__atomic_load_n(&res->tid, __ATOMIC_SEQ_CST))
		t_sleep_ms(1);
	while (t_asleep(pid, pid) != 1) {
		CHECK(!__atomic_load_n(&res->done, __ATOMIC_SEQ_CST),
		      "child wait returned %d (%s) instead of sleeping",
		      res->ret, t_err(res->ret));
		t_sleep_ms(1);
	}
	return pid;
}

static void stop_child(pid_t pid)
{
	int st;

	CHECK(!kill(pid, SIGSTOP), "kill: %s", strerror(errno));
	CHECK(waitpid(pid, &st, WUNTRACED) == pid && WIFSTOPPED(st),
	      "child did not stop (status %#x)", st);
}

static void cont_child(pid_t pid)
{
	CHECK(!kill(pid, SIGCONT), "kill: %s", strerror(errno));
}

static void check_stop_cont(void)
{
	int64_t dt, late;
	pid_t pid;
	int i;

	/* no timeout: stop and continue a few times, it keeps sleeping */
	pid = start_child(-1);
	for (i = 0; i < 3; i++) {
		stop_child(pid);
		t_sleep_ms(20);
		cont_child(pid);
		while (t_asleep(pid, pid) != 1) {
			CHECK(!__atomic_load_n(&res->done, __ATOMIC_SEQ_CST),
			      "SIGSTOP/SIGCONT made the wait return %d (%s)",
			      res->ret, t_err(res->ret));
			t_sleep_ms(1);
		}
	}
	t_sleep_ms(20);
	CHECK(!__atomic_load_n(&res->done, __ATOMIC_SEQ_CST),
	      "SIGSTOP/SIGCONT made the wait return %d (%s)", res->ret,
	      t_err(res->ret));
	CHECK_RET(altfutex_wake(sword, 1, 0), 1);
	CHECK_RET(t_reap(pid), 0);
	CHECK(res->ret == 0, "child wait returned %d (%s) after the wake",
	      res->ret, t_err(res->ret));
	t_log("ok: SIGSTOP + SIGCONT x3: the child sleeps on; wake(1) = 1, wait 0");

	/* 1000 ms timeout, stopped from ~0 to ~700 ms: ends at ~1000 ms */
	pid = start_child(1000);
	stop_child(pid);
	while (t_now_ns(CLOCK_MONOTONIC) < res->t_start + 700 * NSEC_PER_MSEC)
		t_sleep_ms(5);
	cont_child(pid);
	CHECK_RET(t_reap(pid), 0);
	dt = (res->t_end - res->t_start) / NSEC_PER_MSEC;
	CHECK(res->ret == -ETIMEDOUT, "child wait returned %d (%s)",
	      res->ret, t_err(res->ret));
	CHECK(dt >= 1000 && dt <= 1000 + LATE_MS,
	      "1000 ms timeout across a 700 ms stop ended after %lld ms",
	      (long long)dt);
	CHECK_RET(altfutex_wake(sword, 1, 0), 0);
	t_log("ok: a 1000 ms relative timeout across SIGSTOP..SIGCONT ended after %lld ms",
	      (long long)dt);

	/* 500 ms timeout, stopped until ~900 ms: ends right at SIGCONT */
	pid = start_child(500);
	stop_child(pid);
	while (t_now_ns(CLOCK_MONOTONIC) < res->t_start + 900 * NSEC_PER_MSEC)
		t_sleep_ms(5);
	late = t_now_ns(CLOCK_MONOTONIC);
	cont_child(pid);
	CHECK_RET(t_reap(pid), 0);
	dt = (res->t_end - res->t_start) / NSEC_PER_MSEC;
	CHECK(res->ret == -ETIMEDOUT, "child wait returned %d (%s)",
	      res->ret, t_err(res->ret));
	CHECK(res->t_end <= late + LATE_MS * NSEC_PER_MSEC,
	      "500 ms timeout, continued at 900 ms, ended after %lld ms",
	      (long long)dt);
	t_log("ok: 500 ms timeout stopped past its deadline: ended %lld ms after SIGCONT",
	      (long long)((res->t_end - late) / NSEC_PER_MSEC));
}

/* ---- signals racing wakes ----------------------------------------------- */

#define RACERS 4
#define RACE_MS 1500

static int stop_race;		/* atomic */
static uint32_t race_word;

struct racer {
	pthread_t thread;
	long zero, eintr, other;
	int last_other;
};

static void *racer_main(void *arg)
{
	struct racer *r = arg;
	int ret;

	while (!__atomic_load_n(&stop_race, __ATOMIC_SEQ_CST)) {
		ret = altfutex_wait(&race_word, 0, NULL, 0);
		if (ret == 0) {
			r->zero++;
		} else if (ret == -EINTR) {
			r->eintr++;
		} else {
			r->other++;
			r->last_other = ret;
		}
	}
	return NULL;
}

static void check_race(void)
{
	struct racer rs[RACERS];
	long woken = 0, zero = 0, eintr = 0, sigs = 0;
	int64_t end;
	int i, n, ret;

	set_handler(SIGUSR1, 0);
	memset(rs, 0, sizeof(rs));
	for (i = 0; i < RACERS; i++)
		CHECK(!pthread_create(&rs[i].thread, NULL, racer_main, &rs[i]),
		      "thread");
	end = t_now_ns(CLOCK_MONOTONIC) + RACE_MS * NSEC_PER_MSEC;
	for (n = 0; t_now_ns(CLOCK_MONOTONIC) < end; n++) {
		ret = altfutex_wake(&race_word, 1 + n % 3, 0);
		CHECK(ret >= 0, "wake returned %d (%s)", ret, t_err(ret));
		woken += ret;
		pthread_kill(rs[n % RACERS].thread, SIGUSR1);
		pthread_kill(rs[(n + 1) % RACERS].thread, SIGUSR1);
		sigs += 2;
		if (n % 16 == 0)
			sched_yield();
	}
	__atomic_store_n(&stop_race, 1, __ATOMIC_SEQ_CST);
	for (i = 0; i < RACERS; i++) {
		while (pthread_tryjoin_np(rs[i].thread, NULL)) {
			ret = altfutex_wake(&race_word, INT_MAX, 0);
			CHECK(ret >= 0, "wake returned %d", ret);
			woken += ret;
			t_sleep_ms(1);
		}
	}
	ret = altfutex_wake(&race_word, INT_MAX, 0);
	CHECK(ret == 0, "a wake after all waiters left returned %d", ret);
	for (i = 0; i < RACERS; i++) {
		CHECK(!rs[i].other, "racer %d: %ld unexpected returns, last %d (%s)",
		      i, rs[i].other, rs[i].last_other,
		      t_err(rs[i].last_other));
		zero += rs[i].zero;
		eintr += rs[i].eintr;
	}
	CHECK(woken == zero,
	      "wakes counted %ld waiters but %ld waits returned 0 (%ld -EINTR)",
	      woken, zero, eintr);
	t_log("ok: %d wakes vs %ld signals: wakes counted %ld = waits returning 0; %ld -EINTR",
	      n, sigs, woken, eintr);
}

int main(void)
{
	t_init("eintr", 60);

	res = t_map(1, PROT_READ | PROT_WRITE, MAP_SHARED);
	sword = t_map(1, PROT_READ | PROT_WRITE, MAP_SHARED);
	sword += 3;

	check_no_restart(0);
	check_no_restart(ALTFUTEX_PRIVATE);
	check_restart(0);
	check_restart(ALTFUTEX_PRIVATE);
	check_blocked();
	check_stop_cont();
	check_race();
	t_log("PASS");
	return T_PASS;
}
