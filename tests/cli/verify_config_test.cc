// The [verify] section and the notify target in the configuration: values, defaults, and errors naming
// file:line and key.
#include <gtest/gtest.h>

#include <fstream>

#include "cli/config.h"
#include "tests/support/support.h"

namespace rdnsprov::cli {
namespace {

std::string base() {
  return "[general]\nstate = state\n[source.d]\ntype = rpsl\npath = db\n"
         "[zone-defaults]\nsoa-mname = ns0.example.net\nsoa-rname = h@example.net\nnameserver = ns1.example.net\n"
         "[zone.193.in-addr.arpa]\n";
}

std::filesystem::path write(const testing::TempDir& dir, const std::string& text) {
  std::ofstream(dir / "rdnsprov.conf") << text;
  return dir / "rdnsprov.conf";
}

TEST(VerifyConfigTest, ServersAndDefaults) {
  testing::TempDir dir;
  Config c = load_config(write(dir, base() + "[verify]\nservers = 127.0.0.1:5300, [::1]:5301\nservers = 192.0.2.53\n"));
  ASSERT_EQ(c.verify.servers.size(), 3u);
  EXPECT_EQ(c.verify.servers[0].text(), "127.0.0.1:5300");
  EXPECT_EQ(c.verify.servers[1].text(), "[::1]:5301");
  EXPECT_EQ(c.verify.servers[2].text(), "192.0.2.53:53");
  EXPECT_EQ(c.verify.timeout, 2u);
  EXPECT_EQ(c.verify.retries, 2);
  EXPECT_EQ(c.verify.deadline, 30u);
  EXPECT_TRUE(c.verify.read_back);
  EXPECT_TRUE(c.verify.live_serials);
  Config none = load_config(write(dir, base()));
  EXPECT_TRUE(none.verify.servers.empty());
}

TEST(VerifyConfigTest, BadValuesNameFileLineAndKey) {
  testing::TempDir dir;
  auto path = write(dir, base() + "[verify]\nservers = ns1.example.net\ndeadline = soon\nread-back = maybe\n"
                                  "[target.n]\ntype = notify\n");
  try {
    load_config(path);
    FAIL() << "bad [verify] accepted";
  } catch (const ConfigError& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("rdnsprov.conf:12: [verify] servers = ns1.example.net"), std::string::npos) << m;
    EXPECT_NE(m.find("rdnsprov.conf:13: [verify] deadline = soon"), std::string::npos) << m;
    EXPECT_NE(m.find("rdnsprov.conf:14: [verify] read-back = maybe"), std::string::npos) << m;
    EXPECT_NE(m.find("[target.n] type notify needs \"addresses\""), std::string::npos) << m;
  }
}

TEST(VerifyConfigTest, NotifyTarget) {
  testing::TempDir dir;
  Config c = load_config(write(dir, base() + "[target.n]\ntype = notify\naddresses = 127.0.0.1 [::1]:5353\nnotify-retries = 5\n"));
  ASSERT_EQ(c.targets.size(), 1u);
  EXPECT_EQ(c.targets[0].type, "notify");
  ASSERT_EQ(c.targets[0].addresses.size(), 2u);
  EXPECT_EQ(c.targets[0].addresses[1].text(), "[::1]:5353");
  EXPECT_EQ(c.targets[0].retries, 5);
  EXPECT_EQ(c.targets[0].timeout, 2u);
}

}  // namespace
}  // namespace rdnsprov::cli
