// Atomic file replacement: a reader sees the whole old file or the whole new one, never a mix, even if the
// process is killed or the machine loses power in the middle (DESIGN.md "The state directory").
//
//   write_file_atomically("/var/lib/rdnsprov/published/193.in-addr.arpa.zone", text);   // throws on failure
//
// Steps: write a temporary file in the same directory, fsync it, rename it over the target, fsync the directory.
// A failure (ENOSPC, EACCES, …) throws std::system_error naming the path and leaves the target untouched; the
// temporary file is removed.
#pragma once

#include <filesystem>
#include <span>
#include <string>
#include <string_view>

namespace rdnsprov::dns {

void write_file_atomically(const std::filesystem::path& target, std::string_view content, int mode = 0644);
// The same with the content in pieces, written one after the other (a large zone formatted on several threads).
void write_file_atomically(const std::filesystem::path& target, std::span<const std::string> pieces, int mode = 0644);
// Reads a whole file; throws std::system_error naming the path.
std::string read_file(const std::filesystem::path& path);
// fsyncs a directory so that a rename inside it is durable.
void sync_directory(const std::filesystem::path& directory);

}  // namespace rdnsprov::dns
