// Server targets without a server: the zone list each writes, its gate, and the reloads it remembers. The
// commands are real programs (sh); the servers themselves are exercised in tests/scenarios/server_targets_test.cc.
#include "publisher/server_target.h"

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "dns/atomic_file.h"
#include "tests/support/support.h"

namespace rdnsprov::publisher {
namespace {

namespace fs = std::filesystem;
using rdnsprov::testing::TempDir;

dns::Name name(const std::string& text) { return *dns::Name::from_text(text); }

std::vector<dns::Name> zones(int count) {
  std::vector<dns::Name> out;
  for (int i = 0; i < count; ++i) out.push_back(name(std::to_string(190 + i) + ".in-addr.arpa"));
  return out;
}

class ServerTargetTest : public ::testing::Test {
 protected:
  TempDir dir;
  fs::path log = dir / "commands.log";

  ServerTargetSettings settings(const std::string& reload = "", const std::string& reconfig = "") {
    ServerTargetSettings s;
    s.directory = dir / "zones";
    s.zone_list = dir / "lists" / "zones.conf";
    s.state_file = dir / "state" / "targets" / "t.json";
    s.reload_timeout = std::chrono::seconds(30);
    s.reload_command = CommandTemplate::parse(
        reload.empty() ? "sh -c \"echo reload {zone} {file} >> " + log.string() + "\"" : reload);
    s.reconfig_command =
        CommandTemplate::parse(reconfig.empty() ? "sh -c \"echo reconfig >> " + log.string() + "\"" : reconfig);
    return s;
  }

  // What publish() does, for a zone: its file written, and the zone remembered as needing a reload.
  void publish(ServerTarget& target, const dns::Name& apex) {
    dns::Zone zone(apex);
    std::string text = apex.to_text() + "\t3600\tIN\tSOA\tns. h. 1 2 3 4 5\n";
    target.publish(ZoneRelease{apex, text, zone, 1, false});
  }

