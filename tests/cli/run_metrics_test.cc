// The metrics of a run from its configuration, state and plan: [general] metrics-file and plan-max-age, zones in
// configuration order, gate verdicts, and the lagging-servers figure SOA verification hands over.
#include "cli/run_metrics.h"

#include <fstream>

#include <gtest/gtest.h>

#include "dns/atomic_file.h"
#include "tests/support/prometheus_text.h"
#include "tests/support/support.h"

namespace rdnsprov::cli {
namespace {

namespace fs = std::filesystem;
using rdnsprov::testing::TempDir;

std::string config_text(const std::string& general) {
  return "[general]\nstate = state\n" + general +
         "[source.dump]\ntype = rpsl\npath = db.domain\n"
         "[zone-defaults]\nsoa-mname = ns0.example.net\nsoa-rname = hostmaster@example.net\n"
         "nameserver = ns1.example.net\n"
         "[zone.194.in-addr.arpa]\n[zone.193.in-addr.arpa]\n";
}

fs::path write_config(const TempDir& dir, const std::string& general) {
  fs::path file = dir / "rdnsprov.conf";
  std::ofstream(file) << config_text(general);
  return file;
}

std::string config_error(const TempDir& dir, const std::string& general) {
  try {
    load_config(write_config(dir, general));
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "(accepted)";
}

TEST(RunMetricsConfig, KeysDefaultsAndErrors) {
  TempDir dir;
  Config defaults = load_config(write_config(dir, ""));
  EXPECT_TRUE(defaults.metrics_file.empty()) << "no metrics unless asked for";
  EXPECT_EQ(defaults.plan_max_age, 3600u);
  Config set = load_config(write_config(dir, "metrics-file = textfile/rdnsprov.prom\nplan-max-age = 10m\n"));
  EXPECT_EQ(set.metrics_file, dir / "textfile" / "rdnsprov.prom") << "relative to the configuration file";
  EXPECT_EQ(set.plan_max_age, 600u);
  std::string bad_name = config_error(dir, "metrics-file = rdnsprov.txt\n");
  EXPECT_NE(bad_name.find("rdnsprov.conf:3: [general] metrics-file = rdnsprov.txt: expected a file name ending in .prom"),
            std::string::npos)
      << bad_name;
  std::string zero = config_error(dir, "plan-max-age = 0\n");
  EXPECT_NE(zero.find("[general] plan-max-age = 0: expected a duration above 0"), std::string::npos) << zero;
  std::string words = config_error(dir, "plan-max-age = soon\n");
  EXPECT_NE(words.find("[general] plan-max-age = soon"), std::string::npos) << words;
}

TEST(RunMetrics, ZonesGatesAndLaggingServersOfARun) {
  TempDir dir;
  Config config = load_config(write_config(dir, "metrics-file = rdnsprov.prom\n"));
  safeguards::StateDir state = safeguards::StateDir::open(config.state);
  dns::Name z193 = *dns::Name::from_text("193.in-addr.arpa");
  dns::Name z194 = *dns::Name::from_text("194.in-addr.arpa");
  safeguards::PublishedMeta meta;
  meta.serial = 1800000000;
  meta.delegations = 600;
  meta.records = 1900;
  meta.published_at = 1799990000;
  state.write_published(z193, "; zone text\n", meta);

  safeguards::Plan plan;
  safeguards::ZonePlan held;
  held.apex = z193;
  held.action = safeguards::Action::kHold;
  held.gates = {{"serial", safeguards::Verdict::kPass, "", {}},
                {"size-drop", safeguards::Verdict::kPass, "", {{"what", "records"}}},
                {"size-drop", safeguards::Verdict::kHold, "", {{"what", "delegations"}}}};
  plan.zones.push_back(held);
  safeguards::ZonePlan first;  // never published yet, held on its first publication
  first.apex = z194;
  first.action = safeguards::Action::kHold;
  first.gates = {{"empty-zone", safeguards::Verdict::kHold, "", {}}};
  plan.zones.push_back(first);

  RunOutcome outcome{.command = "run", .exit_code = 4, .now = 1800003600, .started = std::chrono::steady_clock::now(),
                     .plan = &plan};
  outcome.lagging_servers[z193] = 2;
  publisher::RunMetrics m = run_metrics(config, state, outcome);
  EXPECT_EQ(m.exit_code, 4);
  EXPECT_EQ(m.finished_at, 1800003600);
  EXPECT_GE(m.duration_seconds, 0);
  ASSERT_EQ(m.zones.size(), 2u);
  EXPECT_EQ(m.zones[0].zone, "193.in-addr.arpa") << "canonical order, as configured";
  EXPECT_TRUE(m.zones[0].published);
  EXPECT_EQ(m.zones[0].serial, 1800000000u);
  EXPECT_EQ(m.zones[0].delegations, 600u);
  EXPECT_EQ(m.zones[0].records, 1900u);
  EXPECT_EQ(m.zones[0].published_at, 1799990000);
  EXPECT_TRUE(m.zones[0].held);
  EXPECT_TRUE(m.zones[0].gates_held.at("size-drop")) << "held on delegations though it passed on records";
  EXPECT_FALSE(m.zones[0].gates_held.at("serial"));
  EXPECT_FALSE(m.zones[0].gates_held.at("completeness")) << "every usual gate has its series";
  EXPECT_EQ(m.zones[0].lagging_servers, 2u);
  EXPECT_EQ(m.zones[1].zone, "194.in-addr.arpa");
  EXPECT_FALSE(m.zones[1].published);
  EXPECT_TRUE(m.zones[1].gates_held.at("empty-zone"));
  EXPECT_EQ(m.zones[1].lagging_servers, 0u) << "not reported by verification: 0";

  write_run_metrics(config, state, outcome);
  auto parsed = testing::parse_prometheus_text(dns::read_file(dir / "rdnsprov.prom"));
  EXPECT_TRUE(parsed.problems.empty());
  EXPECT_EQ(parsed.value("rdnsprov_zone_lagging_servers", {{"zone", "193.in-addr.arpa"}}), 2);

  // A metrics file that cannot be written is a warning: the run's outcome stands.
  config.metrics_file = dir / "no-such-directory" / "rdnsprov.prom";
  EXPECT_NO_THROW(write_run_metrics(config, state, outcome));
}

// A published signed version whose first signature expires within the policy's refresh window is reported (a run
// that publishes would have re-signed it), with the zone, serial and dates; once expired, as expired. A zone
// without a recorded expiry (unsigned, or recorded before the field existed) never is.
TEST(PublishedSignatures, ExpiryWithinTheRefreshWindowIsReported) {
  TempDir dir;
  std::ofstream(dir / "rdnsprov.conf") << config_text("metrics-file = rdnsprov.prom\n") +
                                              "dnssec-policy = p\nsoa-expire = 7d\n[policy.p]\nrefresh = 12d\n";
  Config config = load_config(dir / "rdnsprov.conf");
  safeguards::StateDir state = safeguards::StateDir::open(config.state);
  dns::Name z193 = *dns::Name::from_text("193.in-addr.arpa");
  dns::Name z194 = *dns::Name::from_text("194.in-addr.arpa");
  std::time_t now = 1800000000;
  safeguards::PublishedMeta unsigned_meta;
  unsigned_meta.serial = 7;
  unsigned_meta.published_at = now - 90 * 86400;
  state.write_published(z194, "; zone text\n", unsigned_meta);
  auto publish_193 = [&](std::int64_t expires_in) {
    safeguards::PublishedMeta meta;
    meta.serial = 1799000000;
    meta.published_at = 1799000000;
    meta.signatures_expire_at = now + expires_in;
    state.write_published(z193, "; zone text\n", meta);
  };

  publish_193(12 * 86400 + 1);
  EXPECT_TRUE(check_published_signatures(config, state, now).empty()) << "just beyond the refresh window";

  publish_193(3 * 86400);
  auto soon = check_published_signatures(config, state, now);
  ASSERT_EQ(soon.size(), 1u);
  EXPECT_EQ(soon[0], "zone 193.in-addr.arpa.: signatures of the published version (serial 1799000000, published "
                     "2027-01-03T18:13:20Z) expire from 2027-01-18T08:00:00Z, in 3.0 days, within the refresh window "
                     "of 12.0 days: validating resolvers fail the zone from then on unless a run publishes it");
  publisher::RunMetrics m = run_metrics(config, state, {.now = now, .started = std::chrono::steady_clock::now()});
  EXPECT_EQ(m.zones[0].zone, "193.in-addr.arpa");
  EXPECT_EQ(m.zones[0].signatures_expire_at, now + 3 * 86400);
  EXPECT_FALSE(m.zones[1].signatures_expire_at) << "unsigned";

  publish_193(-60);
  auto expired = check_published_signatures(config, state, now);
  ASSERT_EQ(expired.size(), 1u);
  EXPECT_NE(expired[0].find("expired at 2027-01-15T07:59:00Z: validating resolvers fail the zone (SERVFAIL)"),
            std::string::npos)
      << expired[0];
}

}  // namespace
}  // namespace rdnsprov::cli
