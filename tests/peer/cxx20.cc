// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * cxx20: C++20's waiting primitives, which libstdc++ builds on
 * syscall(SYS_futex) (FUTEX_WAIT_PRIVATE, FUTEX_WAKE_PRIVATE and, for
 * timed waits, FUTEX_WAIT_BITSET_PRIVATE with every bit set), so that
 * under LD_PRELOAD=libaltfutex-preload.so they run on /dev/altfutex.
 * Each part checks its result exactly; an alarm fails a hang.
 *
 *   std::atomic<T>::wait/notify   two threads take turns, ROUNDS each
 *   std::counting_semaphore       producers and consumers hand over
 *                                 ITEMS tokens through a queue of 8,
 *                                 checksummed
 *   std::latch                    THREADS count down, the waiters all pass
 *   std::barrier                  THREADS go through PHASES phases; the
 *                                 completion sees every phase's sum
 *   try_acquire_for               a semaphore nobody releases times out
 *
 * Prints "cxx20: ok: ..." per part, exits 0 if all hold, 1 if not.
 */
#include <algorithm>
#include <atomic>
#include <barrier>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <latch>
#include <mutex>
#include <semaphore>
#include <thread>
#include <vector>

#include <unistd.h>

namespace {

constexpr int ROUNDS = 20000;
constexpr int THREADS = 4;
constexpr int ITEMS = 20000;
constexpr int PHASES = 500;

int failures;

void check(bool ok, const char *what)
{
	if (ok) {
		std::printf("cxx20: ok: %s\n", what);
	} else {
		std::fprintf(stderr, "cxx20: FAIL: %s\n", what);
		failures++;
	}
}

/* Two threads hand a turn back and forth through one atomic word. */
void atomic_wait()
{
	std::atomic<int> turn{0};
	long sum = 0;

	std::thread other([&] {
		for (int i = 0; i < ROUNDS; i++) {
			turn.wait(0);
			sum += i;
			turn.store(0);
			turn.notify_one();
		}
	});
	for (int i = 0; i < ROUNDS; i++) {
		turn.store(1);
		turn.notify_one();
		turn.wait(1);
	}
	other.join();
	check(sum == (long)ROUNDS * (ROUNDS - 1) / 2,
	      "atomic<int>::wait/notify_one: 20000 turns each way");
}

/*
 * Tokens through a bounded buffer of 8: the semaphores count its free
 * slots and its items (the queue itself is under a mutex, whose futex is
 * glibc's own and stays on the kernel); it must never hold more than 8.
 */
void semaphore()
{
	std::counting_semaphore<8> slots(8), items(0);
	std::mutex lock;
	std::deque<long> queue;
	std::atomic<long> next{1}, taken_sum{0};
	size_t most = 0;
	std::vector<std::thread> ts;

	for (int p = 0; p < 2; p++)
		ts.emplace_back([&] {
			for (int i = 0; i < ITEMS / 2; i++) {
				slots.acquire();
				{
					std::lock_guard<std::mutex> g(lock);
					queue.push_back(next++);
					most = std::max(most, queue.size());
				}
				items.release();
			}
		});
	for (int c = 0; c < 2; c++)
		ts.emplace_back([&] {
			for (int i = 0; i < ITEMS / 2; i++) {
				long v;

				items.acquire();
				{
					std::lock_guard<std::mutex> g(lock);
					v = queue.front();
					queue.pop_front();
				}
				slots.release();
				taken_sum += v;
			}
		});
	for (auto &t : ts)
		t.join();
	check(taken_sum == (long)ITEMS * (ITEMS + 1) / 2 && most <= 8,
	      "counting_semaphore: 20000 tokens, 2 producers, 2 consumers, never more than 8 queued");
}

void latch()
{
	std::latch ready(THREADS), go(1);
	std::atomic<int> passed{0};
	std::vector<std::thread> ts;

	for (int i = 0; i < THREADS; i++)
		ts.emplace_back([&] {
			ready.count_down();
			go.wait();
			passed++;
		});
	ready.wait();
	check(passed == 0, "latch: nobody passes before the count reaches 0");
	go.count_down();
	for (auto &t : ts)
		t.join();
	check(passed == THREADS, "latch: all 4 waiters pass at 0");
}

void barrier()
{
	std::atomic<long> phase_sum{0};
	int phases = 0;
	bool sums_ok = true;
	auto done = [&]() noexcept {
		/* every thread added its id + 1 in this phase */
		if (phase_sum.exchange(0) != THREADS * (THREADS + 1) / 2)
			sums_ok = false;
		phases++;
	};
	std::barrier sync(THREADS, done);
	std::vector<std::thread> ts;

	for (int id = 0; id < THREADS; id++)
		ts.emplace_back([&, id] {
			for (int p = 0; p < PHASES; p++) {
				phase_sum += id + 1;
				sync.arrive_and_wait();
			}
		});
	for (auto &t : ts)
		t.join();
	check(phases == PHASES && sums_ok,
	      "barrier: 4 threads, 500 phases, each phase complete");
}

void timed()
{
	std::counting_semaphore<1> never(0);
	auto t0 = std::chrono::steady_clock::now();
	bool got = never.try_acquire_for(std::chrono::milliseconds(100));
	auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
			std::chrono::steady_clock::now() - t0).count();

	check(!got && ms >= 100 && ms < 5000,
	      "try_acquire_for(100 ms) on 0 times out after 100 ms or more");
	std::printf("cxx20: try_acquire_for took %lld ms\n", (long long)ms);
}

} // namespace

int main()
{
	/* unbuffered: what passed before a hang is not lost with it */
	std::setvbuf(stdout, nullptr, _IONBF, 0);
	alarm(120);	/* a hang fails: SIGALRM ends the program */
	atomic_wait();
	semaphore();
	latch();
	barrier();
	timed();
	std::printf("cxx20: %s\n", failures ? "FAIL" : "PASS");
	return failures ? 1 : 0;
}
