#include "safeguards/lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

#include <fmt/format.h>

#include "dns/atomic_file.h"

namespace rdnsprov::safeguards {

std::optional<RunLock> RunLock::try_acquire(const std::filesystem::path& file, std::time_t now) {
  int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0640);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "cannot open the lock file " + file.string());
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int err = errno;
    ::close(fd);
    if (err == EWOULDBLOCK) return std::nullopt;
    throw std::system_error(err, std::generic_category(), "cannot lock " + file.string());
  }
  std::tm tm{};
  gmtime_r(&now, &tm);
  std::string text = fmt::format("pid {} since {:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z\n", ::getpid(), tm.tm_year + 1900,
                                 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  // Best effort: the lock is the flock, the text is for people.
  if (::ftruncate(fd, 0) == 0) {
    ssize_t ignored = ::pwrite(fd, text.data(), text.size(), 0);
    (void)ignored;
  }
  return RunLock(fd);
}

std::string RunLock::holder(const std::filesystem::path& file) {
  try {
    std::string text = dns::read_file(file);
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    return text;
  } catch (const std::system_error&) {
    return {};
  }
}

RunLock::~RunLock() {
  if (fd_ >= 0) ::close(fd_);  // closing the descriptor releases the flock
}

}  // namespace rdnsprov::safeguards
