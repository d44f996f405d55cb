// FileDescriptor: an owned POSIX file descriptor (a file, a socket, a pipe end), closed when it goes out of scope
// (STYLE.md "C libraries").
//
//   FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
//   if (fd.get() < 0) throw ...;                 // a failed open is held as -1 and never closed
//   ::read(fd.get(), buffer, size);
//   int raw = fd.release();                      // the caller closes it now
#pragma once

#include <unistd.h>

#include <utility>

namespace rdnsprov::dns {

class FileDescriptor {
 public:
  explicit FileDescriptor(int fd = -1) : fd_(fd) {}
  ~FileDescriptor() { reset(); }
  FileDescriptor(FileDescriptor&& other) noexcept : fd_(other.release()) {}
  FileDescriptor& operator=(FileDescriptor&& other) noexcept {
    if (this != &other) {
      reset();
      fd_ = other.release();
    }
    return *this;
  }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;

  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_;
};

}  // namespace rdnsprov::dns
