// The metrics textfile ([general] metrics-file) after a publishing run, a held run (I-3), an errored run, a
// frozen run and rebuild --publish: what an alert on node_exporter's scrape would see.
#include "tests/scenarios/scenario.h"
#include "tests/support/prometheus_text.h"

namespace rdnsprov::scenarios {
namespace {

using testing::PrometheusText;
using Labels = std::map<std::string, std::string>;

class ScenarioMetrics : public ::testing::Test {
 protected:
  Scenario s{{"193.in-addr.arpa", "194.in-addr.arpa"}};
  fs::path metrics = s.dir / "textfile" / "rdnsprov.prom";
  std::vector<DomainObject> z193 = slash24_delegations(193, 60);
  std::vector<DomainObject> z194 = slash24_delegations(194, 40);

  void SetUp() override {
    fs::create_directories(metrics.parent_path());
    std::string text = read_text(s.config);
    std::size_t at = text.find("registry = TEST-RIR\n") + std::string("registry = TEST-RIR\n").size();
    text.insert(at, "metrics-file = " + metrics.string() + "\n");
    write_text(s.config, text);
    s.write_dump(concat({z193, z194}));
  }

  PrometheusText read_metrics() {
    std::string text = read_text(metrics);
    PrometheusText parsed = testing::parse_prometheus_text(text);
    EXPECT_TRUE(parsed.problems.empty()) << parsed.problems.front() << "\n" << text;
    for (const auto& e : fs::directory_iterator(metrics.parent_path())) {
      EXPECT_EQ(e.path().filename(), "rdnsprov.prom") << "left behind: " << e.path();
    }
    return parsed;
  }

