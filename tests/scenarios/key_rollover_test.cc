// Key rollovers driven by the policy's lifetimes, walked with `rdnsprov run --now` every two hours over nine days:
// ZSK pre-publication and KSK double-DS (KSK + ZSK layout), the CSK rollover, and the key set rollovers that follow
// a change of the policy six hours into the walk: an algorithm rollover (RSASHA256 → ECDSAP256SHA256), a change of
// key layout (KSK + ZSK → CSK), and both at once (CSK ECDSAP256SHA256 → KSK + ZSK ED25519). The parent is played by
// the test:
// it adds the new DS when `run` asks for it (journal "key" event, `keys status` ACTION), confirms it a day later
// with `rdnsprov keys ds-seen`, and removes the old DS when `run` says it may. At every publication the zone passes
// rdnsprov's own gate; at every rollover step it passes dnssec-verify and, served by Knot, validates through Unbound
// from every DS RRset of the parent a resolver may hold then (the old, the new, or both); and at every publication a
// cache check holds: whatever a validator may still have cached (DNSKEY RRsets, signatures, the parent's DS RRset)
// validates the new zone, and the new DNSKEY RRset validates what it may still have cached (INCIDENTS.md I-8: no
// SERVFAIL during a rollover).
//
// The walk ends at the wall clock, because dnssec-verify validates signatures against it.
#include <algorithm>
#include <regex>
#include <chrono>
#include <ctime>
#include <memory>
#include <thread>
#include <map>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>

#include "tests/support/prometheus_text.h"
#include "tests/support/skip.h"

#include "dns/dnssec.h"
#include "dns/zone.h"
#include "signer/rollover.h"
#include "tests/scenarios/dns_servers.h"
#include "tests/scenarios/scenario.h"

