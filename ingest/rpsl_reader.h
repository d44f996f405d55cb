// RpslReader: a streaming reader of RPSL objects (RFC 2622 syntax) from registry split dumps.
//
//   RpslReader reader = RpslReader::open_file("ripe.db.domain.gz");   // plain or gzip (by magic bytes)
//   RpslObject object;
//   while (reader.next(object)) {                                       // one object at a time, never the whole file
//     object.class_name();   // "domain"
//     object.key();          // "2.0.193.in-addr.arpa"
//     for (const RpslAttribute& a : object.attributes) { a.name; a.value; a.line; }
//   }
//
// Text rules (RPSL.md "Text format"): objects are separated by blank lines; `%` and `#` lines outside an object are
// comments; continuation lines start with space, tab or `+` and add to the previous value (joined with one space;
// a `+` line alone adds nothing); inside a value `#` starts an end-of-line comment; LF or CRLF; each line is taken
// as UTF-8 when it is valid UTF-8 and as ISO-8859-1 otherwise (and converted to UTF-8).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace rdnsprov::ingest {

struct RpslAttribute {
  std::string name;    // lower-case, without the ':'
  std::string value;   // continuations joined with single spaces, comments removed, trimmed
  std::uint64_t line = 0;  // line of the attribute's first line (1-based; for text from a database row, within it)
};

struct RpslObject {
  std::uint64_t line = 0;  // the object's first line
  std::vector<RpslAttribute> attributes;
  // Lines inside the object that are not `attribute: value` or a continuation: (line, what is wrong).
  std::vector<std::pair<std::uint64_t, std::string>> syntax_errors;

  // The first attribute's name (the object class) and value (the key); empty when there is none.
  std::string_view class_name() const;
  std::string_view key() const;
};

class RpslReader {
 public:
  // Opens a dump file; gzip is recognised by its magic bytes 1f 8b, whatever the file is called.
  // Throws std::system_error naming the path when it cannot be opened or read.
  static RpslReader open_file(const std::filesystem::path& path);
  // Reads objects from text already in memory (a database row, a test).
  static RpslReader from_text(std::string text);

  RpslReader(RpslReader&&) noexcept;
  RpslReader& operator=(RpslReader&&) noexcept;
  ~RpslReader();

  // Reads the next object into `object`; false at the end of the input. Throws std::system_error on a read
  // error (a truncated gzip stream is a read error: the dump is incomplete and must not be taken as whole).
  bool next(RpslObject& object);

 private:
  struct Input;
  explicit RpslReader(std::unique_ptr<Input> input);
  std::unique_ptr<Input> input_;
};

}  // namespace rdnsprov::ingest