  std::string commands() {
    std::string text = fs::exists(log) ? dns::read_file(log) : "";
    fs::remove(log);
    return text;
  }
};

TEST_F(ServerTargetTest, WritesEachServersZoneListAndReadsItBack) {
  ServerTargetSettings s = settings();
  s.server_directory = "/chroot/zones";
  s.knot_template = "rdnsprov";
  s.nsd_pattern = "secondaries";
  std::vector<dns::Name> z = {name("193.in-addr.arpa"), name("8.b.d.0.1.0.0.2.ip6.arpa")};
  BindTarget bind("b", s);
  KnotTarget knot("k", s);
  NsdTarget nsd("n", s);
  PdnsBindTarget pdns("p", s);
  EXPECT_NE(bind.zone_list_text(z).find(
                "zone \"193.in-addr.arpa\" { type primary; file \"/chroot/zones/193.in-addr.arpa.zone\"; };\n"),
            std::string::npos)
      << bind.zone_list_text(z);
  EXPECT_NE(knot.zone_list_text(z).find("zone:\n  - domain: \"193.in-addr.arpa.\"\n    file: "
                                        "\"/chroot/zones/193.in-addr.arpa.zone\"\n    template: \"rdnsprov\"\n"
                                        "    zonefile-sync: -1\n"),
            std::string::npos)
      << knot.zone_list_text(z);
  EXPECT_NE(nsd.zone_list_text(z).find("zone:\n\tname: \"193.in-addr.arpa\"\n\tzonefile: "
                                       "\"/chroot/zones/193.in-addr.arpa.zone\"\n\tinclude-pattern: \"secondaries\"\n"),
            std::string::npos)
      << nsd.zone_list_text(z);
  EXPECT_NE(pdns.zone_list_text(z).find("zone \"193.in-addr.arpa\" { type master; file "),
            std::string::npos);
  std::vector<std::string> expected = {"193.in-addr.arpa", "8.b.d.0.1.0.0.2.ip6.arpa"};
  for (const ServerTarget* t : std::vector<const ServerTarget*>{&bind, &knot, &nsd, &pdns}) {
    EXPECT_EQ(t->listed_zones(t->zone_list_text(z)), expected) << t->name();
    EXPECT_TRUE(t->listed_zones(t->zone_list_text({})).empty()) << t->name();
  }
}

TEST_F(ServerTargetTest, DefaultCommandsReachTheConfiguredControlChannel) {
  ServerTargetSettings s;
  s.rndc_server = "127.0.0.1";
  s.rndc_port = "9953";
  s.rndc_key_file = "/etc/bind/rndc.key";
  s.knotc_socket = "/run/knot/knot.sock";
  s.nsd_control_config = "/etc/nsd/nsd.conf";
  s.pdns_socket_dir = "/run/pdns";
  EXPECT_EQ(command_text(BindTarget("b", s).default_reload_command().expand({{"zone", "z"}})),
            "rndc -s 127.0.0.1 -p 9953 -k /etc/bind/rndc.key reload z");
  EXPECT_EQ(command_text(BindTarget("b", s).default_reconfig_command().expand()),
            "rndc -s 127.0.0.1 -p 9953 -k /etc/bind/rndc.key reconfig");
  EXPECT_EQ(command_text(KnotTarget("k", s).default_reload_command().expand({{"zone", "z"}})),
            "knotc -s /run/knot/knot.sock -b zone-reload z");
  EXPECT_EQ(command_text(KnotTarget("k", s).default_reconfig_command().expand()), "knotc -s /run/knot/knot.sock reload");
  EXPECT_EQ(command_text(NsdTarget("n", s).default_reload_command().expand({{"zone", "z"}})),
            "nsd-control -c /etc/nsd/nsd.conf reload z");
  EXPECT_EQ(command_text(NsdTarget("n", s).default_reconfig_command().expand()), "nsd-control -c /etc/nsd/nsd.conf reconfig");
  EXPECT_EQ(command_text(PdnsBindTarget("p", s).default_reload_command().expand({{"zone", "z"}})),
            "pdns_control --socket-dir=/run/pdns bind-reload-now z");
  EXPECT_EQ(command_text(PdnsBindTarget("p", s).default_reconfig_command().expand()),
            "pdns_control --socket-dir=/run/pdns rediscover");
  EXPECT_EQ(command_text(BindTarget("b", ServerTargetSettings{}).default_reload_command().expand()), "rndc reload {zone}");
}

TEST_F(ServerTargetTest, PowerDnsRefusalsAreFailuresThoughItExitsZero) {
  PdnsBindTarget pdns("p", settings());
  CommandOutcome outcome;
  outcome.started = true;
  outcome.exit_code = 0;
  outcome.output = "1.10.in-addr.arpa: \tparsed into memory at 2026-11-25 00:42:01 +0000\n";
  EXPECT_EQ(pdns.refusal(outcome), "");
  outcome.output = "Ok Done parsing domains, 0 rejected, 1 new, 0 removed";
  EXPECT_EQ(pdns.refusal(outcome), "");
  outcome.output = "Ok Done parsing domains, 2 rejected, 1 new, 0 removed";
  EXPECT_NE(pdns.refusal(outcome), "");
  outcome.output = "1.10.in-addr.arpa: [rejected]\t error at ... Line with too little parts on line 4";
  EXPECT_NE(pdns.refusal(outcome).find("too little parts"), std::string::npos);
  outcome.output = "9.10.in-addr.arpa no such domain\n";
  EXPECT_NE(pdns.refusal(outcome), "");
}

TEST_F(ServerTargetTest, ReloadsWhatWasWrittenAndLoadsAChangedList) {
  BindTarget target("t", settings());
  std::vector<dns::Name> served = zones(3);
  for (const dns::Name& z : served) publish(target, z);
  TargetReport report = target.finish(served);
  EXPECT_TRUE(report.ok()) << report.problems.front();
  std::string ran = commands();
  EXPECT_TRUE(ran.starts_with("reconfig\n")) << ran;
  EXPECT_NE(ran.find("reload 190.in-addr.arpa " + (dir / "zones" / "190.in-addr.arpa.zone").string()), std::string::npos)
      << ran;
  EXPECT_EQ(BindTarget("t", settings()).listed_zones(dns::read_file(dir / "lists" / "zones.conf")).size(), 3u);

  // A later run: one zone changed, the list did not: one reload, no reconfig.
  BindTarget next("t", settings());
  publish(next, served[1]);
  EXPECT_TRUE(next.finish(served).ok());
  EXPECT_EQ(commands(), "reload 191.in-addr.arpa " + (dir / "zones" / "191.in-addr.arpa.zone").string() + "\n");
  // Nothing changed: nothing runs.
  BindTarget idle("t", settings());
  EXPECT_TRUE(idle.finish(served).ok());
  EXPECT_EQ(commands(), "");
}

TEST_F(ServerTargetTest, AFailedReloadIsAProblemAndTheNextRunCatchesUp) {
  std::vector<dns::Name> served = zones(2);
  {
    BindTarget first("t", settings());
    for (const dns::Name& z : served) publish(first, z);
    ASSERT_TRUE(first.finish(served).ok());
    commands();
  }
  BindTarget failing("t", settings("sh -c \"echo {zone}: connection refused >&2; exit 1\""));
  publish(failing, served[0]);
  TargetReport report = failing.finish(served);
  ASSERT_EQ(report.problems.size(), 1u);
  EXPECT_FALSE(report.held);
  EXPECT_NE(report.problems[0].find("target t: reload of zone 190.in-addr.arpa"), std::string::npos)
      << report.problems[0];
  EXPECT_NE(report.problems[0].find("exit 1: 190.in-addr.arpa: connection refused"), std::string::npos) << report.problems[0];
  nlohmann::json state = nlohmann::json::parse(dns::read_file(dir / "state" / "targets" / "t.json"));
  EXPECT_EQ(state.at("pending_reload"), nlohmann::json::array({"190.in-addr.arpa"}));

  // The next run writes nothing, and still reloads the zone the server did not take.
  BindTarget next("t", settings());
  EXPECT_TRUE(next.finish(served).ok());
  EXPECT_EQ(commands(), "reload 190.in-addr.arpa " + (dir / "zones" / "190.in-addr.arpa.zone").string() + "\n");
  state = nlohmann::json::parse(dns::read_file(dir / "state" / "targets" / "t.json"));
  EXPECT_TRUE(state.at("pending_reload").empty());
}

TEST_F(ServerTargetTest, AFailedListLoadKeepsTheZoneReloadsForLaterAndATimeoutIsAProblem) {
  std::vector<dns::Name> served = zones(2);
  ServerTargetSettings slow = settings("", "sleep 30");
  slow.reload_timeout = std::chrono::seconds(1);
  BindTarget first("t", slow);
  for (const dns::Name& z : served) publish(first, z);
  TargetReport report = first.finish(served);
  ASSERT_EQ(report.problems.size(), 1u);
  EXPECT_NE(report.problems[0].find("`sleep 30` failed: timed out after 1 s"), std::string::npos) << report.problems[0];
  EXPECT_EQ(commands(), "");  // no zone reload before the list is loaded
  BindTarget next("t", settings());
  EXPECT_TRUE(next.finish(served).ok());
  std::string ran = commands();
  EXPECT_TRUE(ran.starts_with("reconfig\nreload 190.in-addr.arpa ")) << ran;
  EXPECT_NE(ran.find("reload 191.in-addr.arpa "), std::string::npos) << ran;
}

TEST_F(ServerTargetTest, TheZoneListIsNeverEmptiedNorSharplyShrunk) {
  std::vector<dns::Name> served = zones(10);
  ServerTargetSettings s = settings();
  {
    NsdTarget first("t", s);
    for (const dns::Name& z : served) publish(first, z);
    ASSERT_TRUE(first.finish(served).ok());
  }
  std::string list = dns::read_file(dir / "lists" / "zones.conf");
  // Losing one zone of ten is within the default limits (10 % and at least 2).
  std::vector<dns::Name> nine(served.begin(), served.begin() + 9);
  NsdTarget fine("t", s);
  TargetReport r = fine.finish(nine);
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(fine.listed_zones(dns::read_file(dir / "lists" / "zones.conf")).size(), 9u);
  list = dns::read_file(dir / "lists" / "zones.conf");
  // Down to three: held, the file is untouched.
  std::vector<dns::Name> three(served.begin(), served.begin() + 3);
  NsdTarget shrink("t", s);
  r = shrink.finish(three);
  EXPECT_TRUE(r.held);
  ASSERT_FALSE(r.problems.empty());
  EXPECT_NE(r.problems[0].find("held by gate zone-list: zones 9 → 3"), std::string::npos) << r.problems[0];
  EXPECT_EQ(dns::read_file(dir / "lists" / "zones.conf"), list);
  ASSERT_FALSE(r.events.empty());
  EXPECT_EQ(r.events[0].first, "gate");
  EXPECT_EQ(r.events[0].second.at("verdict"), "hold");
  // Empty: held, and no override lets it through.
  s.list_drop_override = "retiring the server";
  NsdTarget empty("t", s);
  r = empty.finish({});
  EXPECT_TRUE(r.held);
  EXPECT_EQ(dns::read_file(dir / "lists" / "zones.conf"), list);
  // The shrink with an override is written and journaled with the reason.
  NsdTarget allowed("t", s);
  r = allowed.finish(three);
  EXPECT_FALSE(r.held);
  EXPECT_TRUE(r.ok()) << r.problems.front();
  EXPECT_EQ(allowed.listed_zones(dns::read_file(dir / "lists" / "zones.conf")).size(), 3u);
  bool journaled = false;
  for (const auto& [event, fields] : r.events) {
    if (event == "zone-list") journaled = fields.at("override") == "retiring the server" && fields.at("after") == 3;
  }
  EXPECT_TRUE(journaled);
}

TEST_F(ServerTargetTest, AServedZoneWithoutItsFileIsLeftOutAndReported) {
  std::vector<dns::Name> served = zones(3);
  BindTarget target("t", settings());
  publish(target, served[0]);
  publish(target, served[1]);
  TargetReport r = target.finish(served);
  ASSERT_EQ(r.problems.size(), 1u);
  EXPECT_NE(r.problems[0].find("zone 192.in-addr.arpa. is published but"), std::string::npos) << r.problems[0];
  EXPECT_EQ(target.listed_zones(dns::read_file(dir / "lists" / "zones.conf")).size(), 2u);
}

TEST_F(ServerTargetTest, AZoneFileMissingFromTheTargetIsWrittenFromThePublishedCopy) {
  std::vector<dns::Name> served = zones(2);
  ServerTargetSettings s = settings();
  s.published_directory = dir / "published";
  fs::create_directories(s.published_directory);
  std::string text = "191.in-addr.arpa.\t3600\tIN\tSOA\tns. h. 7 2 3 4 5\n";
  dns::write_file_atomically(s.published_directory / "191.in-addr.arpa.zone", text);
  BindTarget target("t", s);
  publish(target, served[0]);
  TargetReport r = target.finish(served);
  EXPECT_TRUE(r.ok()) << r.problems.front();
  EXPECT_EQ(dns::read_file(dir / "zones" / "191.in-addr.arpa.zone"), text);
  EXPECT_EQ(target.listed_zones(dns::read_file(dir / "lists" / "zones.conf")).size(), 2u);
  EXPECT_NE(commands().find("reload 191.in-addr.arpa "), std::string::npos);
}

TEST_F(ServerTargetTest, AnUnreadablePendingStateReloadsEveryZone) {
  std::vector<dns::Name> served = zones(2);
  {
    BindTarget first("t", settings());
    for (const dns::Name& z : served) publish(first, z);
    ASSERT_TRUE(first.finish(served).ok());
    commands();
  }
  dns::write_file_atomically(dir / "state" / "targets" / "t.json", "{ torn");
  BindTarget next("t", settings());
  EXPECT_TRUE(next.finish(served).ok());
  std::string ran = commands();
  EXPECT_NE(ran.find("reconfig\n"), std::string::npos) << ran;
  EXPECT_NE(ran.find("reload 190.in-addr.arpa"), std::string::npos) << ran;
  EXPECT_NE(ran.find("reload 191.in-addr.arpa"), std::string::npos) << ran;
}

}  // namespace
}  // namespace rdnsprov::publisher