namespace rdnsprov::scenarios {
namespace {

constexpr const char* kZone = "193.in-addr.arpa";
constexpr std::time_t kStep = 2 * kHour;
// Waits of the test policy (below): DNSKEY and signed-RRset TTL 4 h, propagation 1 h, parent DS TTL 4 h and
// propagation 1 h. Longer than the two hours between runs, so that a step taken one run early shows.
constexpr std::time_t kDnskeyWait = 5 * kHour;
constexpr std::time_t kSignatureWait = 5 * kHour;
constexpr std::time_t kParentWait = 5 * kHour;
constexpr std::time_t kPropagation = kHour;  // the test policies' propagation-delay

struct Layout {
  std::string keys;           // policy `keys`
  std::string algorithm;      // policy `algorithm`
  std::string denial;         // policy `denial`
  std::string new_keys;       // policy `keys` from six hours into the walk on (empty: unchanged)
  std::string new_algorithm;  // policy `algorithm` from six hours into the walk on (empty: unchanged)
};

void PrintTo(const Layout& l, std::ostream* out) {
  *out << l.keys << " " << l.algorithm << " " << l.denial;
  if (!l.new_keys.empty() || !l.new_algorithm.empty()) *out << " → " << l.new_keys << " " << l.new_algorithm;
}

// One published version of the zone, as a validator sees it.
struct Version {
  std::time_t published = 0;
  std::time_t replaced = 0;                                  // 0: still served
  std::map<std::uint16_t, std::string> dnskeys;              // tag → DNSKEY rdata
  std::set<std::uint16_t> dnskey_signers;                    // tags of the RRSIGs over the DNSKEY RRset
  std::set<std::uint16_t> data_signers;                      // tags of every other RRSIG
  std::set<std::uint16_t> cds_signers;                       // tags of the RRSIGs over CDS and CDNSKEY
  std::set<std::uint16_t> cds;                               // key tags of the CDS records
  std::set<std::uint8_t> dnskey_algorithms;                  // the algorithms of the DNSKEY RRset
  std::set<std::uint8_t> common_algorithms;                  // those every signed RRset but the apex key RRsets
                                                             // has a signature of
  dns::ServedTtls ttls;                                      // what caches hold its DNSKEY RRset and signatures for
};

Version read_version(const std::string& text, std::time_t published) {
  auto apex = dns::Name::from_text(kZone);
  dns::MasterFile parsed = dns::read_master_file(text, *apex);
  EXPECT_TRUE(parsed.errors.empty());
  Version v;
  v.published = published;
  v.ttls = dns::served_ttls(parsed.records, *apex);
  std::map<std::pair<std::string, std::uint16_t>, std::set<std::uint8_t>> rrset_algorithms;  // owner, type covered
  for (const dns::Record& r : parsed.records) {
    if (r.type == dns::RRType::kDnskey) {
      v.dnskeys[dns::key_tag(r.rdata)] = r.rdata;
      v.dnskey_algorithms.insert(static_cast<std::uint8_t>(r.rdata[3]));
    }
    if (r.type == dns::RRType::kCds) {
      v.cds.insert(static_cast<std::uint16_t>((static_cast<unsigned char>(r.rdata[0]) << 8) |
                                              static_cast<unsigned char>(r.rdata[1])));
    }
    if (r.type != dns::RRType::kRrsig) continue;
    std::uint16_t covered = static_cast<std::uint16_t>((static_cast<unsigned char>(r.rdata[0]) << 8) |
                                                       static_cast<unsigned char>(r.rdata[1]));
    std::uint16_t tag = static_cast<std::uint16_t>((static_cast<unsigned char>(r.rdata[16]) << 8) |
                                                   static_cast<unsigned char>(r.rdata[17]));
    (covered == static_cast<std::uint16_t>(dns::RRType::kDnskey) ? v.dnskey_signers : v.data_signers).insert(tag);
    bool cds_rrset = covered == static_cast<std::uint16_t>(dns::RRType::kCds) ||
                     covered == static_cast<std::uint16_t>(dns::RRType::kCdnskey);
    if (cds_rrset) v.cds_signers.insert(tag);
    // The apex key RRsets are left out: a validator takes them from the parent's DS down, afresh.
    bool key_rrset = covered == static_cast<std::uint16_t>(dns::RRType::kDnskey) || cds_rrset;
    if (!key_rrset) rrset_algorithms[{r.owner.to_text(), covered}].insert(static_cast<std::uint8_t>(r.rdata[2]));
  }
  for (auto it = rrset_algorithms.begin(); it != rrset_algorithms.end(); ++it) {
    if (it == rrset_algorithms.begin()) {
      v.common_algorithms = it->second;
      continue;
    }
    std::erase_if(v.common_algorithms, [&](std::uint8_t a) { return !it->second.count(a); });
  }
  return v;
}

// The parent's DS RRset over time, by the key tag and DNSKEY each DS points to.
struct ParentDs {
  std::uint16_t tag = 0;
  std::string dnskey;
  std::time_t added = 0;
  std::time_t removed = 0;  // 0: still there
};

// The DS RRsets a validator may hold at `t`: the parent's at any instant of [t − DS TTL − propagation, t].
std::vector<std::set<std::uint16_t>> cached_ds_sets(const std::vector<ParentDs>& parent, std::time_t t) {
  std::set<std::time_t> instants{t - kParentWait, t};
  for (const ParentDs& d : parent) {
    for (std::time_t x : {d.added, d.removed}) {
      if (x && x > t - kParentWait && x <= t) instants.insert(x);
    }
  }
  std::vector<std::set<std::uint16_t>> out;
  for (std::time_t x : instants) {
    std::set<std::uint16_t> set;
    for (const ParentDs& d : parent) {
      if (d.added <= x && (d.removed == 0 || d.removed > x)) set.insert(d.tag);
    }
    out.push_back(set);
  }
  return out;
}

// A DNSKEY RRset validates from a DS RRset when a key it holds, pointed to by a DS, signs it (RFC 4035 §5.2).
bool chain_validates(const Version& v, const std::set<std::uint16_t>& ds_tags) {
  for (std::uint16_t tag : v.dnskey_signers) {
    if (ds_tags.count(tag) && v.dnskeys.count(tag)) return true;
  }
  return false;
}

// Whether two sets of key tags share one.
bool overlap(const std::set<std::uint16_t>& a, const std::map<std::uint16_t, std::string>& b) {
  return std::any_of(a.begin(), a.end(), [&](std::uint16_t tag) { return b.count(tag) != 0; });
}

// Everything a validator may combine when `latest` is published after `history`. Every signing key signs every
// RRset (the ZSKs, or the CSKs), so an RRset validates with a DNSKEY RRset when one of its signers is in it (RFC 6840
// §5.11: one valid path is enough; during an algorithm rollover, keys of both algorithms sign). And for a validator
// reading RFC 4035 §2.2 strictly, which refuses an RRset without a signature of each algorithm of the DNSKEY RRset it
// holds: every RRset it may hold has one of every algorithm of every DNSKEY RRset it may hold.
void check_caches(const std::vector<Version>& history, const Version& latest, const std::vector<ParentDs>& parent) {
  auto signs_with = [](const Version& data, const std::set<std::uint8_t>& algorithms) {
    return std::includes(data.common_algorithms.begin(), data.common_algorithms.end(), algorithms.begin(),
                         algorithms.end());
  };
  EXPECT_TRUE(signs_with(latest, latest.dnskey_algorithms)) << "an RRset lacks a signature of an algorithm of its zone";
  for (const std::set<std::uint16_t>& ds : cached_ds_sets(parent, latest.published)) {
    EXPECT_TRUE(chain_validates(latest, ds)) << "the new DNSKEY RRset does not validate from a cached DS RRset of "
                                             << ds.size() << " DS";
  }
  for (const Version& old : history) {
    // Its DNSKEY RRset may still be cached (for the TTL it was served with): the new signatures must validate with
    // it, and the parent's DS RRset (as it may be cached now) must still validate it.
    if (latest.published < old.replaced + old.ttls.dnskey + kPropagation) {
      EXPECT_TRUE(overlap(latest.data_signers, old.dnskeys))
          << "new signatures by keys " << fmt::format("{}", fmt::join(latest.data_signers, ", "))
          << " cannot be validated with the DNSKEY RRset published at " << old.published << " still in caches";
      // A parent (or a resolver) fetching the new CDS/CDNSKEY may validate them with that DNSKEY RRset too.
      if (!latest.cds.empty()) {
        EXPECT_TRUE(overlap(latest.cds_signers, old.dnskeys))
            << "the new CDS/CDNSKEY, signed by keys " << fmt::format("{}", fmt::join(latest.cds_signers, ", "))
            << ", cannot be validated with the DNSKEY RRset published at " << old.published << " still in caches";
      }
      for (const std::set<std::uint16_t>& ds : cached_ds_sets(parent, latest.published)) {
        EXPECT_TRUE(chain_validates(old, ds)) << "the DNSKEY RRset published at " << old.published
                                              << ", still in caches, no longer validates from the parent's DS";
      }
      EXPECT_TRUE(signs_with(latest, old.dnskey_algorithms))
          << "new RRsets lack a signature of an algorithm of the DNSKEY RRset published at " << old.published
          << " (algorithms " << fmt::format("{}", fmt::join(old.dnskey_algorithms, ", ")) << "), still in caches";
    }
    // Its signatures may still be cached: the new DNSKEY RRset must hold their keys.
    if (latest.published < old.replaced + old.ttls.signed_rrsets + kPropagation) {
      EXPECT_TRUE(overlap(old.data_signers, latest.dnskeys))
          << "signatures by keys " << fmt::format("{}", fmt::join(old.data_signers, ", ")) << " published at "
          << old.published << ", still in caches, have no DNSKEY in the new zone";
      EXPECT_TRUE(signs_with(old, latest.dnskey_algorithms))
          << "RRsets published at " << old.published << ", still in caches, lack a signature of an algorithm of the "
          << "new DNSKEY RRset";
    }
  }
}

// The DS (SHA-256) of key `tag`, by BIND's dnssec-dsfromkey from the key file in STATE/keys/<zone>/.
std::string ds_of(const fs::path& keys_dir, std::uint16_t tag) {
  for (const auto& e : fs::directory_iterator(keys_dir)) {
    std::string file = e.path().filename().string();
    if (!file.ends_with(fmt::format("+{:05}.key", tag))) continue;
    CommandResult r = testing::run_command({"dnssec-dsfromkey", "-2", e.path().string()});
    EXPECT_EQ(r.exit_code, 0) << r.all();
    return r.output.substr(0, r.output.find('\n'));
  }
  ADD_FAILURE() << "no key file of key " << tag << " in " << keys_dir;
  return {};
}

// The zone as Knot serves it validates through Unbound from every DS RRset a resolver may hold now (`anchors`):
// the apex SOA and a delegation's DS come back with AD.
void check_with_unbound(const fs::path& dir, int knot_port, const std::vector<std::string>& anchors) {
  ValidatingResolver unbound(dir, kZone, fmt::format("{}", fmt::join(anchors, "\n")), knot_port);
  ASSERT_TRUE(unbound.ready()) << unbound.log();
  for (const char* question : {kZone, "0.0.193.in-addr.arpa"}) {
    DigAnswer a = dig(unbound.port(), question, std::string(question) == kZone ? "SOA" : "DS");
    EXPECT_EQ(a.status, "NOERROR") << "trust anchors:\n" << fmt::format("{}", fmt::join(anchors, "\n")) << "\n"
                                   << a.text << unbound.log();
    EXPECT_TRUE(a.ad()) << a.text;
  }
}

class KeyRollover : public ::testing::TestWithParam<Layout> {};

TEST_P(KeyRollover, WalksEveryStepAndTheZoneValidatesThroughout) {
  RDNSPROV_SKIP_UNLESS_PRESENT(
      testing::missing_programs({"dnssec-verify", "dnssec-dsfromkey", "dnssec-cds", "knotd", "knotc", "unbound", "dig"}));
  const Layout& layout = GetParam();
  bool csk = layout.keys == "csk";
  bool keyset_rollover = !layout.new_keys.empty() || !layout.new_algorithm.empty();
  const std::string final_keys = layout.new_keys.empty() ? layout.keys : layout.new_keys;
  const std::string final_algorithm = layout.new_algorithm.empty() ? layout.algorithm : layout.new_algorithm;
  Scenario s({kZone});
  s.zone_settings[kZone] = "dnssec-policy = roll\nsoa-expire = 7d\nsoa-ttl = 4h\nns-ttl = 4h\nds-ttl = 4h\ncname-ttl = 4h";
  // In a key set rollover the KSKs (CSKs) have no lifetime, so that it is the one KSK rollover of the walk; and the
  // zone publishes CDS, which must name only keys whose DS the parent may serve.
  auto policy = [&](const std::string& keys, const std::string& algorithm) {
    return fmt::format(
        "[policy.roll]\nkeys = {}\nalgorithm = {}\ndenial = {}\nsignature-validity = 30d\nrefresh = 12d\n"
        "dnskey-ttl = 4h\nzsk-lifetime = 2d\nksk-lifetime = {}\npropagation-delay = 1h\nparent-ds-ttl = 4h\n"
        "parent-propagation-delay = 1h\n{}",
        keys, algorithm, layout.denial, keyset_rollover ? "0" : "4d", "cds = yes\n");
  };
  s.extra_sections = policy(layout.keys, layout.algorithm);
  s.general_settings = "metrics-file = " + (s.dir / "rdnsprov.prom").string() + "\n";
  s.write_config();
  s.write_dump(slash24_delegations(193, 300));

  const std::time_t wall = std::time(nullptr);
  const std::time_t start = wall - 9 * 86400;
  std::vector<Version> history;
  std::vector<ParentDs> parent;
  std::map<std::uint16_t, std::time_t> confirm_at;   // new KSK/CSK tag → when the test confirms its DS
  std::map<std::uint16_t, std::time_t> confirmed;    // … and when it did
  std::map<std::string, int> steps_seen;
  std::string served_before;
  std::unique_ptr<KnotPrimary> knot;
  int unbound_runs = 0;
  const std::time_t change = start + 6 * kHour;  // a key set rollover's change of policy
  std::time_t new_keys_published = 0;            // the first publication after it, with the policy's new keys
  for (std::time_t t = start; t <= wall; t += kStep) {
    SCOPED_TRACE(fmt::format("run at --now {} (start + {} h)", t, (t - start) / kHour));
    if (keyset_rollover && t == change) {
      s.extra_sections = policy(final_keys, final_algorithm);
      s.write_config();
    }
    std::size_t mark = s.journal_size();
    for (auto it = confirm_at.begin(); it != confirm_at.end();) {
      if (t < it->second) {
        ++it;
        continue;
      }
      CommandResult seen = s.rdnsprov({"keys", "ds-seen", "--zone", kZone, "--key", std::to_string(it->first)}, t);
      ASSERT_EQ(seen.exit_code, 0) << seen.all();
      confirmed[it->first] = t;
      it = confirm_at.erase(it);
    }
    CommandResult run = s.rdnsprov({"run"}, t);
    ASSERT_EQ(run.exit_code, 0) << run.all();
    std::vector<json> events = zone_events(s.journal_since(mark), "key", kZone);
    for (const json& e : events) {
      std::string step = e.at("step");
      std::string role = e.at("role");
      std::uint16_t tag = e.at("key_tag");
      ++steps_seen[role + ":" + step];
      if (step == "ksk-ds-pending" || step == "csk-ds-pending" || step == "keyset-ds-pending") {
        // `keys status` tells the operator which DS to submit; the parent adds it now and serves it a day later,
        // when the test confirms it (the rollover must wait for that).
        CommandResult status = s.rdnsprov({"keys", "status", "--zone", kZone}, t);
        ASSERT_EQ(status.exit_code, 0) << status.all();
        EXPECT_NE(status.output.find(fmt::format("ACTION: submit this DS to the parent of {}.: {}. IN DS {} ", kZone,
                                                 kZone, tag)),
                  std::string::npos)
            << status.output;
        EXPECT_NE(status.output.find(fmt::format("keys ds-seen --zone {}. --key {}", kZone, tag)), std::string::npos)
            << status.output;
        parent.push_back(ParentDs{tag, {}, t, 0});
        confirm_at[tag] = t + 86400;
        // A CSK pre-published, or a key set rollover's new KSK at its DS step, is in the DNSKEY RRset: the zone this
        // run published names it in CDS too, for a parent that acts on CDS (a double-DS KSK is not in it yet).
        if (step != "ksk-ds-pending") {
          EXPECT_TRUE(read_version(read_text(s.target_file(kZone)), t).cds.count(tag))
              << "the zone published with the " << step << " step does not name key " << tag << " in CDS";
        }
        // A key set rollover asks for the new DS only once every cache holds the new keys and signatures.
        if (keyset_rollover) {
          ASSERT_NE(new_keys_published, 0) << "a DS asked for before the policy's new keys were published";
          EXPECT_GE(t, new_keys_published + std::max(kDnskeyWait, kSignatureWait));
        }
      }
      if (step == "keyset-signatures-first" || step == "keyset-signatures-last") {
        // keys list shows the key signing out of the DNSKEY RRset, and keys status the phase.
        CommandResult list = s.rdnsprov({"keys", "list", "--zone", kZone}, t);
        ASSERT_EQ(list.exit_code, 0) << list.all();
        // A key signing ahead of its DNSKEY is not shown as published yet.
        std::string state = step == "keyset-signatures-first" ? "presigning\\s+published -" : "leaving";
        EXPECT_TRUE(std::regex_search(list.output, std::regex(fmt::format("\\s{:05}\\s.*\\s{}\\s", tag, state))))
            << "key " << tag << " not " << state << ":\n" << list.output;
        CommandResult status = s.rdnsprov({"keys", "status", "--zone", kZone}, t);
        EXPECT_NE(status.output.find(step), std::string::npos) << status.output;
      }
      if (step == "active" && (role == "ksk" || role == "csk") && e.contains("other_key")) {
        // The new KSK/CSK signs the DNSKEY RRset only after the confirmed DS has had time to reach every cache.
        ASSERT_TRUE(confirmed.count(tag)) << "key " << tag << " took over before its DS was confirmed";
        EXPECT_GE(t, confirmed[tag] + kParentWait);
      }
      if (step == "retired" && (role == "ksk" || role == "csk")) {
        for (ParentDs& d : parent) {
          if (d.tag == tag && d.removed == 0) d.removed = t;
        }
      }
    }
    // The metric a monitoring system alerts on: 1 exactly while a DS waits for the operator's confirmation.
    testing::PrometheusText metrics = testing::parse_prometheus_text(read_text(s.dir / "rdnsprov.prom"));
    EXPECT_EQ(metrics.value("rdnsprov_zone_ds_confirmation_pending", {{"zone", kZone}}),
              confirm_at.empty() ? 0 : 1);
    if (parent.empty()) {
      // The first KSK/CSK's DS has been at the parent for long.
      auto apex = dns::Name::from_text(kZone);
      std::string text = read_text(s.target_file(kZone));
      Version first = read_version(text, t);
      for (std::uint16_t tag : first.dnskey_signers) parent.push_back(ParentDs{tag, first.dnskeys[tag], start - 86400, 0});
    }
    std::string served = read_text(s.target_file(kZone));
    if (served == served_before) continue;
    served_before = served;
    Version latest = read_version(served, t);
    if (keyset_rollover && !new_keys_published && t >= change) new_keys_published = t;
    // CDS names exactly the keys whose DS the parent serves or was asked to serve, for a parent that acts on it
    // (RFC 7344): a key set rollover's new KSK only from its DS step on, a CSK pre-published in its rollover, the
    // old one until it leaves the zone. While the parent should serve the DS of a key out of the DNSKEY RRset,
    // which a CDS cannot name (a double-DS KSK rollover's new KSK before the swap, the old one after it until its
    // DS may go), the zone publishes none, which means "no change": naming the other keys alone would have the
    // parent remove that DS.
    {
      std::set<std::uint16_t> at_parent;
      for (const ParentDs& d : parent) {
        if (d.removed == 0) at_parent.insert(d.tag);
      }
      std::vector<std::uint16_t> out_of_dnskey;
      for (std::uint16_t tag : at_parent) {
        if (!latest.dnskeys.count(tag)) out_of_dnskey.push_back(tag);
      }
      if (!out_of_dnskey.empty()) {
        EXPECT_TRUE(latest.cds.empty())
            << "CDS names keys " << fmt::format("{}", fmt::join(latest.cds, ", ")) << " while the parent should serve "
            << "the DS of key " << out_of_dnskey[0] << ", which is not in the DNSKEY RRset";
        ++steps_seen["cds-withheld"];
        // keys status says so, and why.
        CommandResult status = s.rdnsprov({"keys", "status", "--zone", kZone}, t);
        EXPECT_NE(status.output.find("NOTE: CDS/CDNSKEY are withheld"), std::string::npos) << status.output;
        if (steps_seen["cds-withheld"] == 1) {
          // `rdnsprov sign` with the zone's keys names the same keys as `run` does: none.
          fs::path by_hand = s.dir / "signed-by-hand.zone";
          fs::remove(by_hand);
          CommandResult sign = s.rdnsprov({"sign", "--zone", kZone, "--in", s.target_file(kZone).string(), "--out",
                                           by_hand.string()},
                                          t);
          ASSERT_EQ(sign.exit_code, 0) << sign.all();
          EXPECT_TRUE(read_version(read_text(by_hand), t).cds.empty()) << read_text(by_hand).substr(0, 3000);
        }
        for (std::uint16_t tag : latest.cds) EXPECT_TRUE(latest.dnskeys.count(tag));
      } else {
        EXPECT_EQ(latest.cds, at_parent) << "CDS does not name exactly the keys whose DS the parent should serve";
        CommandResult status = s.rdnsprov({"keys", "status", "--zone", kZone}, t);
        EXPECT_EQ(status.output.find("CDS/CDNSKEY are withheld"), std::string::npos) << status.output;
      }
    }
    if (!latest.cds.empty()) {
      // A parent that acts on CDS (BIND's dnssec-cds, RFC 7344 §4.1) accepts it: the CDS RRset validates from the DS
      // RRset the parent serves now, and the DNSKEY RRset from every algorithm of the DS RRset it makes, which
      // names exactly the CDS's keys. (Any signing time is accepted: the walk's runs are in the past.)
      std::string dsset;
      for (const ParentDs& d : parent) {
        if (d.removed == 0) dsset += ds_of(s.state / "keys" / kZone, d.tag) + "\n";
      }
      write_text(s.dir / "parent.ds", dsset);
      CommandResult cds = testing::run_command({"dnssec-cds", "-s", "20000101000000", "-f",
                                               s.target_file(kZone).string(), "-d", (s.dir / "parent.ds").string(),
                                               kZone});
      EXPECT_EQ(cds.exit_code, 0) << "parent DS:\n" << dsset << cds.all();
      std::set<std::uint16_t> new_ds;
      std::smatch m;
      for (std::string rest = cds.output; std::regex_search(rest, m, std::regex("\\sDS\\s+([0-9]+)\\s"));
           rest = m.suffix()) {
        new_ds.insert(static_cast<std::uint16_t>(std::stoi(m[1])));
      }
      EXPECT_EQ(new_ds, latest.cds) << cds.output;
    }
    if (!history.empty()) history.back().replaced = t;
    check_caches(history, latest, parent);
    history.push_back(latest);
    // After every rollover step, and whenever the DNSKEY RRset changed (a key set rollover's new keys come with the
    // change of policy, not with a step).
    bool dnskeys_changed = history.size() < 2 || history[history.size() - 2].dnskeys != latest.dnskeys;
    if (!events.empty() || dnskeys_changed) {
      std::vector<std::string> verify{"dnssec-verify", "-q", "-o", kZone, s.target_file(kZone).string()};
      if (csk || final_keys == "csk") verify.insert(verify.begin() + 1, "-z");
      CommandResult bind = testing::run_command(verify);
      EXPECT_EQ(bind.exit_code, 0) << bind.all();
      // Served by Knot, validated by Unbound from each DS RRset of the parent a resolver may hold now.
      if (!knot) {
        knot = std::make_unique<KnotPrimary>(s.dir / "knot", kZone, served);
        ASSERT_TRUE(knot->ready()) << knot->log();
      } else {
        CommandResult reload = knot->replace_zone(served);
        ASSERT_EQ(reload.exit_code, 0) << reload.all() << knot->log();
      }
      std::string serial = std::to_string(soa_serial(served).value_or(0));
      bool loaded = false;
      for (int i = 0; i < 300 && !loaded; ++i) {
        loaded = dig(knot->port(), kZone, "SOA", false).text.find(" " + serial + " ") != std::string::npos;
        if (!loaded) std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
      ASSERT_TRUE(loaded) << "Knot does not serve serial " << serial << ": " << knot->log();
      std::vector<std::set<std::uint16_t>> ds_sets = cached_ds_sets(parent, t);
      for (const std::set<std::uint16_t>& ds_set : std::set<std::set<std::uint16_t>>(ds_sets.begin(), ds_sets.end())) {
        std::vector<std::string> anchors;
        for (std::uint16_t tag : ds_set) anchors.push_back(ds_of(s.state / "keys" / kZone, tag));
        check_with_unbound(s.dir / fmt::format("unbound-{}", unbound_runs++), knot->port(), anchors);
      }
    }
  }
  // Unbound validated the served zone at the first publication, after every rollover step and every change of the
  // DNSKEY RRset, from each DS RRset.
  EXPECT_GE(unbound_runs, keyset_rollover ? 3 : csk ? 6 : 12);
  // Every step was taken, at least once, in the nine days.
  std::vector<std::string> expected =
      keyset_rollover
          ? (csk ? std::vector<std::string>{"csk:rolling", "csk:keyset-signatures-last", "csk:ds-removal", "csk:retired"}
                 : std::vector<std::string>{"ksk:rolling", "ksk:ds-removal", "ksk:retired",
                                            "zsk:keyset-signatures-last", "zsk:retired"})
      : csk ? std::vector<std::string>{"csk:csk-ds-pending", "csk:rolling", "csk:ds-published", "csk:active",
                                     "csk:csk-retiring", "csk:retired"}
          : std::vector<std::string>{"zsk:zsk-prepublished", "zsk:active",      "zsk:zsk-retiring",
                                     "zsk:retired",          "ksk:ksk-ds-pending", "ksk:rolling",
                                     "ksk:ds-published",     "ksk:active",        "ksk:ds-removal",
                                     "ksk:retired"};
  if (keyset_rollover) expected.push_back(final_keys == "csk" ? "csk:keyset-ds-pending" : "ksk:keyset-ds-pending");
  // A double-DS KSK rollover, and the end of a key set rollover, had CDS withheld for a while.
  if (keyset_rollover || !csk) expected.push_back("cds-withheld");
  if (!layout.new_algorithm.empty()) {
    // The new algorithm's signatures came before its DNSKEYs (RFC 6781 §4.1.4).
    if (final_keys == "csk") {
      expected.push_back("csk:keyset-signatures-first");
    } else {
      expected.insert(expected.end(), {"zsk:keyset-signatures-first", "ksk:keyset-signatures-first"});
    }
  }
  for (const std::string& step : expected) EXPECT_GT(steps_seen[step], 0) << "no " << step << " step in the walk";
  // The ZSK rolled every two days: at least three complete ZSK rollovers.
  if (final_keys == "ksk-zsk") {
    EXPECT_GE(steps_seen["zsk:retired"], 3);
  }
  // The retired KSK's DS is gone from the parent, and its key from the zone.
  std::size_t removed = 0;
  for (const ParentDs& d : parent) removed += d.removed != 0;
  EXPECT_GE(removed, 1u);
  // keys status after the walk: idle again, nothing for the operator to do.
  CommandResult status = s.rdnsprov({"keys", "status", "--zone", kZone}, wall);
  ASSERT_EQ(status.exit_code, 0) << status.all();
  EXPECT_EQ(status.output.find("ACTION"), std::string::npos) << status.output;
  if (keyset_rollover) {
    // The zone is signed with the policy's keys alone: its algorithm, one KSK (or CSK), ZSKs only beside a KSK.
    ASSERT_NE(new_keys_published, 0);
    const std::map<std::string, unsigned> numbers{{"rsasha256", 8}, {"ecdsap256sha256", 13}, {"ed25519", 15}};
    const Version& last = history.back();
    int ksks = 0, zsks = 0;
    for (const auto& [tag, rdata] : last.dnskeys) {
      EXPECT_EQ(static_cast<unsigned char>(rdata[3]), numbers.at(final_algorithm))
          << "key " << tag << " of another algorithm is published";
      (static_cast<unsigned char>(rdata[1]) == 1 ? ksks : zsks) += 1;  // flags 257 or 256
    }
    EXPECT_EQ(ksks, 1);
    EXPECT_EQ(zsks > 0, final_keys == "ksk-zsk") << zsks << " ZSKs";
    for (std::uint16_t tag : last.data_signers) EXPECT_TRUE(last.dnskeys.count(tag)) << tag;
    EXPECT_EQ(status.output.find("keyset-rollover"), std::string::npos) << status.output;
  }
}

// TTLs lowered in the middle of a ZSK rollover. A wait counts with the TTL of what resolvers cached, not with the
// TTL configured now (RFC 7583 §3). The DNSKEY TTL and every signed TTL go from 12 h to 6 h right after the new ZSK
// is pre-published, and to 1 h right after it takes over. The new ZSK signs only once the DNSKEY RRsets without it,
// served with 12 h, have left the caches; the old ZSK leaves only once the signatures it made, served with 6 h, have
// too. At every publication the cache check holds, with each version's own TTLs, and `keys status` gives the date
// the run keeps, also from metadata written before it recorded TTLs. A change of the DNSKEY TTL alone is published.
TEST(KeyRolloverTtls, TtlsLoweredDuringAZskRolloverAreWaitedForAsCachesHoldThem) {
  Scenario s({kZone});
  auto configure = [&](const std::string& ttl, const std::string& dnskey_ttl = "") {
    s.zone_settings[kZone] = fmt::format(
        "dnssec-policy = roll\nsoa-expire = 7d\nsoa-ttl = {0}\nns-ttl = {0}\nds-ttl = {0}\ncname-ttl = {0}", ttl);
    s.extra_sections = fmt::format(
        "[policy.roll]\nkeys = ksk-zsk\nalgorithm = ecdsap256sha256\ndenial = nsec\nsignature-validity = 30d\n"
        "refresh = 12d\ndnskey-ttl = {}\nzsk-lifetime = 3d\nksk-lifetime = 0\npropagation-delay = 1h\n",
        dnskey_ttl.empty() ? ttl : dnskey_ttl);
    s.write_config();
  };
  configure("12h");
  s.write_dump(slash24_delegations(193, 50));
  const std::time_t start = std::time(nullptr) - 6 * 86400;
  std::vector<Version> history;
  std::vector<ParentDs> parent;
  std::map<std::string, std::time_t> step_at;  // "zsk:<step>" → when the run took it (the first time)
  std::string served_before;
  for (std::time_t t = start; t <= start + 5 * 86400 && !step_at.count("zsk:retired"); t += kStep) {
    SCOPED_TRACE(fmt::format("run at --now {} (start + {} h)", t, (t - start) / kHour));
    std::size_t mark = s.journal_size();
    CommandResult run = s.rdnsprov({"run"}, t);
    ASSERT_EQ(run.exit_code, 0) << run.all();
    std::string served = read_text(s.target_file(kZone));
    if (served != served_before) {
      served_before = served;
      Version latest = read_version(served, t);
      // The KSK does not roll: the parent has served its DS for long.
      if (parent.empty()) {
        for (std::uint16_t tag : latest.dnskey_signers) parent.push_back({tag, latest.dnskeys[tag], start - 86400, 0});
      }
      if (!history.empty()) history.back().replaced = t;
      check_caches(history, latest, parent);
      history.push_back(latest);
    }
    for (const json& e : zone_events(s.journal_since(mark), "key", kZone)) {
      step_at.emplace(std::string(e.at("role")) + ":" + std::string(e.at("step")), t);
      if (e.at("step") == "zsk-prepublished") {
        configure("6h");
        // The published metadata as a release before its "ttls" wrote it: the zone file says them.
        fs::path meta_file = s.state / "published" / (std::string(kZone) + ".json");
        json meta = json::parse(read_text(meta_file));
        ASSERT_TRUE(meta.contains("ttls")) << meta.dump();
        EXPECT_EQ(meta.at("ttls").at("dnskey"), 12 * kHour);
        meta.erase("ttls");
        write_text(meta_file, meta.dump());
        // Published with 12 h: the new ZSK signs from then + 12 h + propagation, whatever the TTL now.
        CommandResult status = s.rdnsprov({"keys", "status", "--zone", kZone}, t);
        EXPECT_NE(status.output.find("it starts signing from " + signer::rollover_time_text(t + 13 * kHour)),
                  std::string::npos)
            << status.output;
      }
      if (e.at("step") == "zsk-retiring") configure("1h");
    }
  }
  ASSERT_TRUE(step_at.count("zsk:zsk-prepublished") && step_at.count("zsk:zsk-retiring") &&
              step_at.count("zsk:retired"))
      << "the ZSK rollover did not end";
  std::time_t prepublished = step_at["zsk:zsk-prepublished"];
  std::time_t swapped = step_at["zsk:zsk-retiring"];
  EXPECT_GE(swapped, prepublished + 12 * kHour + kPropagation);
  // The last version with the old ZSK's signatures, served with 6 h, was replaced by the swap.
  EXPECT_GE(step_at["zsk:retired"], swapped + 6 * kHour + kPropagation);
  EXPECT_EQ(history.back().ttls.dnskey, 3600u);

  // The DNSKEY TTL alone changes (the policy's, not the zone's content): diff says why the zone is republished, and
  // the next run publishes it.
  configure("1h", "2h");
  std::time_t next = step_at["zsk:retired"] + kStep;
  CommandResult diff = s.rdnsprov({"diff"}, next);
  EXPECT_EQ(diff.exit_code, 3) << diff.all();
  EXPECT_NE(diff.output.find("republished: the DNSKEY TTL changes from 3600 to 7200 seconds"), std::string::npos)
      << diff.all();
  CommandResult run = s.rdnsprov({"run"}, next);
  ASSERT_EQ(run.exit_code, 0) << run.all();
  EXPECT_EQ(read_version(read_text(s.target_file(kZone)), next).ttls.dnskey, 7200u);
}

// A version that only some targets took (the second target failing) is not recorded as published, but resolvers may
// cache what the first one serves. Its DNSKEY TTL (a day, raised by mistake and put back once the failure was
// seen) is remembered with the published version, and a ZSK rollover started afterwards waits for it: the new ZSK
// signs only once the DNSKEY RRsets served with a day until the next complete publication have left the caches.
TEST(KeyRolloverTtls, TtlsOfAVersionOnlySomeTargetsTookAreWaitedFor) {
  Scenario s({kZone});
  const fs::path second = s.dir / "second";
  auto configure = [&](const std::string& dnskey_ttl) {
    s.zone_settings[kZone] =
        "dnssec-policy = roll\nsoa-expire = 7d\nsoa-ttl = 1h\nns-ttl = 1h\nds-ttl = 1h\ncname-ttl = 1h";
    s.extra_sections = fmt::format(
        "[policy.roll]\nsignature-validity = 30d\nrefresh = 12d\ndnskey-ttl = {}\npropagation-delay = 1h\n\n"
        "[target.second]\ntype = directory\npath = {}\n",
        dnskey_ttl, second.string());
    s.write_config();
  };
  auto meta = [&] { return json::parse(read_text(s.state / "published" / (std::string(kZone) + ".json"))); };
  configure("1h");
  s.write_dump(slash24_delegations(193, 20));
  ASSERT_EQ(s.rdnsprov({"run"}, kT0).exit_code, 0);
  s.write_dump(slash24_delegations(193, 21));
  ASSERT_EQ(s.rdnsprov({"run"}, kT0 + kHour).exit_code, 0);

  configure("1d");
  fs::remove_all(second);
  write_text(second, "not a directory\n");  // the second target cannot take the zone
  s.write_dump(slash24_delegations(193, 22));
  CommandResult partly = s.rdnsprov({"run"}, kT0 + 2 * kHour);
  EXPECT_NE(partly.exit_code, 0) << partly.all();
  EXPECT_NE(partly.all().find("reached 1 of 2 targets"), std::string::npos) << partly.all();
  EXPECT_EQ(read_version(read_text(s.target_file(kZone)), kT0 + 2 * kHour).ttls.dnskey, 86400u);
  // The one earlier version remembered (an empty object when there is none or more than one).
  auto remembered = [&] {
    json earlier = meta().value("earlier_ttls", json::array());
    EXPECT_EQ(earlier.size(), 1u) << meta().dump();
    return earlier.size() == 1 ? earlier[0] : json::object();
  };
  json entry = remembered();
  EXPECT_EQ(entry.value("dnskey", 0), 86400);
  EXPECT_EQ(entry.value("still_served", false), true);
  // keys status says that steps wait for a version that reaches every target.
  CommandResult status = s.rdnsprov({"keys", "status", "--zone", kZone}, kT0 + 2 * kHour);
  EXPECT_NE(status.output.find("reached only some targets (see the run's target errors): steps that wait"),
            std::string::npos)
      << status.all();

  configure("1h");
  fs::remove(second);
  s.write_dump(slash24_delegations(193, 23));
  const std::time_t complete = kT0 + 3 * kHour;
  CommandResult fixed = s.rdnsprov({"run"}, complete);
  ASSERT_EQ(fixed.exit_code, 0) << fixed.all();
  entry = remembered();
  EXPECT_EQ(entry.value("dnskey", 0), 86400);
  EXPECT_EQ(entry.value("replaced_at", 0), complete);
  EXPECT_FALSE(entry.contains("still_served"));
  status = s.rdnsprov({"keys", "status", "--zone", kZone}, complete);
  EXPECT_EQ(status.output.find("reached only some targets"), std::string::npos) << status.all();

  Version v = read_version(read_text(s.target_file(kZone)), complete);
  ASSERT_EQ(v.data_signers.size(), 1u);
  std::string zsk = std::to_string(*v.data_signers.begin());
  ASSERT_EQ(s.rdnsprov({"keys", "rollover", "--zone", kZone, "--key", zsk}, complete).exit_code, 0);
  std::map<std::string, std::time_t> step_at;
  for (std::time_t t = complete + kHour; t <= complete + 3 * 86400 && !step_at.count("active"); t += kHour) {
    std::size_t mark = s.journal_size();
    CommandResult run = s.rdnsprov({"run"}, t);
    ASSERT_EQ(run.exit_code, 0) << run.all();
    for (const json& e : zone_events(s.journal_since(mark), "key", kZone)) step_at.emplace(e.at("step"), t);
  }
  ASSERT_TRUE(step_at.count("zsk-prepublished"));
  EXPECT_EQ(step_at["zsk-prepublished"], complete + kHour);
  ASSERT_TRUE(step_at.count("active"));
  EXPECT_GE(step_at["active"], complete + 86400 + kPropagation);
}

// The clock stepped back a day (an NTP correction): signing then would read keys and rollover steps taken since as
// not yet there (a new ZSK would leave the DNSKEY RRset while caches hold its signatures). Here the keys themselves
// are younger than the clock. The changed signed zone is held, naming both times; its published version and its
// keys stay as they are (no key is made for a layout the clock reads as incomplete). Unchanged, it is not held, but
// the run warns. Once the clock has passed the last publication, runs go on with the same keys.
TEST(KeyRolloverClock, AClockBehindTheLastPublicationHoldsTheSignedZone) {
  Scenario s({kZone});
  s.zone_settings[kZone] = "dnssec-policy = roll\nsoa-expire = 7d";
  s.extra_sections = "[policy.roll]\nsignature-validity = 30d\nrefresh = 12d\n";
  s.write_config();
  s.write_dump(slash24_delegations(193, 20));
  const std::time_t t = std::time(nullptr) - 2 * 86400;
  CommandResult first = s.rdnsprov({"run"}, t - 3 * kHour);  // the keys are made then
  ASSERT_EQ(first.exit_code, 0) << first.all();
  s.write_dump(slash24_delegations(193, 22));
  CommandResult second = s.rdnsprov({"run"}, t);
  ASSERT_EQ(second.exit_code, 0) << second.all();
  std::string published = read_text(s.target_file(kZone));
  auto key_files = [&] {
    std::set<std::string> names;
    for (const auto& f : fs::directory_iterator(s.state / "keys" / kZone)) names.insert(f.path().filename().string());
    return names;
  };
  const std::set<std::string> keys_before = key_files();
  s.write_dump(slash24_delegations(193, 21));  // a change to publish
  CommandResult behind = s.rdnsprov({"run"}, t - 86400);
  EXPECT_EQ(behind.exit_code, 4) << behind.all();
  EXPECT_NE(behind.all().find("is 86400 s behind this zone's last publication (" + signer::rollover_time_text(t) + ")"),
            std::string::npos)
      << behind.all();
  EXPECT_EQ(read_text(s.target_file(kZone)), published);
  // Nothing of the keys changed: the keys made at t, not yet there by the clock, are not made again.
  EXPECT_EQ(key_files(), keys_before);
  // Unchanged (its keys older than the clock), the zone is not signed, so not held; the run still says what is
  // wrong with the clock.
  s.write_dump(slash24_delegations(193, 22));
  CommandResult unchanged = s.rdnsprov({"run"}, t - kHour);
  EXPECT_EQ(unchanged.exit_code, 0) << unchanged.all();
  EXPECT_NE(unchanged.all().find("is behind its last publication (" + signer::rollover_time_text(t) + ")"),
            std::string::npos)
      << unchanged.all();
  s.write_dump(slash24_delegations(193, 21));
  CommandResult later = s.rdnsprov({"run"}, t + kHour);
  EXPECT_EQ(later.exit_code, 0) << later.all();
  EXPECT_NE(read_text(s.target_file(kZone)), published);
  EXPECT_EQ(read_version(read_text(s.target_file(kZone)), t + kHour).dnskeys,
            read_version(published, t).dnskeys);
}

// The clock was three days ahead when a run pre-published a new ZSK, and is right again now. Held by default (the
// test above); with --accept-clock the zone is signed at once with its keys as last published (the new ZSK stays in
// the DNSKEY RRset) and signatures valid from now, the reason journaled (diff and rebuild show it first; a rebuild
// from an older snapshot is held like run). Later runs, without the flag and still
// before the time the clock read then, keep those keys: no step is taken back or forward until the clock passes it,
// and then the rollover goes on.
TEST(KeyRolloverClock, AClockThatWasAheadIsAcceptedAndTheZoneSignedWithItsPublishedKeys) {
  Scenario s({kZone});
  s.zone_settings[kZone] = "dnssec-policy = roll\nsoa-expire = 7d\nsoa-ttl = 4h\nns-ttl = 4h\nds-ttl = 4h\ncname-ttl = 4h";
  s.extra_sections =
      "[policy.roll]\nsignature-validity = 30d\nrefresh = 12d\ndnskey-ttl = 4h\nzsk-lifetime = 2d\nksk-lifetime = 0\n"
      "propagation-delay = 1h\n";
  s.write_config();
  auto run = [&](int delegations, std::time_t at, std::vector<std::string> args = {"run"}) {
    s.write_dump(slash24_delegations(193, delegations));
    return s.rdnsprov(args, at);
  };
  ASSERT_EQ(run(20, kT0).exit_code, 0);
  ASSERT_EQ(run(21, kT0 + kHour).exit_code, 0);
  const std::time_t ahead = kT0 + 3 * 86400;  // what the clock read
  std::size_t mark = s.journal_size();
  CommandResult a = run(22, ahead);
  ASSERT_EQ(a.exit_code, 0) << a.all();
  std::vector<json> steps = zone_events(s.journal_since(mark), "key", kZone);
  ASSERT_EQ(steps.size(), 1u);
  EXPECT_EQ(steps[0].at("step"), "zsk-prepublished");
  const Version prepublished = read_version(read_text(s.target_file(kZone)), ahead);
  ASSERT_EQ(prepublished.dnskeys.size(), 3u);
  auto key_files = [&] {
    std::set<std::string> names;
    for (const auto& f : fs::directory_iterator(s.state / "keys" / kZone)) names.insert(f.path().filename().string());
    return names;
  };
  const std::set<std::string> keys_before = key_files();

  const std::time_t t = kT0 + 2 * kHour;  // the clock, right again
  // Unchanged, the zone is still to be published: its signatures are not valid yet.
  CommandResult diff = s.rdnsprov({"diff"}, t);
  EXPECT_NE(diff.output.find("republished: signatures are not valid before " +
                             signer::rollover_time_text(ahead - kHour) + " (made with a clock ahead)"),
            std::string::npos)
      << diff.all();
  EXPECT_EQ(run(23, t).exit_code, 4);
  EXPECT_EQ(s.rdnsprov({"run", "--accept-clock"}, t).exit_code, 2) << "--reason is required";
  EXPECT_EQ(s.rdnsprov({"run", "--accept-clock", "--reason", "  "}, t).exit_code, 2) << "a blank reason is none";
  // A rebuild from the snapshot the clock-ahead run took (of the version before it) is held alike: the keys went
  // out with the state's last publication, not with the snapshot's.
  const std::string snapshot = s.snapshot_ids().back();
  CommandResult rebuild = s.rdnsprov({"rebuild", "--from-snapshot", snapshot, "--publish"}, t);
  EXPECT_EQ(rebuild.exit_code, 4) << rebuild.all();
  EXPECT_NE(rebuild.all().find("behind this zone's last publication (" + signer::rollover_time_text(ahead) + ")"),
            std::string::npos)
      << rebuild.all();
  EXPECT_EQ(read_version(read_text(s.target_file(kZone)), t).dnskeys, prepublished.dnskeys);
  CommandResult rebuild_shown =
      s.rdnsprov({"rebuild", "--from-snapshot", snapshot, "--accept-clock", "--reason", "NTP"}, t);
  EXPECT_EQ(rebuild_shown.exit_code, 3) << rebuild_shown.all();
  EXPECT_NE(rebuild_shown.all().find("signed with the keys as at " + signer::rollover_time_text(ahead)),
            std::string::npos)
      << rebuild_shown.all();
  // diff shows what the flag would do.
  CommandResult preview = s.rdnsprov({"diff", "--accept-clock", "--reason", "NTP"}, t);
  EXPECT_EQ(preview.exit_code, 3) << preview.all();
  EXPECT_NE(preview.output.find("accepted (--accept-clock: NTP): signed with the keys as at " +
                                signer::rollover_time_text(ahead)),
            std::string::npos)
      << preview.all();
  mark = s.journal_size();
  CommandResult accepted = run(23, t, {"run", "--accept-clock", "--reason", "NTP was three days ahead"});
  ASSERT_EQ(accepted.exit_code, 0) << accepted.all();
  std::vector<json> entries = s.journal_since(mark);
  EXPECT_TRUE(zone_events(entries, "key", kZone).empty());
  std::vector<json> zone = zone_events(entries, "zone", kZone);
  ASSERT_EQ(zone.size(), 1u);
  std::optional<json> gate = gate_of(zone[0], "dnssec");
  ASSERT_TRUE(gate);
  EXPECT_EQ(gate->at("figures").value("accept_clock", ""), "NTP was three days ahead") << gate->dump();
  std::string text = read_text(s.target_file(kZone));
  EXPECT_EQ(read_version(text, t).dnskeys, prepublished.dnskeys);
  dns::MasterFile parsed = dns::read_master_file(text, *dns::Name::from_text(kZone));
  std::size_t signatures = 0;
  for (const dns::Record& r : parsed.records) {
    if (r.type != dns::RRType::kRrsig) continue;
    ++signatures;
    std::uint32_t inception = (static_cast<std::uint32_t>(static_cast<unsigned char>(r.rdata[12])) << 24) |
                              (static_cast<std::uint32_t>(static_cast<unsigned char>(r.rdata[13])) << 16) |
                              (static_cast<std::uint32_t>(static_cast<unsigned char>(r.rdata[14])) << 8) |
                              static_cast<std::uint32_t>(static_cast<unsigned char>(r.rdata[15]));
    EXPECT_LE(inception, static_cast<std::uint32_t>(t)) << r.owner.to_text();
  }
  EXPECT_GT(signatures, 20u);
  EXPECT_EQ(key_files(), keys_before);
  const fs::path keys_at_file = s.state / "keys" / kZone / "keys-at.json";
  EXPECT_EQ(json::parse(read_text(keys_at_file)).value("keys_at_unix", 0), ahead);

  // Without the flag, still before `ahead`: published, with the same keys, and no step taken.
  mark = s.journal_size();
  CommandResult next = run(24, t + kHour);
  EXPECT_EQ(next.exit_code, 0) << next.all();
  EXPECT_NE(next.all().find("its keys stay as they were at " + signer::rollover_time_text(ahead)), std::string::npos)
      << next.all();
  EXPECT_EQ(read_version(read_text(s.target_file(kZone)), t + kHour).dnskeys, prepublished.dnskeys);
  EXPECT_TRUE(zone_events(s.journal_since(mark), "key", kZone).empty());
  CommandResult status = s.rdnsprov({"keys", "status", "--zone", kZone}, t + kHour);
  EXPECT_NE(status.output.find("NOTE: the clock"), std::string::npos) << status.all();
  // A rollover asked for meanwhile says when it can start.
  CommandResult ksk_rollover =
      s.rdnsprov({"keys", "rollover", "--zone", kZone, "--key", std::to_string(*prepublished.dnskey_signers.begin())},
                 t + kHour);
  EXPECT_EQ(ksk_rollover.exit_code, 0) << ksk_rollover.all();
  EXPECT_NE(ksk_rollover.output.find("no rollover step is taken before a run after it"), std::string::npos)
      << ksk_rollover.all();

  // The time the keys were read at is kept beside them, not only in the published metadata: a damaged file holds
  // the zone naming it, and so does lost metadata (nothing shows the clock was accepted), until it is accepted anew.
  const std::string served = read_text(s.target_file(kZone));
  const std::string keys_at_text = read_text(keys_at_file);
  write_text(keys_at_file, "{\"keys_at_unix\": \"soon\"}");
  CommandResult damaged = run(25, t + 2 * kHour);
  EXPECT_EQ(damaged.exit_code, 4) << damaged.all();
  EXPECT_NE(damaged.all().find("keys-at.json is damaged"), std::string::npos) << damaged.all();
  EXPECT_EQ(read_text(s.target_file(kZone)), served);
  write_text(keys_at_file, keys_at_text);
  fs::remove(s.state / "published" / (std::string(kZone) + ".json"));
  CommandResult lost = run(25, t + 2 * kHour);
  EXPECT_EQ(lost.exit_code, 4) << lost.all();
  EXPECT_EQ(read_text(s.target_file(kZone)), served);
  CommandResult again = run(25, t + 2 * kHour, {"run", "--accept-clock", "--reason", "metadata lost"});
  EXPECT_EQ(again.exit_code, 0) << again.all();
  EXPECT_EQ(read_version(read_text(s.target_file(kZone)), t + 2 * kHour).dnskeys, prepublished.dnskeys);

  // Past it, the rollover goes on: the new ZSK takes over once caches hold it (4 h DNSKEY TTL + 1 h).
  mark = s.journal_size();
  ASSERT_EQ(run(26, ahead + 6 * kHour).exit_code, 0);
  steps = zone_events(s.journal_since(mark), "key", kZone);
  auto zsk_active = std::find_if(steps.begin(), steps.end(),
                                 [](const json& e) { return e.at("role") == "zsk" && e.at("step") == "active"; });
  ASSERT_NE(zsk_active, steps.end()) << json(steps).dump();  // the pre-published ZSK signs from now
  EXPECT_EQ(prepublished.dnskeys.count(zsk_active->at("key_tag").get<std::uint16_t>()), 1u) << zsk_active->dump();
  // And the KSK rollover asked for while the keys were kept starts.
  EXPECT_TRUE(std::any_of(steps.begin(), steps.end(), [](const json& e) { return e.at("role") == "ksk"; }))
      << json(steps).dump();
}

// The accepted run reaches one of two targets (exit 6): the second still serves the version whose signatures are
// valid only from the time the clock read then. The next runs publish the zone again under the same acceptance
// without the flag (the published metadata remembers it), until a version reaches both targets; a clock that has
// gone back before the time of the acceptance is not covered by it and is held again.
TEST(KeyRolloverClock, AnAcceptedClockHoldsUntilItsVersionReachesEveryTarget) {
  Scenario s({kZone});
  const fs::path second = s.dir / "second";
  s.zone_settings[kZone] = "dnssec-policy = roll\nsoa-expire = 7d";
  s.extra_sections = fmt::format(
      "[policy.roll]\nsignature-validity = 30d\nrefresh = 12d\n\n[target.second]\ntype = directory\npath = {}\n",
      second.string());
  s.write_config();
  auto run = [&](int delegations, std::time_t at, std::vector<std::string> args = {"run"}) {
    s.write_dump(slash24_delegations(193, delegations));
    return s.rdnsprov(args, at);
  };
  auto meta = [&] { return json::parse(read_text(s.state / "published" / (std::string(kZone) + ".json"))); };
  ASSERT_EQ(run(20, kT0).exit_code, 0);
  const std::time_t ahead = kT0 + 3 * 86400;  // what the clock read
  ASSERT_EQ(run(21, ahead).exit_code, 0);
  const Version published = read_version(read_text(s.target_file(kZone)), ahead);

  fs::remove_all(second);
  write_text(second, "not a directory\n");  // the second target cannot take the zone
  const std::time_t t = kT0 + 2 * kHour;     // the clock, right again
  const std::string reason = "NTP was three days ahead";
  CommandResult accepted = run(22, t, {"run", "--accept-clock", "--reason", reason});
  EXPECT_EQ(accepted.exit_code, 6) << accepted.all();
  EXPECT_NE(accepted.all().find("reached 1 of 2 targets"), std::string::npos) << accepted.all();
  json remembered = meta().value("accepted_clock", json::object());
  EXPECT_EQ(remembered.value("at", 0), t) << meta().dump();
  EXPECT_EQ(remembered.value("reason", ""), reason) << meta().dump();

  // Without the flag, the second target still failing: signed and published again under the same acceptance.
  const std::string by = "accepted at " + signer::rollover_time_text(t) +
                         " by a run whose version reached only some targets (--accept-clock: " + reason + ")";
  CommandResult preview = s.rdnsprov({"diff"}, t + kHour);
  EXPECT_EQ(preview.exit_code, 3) << preview.all();
  EXPECT_NE(preview.output.find(by), std::string::npos) << preview.all();
  std::size_t mark = s.journal_size();
  CommandResult again = run(23, t + kHour);
  EXPECT_EQ(again.exit_code, 6) << again.all();
  EXPECT_NE(again.all().find(by), std::string::npos) << again.all();
  std::vector<json> zone = zone_events(s.journal_since(mark), "zone", kZone);
  ASSERT_EQ(zone.size(), 1u);
  std::optional<json> gate = gate_of(zone[0], "dnssec");
  ASSERT_TRUE(gate);
  EXPECT_EQ(gate->at("figures").value("accept_clock", ""), reason) << gate->dump();
  EXPECT_EQ(gate->at("figures").value("accepted_at", 0), t) << gate->dump();
  EXPECT_EQ(read_version(read_text(s.target_file(kZone)), t + kHour).dnskeys, published.dnskeys);

  // A clock gone back before the acceptance: held, the served zone left as it is.
  const std::string served = read_text(s.target_file(kZone));
  CommandResult back = run(24, t - kHour);
  EXPECT_EQ(back.exit_code, 4) << back.all();
  EXPECT_NE(back.all().find("that acceptance no longer holds"), std::string::npos) << back.all();
  EXPECT_EQ(read_text(s.target_file(kZone)), served);

  // The second target fixed: the version reaches both, still without the flag; the acceptance is no longer kept.
  fs::remove(second);
  CommandResult fixed = run(24, t + 2 * kHour);
  ASSERT_EQ(fixed.exit_code, 0) << fixed.all();
  EXPECT_FALSE(meta().contains("accepted_clock")) << meta().dump();
  EXPECT_EQ(meta().value("published_at", 0), t + 2 * kHour);
  EXPECT_EQ(read_text(second / (std::string(kZone) + ".zone")), read_text(s.target_file(kZone)));
  EXPECT_EQ(read_version(read_text(s.target_file(kZone)), t + 2 * kHour).dnskeys, published.dnskeys);
  ASSERT_EQ(run(25, t + 3 * kHour).exit_code, 0);
}

// The files of the ZSK that signs the published version are lost: the run would make a new ZSK and sign with it at
// once, which resolvers holding the published DNSKEY RRset cannot validate, while the lost key's signatures they
// hold would lose their DNSKEY. The dnssec gate holds the zone for key continuity, naming both; once the files are
// back from the backup, it is published. A key gone for good is published with --allow-key-break and the reason.
TEST(KeyContinuityScenario, AZskLostOutsideARolloverHoldsTheZoneUntilItIsBackOrTheBreakIsAccepted) {
  Scenario s({kZone});
  s.zone_settings[kZone] = "dnssec-policy = roll\nsoa-expire = 7d";
  s.extra_sections = "[policy.roll]\nsignature-validity = 30d\nrefresh = 12d\n";
  s.write_config();
  auto run = [&](int delegations, std::time_t at, std::vector<std::string> args = {"run"}) {
    s.write_dump(slash24_delegations(193, delegations));
    return s.rdnsprov(args, at);
  };
  ASSERT_EQ(run(20, kT0).exit_code, 0);
  const Version published = read_version(read_text(s.target_file(kZone)), kT0);
  ASSERT_EQ(published.data_signers.size(), 1u);
  const std::uint16_t zsk = *published.data_signers.begin();
  const fs::path keys = s.state / "keys" / kZone;
  const fs::path aside = s.dir / "key-backup";
  fs::create_directories(aside);
  auto move_zsk = [&](const fs::path& from, const fs::path& to) {
    std::size_t moved = 0;
    for (const auto& f : fs::directory_iterator(from)) {
      std::string name = f.path().filename().string();
      if (name.find(fmt::format("+{:05}.", zsk)) != std::string::npos || name == fmt::format("{}.state", zsk)) {
        fs::rename(f.path(), to / name);
        ++moved;
      }
    }
    return moved;
  };
  ASSERT_EQ(move_zsk(keys, aside), 3u);  // .key, .private, .state

  const std::string served = read_text(s.target_file(kZone));
  CommandResult lost = run(21, kT0 + kHour);
  EXPECT_EQ(lost.exit_code, 4) << lost.all();
  EXPECT_NE(lost.all().find("key continuity: "), std::string::npos) << lost.all();
  EXPECT_NE(lost.all().find(fmt::format("which the published DNSKEY RRset")), std::string::npos) << lost.all();
  EXPECT_NE(lost.all().find("--allow-key-break 193.in-addr.arpa."), std::string::npos) << lost.all();
  EXPECT_EQ(read_text(s.target_file(kZone)), served);
  CommandResult preview = s.rdnsprov({"diff"}, kT0 + kHour);
  EXPECT_EQ(preview.exit_code, 4) << preview.all();
  EXPECT_NE(preview.output.find("key continuity: "), std::string::npos) << preview.all();

  // Back from the backup: published (the ZSK made meanwhile signs beside it), the lost key's DNSKEY kept.
  ASSERT_EQ(move_zsk(aside, keys), 3u);
  CommandResult restored = run(21, kT0 + 2 * kHour);
  ASSERT_EQ(restored.exit_code, 0) << restored.all();
  Version back = read_version(read_text(s.target_file(kZone)), kT0 + 2 * kHour);
  EXPECT_EQ(back.data_signers.count(zsk), 1u);
  EXPECT_EQ(back.dnskeys.count(zsk), 1u);

  // Gone for good: published with the break accepted, journaled with the reason.
  ASSERT_EQ(move_zsk(keys, aside), 3u);
  for (const auto& f : fs::directory_iterator(keys)) {  // and the ZSK made meanwhile with it
    std::string name = f.path().filename().string();
    if (name.ends_with(".key") && read_text(f.path()).find(" 256 3 ") != std::string::npos) {
      std::string stem = name.substr(0, name.size() - 4);
      std::string tag = stem.substr(stem.rfind('+') + 1);
      fs::remove(keys / (stem + ".key"));
      fs::remove(keys / (stem + ".private"));
      fs::remove(keys / (std::to_string(std::stoi(tag)) + ".state"));
      break;
    }
  }
  EXPECT_EQ(run(22, kT0 + 3 * kHour).exit_code, 4);
  EXPECT_EQ(s.rdnsprov({"run", "--allow-key-break", kZone}, kT0 + 3 * kHour).exit_code, 2) << "--reason is required";
  std::size_t mark = s.journal_size();
  CommandResult accepted = run(22, kT0 + 3 * kHour, {"run", "--allow-key-break", kZone, "--reason", "ZSK lost, no backup"});
  ASSERT_EQ(accepted.exit_code, 0) << accepted.all();
  std::vector<json> zone = zone_events(s.journal_since(mark), "zone", kZone);
  ASSERT_EQ(zone.size(), 1u);
  std::optional<json> gate = gate_of(zone[0], "dnssec");
  ASSERT_TRUE(gate);
  EXPECT_EQ(gate->at("figures").value("allow_key_break", ""), "ZSK lost, no backup") << gate->dump();
  EXPECT_FALSE(gate->at("figures").value("key_continuity", json::array()).empty()) << gate->dump();
  EXPECT_EQ(read_version(read_text(s.target_file(kZone)), kT0 + 3 * kHour).data_signers.count(zsk), 0u);
  // The next run compares with what it published: nothing to accept any more.
  EXPECT_EQ(run(23, kT0 + 4 * kHour).exit_code, 0);
}

// The policy's algorithm changes while the published copy is damaged (I-1: the run rebuilds and republishes the
// zone): the algorithm rollover still starts in the conservative order, by what the keys' states say the damaged
// copy carried. The new ZSK signs every RRset; the DNSKEY RRset keeps the old algorithm alone.
TEST(KeyRolloverStart, AlgorithmChangeOverADamagedPublishedCopySignsBeforeItPublishesTheNewKeys) {
  Scenario s({kZone});
  s.zone_settings[kZone] = "dnssec-policy = roll";
  auto policy = [](const char* algorithm) {
    return fmt::format("[policy.roll]\nalgorithm = {}\nsignature-validity = 21d\nrefresh = 15d\n", algorithm);
  };
  s.extra_sections = policy("ecdsap256sha256");
  s.write_config();
  s.write_dump(slash24_delegations(193, 20));
  ASSERT_EQ(s.rdnsprov({"run"}, kT0).exit_code, 0);
  ASSERT_EQ(s.rdnsprov({"run"}, kT0 + kHour).exit_code, 0);  // finds the keys published
  std::string text = read_text(s.published_file(kZone));
  write_text(s.published_file(kZone), text.substr(0, text.size() / 2));  // truncated by hand
  s.extra_sections = policy("ed25519");
  s.write_config();
  std::size_t mark = s.journal_size();
  CommandResult r = s.rdnsprov({"run"}, kT0 + 2 * kHour);
  ASSERT_EQ(r.exit_code, 0) << r.all();
  std::vector<json> entries = s.journal_since(mark);
  EXPECT_EQ(zone_events(entries, "published-copy-problem", kZone).size(), 1u);
  ASSERT_EQ(zone_events(entries, "publish", kZone).size(), 1u);
  std::vector<json> steps = zone_events(entries, "key", kZone);
  ASSERT_EQ(steps.size(), 2u);  // the new KSK and ZSK
  for (const json& e : steps) EXPECT_EQ(e.at("step"), "keyset-signatures-first") << e.dump();
  Version v = read_version(read_text(s.target_file(kZone)), kT0 + 2 * kHour);
  EXPECT_EQ(v.dnskey_algorithms, (std::set<std::uint8_t>{13}));
  EXPECT_EQ(v.common_algorithms, (std::set<std::uint8_t>{13, 15})) << "every RRset signed by both algorithms";
  CommandResult list = s.rdnsprov({"keys", "list", "--zone", kZone}, kT0 + 2 * kHour);
  EXPECT_NE(list.output.find("presigning"), std::string::npos) << list.output;
}

INSTANTIATE_TEST_SUITE_P(Layouts, KeyRollover,
                         ::testing::Values(Layout{"ksk-zsk", "ecdsap256sha256", "nsec", "", ""},
                                           Layout{"csk", "ed25519", "nsec3", "", ""},
                                           Layout{"ksk-zsk", "rsasha256", "nsec3", "", "ecdsap256sha256"},
                                           Layout{"ksk-zsk", "ecdsap256sha256", "nsec", "csk", ""},
                                           Layout{"csk", "ecdsap256sha256", "nsec", "ksk-zsk", "ed25519"}),
                         [](const ::testing::TestParamInfo<Layout>& param) {
                           if (!param.param.new_algorithm.empty() && !param.param.new_keys.empty()) {
                             return std::string("algorithm_and_layout");
                           }
                           if (!param.param.new_algorithm.empty()) return std::string("algorithm");
                           if (!param.param.new_keys.empty()) return std::string("key_layout");
                           return param.param.keys == "csk" ? std::string("csk") : std::string("ksk_zsk");
                         });

}  // namespace
}  // namespace rdnsprov::scenarios
