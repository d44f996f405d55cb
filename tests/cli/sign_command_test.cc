// DNSSEC in the product (INCIDENTS.md I-8): `run` signs the zones that have a dnssec-policy, verifies them before
// publishing, re-signs them when their signatures come due; `rdnsprov sign` and `rdnsprov keys` driven as an
// operator would. Published zones are checked by dnssec-verify and ldns-verify-zone, not only by our verifier.
#include <sys/stat.h>

#include <chrono>
#include <ctime>
#include <regex>
#include <sstream>
#include <set>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cli/config.h"
#include "cli/signing.h"
#include "dns/atomic_file.h"
#include "dns/name.h"
#include "dns/zone.h"
#include "tests/support/prometheus_text.h"
#include "tests/support/support.h"

namespace rdnsprov::cli {
namespace {

namespace fs = std::filesystem;
using rdnsprov::testing::CommandResult;
using rdnsprov::testing::run_command;
using rdnsprov::testing::run_rdnsprov;
using rdnsprov::testing::source_dir;
using rdnsprov::testing::TempDir;

constexpr const char* kNsecZone = "193.in-addr.arpa";
constexpr const char* kOptOutZone = "8.b.d.0.1.0.0.2.ip6.arpa";
constexpr const char* kUnsignedZone = "0.194.in-addr.arpa";

// The bundled example export; two signed zones (NSEC; NSEC3 opt-out with ZONEMD) and one unsigned. Signature
// timing fits the SOA EXPIRE interval (RFC 6781 §4.4.1): refresh 12d ≥ soa-expire 7d.
std::string signed_config() {
  return fmt::format(
      "[general]\nstate = state\nregistry = TEST-RIR\n"
      "[source.dump]\ntype = rpsl\npath = {}\n"
      "[zone-defaults]\nsoa-mname = ns0.test-rir.net\nsoa-rname = hostmaster@test-rir.net\nsoa-expire = 7d\n"
      "nameserver = ns1.test-rir.net\nnameserver = ns2.test-rir.net\n"
      "[policy.nsec]\nsignature-validity = 21d\nrefresh = 12d\njitter = 1d\n"
      "[policy.optout]\nalgorithm = ed25519\nkeys = csk\ndenial = nsec3\nnsec3-opt-out = yes\nnsec3-salt = -\n"
      "signature-validity = 21d\nrefresh = 12d\nzonemd = yes\n"
      "[zone.{}]\ndnssec-policy = nsec\n[zone.{}]\n[zone.{}]\ndnssec-policy = optout\n"
      "[target.served]\ntype = directory\npath = served\n",
      (source_dir() / "ops" / "examples" / "example.db.domain").string(), kNsecZone, kUnsignedZone, kOptOutZone);
}

// Published zone files by name.
fs::path served(const TempDir& dir, const std::string& zone) {
  for (const auto& e : fs::directory_iterator(dir / "served")) {
    std::string stem = e.path().stem().string();
    if (e.path().extension() == ".zone" && (stem == zone || stem == zone + ".")) return e.path();
  }
  ADD_FAILURE() << "no served file for " << zone;
  return {};
}

// Problems the independent verifiers report. dnssec-verify reads the wall clock, so it only runs at `now` =
// the wall clock; ldns-verify-zone and kzonecheck are given `now`. ldns-verify-zone is not used on NSEC3 opt-out
// zones: it expects no NSEC3 for an empty non-terminal above a secure delegation when an unsigned one sits beside
// it (RFC 5155 §7.1 requires it), and with a ZONEMD it loops; kzonecheck checks those instead.
std::vector<std::string> verifier_failures(const std::string& zone, const fs::path& file, long now, bool wall_clock,
                                           bool csk = false, bool opt_out = false) {
  rdnsprov::testing::CommandOptions options;
  options.timeout = std::chrono::seconds(60);
  std::vector<std::vector<std::string>> commands;
  if (wall_clock) {
    std::vector<std::string> bind{"dnssec-verify", "-q", "-o", zone, file.string()};
    if (csk) bind.insert(bind.begin() + 1, "-z");
    commands.push_back(bind);
  }
  if (!opt_out) {
    commands.push_back({"ldns-verify-zone", "-t", fmt::format("{:+}", now - static_cast<long>(std::time(nullptr))),
                        file.string()});
  }
  commands.push_back({"kzonecheck", "-d", "on", "-t", std::to_string(now), "-o", zone, file.string()});
  std::vector<std::string> out;
  for (const auto& argv : commands) {
    CommandResult r = run_command(argv, options);
    if (r.exit_code != 0) out.push_back(fmt::format("{} exited {}: {}", argv[0], r.exit_code, r.all()));
  }
  return out;
}

std::uint32_t soa_serial(const fs::path& file) {
  std::smatch m;
  std::string text = dns::read_file(file);
  static const std::regex soa(R"(\tSOA\t\S+ \S+ (\d+) )");
  if (!std::regex_search(text, m, soa)) return 0;
  return static_cast<std::uint32_t>(std::stoul(m[1]));
}

// rdnsprov with the test's configuration at time `at`.
CommandResult rdnsprov_at(const TempDir& dir, long at, std::vector<std::string> args) {
  args.insert(args.begin(), {"--now", std::to_string(at), "-c", (dir / "rdnsprov.conf").string()});
  return run_rdnsprov(args);
}

std::vector<std::string> run_args(const TempDir& dir, long now, const std::string& command) {
  return {"--now", std::to_string(now), "-c", (dir / "rdnsprov.conf").string(), command};
}

std::vector<fs::path> private_files(const fs::path& keys) {
  std::vector<fs::path> out;
  for (const auto& e : fs::recursive_directory_iterator(keys)) {
    if (e.path().extension() == ".private") out.push_back(e.path());
  }
  return out;
}

TEST(SignCommand, RunSignsVerifiesIsIdempotentAndReSignsWhenSignaturesComeDue) {
  TempDir dir;
  dns::write_file_atomically(dir / "rdnsprov.conf", signed_config());
  // Wall-clock time: dnssec-verify cannot be told another one.
  long now = static_cast<long>(std::time(nullptr));

  CommandResult first = run_rdnsprov(run_args(dir, now, "run"));
  ASSERT_EQ(first.exit_code, 0) << first.all();
  for (const char* zone : {kNsecZone, kOptOutZone}) {
    SCOPED_TRACE(zone);
    fs::path file = served(dir, zone);
    std::string text = dns::read_file(file);
    EXPECT_NE(text.find("\tRRSIG\t"), std::string::npos);
    bool optout_zone = std::string(zone) == kOptOutZone;
    for (const std::string& failure : verifier_failures(zone, file, now, true, optout_zone, optout_zone)) {
      ADD_FAILURE() << failure;
    }
  }
  std::string optout = dns::read_file(served(dir, kOptOutZone));
  EXPECT_NE(optout.find("\tNSEC3PARAM\t1 0 0 -"), std::string::npos) << optout;
  EXPECT_NE(optout.find("\tZONEMD\t"), std::string::npos);
  EXPECT_EQ(dns::read_file(served(dir, kNsecZone)).find("\tNSEC3"), std::string::npos);
  EXPECT_EQ(dns::read_file(served(dir, kUnsignedZone)).find("\tRRSIG\t"), std::string::npos);
  std::string journal = dns::read_file(dir / "state" / "journal.jsonl");
  EXPECT_NE(journal.find("\"gate\":\"dnssec\""), std::string::npos);
  EXPECT_NE(journal.find("\"event\":\"key-generated\""), std::string::npos) << journal;

  // Private keys are 0600.
  std::vector<fs::path> privates = private_files(dir / "state" / "keys");
  ASSERT_EQ(privates.size(), 3u);  // KSK + ZSK, one CSK
  for (const fs::path& p : privates) {
    EXPECT_EQ(fs::status(p).permissions() & fs::perms::all, fs::perms::owner_read | fs::perms::owner_write) << p;
  }

  // Nothing changed: nothing published, same serials and bytes.
  std::string before = dns::read_file(served(dir, kNsecZone));
  CommandResult second = run_rdnsprov(run_args(dir, now, "run"));
  ASSERT_EQ(second.exit_code, 0) << second.all();
  EXPECT_NE(second.all().find("0 published"), std::string::npos) << second.all();
  EXPECT_EQ(dns::read_file(served(dir, kNsecZone)), before);

  // diff signs in memory with the existing keys and writes nothing.
  CommandResult diff = run_rdnsprov(run_args(dir, now, "diff"));
  EXPECT_EQ(diff.exit_code, 0) << diff.all();

  // Ten days later the signatures are within the 12-day refresh window: re-signed, a new serial, still valid.
  long later = now + 10 * 86400;
  std::uint32_t old_nsec_serial = soa_serial(served(dir, kNsecZone));
  std::uint32_t old_optout_serial = soa_serial(served(dir, kOptOutZone));
  CommandResult diff_later = run_rdnsprov(run_args(dir, later, "diff"));
  EXPECT_EQ(diff_later.exit_code, 3) << diff_later.all();
  EXPECT_NE(diff_later.output.find("refresh window"), std::string::npos) << diff_later.output;
  CommandResult third = run_rdnsprov(run_args(dir, later, "run"));
  ASSERT_EQ(third.exit_code, 0) << third.all();
  EXPECT_NE(third.all().find("2 published"), std::string::npos) << third.all();
  EXPECT_GT(soa_serial(served(dir, kNsecZone)), old_nsec_serial);
  EXPECT_GT(soa_serial(served(dir, kOptOutZone)), old_optout_serial);
  for (const char* zone : {kNsecZone, kOptOutZone}) {
    SCOPED_TRACE(zone);
    bool optout_zone = std::string(zone) == kOptOutZone;
    for (const std::string& failure : verifier_failures(zone, served(dir, zone), later, false, optout_zone, optout_zone)) {
      ADD_FAILURE() << failure;
    }
  }

  // keys list shows every key with its role.
  CommandResult keys = run_rdnsprov({"--now", std::to_string(later), "-c", (dir / "rdnsprov.conf").string(), "keys", "list"});
  ASSERT_EQ(keys.exit_code, 0) << keys.all();
  EXPECT_NE(keys.output.find("zone 193.in-addr.arpa.  policy nsec  2 keys"), std::string::npos) << keys.output;
  EXPECT_NE(keys.output.find(" ksk "), std::string::npos) << keys.output;
  EXPECT_NE(keys.output.find(" zsk "), std::string::npos) << keys.output;
  EXPECT_NE(keys.output.find("ED25519(15)"), std::string::npos) << keys.output;
  EXPECT_NE(keys.output.find(" csk "), std::string::npos) << keys.output;

  // A private key made world-readable by hand is not used: the zone is held (exit 4), naming the file.
  fs::permissions(privates.front(), fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read |
                                        fs::perms::others_read);
  CommandResult refused = run_rdnsprov(run_args(dir, later + 86400, "run"));
  EXPECT_EQ(refused.exit_code, 4) << refused.all();
  EXPECT_NE(refused.all().find(privates.front().filename().string()), std::string::npos) << refused.all();
}

// `keys rollover`: the operator rolls a ZSK that may have been exposed, with no lifetime set. The next run
// pre-publishes its successor (journaled, in keys status); the zone still verifies; the key is refused a second
// rollover while in this one; bad arguments are usage errors or errors naming the key.
TEST(SignCommand, KeysRolloverStartsARolloverOfTheKeyAtTheNextRun) {
  TempDir dir;
  dns::write_file_atomically(dir / "rdnsprov.conf", signed_config());
  long now = static_cast<long>(std::time(nullptr));
  ASSERT_EQ(run_rdnsprov(run_args(dir, now, "run")).exit_code, 0);
  CommandResult list = rdnsprov_at(dir, now, {"keys", "list", "--zone", kNsecZone});
  ASSERT_EQ(list.exit_code, 0) << list.all();
  std::smatch zsk;
  ASSERT_TRUE(std::regex_search(list.output, zsk, std::regex("\\s([0-9]{5})\\s+\\S+\\s+zsk\\s+active"))) << list.output;
  std::string tag = std::to_string(std::stoi(zsk[1]));

  CommandResult asked = rdnsprov_at(dir, now, {"keys", "rollover", "--zone", kNsecZone, "--key", tag});
  ASSERT_EQ(asked.exit_code, 0) << asked.all();
  EXPECT_NE(asked.output.find("rollover of ZSK " + tag + ": the next run starts it"), std::string::npos) << asked.output;
  CommandResult status = rdnsprov_at(dir, now, {"keys", "status", "--zone", kNsecZone});
  EXPECT_NE(status.output.find("its rollover starts at the next run"), std::string::npos) << status.output;

  CommandResult run = run_rdnsprov(run_args(dir, now + 60, "run"));
  ASSERT_EQ(run.exit_code, 0) << run.all();
  std::string journal = dns::read_file(dir / "state" / "journal.jsonl");
  EXPECT_NE(journal.find("\"step\":\"rollover-requested\""), std::string::npos) << journal;
  EXPECT_NE(journal.find("\"step\":\"zsk-prepublished\""), std::string::npos) << journal;
  status = rdnsprov_at(dir, now + 60, {"keys", "status", "--zone", kNsecZone});
  EXPECT_NE(status.output.find("zsk-prepublished"), std::string::npos) << status.output;
  for (const std::string& failure : verifier_failures(kNsecZone, served(dir, kNsecZone), now + 60, false, false, false)) {
    ADD_FAILURE() << failure;
  }

  CommandResult twice = rdnsprov_at(dir, now + 60, {"keys", "rollover", "--zone", kNsecZone, "--key", tag});
  EXPECT_EQ(twice.exit_code, 1) << twice.all();
  EXPECT_NE(twice.all().find("already in a rollover"), std::string::npos) << twice.all();
  CommandResult unknown = rdnsprov_at(dir, now + 60, {"keys", "rollover", "--zone", kNsecZone, "--key", "1"});
  EXPECT_EQ(unknown.exit_code, 1) << unknown.all();
  EXPECT_NE(unknown.all().find("has no key 1"), std::string::npos) << unknown.all();
  EXPECT_EQ(rdnsprov_at(dir, now + 60, {"keys", "rollover", "--zone", kNsecZone}).exit_code, 2);
  EXPECT_EQ(rdnsprov_at(dir, now + 60, {"keys", "rollover", "--zone", kUnsignedZone, "--key", tag}).exit_code, 2);
}

// `keys list|status --format json`, for automation at the parent: every key with its state and, for a KSK, its DS
// (as dnssec-dsfromkey computes it from the key file); in a KSK rollover, the new DS to submit with its ds-seen
// command, then the old DS to remove, from when.
TEST(SignCommand, KeysStatusInJsonGivesTheDsToSubmitAndToRemove) {
  TempDir dir;
  dns::write_file_atomically(dir / "rdnsprov.conf", signed_config());
  long now = static_cast<long>(std::time(nullptr));
  ASSERT_EQ(run_rdnsprov(run_args(dir, now, "run")).exit_code, 0);
  auto status_at = [&](long at) {
    CommandResult r = rdnsprov_at(dir, at, {"keys", "status", "--zone", kNsecZone, "--format", "json"});
    EXPECT_EQ(r.exit_code, 0) << r.all();
    nlohmann::json j = nlohmann::json::parse(r.output, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r.output;
    EXPECT_EQ(j.at("zones").size(), 1u) << r.output;
    return j.is_discarded() ? nlohmann::json() : j.at("zones")[0];
  };
  CommandResult list = rdnsprov_at(dir, now, {"keys", "list", "--zone", kNsecZone, "--format", "json"});
  ASSERT_EQ(list.exit_code, 0) << list.all();
  nlohmann::json zone = nlohmann::json::parse(list.output).at("zones")[0];
  EXPECT_EQ(zone.at("zone"), std::string(kNsecZone) + ".");
  ASSERT_EQ(zone.at("keys").size(), 2u) << list.output;
  int old_ksk = -1;
  for (const nlohmann::json& k : zone.at("keys")) {
    EXPECT_EQ(k.at("state"), "active") << k.dump();
    EXPECT_EQ(k.at("algorithm"), 13) << k.dump();
    if (k.at("role") != "ksk") {
      EXPECT_FALSE(k.contains("ds")) << k.dump();
      continue;
    }
    old_ksk = k.at("key_tag");
    CommandResult ds = run_command({"dnssec-dsfromkey", "-2", k.at("file").get<std::string>()});
    ASSERT_EQ(ds.exit_code, 0) << ds.all();
    auto squeeze = [](std::string text) {
      std::erase_if(text, [](char c) { return std::isspace(static_cast<unsigned char>(c)); });
      for (char& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      return text;
    };
    EXPECT_EQ(squeeze(k.at("ds")), squeeze(ds.output)) << "as dnssec-dsfromkey computes it";
  }
  ASSERT_NE(old_ksk, -1) << list.output;
  zone = status_at(now);
  EXPECT_TRUE(zone.at("ds_to_submit").empty()) << zone.dump(2);
  EXPECT_TRUE(zone.at("ds_to_remove").empty()) << zone.dump(2);
  ASSERT_EQ(zone.at("rollovers").size(), 2u) << zone.dump(2);
  EXPECT_EQ(zone.at("rollovers")[0].at("phase"), "no lifetime") << zone.dump(2);

  // A KSK rollover: the new DS to submit, as the text's ACTION line gives it.
  ASSERT_EQ(rdnsprov_at(dir, now, {"keys", "rollover", "--zone", kNsecZone, "--key", std::to_string(old_ksk)}).exit_code, 0);
  ASSERT_EQ(run_rdnsprov(run_args(dir, now + 60, "run")).exit_code, 0);
  zone = status_at(now + 60);
  ASSERT_EQ(zone.at("ds_to_submit").size(), 1u) << zone.dump(2);
  const nlohmann::json& submit = zone.at("ds_to_submit")[0];
  int new_ksk = submit.at("key_tag");
  EXPECT_NE(new_ksk, old_ksk);
  CommandResult text = rdnsprov_at(dir, now + 60, {"keys", "status", "--zone", kNsecZone});
  EXPECT_NE(text.output.find(submit.at("ds").get<std::string>()), std::string::npos) << text.output;
  EXPECT_EQ(submit.at("confirm"), fmt::format("rdnsprov keys ds-seen --zone {}. --key {}", kNsecZone, new_ksk));
  EXPECT_TRUE(zone.at("ds_to_remove").empty()) << zone.dump(2);

  // Confirmed, and the new KSK took over: the old DS is to leave the parent, from a date the run after knows.
  ASSERT_EQ(rdnsprov_at(dir, now + 120, {"keys", "ds-seen", "--zone", kNsecZone, "--key", std::to_string(new_ksk)}).exit_code, 0);
  EXPECT_TRUE(status_at(now + 120).at("ds_to_submit").empty());
  long swap = now + 120 + 2 * 86400;
  ASSERT_EQ(run_rdnsprov(run_args(dir, swap, "run")).exit_code, 0);
  ASSERT_EQ(run_rdnsprov(run_args(dir, swap + 60, "run")).exit_code, 0);
  zone = status_at(swap + 60);
  ASSERT_EQ(zone.at("ds_to_remove").size(), 1u) << zone.dump(2);
  const nlohmann::json& remove = zone.at("ds_to_remove")[0];
  EXPECT_EQ(remove.at("key_tag"), old_ksk);
  ASSERT_TRUE(remove.at("from").is_string()) << remove.dump();
  EXPECT_FALSE(remove.at("now").get<bool>()) << remove.dump();
  // The old KSK's DS was never confirmed with keys ds-seen: the removal holds only if the parent serves it.
  EXPECT_FALSE(remove.at("confirmed").get<bool>()) << remove.dump();
  text = rdnsprov_at(dir, swap + 60, {"keys", "status", "--zone", kNsecZone});
  EXPECT_NE(text.output.find("never confirmed at the parent (keys ds-seen); if the parent serves it: keep the DS of KSK " +
                             std::to_string(old_ksk)),
            std::string::npos)
      << text.output;
  EXPECT_TRUE(status_at(swap + 60 + 2 * 86400).at("ds_to_remove")[0].at("now").get<bool>());
  // --format is for list and status alone.
  EXPECT_EQ(rdnsprov_at(dir, now, {"keys", "generate", "--format", "json"}).exit_code, 2);
  EXPECT_EQ(rdnsprov_at(dir, now, {"keys", "list", "--format", "yaml"}).exit_code, 2);
}

// The earliest RRSIG expiration of a master file, read from its text (YYYYMMDDHHmmSS, as rdnsprov writes it).
std::time_t earliest_rrsig_expiration(const fs::path& file) {
  std::string text = dns::read_file(file);
  static const std::regex rrsig(R"(\tRRSIG\t\S+ \d+ \d+ \d+ (\d{4})(\d\d)(\d\d)(\d\d)(\d\d)(\d\d) )");
  std::time_t earliest = 0;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), rrsig); it != std::sregex_iterator(); ++it) {
    std::tm tm{};
    tm.tm_year = std::stoi((*it)[1]) - 1900;
    tm.tm_mon = std::stoi((*it)[2]) - 1;
    tm.tm_mday = std::stoi((*it)[3]);
    tm.tm_hour = std::stoi((*it)[4]);
    tm.tm_min = std::stoi((*it)[5]);
    tm.tm_sec = std::stoi((*it)[6]);
    std::time_t t = timegm(&tm);
    if (earliest == 0 || t < earliest) earliest = t;
  }
  return earliest;
}

// While no run publishes (here: frozen), the served signatures run out. Every run says so once the first of them
// is within the policy's refresh window, and as expired after it; the metrics file carries the expiry of each
// signed zone's published version; the first run that publishes again re-signs, and the warning stops.
TEST(SignCommand, RunsWarnWhileThePublishedSignaturesRunOut) {
  TempDir dir;
  std::string config = signed_config();
  config.replace(config.find("registry = TEST-RIR\n"), 0, "metrics-file = rdnsprov.prom\n");
  dns::write_file_atomically(dir / "rdnsprov.conf", config);
  long now = 1800000000;
  ASSERT_EQ(run_rdnsprov(run_args(dir, now, "run")).exit_code, 0);
  auto expiry_metric = [&](const std::string& zone) {
    auto parsed = rdnsprov::testing::parse_prometheus_text(dns::read_file(dir / "rdnsprov.prom"));
    EXPECT_TRUE(parsed.problems.empty());
    return parsed.value("rdnsprov_zone_signatures_expire_timestamp_seconds", {{"zone", zone}});
  };
  std::time_t nsec_expiry = earliest_rrsig_expiration(served(dir, kNsecZone));
  std::time_t optout_expiry = earliest_rrsig_expiration(served(dir, kOptOutZone));
  // Both policies: 21-day signatures (1 day of jitter for nsec), a 12-day refresh window.
  ASSERT_GT(nsec_expiry, now + 19 * 86400);
  EXPECT_EQ(expiry_metric("193.in-addr.arpa"), nsec_expiry);
  EXPECT_EQ(expiry_metric("8.b.d.0.1.0.0.2.ip6.arpa"), optout_expiry);
  EXPECT_FALSE(expiry_metric(kUnsignedZone)) << "unsigned zone";

  ASSERT_EQ(run_rdnsprov({"--now", std::to_string(now + 3600), "-c", (dir / "rdnsprov.conf").string(), "freeze",
                          "--reason", "incident"}).exit_code, 0);
  CommandResult quiet = run_rdnsprov(run_args(dir, now + 7200, "run"));
  EXPECT_EQ(quiet.exit_code, 7) << quiet.all();
  EXPECT_EQ(quiet.all().find("signatures of the published version"), std::string::npos) << quiet.all();

  long later = std::max(nsec_expiry, optout_expiry) - 5 * 86400;
  CommandResult frozen = run_rdnsprov(run_args(dir, later, "run"));
  EXPECT_EQ(frozen.exit_code, 7) << frozen.all();
  for (const char* zone : {kNsecZone, kOptOutZone}) {
    EXPECT_NE(frozen.all().find(fmt::format("zone {}.: signatures of the published version", zone)), std::string::npos)
        << frozen.all();
  }
  EXPECT_NE(frozen.all().find("within the refresh window of 12.0 days"), std::string::npos) << frozen.all();
  EXPECT_EQ(frozen.all().find(fmt::format("zone {}.: signatures", kUnsignedZone)), std::string::npos) << frozen.all();
  // The dry run says so too, and lists it in its JSON.
  std::vector<std::string> diff_args = run_args(dir, later, "diff");
  diff_args.insert(diff_args.end(), {"--format", "json"});
  CommandResult diff = run_rdnsprov(diff_args);
  EXPECT_NE(diff.exit_code, 1) << diff.all();
  nlohmann::json plan = nlohmann::json::parse(diff.output);
  ASSERT_TRUE(plan.contains("published_signatures_expiring")) << diff.output;
  ASSERT_EQ(plan["published_signatures_expiring"].size(), 2u) << diff.output;
  EXPECT_NE(plan["published_signatures_expiring"][0].get<std::string>().find("zone 193.in-addr.arpa.: signatures"),
            std::string::npos)
      << diff.output;

  CommandResult expired = run_rdnsprov(run_args(dir, nsec_expiry + 1, "run"));
  EXPECT_EQ(expired.exit_code, 7) << expired.all();
  EXPECT_NE(expired.all().find(fmt::format("zone {}.: signatures of the published version", kNsecZone)),
            std::string::npos)
      << expired.all();
  EXPECT_NE(expired.all().find("(SERVFAIL) until a run publishes it"), std::string::npos) << expired.all();

  ASSERT_EQ(run_rdnsprov({"--now", std::to_string(later), "-c", (dir / "rdnsprov.conf").string(), "thaw"}).exit_code, 0);
  CommandResult thawed = run_rdnsprov(run_args(dir, later, "run"));
  EXPECT_EQ(thawed.exit_code, 0) << thawed.all();
  EXPECT_EQ(thawed.all().find("signatures of the published version"), std::string::npos) << thawed.all();
  EXPECT_GT(earliest_rrsig_expiration(served(dir, kNsecZone)), later + 12 * 86400);
  EXPECT_EQ(expiry_metric("193.in-addr.arpa"), earliest_rrsig_expiration(served(dir, kNsecZone)));
}

// The published metadata's trusted_ds of a zone.
std::vector<std::string> trusted_ds(const TempDir& dir, const std::string& zone) {
  nlohmann::json meta = nlohmann::json::parse(dns::read_file(dir / "state" / "published" / (zone + ".json")));
  return meta.value("trusted_ds", std::vector<std::string>{});
}

// Keys lost (or replaced) under a signed zone: new keys would sign a DNSKEY RRset no DS at the parent points to,
// so the whole zone would go bogus. diff and run hold it (naming the key the parent knows and both ways out), the
// servers keep the published version; with the key files back it publishes, and the parent's DS stays the one
// carried in the metadata even though the new KSK signs beside it; the old keys gone again, it holds again until
// the new KSK's DS is confirmed with keys ds-seen.
TEST(SignCommand, ASignedZoneIsNeverPublishedUnderKeysTheParentDoesNotKnow) {
  TempDir dir;
  dns::write_file_atomically(dir / "rdnsprov.conf", signed_config());
  long now = static_cast<long>(std::time(nullptr));
  auto rdnsprov = [&](long at, std::vector<std::string> args) { return rdnsprov_at(dir, at, std::move(args)); };
  ASSERT_EQ(run_rdnsprov(run_args(dir, now, "run")).exit_code, 0);
  std::vector<std::string> first_trust = trusted_ds(dir, kNsecZone);
  ASSERT_EQ(first_trust.size(), 1u) << "the KSK of the first signing";
  std::string old_ksk = first_trust[0].substr(0, first_trust[0].find(' '));
  std::uint32_t serial = soa_serial(served(dir, kNsecZone));

  fs::path keys = dir / "state" / "keys" / kNsecZone;
  fs::path backup = dir / "key-backup";
  fs::rename(keys, backup);
  CommandResult diff = rdnsprov(now + 3600, {"diff"});
  EXPECT_EQ(diff.exit_code, 4) << diff.all();
  EXPECT_NE(diff.output.find("new keys, which no DS at the parent points to, would sign the DNSKEY RRset in place of "
                             "key " + old_ksk),
            std::string::npos)
      << diff.output;
  CommandResult held = rdnsprov(now + 3600, {"run"});
  EXPECT_EQ(held.exit_code, 4) << held.all();
  EXPECT_NE(held.all().find("held by gate dnssec: the DNSKEY RRset would be signed by key"), std::string::npos)
      << held.all();
  EXPECT_NE(held.all().find("put the files of key " + old_ksk + " back"), std::string::npos) << held.all();
  EXPECT_EQ(soa_serial(served(dir, kNsecZone)), serial) << "the servers keep the published version";
  EXPECT_EQ(trusted_ds(dir, kNsecZone), first_trust);

  // The key files back beside the new ones: the old KSK signs again, and the DNSKEY RRset publishes.
  for (const auto& e : fs::directory_iterator(backup)) fs::copy_file(e.path(), keys / e.path().filename());
  CommandResult restored = rdnsprov(now + 7200, {"run"});
  EXPECT_EQ(restored.exit_code, 0) << restored.all();
  EXPECT_GT(soa_serial(served(dir, kNsecZone)), serial);
  EXPECT_EQ(trusted_ds(dir, kNsecZone), first_trust) << "the new KSK signs too, but no DS points to it";
  for (const std::string& failure : verifier_failures(kNsecZone, served(dir, kNsecZone), now + 7200, false)) {
    ADD_FAILURE() << failure;
  }

  // The old keys removed by hand: held again, naming the new KSK to confirm.
  for (const auto& e : fs::directory_iterator(backup)) fs::remove(keys / e.path().filename());
  serial = soa_serial(served(dir, kNsecZone));
  CommandResult again = rdnsprov(now + 10800, {"run"});
  EXPECT_EQ(again.exit_code, 4) << again.all();
  std::smatch m;
  std::string text = again.all();
  ASSERT_TRUE(std::regex_search(text, m, std::regex(R"(keys ds-seen --zone 193\.in-addr\.arpa\. --key (\d+))")))
      << text;
  std::string new_ksk = m[1];
  EXPECT_NE(new_ksk, old_ksk);
  EXPECT_NE(text.find("(193.in-addr.arpa. IN DS " + new_ksk + " 13 2 "), std::string::npos) << "the DS to submit: " << text;
  EXPECT_EQ(soa_serial(served(dir, kNsecZone)), serial);

  // The parent now serves the new KSK's DS, and the operator says so: the zone publishes under it.
  CommandResult seen = rdnsprov(now + 10800, {"keys", "ds-seen", "--zone", kNsecZone, "--key", new_ksk});
  ASSERT_EQ(seen.exit_code, 0) << seen.all();
  CommandResult rekeyed = rdnsprov(now + 14400, {"run"});
  EXPECT_EQ(rekeyed.exit_code, 0) << rekeyed.all();
  EXPECT_GT(soa_serial(served(dir, kNsecZone)), serial);
  std::vector<std::string> new_trust = trusted_ds(dir, kNsecZone);
  ASSERT_EQ(new_trust.size(), 1u);
  EXPECT_TRUE(new_trust[0].starts_with(new_ksk + " 13 2 ")) << new_trust[0];
  for (const std::string& failure : verifier_failures(kNsecZone, served(dir, kNsecZone), now + 14400, false)) {
    ADD_FAILURE() << failure;
  }
}

// The DS text ("TAG 13 2 HEX") the NSEC zone's published version is trusted through, and its KSK's tag.
struct SignedStart {
  std::string ds;
  std::string ksk;
};

// The configuration of signed_config() in `dir`, and a first run at `now` that publishes the zones signed. Empty
// (with a test failure) unless the NSEC zone is trusted through one DS.
SignedStart first_signed_publication(const TempDir& dir, long now) {
  dns::write_file_atomically(dir / "rdnsprov.conf", signed_config());
  CommandResult run = run_rdnsprov(run_args(dir, now, "run"));
  EXPECT_EQ(run.exit_code, 0) << run.all();
  std::vector<std::string> trust = trusted_ds(dir, kNsecZone);
  EXPECT_EQ(trust.size(), 1u);
  if (trust.size() != 1) return {};
  return {trust[0], trust[0].substr(0, trust[0].find(' '))};
}

// Removes the NSEC zone's dnssec-policy from the configuration in `dir` (the zone is to go unsigned).
void remove_nsec_zone_policy(const TempDir& dir) {
  std::string config = dns::read_file(dir / "rdnsprov.conf");
  std::string section = fmt::format("[zone.{}]\ndnssec-policy = nsec\n", kNsecZone);
  ASSERT_NE(config.find(section), std::string::npos) << config;
  config.replace(config.find(section), section.size(), fmt::format("[zone.{}]\n", kNsecZone));
  dns::write_file_atomically(dir / "rdnsprov.conf", config);
}

// A signed zone whose dnssec-policy is removed: published unsigned while the parent's DS still points to its key,
// every validating resolver would fail the whole zone. diff and run hold it, naming the key and the way out; once
// the operator confirms the DS is gone (keys ds-gone, journaled), the next run publishes it unsigned.
TEST(SignCommand, ASignedZoneGoesUnsignedOnlyOnceTheParentsDsIsConfirmedGone) {
  TempDir dir;
  long now = static_cast<long>(std::time(nullptr));
  auto rdnsprov = [&](long at, std::vector<std::string> args) { return rdnsprov_at(dir, at, std::move(args)); };
  const SignedStart start = first_signed_publication(dir, now);
  ASSERT_FALSE(start.ksk.empty());
  const std::string& ksk = start.ksk;
  std::uint32_t serial = soa_serial(served(dir, kNsecZone));
  ASSERT_NE(dns::read_file(served(dir, kNsecZone)).find("\tRRSIG\t"), std::string::npos);
  // Signed for the first time: keys status asks for the KSK's DS at the parent until it is confirmed.
  const std::string unconfirmed = "NOTE: no DS of the zone's KSK " + ksk + " is confirmed at the parent";
  EXPECT_NE(rdnsprov(now, {"keys", "status", "--zone", kNsecZone}).output.find(unconfirmed), std::string::npos);
  ASSERT_EQ(rdnsprov(now, {"keys", "ds-seen", "--zone", kNsecZone, "--key", ksk}).exit_code, 0);
  EXPECT_EQ(rdnsprov(now, {"keys", "status", "--zone", kNsecZone}).output.find(unconfirmed), std::string::npos);
  const fs::path ksk_state = dir / "state" / "keys" / kNsecZone / (ksk + ".state");
  EXPECT_TRUE(nlohmann::json::parse(dns::read_file(ksk_state)).contains("ds_published"));

  remove_nsec_zone_policy(dir);
  std::string way_out = fmt::format("keys ds-gone --zone {}.", kNsecZone);
  CommandResult diff = rdnsprov(now + 3600, {"diff"});
  EXPECT_EQ(diff.exit_code, 4) << diff.all();
  EXPECT_NE(diff.output.find("the parent may serve the DS of key " + ksk + ":"), std::string::npos) << diff.output;
  EXPECT_NE(diff.output.find(way_out), std::string::npos) << diff.output;
  CommandResult held = rdnsprov(now + 3600, {"run"});
  EXPECT_EQ(held.exit_code, 4) << held.all();
  EXPECT_NE(held.all().find("held by gate dnssec: the zone has no dnssec-policy any more"), std::string::npos)
      << held.all();
  EXPECT_EQ(soa_serial(served(dir, kNsecZone)), serial) << "the servers keep the signed version";
  EXPECT_NE(dns::read_file(served(dir, kNsecZone)).find("\tRRSIG\t"), std::string::npos);
  for (std::vector<std::string> args : {std::vector<std::string>{"keys", "status"},
                                        std::vector<std::string>{"keys", "status", "--zone", kNsecZone}}) {
    CommandResult status = rdnsprov(now + 3600, args);
    EXPECT_EQ(status.exit_code, 0) << status.all();
    EXPECT_NE(status.output.find(fmt::format("  parent DS: {}. IN DS {}\n", kNsecZone, start.ds)), std::string::npos)
        << status.output;
    EXPECT_NE(status.output.find("  ACTION: run holds the zone. Remove every one of these DS at the parent"),
              std::string::npos)
        << status.output;
  }
  // The same in JSON.
  auto going_unsigned_json = [&](long at) {
    CommandResult json = rdnsprov(at, {"keys", "status", "--format", "json"});
    EXPECT_EQ(json.exit_code, 0) << json.all();
    nlohmann::json going = nlohmann::json::parse(json.output).at("going_unsigned");
    EXPECT_EQ(going.size(), 1u) << json.output;
    return going.empty() ? nlohmann::json::object() : going[0];
  };
  nlohmann::json going = going_unsigned_json(now + 3600);
  EXPECT_EQ(going.value("zone", ""), std::string(kNsecZone) + ".");
  EXPECT_EQ(going.value("parent_ds", nlohmann::json()),
            nlohmann::json::array({fmt::format("{}. IN DS {}", kNsecZone, start.ds)}));
  EXPECT_TRUE(going.value("confirmed_gone_at", nlohmann::json("")).is_null()) << going.dump();

  CommandResult gone = rdnsprov(now + 7200, {"keys", "ds-gone", "--zone", kNsecZone});
  ASSERT_EQ(gone.exit_code, 0) << gone.all();
  EXPECT_NE(gone.output.find(fmt::format("confirmed: the parent no longer serves {}. IN DS {}", kNsecZone, start.ds)),
            std::string::npos)
      << gone.output;
  EXPECT_NE(dns::read_file(dir / "state" / "journal.jsonl").find("\"event\":\"ds-gone\""), std::string::npos);
  EXPECT_TRUE(fs::exists(dir / "state" / "keys" / kNsecZone / "ds-gone.json"));
  // The parent serves no DS of the zone: the KSK's confirmation is gone with it (signed again, keys status asks anew).
  EXPECT_FALSE(nlohmann::json::parse(dns::read_file(ksk_state)).contains("ds_published"));
  CommandResult confirmed = rdnsprov(now + 7200, {"keys", "status", "--zone", kNsecZone});
  EXPECT_EQ(confirmed.exit_code, 0) << confirmed.all();
  EXPECT_NE(confirmed.output.find("the next run publishes the zone unsigned"), std::string::npos) << confirmed.output;
  EXPECT_TRUE(going_unsigned_json(now + 7200).at("confirmed_gone_at").is_string());
  CommandResult unsigned_run = rdnsprov(now + 7200, {"run"});
  EXPECT_EQ(unsigned_run.exit_code, 0) << unsigned_run.all();
  EXPECT_GT(soa_serial(served(dir, kNsecZone)), serial);
  EXPECT_EQ(dns::read_file(served(dir, kNsecZone)).find("\tRRSIG\t"), std::string::npos);
  EXPECT_TRUE(trusted_ds(dir, kNsecZone).empty());
  EXPECT_FALSE(fs::exists(dir / "state" / "keys" / kNsecZone / "ds-gone.json")) << "the confirmation did its work";
  CommandResult quiet = rdnsprov(now + 7200, {"keys", "status", "--zone", kNsecZone});
  EXPECT_EQ(quiet.exit_code, 0) << quiet.all();
  EXPECT_EQ(quiet.output.find(kNsecZone), std::string::npos) << "an unsigned zone has no status: " << quiet.output;
  CommandResult nothing = rdnsprov(now + 7200, {"keys", "ds-gone", "--zone", kNsecZone});
  EXPECT_EQ(nothing.exit_code, 0) << nothing.all();
  EXPECT_NE(nothing.output.find("is not signed, no DS binds it; nothing recorded"), std::string::npos)
      << nothing.output;
}

// The dnssec-policy removed while a KSK rollover waits for its new DS: the operator was asked to submit that DS and
// may have done so already, so the hold, keys status and ds-gone name it beside the published KSK's, and the zone
// goes unsigned only once both are confirmed gone.
TEST(SignCommand, GoingUnsignedDuringAKskRolloverCountsTheDsItAskedFor) {
  TempDir dir;
  long now = static_cast<long>(std::time(nullptr));
  auto rdnsprov = [&](long at, std::vector<std::string> args) { return rdnsprov_at(dir, at, std::move(args)); };
  const SignedStart start = first_signed_publication(dir, now);
  ASSERT_FALSE(start.ksk.empty());
  ASSERT_EQ(rdnsprov(now, {"keys", "rollover", "--zone", kNsecZone, "--key", start.ksk}).exit_code, 0);
  ASSERT_EQ(rdnsprov(now + 3600, {"run"}).exit_code, 0);
  CommandResult json = rdnsprov(now + 3600, {"keys", "status", "--format", "json", "--zone", kNsecZone});
  ASSERT_EQ(json.exit_code, 0) << json.all();
  nlohmann::json submit = nlohmann::json::parse(json.output).at("zones").at(0).at("ds_to_submit");
  ASSERT_EQ(submit.size(), 1u) << json.output;
  std::string asked = std::to_string(submit[0].at("key_tag").get<int>());
  ASSERT_NE(asked, start.ksk);

  remove_nsec_zone_policy(dir);
  std::uint32_t serial = soa_serial(served(dir, kNsecZone));
  CommandResult held = rdnsprov(now + 7200, {"run"});
  EXPECT_EQ(held.exit_code, 4) << held.all();
  std::string both = std::min(start.ksk, asked) + ", " + std::max(start.ksk, asked);  // the DS texts in order
  EXPECT_NE(held.all().find("the parent may serve the DS of key " + both + ":"), std::string::npos) << held.all();
  CommandResult status = rdnsprov(now + 7200, {"keys", "status", "--zone", kNsecZone});
  EXPECT_NE(status.output.find(fmt::format("  parent DS: {}. IN DS {} 13 2 ", kNsecZone, asked)), std::string::npos)
      << status.output;
  CommandResult gone = rdnsprov(now + 7200, {"keys", "ds-gone", "--zone", kNsecZone});
  ASSERT_EQ(gone.exit_code, 0) << gone.all();
  EXPECT_NE(gone.output.find(fmt::format("the parent no longer serves {}. IN DS {} 13 2 ", kNsecZone, asked)),
            std::string::npos)
      << gone.output;
  CommandResult unsigned_run = rdnsprov(now + 10800, {"run"});
  EXPECT_EQ(unsigned_run.exit_code, 0) << unsigned_run.all();
  EXPECT_GT(soa_serial(served(dir, kNsecZone)), serial);
  EXPECT_EQ(dns::read_file(served(dir, kNsecZone)).find("\tRRSIG\t"), std::string::npos);
}

// A damaged or hand-edited ds-gone.json confirms nothing (the zone stays held) instead of stopping the run; a good
// one reads back what was written.
// Times in messages and state files; one read from a damaged file may lie past any date.
TEST(UtcText, SpellsTimesAsDatesAndTimesPastAnyDateAsNumbers) {
  EXPECT_EQ(utc_text(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(utc_text(1800000000), "2027-01-15T08:00:00Z");
  EXPECT_EQ(utc_text(253402300799), "9999-12-31T23:59:59Z");
  EXPECT_EQ(utc_text(std::int64_t{1} << 62), "4611686018427387904 seconds after 1970-01-01T00:00:00Z");
}

TEST(DsGoneFile, ReadsBackWhatWasWrittenAndADamagedOneConfirmsNothing) {
  TempDir dir;
  dns::Name apex = *dns::Name::from_text(kNsecZone);
  EXPECT_FALSE(read_ds_gone(dir.path(), apex));
  write_ds_gone(dir.path(), apex, DsGone{{"12345 13 2 ABCD", "23456 13 2 EF01"}, 1790000000});
  std::optional<DsGone> back = read_ds_gone(dir.path(), apex);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->ds, (std::set<std::string>{"12345 13 2 ABCD", "23456 13 2 EF01"}));
  EXPECT_EQ(back->confirmed_at, 1790000000);
  fs::path file = dir / kNsecZone / "ds-gone.json";
  ASSERT_TRUE(fs::exists(file));
  for (const char* bad : {"", "{", "[]", R"({"ds": "12345 13 2 ABCD", "confirmed_at_unix": 1})",
                          R"({"ds": [1], "confirmed_at_unix": 1})", R"({"ds": [], "confirmed_at_unix": 1e300})",
                          R"({"ds": [], "confirmed_at_unix": "1"})", R"({"ds": []})"}) {
    dns::write_file_atomically(file, bad);
    EXPECT_FALSE(read_ds_gone(dir.path(), apex)) << bad;
  }
  clear_ds_gone(dir.path(), apex);
  EXPECT_FALSE(fs::exists(file));
}

TEST(SignCommand, SignsTheBundledExampleZoneFileAndKeysListShowsTheKeys) {
  TempDir dir;
  dns::write_file_atomically(dir / "rdnsprov.conf", signed_config() + "[policy.plain]\nsignature-validity = 10d\nrefresh = 3d\n"
                                                    "validity-margin = 2d\n"
                                                    "[policy.long]\nsignature-validity = 30d\nrefresh = 15d\n");
  long now = static_cast<long>(std::time(nullptr));
  fs::path example = source_dir() / "ops" / "examples" / "rdnsprov.conf";
  CommandResult build = run_rdnsprov({"--now", std::to_string(now), "-c", example.string(), "build", "--out",
                                      (dir / "built").string()});
  ASSERT_EQ(build.exit_code, 0) << build.all();
  fs::path in = dir / "built" / "193.in-addr.arpa.zone";
  ASSERT_TRUE(fs::exists(in)) << build.all();
  std::vector<std::string> sign{"--now", std::to_string(now), "-c", (dir / "rdnsprov.conf").string(), "sign",
                                "--zone", kNsecZone, "--in", in.string(), "--out", (dir / "signed.zone").string()};

  // The example's SOA EXPIRE is 14 days: a policy with 9-10-day signatures would have them expire first, so the
  // verification fails and nothing is written (exit 4). Keys went to STATE/keys/<zone>/.
  std::vector<std::string> plain = sign;
  plain.insert(plain.end(), {"--policy", "plain"});
  CommandResult held = run_rdnsprov(plain);
  EXPECT_EQ(held.exit_code, 4) << held.all();
  EXPECT_FALSE(fs::exists(dir / "signed.zone"));
  EXPECT_NE(held.all().find("SOA EXPIRE"), std::string::npos) << held.all();
  EXPECT_EQ(private_files(dir / "state" / "keys").size(), 2u);

  // With a policy whose signatures outlast it, and keys in a directory of our own.
  sign.insert(sign.end(), {"--policy", "long", "--keys", (dir / "own-keys").string()});
  CommandResult ok = run_rdnsprov(sign);
  ASSERT_EQ(ok.exit_code, 0) << ok.all();
  EXPECT_NE(ok.output.find("verified:"), std::string::npos) << ok.output;
  for (const std::string& failure : verifier_failures(kNsecZone, dir / "signed.zone", now, true)) ADD_FAILURE() << failure;
  EXPECT_EQ(private_files(dir / "own-keys").size(), 2u);
  // Signed again: every signature reused.
  CommandResult again = run_rdnsprov(sign);
  ASSERT_EQ(again.exit_code, 0) << again.all();
  EXPECT_NE(again.output.find(" 0 signatures created"), std::string::npos) << again.output;

  // keys generate makes what the policies lack; keys list shows them.
  CommandResult generate = run_rdnsprov({"--now", std::to_string(now), "-c", (dir / "rdnsprov.conf").string(), "keys",
                                         "generate", "--zone", kOptOutZone});
  ASSERT_EQ(generate.exit_code, 0) << generate.all();
  EXPECT_NE(generate.output.find("1 key generated"), std::string::npos) << generate.output;

  // keys import takes the BIND files `sign --keys` wrote.
  CommandResult import = run_rdnsprov({"--now", std::to_string(now), "-c", (dir / "rdnsprov.conf").string(), "keys",
                                       "import", "--zone", kNsecZone, "--from", (dir / "own-keys").string()});
  ASSERT_EQ(import.exit_code, 0) << import.all();
  CommandResult list = run_rdnsprov({"--now", std::to_string(now), "-c", (dir / "rdnsprov.conf").string(), "keys",
                                     "list"});
  ASSERT_EQ(list.exit_code, 0) << list.all();
  EXPECT_NE(list.output.find("zone 193.in-addr.arpa.  policy nsec  4 keys"), std::string::npos) << list.output;
  EXPECT_NE(list.output.find("zone 8.b.d.0.1.0.0.2.ip6.arpa.  policy optout  1 keys"), std::string::npos)
      << list.output;

  // Imported again, the keys the zone has keep their state files (their rollover steps) as they are.
  auto state_files = [&] {
    std::map<std::string, std::string> files;
    for (const auto& f : fs::directory_iterator(dir / "state" / "keys" / kNsecZone)) {
      if (f.path().extension() == ".state") files[f.path().filename().string()] = dns::read_file(f.path());
    }
    return files;
  };
  const std::map<std::string, std::string> states = state_files();
  ASSERT_EQ(states.size(), 4u);
  CommandResult reimport = run_rdnsprov({"--now", std::to_string(now + 3600), "-c", (dir / "rdnsprov.conf").string(),
                                         "keys", "import", "--zone", kNsecZone, "--from", (dir / "own-keys").string()});
  ASSERT_EQ(reimport.exit_code, 0) << reimport.all();
  EXPECT_NE(reimport.output.find("already has key"), std::string::npos) << reimport.output;
  EXPECT_EQ(state_files(), states);

  // A key of another zone in files named for this one, and a key whose BIND timing schedules its end, are refused
  // before anything is written.
  fs::path foreign = dir / "foreign-keys";
  fs::create_directories(foreign);
  CommandResult foreign_key =
      run_command({"dnssec-keygen", "-q", "-K", foreign.string(), "-a", "ECDSAP256SHA256", "0.194.in-addr.arpa"});
  ASSERT_EQ(foreign_key.exit_code, 0) << foreign_key.all();
  for (const auto& f : fs::directory_iterator(foreign)) {
    std::string name = f.path().filename().string();
    fs::rename(f.path(), foreign / ("K193.in-addr.arpa." + name.substr(std::string("K0.194.in-addr.arpa.").size())));
  }
  CommandResult not_ours = run_rdnsprov({"--now", std::to_string(now), "-c", (dir / "rdnsprov.conf").string(), "keys",
                                         "import", "--zone", kNsecZone, "--from", foreign.string()});
  EXPECT_EQ(not_ours.exit_code, 1) << not_ours.all();
  EXPECT_NE(not_ours.all().find("a key of 0.194.in-addr.arpa., not of 193.in-addr.arpa."), std::string::npos)
      << not_ours.all();
  fs::path scheduled = dir / "scheduled-keys";
  fs::create_directories(scheduled);
  CommandResult scheduled_key = run_command({"dnssec-keygen", "-q", "-K", scheduled.string(), "-a", "ECDSAP256SHA256",
                                             "-I", std::to_string(now + 86400), kNsecZone});
  ASSERT_EQ(scheduled_key.exit_code, 0) << scheduled_key.all();
  CommandResult retiring = run_rdnsprov({"--now", std::to_string(now), "-c", (dir / "rdnsprov.conf").string(), "keys",
                                         "import", "--zone", kNsecZone, "--from", scheduled.string()});
  EXPECT_EQ(retiring.exit_code, 1) << retiring.all();
  EXPECT_NE(retiring.all().find("its timing says Inactive"), std::string::npos) << retiring.all();
  EXPECT_NE(retiring.all().find("nothing imported"), std::string::npos) << retiring.all();
  EXPECT_EQ(state_files(), states);
  std::size_t key_files = 0;
  for (const auto& f : fs::directory_iterator(dir / "state" / "keys" / kNsecZone)) key_files += f.path().extension() == ".key";
  EXPECT_EQ(key_files, 4u);

  // A key of another algorithm than the policy's (ECDSAP256SHA256 for policy nsec) is refused with the policy
  // named, and nothing of the directory is imported, not even the key beside it that would fit.
  fs::path mixed = dir / "mixed-keys";
  fs::create_directories(mixed);
  for (const char* algorithm : {"ED25519", "ECDSAP256SHA256"}) {
    CommandResult keygen = run_command({"dnssec-keygen", "-q", "-K", mixed.string(), "-a", algorithm, kNsecZone});
    ASSERT_EQ(keygen.exit_code, 0) << keygen.all();
  }
  CommandResult refused = run_rdnsprov({"--now", std::to_string(now), "-c", (dir / "rdnsprov.conf").string(), "keys",
                                        "import", "--zone", kNsecZone, "--from", mixed.string()});
  EXPECT_EQ(refused.exit_code, 1) << refused.all();
  EXPECT_NE(refused.all().find("algorithm ED25519(15)"), std::string::npos) << refused.all();
  EXPECT_NE(refused.all().find("[policy.nsec] algorithm"), std::string::npos) << refused.all();
  EXPECT_NE(refused.all().find("nothing imported"), std::string::npos) << refused.all();
  CommandResult unchanged = run_rdnsprov({"--now", std::to_string(now), "-c", (dir / "rdnsprov.conf").string(), "keys",
                                          "list", "--zone", kNsecZone});
  ASSERT_EQ(unchanged.exit_code, 0) << unchanged.all();
  EXPECT_NE(unchanged.output.find("policy nsec  4 keys"), std::string::npos) << unchanged.output;
  CommandResult one_algorithm = run_rdnsprov({"--now", std::to_string(now), "-c", (dir / "rdnsprov.conf").string(),
                                              "keys", "status", "--zone", kNsecZone});
  ASSERT_EQ(one_algorithm.exit_code, 0) << one_algorithm.all();
  EXPECT_EQ(one_algorithm.output.find("algorithm"), std::string::npos) << one_algorithm.output;

  // The policy's algorithm changed: keys of the new one are generated beside the old ones, and keys status says
  // that both sign, and that the new KSK's DS is asked for once a run has published it.
  std::string text = dns::read_file(dir / "rdnsprov.conf");
  text.replace(text.find("[policy.nsec]\n"), std::string("[policy.nsec]\n").size(), "[policy.nsec]\nalgorithm = ed25519\n");
  dns::write_file_atomically(dir / "rdnsprov.conf", text);
  ASSERT_EQ(run_rdnsprov({"--now", std::to_string(now), "-c", (dir / "rdnsprov.conf").string(), "keys", "generate",
                          "--zone", kNsecZone}).exit_code, 0);
  CommandResult two_algorithms = run_rdnsprov({"--now", std::to_string(now), "-c", (dir / "rdnsprov.conf").string(),
                                               "keys", "status", "--zone", kNsecZone});
  ASSERT_EQ(two_algorithms.exit_code, 0) << two_algorithms.all();
  EXPECT_NE(two_algorithms.output.find("ksk rollover: keyset-rollover\n    key set rollover (algorithm 13 → 15): KSK "),
            std::string::npos)
      << two_algorithms.output;
  EXPECT_NE(two_algorithms.output.find("zsk rollover: keyset-rollover\n    key set rollover (algorithm 13 → 15): ZSK "),
            std::string::npos)
      << two_algorithms.output;
  EXPECT_NE(two_algorithms.output.find("its DS may replace the old one at the parent from the date shown after the "
                                       "next run"),
            std::string::npos)
      << two_algorithms.output;
}

// NSEC3 owner names of a signed master file.
std::set<std::string> nsec3_owners(const fs::path& file) {
  std::set<std::string> out;
  std::istringstream in(dns::read_file(file));
  for (std::string line; std::getline(in, line);) {
    if (line.find("\tNSEC3\t") != std::string::npos) out.insert(line.substr(0, line.find('\t')));
  }
  return out;
}

// A previous signed zone that misleads the patch — here one with a stale NSEC3 entry, correctly signed, for a name
// that has gone: the patch keeps it, so the result does not verify (as --no-verify shows). A verifying `sign`
// then signs the zone afresh from its input and writes a zone that verifies, and says so. (`run` and `rebuild`
// sign through the same function.)
TEST(SignCommand, APreviousZoneThatMisleadsThePatchCostsAFreshSigningNotAHold) {
  TempDir dir;
  dns::write_file_atomically(dir / "rdnsprov.conf",
                             signed_config() + "[policy.n3]\ndenial = nsec3\nnsec3-salt = -\nsignature-validity = 30d\n"
                                               "refresh = 15d\n");
  long now = static_cast<long>(std::time(nullptr));
  fs::path example = source_dir() / "ops" / "examples" / "rdnsprov.conf";
  ASSERT_EQ(run_rdnsprov({"--now", std::to_string(now), "-c", example.string(), "build", "--out",
                          (dir / "built").string()}).exit_code, 0);
  fs::path with_name = dir / "built" / "193.in-addr.arpa.zone";
  // The same zone without the owner 1.7.5.193.in-addr.arpa (an RFC 2317 CNAME).
  std::string without;
  {
    std::istringstream in(dns::read_file(with_name));
    for (std::string line; std::getline(in, line);) {
      if (!line.starts_with("1.7.5.193.in-addr.arpa.\t")) without += line + "\n";
    }
  }
  ASSERT_LT(without.size(), dns::read_file(with_name).size());
  dns::write_file_atomically(dir / "without.zone", without);
  auto sign = [&](const fs::path& in, const fs::path& out, bool verify) {
    std::vector<std::string> args{"--now", std::to_string(now), "-c", (dir / "rdnsprov.conf").string(), "sign",
                                  "--zone", kNsecZone, "--policy", "n3", "--keys", (dir / "keys").string(),
                                  "--in", in.string(), "--out", out.string()};
    if (!verify) args.push_back("--no-verify");
    return run_rdnsprov(args);
  };
  ASSERT_EQ(sign(with_name, dir / "with.signed", true).exit_code, 0);
  ASSERT_EQ(sign(dir / "without.zone", dir / "without.signed", true).exit_code, 0);
  std::set<std::string> stale;
  std::set<std::string> kept = nsec3_owners(dir / "without.signed");
  for (const std::string& owner : nsec3_owners(dir / "with.signed")) {
    if (!kept.count(owner)) stale.insert(owner);
  }
  ASSERT_EQ(stale.size(), 1u) << "the NSEC3 entry of the name that went";
  std::string misleading = dns::read_file(dir / "without.signed");
  {
    std::istringstream in(dns::read_file(dir / "with.signed"));
    for (std::string line; std::getline(in, line);) {
      if (line.starts_with(*stale.begin() + "\t")) misleading += line + "\n";  // the NSEC3 and its RRSIG
    }
  }
  dns::write_file_atomically(dir / "unverified.signed", misleading);
  dns::write_file_atomically(dir / "out.signed", misleading);

  CommandResult unverified = sign(dir / "without.zone", dir / "unverified.signed", false);
  ASSERT_EQ(unverified.exit_code, 0) << unverified.all();
  EXPECT_NE(unverified.output.find("previous signed zone patched"), std::string::npos) << unverified.output;
  CommandResult check = run_rdnsprov({"--now", std::to_string(now), "-c", (dir / "rdnsprov.conf").string(),
                                      "verify-zone", "--zone", kNsecZone, "--policy", "n3", "--in",
                                      (dir / "unverified.signed").string()});
  EXPECT_EQ(check.exit_code, 4) << "the patch was misled: " << check.all();

  CommandResult fresh = sign(dir / "without.zone", dir / "out.signed", true);
  ASSERT_EQ(fresh.exit_code, 0) << fresh.all();
  EXPECT_NE(fresh.output.find("the previous signed zone gave a zone that does not verify: signed afresh"),
            std::string::npos)
      << fresh.output;
  EXPECT_NE(fresh.all().find("matches no name of the zone"), std::string::npos) << "the reason is logged: " << fresh.all();
  EXPECT_NE(fresh.output.find("verified:"), std::string::npos) << fresh.output;
  EXPECT_EQ(nsec3_owners(dir / "out.signed"), kept);
  for (const std::string& failure : verifier_failures(kNsecZone, dir / "out.signed", now, true)) ADD_FAILURE() << failure;
}

TEST(SignCommand, NoVerifyWritesWhatVerifyZoneThenRefusesAndVerifyZoneChecksAnySignersFile) {
  TempDir dir;
  dns::write_file_atomically(dir / "rdnsprov.conf", signed_config() + "[policy.short]\nsignature-validity = 10d\n"
                                                    "refresh = 3d\nvalidity-margin = 2d\n");
  long now = static_cast<long>(std::time(nullptr));
  fs::path example = source_dir() / "ops" / "examples" / "rdnsprov.conf";
  ASSERT_EQ(run_rdnsprov({"--now", std::to_string(now), "-c", example.string(), "build", "--out",
                          (dir / "built").string()}).exit_code, 0);
  fs::path in = dir / "built" / "193.in-addr.arpa.zone";
  auto rdnsprov = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {"--now", std::to_string(now), "-c", (dir / "rdnsprov.conf").string()});
    return run_rdnsprov(args);
  };
  // 10-day signatures in a zone whose SOA EXPIRE is 14 days: `sign` refuses them, --no-verify writes them.
  CommandResult unverified = rdnsprov({"sign", "--zone", kNsecZone, "--in", in.string(), "--out",
                                       (dir / "short.zone").string(), "--keys", (dir / "keys").string(),
                                       "--policy", "short", "--no-verify"});
  ASSERT_EQ(unverified.exit_code, 0) << unverified.all();
  EXPECT_NE(unverified.output.find("not verified (--no-verify)"), std::string::npos) << unverified.output;
  ASSERT_TRUE(fs::exists(dir / "short.zone"));
  CommandResult refused = rdnsprov({"verify-zone", "--zone", kNsecZone, "--in", (dir / "short.zone").string(),
                                    "--policy", "short"});
  EXPECT_EQ(refused.exit_code, 4) << refused.all();
  EXPECT_NE(refused.all().find("SOA EXPIRE"), std::string::npos) << refused.all();
  EXPECT_NE(refused.output.find("does not verify"), std::string::npos) << refused.output;

