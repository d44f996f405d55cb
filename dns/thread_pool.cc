#include "dns/thread_pool.h"

#include <algorithm>
#include <atomic>
#include <exception>
#include <memory>

namespace rdnsprov::dns {

ThreadPool::ThreadPool(std::size_t threads) {
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  // The caller works too, so one fewer background worker.
  for (std::size_t i = 1; i < threads; ++i) workers_.emplace_back([this] { worker_loop(); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (auto& w : workers_) w.join();
}

void ThreadPool::worker_loop() {
  while (true) {
    std::function<void()> task;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || !tasks_.empty(); });
      if (tasks_.empty()) return;
      task = std::move(tasks_.front());
      tasks_.pop();
    }
    task();
  }
}

void ThreadPool::parallel_for(std::size_t count, std::size_t chunk,
                              const std::function<void(std::size_t, std::size_t)>& body) {
  if (count == 0) return;
  chunk = std::max<std::size_t>(chunk, 1);
  struct Shared {
    std::atomic<std::size_t> next{0};
    std::atomic<std::size_t> active{0};
    std::mutex mutex;
    std::condition_variable done;
    std::exception_ptr error;
  };
  auto shared = std::make_shared<Shared>();
  auto drain = [shared, count, chunk, &body] {
    while (true) {
      std::size_t begin = shared->next.fetch_add(chunk);
      if (begin >= count) break;
      try {
        body(begin, std::min(count, begin + chunk));
      } catch (...) {
        std::lock_guard lock(shared->mutex);
        if (!shared->error) shared->error = std::current_exception();
      }
    }
  };
  std::size_t helpers = std::min(workers_.size(), (count + chunk - 1) / chunk - 1);
  shared->active = helpers;
  {
    std::lock_guard lock(mutex_);
    for (std::size_t i = 0; i < helpers; ++i) {
      tasks_.push([shared, drain] {
        drain();
        std::lock_guard inner(shared->mutex);
        if (--shared->active == 0) shared->done.notify_all();
      });
    }
  }
  wake_.notify_all();
  drain();
  std::unique_lock lock(shared->mutex);
  shared->done.wait(lock, [&] { return shared->active == 0; });
  if (shared->error) std::rethrow_exception(shared->error);
}

}  // namespace rdnsprov::dns
