// The configuration file (DESIGN.md "Configuration"; every key documented in docs/CONFIG.md).
//
//   Config config = load_config("/etc/rdnsprov/rdnsprov.conf");   // throws ConfigError listing every problem
//   config.state;            // absolute path of the state directory
//   config.sources;          // [source.NAME] sections, in file order
//   config.zones;            // [zone.APEX] sections merged over [zone-defaults], in canonical order of apex
//   config.policies.at(zone.dnssec_policy);   // [policy.NAME]: how a signed zone is signed and verified
//
// The file is INI, read with Boost.Program_options after a first pass that records the line of every section
// and key (so that an error names file:line and key), and strips `;` and `#` comments. Relative paths are relative
// to the directory of the configuration file. An unknown section, an unknown key, a repeated single-valued key
// or a bad value is an error naming file, line, section and key.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "builder/zone_spec.h"
#include "publisher/server_target.h"
#include "publisher/dns_client.h"
#include "safeguards/gates.h"
#include "safeguards/serial_policy.h"
#include "safeguards/snapshot.h"
#include "signer/policy.h"
#include "zonelets/peer.h"

namespace rdnsprov::cli {

class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct SourceConfig {
  std::string name;                 // NAME of [source.NAME]
  std::string type;                 // "rpsl" or "postgres"
  std::filesystem::path path;       // rpsl: the dump file
  std::string conninfo;             // postgres: libpq connection string
  std::string query;                // postgres: returns (id, RPSL text) rows
  std::string location;             // "FILE:LINE" of the section header
};

using safeguards::SerialPolicy;

struct ZoneConfig {
  builder::ZoneSpec spec;
  SerialPolicy serial_policy = SerialPolicy::kUnixtime;
  std::string dnssec_policy;        // name of a [policy.NAME] section; empty = unsigned
  std::optional<std::uint32_t> observed_serial;  // a serial a live server is known to serve (observed-serial)
  std::string location;             // "FILE:LINE" of the [zone.APEX] header
};

// [policy.NAME]: a signing policy and the margin the `dnssec` gate holds signed zones to.
struct PolicyConfig {
  std::string name;                 // NAME of [policy.NAME]
  signer::SigningPolicy signing;
  std::uint32_t validity_margin = 3 * 86400;  // every signature valid at least this long past now (verifier)
  std::string location;             // "FILE:LINE" of the section header
};

struct TargetConfig {
  std::string name;                 // NAME of [target.NAME]
  std::string type;                 // "directory", or a server: "bind", "knot", "nsd", "pdns-bind"
  std::filesystem::path path;       // directory: where <zone>.zone files are written
  publisher::ServerTargetSettings server;  // bind, knot, nsd, pdns-bind: cli/target_config.h
  std::vector<publisher::ServerAddress> addresses;  // notify: where NOTIFY goes
  std::uint32_t timeout = 2;        // notify: notify-timeout, seconds to wait for each acknowledgement
  int retries = 3;                  // notify: notify-retries, retransmissions after the first NOTIFY
  std::string location;
  std::string conninfo;             // pdns-gpgsql: libpq connection string of PowerDNS's database
  std::string domain_type = "NATIVE";  // pdns-gpgsql: domains.type, NATIVE or MASTER
  std::string pdns_control;         // pdns-gpgsql: cache purge command prefix ("… purge ZONE$"); empty: none
};

// [peer.NAME]: a registry we exchange zonelets with (docs/ZONELETS.md).
struct PeerConfig {
  zonelets::PeerSpec spec;          // spec.name is NAME
  std::string location;             // "FILE:LINE" of the section header
};

// [verify]: the nameservers asked after every publication (and for live serials before it).
struct VerifyConfig {
  std::vector<publisher::ServerAddress> servers;  // servers: every zone is checked on each
  std::uint32_t timeout = 2;        // seconds per query attempt
  int retries = 2;                  // query attempts after the first
  std::uint32_t deadline = 30;      // seconds servers get to serve the new serials
  bool read_back = true;            // AXFR each zone back and compare with what was published
  bool live_serials = true;         // ask the servers for their serials before publishing (I-4)
  std::string location;             // "FILE:LINE" of the section header
};

struct Config {
  std::filesystem::path file;       // the configuration file read
  std::filesystem::path state;      // [general] state
  std::string registry;             // [general] registry
  std::string log_level = "info";   // [general] log-level
  std::filesystem::path metrics_file;  // [general] metrics-file: Prometheus textfile after each run; empty = none
  std::uint32_t plan_max_age = 3600;   // [general] plan-max-age: run --plan refuses older plans (seconds)
  std::vector<SourceConfig> sources;
  std::vector<ZoneConfig> zones;
  std::vector<TargetConfig> targets;
  std::vector<PeerConfig> peers;    // [peer.NAME] sections, in file order
  std::map<std::string, PolicyConfig> policies;  // [policy.NAME] by NAME
  safeguards::GateSettings gates;   // [gates]
  safeguards::Retention retention;  // [snapshots]
  VerifyConfig verify;              // [verify]
};

Config load_config(const std::filesystem::path& file);
// The same for text already read; `file` names it in messages and anchors relative paths.
Config load_config_text(const std::filesystem::path& file, const std::string& text);

// The policy of a signed zone; nullptr for an unsigned one. load_config guarantees the name resolves.
const PolicyConfig* zone_policy(const Config& config, const ZoneConfig& zone);

}  // namespace rdnsprov::cli