  static Labels zone(const std::string& z) { return {{"zone", z}}; }
  static Labels gate(const std::string& z, const std::string& g) { return {{"zone", z}, {"gate", g}}; }
};

TEST_F(ScenarioMetrics, PublishingHeldAndErroredRuns) {
  // 1. A publishing run.
  ASSERT_EQ(s.rdnsprov({"run"}, kT0).exit_code, 0);
  PrometheusText m = read_metrics();
  const Labels run{{"command", "run"}};
  EXPECT_EQ(m.value("rdnsprov_last_run_exit_code", run), 0);
  EXPECT_EQ(m.value("rdnsprov_last_run_timestamp_seconds", run), kT0);
  auto duration = m.value("rdnsprov_last_run_duration_seconds", run);
  ASSERT_TRUE(duration);
  EXPECT_GE(*duration, 0);
  EXPECT_LT(*duration, 120);
  for (const std::string z : {"193.in-addr.arpa", "194.in-addr.arpa"}) {
    json meta = s.meta(z);
    EXPECT_EQ(m.value("rdnsprov_zone_serial", zone(z)), kT0) << z;
    EXPECT_EQ(m.value("rdnsprov_zone_delegations", zone(z)), meta.at("delegations").get<double>()) << z;
    EXPECT_EQ(m.value("rdnsprov_zone_records", zone(z)), meta.at("records").get<double>()) << z;
    EXPECT_EQ(m.value("rdnsprov_zone_last_publish_timestamp_seconds", zone(z)), kT0) << z;
    EXPECT_EQ(m.value("rdnsprov_zone_held", zone(z)), 0) << z;
    EXPECT_EQ(m.value("rdnsprov_zone_lagging_servers", zone(z)), 0) << z;
    for (const char* g : {"empty-zone", "size-drop", "size-drop-total", "serial", "completeness"}) {
      EXPECT_EQ(m.value("rdnsprov_zone_gate_held", gate(z, g)), 0) << z << " " << g;
    }
  }
  EXPECT_EQ(m.value("rdnsprov_zone_delegations", zone("193.in-addr.arpa")), 60);
  EXPECT_EQ(m.value("rdnsprov_zone_delegations", zone("194.in-addr.arpa")), 40);

  // 2. I-3: 193 shrinks sharply and is held; 194 changes and publishes.
  z193.resize(20);
  z194.push_back(slash24_delegations(194, 1, 40)[0]);
  s.write_dump(concat({z193, z194}));
  ASSERT_EQ(s.rdnsprov({"run"}, kT0 + kHour).exit_code, 4);
  m = read_metrics();
  EXPECT_EQ(m.value("rdnsprov_last_run_exit_code", run), 4);
  EXPECT_EQ(m.value("rdnsprov_last_run_timestamp_seconds", run), kT0 + kHour);
  EXPECT_EQ(m.value("rdnsprov_zone_held", zone("193.in-addr.arpa")), 1);
  EXPECT_EQ(m.value("rdnsprov_zone_gate_held", gate("193.in-addr.arpa", "size-drop")), 1);
  EXPECT_EQ(m.value("rdnsprov_zone_gate_held", gate("193.in-addr.arpa", "empty-zone")), 0);
  // The held zone still serves, and reports, its last published version.
  EXPECT_EQ(m.value("rdnsprov_zone_serial", zone("193.in-addr.arpa")), kT0);
  EXPECT_EQ(m.value("rdnsprov_zone_delegations", zone("193.in-addr.arpa")), 60);
  EXPECT_EQ(m.value("rdnsprov_zone_last_publish_timestamp_seconds", zone("193.in-addr.arpa")), kT0);
  EXPECT_EQ(m.value("rdnsprov_zone_held", zone("194.in-addr.arpa")), 0);
  EXPECT_EQ(m.value("rdnsprov_zone_gate_held", gate("194.in-addr.arpa", "size-drop")), 0);
  EXPECT_EQ(m.value("rdnsprov_zone_serial", zone("194.in-addr.arpa")), kT0 + kHour);
  EXPECT_EQ(m.value("rdnsprov_zone_delegations", zone("194.in-addr.arpa")), 41);
  EXPECT_EQ(m.value("rdnsprov_zone_last_publish_timestamp_seconds", zone("194.in-addr.arpa")), kT0 + kHour);

  // 3. The source cannot be read: an error, nothing published; the zones keep reporting what they serve.
  fs::remove(s.dump);
  CommandResult r = s.rdnsprov({"run"}, kT0 + 2 * kHour);
  ASSERT_EQ(r.exit_code, 1) << r.all();
  m = read_metrics();
  EXPECT_EQ(m.value("rdnsprov_last_run_exit_code", run), 1);
  EXPECT_EQ(m.value("rdnsprov_last_run_timestamp_seconds", run), kT0 + 2 * kHour);
  EXPECT_EQ(m.value("rdnsprov_zone_serial", zone("193.in-addr.arpa")), kT0);
  EXPECT_EQ(m.value("rdnsprov_zone_serial", zone("194.in-addr.arpa")), kT0 + kHour);
  EXPECT_EQ(m.value("rdnsprov_zone_held", zone("193.in-addr.arpa")), 0) << "no gate ran";
  EXPECT_TRUE(m.family("rdnsprov_zone_gate_held").empty()) << "no gate ran, none is reported";

  // 4. Frozen: exit 7 is reported too.
  s.write_dump(concat({z193, z194}));
  ASSERT_EQ(s.rdnsprov({"freeze", "--reason", "incident 12"}, kT0 + 3 * kHour).exit_code, 0);
  ASSERT_EQ(s.rdnsprov({"run"}, kT0 + 3 * kHour).exit_code, 7);
  m = read_metrics();
  EXPECT_EQ(m.value("rdnsprov_last_run_exit_code", run), 7);
  EXPECT_EQ(m.value("rdnsprov_last_run_timestamp_seconds", run), kT0 + 3 * kHour);
}

TEST_F(ScenarioMetrics, RebuildPublishWritesMetricsAndRebuildWithoutPublishDoesNot) {
  ASSERT_EQ(s.rdnsprov({"run"}, kT0).exit_code, 0);
  z194.push_back(slash24_delegations(194, 1, 40)[0]);
  s.write_dump(concat({z193, z194}));
  ASSERT_EQ(s.rdnsprov({"run"}, kT0 + kHour).exit_code, 0);
  std::vector<std::string> ids = s.snapshot_ids();
  ASSERT_FALSE(ids.empty());
  std::string after_run = read_text(metrics);

  CommandResult shown = s.rdnsprov({"rebuild", "--from-snapshot", ids.back()}, kT0 + 2 * kHour);
  ASSERT_TRUE(shown.exit_code == 0 || shown.exit_code == 3) << shown.all();
  EXPECT_EQ(read_text(metrics), after_run) << "rebuild without --publish publishes nothing and reports nothing";

  CommandResult r = s.rdnsprov({"rebuild", "--from-snapshot", ids.back(), "--publish"}, kT0 + 2 * kHour);
  ASSERT_EQ(r.exit_code, 0) << r.all();
  PrometheusText m = read_metrics();
  const Labels rebuild{{"command", "rebuild"}};
  EXPECT_EQ(m.value("rdnsprov_last_run_exit_code", rebuild), 0);
  EXPECT_EQ(m.value("rdnsprov_last_run_timestamp_seconds", rebuild), kT0 + 2 * kHour);
  json meta = s.meta("194.in-addr.arpa");
  EXPECT_EQ(m.value("rdnsprov_zone_serial", zone("194.in-addr.arpa")), meta.at("serial").get<double>());
  EXPECT_EQ(m.value("rdnsprov_zone_delegations", zone("194.in-addr.arpa")), 41);
}

TEST_F(ScenarioMetrics, MetricsFileMustBeAPromFile) {
  std::string text = read_text(s.config);
  std::size_t at = text.find("metrics-file = ");
  ASSERT_NE(at, std::string::npos);
  text.replace(at, text.find('\n', at) - at, "metrics-file = " + (s.dir / "rdnsprov.txt").string());
  write_text(s.config, text);
  CommandResult r = s.rdnsprov({"run"}, kT0);
  EXPECT_EQ(r.exit_code, 2) << r.all();
  EXPECT_NE(r.all().find("[general] metrics-file"), std::string::npos) << r.all();
  EXPECT_NE(r.all().find("ending in .prom"), std::string::npos) << r.all();
}

}  // namespace
}  // namespace rdnsprov::scenarios
