// Fuzzes the master-file reader (dns/zone.h read_master_file) that reads published zones back from the state
// directory and, through the signer, zone files from outside.
//
// Checks: every error names a line of the input and is one report line; every record read, written back with
// master_line, is one inert line (nothing that could comment, continue, quote or escape) and reads back as the
// same record; the whole set written as a zone file (to_master_file) reads back as the same canonical records.
#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>

#include "dns/record.h"
#include "dns/zone.h"
#include "tests/fuzz/fuzz_checks.h"

using namespace rdnsprov;
using fuzz::fuzz_require;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  static const dns::Name origin = *dns::Name::from_text("2.0.193.in-addr.arpa");
  dns::MasterFile parsed = dns::read_master_file(input, origin);

  std::uint64_t lines = static_cast<std::uint64_t>(std::count(input.begin(), input.end(), '\n')) + 1;
  for (const dns::MasterFileError& e : parsed.errors) {
    fuzz_require(e.line >= 1 && e.line <= lines, "an error names a line outside the input", input, e.reason);
    fuzz_require(fuzz::one_report_line(e.reason), "an error spans report lines", input, e.reason);
  }

  std::string text;
  for (const dns::Record& r : parsed.records) {
    std::string line = dns::master_line(r);
    fuzz_require(fuzz::one_master_line(line), "a record read gives a master-file line that is not inert", input, line);
    text += line;
  }
  dns::MasterFile again = dns::read_master_file(text, dns::Name());
  fuzz_require(again.errors.empty(), "records read do not read back", input,
               text + (again.errors.empty() ? "" : "\n" + again.errors.front().reason));
  fuzz_require(again.records == parsed.records, "records read back differently", input, text);

  dns::Zone zone(origin);
  for (const dns::Record& r : parsed.records) zone.add(r);
  zone.canonicalise();
  std::string file = dns::to_master_file(zone);
  dns::MasterFile third = dns::read_master_file(file, origin);
  fuzz_require(third.errors.empty(), "a zone file written from records read does not read back", input, file);
  dns::Zone back(origin);
  for (const dns::Record& r : third.records) back.add(r);
  back.canonicalise();
  fuzz_require(back.records() == zone.records(), "a zone file written from records read reads back differently",
               input, file);
  return 0;
}