  // A zone signed by BIND with the same keys verifies; one altered DS digest does not, and the problem names it.
  // (-d: its dsset- file goes to the test's directory, not the working directory.)
  CommandResult bind_signed = run_command({"dnssec-signzone", "-q", "-S", "-K", (dir / "keys").string(), "-d",
                                           dir.path().string(), "-o", kNsecZone, "-f", (dir / "bind.zone").string(),
                                           in.string()});
  ASSERT_EQ(bind_signed.exit_code, 0) << bind_signed.all();
  CommandResult good = rdnsprov({"verify-zone", "--zone", kNsecZone, "--in", (dir / "bind.zone").string()});
  EXPECT_EQ(good.exit_code, 0) << good.all();
  EXPECT_NE(good.output.find(": verified, "), std::string::npos) << good.output;
  EXPECT_NE(good.output.find("nsec chain complete"), std::string::npos) << good.output;
  std::string text = dns::read_file(dir / "bind.zone");
  std::smatch ds;
  ASSERT_TRUE(std::regex_search(text, ds, std::regex("\\sDS\\s+[0-9]+ [0-9]+ 2 \\(?\\s*([0-9A-F]{8})"))) << "a DS to alter";
  std::string altered = text;
  std::size_t at = static_cast<std::size_t>(ds.position(1));
  altered[at] = altered[at] == '0' ? '1' : '0';
  dns::write_file_atomically(dir / "altered.zone", altered);
  CommandResult bogus = rdnsprov({"verify-zone", "--zone", kNsecZone, "--in", (dir / "altered.zone").string()});
  EXPECT_EQ(bogus.exit_code, 4) << bogus.all();
  EXPECT_NE(bogus.all().find(" DS: "), std::string::npos) << bogus.all();

