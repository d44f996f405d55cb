// Origin: where a fact came from, carried by every delegation, reject, placement error, diff line and gate reason.
//
//   Origin o = Origin::in_file(source, file, 1234);   // "[dump] db.domain.gz:1234"
//   Origin r = Origin::in_row(source, "42");            // "[db] row 42"
//   Origin p = Origin::in_file(peer, file, 7);          // "[peer ARIN] 193.zonelet:7"
//
// The source label and file name are shared between all the objects of one file, so an origin costs a pointer
// copy, not a string copy.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

namespace rdnsprov::dns {

struct Origin {
  std::shared_ptr<const std::string> source;  // "dump", "db", "peer ARIN": the configured source or peer
  std::shared_ptr<const std::string> file;    // path of the file read, when the fact came from a file
  std::uint64_t line = 0;                     // 1-based line in `file`; 0 when unknown
  std::string row;                            // database row id, when the fact came from a database

  static Origin in_file(std::shared_ptr<const std::string> source, std::shared_ptr<const std::string> file,
                        std::uint64_t line) {
    return Origin{std::move(source), std::move(file), line, {}};
  }
  static Origin in_row(std::shared_ptr<const std::string> source, std::string row) {
    return Origin{std::move(source), nullptr, 0, std::move(row)};
  }

  // "[dump] ops/examples/db.domain:12", "[db] row 42", "[config]" …
  std::string to_string() const {
    std::string out;
    if (source) {
      out.push_back('[');
      out.append(*source);
      out.push_back(']');
    }
    if (file) {
      if (!out.empty()) out.push_back(' ');
      out.append(*file);
      if (line) {
        out.push_back(':');
        out.append(std::to_string(line));
      }
    }
    if (!row.empty()) {
      if (!out.empty()) out.push_back(' ');
      out.append("row ");
      out.append(row);
    }
    return out.empty() ? std::string("(unknown origin)") : out;
  }
};

}  // namespace rdnsprov::dns
