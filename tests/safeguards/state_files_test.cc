// The JSON files rdnsprov reads back from its state directory, hand-edited or damaged: each is refused with a
// json::exception naming the field (which the callers turn into a message naming the file), never silently
// converted, and a freeze file holds whatever it says. Regression tests of docs/RELIABILITY.md "Findings".
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "dns/atomic_file.h"
#include "safeguards/freeze.h"
#include "safeguards/journal.h"
#include "safeguards/snapshot.h"
#include "safeguards/state_dir.h"
#include "tests/support/support.h"

namespace rdnsprov::safeguards {
namespace {

using json = nlohmann::json;
using rdnsprov::testing::TempDir;

json good_meta() {
  return json{{"serial", 2027011501},  {"records", 10}, {"delegations", 3}, {"file_sha256", "ab"},
              {"content_sha256", "cd"}, {"published_at", 1800000000}};
}

std::string meta_error(const std::string& key, const json& value) {
  json j = good_meta();
  j[key] = value;
  try {
    PublishedMeta::from_json(j);
  } catch (const json::exception& e) {
    return e.what();
  }
  return "(accepted)";
}

TEST(PublishedMetaFile, RefusesNumbersThatAreNotIntegersInRange) {
  PublishedMeta m = PublishedMeta::from_json(good_meta());
  EXPECT_EQ(m.serial, 2027011501u);
  EXPECT_EQ(PublishedMeta::from_json(m.to_json()).to_json(), m.to_json());
  // A float far out of range was undefined behaviour in the conversion; a negative serial became 4294967295.
  EXPECT_NE(meta_error("serial", 1e300).find("\"serial\" is not an integer"), std::string::npos);
  EXPECT_NE(meta_error("serial", -1).find("\"serial\""), std::string::npos);
  EXPECT_NE(meta_error("serial", 4294967296LL).find("\"serial\""), std::string::npos);
  EXPECT_NE(meta_error("serial", 12.5).find("\"serial\""), std::string::npos);
  EXPECT_NE(meta_error("records", -3).find("\"records\""), std::string::npos);
  EXPECT_NE(meta_error("published_at", 1e40).find("\"published_at\""), std::string::npos);
  EXPECT_NE(meta_error("serial", "7").find("serial"), std::string::npos);
  EXPECT_EQ(meta_error("serial", 4294967295LL), "(accepted)");
}

// A signed zone's metadata records when its first signature expires; metadata written before that field existed
// (and an unsigned zone's) has none, and reads back without one.
TEST(PublishedMetaFile, SignatureExpiryIsOptionalAndChecked) {
  EXPECT_FALSE(PublishedMeta::from_json(good_meta()).signatures_expire_at);
  EXPECT_FALSE(PublishedMeta::from_json(good_meta()).to_json().contains("signatures_expire_at"));
  json signed_meta = good_meta();
  signed_meta["signatures_expire_at"] = 1801814400;
  PublishedMeta m = PublishedMeta::from_json(signed_meta);
  EXPECT_EQ(m.signatures_expire_at, 1801814400);
  EXPECT_EQ(m.to_json(), signed_meta);
  EXPECT_NE(meta_error("signatures_expire_at", "soon").find("signatures_expire_at"), std::string::npos);
  EXPECT_NE(meta_error("signatures_expire_at", 1.5).find("\"signatures_expire_at\""), std::string::npos);
}

// The keys the parent's DS is believed to point to are carried in the metadata; absent before they were recorded.
TEST(PublishedMetaFile, TrustedDsIsOptionalAndAListOfStrings) {
  EXPECT_FALSE(PublishedMeta::from_json(good_meta()).trusted_ds);
  json signed_meta = good_meta();
  signed_meta["trusted_ds"] = json::array({"2705 13 2 B09BA503", "9 13 2 AB"});
  PublishedMeta m = PublishedMeta::from_json(signed_meta);
  ASSERT_TRUE(m.trusted_ds);
  EXPECT_EQ(*m.trusted_ds, (std::vector<std::string>{"2705 13 2 B09BA503", "9 13 2 AB"}));
  EXPECT_EQ(m.to_json(), signed_meta);
  EXPECT_NE(meta_error("trusted_ds", "2705 13 2 B09BA503"), "(accepted)");
  EXPECT_NE(meta_error("trusted_ds", json::array({7})), "(accepted)");
}

// A signed version's TTLs, and those of earlier versions caches may still hold (key rollovers wait for them), read
// back as written. An earlier version is kept while a TTL of it exceeds the new version's, and for
// kEarlierTtlsKept past the moment caches let go of it.
TEST(PublishedMetaFile, TtlsOfThisAndEarlierVersionsAreKeptWhileCachesMayHoldThem) {
  json signed_meta = good_meta();
  signed_meta["ttls"] = {{"dnskey", 3600}, {"signed", 7200}};
  signed_meta["earlier_ttls"] = json::array({{{"dnskey", 86400}, {"signed", 86400}, {"replaced_at", 1799990000}}});
  PublishedMeta m = PublishedMeta::from_json(signed_meta);
  ASSERT_TRUE(m.ttls);
  EXPECT_EQ(*m.ttls, (dns::ServedTtls{3600, 7200}));
  ASSERT_EQ(m.earlier_ttls.size(), 1u);
  EXPECT_EQ(m.earlier_ttls[0].replaced_at, 1799990000);
  EXPECT_EQ(m.to_json(), signed_meta);
  EXPECT_NE(meta_error("ttls", {{"dnskey", -1}, {"signed", 1}}).find("dnskey"), std::string::npos);
  EXPECT_NE(meta_error("earlier_ttls", json::array({{{"dnskey", 1}, {"signed", 1}}})).find("replaced_at"),
            std::string::npos);

  const std::time_t now = 1800000000;
  // Replaced now by a version with TTLs 300: this one (3600/7200) and the earlier one (86400) stay.
  std::vector<PublishedMeta::EarlierTtls> after = m.earlier_ttls_after(*m.ttls, {300, 300}, now);
  ASSERT_EQ(after.size(), 2u);
  EXPECT_EQ(after[1].ttls, (dns::ServedTtls{3600, 7200}));
  EXPECT_EQ(after[1].replaced_at, now);
  // By one with TTLs 7200: only the earlier one, whose TTL is larger, stays.
  after = m.earlier_ttls_after(*m.ttls, {7200, 7200}, now);
  ASSERT_EQ(after.size(), 1u);
  EXPECT_EQ(after[0].ttls.dnskey, 86400u);
  // Long after caches let go of the earlier one: forgotten.
  after = m.earlier_ttls_after(*m.ttls, {7200, 7200}, 1799990000 + 86400 + kEarlierTtlsKept);
  EXPECT_TRUE(after.empty());

  // A version only some targets took is still served: read back as written, and replaced by the next version
  // published everywhere, at that time, however long ago it was remembered.
  signed_meta["earlier_ttls"].push_back({{"dnskey", 172800}, {"signed", 3600}, {"replaced_at", 1700000000},
                                         {"still_served", true}});
  m = PublishedMeta::from_json(signed_meta);
  ASSERT_EQ(m.earlier_ttls.size(), 2u);
  EXPECT_TRUE(m.earlier_ttls[1].still_served);
  EXPECT_FALSE(m.earlier_ttls[0].still_served);
  EXPECT_EQ(m.to_json(), signed_meta);
  after = m.earlier_ttls_after(*m.ttls, {7200, 7200}, now);
  ASSERT_EQ(after.size(), 2u);
  EXPECT_EQ(after[1].ttls.dnskey, 172800u);
  EXPECT_EQ(after[1].replaced_at, now);
  EXPECT_FALSE(after[1].still_served);
  // A damaged flag names itself.
  json damaged = signed_meta["earlier_ttls"];
  damaged[1]["still_served"] = "yes";
  EXPECT_NE(meta_error("earlier_ttls", damaged).find("\"still_served\" is not true or false"), std::string::npos)
      << meta_error("earlier_ttls", damaged);
}

// The acceptance of the clock a version only some targets took was signed under reads back as written; the texts
// of the metadata must be strings, and a field that is not names itself.
TEST(PublishedMetaFile, AnAcceptedClockAndTheTextFieldsReadBackAsWritten) {
  EXPECT_FALSE(PublishedMeta::from_json(good_meta()).accepted_clock);
  json accepted = good_meta();
  accepted["accepted_clock"] = {{"at", 1800007200}, {"reason", "NTP was three days ahead"}};
  PublishedMeta m = PublishedMeta::from_json(accepted);
  ASSERT_TRUE(m.accepted_clock);
  EXPECT_EQ(m.accepted_clock->at, 1800007200);
  EXPECT_EQ(m.accepted_clock->reason, "NTP was three days ahead");
  EXPECT_EQ(m.to_json(), accepted);
  EXPECT_NE(meta_error("accepted_clock", {{"at", 1800007200}}).find("reason"), std::string::npos);
  EXPECT_NE(meta_error("accepted_clock", {{"at", 1800007200}, {"reason", 7}}).find("\"reason\" is not a string"),
            std::string::npos);
  EXPECT_NE(meta_error("accepted_clock", {{"at", "now"}, {"reason", "x"}}).find("\"at\""), std::string::npos);
  EXPECT_NE(meta_error("file_sha256", 12).find("\"file_sha256\" is not a string"), std::string::npos);
  EXPECT_NE(meta_error("content_sha256", json::array()).find("\"content_sha256\" is not a string"),
            std::string::npos);
}

TEST(PublishedMetaFile, DamagedMetadataIsReportedAsAProblemOfThatFile) {
  TempDir dir;
  StateDir state = StateDir::open(dir / "state");
  dns::Name apex = *dns::Name::from_text("193.in-addr.arpa");
  json j = good_meta();
  j["serial"] = -5e307;
  dns::write_file_atomically(state.published_dir() / "193.in-addr.arpa.json", j.dump());
  dns::write_file_atomically(state.published_dir() / "193.in-addr.arpa.zone", "x\n");
  auto published = state.published(apex);
  ASSERT_TRUE(published.has_value());
  EXPECT_FALSE(published->meta.has_value());
  EXPECT_NE(published->problem.find("193.in-addr.arpa.json cannot be read"), std::string::npos) << published->problem;
}

json good_manifest() {
  return json{{"id", "20270115T080000Z"},
              {"created", 1800000000},
              {"reason", "before publication by run"},
              {"serials", {{"193.in-addr.arpa", 1800000000}}},
              {"files", {{{"path", "published/193.in-addr.arpa.zone"}, {"size", 12}, {"sha256", "ab"}}}}};
}

std::string manifest_error(const json& j) {
  try {
    Snapshot::from_json(j);
  } catch (const json::exception& e) {
    return e.what();
  }
  return "(accepted)";
}

TEST(SnapshotManifest, RefusesPathsOutsideTheSnapshotAndBadNumbers) {
  Snapshot s = Snapshot::from_json(good_manifest());
  EXPECT_EQ(Snapshot::from_json(s.to_json()).to_json(), s.to_json());
  for (const std::string& path : {std::string("../x"), std::string("/etc/passwd"), std::string("published/../../x"),
                                  std::string("published/\0/x", 13), std::string("")}) {
    json j = good_manifest();
    j["files"][0]["path"] = path;
    EXPECT_NE(manifest_error(j).find("outside the snapshot"), std::string::npos) << ::testing::PrintToString(path);
  }
  // A path with invalid UTF-8 is refused with a message, not with an exception from printing it.
  json j = good_manifest();
  j["files"][0]["path"] = std::string("../\xff");
  EXPECT_NE(manifest_error(j).find("outside the snapshot"), std::string::npos);
  j = good_manifest();
  j["serials"]["193.in-addr.arpa"] = 1e300;
  EXPECT_NE(manifest_error(j).find("\"193.in-addr.arpa\" is not an integer"), std::string::npos);
  j = good_manifest();
  j["serials"] = json::array({1, 2});
  EXPECT_NE(manifest_error(j).find("\"serials\" is not an object"), std::string::npos);
  j = good_manifest();
  j["files"][0]["size"] = -1;
  EXPECT_NE(manifest_error(j).find("\"size\""), std::string::npos);
  j = good_manifest();
  j["created"] = 3.5;
  EXPECT_NE(manifest_error(j).find("\"created\""), std::string::npos);
}

TEST(SnapshotManifest, SnapshotIdsNameADirectoryRightBelowSnapshots) {
  EXPECT_TRUE(is_snapshot_id("20270115T080000Z"));
  EXPECT_TRUE(is_snapshot_id("20270115T080000Z-2"));
  for (const std::string& id : {std::string(""), std::string("."), std::string(".."), std::string("../x"),
                                std::string("/abs"), std::string(".20270115T080000Z.partial"),
                                std::string("a\0b", 3)}) {
    EXPECT_FALSE(is_snapshot_id(id)) << ::testing::PrintToString(id);
  }
}

TEST(FreezeFile, AnyContentStillFreezesAndFieldsOfTheWrongTypeAreLeftEmpty) {
  TempDir dir;
  StateDir state = StateDir::open(dir / "state");
  // A reason that is not a string made frozen() throw json::type_error: the run ended with a JSON message
  // instead of "publication is frozen".
  dns::write_file_atomically(state.freeze_file(), R"({"reason": 5, "who": ["x"], "since": "yesterday"})");
  auto info = frozen(state);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->reason, "");
  EXPECT_EQ(info->who, "");
  EXPECT_EQ(info->since, 0);
  dns::write_file_atomically(state.freeze_file(), R"({"reason": "incident 7", "who": "alice", "since": 1800000000})");
  info = frozen(state);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->reason, "incident 7");
  EXPECT_EQ(info->since, 1800000000);
  dns::write_file_atomically(state.freeze_file(), "\xff\xfe not json");
  EXPECT_TRUE(frozen(state).has_value());
}

}  // namespace
}  // namespace rdnsprov::safeguards