  // A zone where a key of another algorithm signs the data without being in the DNSKEY RRset, as a signer makes it
  // at the start of an algorithm rollover (here ldns-signzone -d, which leaves the keys' DNSKEYs out): validators
  // pass over those signatures, so verify-zone does, and says how many there are and whose.
  fs::path ahead = dir / "ahead";
  fs::create_directories(ahead);
  std::vector<std::string> names;
  std::string zone_text = dns::read_file(in);
  for (std::vector<std::string> args : {std::vector<std::string>{"-a", "13", "-f", "KSK"}, {"-a", "13"}, {"-a", "15"}}) {
    std::vector<std::string> keygen = {"dnssec-keygen", "-q", "-K", ahead.string()};
    keygen.insert(keygen.end(), args.begin(), args.end());
    keygen.push_back(kNsecZone);
    CommandResult made = run_command(keygen);
    ASSERT_EQ(made.exit_code, 0) << made.all();
    names.push_back((ahead / made.output.substr(0, made.output.find('\n'))).string());
    if (args[1] == "13") zone_text += dns::read_file(names.back() + ".key");
  }
  dns::write_file_atomically(ahead / "zone", zone_text);
  CommandResult ldns = run_command({"ldns-signzone", "-d", "-f", (ahead / "signed").string(), "-o", kNsecZone,
                                    (ahead / "zone").string(), names[0], names[1], names[2]});
  ASSERT_EQ(ldns.exit_code, 0) << ldns.all();
  // ldns-signzone's signatures start when it signs, after `now`: verified a minute after the signing.
  long signed_at = static_cast<long>(std::time(nullptr));
  CommandResult passed_over = run_rdnsprov({"--now", std::to_string(signed_at + 60), "-c",
                                            (dir / "rdnsprov.conf").string(), "verify-zone", "--zone", kNsecZone,
                                            "--in", (ahead / "signed").string()});
  EXPECT_EQ(passed_over.exit_code, 0) << passed_over.all();
  std::string ed25519_tag = std::to_string(std::stoi(names[2].substr(names[2].rfind('+') + 1)));
  EXPECT_NE(passed_over.output.find("RRSIGs by keys not in the DNSKEY RRset, not checked (validators pass over "
                                    "them): key " + ed25519_tag + " (ED25519)"),
            std::string::npos)
      << passed_over.output;

