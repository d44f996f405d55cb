// RunLock: one run at a time (I-4). flock(2) on STATE/lock for the whole of `run` / `rebuild --publish`; the
// file holds the holder's pid and start time for the operator. The kernel releases the lock when the process
// dies, however it dies, so a killed run never leaves a stale lock.
//
//   std::optional<RunLock> lock = RunLock::try_acquire(state.lock_file(), now);
//   if (!lock) { /* exit 5: another run holds it; RunLock::holder(path) says who */ }
#pragma once

#include <ctime>
#include <filesystem>
#include <optional>
#include <string>

namespace rdnsprov::safeguards {

class RunLock {
 public:
  // Nothing when another process holds the lock. Throws std::system_error when the file cannot be opened.
  static std::optional<RunLock> try_acquire(const std::filesystem::path& file, std::time_t now);
  // "pid 1234 since 2026-11-24T21:00:00Z", or empty.
  static std::string holder(const std::filesystem::path& file);

  RunLock(RunLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  RunLock& operator=(RunLock&&) = delete;
  RunLock(const RunLock&) = delete;
  ~RunLock();

 private:
  explicit RunLock(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace rdnsprov::safeguards
