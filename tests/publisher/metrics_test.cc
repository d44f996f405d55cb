// The Prometheus textfile: exact samples, label escaping, the strict format check, and the real consumer —
// node_exporter's textfile collector — reading it without a scrape error.
#include "publisher/metrics.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include <gtest/gtest.h>

#include "dns/atomic_file.h"
#include "tests/support/skip.h"
#include "tests/support/prometheus_text.h"
#include "tests/support/support.h"

namespace rdnsprov::publisher {
namespace {

namespace fs = std::filesystem;
using testing::parse_prometheus_text;

RunMetrics sample_metrics() {
  RunMetrics m;
  m.command = "run";
  m.exit_code = 4;
  m.finished_at = 1800000000;
  m.duration_seconds = 12.25;
  ZoneMetrics a;
  a.zone = "193.in-addr.arpa";
  a.published = true;
  a.serial = 1800000000;
  a.delegations = 60;
  a.records = 193;
  a.published_at = 1799996400;
  a.signatures_expire_at = 1801000000;
  a.gates_held = {{"empty-zone", false}, {"size-drop", true}};
  a.held = true;
  a.lagging_servers = 2;
  a.ds_confirmation_pending = true;
  ZoneMetrics b;  // never published: only held, gates and lagging servers
  b.zone = "8.b.d.0.1.0.0.2.ip6.arpa";
  b.gates_held = {{"empty-zone", true}};
  b.held = true;
  m.zones = {a, b};
  return m;
}

TEST(Metrics, EscapesLabelValuesAsTheExpositionFormatSays) {
  EXPECT_EQ(escape_label_value("plain.zone"), "plain.zone");
  EXPECT_EQ(escape_label_value("a\\b\"c\nd"), "a\\\\b\\\"c\\nd");
}

TEST(Metrics, TextHasEveryFamilyWithHelpTypeAndExactSamples) {
  std::string text = metrics_text(sample_metrics());
  auto parsed = parse_prometheus_text(text);
  ASSERT_TRUE(parsed.problems.empty()) << parsed.problems.front() << "\n" << text;
  for (const char* family :
       {"rdnsprov_last_run_timestamp_seconds", "rdnsprov_last_run_duration_seconds", "rdnsprov_last_run_exit_code",
        "rdnsprov_zone_serial", "rdnsprov_zone_delegations", "rdnsprov_zone_records",
        "rdnsprov_zone_last_publish_timestamp_seconds", "rdnsprov_zone_signatures_expire_timestamp_seconds",
        "rdnsprov_zone_held", "rdnsprov_zone_gate_held", "rdnsprov_zone_lagging_servers",
        "rdnsprov_zone_ds_confirmation_pending"}) {
    EXPECT_EQ(parsed.types[family], "gauge") << family;
    EXPECT_FALSE(parsed.help[family].empty()) << family;
  }
  const std::map<std::string, std::string> run{{"command", "run"}};
  const std::map<std::string, std::string> a{{"zone", "193.in-addr.arpa"}};
  const std::map<std::string, std::string> b{{"zone", "8.b.d.0.1.0.0.2.ip6.arpa"}};
  EXPECT_EQ(parsed.value("rdnsprov_last_run_exit_code", run), 4);
  EXPECT_EQ(parsed.value("rdnsprov_last_run_timestamp_seconds", run), 1800000000);
  EXPECT_DOUBLE_EQ(parsed.value("rdnsprov_last_run_duration_seconds", run).value_or(-1), 12.25);
  EXPECT_EQ(parsed.value("rdnsprov_zone_serial", a), 1800000000);
  EXPECT_EQ(parsed.value("rdnsprov_zone_delegations", a), 60);
  EXPECT_EQ(parsed.value("rdnsprov_zone_records", a), 193);
  EXPECT_EQ(parsed.value("rdnsprov_zone_last_publish_timestamp_seconds", a), 1799996400);
  EXPECT_EQ(parsed.value("rdnsprov_zone_signatures_expire_timestamp_seconds", a), 1801000000);
  EXPECT_EQ(parsed.value("rdnsprov_zone_lagging_servers", a), 2);
  EXPECT_EQ(parsed.value("rdnsprov_zone_ds_confirmation_pending", a), 1);
  EXPECT_FALSE(parsed.value("rdnsprov_zone_ds_confirmation_pending", b));  // not a signed zone
  EXPECT_EQ(parsed.value("rdnsprov_zone_gate_held", {{"zone", "193.in-addr.arpa"}, {"gate", "size-drop"}}), 1);
  EXPECT_EQ(parsed.value("rdnsprov_zone_gate_held", {{"zone", "193.in-addr.arpa"}, {"gate", "empty-zone"}}), 0);
  EXPECT_EQ(parsed.value("rdnsprov_zone_gate_held", {{"zone", "8.b.d.0.1.0.0.2.ip6.arpa"}, {"gate", "empty-zone"}}), 1);
  // A zone never published has no serial, counts or publish time (0 would read as "published in 1970").
  EXPECT_FALSE(parsed.value("rdnsprov_zone_serial", b));
  EXPECT_FALSE(parsed.value("rdnsprov_zone_last_publish_timestamp_seconds", b));
  EXPECT_FALSE(parsed.value("rdnsprov_zone_signatures_expire_timestamp_seconds", b));
  EXPECT_EQ(parsed.value("rdnsprov_zone_held", b), 1);
  EXPECT_EQ(parsed.value("rdnsprov_zone_lagging_servers", b), 0);
  EXPECT_EQ(text, metrics_text(sample_metrics())) << "same metrics, same bytes";
}

TEST(Metrics, StrictCheckRejectsWhatTheFormatForbids) {
  // The checker the scenario tests rely on must itself catch the mistakes it is there for.
  EXPECT_FALSE(parse_prometheus_text("# HELP a x\n# TYPE a gauge\na{z=\"q\"w\"} 1\n").problems.empty());
  EXPECT_FALSE(parse_prometheus_text("# HELP a x\n# TYPE a gauge\na 1\na 2\n").problems.empty());
  EXPECT_FALSE(parse_prometheus_text("a 1\n").problems.empty());
  EXPECT_FALSE(parse_prometheus_text("# HELP a x\n# TYPE a gauge\na one\n").problems.empty());
  EXPECT_FALSE(parse_prometheus_text("# HELP a x\n# TYPE a gauge\na 1").problems.empty());
  EXPECT_FALSE(parse_prometheus_text("# HELP a x\n# TYPE a gauge\na{z=\"1\\t\"} 1\n").problems.empty());
  EXPECT_TRUE(parse_prometheus_text("# HELP a x\n# TYPE a gauge\na{z=\"1\\\\\\\"\\n\"} 1\n").problems.empty());
}

TEST(Metrics, FileIsWrittenAtomicallyAndReplacesTheOldOne) {
  testing::TempDir dir;
  fs::path file = dir / "rdnsprov.prom";
  dns::write_file_atomically(file, "old\n");
  write_metrics_file(file, sample_metrics());
  EXPECT_EQ(dns::read_file(file), metrics_text(sample_metrics()));
  EXPECT_EQ(fs::status(file).permissions() & fs::perms::others_read, fs::perms::others_read);
  for (const auto& e : fs::directory_iterator(dir.path())) {
    EXPECT_EQ(e.path().filename(), "rdnsprov.prom") << "a temporary file was left behind";
  }
  EXPECT_THROW(write_metrics_file(dir / "missing-directory" / "rdnsprov.prom", sample_metrics()), std::system_error);
}

// GET http://127.0.0.1:port/metrics; empty when nothing answers.
std::string http_get_metrics(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return "";
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string response;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    std::string request = "GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
    if (::write(fd, request.data(), request.size()) == static_cast<ssize_t>(request.size())) {
      char buffer[65536];
      for (ssize_t n; (n = ::read(fd, buffer, sizeof buffer)) > 0;) response.append(buffer, static_cast<std::size_t>(n));
    }
  }
  ::close(fd);
  return response;
}

// node_exporter (Debian's prometheus-node-exporter, installed by ops/setup) is the program that reads the file in
// production: its textfile collector must accept it (node_textfile_scrape_error 0) and re-export every sample.
TEST(Metrics, NodeExporterTextfileCollectorReadsTheFile) {
  const std::string exporter = "/usr/bin/prometheus-node-exporter";
  RDNSPROV_SKIP_UNLESS_PRESENT(testing::missing_programs({exporter}));
  testing::TempDir dir;
  RunMetrics m = sample_metrics();
  m.zones[0].gates_held["odd \"gate\"\\name\n"] = true;  // every escape the format has, through the real parser
  write_metrics_file(dir / "rdnsprov.prom", m);
  int port = testing::free_port();
  testing::ChildProcess server({exporter, "--web.listen-address=127.0.0.1:" + std::to_string(port),
                                "--collector.disable-defaults", "--collector.textfile",
                                "--collector.textfile.directory=" + dir.path().string()},
                               {}, dir / "node_exporter.log");
  ASSERT_TRUE(testing::wait_for_tcp(port, std::chrono::seconds(60)))
      << "node_exporter did not listen: " << dns::read_file(dir / "node_exporter.log");
  std::string response = http_get_metrics(port);
  ASSERT_NE(response.find("200 OK"), std::string::npos) << response;
  EXPECT_NE(response.find("node_textfile_scrape_error 0"), std::string::npos) << response;
  std::string body = response.substr(response.find("\r\n\r\n") + 4);
  auto exported = parse_prometheus_text(body);
  EXPECT_EQ(exported.value("rdnsprov_zone_serial", {{"zone", "193.in-addr.arpa"}}), 1800000000) << body;
  EXPECT_EQ(exported.value("rdnsprov_zone_lagging_servers", {{"zone", "193.in-addr.arpa"}}), 2) << body;
  EXPECT_EQ(exported.value("rdnsprov_zone_gate_held", {{"zone", "193.in-addr.arpa"}, {"gate", "odd \"gate\"\\name\n"}}),
            1)
      << body;
  EXPECT_EQ(exported.value("rdnsprov_last_run_exit_code", {{"command", "run"}}), 4) << body;
  EXPECT_EQ(exported.family("rdnsprov_zone_gate_held").size(), 4u) << body;
  EXPECT_EQ(exported.help["rdnsprov_zone_serial"], "SOA serial of the zone's last published version.");

  // A broken file is what node_exporter reports as a scrape error: the check above can fail.
  dns::write_file_atomically(dir / "rdnsprov.prom", "rdnsprov_broken{zone=\"x} 1\n");
  response = http_get_metrics(port);
  EXPECT_NE(response.find("node_textfile_scrape_error 1"), std::string::npos) << response;
}

}  // namespace
}  // namespace rdnsprov::publisher
