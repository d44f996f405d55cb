#include "safeguards/journal.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <system_error>

namespace rdnsprov::safeguards {

void Journal::append(const std::string& event, nlohmann::json fields) const {
  nlohmann::json entry = nlohmann::json::object();
  entry["time"] = now_;
  if (!run_id_.empty()) entry["run"] = run_id_;
  entry["event"] = event;
  for (auto& [k, v] : context_.items()) entry[k] = v;
  for (auto& [k, v] : fields.items()) entry[k] = v;
  // Invalid UTF-8 from outside (an object key) is replaced, never allowed to break the line.
  std::string line = entry.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  int fd = ::open(file_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "cannot open the journal " + file_.string());
  // Where this line starts: a line that cannot be written whole (disk full) is cut off again, so that the journal
  // never holds half a line that would swallow the next one.
  off_t start = ::lseek(fd, 0, SEEK_END);
  errno = 0;
  ssize_t n = ::write(fd, line.data(), line.size());
  int err = errno;
  bool written = n == static_cast<ssize_t>(line.size());
  if (!written && err == 0) err = ENOSPC;  // a short write: the device filled up
  bool synced = written && ::fsync(fd) == 0;
  if (written && !synced) err = errno ? errno : EIO;
  if (!written && n > 0 && start >= 0) {
    int ignored = ::ftruncate(fd, start);
    (void)ignored;
  }
  ::close(fd);
  if (!synced) throw std::system_error(err, std::generic_category(), "cannot write the journal " + file_.string());
}

std::vector<nlohmann::json> Journal::read_all() const {
  std::vector<nlohmann::json> entries;
  std::ifstream in(file_);
  std::string line;
  while (std::getline(in, line)) {
    auto parsed = nlohmann::json::parse(line, nullptr, false);
    if (!parsed.is_discarded() && parsed.is_object()) entries.push_back(std::move(parsed));
  }
  return entries;
}

}  // namespace rdnsprov::safeguards
