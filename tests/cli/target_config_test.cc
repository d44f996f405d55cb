// [target.NAME] sections of server targets: their keys, defaults and errors.
#include <algorithm>
#include <fstream>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "cli/config.h"
#include "tests/support/support.h"

namespace rdnsprov::cli {
namespace {

using rdnsprov::testing::TempDir;

const std::string kBase =
    "[general]\nstate = state\n[source.dump]\ntype = rpsl\npath = db\n[zone-defaults]\nsoa-mname = ns0.example.net\n"
    "soa-rname = hostmaster@example.net\nnameserver = ns1.example.net\n[zone.193.in-addr.arpa]\n";
const int kBaseLines = static_cast<int>(std::count(kBase.begin(), kBase.end(), '\n'));

std::string load_error(const TempDir& dir, const std::string& text) {
  std::ofstream(dir / "rdnsprov.conf") << text;
  try {
    load_config(dir / "rdnsprov.conf");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return {};
}

TEST(TargetConfig, ReadsServerTargetKeys) {
  TempDir dir;
  std::ofstream(dir / "rdnsprov.conf") << kBase
                                       << "[target.ns1]\ntype = bind\npath = bind\nrndc-server = 127.0.0.1\n"
                                          "rndc-port = 9953\nrndc-key-file = /etc/bind/rndc.key\n"
                                          "reload-command = ssh ns1 \"rndc reload {zone}\"\nreload-timeout = 2m\n"
                                          "[target.ns2]\ntype = knot\npath = /srv/knot\nzone-list = lists/knot.conf\n"
                                          "server-path = /zones\nknotc-socket = /run/knot/knot.sock\n"
                                          "[target.ns3]\ntype = nsd\npath = nsd\n[target.ns4]\ntype = pdns-bind\n"
                                          "path = pdns\npdns-socket-dir = /run/pdns\n";
  Config config = load_config(dir / "rdnsprov.conf");
  ASSERT_EQ(config.targets.size(), 4u);
  const TargetConfig& bind = config.targets[0];
  EXPECT_EQ(bind.type, "bind");
  EXPECT_EQ(bind.path, dir.path() / "bind");
  EXPECT_EQ(bind.server.rndc_server, "127.0.0.1");
  EXPECT_EQ(bind.server.rndc_port, "9953");
  EXPECT_EQ(bind.server.rndc_key_file, "/etc/bind/rndc.key");
  ASSERT_TRUE(bind.server.reload_command);
  EXPECT_EQ(bind.server.reload_command->words(), (std::vector<std::string>{"ssh", "ns1", "rndc reload {zone}"}));
  EXPECT_EQ(bind.server.reload_timeout, std::chrono::seconds(120));
  EXPECT_FALSE(bind.server.reconfig_command);
  const TargetConfig& knot = config.targets[1];
  EXPECT_EQ(knot.server.zone_list, dir.path() / "lists/knot.conf");
  EXPECT_EQ(knot.server.server_directory, "/zones");
  EXPECT_EQ(knot.server.knotc_socket, "/run/knot/knot.sock");
  EXPECT_TRUE(config.targets[2].server.zone_list.empty());  // the default, PATH/zones.conf, is the target's
  EXPECT_EQ(config.targets[2].server.reload_timeout, std::chrono::seconds(60));
  EXPECT_EQ(config.targets[3].server.pdns_socket_dir, "/run/pdns");
}

TEST(TargetConfig, ErrorsNameFileLineAndKey) {
  TempDir dir;
  std::string file = (dir / "rdnsprov.conf").string();
  int header = kBaseLines + 1;
  std::string message = load_error(dir, kBase + "[target.ns1]\ntype = knot\npath = knot\nrndc-port = 953\n"
                                                "reload-command = rndc \"reload\nreload-timeout = 0\n");
  EXPECT_NE(message.find(fmt::format("{}:{}: [target.ns1] unknown key \"rndc-port\"", file, header + 3)),
            std::string::npos)
      << message;
  EXPECT_NE(message.find(fmt::format("{}:{}: [target.ns1] reload-command = rndc \"reload: a double quote is not closed",
                                     file, header + 4)),
            std::string::npos)
      << message;
  EXPECT_NE(message.find(fmt::format("{}:{}: [target.ns1] reload-timeout = 0: expected 1 second", file, header + 5)),
            std::string::npos)
      << message;
  message = load_error(dir, kBase + "[target.ns1]\ntype = bind\nrndc-port = 70000\nzone-list = a\"b\n");
  EXPECT_NE(message.find("rndc-port = 70000: expected a port from 1 to 65535"), std::string::npos) << message;
  EXPECT_NE(message.find("zone-list = a\"b: expected a path without double quotes"), std::string::npos) << message;
  EXPECT_NE(message.find(fmt::format("{}:{}: [target.ns1] type bind needs \"path\"", file, header)), std::string::npos)
      << message;
  message = load_error(dir, kBase + "[target.ns1]\ntype = unbound\npath = x\n");
  EXPECT_NE(message.find("expected directory, bind, knot, nsd, pdns-bind, pdns-gpgsql or notify"), std::string::npos) << message;
  message = load_error(dir, kBase + "[target.ns1]\ntype = directory\npath = x\nreload-command = true\n");
  EXPECT_NE(message.find("unknown key \"reload-command\""), std::string::npos) << message;
}

}  // namespace
}  // namespace rdnsprov::cli
