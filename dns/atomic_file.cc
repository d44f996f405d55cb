#include "dns/atomic_file.h"
#include "dns/file_descriptor.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <vector>
#include <system_error>

#include <fmt/format.h>

namespace rdnsprov::dns {
namespace {

[[noreturn]] void fail(const std::string& what, const std::filesystem::path& path, int err) {
  throw std::system_error(err, std::generic_category(), fmt::format("{} {}", what, path.string()));
}


}  // namespace

void sync_directory(const std::filesystem::path& directory) {
  FileDescriptor fd(::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) fail("cannot open directory", directory, errno);
  if (::fsync(fd.get()) != 0) fail("cannot fsync directory", directory, errno);
}

namespace {

void write_pieces_atomically(const std::filesystem::path& target, std::span<const std::string_view> pieces, int mode) {
  std::filesystem::path directory = target.parent_path().empty() ? "." : target.parent_path();
  std::string pattern = (directory / ("." + target.filename().string() + ".tmp.XXXXXX")).string();
  FileDescriptor fd(::mkostemp(pattern.data(), O_CLOEXEC));
  if (fd.get() < 0) fail("cannot create a temporary file for", target, errno);
  std::filesystem::path temporary = pattern;
  auto abandon = [&](const std::string& what, int err) {
    ::close(fd.release());
    ::unlink(temporary.c_str());
    fail(what, target, err);
  };
  if (::fchmod(fd.get(), static_cast<mode_t>(mode)) != 0) abandon("cannot set the mode of", errno);
  for (std::string_view content : pieces) {
    const char* data = content.data();
    std::size_t left = content.size();
    while (left > 0) {
      ssize_t n = ::write(fd.get(), data, left);
      if (n < 0) {
        if (errno == EINTR) continue;
        abandon("cannot write", errno);
      }
      data += n;
      left -= static_cast<std::size_t>(n);
    }
  }
  if (::fsync(fd.get()) != 0) abandon("cannot fsync", errno);
  if (::close(fd.release()) != 0) {
    int err = errno;
    ::unlink(temporary.c_str());
    fail("cannot close", target, err);
  }
  if (::rename(temporary.c_str(), target.c_str()) != 0) {
    int err = errno;
    ::unlink(temporary.c_str());
    fail("cannot rename a temporary file over", target, err);
  }
  sync_directory(directory);
}

}  // namespace

void write_file_atomically(const std::filesystem::path& target, std::string_view content, int mode) {
  write_pieces_atomically(target, std::span<const std::string_view>(&content, 1), mode);
}

void write_file_atomically(const std::filesystem::path& target, std::span<const std::string> pieces, int mode) {
  std::vector<std::string_view> views(pieces.begin(), pieces.end());
  write_pieces_atomically(target, views, mode);
}

std::string read_file(const std::filesystem::path& path) {
  FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) fail("cannot open", path, errno);
  std::string out;
  // Read straight into a buffer of the file's size and one byte more, so that the end is seen without growing
  // it (a large zone file is hundreds of megabytes); a file that grows or shrinks meanwhile is still read to
  // its end.
  struct stat st {};
  if (::fstat(fd.get(), &st) == 0 && st.st_size > 0) out.resize(static_cast<std::size_t>(st.st_size) + 1);
  std::size_t used = 0;
  while (true) {
    if (used == out.size()) out.resize(std::max<std::size_t>(out.size() * 2, 1 << 16));
    ssize_t n = ::read(fd.get(), out.data() + used, out.size() - used);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("cannot read", path, errno);
    }
    if (n == 0) break;
    used += static_cast<std::size_t>(n);
  }
  out.resize(used);
  return out;
}

}  // namespace rdnsprov::dns