  CommandResult missing = rdnsprov({"verify-zone", "--zone", kNsecZone, "--in", (dir / "none.zone").string()});
  EXPECT_EQ(missing.exit_code, 1) << missing.all();
  EXPECT_NE(missing.all().find("none.zone"), std::string::npos) << missing.all();
  CommandResult usage = rdnsprov({"verify-zone", "--in", (dir / "bind.zone").string()});
  EXPECT_EQ(usage.exit_code, 2) << usage.all();
}

// A reverse zone as operators keep them elsewhere: PTR records (targets in mixed case), an RFC 2317 range with its
// CNAMEs, a secure delegation with glue, wildcards (RFC 4592) at the apex and below an empty non-terminal. Both
// denial modes sign it into a zone every verifier accepts; the PTR RRsets carry signatures and appear in the NSEC
// bitmaps; a wildcard's RRSIG leaves the "*" out of its labels field, and signing again reuses its signatures. A
// wrong labels field is refused by verify-zone. A file with a meta type, a type holding names rdnsprov cannot
// lower-case, a "*" inside a name or an unknown mnemonic is refused, each line named, and nothing is written; so
// is one whose names break the rules every zone keeps (a CNAME beside other data, a name a DNAME occludes, a SOA
// below the apex), which verify-zone finds does not verify.
TEST(SignCommand, SignsAReverseZoneOfPtrRecordsAndWildcardsAndRefusesTypesItDoesNotHandle) {
  TempDir dir;
  dns::write_file_atomically(dir / "rdnsprov.conf", signed_config());
  long now = static_cast<long>(std::time(nullptr));
  const std::string zone = "2.0.192.in-addr.arpa";
  const std::string text =
      "$ORIGIN 2.0.192.in-addr.arpa.\n$TTL 3600\n"
      "@ SOA ns1.example.net. hostmaster.example.net. 7 3600 900 604800 3600\n"
      "@ NS ns1.example.net.\n@ NS ns2.example.net.\n"
      "1 PTR Router-1.Example.NET.\n2 PTR mail.example.net.\n2 PTR www.example.net.\n"
      "64-127 NS ns.customer.example.\n"
      "64-127 DS 12345 13 2 0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF\n"
      "65 CNAME 65.64-127\n66 CNAME 66.64-127\n"
      "200 NS ns.200.2.0.192.in-addr.arpa.\nns.200 A 192.0.2.250\n"
      "* PTR Generic.Example.NET.\n*.10 PTR deep.example.net.\n*.10 PTR deeper.example.net.\n";
  dns::write_file_atomically(dir / "in.zone", text);
  auto sign = [&](const std::string& policy, const fs::path& in, const fs::path& out) {
    return run_rdnsprov({"--now", std::to_string(now), "-c", (dir / "rdnsprov.conf").string(), "sign", "--zone", zone,
                         "--in", in.string(), "--out", out.string(), "--policy", policy, "--keys",
                         (dir / ("keys-" + policy)).string()});
  };
  for (const std::string policy : {"nsec", "optout"}) {
    SCOPED_TRACE(policy);
    fs::path out = dir / (policy + ".zone");
    CommandResult signed_zone = sign(policy, dir / "in.zone", out);
    ASSERT_EQ(signed_zone.exit_code, 0) << signed_zone.all();
    std::string result = dns::read_file(out);
    EXPECT_NE(result.find("1.2.0.192.in-addr.arpa.\t3600\tIN\tPTR\trouter-1.example.net.\n"), std::string::npos)
        << result;
    std::regex ptr_signature(R"(\n2\.2\.0\.192\.in-addr\.arpa\.\t3600\tIN\tRRSIG\tPTR )");
    EXPECT_TRUE(std::regex_search(result, ptr_signature)) << result;
    // The wildcards' signatures: 5 and 6 labels, for owners of 6 and 7 labels.
    EXPECT_TRUE(std::regex_search(result, std::regex(R"(\n\*\.2\.0\.192\.in-addr\.arpa\.\t3600\tIN\tRRSIG\tPTR [0-9]+ 5 )")))
        << result;
    EXPECT_TRUE(std::regex_search(result, std::regex(R"(\n\*\.10\.2\.0\.192\.in-addr\.arpa\.\t3600\tIN\tRRSIG\tPTR [0-9]+ 6 )")))
        << result;
    if (policy == "nsec") {
      EXPECT_NE(result.find("\tNSEC\t200.2.0.192.in-addr.arpa. PTR RRSIG NSEC\n"), std::string::npos) << result;
      EXPECT_NE(result.find("\n*.2.0.192.in-addr.arpa.\t3600\tIN\tNSEC\t1.2.0.192.in-addr.arpa. PTR RRSIG NSEC\n"),
                std::string::npos)
          << result;
    } else {
      std::regex nsec3_bitmap(R"(\tNSEC3\t1 1 0 - \S+ PTR RRSIG\n)");
      EXPECT_TRUE(std::regex_search(result, nsec3_bitmap)) << result;
    }
    for (const std::string& failure : verifier_failures(zone, out, now, true, policy == "optout", policy == "optout")) {
      ADD_FAILURE() << failure;
    }
  }

  // Signing again over the signed zone reuses every signature, the wildcards' among them.
  CommandResult again = sign("nsec", dir / "in.zone", dir / "nsec.zone");
  ASSERT_EQ(again.exit_code, 0) << again.all();
  EXPECT_NE(again.output.find(" 0 signatures created, "), std::string::npos) << again.output;

  // A wildcard's RRSIG with the "*" counted in its labels field does not verify.
  std::string signed_text = dns::read_file(dir / "nsec.zone");
  std::string wrong = std::regex_replace(signed_text, std::regex(R"((\n\*\.2\.0\.192\.in-addr\.arpa\.\t3600\tIN\tRRSIG\tPTR [0-9]+) 5 )"),
                                         "$1 6 ");
  ASSERT_NE(wrong, signed_text);
  dns::write_file_atomically(dir / "wrong.zone", wrong);
  CommandResult check = run_rdnsprov({"--now", std::to_string(now), "-c", (dir / "rdnsprov.conf").string(),
                                      "verify-zone", "--zone", zone, "--policy", "nsec", "--in",
                                      (dir / "wrong.zone").string()});
  EXPECT_EQ(check.exit_code, 4) << check.all();
  EXPECT_NE(check.all().find("has a labels field of 6, but the owner has 5 labels besides its leftmost \"*\""),
            std::string::npos)
      << check.all();

  dns::write_file_atomically(dir / "other.zone", text + "3 TYPE41 \\# 0\n4 MINFO \\# 2 0000\n"
                                                        "a.*.3 PTR generic.example.net.\n5 BOGUS 1\n");
  CommandResult refused = sign("nsec", dir / "other.zone", dir / "other-signed.zone");
  EXPECT_EQ(refused.exit_code, 1) << refused.all();
  EXPECT_NE(refused.all().find("other.zone:18: OPT is a meta or query type"), std::string::npos) << refused.all();
  EXPECT_NE(refused.all().find("other.zone:19: record type MINFO holds names that signing lower-cases"), std::string::npos)
      << refused.all();
  EXPECT_NE(refused.all().find("other.zone:20: owner: invalid name \"a.*.3\": '*' is not allowed in a name"),
            std::string::npos)
      << refused.all();
  EXPECT_NE(refused.all().find("other.zone:21: record type \"BOGUS\" is not one rdnsprov handles"), std::string::npos)
      << refused.all();
  EXPECT_FALSE(fs::exists(dir / "other-signed.zone"));

  dns::write_file_atomically(dir / "names.zone", text + "d DNAME example.net.\n5.d PTR x.example.net.\n"
                                                        "c CNAME x.example.net.\nc TXT \"and data\"\n"
                                                        "e SOA ns1.example.net. h.example.net. 1 2 3 4 5\n");
  CommandResult names = sign("nsec", dir / "names.zone", dir / "names-signed.zone");
  EXPECT_EQ(names.exit_code, 1) << names.all();
  EXPECT_NE(names.all().find("names.zone: 5.d.2.0.192.in-addr.arpa. lies below the DNAME at d.2.0.192.in-addr.arpa., "
                             "which occludes it (RFC 6672 §2.3)"),
            std::string::npos)
      << names.all();
  EXPECT_NE(names.all().find("names.zone: c.2.0.192.in-addr.arpa. has a CNAME and other data (RFC 2181 §10.1)"),
            std::string::npos)
      << names.all();
  EXPECT_NE(names.all().find("names.zone: e.2.0.192.in-addr.arpa. has a SOA RRset, which belongs at the apex "
                             "2.0.192.in-addr.arpa. alone (RFC 1035 §5.2)"),
            std::string::npos)
      << names.all();
  EXPECT_FALSE(fs::exists(dir / "names-signed.zone"));
  // verify-zone reads such a zone, signed or not, and finds it does not verify (exit 4), naming the problem.
  dns::write_file_atomically(dir / "names-signed.zone", signed_text + "1.2.0.192.in-addr.arpa. CNAME x.example.net.\n");
  CommandResult names_check = run_rdnsprov({"--now", std::to_string(now), "-c", (dir / "rdnsprov.conf").string(),
                                            "verify-zone", "--zone", zone, "--policy", "nsec", "--in",
                                            (dir / "names-signed.zone").string()});
  EXPECT_EQ(names_check.exit_code, 4) << names_check.all();
  EXPECT_NE(names_check.all().find("names-signed.zone: 1.2.0.192.in-addr.arpa. has a CNAME and other data"),
            std::string::npos)
      << names_check.all();
  EXPECT_NE(names_check.all().find("does not verify: its names break the rules every zone keeps"), std::string::npos)
      << names_check.all();

  // Two SOA records (found by fuzz_master_file: signed, then written with one of them, the file did not verify).
  dns::write_file_atomically(dir / "two-soa.zone",
                             text + "@ SOA ns1.example.net. hostmaster.example.net. 8 3600 900 604800 3600\n");
  for (bool verify : {true, false}) {
    std::vector<std::string> args{"sign", "--zone", zone, "--in", (dir / "two-soa.zone").string(), "--out",
                                  (dir / "two-soa-signed.zone").string(), "--policy", "nsec", "--keys",
                                  (dir / "keys-nsec").string()};
    if (!verify) args.push_back("--no-verify");
    CommandResult two = rdnsprov_at(dir, now, args);
    EXPECT_EQ(two.exit_code, 1) << two.all();
    EXPECT_NE(two.all().find("has 2 SOA records at its apex; it must have one"), std::string::npos) << two.all();
    EXPECT_FALSE(fs::exists(dir / "two-soa-signed.zone"));
  }
  EXPECT_FALSE(fs::exists(dir / "other-signed.zone"));
}

