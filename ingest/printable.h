// Printable excerpts of untrusted registry text, for reject reasons and syntax errors.
//
//   std::string reason = fmt::format("invalid name \"{}\"", printable_excerpt(value));   // "a\x0db" stays one line
//
// Reasons end up in one-line reports (rejects.txt, the journal, logs): a control byte copied verbatim from a
// hostile object could split or forge a report line, and a multi-megabyte value would drown it. So bytes below
// 0x20 and 0x7f are written as \xNN, a backslash as \\, and the excerpt is cut at a character boundary.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace rdnsprov::ingest {

inline constexpr std::size_t kExcerptLength = 100;

// `text` with control bytes escaped, at most `max_length` bytes of it (then "..." is appended).
std::string printable_excerpt(std::string_view text, std::size_t max_length = kExcerptLength);

// How an operator reads one byte that is not allowed somewhere: "';'", "a space", "byte 0x0d", "non-ASCII byte 0xc3".
std::string describe_byte(unsigned char byte);

}  // namespace rdnsprov::ingest
