// Fuzzes the INI configuration reader (cli/config.h load_config_text: the text of load_config).
//
// Checks: bad input is a ConfigError (any other exception escapes and is a crash), and every problem it lists
// names the configuration file; an accepted configuration reads the same twice, its paths are absolute, its
// names make inert master-file lines (SOA, apex NS, glue) that read back as the same records, and no zone,
// source, target or policy name could become a path outside its directory.
#include <cstdint>
#include <sstream>
#include <string>
#include <string_view>

#include "cli/config.h"
#include "dns/rdata.h"
#include "dns/record.h"
#include "dns/zone.h"
#include "tests/fuzz/fuzz_checks.h"

using namespace rdnsprov;
using fuzz::fuzz_require;

namespace {

bool safe_file_name(const std::string& name) {
  return !name.empty() && name != "." && name != ".." && name.find('/') == std::string::npos &&
         name.find('\0') == std::string::npos;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  const std::filesystem::path file = "/etc/rdnsprov/fuzz.conf";
  cli::Config config;
  try {
    config = cli::load_config_text(file, text);
  } catch (const cli::ConfigError& e) {
    std::istringstream lines(e.what());
    std::string line;
    std::getline(lines, line);  // "configuration error:" or "N configuration errors:"
    if (line.find(file.string()) != std::string::npos) return 0;  // a single problem, on the first line
    while (std::getline(lines, line)) {
      fuzz_require(line.find(file.string()) != std::string::npos, "a configuration problem does not name the file",
                   text, line);
    }
    return 0;
  }

  cli::Config again = cli::load_config_text(file, text);
  fuzz_require(again.zones.size() == config.zones.size() && again.sources.size() == config.sources.size() &&
                   again.state == config.state,
               "the same configuration reads differently twice", text);
  fuzz_require(config.state.is_absolute(), "the state directory is not an absolute path", text, config.state);
  for (const cli::SourceConfig& s : config.sources) {
    fuzz_require(safe_file_name(s.name), "a source name could escape a directory", text, s.name);
    if (s.type == "rpsl") fuzz_require(s.path.is_absolute(), "a source path is not absolute", text, s.path);
  }
  for (const cli::TargetConfig& t : config.targets) {
    fuzz_require(safe_file_name(t.name), "a target name could escape a directory", text, t.name);
  }
  for (const auto& [name, policy] : config.policies) {
    fuzz_require(safe_file_name(name), "a policy name could escape a directory", text, name);
  }
  for (const cli::ZoneConfig& z : config.zones) {
    const builder::ZoneSpec& spec = z.spec;
    fuzz_require(safe_file_name(spec.apex.to_text_no_dot()), "a zone name could escape a directory", text,
                 spec.apex.to_text());
    std::vector<dns::Record> records;
    dns::rdata::Soa soa{spec.soa_mname, spec.soa_rname, 1, spec.soa_refresh, spec.soa_retry, spec.soa_expire,
                        spec.soa_minimum};
    records.push_back({spec.apex, dns::RRType::kSoa, spec.soa_ttl, dns::rdata::soa(soa)});
    for (const dns::Name& ns : spec.nameservers) {
      records.push_back({spec.apex, dns::RRType::kNs, spec.ns_ttl, dns::rdata::ns(ns)});
    }
    for (const dns::GlueAddress& g : spec.nameserver_addresses) records.push_back({g.host, g.type, spec.glue_ttl, g.address});
    std::string lines;
    for (const dns::Record& r : records) {
      std::string line = dns::master_line(r);
      fuzz_require(fuzz::one_master_line(line), "a configured value gives a master-file line that is not inert",
                   text, line);
      lines += line;
    }
    dns::MasterFile back = dns::read_master_file(lines, dns::Name());
    fuzz_require(back.errors.empty() && back.records == records,
                 "master-file lines from configured values read back differently", text, lines);
  }
  return 0;
}