// An operator's zone may hold any type: MX, TXT, SRV, HINFO, RP, AFSDB, NAPTR, KX, SSHFP, DHCID, TLSA, SMIMEA,
// OPENPGPKEY, SPF, URI and CAA in their presentation form (names lower-cased, text escapes kept byte for byte), any
// type in RFC 3597's form, a mnemonic or TYPEnnn (names in the data of a known type lower-cased too). Signed with
// NSEC and with NSEC3, it passes every verifier and named-checkzone, the NSEC bitmaps name the types, signing again
// reuses every signature, and one byte changed in opaque data is caught by verify-zone.
TEST(SignCommand, SignsRecordsOfAnyTypeInTheirPresentationOrGenericForm) {
  const std::string long_owner = std::string(63, 'a') + "." + std::string(63, 'b') + "." + std::string(63, 'c');
  // TXT data of `octets` octets: strings of 255, then the rest.
  auto txt_of = [](std::size_t octets) {
    std::string text;
    for (; octets > 256; octets -= 256) text += "\"" + std::string(255, 't') + "\" ";
    return text + "\"" + std::string(octets - 1, 't') + "\"";
  };
  TempDir dir;
  dns::write_file_atomically(dir / "rdnsprov.conf", signed_config());
  long now = static_cast<long>(std::time(nullptr));
  const std::string zone = "2.0.192.in-addr.arpa";
  dns::write_file_atomically(
      dir / "in.zone",
      "$ORIGIN 2.0.192.in-addr.arpa.\n$TTL 3600\n"
      "@ SOA ns1.example.net. hostmaster.example.net. 7 3600 900 604800 3600\n"
      "@ NS ns1.example.net.\n"
      "@ MX 10 Mail.Example.NET.\n"
      "@ TXT \"v=spf1 -all\"\n"
      "@ TXT ( \"a; not a comment (nor a parenthesis)\" \"quote \\\" backslash \\\\ tab \\009 byte \\255\"\n"
      "        unquoted )\n"
      "_ldap._tcp SRV 0 5 389 LDAP.example.net.\n"
      "1 PTR host1.example.net.\n"
      "1 HINFO \\# 10 03 414243 05 4c696e7578\n"
      "1 TYPE65534 \\# 5 0102030405\n"
      "2 HINFO \"PC Intel\" Linux\n"
      "2 RP Admin.Example.NET. Info.Example.NET.\n"
      "2 AFSDB 1 AFS.Example.NET.\n"
      "2 NAPTR 100 10 \"U\" \"E2U+sip\" \"!^.*$!sip:info@example.com!\" .\n"
      "2 KX 10 KX.Example.NET.\n"
      "2 SSHFP 4 2 ( 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef )\n"
      "2 TLSA 3 1 1 d2abde240d7cd3ee6b4b28c54df034b97983a1d16e8a410e4561cb106618e971\n"
      "2 SMIMEA 3 1 1 d2abde240d7cd3ee6b4b28c54df034b97983a1d16e8a410e4561cb106618e971\n"
      "2 DHCID ( AAIBY2/AuCccgoJbsaxcQc9TUapptP69lOjxfNuVAA2kjEA= )\n"
      "2 OPENPGPKEY AQID\n"
      "2 SPF \"v=spf1 -all\"\n"
      "2 URI 10 1 \"ftp://ftp1.example.com/public\"\n"
      "2 CAA 0 issue \"ca.example.net; policy=ev\"\n"
      "2 CAA 128 tbs \"\"\n"
      "3 RP \\# 8 0541646d696e00 00\n"
      "empty TYPE65280 \\# 0\n"
      "64-127 NS ns.customer.example.\n" +
          // The largest data this owner may have (RFC 1035 §4.2.2): a response holding the record, its question and
          // an RSA-4096 signature fits 65,535 octets. Its owner is 214 octets in wire form: 64,963 - 214 = 64,749.
          long_owner + " TXT " + txt_of(64'749) + "\n");
  for (const std::string policy : {"nsec", "optout"}) {
    SCOPED_TRACE(policy);
    fs::path out = dir / (policy + ".zone");
    CommandResult signed_zone =
        rdnsprov_at(dir, now, {"sign", "--zone", zone, "--in", (dir / "in.zone").string(), "--out", out.string(),
                               "--policy", policy, "--keys", (dir / ("keys-" + policy)).string()});
    ASSERT_EQ(signed_zone.exit_code, 0) << signed_zone.all();
    std::string result = dns::read_file(out);
    for (const std::string line :
         {"2.0.192.in-addr.arpa.\t3600\tIN\tMX\t10 mail.example.net.\n",
          "2.0.192.in-addr.arpa.\t3600\tIN\tTXT\t\"a; not a comment (nor a parenthesis)\" "
          "\"quote \\\" backslash \\\\ tab \\009 byte \\255\" \"unquoted\"\n",
          "_ldap._tcp.2.0.192.in-addr.arpa.\t3600\tIN\tSRV\t0 5 389 ldap.example.net.\n",
          "1.2.0.192.in-addr.arpa.\t3600\tIN\tHINFO\t\"ABC\" \"Linux\"\n",
          "2.2.0.192.in-addr.arpa.\t3600\tIN\tHINFO\t\"PC Intel\" \"Linux\"\n",
          "2.2.0.192.in-addr.arpa.\t3600\tIN\tRP\tadmin.example.net. info.example.net.\n",
          "2.2.0.192.in-addr.arpa.\t3600\tIN\tAFSDB\t1 afs.example.net.\n",
          "2.2.0.192.in-addr.arpa.\t3600\tIN\tNAPTR\t100 10 \"U\" \"E2U+sip\" \"!^.*$!sip:info@example.com!\" .\n",
          "2.2.0.192.in-addr.arpa.\t3600\tIN\tKX\t10 kx.example.net.\n",
          "2.2.0.192.in-addr.arpa.\t3600\tIN\tSSHFP\t4 2 0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF\n",
          "2.2.0.192.in-addr.arpa.\t3600\tIN\tCAA\t0 issue \"ca.example.net; policy=ev\"\n",
          "2.2.0.192.in-addr.arpa.\t3600\tIN\tCAA\t128 tbs \"\"\n",
          "2.2.0.192.in-addr.arpa.\t3600\tIN\tURI\t10 1 \"ftp://ftp1.example.com/public\"\n",
          "3.2.0.192.in-addr.arpa.\t3600\tIN\tRP\tadmin. .\n",
          "1.2.0.192.in-addr.arpa.\t3600\tIN\tTYPE65534\t\\# 5 0102030405\n",
          "empty.2.0.192.in-addr.arpa.\t3600\tIN\tTYPE65280\t\\# 0\n"}) {
      EXPECT_NE(result.find(line), std::string::npos) << line << "\n" << result;
    }
    for (const std::string type : {"MX", "TXT", "SRV", "HINFO", "TYPE65534", "TYPE65280", "RP", "AFSDB", "NAPTR", "KX",
                                   "SSHFP", "TLSA", "SMIMEA", "DHCID", "OPENPGPKEY", "SPF", "URI", "CAA"}) {
      EXPECT_TRUE(std::regex_search(result, std::regex("\tRRSIG\t" + type + " "))) << type << "\n" << result;
    }
    if (policy == "nsec") {
      EXPECT_NE(result.find("\tNSEC\t1.2.0.192.in-addr.arpa. NS SOA MX TXT RRSIG NSEC DNSKEY\n"), std::string::npos)
          << result;
      EXPECT_NE(result.find("\tNSEC\t2.2.0.192.in-addr.arpa. PTR HINFO RRSIG NSEC TYPE65534\n"), std::string::npos)
          << result;
      EXPECT_NE(result.find("\tNSEC\t3.2.0.192.in-addr.arpa. HINFO RP AFSDB NAPTR KX SSHFP RRSIG NSEC DHCID TLSA "
                            "SMIMEA OPENPGPKEY SPF URI CAA\n"),
                std::string::npos)
          << result;
      EXPECT_NE(result.find("\tNSEC\t64-127.2.0.192.in-addr.arpa. RP RRSIG NSEC\n"), std::string::npos) << result;
      EXPECT_NE(result.find("\tNSEC\t2.0.192.in-addr.arpa. RRSIG NSEC TYPE65280\n"), std::string::npos) << result;
    }
    for (const std::string& failure : verifier_failures(zone, out, now, true, policy == "optout", policy == "optout")) {
      ADD_FAILURE() << failure;
    }
    CommandResult bind = run_command({"named-checkzone", "-q", zone, out.string()});
    EXPECT_EQ(bind.exit_code, 0) << bind.all();

    CommandResult again =
        rdnsprov_at(dir, now, {"sign", "--zone", zone, "--in", (dir / "in.zone").string(), "--out", out.string(),
                               "--policy", policy, "--keys", (dir / ("keys-" + policy)).string()});
    ASSERT_EQ(again.exit_code, 0) << again.all();
    EXPECT_NE(again.output.find(" 0 signatures created, "), std::string::npos) << again.output;

    std::string changed = result;
    changed.replace(changed.find("TYPE65534\t\\# 5 0102030405") + 15, 10, "0102030406");
    dns::write_file_atomically(dir / "changed.zone", changed);
    CommandResult check = rdnsprov_at(dir, now, {"verify-zone", "--zone", zone, "--policy", policy, "--in",
                                                 (dir / "changed.zone").string()});
    EXPECT_EQ(check.exit_code, 4) << check.all();
    EXPECT_NE(check.all().find("over 1.2.0.192.in-addr.arpa./TYPE65534 does not validate"), std::string::npos)
        << check.all();

    // One record of an RRset with another TTL: said, and read with the smallest (the signatures' original TTL).
    std::string mixed = result;
    const std::string caa = "\t3600\tIN\tCAA\t128 tbs";
    ASSERT_NE(mixed.find(caa), std::string::npos);
    mixed.replace(mixed.find(caa), caa.size(), "\t7200\tIN\tCAA\t128 tbs");
    dns::write_file_atomically(dir / "mixed.zone", mixed);
    CommandResult read_mixed = rdnsprov_at(dir, now, {"verify-zone", "--zone", zone, "--policy", policy, "--in",
                                                      (dir / "mixed.zone").string()});
    EXPECT_EQ(read_mixed.exit_code, 0) << read_mixed.all();
    EXPECT_NE(read_mixed.all().find("mixed.zone: 2.2.0.192.in-addr.arpa./CAA has records of TTLs 3600 to 7200: read "
                                    "with the smallest"),
              std::string::npos)
        << read_mixed.all();
  }

  // One octet more is refused, naming the line (BIND refuses data over 65,510 octets; Knot and ldns cannot check
  // the signature of a record whose signed data passes 65,535).
  dns::write_file_atomically(dir / "large.zone", "$ORIGIN 2.0.192.in-addr.arpa.\n$TTL 3600\n"
                                                 "@ SOA ns1.example.net. hostmaster.example.net. 7 3600 900 604800 3600\n"
                                                 "@ NS ns1.example.net.\n" +
                                                     long_owner + " TXT " + txt_of(64'750) + "\n");
  CommandResult large = rdnsprov_at(dir, now,
                                    {"sign", "--zone", zone, "--in", (dir / "large.zone").string(), "--out",
                                     (dir / "large-signed.zone").string(), "--policy", "nsec", "--keys",
                                     (dir / "keys-nsec").string()});
  EXPECT_EQ(large.exit_code, 1) << large.all();
  EXPECT_NE(large.all().find("large.zone:5: " + long_owner + ".2.0.192.in-addr.arpa. TXT: data of 64750 octets "
                             "cannot be served with this owner"),
            std::string::npos)
      << large.all().substr(0, 2000);
  EXPECT_FALSE(fs::exists(dir / "large-signed.zone"));
}

// BIND's $GENERATE, the usual way to write a block of reverse records by hand, and RFC 1035's $INCLUDE: the
// records rdnsprov signs are exactly those named-checkzone reads from the same files (run from the zone file's
// directory, which BIND takes relative names from and rdnsprov always does), and the signed zone passes the
// verifiers.
TEST(SignCommand, ReadsGenerateAndIncludeLinesAsNamedCheckzoneDoes) {
  TempDir dir;
  fs::create_directories(dir / "sub");
  dns::write_file_atomically(dir / "sub/part.inc",
                             "$TTL 600\n"
                             "1 PTR one.part.example.\n"
                             "  TXT \"the line before names the owner\"\n"
                             "$GENERATE 2-9 $ PTR p$.example.net.\n"
                             "$ORIGIN deeper\n"
                             "2 PTR two.deeper.example.\n");
  dns::write_file_atomically(dir / "rdnsprov.conf", signed_config());
  long now = static_cast<long>(std::time(nullptr));
  const std::string zone = "2.0.192.in-addr.arpa";
  dns::write_file_atomically(dir / "in.zone",
                             "$ORIGIN 2.0.192.in-addr.arpa.\n$TTL 3600\n"
                             "@ SOA ns1.example.net. hostmaster.example.net. 7 3600 900 604800 3600\n"
                             "@ NS ns1.example.net.\n"
                             "$GENERATE 1-100 $ PTR host-$.dyn.example.net.\n"
                             "$GENERATE 101-127/2 $ 600 IN PTR h${0,4,x}.example.net. ; odd ones\n"
                             "$GENERATE 128-191 $ CNAME $.128-191\n"
                             "128-191 NS ns.customer.example.\n"
                             "  TXT \"the line before $GENERATE names the owner\"\n"
                             "$ORIGIN v6.2.0.192.in-addr.arpa.\n"
                             "$GENERATE 1-301/7 ${0,5,n} PTR n${-1,3,X}.example.net.\n"
                             "$GENERATE 1-2 m$ MX \"10 mail$.example.net.\"\n"
                             "$GENERATE 1-2 t$ TXT \"a $ b\"\n"
                             "$ORIGIN 2.0.192.in-addr.arpa.\n"
                             "before TXT \"$TTL 3600\"\n"
                             "$INCLUDE sub/part.inc part ; its origin, and a $TTL that stays in force after it\n"
                             "  TXT \"the owner before $INCLUDE\"\n"
                             "after PTR after.example.net.\n"
                             "0/26.slash NS ns.customer.example. ; RFC 2317's own notation\n"
                             "$GENERATE 1-3 $.slash CNAME $.0/26.slash\n");
  fs::path out = dir / "signed.zone";
  CommandResult signed_zone = rdnsprov_at(dir, now, {"sign", "--zone", zone, "--in", (dir / "in.zone").string(), "--out",
                                                     out.string(), "--policy", "nsec", "--keys", (dir / "keys").string()});
  ASSERT_EQ(signed_zone.exit_code, 0) << signed_zone.all();
  for (const std::string& failure : verifier_failures(zone, out, now, true, false, false)) ADD_FAILURE() << failure;

  CommandResult bind = run_command({"named-checkzone", "-q", "-D", "-o", "expanded.zone", zone, "in.zone"},
                                   {.cwd = dir.path()});
  ASSERT_EQ(bind.exit_code, 0) << bind.all();
  auto records = [&](const fs::path& file) {
    dns::MasterFile read = dns::read_master_file(dns::read_file(file), *dns::Name::from_text(zone), dns::Dialect::kOperator);
    EXPECT_TRUE(read.errors.empty()) << file << ": " << read.errors[0].reason;
    std::multiset<std::string> lines;
    for (const dns::Record& r : read.records) {
      if (r.type != dns::RRType::kRrsig && r.type != dns::RRType::kNsec && r.type != dns::RRType::kDnskey) {
        lines.insert(dns::master_line(r));
      }
    }
    return lines;
  };
  std::multiset<std::string> ours = records(out);
  std::multiset<std::string> bind_expanded = records(dir / "expanded.zone");
  EXPECT_EQ(ours, bind_expanded);
  EXPECT_EQ(ours.size(), 2u + 100 + 14 + 64 + 2 + 43 + 2 + 2 + 2 + 2 + 8 + 1 + 1 + 1 + 3);
  EXPECT_EQ(ours.count("2.slash.2.0.192.in-addr.arpa.\t600\tIN\tCNAME\t2.0/26.slash.2.0.192.in-addr.arpa.\n"), 1u);
  EXPECT_EQ(ours.count("103.2.0.192.in-addr.arpa.\t600\tIN\tPTR\th0067.example.net.\n"), 1u);
  EXPECT_EQ(ours.count("f.0.0.v6.2.0.192.in-addr.arpa.\t3600\tIN\tPTR\tn00e.example.net.\n"), 1u);
  EXPECT_EQ(ours.count("2.deeper.part.2.0.192.in-addr.arpa.\t600\tIN\tPTR\ttwo.deeper.example.\n"), 1u);
  EXPECT_EQ(ours.count("after.2.0.192.in-addr.arpa.\t600\tIN\tPTR\tafter.example.net.\n"), 1u);

  // Zones without $TTL, as older ones are kept: a TTL-less SOA takes its MINIMUM, which then stands for $TTL; after
  // an SOA with a TTL, RFC 1035's rule holds, the last TTL stated.
  struct NoTtl {
    std::string soa_ttl;
    std::string expected_ns, expected_4, expected_6;
  };
  for (const NoTtl& c : {NoTtl{"", "1800", "1800", "1800"}, NoTtl{"3600 ", "3600", "7200", "60"}}) {
    SCOPED_TRACE("SOA TTL " + c.soa_ttl);
    dns::write_file_atomically(dir / "no-ttl.zone",
                               "$ORIGIN 2.0.192.in-addr.arpa.\n"
                               "@ " + c.soa_ttl + "SOA ns1.example.net. hostmaster.example.net. 7 3600 900 604800 1800\n"
                               "@ NS ns1.example.net.\n"
                               "1 7200 PTR one.example.net.\n2 PTR two.example.net.\n"
                               "$GENERATE 3-4 $ PTR h$.example.net.\n"
                               "5 IN 60 PTR five.example.net.\n6 PTR six.example.net.\n");
    fs::path no_ttl_out = dir / "no-ttl.signed";
    fs::remove(no_ttl_out);
    CommandResult no_ttl = rdnsprov_at(dir, now, {"sign", "--zone", zone, "--in", (dir / "no-ttl.zone").string(), "--out",
                                                  no_ttl_out.string(), "--policy", "nsec", "--keys", (dir / "keys").string()});
    ASSERT_EQ(no_ttl.exit_code, 0) << no_ttl.all();
    bind = run_command({"named-checkzone", "-q", "-D", "-o", "no-ttl.expanded", zone, "no-ttl.zone"}, {.cwd = dir.path()});
    ASSERT_EQ(bind.exit_code, 0) << bind.all();
    std::multiset<std::string> no_ttl_ours = records(no_ttl_out);
    EXPECT_EQ(no_ttl_ours, records(dir / "no-ttl.expanded"));
    EXPECT_EQ(no_ttl_ours.count("2.0.192.in-addr.arpa.\t" + c.expected_ns + "\tIN\tNS\tns1.example.net.\n"), 1u);
    EXPECT_EQ(no_ttl_ours.count("4.2.0.192.in-addr.arpa.\t" + c.expected_4 + "\tIN\tPTR\th4.example.net.\n"), 1u);
    EXPECT_EQ(no_ttl_ours.count("6.2.0.192.in-addr.arpa.\t" + c.expected_6 + "\tIN\tPTR\tsix.example.net.\n"), 1u);
  }
}

// ---- configuration -------------------------------------------------------------------------------------------

Config load_text(const TempDir& dir, const std::string& text) {
  dns::write_file_atomically(dir / "c.conf", text);
  return load_config(dir / "c.conf");
}

std::string config_error(const TempDir& dir, const std::string& text) {
  try {
    load_text(dir, text);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return {};
}

// `rdnsprov --help` names every subcommand `rdnsprov keys --help` describes.
TEST(SignCommand, TheCommandListNamesEveryKeysSubcommand) {
  CommandResult top = run_rdnsprov({"--help"});
  ASSERT_EQ(top.exit_code, 0) << top.all();
  std::smatch keys_line;
  ASSERT_TRUE(std::regex_search(top.output, keys_line, std::regex("\\n  keys +([^\\n]*)"))) << top.output;
  CommandResult help = run_rdnsprov({"keys", "--help"});
  ASSERT_EQ(help.exit_code, 0) << help.all();
  std::regex usage("rdnsprov \\[--config FILE\\] keys ([a-z-]+)");
  std::size_t subcommands = 0;
  for (auto it = std::sregex_iterator(help.output.begin(), help.output.end(), usage); it != std::sregex_iterator(); ++it) {
    ++subcommands;
    EXPECT_TRUE(std::regex_search(keys_line[1].str(), std::regex("(^|[ :|]) ?" + (*it)[1].str() + "( |$)")))
        << (*it)[1] << " is missing from: " << keys_line[1];
  }
  EXPECT_EQ(subcommands, 7u) << help.output;
}

TEST(SignConfig, PolicySectionsMapOntoTheSigningPolicy) {
  TempDir dir;
  Config config = load_text(dir, signed_config() +
                                     "[policy.full]\nalgorithm = 8\nrsa-bits = 3072\ndenial = nsec3\n"
                                     "nsec3-iterations = 0\nnsec3-salt = ab12\ndnskey-ttl = 1h\ncds = yes\n"
                                     "inception-offset = 2h\nksk-lifetime = 365d\nzsk-lifetime = 90d\n"
                                     "validity-margin = 2d\nsignature-validity = 30d\nrefresh = 10d\njitter = 2d\n");
  const PolicyConfig& p = config.policies.at("full");
  EXPECT_EQ(p.signing.algorithm, 8);
  EXPECT_EQ(p.signing.rsa_bits, 3072u);
  EXPECT_EQ(p.signing.denial, signer::Denial::kNsec3);
  EXPECT_EQ(p.signing.nsec3_salt, std::string("\xab\x12"));
  EXPECT_EQ(p.signing.dnskey_ttl, 3600u);
  EXPECT_TRUE(p.signing.cds_cdnskey);
  EXPECT_EQ(p.signing.inception_offset, 7200u);
  EXPECT_EQ(p.signing.ksk_lifetime, 365u * 86400);
  EXPECT_EQ(p.signing.zsk_lifetime, 90u * 86400);
  EXPECT_EQ(p.validity_margin, 2u * 86400);
  EXPECT_EQ(p.signing.jitter, 2u * 86400);
  const PolicyConfig& o = config.policies.at("optout");
  EXPECT_EQ(o.signing.key_layout, signer::KeyLayout::kCsk);
  EXPECT_TRUE(o.signing.nsec3_opt_out);
  EXPECT_TRUE(o.signing.zonemd);
  EXPECT_EQ(config.policies.at("nsec").signing.refresh, 12u * 86400);
}

TEST(SignConfig, BadPoliciesAndUnknownPolicyNamesAreErrorsNamingTheSection) {
  TempDir dir;
  std::string unknown = config_error(dir, signed_config() + "[zone.10.in-addr.arpa]\ndnssec-policy = missing\n");
  EXPECT_NE(unknown.find("[zone.10.in-addr.arpa] dnssec-policy = missing: there is no section [policy.missing]"),
            std::string::npos) << unknown;
  std::string bad = config_error(dir, signed_config() + "[policy.bad]\nalgorithm = dsa\nnsec3-opt-out = yes\n");
  EXPECT_NE(bad.find("[policy.bad] algorithm = dsa: expected"), std::string::npos) << bad;
  EXPECT_NE(bad.find("nsec3-opt-out needs denial = nsec3"), std::string::npos) << bad;
  EXPECT_NE(bad.find("c.conf:"), std::string::npos) << bad;
  // More NSEC3 iterations than validators take (RFC 9276 §3.2): never signable, so never configurable.
  std::string slow = config_error(dir, signed_config() + "[policy.slow]\ndenial = nsec3\nnsec3-iterations = 101\n");
  EXPECT_NE(slow.find("[policy.slow] nsec3-iterations = 101: expected a number from 0 to 100"), std::string::npos)
      << slow;
  // A 20-day SOA EXPIRE with the default 15-day refresh: signatures could expire before secondaries stop serving.
  std::string expire = config_error(dir, signed_config() + "[policy.plain]\n[zone.10.in-addr.arpa]\n"
                                                           "soa-expire = 20d\ndnssec-policy = plain\n");
  EXPECT_NE(expire.find("[zone.10.in-addr.arpa] soa-expire (20d) is longer than the refresh (15d)"),
            std::string::npos) << expire;
  // Lifetimes shorter than the rollovers they start (RFC 7583 §3.3.1), with TTLs of 4 h and delays of 1 h: a ZSK
  // rollover takes 10 h, a KSK rollover 10 h, a CSK rollover 10 h. One second less is refused; the same is taken.
  const std::string zone = "[zone.10.in-addr.arpa]\nsoa-ttl = 4h\nns-ttl = 4h\nds-ttl = 4h\ncname-ttl = 4h\n";
  const std::string waits = "dnskey-ttl = 4h\npropagation-delay = 1h\nparent-ds-ttl = 4h\nparent-propagation-delay = 1h\n";
  std::string brief = config_error(dir, signed_config() + "[policy.brief]\n" + waits +
                                            "zsk-lifetime = 35999\nksk-lifetime = 35999\n" + zone +
                                            "dnssec-policy = brief\n");
  EXPECT_NE(brief.find("[policy.brief] zsk-lifetime (35999s) is shorter than its rollover in [zone.10.in-addr.arpa] "
                       "(DNSKEY TTL + largest signed TTL + twice propagation-delay: 10h)"),
            std::string::npos)
      << brief;
  EXPECT_NE(brief.find("[policy.brief] ksk-lifetime (35999s) is shorter than its rollover"), std::string::npos)
      << brief;
  std::string csk = config_error(dir, signed_config() + "[policy.csk]\nkeys = csk\n" + waits +
                                          "ksk-lifetime = 35999\n" + zone + "dnssec-policy = csk\n");
  EXPECT_NE(csk.find("[policy.csk] ksk-lifetime (35999s) is shorter than its rollover"), std::string::npos) << csk;
  Config taken = load_text(dir, signed_config() + "[policy.brief]\n" + waits +
                                    "zsk-lifetime = 10h\nksk-lifetime = 10h\n" + zone + "dnssec-policy = brief\n");
  EXPECT_EQ(taken.policies.at("brief").signing.zsk_lifetime, 36000u);
}

}  // namespace
}  // namespace rdnsprov::cli
