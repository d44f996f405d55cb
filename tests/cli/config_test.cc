#include "cli/config.h"

#include <fstream>

#include <gtest/gtest.h>

#include "tests/support/support.h"

namespace rdnsprov::cli {
namespace {

using rdnsprov::testing::TempDir;

std::filesystem::path write(const TempDir& dir, const std::string& text) {
  std::filesystem::path path = dir / "rdnsprov.conf";
  std::ofstream(path) << text;
  return path;
}

const char* kMinimal = R"(
[general]
state = state                 ; relative to the file
registry = EXAMPLE-RIR

[source.dump]
type = rpsl
path = db.domain.gz

[zone-defaults]
soa-mname = ns0.example.net
soa-rname = hostmaster@example.net
nameserver = ns1.example.net
nameserver = ns2.example.net
soa-expire = 2w

[zone.193.in-addr.arpa]

[zone.0.194.in-addr.arpa]   # own nameservers replace the defaults
nameserver = ns9.example.org
serial-policy = date
delegation-ttl = 1d
)";

std::string load_error(const std::string& text) {
  TempDir dir;
  try {
    load_config(write(dir, text));
  } catch (const ConfigError& e) {
    return e.what();
  }
  return {};
}

TEST(Config, ReadsSectionsDefaultsAndRelativePaths) {
  TempDir dir;
  Config config = load_config(write(dir, kMinimal));
  EXPECT_EQ(config.state, dir.path() / "state");
  EXPECT_EQ(config.registry, "EXAMPLE-RIR");
  ASSERT_EQ(config.sources.size(), 1u);
  EXPECT_EQ(config.sources[0].name, "dump");
  EXPECT_EQ(config.sources[0].path, dir.path() / "db.domain.gz");
  ASSERT_EQ(config.zones.size(), 2u);
  // Canonical order of apex: 193.in-addr.arpa before 0.194.in-addr.arpa.
  const ZoneConfig& z193 = config.zones[0];
  const ZoneConfig& z194 = config.zones[1];
  EXPECT_EQ(z193.spec.apex.to_text(), "193.in-addr.arpa.");
  EXPECT_EQ(z193.spec.soa_rname.to_text(), "hostmaster.example.net.");
  EXPECT_EQ(z193.spec.soa_expire, 14u * 86400);
  EXPECT_EQ(z193.spec.nameservers.size(), 2u);
  EXPECT_EQ(z193.serial_policy, SerialPolicy::kUnixtime);
  EXPECT_EQ(z194.spec.apex.to_text(), "0.194.in-addr.arpa.");
  ASSERT_EQ(z194.spec.nameservers.size(), 1u);
  EXPECT_EQ(z194.spec.nameservers[0].to_text(), "ns9.example.org.");
  EXPECT_EQ(z194.spec.delegation_ttl, 86400u);
  EXPECT_EQ(z194.serial_policy, SerialPolicy::kDate);
  EXPECT_EQ(z194.spec.soa_expire, 14u * 86400);  // inherited
}

TEST(Config, UnknownKeyNamesFileLineAndKey) {
  std::string text = kMinimal;
  text += "colour = blue\n";  // in [zone.0.194.in-addr.arpa], the last line
  std::string message = load_error(text);
  EXPECT_NE(message.find("rdnsprov.conf:23"), std::string::npos) << message;
  EXPECT_NE(message.find("unknown key \"colour\""), std::string::npos) << message;
  EXPECT_NE(message.find("[zone.0.194.in-addr.arpa]"), std::string::npos) << message;
}

TEST(Config, BadValuesNameTheKey) {
  std::string message = load_error(std::string(kMinimal) + "soa-retry = soon\n");
  EXPECT_NE(message.find("soa-retry = soon"), std::string::npos) << message;
  message = load_error(std::string(kMinimal) + "[zone.1.194.in-addr.arpa]\nserial-policy = random\n");
  EXPECT_NE(message.find("expected unixtime, date or counter"), std::string::npos) << message;
  message = load_error(std::string(kMinimal) + "[zone.example.com]\n");
  EXPECT_NE(message.find("in-addr.arpa and ip6.arpa only"), std::string::npos) << message;
  message = load_error(std::string(kMinimal) + "[zone.193.IN-ADDR.arpa.]\n");
  EXPECT_NE(message.find("configured twice"), std::string::npos) << message;
}

TEST(Config, RolloverTimingKeysOfAPolicy) {
  TempDir dir;
  Config defaults = load_config(write(dir, std::string(kMinimal) + "[policy.p]\n"));
  const signer::SigningPolicy& d = defaults.policies.at("p").signing;
  EXPECT_EQ(d.propagation_delay, 3600u);
  EXPECT_EQ(d.parent_ds_ttl, 86400u);
  EXPECT_EQ(d.parent_propagation_delay, 3600u);
  Config config = load_config(write(dir, std::string(kMinimal) +
                                             "[policy.p]\nzsk-lifetime = 30d\nksk-lifetime = 365d\n"
                                             "propagation-delay = 10m\nparent-ds-ttl = 2d\nparent-propagation-delay = 6h\n"));
  const signer::SigningPolicy& p = config.policies.at("p").signing;
  EXPECT_EQ(p.zsk_lifetime, 30u * 86400);
  EXPECT_EQ(p.ksk_lifetime, 365u * 86400);
  EXPECT_EQ(p.propagation_delay, 600u);
  EXPECT_EQ(p.parent_ds_ttl, 2u * 86400);
  EXPECT_EQ(p.parent_propagation_delay, 6u * 3600);
  std::string message = load_error(std::string(kMinimal) + "[policy.p]\nparent-ds-ttl = soon\n");
  EXPECT_NE(message.find("parent-ds-ttl"), std::string::npos) << message;
}

TEST(Config, ListsEveryProblemAtOnce) {
  std::string message = load_error("[general]\nregistry = A B\n[mystery]\nx = 1\nthis line is wrong\n");
  EXPECT_NE(message.find("registry = A B"), std::string::npos) << message;
  EXPECT_NE(message.find("unknown section [mystery]"), std::string::npos) << message;
  EXPECT_NE(message.find(":5: expected \"key = value\""), std::string::npos) << message;
  EXPECT_NE(message.find("state is not set"), std::string::npos) << message;
  EXPECT_NE(message.find("no [source.NAME] section"), std::string::npos) << message;
  EXPECT_NE(message.find("no [zone.APEX] section"), std::string::npos) << message;
}

TEST(Config, RefusesAPasswordInConninfoAndRepeatedKeys) {
  std::string text = kMinimal;
  text += "[source.db]\ntype = postgres\nconninfo = host=x password=secret\nquery = SELECT 1, 2\n";
  std::string message = load_error(text);
  EXPECT_NE(message.find("must not hold a password"), std::string::npos) << message;
  message = load_error(std::string(kMinimal) + "soa-ttl = 1\nsoa-ttl = 2\n");
  EXPECT_NE(message.find("given twice"), std::string::npos) << message;
}

TEST(Config, PeerSectionsWithDefaultsAndChecks) {
  TempDir dir;
  Config config = load_config(write(dir, std::string(kMinimal) + R"(
[peer.PEER-RIR]
space = 193.0.0.0/16
space = 194.0.0.0/16
incoming = peers/in          ; relative to the file
outgoing = /srv/zonelets/out
export-zone = 195.in-addr.arpa
export-zone = 196.in-addr.arpa
stale-after = 2d
min-drop = 5
)"));
  ASSERT_EQ(config.peers.size(), 1u);
  const zonelets::PeerSpec& p = config.peers[0].spec;
  EXPECT_EQ(p.name, "PEER-RIR");
  EXPECT_EQ(p.space.size(), 2u);
  EXPECT_EQ(p.incoming, dir.path() / "peers/in");
  EXPECT_EQ(p.outgoing, "/srv/zonelets/out");
  EXPECT_EQ(p.export_zones.size(), 2u);
  EXPECT_EQ(p.stale_after, 2u * 86400);
  EXPECT_EQ(p.min_drop, 5u);
  EXPECT_EQ(p.export_interval, 3600u);  // defaults of docs/CONFIG.md
  EXPECT_EQ(p.export_keep, 24u);
  EXPECT_EQ(p.min_ttl, 300u);
  EXPECT_EQ(p.max_ttl, 172800u);
  EXPECT_DOUBLE_EQ(p.max_drop_percent, 10.0);

  std::string bad = load_error(std::string(kMinimal) + R"(
[peer.X]
space = 10.0.0.0/8
space = 193.0.0.1/16
incoming = in
export-keep = 0
[peer.Y]
outgoing = out
[peer.a$b]
incoming = in
[peer.Z]
space = 193.0.128.0/17
incoming = z
[peer.W]
space = 193.0.0.0/16
incoming = w
)");
  EXPECT_NE(bad.find("[peer.X] space = 10.0.0.0/8 is not inside any zone we serve"), std::string::npos) << bad;
  EXPECT_NE(bad.find("space = 193.0.0.1/16: 193.0.0.1 has bits set past /16"), std::string::npos) << bad;
  EXPECT_NE(bad.find("export-keep = 0"), std::string::npos) << bad;
  EXPECT_NE(bad.find("[peer.Y] \"outgoing\" needs at least one \"export-zone\""), std::string::npos) << bad;
  EXPECT_NE(bad.find("[peer.a$b] a peer name is"), std::string::npos) << bad;
  EXPECT_NE(bad.find("[peer.W] space = 193.0.0.0/16 overlaps space = 193.0.128.0/17 of [peer.Z]"), std::string::npos) << bad;
}

TEST(Config, MissingFileIsAConfigError) {
  EXPECT_THROW(load_config("/nonexistent/rdnsprov.conf"), ConfigError);
}

}  // namespace
}  // namespace rdnsprov::cli
