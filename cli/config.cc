#include "cli/config.h"

#include <algorithm>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>

#include <boost/program_options.hpp>
#include <fmt/format.h>

#include "cli/signing.h"
#include "cli/target_config.h"
#include "dns/atomic_file.h"
#include "dns/dnssec.h"
#include "dns/encoding.h"
#include "dns/rdata.h"
#include "signer/key.h"

namespace rdnsprov::cli {
namespace {

namespace po = boost::program_options;

struct IniEntry {
  std::string section;
  std::string key;
  std::string value;
  std::uint64_t line = 0;
};

struct IniSection {
  std::string name;
  std::uint64_t line = 0;
};

struct IniFile {
  std::vector<IniSection> sections;
  std::vector<IniEntry> entries;
};

std::string trim(std::string_view s) {
  std::size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string_view::npos) return {};
  std::size_t e = s.find_last_not_of(" \t\r");
  return std::string(s.substr(b, e - b + 1));
}

// Removes a `;` or `#` comment that starts the value or follows white space.
std::string strip_comment(std::string_view value) {
  for (std::size_t i = 0; i < value.size(); ++i) {
    if ((value[i] == ';' || value[i] == '#') && (i == 0 || value[i - 1] == ' ' || value[i - 1] == '\t')) {
      return trim(value.substr(0, i));
    }
  }
  return trim(value);
}

// First pass: sections, keys and their lines; malformed lines are errors. The entries are then handed to
// Boost.Program_options as a normalised INI text, which is what does the parsing proper.
IniFile read_ini(const std::filesystem::path& file, const std::string& text, std::vector<std::string>& problems) {
  IniFile ini;
  std::istringstream in(text);
  std::string raw;
  std::uint64_t line = 0;
  std::string section;
  std::ostringstream normalised;
  while (std::getline(in, raw)) {
    ++line;
    std::string s = trim(raw);
    if (s.empty() || s[0] == ';' || s[0] == '#') continue;
    if (s[0] == '[') {
      std::string header = strip_comment(s);
      if (header.back() != ']' || header.size() < 3) {
        problems.push_back(fmt::format("{}:{}: malformed section header \"{}\"", file.string(), line, s));
        continue;
      }
      section = trim(std::string_view(header).substr(1, header.size() - 2));
      ini.sections.push_back({section, line});
      normalised << "[" << section << "]\n";
      continue;
    }
    std::size_t eq = s.find('=');
    if (eq == std::string::npos) {
      problems.push_back(fmt::format("{}:{}: expected \"key = value\", found \"{}\"", file.string(), line, s));
      continue;
    }
    if (section.empty()) {
      problems.push_back(fmt::format("{}:{}: key \"{}\" outside any [section]", file.string(), line,
                                     trim(s.substr(0, eq))));
      continue;
    }
    IniEntry entry{section, trim(s.substr(0, eq)), strip_comment(std::string_view(s).substr(eq + 1)), line};
    normalised << entry.key << "=" << entry.value << "\n";
    ini.entries.push_back(std::move(entry));
  }
  // Boost.Program_options parses the normalised text; its options come back in file order, one per entry.
  std::istringstream normalised_in(normalised.str());
  po::options_description no_registered_options;
  try {
    po::parsed_options parsed = po::parse_config_file(normalised_in, no_registered_options, true);
    std::size_t i = 0;
    for (const po::option& option : parsed.options) {
      if (i >= ini.entries.size()) break;
      IniEntry& entry = ini.entries[i++];
      std::string expected = entry.section + "." + entry.key;
      if (option.string_key != expected || option.value.empty()) {
        problems.push_back(fmt::format("{}:{}: cannot read key \"{}\"", file.string(), entry.line, entry.key));
        continue;
      }
      entry.value = option.value.front();
    }
  } catch (const po::error& e) {
    problems.push_back(fmt::format("{}: {}", file.string(), e.what()));
  }
  return ini;
}

std::string where(const Config& config, std::uint64_t line) { return fmt::format("{}:{}", config.file.string(), line); }

// A key's handler: applies the value or returns a problem (empty when fine).
using Apply = std::function<std::string(const std::string& value)>;
struct KeyRule {
  bool repeatable = false;
  Apply apply;
};

std::string parse_name(const std::string& value, dns::Name& out) {
  auto name = dns::Name::from_text(value);
  if (!name) return name.error();
  out = *name;
  return {};
}

std::string parse_seconds(const std::string& value, std::uint32_t& out) {
  auto seconds = dns::rdata::ttl_from_text(value);
  if (!seconds) return seconds.error();
  out = *seconds;
  return {};
}

std::filesystem::path relative_to(const std::filesystem::path& config_file, const std::string& value) {
  std::filesystem::path p(value);
  if (p.is_absolute()) return p.lexically_normal();
  return (std::filesystem::absolute(config_file).parent_path() / p).lexically_normal();
}

struct ZoneSettings {
  ZoneConfig zone;
  bool has_soa_mname = false;
  bool has_soa_rname = false;
  bool nameservers_set = false;
  bool addresses_set = false;
};

std::map<std::string, KeyRule> zone_rules(ZoneSettings& s) {
  builder::ZoneSpec& spec = s.zone.spec;
  auto seconds = [](std::uint32_t& field) {
    return KeyRule{false, [&field](const std::string& v) { return parse_seconds(v, field); }};
  };
  return {
      {"soa-mname", {false, [&](const std::string& v) { s.has_soa_mname = true; return parse_name(v, spec.soa_mname); }}},
      {"soa-rname",
       {false,
        [&](const std::string& v) {
          s.has_soa_rname = true;
          std::string mailbox = v;
          // "hostmaster@example.net" is written as the name "hostmaster.example.net" (RFC 1035 §3.3.13).
          if (auto at = mailbox.find('@'); at != std::string::npos) {
            if (mailbox.substr(0, at).find('.') != std::string::npos) {
              return std::string("a mailbox whose local part contains '.' cannot be written here");
            }
            mailbox[at] = '.';
          }
          return parse_name(mailbox, spec.soa_rname);
        }}},
      {"soa-refresh", seconds(spec.soa_refresh)},
      {"soa-retry", seconds(spec.soa_retry)},
      {"soa-expire", seconds(spec.soa_expire)},
      {"soa-minimum", seconds(spec.soa_minimum)},
      {"soa-ttl", seconds(spec.soa_ttl)},
      {"ns-ttl", seconds(spec.ns_ttl)},
      {"delegation-ttl", seconds(spec.delegation_ttl)},
      {"ds-ttl", seconds(spec.ds_ttl)},
      {"glue-ttl", seconds(spec.glue_ttl)},
      {"cname-ttl", seconds(spec.cname_ttl)},
      {"nameserver",
       {true,
        [&](const std::string& v) {
          if (!s.nameservers_set) spec.nameservers.clear();  // a zone's own list replaces the defaults
          s.nameservers_set = true;
          dns::Name host;
          std::string problem = parse_name(v, host);
          if (problem.empty()) spec.nameservers.push_back(host);
          return problem;
        }}},
      {"nameserver-address",
       {true,
        [&](const std::string& v) {
          if (!s.addresses_set) spec.nameserver_addresses.clear();
          s.addresses_set = true;
          std::istringstream in(v);
          std::string host_text, address_text, extra;
          in >> host_text >> address_text >> extra;
          if (host_text.empty() || address_text.empty() || !extra.empty()) {
            return std::string("expected \"HOST ADDRESS\"");
          }
          dns::GlueAddress glue;
          if (std::string problem = parse_name(host_text, glue.host); !problem.empty()) return problem;
          auto address = dns::rdata::address_from_text(address_text, glue.type);
          if (!address) return address.error();
          glue.address = *address;
          spec.nameserver_addresses.push_back(glue);
          return std::string();
        }}},
      {"serial-policy",
       {false,
        [&](const std::string& v) {
          if (v == "unixtime") s.zone.serial_policy = SerialPolicy::kUnixtime;
          else if (v == "date") s.zone.serial_policy = SerialPolicy::kDate;
          else if (v == "counter") s.zone.serial_policy = SerialPolicy::kCounter;
          else return std::string("expected unixtime, date or counter");
          return std::string();
        }}},
      {"observed-serial",
       {false,
        [&](const std::string& v) {
          try {
            std::size_t used = 0;
            unsigned long long n = std::stoull(v, &used);
            if (used != v.size() || n > 0xffffffffULL) throw std::out_of_range(v);
            s.zone.observed_serial = static_cast<std::uint32_t>(n);
            return std::string();
          } catch (const std::exception&) {
            return std::string("expected a serial from 0 to 4294967295");
          }
        }}},
      {"dnssec-policy",
       {false,
        [&](const std::string& v) {
          s.zone.dnssec_policy = v;
          return std::string();
        }}},
  };
}

// "ADDR[:PORT] ..." separated by spaces or commas, appended to `out`.
std::string parse_addresses(const std::string& value, std::vector<publisher::ServerAddress>& out) {
  std::string list = value;
  std::replace(list.begin(), list.end(), ',', ' ');
  std::istringstream in(list);
  std::size_t before = out.size();
  for (std::string item; in >> item;) {
    auto address = publisher::ServerAddress::parse(item);
    if (!address) return address.error();
    out.push_back(*address);
  }
  if (out.size() == before) return "expected one or more ADDRESS[:PORT] ([IPv6]:PORT with a port)";
  return {};
}

std::string parse_count(const std::string& value, int& out, int max) {
  try {
    std::size_t used = 0;
    int n = std::stoi(value, &used);
    if (used != value.size() || n < 0 || n > max) throw std::out_of_range(value);
    out = n;
    return {};
  } catch (const std::exception&) {
    return fmt::format("expected a whole number from 0 to {}", max);
  }
}

std::string parse_yes_no(const std::string& value, bool& out) {
  if (value == "yes" || value == "true") out = true;
  else if (value == "no" || value == "false") out = false;
  else return "expected yes or no";
  return {};
}

// What a [policy.NAME] section set, beyond the values themselves (for the checks across keys).
struct PolicySettings {
  PolicyConfig policy;
  std::vector<std::string> nsec3_keys;  // nsec3-* keys given (they need denial = nsec3)
  bool rsa_bits_set = false;
};

std::map<std::string, KeyRule> policy_rules(PolicySettings& s) {
  signer::SigningPolicy& p = s.policy.signing;
  auto seconds = [](std::uint32_t& field) {
    return KeyRule{false, [&field](const std::string& v) { return parse_seconds(v, field); }};
  };
  auto yes_no = [](bool& field) {
    return KeyRule{false, [&field](const std::string& v) { return parse_yes_no(v, field); }};
  };
  auto nsec3 = [&s](const char* key, Apply apply) {
    return KeyRule{false, [&s, key, apply](const std::string& v) {
                     s.nsec3_keys.push_back(key);
                     return apply(v);
                   }};
  };
  return {
      {"algorithm",
       {false,
        [&](const std::string& v) {
          if (v == "ecdsap256sha256" || v == "13") p.algorithm = dns::kAlgorithmEcdsaP256Sha256;
          else if (v == "ed25519" || v == "15") p.algorithm = dns::kAlgorithmEd25519;
          else if (v == "rsasha256" || v == "8") p.algorithm = dns::kAlgorithmRsaSha256;
          else return std::string("expected ecdsap256sha256 (13), ed25519 (15) or rsasha256 (8)");
          return std::string();
        }}},
      {"rsa-bits",
       {false,
        [&](const std::string& v) {
          s.rsa_bits_set = true;
          try {
            std::size_t used = 0;
            unsigned long bits = std::stoul(v, &used);
            if (used != v.size() || bits < signer::kMinimumRsaBits || bits > 4096) throw std::out_of_range(v);
            p.rsa_bits = static_cast<unsigned>(bits);
            return std::string();
          } catch (const std::exception&) {
            return fmt::format("expected a modulus size from {} to 4096 bits", signer::kMinimumRsaBits);
          }
        }}},
      {"keys",
       {false,
        [&](const std::string& v) {
          if (v == "ksk-zsk") p.key_layout = signer::KeyLayout::kKskZsk;
          else if (v == "csk") p.key_layout = signer::KeyLayout::kCsk;
          else return std::string("expected ksk-zsk or csk");
          return std::string();
        }}},
      {"denial",
       {false,
        [&](const std::string& v) {
          if (v == "nsec") p.denial = signer::Denial::kNsec;
          else if (v == "nsec3") p.denial = signer::Denial::kNsec3;
          else return std::string("expected nsec or nsec3");
          return std::string();
        }}},
      {"nsec3-iterations", nsec3("nsec3-iterations", [&](const std::string& v) {
         try {
           std::size_t used = 0;
           unsigned long n = std::stoul(v, &used);
           // RFC 9276 §3.2: validators may treat more iterations as insecure (and 0 is what §3.1 asks for).
           if (used != v.size() || v[0] == '-' || n > signer::kMaxNsec3Iterations) throw std::out_of_range(v);
           p.nsec3_iterations = static_cast<std::uint16_t>(n);
           return std::string();
         } catch (const std::exception&) {
           return fmt::format("expected a number from 0 to {} (RFC 9276 §3.1 asks for 0; validators may treat more "
                              "than {} as insecure, §3.2)",
                              signer::kMaxNsec3Iterations, signer::kMaxNsec3Iterations);
         }
       })},
      {"nsec3-salt", nsec3("nsec3-salt", [&](const std::string& v) {
         if (v == "-") {
           p.nsec3_salt.clear();
           return std::string();
         }
         auto salt = dns::from_hex(v);
         if (!salt || salt->empty() || salt->size() > 255) {
           return std::string("expected up to 255 octets in hex, or - for none (RFC 9276 recommends none)");
         }
         p.nsec3_salt = *salt;
         return std::string();
       })},
      {"nsec3-opt-out", nsec3("nsec3-opt-out", [&](const std::string& v) { return parse_yes_no(v, p.nsec3_opt_out); })},
      {"signature-validity", seconds(p.signature_validity)},
      {"inception-offset", seconds(p.inception_offset)},
      {"refresh", seconds(p.refresh)},
      {"jitter", seconds(p.jitter)},
      {"dnskey-ttl",
       {false,
        [&](const std::string& v) {
          std::uint32_t ttl = 0;
          std::string problem = parse_seconds(v, ttl);
          if (problem.empty()) p.dnskey_ttl = ttl;
          return problem;
        }}},
      {"cds", yes_no(p.cds_cdnskey)},
      {"zonemd", yes_no(p.zonemd)},
      {"ksk-lifetime", seconds(p.ksk_lifetime)},
      {"zsk-lifetime", seconds(p.zsk_lifetime)},
      {"propagation-delay", seconds(p.propagation_delay)},
      {"parent-ds-ttl", seconds(p.parent_ds_ttl)},
      {"parent-propagation-delay", seconds(p.parent_propagation_delay)},
      {"validity-margin", seconds(s.policy.validity_margin)},
  };
}

// A duration as an operator wrote it: whole days when it is whole days.
std::string duration_text(std::uint32_t seconds) {
  if (seconds % 86400 == 0) return fmt::format("{}d", seconds / 86400);
  if (seconds % 3600 == 0) return fmt::format("{}h", seconds / 3600);
  if (seconds % 60 == 0) return fmt::format("{}m", seconds / 60);
  return fmt::format("{}s", seconds);
}

// Applies the entries of one section through its rules, recording problems with file:line.
void apply_section(const Config& config, const std::string& section, const std::vector<const IniEntry*>& entries,
                   const std::map<std::string, KeyRule>& rules, std::vector<std::string>& problems) {
  std::set<std::string> seen;
  for (const IniEntry* e : entries) {
    auto rule = rules.find(e->key);
    if (rule == rules.end()) {
      problems.push_back(fmt::format("{}: [{}] unknown key \"{}\"", where(config, e->line), section, e->key));
      continue;
    }
    if (!rule->second.repeatable && !seen.insert(e->key).second) {
      problems.push_back(fmt::format("{}: [{}] key \"{}\" given twice", where(config, e->line), section, e->key));
      continue;
    }
    if (std::string problem = rule->second.apply(e->value); !problem.empty()) {
      problems.push_back(fmt::format("{}: [{}] {} = {}: {}", where(config, e->line), section, e->key, e->value, problem));
    }
  }
}

// [target.NAME] type = pdns-gpgsql needs a conninfo; its keys mean nothing to other types.
void check_pdns_gpgsql_target(const Config& config, const TargetConfig& target, const std::string& section,
                              const std::vector<const IniEntry*>& entries, std::vector<std::string>& problems) {
  bool gpgsql = target.type == "pdns-gpgsql";
  if (gpgsql && target.conninfo.empty()) {
    problems.push_back(fmt::format("{}: [{}] type pdns-gpgsql needs \"conninfo\"", target.location, section));
  }
  for (const IniEntry* e : entries) {
    bool gpgsql_key = e->key == "conninfo" || e->key == "domain-type" || e->key == "pdns-control";
    if ((gpgsql_key && !gpgsql && !target.type.empty()) || (gpgsql && e->key == "path")) {
      problems.push_back(fmt::format("{}: [{}] key \"{}\" does not apply to type {}", where(config, e->line), section,
                                     e->key, target.type));
    }
  }
}

// [peer.NAME]: the peer's address space, directories, exported parent zones and limits (docs/CONFIG.md).
void parse_peer_section(Config& config, const std::filesystem::path& file, const std::string& section,
                        const std::string& location, const std::vector<const IniEntry*>& entries,
                        std::vector<std::string>& problems) {
  PeerConfig peer;
  zonelets::PeerSpec& p = peer.spec;
  p.name = section.substr(5);
  peer.location = location;
  if (!zonelets::valid_peer_name(p.name)) {
    // The name becomes a directory and file name under STATE/zonelets/: refused before it gets there.
    problems.push_back(fmt::format("{}: [{}] a peer name is 1 to 64 of A-Z a-z 0-9 . _ - and does not start with "
                                   "'.'", location, section.substr(0, 80)));
    return;
  }
  auto seconds = [](std::uint32_t& field) {
    return KeyRule{false, [&field](const std::string& v) { return parse_seconds(v, field); }};
  };
  auto whole = [](auto& field, unsigned long long minimum) {
    return KeyRule{false, [&field, minimum](const std::string& v) {
                     try {
                       std::size_t used = 0;
                       unsigned long long x = std::stoull(v, &used);
                       if (used != v.size() || v[0] == '-' || x < minimum || x > 0xffffffffULL) throw std::out_of_range(v);
                       field = static_cast<std::remove_reference_t<decltype(field)>>(x);
                       return std::string();
                     } catch (const std::exception&) {
                       return fmt::format("expected a whole number, at least {}", minimum);
                     }
                   }};
  };
  bool incoming_set = false, outgoing_set = false;
  std::map<std::string, KeyRule> rules{
      {"space",
       {true,
        [&](const std::string& v) {
          auto prefix = zonelets::AddressPrefix::from_text(v);
          if (!prefix) return prefix.error();
          p.space.push_back(*prefix);
          return std::string();
        }}},
      {"incoming", {false, [&](const std::string& v) { p.incoming = relative_to(file, v); incoming_set = true; return std::string(); }}},
      {"outgoing", {false, [&](const std::string& v) { p.outgoing = relative_to(file, v); outgoing_set = true; return std::string(); }}},
      {"export-zone",
       {true,
        [&](const std::string& v) {
          dns::Name apex;
          std::string problem = parse_name(v, apex);
          if (problem.empty()) p.export_zones.push_back(apex);
          return problem;
        }}},
      {"stale-after", seconds(p.stale_after)},
      {"export-interval", seconds(p.export_interval)},
      {"export-keep", whole(p.export_keep, 1)},
      {"min-ttl", seconds(p.min_ttl)},
      {"max-ttl", seconds(p.max_ttl)},
      {"export-ttl", seconds(p.export_ttl)},
      {"max-drop-percent",
       {false,
        [&](const std::string& v) {
          try {
            std::size_t used = 0;
            double x = std::stod(v, &used);
            if (used != v.size() || x < 0 || x > 100) throw std::out_of_range(v);
            p.max_drop_percent = x;
            return std::string();
          } catch (const std::exception&) {
            return std::string("expected a percentage from 0 to 100");
          }
        }}},
      {"min-drop", whole(p.min_drop, 0)},
  };
  apply_section(config, section, entries, rules, problems);
  if (!incoming_set && !outgoing_set) {
    problems.push_back(fmt::format("{}: [{}] needs \"incoming\", \"outgoing\" or both", location, section));
  }
  if (incoming_set && p.space.empty()) {
    problems.push_back(fmt::format("{}: [{}] \"incoming\" needs at least one \"space\" (the peer's prefixes)",
                                   location, section));
  }
  if (outgoing_set && p.export_zones.empty()) {
    problems.push_back(fmt::format("{}: [{}] \"outgoing\" needs at least one \"export-zone\"", location, section));
  }
  if (p.min_ttl > p.max_ttl) {
    problems.push_back(fmt::format("{}: [{}] min-ttl ({}) is above max-ttl ({})", location, section, p.min_ttl, p.max_ttl));
  }
  config.peers.push_back(std::move(peer));
}

// Across sections: a peer's space lies inside a zone we serve; its name and directories are its own.
void check_peers(const Config& config, std::vector<std::string>& problems) {
  std::set<std::filesystem::path> directories;
  for (const PeerConfig& peer : config.peers) {
    std::string section = "peer." + peer.spec.name;
    for (const zonelets::AddressPrefix& prefix : peer.spec.space) {
      bool inside = std::any_of(config.zones.begin(), config.zones.end(), [&](const ZoneConfig& z) {
        auto zone = zonelets::reverse_zone_prefix(z.spec.apex);
        return zone && zone->contains(prefix);
      });
      if (!inside) {
        problems.push_back(fmt::format("{}: [{}] space = {} is not inside any zone we serve", peer.location, section,
                                       prefix.to_text()));
      }
    }
    // A block of addresses belongs to one peer: otherwise either could delegate the other's space.
    for (const PeerConfig& other : config.peers) {
      if (&other == &peer) break;
      for (const zonelets::AddressPrefix& a : peer.spec.space) {
        for (const zonelets::AddressPrefix& b : other.spec.space) {
          if (a.contains(b) || b.contains(a)) {
            problems.push_back(fmt::format("{}: [{}] space = {} overlaps space = {} of [peer.{}]", peer.location,
                                           section, a.to_text(), b.to_text(), other.spec.name));
          }
        }
      }
    }
    for (const auto& dir : {peer.spec.incoming, peer.spec.outgoing}) {
      if (!dir.empty() && !directories.insert(dir).second) {
        problems.push_back(fmt::format("{}: [{}] directory {} is used twice among the peers", peer.location, section,
                                       dir.string()));
      }
    }
  }
}

}  // namespace

