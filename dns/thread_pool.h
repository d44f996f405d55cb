// ThreadPool: the one pool every stage spreads its parallel work over (STYLE.md "Performance").
//
//   ThreadPool pool;                                  // one worker per core
//   pool.parallel_for(records.size(), 4096, [&](std::size_t begin, std::size_t end) {
//     for (std::size_t i = begin; i < end; ++i) sign(records[i]);   // no lock on the per-record path
//   });                                               // returns when every chunk is done; rethrows the first error
#pragma once

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

}  // namespace rdnsprov::dns
