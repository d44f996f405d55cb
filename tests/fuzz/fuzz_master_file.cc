// Fuzzes the master-file reader (dns/zone.h read_master_file) in both its dialects: the registry's, that reads
// published zones back from the state directory and zonelets, and the operator's, that reads the zone files given
// to `rdnsprov sign` and `verify-zone` (wildcards, quoted text, RFC 3597 data).
//
// Checks, for each dialect: every error names a line of the input and is one report line; every record read,
// written back with master_line, is one line and reads back as the same record — for the registry's dialect an
// inert one (nothing that could comment, continue, quote or escape), for the operator's one of printable ASCII
// and tabs; the whole set written as a zone file (to_master_file) reads back as the same canonical records.
#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>

#include "dns/record.h"
#include "dns/zone.h"
#include "tests/fuzz/fuzz_checks.h"

using namespace rdnsprov;

namespace {

// One record line of an operator's zone: printable ASCII and tabs, ended by exactly one newline. Quotes and
// escapes may be in it (TXT, \#); what they mean is checked by reading the line back.
bool one_operator_line(std::string_view line) {
  if (line.empty() || line.back() != '\n') return false;
  line.remove_suffix(1);
  return std::all_of(line.begin(), line.end(), [](char c) {
    return c == '\t' || (static_cast<unsigned char>(c) >= 0x20 && static_cast<unsigned char>(c) <= 0x7e);
  });
}

void check(std::string_view input, dns::Dialect dialect) {
  static const dns::Name origin = *dns::Name::from_text("2.0.193.in-addr.arpa");
  const bool registry = dialect == dns::Dialect::kRegistry;
  // Each failure says which dialect it is of.
  auto fuzz_require = [&](bool condition, const char* what, std::string_view in, const std::string& detail = {}) {
    fuzz::fuzz_require(condition, what, in, (registry ? "[registry dialect] " : "[operator dialect] ") + detail);
  };
  dns::MasterFile parsed = dns::read_master_file(input, origin, dialect);

  std::uint64_t lines = static_cast<std::uint64_t>(std::count(input.begin(), input.end(), '\n')) + 1;
  for (const dns::MasterFileError& e : parsed.errors) {
    fuzz_require(e.line >= 1 && e.line <= lines, "an error names a line outside the input", input, e.reason);
    fuzz_require(fuzz::one_report_line(e.reason), "an error spans report lines", input, e.reason);
  }

  std::string text;
  for (const dns::Record& r : parsed.records) {
    std::string line = dns::master_line(r);
    fuzz_require(registry ? fuzz::one_master_line(line) : one_operator_line(line),
                 "a record read gives a master-file line that is not inert", input, line);
    text += line;
  }
  dns::MasterFile again = dns::read_master_file(text, dns::Name(), dialect);
  fuzz_require(again.errors.empty(), "records read do not read back", input,
               text + (again.errors.empty() ? "" : "\n" + again.errors.front().reason));
  fuzz_require(again.records == parsed.records, "records read back differently", input, text);

  dns::Zone zone(origin);
  for (const dns::Record& r : parsed.records) zone.add(r);
  zone.canonicalise();
  std::string file = dns::to_master_file(zone);
  dns::MasterFile third = dns::read_master_file(file, origin, dialect);
  fuzz_require(third.errors.empty(), "a zone file written from records read does not read back", input, file);
  dns::Zone back(origin);
  for (const dns::Record& r : third.records) back.add(r);
  back.canonicalise();
  fuzz_require(back.records() == zone.records(), "a zone file written from records read reads back differently",
               input, file);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  check(input, dns::Dialect::kRegistry);
  check(input, dns::Dialect::kOperator);
  return 0;
}
