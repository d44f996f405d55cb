// Targets that feed an authoritative server from files: BIND, Knot DNS, NSD and PowerDNS's bind backend.
//
//   ServerTargetSettings settings{.directory = "/var/lib/rdnsprov/bind", ...};   // cli/targets.cc, [target.NAME]
//   BindTarget target("bind1", settings);
//   target.publish(release);                   // DIR/<zone>.zone written atomically; the zone needs a reload
//   TargetReport report = target.finish(served);
//       // 1. the zone list (DIR/zones.conf by default) is generated from `served`, gated (never empty, never
//       //    sharply shrunk: INCIDENTS.md I-7) and written atomically when it changed;
//       // 2. a changed list is loaded by the reconfiguration command (rndc reconfig, knotc reload, …);
//       // 3. every zone written since the server last took a reload is reloaded (rndc reload ZONE, …).
//
// Which zones still need a reload, and whether the list still needs loading, is kept in STATE/targets/NAME.json
// (written atomically as soon as a zone is written, and after every reload), so a run that follows a failed
// reload — or a crash — catches up even when nothing changed. A command that fails or times out is a problem in
// the report naming the command and what it said; the zones it concerned stay pending.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "publisher/command.h"
#include "publisher/target.h"
#include "safeguards/gates.h"

namespace rdnsprov::publisher {

struct ServerTargetSettings {
  std::filesystem::path directory;         // path: where <zone>.zone files are written
  std::filesystem::path zone_list;         // zone-list: the generated include (default DIR/zones.conf)
  std::filesystem::path server_directory;  // server-path: DIR as the server sees it (chroot); default DIR
  std::filesystem::path state_file;        // STATE/targets/NAME.json
  std::filesystem::path published_directory;  // STATE/published: a served zone missing from DIR is copied from it
  std::optional<CommandTemplate> reload_command;    // reload-command: default per server type
  std::optional<CommandTemplate> reconfig_command;  // reconfig-command: default per server type
  std::chrono::seconds reload_timeout{60};          // reload-timeout, for every command
  safeguards::DropLimit list_drop{10.0, 2};         // [gates] list-max-drop-percent, list-min-drop
  std::optional<std::string> list_drop_override;    // the reason given with run --allow-list-drop NAME
  // What the default commands need to reach the server (empty: the control program's own default).
  std::string rndc_server, rndc_port, rndc_key_file, rndc_config;  // bind
  std::string knotc_socket, knot_template;                          // knot
  std::string nsd_control_config, nsd_pattern;                      // nsd
  std::string pdns_socket_dir, pdns_config_dir;                     // pdns-bind
};

class ServerTarget : public ZoneDirectoryTarget {
 public:
  ServerTarget(std::string name, ServerTargetSettings settings);
  const ServerTargetSettings& settings() const { return settings_; }

  void publish(const ZoneRelease& zone) override;
  TargetReport finish(const std::vector<dns::Name>& served) override;

  // The zone list for these zones, as the server reads it (zone files under server-path).
  virtual std::string zone_list_text(const std::vector<dns::Name>& zones) const = 0;
  // The zones a list of ours names (the list as this target writes it).
  virtual std::vector<std::string> listed_zones(const std::string& list_text) const = 0;
  // The commands when reload-command / reconfig-command are not set.
  virtual CommandTemplate default_reload_command() const = 0;
  virtual CommandTemplate default_reconfig_command() const = 0;
  // Why a command that exited 0 did not do its work (pdns_control exits 0 when it rejects a zone); empty if fine.
  virtual std::string refusal(const CommandOutcome&) const { return {}; }

  std::filesystem::path server_zone_file(const dns::Name& apex) const;

 protected:
  std::string reload_zone(const std::string& zone) const;  // empty when it worked, else the problem

 private:
  struct Pending {
    std::set<std::string> zones;   // zone names without the trailing dot, written but not yet reloaded
    bool reconfigure = false;      // the zone list changed and the server has not loaded it yet
  };
  Pending load_pending() const;
  void save_pending(const Pending& pending) const;
  std::string run(const std::vector<std::string>& argv) const;  // empty when it worked, else the problem

  ServerTargetSettings settings_;
  std::optional<Pending> pending_;  // loaded once per run
};

// type = bind: `zone "Z" { type primary; file "F"; };` per zone, for `include "LIST";` in named.conf.
// Default commands: rndc [-c CONF] [-s SERVER] [-p PORT] [-k KEYFILE] reconfig | reload ZONE.
class BindTarget : public ServerTarget {
 public:
  using ServerTarget::ServerTarget;
  std::string zone_list_text(const std::vector<dns::Name>& zones) const override;
  std::vector<std::string> listed_zones(const std::string& list_text) const override;
  CommandTemplate default_reload_command() const override;
  CommandTemplate default_reconfig_command() const override;
};

// type = knot: a `zone:` section for `include: LIST` in knot.conf; Knot never writes the files (zonefile-sync: -1).
// Default commands: knotc [-s SOCKET] reload | knotc [-s SOCKET] -b zone-reload ZONE.
class KnotTarget : public ServerTarget {
 public:
  using ServerTarget::ServerTarget;
  std::string zone_list_text(const std::vector<dns::Name>& zones) const override;
  std::vector<std::string> listed_zones(const std::string& list_text) const override;
  CommandTemplate default_reload_command() const override;
  CommandTemplate default_reconfig_command() const override;
};

// type = nsd: `zone:` clauses (name, zonefile, include-pattern) for `include: "LIST"` in nsd.conf.
// Default commands: nsd-control [-c CONF] reconfig | nsd-control [-c CONF] reload ZONE.
class NsdTarget : public ServerTarget {
 public:
  using ServerTarget::ServerTarget;
  std::string zone_list_text(const std::vector<dns::Name>& zones) const override;
  std::vector<std::string> listed_zones(const std::string& list_text) const override;
  CommandTemplate default_reload_command() const override;
  CommandTemplate default_reconfig_command() const override;
};

// type = pdns-bind: the named.conf-style file PowerDNS's bind backend reads (bind-config = LIST).
// Default commands: pdns_control [--config-dir=D] [--socket-dir=D] rediscover | bind-reload-now ZONE.
class PdnsBindTarget : public ServerTarget {
 public:
  using ServerTarget::ServerTarget;
  std::string zone_list_text(const std::vector<dns::Name>& zones) const override;
  std::vector<std::string> listed_zones(const std::string& list_text) const override;
  CommandTemplate default_reload_command() const override;
  CommandTemplate default_reconfig_command() const override;
  std::string refusal(const CommandOutcome& outcome) const override;
};

}  // namespace rdnsprov::publisher
