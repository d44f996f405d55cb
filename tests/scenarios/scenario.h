// Scenario tests: the real `rdnsprov` executable on generated registry data in a temporary directory, checked the
// way an operator checks a run — exit code, STATE/journal.jsonl, STATE/published/ and the zone directory target.
//
//   Scenario s({"193.in-addr.arpa", "194.in-addr.arpa"});      // config with a state dir and a directory target
//   s.write_dump(slash24_delegations(193, 200));                // a registry dump, generated deterministically
//   CommandResult r = s.rdnsprov({"run"}, 1800000000);          // -c CONFIG --now 1800000000 run
//   EXPECT_EQ(r.exit_code, 0) << r.all();
//   for (const json& e : s.journal_since(mark)) …               // one JSON object per journal line
//
// Header-only: the CMake glob builds every *_test.cc of this folder into scenarios_tests, nothing else.
#pragma once

#include <algorithm>
#include <cstdint>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "dns/dnssec.h"
#include "dns/encoding.h"
#include "dns/serial.h"
#include "tests/support/skip.h"
#include "tests/support/support.h"

namespace rdnsprov::scenarios {

namespace fs = std::filesystem;
using json = nlohmann::json;
using testing::CommandOptions;
using testing::CommandResult;

inline constexpr std::time_t kT0 = 1800000000;  // 2027-01-15T08:00:00Z: --now of the first run of most scenarios
inline constexpr std::time_t kHour = 3600;

// One RPSL `domain` object.
struct DomainObject {
  std::string domain;                  // without trailing dot
  std::vector<std::string> nservers;   // "host" or "host address"
  std::vector<std::string> ds;         // "keytag alg digesttype digest"
};

// `count` /24 delegations below the /8 zone `first_octet`.in-addr.arpa: "C.B.A.in-addr.arpa" for i = 0..count-1
// with B = i / 256 and C = i % 256, two nameservers outside the child (no glue), every seventh one with a DS.
inline std::vector<DomainObject> slash24_delegations(int first_octet, std::size_t count, std::size_t start = 0) {
  std::vector<DomainObject> out;
  out.reserve(count);
  for (std::size_t i = start; i < start + count; ++i) {
    DomainObject o;
    o.domain = fmt::format("{}.{}.{}.in-addr.arpa", i % 256, i / 256, first_octet);
    o.nservers = {fmt::format("ns1.isp{}.example", i % 13), fmt::format("ns2.isp{}.example", i % 13)};
    if (i % 7 == 0) o.ds = {fmt::format("{} 13 2 {}", 1000 + i, dns::to_hex(dns::sha256(o.domain), false))};
    out.push_back(std::move(o));
  }
  return out;
}

inline std::vector<DomainObject> concat(std::vector<std::vector<DomainObject>> parts) {
  std::vector<DomainObject> out;
  for (auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

inline DomainObject* find_object(std::vector<DomainObject>& objects, const std::string& domain) {
  for (DomainObject& o : objects) {
    if (o.domain == domain) return &o;
  }
  return nullptr;
}

inline void remove_object(std::vector<DomainObject>& objects, const std::string& domain) {
  objects.erase(std::remove_if(objects.begin(), objects.end(), [&](const DomainObject& o) { return o.domain == domain; }),
                objects.end());
}

// The split-dump text of `objects`; `lines` (when given) receives the line of each object's `domain:` attribute,
// which is the line rdnsprov names in origins ("[dump] FILE:LINE").
inline std::string rpsl_dump(const std::vector<DomainObject>& objects, std::map<std::string, int>* lines = nullptr) {
  std::string out = "% Generated registry export, object class domain (scenario test)\n\n";
  int line = 3;
  for (const DomainObject& o : objects) {
    if (lines) (*lines)[o.domain] = line;
    out += fmt::format("domain:         {}\n", o.domain);
    for (const auto& ns : o.nservers) out += fmt::format("nserver:        {}\n", ns);
    for (const auto& ds : o.ds) out += fmt::format("ds-rdata:       {}\n", ds);
    out += "mnt-by:         SCENARIO-MNT\nsource:         TEST\n\n";
    line += 1 + static_cast<int>(o.nservers.size() + o.ds.size()) + 3;
  }
  return out;
}

inline std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

inline void write_text(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

// Every regular file below `dir` (relative path → bytes), temporary files of atomic writes included.
inline std::map<std::string, std::string> file_contents(const fs::path& dir) {
  std::map<std::string, std::string> out;
  if (!fs::exists(dir)) return out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) out[fs::relative(e.path(), dir).generic_string()] = read_text(e.path());
  }
  return out;
}

// Every entry below `dir` with its type, size and modification time: what "writes nothing" is checked against.
inline std::map<std::string, std::string> tree_listing(const fs::path& dir) {
  std::map<std::string, std::string> out;
  if (!fs::exists(dir)) return out;
  auto describe = [](const fs::directory_entry& e) {
    auto mtime = e.last_write_time().time_since_epoch().count();
    return fmt::format("{} {} {}", e.is_directory() ? "dir" : "file", e.is_directory() ? 0 : e.file_size(), mtime);
  };
  out["."] = describe(fs::directory_entry(dir));
  for (const auto& e : fs::recursive_directory_iterator(dir)) out[fs::relative(e.path(), dir).generic_string()] = describe(e);
  return out;
}

// The SOA serial of a master file as rdnsprov writes it (the SOA is the first line).
inline std::optional<std::uint32_t> soa_serial(const std::string& zone_text) {
  std::istringstream in(zone_text.substr(0, zone_text.find('\n')));
  std::vector<std::string> fields;
  for (std::string f; in >> f;) fields.push_back(f);
  if (fields.size() < 7 || fields[3] != "SOA") return std::nullopt;
  return static_cast<std::uint32_t>(std::stoul(fields[6]));
}

// The master file with its SOA serial replaced by 0: the same content under any serial.
inline std::string without_serial(const std::string& zone_text) {
  std::size_t eol = zone_text.find('\n');
  std::istringstream in(zone_text.substr(0, eol));
  std::vector<std::string> fields;
  for (std::string f; in >> f;) fields.push_back(f);
  if (fields.size() < 7 || fields[3] != "SOA") return "(no SOA first)\n" + zone_text;
  fields[6] = "0";
  std::string first;
  for (const auto& f : fields) first += (first.empty() ? "" : " ") + f;
  return first + (eol == std::string::npos ? std::string() : zone_text.substr(eol));
}

// Delegation points of a master file: owners of NS records other than the apex.
inline std::size_t delegation_count(const std::string& zone_text, const std::string& apex) {
  std::set<std::string> owners;
  std::istringstream in(zone_text);
  for (std::string line; std::getline(in, line);) {
    std::istringstream fields(line);
    std::string owner, ttl, cls, type;
    fields >> owner >> ttl >> cls >> type;
    if (type == "NS" && owner != apex + ".") owners.insert(owner);
  }
  return owners.size();
}

inline bool serial_after(std::uint32_t a, std::uint32_t b) { return dns::Serial(a).is_after(dns::Serial(b)); }

inline std::vector<json> events_of(const std::vector<json>& entries, const std::string& event) {
  std::vector<json> out;
  for (const json& e : entries) {
    if (e.value("event", "") == event) out.push_back(e);
  }
  return out;
}

// The entries of `event` about `zone` (written without the trailing dot; the journal has it).
inline std::vector<json> zone_events(const std::vector<json>& entries, const std::string& event, const std::string& zone) {
  std::vector<json> out;
  for (const json& e : events_of(entries, event)) {
    if (e.value("zone", "") == zone + ".") out.push_back(e);
  }
  return out;
}

// A gate verdict inside a "zone" journal entry.
inline std::optional<json> gate_of(const json& zone_entry, const std::string& gate, const std::string& what = "") {
  for (const json& g : zone_entry.at("gates")) {
    if (g.value("gate", "") != gate) continue;
    if (!what.empty() && g.at("figures").value("what", "") != what) continue;
    return g;
  }
  return std::nullopt;
}

class Scenario {
 public:
  explicit Scenario(std::vector<std::string> configured) : zones(std::move(configured)) {
    config = dir / "rdnsprov.conf";
    dump = dir / "db.domain";
    state = dir / "state";
    target = dir / "target";
    fs::create_directories(target);
    write_config();
    write_dump({});
  }

  testing::TempDir dir;
  fs::path config, dump, state, target;
  std::vector<std::string> zones;                       // configured zones, without trailing dot
  std::map<std::string, std::string> zone_settings;     // zone → extra "key = value" lines of its section
  std::string extra_sections;                            // [gates], [snapshots], … as text
  std::string general_settings;                          // extra "key = value" lines of [general]

  void write_config() const {
    std::string text = fmt::format(
        "; scenario test configuration\n"
        "[general]\nstate = {}\nregistry = TEST-RIR\n{}\n"
        "[source.dump]\ntype = rpsl\npath = {}\n\n"
        "[zone-defaults]\nsoa-mname = ns0.test-rir.example\nsoa-rname = hostmaster@test-rir.example\n"
        "nameserver = ns1.test-rir.example\nnameserver = ns2.test-rir.example\nserial-policy = unixtime\n\n"
        "[target.primary]\ntype = directory\npath = {}\n\n",
        state.string(), general_settings, dump.string(), target.string());
    for (const std::string& z : zones) {
      text += fmt::format("[zone.{}]\n", z);
      if (auto s = zone_settings.find(z); s != zone_settings.end()) text += s->second + "\n";
      text += "\n";
    }
    text += extra_sections;
    write_text(config, text);
  }

  void write_dump(const std::vector<DomainObject>& objects, std::map<std::string, int>* lines = nullptr) const {
    write_text(dump, rpsl_dump(objects, lines));
  }

  std::vector<std::string> argv(const std::vector<std::string>& args, std::time_t now) const {
    std::vector<std::string> out{testing::rdnsprov_binary().string(), "-c", config.string(), "--now",
                                 std::to_string(now)};
    out.insert(out.end(), args.begin(), args.end());
    return out;
  }

  CommandResult rdnsprov(const std::vector<std::string>& args, std::time_t now,
                         std::map<std::string, std::string> env = {}) const {
    CommandOptions options;
    options.env = std::move(env);
    options.timeout = std::chrono::seconds(120);
    return testing::run_command(argv(args, now), options);
  }

  fs::path journal_file() const { return state / "journal.jsonl"; }
  std::vector<json> journal() const {
    std::vector<json> out;
    std::ifstream in(journal_file());
    for (std::string line; std::getline(in, line);) {
      json j = json::parse(line, nullptr, false);
      EXPECT_FALSE(j.is_discarded()) << "journal line is not JSON: " << line;
      if (!j.is_discarded()) out.push_back(std::move(j));
    }
    return out;
  }
  std::size_t journal_size() const { return journal().size(); }
  std::vector<json> journal_since(std::size_t mark) const {
    std::vector<json> all = journal();
    return std::vector<json>(all.begin() + static_cast<std::ptrdiff_t>(std::min(mark, all.size())), all.end());
  }

  fs::path published_file(const std::string& zone) const { return state / "published" / (zone + ".zone"); }
  fs::path published_meta(const std::string& zone) const { return state / "published" / (zone + ".json"); }
  fs::path target_file(const std::string& zone) const { return target / (zone + ".zone"); }
  std::uint32_t published_serial(const std::string& zone) const {
    auto s = soa_serial(read_text(published_file(zone)));
    EXPECT_TRUE(s) << published_file(zone);
    return s.value_or(0);
  }
  json meta(const std::string& zone) const { return json::parse(read_text(published_meta(zone))); }

  // What is out there: STATE/published/ and the target directory, byte for byte.
  std::map<std::string, std::string> published_state() const {
    std::map<std::string, std::string> out;
    for (auto& [k, v] : file_contents(state / "published")) out["published/" + k] = v;
    for (auto& [k, v] : file_contents(target)) out["target/" + k] = v;
    return out;
  }

  std::vector<std::string> snapshot_ids() const {
    std::vector<std::string> out;
    if (!fs::exists(state / "snapshots")) return out;
    for (const auto& e : fs::directory_iterator(state / "snapshots")) {
      std::string name = e.path().filename().string();
      if (e.is_directory() && !name.starts_with(".")) out.push_back(name);
    }
    std::sort(out.begin(), out.end());
    return out;
  }
};

}  // namespace rdnsprov::scenarios