Config load_config(const std::filesystem::path& file) {
  std::string text;
  try {
    text = dns::read_file(file);
  } catch (const std::system_error& e) {
    throw ConfigError(fmt::format("cannot read the configuration: {}", e.what()));
  }
  return load_config_text(file, text);
}

Config load_config_text(const std::filesystem::path& file, const std::string& text) {
  Config config;
  config.file = file;
  std::vector<std::string> problems;
  IniFile ini = read_ini(file, text, problems);

  std::map<std::string, std::vector<const IniEntry*>> by_section;
  for (const IniEntry& e : ini.entries) by_section[e.section].push_back(&e);

  // [zone-defaults] first: every zone starts from it.
  ZoneSettings defaults;
  std::set<std::string> section_names;
  for (const IniSection& section : ini.sections) {
    if (!section_names.insert(section.name).second) {
      problems.push_back(fmt::format("{}: section [{}] appears twice", where(config, section.line), section.name));
    }
  }
  {
    auto rules = zone_rules(defaults);
    apply_section(config, "zone-defaults", by_section["zone-defaults"], rules, problems);
    defaults.nameservers_set = false;
    defaults.addresses_set = false;
  }

  bool have_general = false;
  std::set<dns::Name> apexes;
  for (const IniSection& section : ini.sections) {
    const std::string& name = section.name;
    const auto& entries = by_section[name];
    std::string location = where(config, section.line);
    if (name == "zone-defaults") continue;
    if (name == "general") {
      have_general = true;
      std::map<std::string, KeyRule> rules{
          {"state", {false, [&](const std::string& v) { config.state = relative_to(file, v); return std::string(); }}},
          {"registry",
           {false,
            [&](const std::string& v) {
              if (v.empty() || v.find_first_of(" \t/\\;\"") != std::string::npos) {
                return std::string("expected a registry name without spaces, slashes, quotes or ';'");
              }
              config.registry = v;
              return std::string();
            }}},
          {"log-level",
           {false,
            [&](const std::string& v) {
              static const std::set<std::string> levels{"trace", "debug", "info", "warn", "error"};
              if (!levels.count(v)) return std::string("expected trace, debug, info, warn or error");
              config.log_level = v;
              return std::string();
            }}},
          {"metrics-file",
           {false,
            [&](const std::string& v) {
              if (v.empty()) return std::string("expected a file name ending in .prom");
              std::filesystem::path path = relative_to(file, v);
              // node_exporter's textfile collector reads only *.prom files.
              if (path.extension() != ".prom") return std::string("expected a file name ending in .prom");
              config.metrics_file = path;
              return std::string();
            }}},
          {"plan-max-age",
           {false,
            [&](const std::string& v) {
              std::string problem = parse_seconds(v, config.plan_max_age);
              if (problem.empty() && config.plan_max_age == 0) problem = "expected a duration above 0";
              return problem;
            }}},
      };
      apply_section(config, name, entries, rules, problems);
    } else if (name.starts_with("source.")) {
      SourceConfig source;
      source.name = name.substr(7);
      source.location = location;
      if (source.name.empty() || source.name.find_first_of(" \t/\\;\"") != std::string::npos) {
        problems.push_back(fmt::format("{}: [{}] a source name must not be empty or contain spaces, slashes or quotes",
                                       location, name));
      }
      std::map<std::string, KeyRule> rules{
          {"type",
           {false,
            [&](const std::string& v) {
              if (v != "rpsl" && v != "postgres") return std::string("expected rpsl or postgres");
              source.type = v;
              return std::string();
            }}},
          {"path", {false, [&](const std::string& v) { source.path = relative_to(file, v); return std::string(); }}},
          {"conninfo", {false, [&](const std::string& v) { source.conninfo = v; return std::string(); }}},
          {"query", {false, [&](const std::string& v) { source.query = v; return std::string(); }}},
      };
      apply_section(config, name, entries, rules, problems);
      if (source.type.empty()) {
        problems.push_back(fmt::format("{}: [{}] missing key \"type\" (rpsl or postgres)", location, name));
      } else if (source.type == "rpsl" && source.path.empty()) {
        problems.push_back(fmt::format("{}: [{}] type rpsl needs \"path\"", location, name));
      } else if (source.type == "postgres" && (source.conninfo.empty() || source.query.empty())) {
        problems.push_back(fmt::format("{}: [{}] type postgres needs \"conninfo\" and \"query\"", location, name));
      }
      if (source.type == "postgres" && source.conninfo.find("password=") != std::string::npos) {
        problems.push_back(fmt::format(
            "{}: [{}] conninfo must not hold a password: use PGPASSFILE or a service file", location, name));
      }
      config.sources.push_back(std::move(source));
    } else if (name.starts_with("zone.")) {
      ZoneSettings settings = defaults;
      settings.zone.location = location;
      auto apex = dns::Name::from_text(name.substr(5));
      if (!apex) {
        problems.push_back(fmt::format("{}: [{}] is not a zone name: {}", location, name, apex.error()));
        continue;
      }
      settings.zone.spec.apex = *apex;
      auto rules = zone_rules(settings);
      apply_section(config, name, entries, rules, problems);
      static const dns::Name in_addr = *dns::Name::from_text("in-addr.arpa");
      static const dns::Name ip6 = *dns::Name::from_text("ip6.arpa");
      if (!apex->is_at_or_below(in_addr) && !apex->is_at_or_below(ip6)) {
        problems.push_back(fmt::format("{}: [{}] rdnsprov serves zones under in-addr.arpa and ip6.arpa only", location,
                                       name));
      }
      if (!apexes.insert(*apex).second) {
        problems.push_back(fmt::format("{}: [{}] zone {} is configured twice", location, name, apex->to_text()));
      }
      if (!settings.has_soa_mname) {
        problems.push_back(fmt::format("{}: [{}] soa-mname is not set (here or in [zone-defaults])", location, name));
      }
      if (!settings.has_soa_rname) {
        problems.push_back(fmt::format("{}: [{}] soa-rname is not set (here or in [zone-defaults])", location, name));
      }
      if (settings.zone.spec.nameservers.empty()) {
        problems.push_back(fmt::format("{}: [{}] no nameserver (here or in [zone-defaults])", location, name));
      }
      config.zones.push_back(std::move(settings.zone));
    } else if (name == "gates") {
      safeguards::GateSettings& g = config.gates;
      auto percent = [](double& field) {
        return KeyRule{false, [&field](const std::string& v) {
                         try {
                           std::size_t used = 0;
                           double x = std::stod(v, &used);
                           if (used != v.size() || x < 0 || x > 100) throw std::out_of_range(v);
                           field = x;
                           return std::string();
                         } catch (const std::exception&) {
                           return std::string("expected a percentage from 0 to 100");
                         }
                       }};
      };
      auto count = [](std::uint64_t& field) {
        return KeyRule{false, [&field](const std::string& v) {
                         try {
                           std::size_t used = 0;
                           unsigned long long x = std::stoull(v, &used);
                           if (used != v.size() || v[0] == '-') throw std::out_of_range(v);
                           field = x;
                           return std::string();
                         } catch (const std::exception&) {
                           return std::string("expected a whole number");
                         }
                       }};
      };
      std::map<std::string, KeyRule> rules{
          {"max-drop-percent", percent(g.zone_delegations.percent)},
          {"min-drop-delegations", count(g.zone_delegations.absolute)},
          {"max-drop-records-percent", percent(g.zone_records.percent)},
          {"min-drop-records", count(g.zone_records.absolute)},
          {"total-max-drop-percent", percent(g.total_delegations.percent)},
          {"total-min-drop-delegations", count(g.total_delegations.absolute)},
          {"list-max-drop-percent", percent(g.list_entries.percent)},
          {"list-min-drop", count(g.list_entries.absolute)},
          {"allow-empty",
           {false,
            [&](const std::string& v) {
              if (v == "yes" || v == "true") g.allow_empty = true;
              else if (v == "no" || v == "false") g.allow_empty = false;
              else return std::string("expected yes or no");
              return std::string();
            }}},
      };
      apply_section(config, name, entries, rules, problems);
    } else if (name == "snapshots") {
      std::map<std::string, KeyRule> rules{
          {"keep",
           {false,
            [&](const std::string& v) {
              try {
                std::size_t used = 0;
                unsigned long x = std::stoul(v, &used);
                if (used != v.size() || x < 1) throw std::out_of_range(v);
                config.retention.keep = x;
                return std::string();
              } catch (const std::exception&) {
                return std::string("expected a number of snapshots, at least 1");
              }
            }}},
          {"max-age",
           {false,
            [&](const std::string& v) {
              std::uint32_t seconds = 0;
              std::string problem = parse_seconds(v, seconds);
              config.retention.max_age = seconds;
              return problem;
            }}},
      };
      apply_section(config, name, entries, rules, problems);
    } else if (name == "verify") {
      VerifyConfig& v = config.verify;
      v.location = location;
      std::map<std::string, KeyRule> rules{
          {"servers", {true, [&](const std::string& value) { return parse_addresses(value, v.servers); }}},
          {"timeout", {false, [&](const std::string& value) { return parse_seconds(value, v.timeout); }}},
          {"retries", {false, [&](const std::string& value) { return parse_count(value, v.retries, 20); }}},
          {"deadline", {false, [&](const std::string& value) { return parse_seconds(value, v.deadline); }}},
          {"read-back", {false, [&](const std::string& value) { return parse_yes_no(value, v.read_back); }}},
          {"live-serials", {false, [&](const std::string& value) { return parse_yes_no(value, v.live_serials); }}},
      };
      apply_section(config, name, entries, rules, problems);
      if (v.timeout == 0) problems.push_back(fmt::format("{}: [verify] timeout must be at least 1 second", location));
    } else if (name.starts_with("policy.")) {
      PolicySettings settings;
      settings.policy.name = name.substr(7);
      settings.policy.location = location;
      if (settings.policy.name.empty() || settings.policy.name.find_first_of(" \t/\\;\"") != std::string::npos) {
        problems.push_back(fmt::format("{}: [{}] a policy name must not be empty or contain spaces, slashes or quotes",
                                       location, name));
      }
      auto rules = policy_rules(settings);
      apply_section(config, name, entries, rules, problems);
      const signer::SigningPolicy& p = settings.policy.signing;
      if (p.denial != signer::Denial::kNsec3) {
        for (const std::string& key : settings.nsec3_keys) {
          problems.push_back(fmt::format("{}: [{}] {} needs denial = nsec3", location, name, key));
        }
      }
      if (settings.rsa_bits_set && p.algorithm != dns::kAlgorithmRsaSha256) {
        problems.push_back(fmt::format("{}: [{}] rsa-bits needs algorithm = rsasha256", location, name));
      }
      if (p.signature_validity <= p.jitter + p.refresh) {
        // A signature made now would already be due for refresh: every run would re-sign everything.
        problems.push_back(fmt::format(
            "{}: [{}] signature-validity ({}) must exceed jitter ({}) + refresh ({})", location, name,
            duration_text(p.signature_validity), duration_text(p.jitter), duration_text(p.refresh)));
      }
      if (p.refresh < settings.policy.validity_margin) {
        // A reused signature may have just over `refresh` left; the dnssec gate wants `validity-margin`.
        problems.push_back(fmt::format("{}: [{}] refresh ({}) must be at least validity-margin ({})", location, name,
                                       duration_text(p.refresh), duration_text(settings.policy.validity_margin)));
      }
      config.policies[settings.policy.name] = std::move(settings.policy);
    } else if (name.starts_with("target.")) {
      TargetConfig target;
      target.name = name.substr(7);
      target.location = location;
      if (target.name.empty() || target.name.find_first_of(" \t/\\;\"") != std::string::npos) {
        problems.push_back(fmt::format("{}: [{}] a target name must not be empty or contain spaces, slashes or quotes",
                                       location, name));
      }
      std::map<std::string, KeyRule> rules{
          {"type",
           {false,
            [&](const std::string& v) {
              if (v != "directory" && v != "pdns-gpgsql" && v != "notify" && !is_server_target_type(v)) {
                return std::string("expected directory, bind, knot, nsd, pdns-bind, pdns-gpgsql or notify");
              }
              target.type = v;
              return std::string();
            }}},
          {"path", {false, [&](const std::string& v) { target.path = relative_to(file, v); return std::string(); }}},
          {"conninfo", {false, [&](const std::string& v) { target.conninfo = v; return std::string(); }}},
          {"domain-type",
           {false,
            [&](const std::string& v) {
              if (v != "NATIVE" && v != "MASTER") return std::string("expected NATIVE or MASTER");
              target.domain_type = v;
              return std::string();
            }}},
          {"pdns-control", {false, [&](const std::string& v) { target.pdns_control = v; return std::string(); }}},
          {"addresses", {true, [&](const std::string& v) { return parse_addresses(v, target.addresses); }}},
          {"notify-timeout", {false, [&](const std::string& v) { return parse_seconds(v, target.timeout); }}},
          {"notify-retries", {false, [&](const std::string& v) { return parse_count(v, target.retries, 20); }}},
      };
      std::string type_given;
      for (const IniEntry* e : entries) {
        if (e->key == "type") type_given = e->value;
      }
      for (auto& [key, apply] : server_target_keys(target, type_given, file)) rules[key] = KeyRule{false, apply};
      apply_section(config, name, entries, rules, problems);
      for (const std::string& problem : server_target_problems(target)) {
        problems.push_back(fmt::format("{}: [{}] {}", location, name, problem));
      }
      if (target.type.empty()) problems.push_back(fmt::format("{}: [{}] missing key \"type\"", location, name));
      if (target.type == "directory" && target.path.empty()) {
        problems.push_back(fmt::format("{}: [{}] type directory needs \"path\"", location, name));
      }
      check_pdns_gpgsql_target(config, target, name, entries, problems);
      if (target.type == "notify" && target.addresses.empty()) {
        problems.push_back(fmt::format("{}: [{}] type notify needs \"addresses\"", location, name));
      }
      if (target.timeout == 0) {
        problems.push_back(fmt::format("{}: [{}] notify-timeout must be at least 1 second", location, name));
      }
      config.targets.push_back(std::move(target));
    } else if (name.starts_with("peer.")) {
      parse_peer_section(config, file, name, location, entries, problems);
    } else {
      problems.push_back(fmt::format("{}: unknown section [{}]", location, name));
    }
  }
  if (!have_general) problems.push_back(fmt::format("{}: missing section [general]", file.string()));
  if (config.state.empty()) problems.push_back(fmt::format("{}: [general] state is not set", file.string()));
  if (config.sources.empty()) problems.push_back(fmt::format("{}: no [source.NAME] section", file.string()));
  if (config.zones.empty()) problems.push_back(fmt::format("{}: no [zone.APEX] section", file.string()));
  check_peers(config, problems);
  for (const ZoneConfig& zone : config.zones) {
    if (zone.dnssec_policy.empty()) continue;
    std::string section = "zone." + zone.spec.apex.to_text_no_dot();
    auto policy = config.policies.find(zone.dnssec_policy);
    if (policy == config.policies.end()) {
      problems.push_back(fmt::format("{}: [{}] dnssec-policy = {}: there is no section [policy.{}]", zone.location,
                                     section, zone.dnssec_policy, zone.dnssec_policy));
      continue;
    }
    // RFC 6781 §4.4.1: no signature may expire before a secondary that lost the primary stops serving (SOA
    // EXPIRE). Reused signatures keep just over `refresh`, so refresh must cover the EXPIRE interval.
    const signer::SigningPolicy& p = policy->second.signing;
    if (p.refresh < zone.spec.soa_expire) {
      problems.push_back(fmt::format(
          "{}: [{}] soa-expire ({}) is longer than the refresh ({}) of [policy.{}]: signatures could expire before "
          "secondaries stop serving (RFC 6781 §4.4.1); raise refresh (and signature-validity) or lower soa-expire",
          zone.location, section, duration_text(zone.spec.soa_expire), duration_text(p.refresh),
          zone.dnssec_policy));
    }
    // RFC 7583 §3.3.1: a key must live at least as long as its own rollover takes, or the next rollover starts
    // before the last one has ended, and the DNSKEY RRset (and the DS requests) pile up.
    signer::RolloverTiming t = rollover_timing(zone, p);
    std::int64_t dnskey_wait = t.dnskey_ttl + t.propagation_delay;
    std::int64_t signature_wait = t.max_signed_ttl + t.propagation_delay;
    std::int64_t parent_wait = t.parent_ds_ttl + t.parent_propagation_delay;
    bool csk = p.key_layout == signer::KeyLayout::kCsk;
    auto too_short = [&](const char* key, std::uint32_t lifetime, std::int64_t rollover, const char* what) {
      if (lifetime == 0 || lifetime >= rollover) return;
      problems.push_back(fmt::format(
          "{}: [policy.{}] {} ({}) is shorter than its rollover in [{}] ({}: {}): the next rollover would start before "
          "the last one ends (RFC 7583 §3.3.1); raise {} or lower the TTLs and delays",
          zone.location, zone.dnssec_policy, key, duration_text(lifetime), section, what,
          duration_text(static_cast<std::uint32_t>(rollover)), key));
    };
    if (!csk) {
      too_short("zsk-lifetime", p.zsk_lifetime, dnskey_wait + signature_wait,
                "DNSKEY TTL + largest signed TTL + twice propagation-delay");
      too_short("ksk-lifetime", p.ksk_lifetime, parent_wait + dnskey_wait,
                "parent-ds-ttl + parent-propagation-delay + DNSKEY TTL + propagation-delay");
    } else {
      too_short("ksk-lifetime", p.ksk_lifetime, std::max(parent_wait, dnskey_wait) + signature_wait,
                "the longer of the parent's DS and the DNSKEY waits, + largest signed TTL + propagation-delay");
    }
  }
  if (!problems.empty()) {
    std::string message = problems.size() == 1 ? "configuration error:" : fmt::format("{} configuration errors:", problems.size());
    for (const auto& p : problems) message += "\n  " + p;
    throw ConfigError(message);
  }
  std::sort(config.zones.begin(), config.zones.end(),
            [](const ZoneConfig& a, const ZoneConfig& b) { return a.spec.apex < b.spec.apex; });
  return config;
}

const PolicyConfig* zone_policy(const Config& config, const ZoneConfig& zone) {
  if (zone.dnssec_policy.empty()) return nullptr;
  auto policy = config.policies.find(zone.dnssec_policy);
  return policy == config.policies.end() ? nullptr : &policy->second;
}

}  // namespace rdnsprov::cli
