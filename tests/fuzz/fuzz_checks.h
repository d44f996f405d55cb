// Checks shared by the libFuzzer harnesses of tests/fuzz (docs/RELIABILITY.md "Fuzzing"). A harness checks more
// than "it did not crash": what a reader accepts must survive a round trip through its own output, and nothing
// it accepts may carry a byte that could end, continue or comment a master-file line.
//
//   fuzz_require(parsed == reparsed, "ds-rdata round trip", input);   // prints the input and aborts on failure
//   fuzz_require(one_master_line(dns::master_line(record)), "injection", input);
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "ingest/printable.h"

namespace rdnsprov::fuzz {

// A failed property: libFuzzer treats the abort as a crash and saves the input that caused it.
[[noreturn]] inline void fuzz_fail(const char* what, std::string_view input, const std::string& detail = {}) {
  std::fprintf(stderr, "fuzz property violated: %s\n  detail: %s\n  input: %s\n", what,
               ingest::printable_excerpt(detail, 2000).c_str(), ingest::printable_excerpt(input, 2000).c_str());
  std::abort();
}

inline void fuzz_require(bool condition, const char* what, std::string_view input, const std::string& detail = {}) {
  if (!condition) fuzz_fail(what, input, detail);
}

// Text an operator reads on one line (a reject reason, an error, a journal field): no line break, no NUL.
inline bool one_report_line(std::string_view text) {
  return text.find_first_of(std::string_view("\n\r\0", 3)) == std::string_view::npos;
}

// One master-file record line as rdnsprov writes it: printable ASCII (and tabs) ended by exactly one newline, and
// none of the bytes that change how a master file is read: ';' (comment), '(' ')' (line continuation), '"'
// (quoting), '\' (escape), '$' (directive).
inline bool one_master_line(std::string_view line) {
  if (line.empty() || line.back() != '\n') return false;
  line.remove_suffix(1);
  for (unsigned char c : line) {
    if (c == '\t') continue;
    if (c < 0x20 || c > 0x7e) return false;
    if (c == ';' || c == '(' || c == ')' || c == '"' || c == '\\' || c == '$') return false;
  }
  return true;
}

}  // namespace rdnsprov::fuzz
