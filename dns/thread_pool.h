// ThreadPool: the one pool every stage spreads its parallel work over (STYLE.md "Performance").
//
//   ThreadPool pool;                                  // one worker per core
//   pool.parallel_for(records.size(), 4096, [&](std::size_t begin, std::size_t end) {
//     for (std::size_t i = begin; i < end; ++i) sign(records[i]);   // no lock on the per-record path
//   });                                               // returns when every chunk is done; rethrows the first error
#pragma once

#include <algorithm>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <queue>
#include <thread>
#include <vector>

namespace rdnsprov::dns {

class ThreadPool {
 public:
  // `threads` = 0: one per core (std::thread::hardware_concurrency).
  explicit ThreadPool(std::size_t threads = 0);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  std::size_t size() const { return workers_.size(); }

  // Calls body(begin, end) on chunks of [0, count) of about `chunk` items, on all workers and the caller.
  // Blocks until all are done; the first exception thrown by a chunk is rethrown here.
  void parallel_for(std::size_t count, std::size_t chunk, const std::function<void(std::size_t, std::size_t)>& body);

 private:
  void worker_loop();
  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::queue<std::function<void()>> tasks_;
  bool stopping_ = false;
};

// Sorts [first, last) on two threads of `pool`: each half on its own, then the halves merged.
template <typename Iterator, typename Less>
void parallel_sort(ThreadPool& pool, Iterator first, Iterator last, Less less) {
  auto middle = first + (last - first) / 2;
  pool.parallel_for(2, 1, [&](std::size_t begin, std::size_t) {
    if (begin == 0) std::sort(first, middle, less);
    else std::sort(middle, last, less);
  });
  std::inplace_merge(first, middle, last, less);
}

}  // namespace rdnsprov::dns
