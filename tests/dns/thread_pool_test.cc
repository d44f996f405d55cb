#include "dns/thread_pool.h"

#include <atomic>
#include <numeric>
#include <stdexcept>
#include <vector>

#include <gtest/gtest.h>

namespace rdnsprov::dns {
namespace {

TEST(ThreadPool, EveryIndexIsVisitedExactlyOnce) {
  ThreadPool pool(4);
  std::vector<std::atomic<int>> visits(100003);
  pool.parallel_for(visits.size(), 97, [&](std::size_t begin, std::size_t end) {
    for (std::size_t i = begin; i < end; ++i) visits[i]++;
  });
  for (auto& v : visits) ASSERT_EQ(v.load(), 1);
}

TEST(ThreadPool, RethrowsTheErrorOfAChunk) {
  ThreadPool pool(2);
  EXPECT_THROW(pool.parallel_for(1000, 10,
                                 [](std::size_t begin, std::size_t) {
                                   if (begin == 500) throw std::runtime_error("chunk failed");
                                 }),
               std::runtime_error);
  // The pool is still usable afterwards.
  std::atomic<std::size_t> sum{0};
  pool.parallel_for(10, 1, [&](std::size_t b, std::size_t) { sum += b; });
  EXPECT_EQ(sum.load(), 45u);
}

}  // namespace
}  // namespace rdnsprov::dns
