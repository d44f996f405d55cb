// I-3: a cold start or a broken export publishes empty or shrunk zones. The empty-zone and size-drop gates hold
// such a zone; a held zone keeps serving its last published version while the other zones proceed; an override is
// journaled with the counts it overrode. Also: runs on unchanged input are idempotent, and a freeze stops them.
#include "tests/scenarios/scenario.h"

namespace rdnsprov::scenarios {
namespace {

// I-3: the registry export is truncated to nothing after a good run.
TEST(ScenarioI3, EmptyExportIsHeldAndNothingIsPublished) {
  Scenario s({"193.in-addr.arpa", "194.in-addr.arpa"});
  s.write_dump(concat({slash24_delegations(193, 150), slash24_delegations(194, 150)}));
  CommandResult first = s.rdnsprov({"run"}, kT0);
  ASSERT_EQ(first.exit_code, 0) << first.all();
  auto before = s.published_state();
  ASSERT_EQ(before.size(), 6u);  // 2 × (zone + metadata) in published/, 2 zone files in the target

  write_text(s.dump, "");
  std::size_t mark = s.journal_size();
  CommandResult r = s.rdnsprov({"run"}, kT0 + kHour);
  EXPECT_EQ(r.exit_code, 4) << "held" << r.all();
  EXPECT_EQ(s.published_state(), before) << "a held zone keeps its published version, byte for byte";

  auto entries = s.journal_since(mark);
  EXPECT_TRUE(events_of(entries, "publish").empty());
  for (const std::string zone : {"193.in-addr.arpa", "194.in-addr.arpa"}) {
    auto lines = zone_events(entries, "zone", zone);
    ASSERT_EQ(lines.size(), 1u) << zone;
    EXPECT_EQ(lines[0].at("action"), "hold");
    EXPECT_EQ(lines[0].at("delegations"), 0);
    auto gate = gate_of(lines[0], "empty-zone");
    ASSERT_TRUE(gate) << lines[0].dump();
    EXPECT_EQ(gate->at("verdict"), "hold") << gate->dump();
    EXPECT_EQ(gate->at("figures").at("published_delegations"), 150) << gate->dump();
    EXPECT_NE(gate->at("reason").get<std::string>().find("no delegations"), std::string::npos) << gate->dump();
  }
  auto end = events_of(entries, "run-end");
  ASSERT_EQ(end.size(), 1u);
  EXPECT_EQ(end[0].at("exit"), 4);
  EXPECT_NE(r.errors.find("empty-zone"), std::string::npos) << "the operator is told why: " << r.errors;
  // The hold is lasting: the next run with the same empty export holds again.
  EXPECT_EQ(s.rdnsprov({"run"}, kT0 + 2 * kHour).exit_code, 4);
  EXPECT_EQ(s.published_state(), before);
}

// I-3: 40% of one zone's delegations vanish; that zone is held, the others publish; an override publishes it.
TEST(ScenarioI3, SharpDropHoldsOneZoneOthersPublishOverridePublishes) {
  Scenario s({"193.in-addr.arpa", "194.in-addr.arpa", "195.in-addr.arpa"});
  auto z193 = slash24_delegations(193, 200);
  auto z194 = slash24_delegations(194, 200);
  auto z195 = slash24_delegations(195, 200);
  s.write_dump(concat({z193, z194, z195}));
  ASSERT_EQ(s.rdnsprov({"run"}, kT0).exit_code, 0);
  std::string old_194 = read_text(s.published_file("194.in-addr.arpa"));
  std::string old_194_target = read_text(s.target_file("194.in-addr.arpa"));
  std::uint32_t old_193_serial = s.published_serial("193.in-addr.arpa");

  // 194 loses 80 of 200 (40%); 193 changes the nameservers of 5 delegations; 195 gains 3.
  z194.resize(120);
  for (int i = 0; i < 5; ++i) z193[static_cast<std::size_t>(i)].nservers = {"ns1.moved.example", "ns2.moved.example"};
  auto more = slash24_delegations(195, 3, 200);
  z195.insert(z195.end(), more.begin(), more.end());
  s.write_dump(concat({z193, z194, z195}));

  std::size_t mark = s.journal_size();
  CommandResult held = s.rdnsprov({"run"}, kT0 + kHour);
  EXPECT_EQ(held.exit_code, 4) << held.all();
  auto entries = s.journal_since(mark);

  auto zone_194 = zone_events(entries, "zone", "194.in-addr.arpa");
  ASSERT_EQ(zone_194.size(), 1u);
  EXPECT_EQ(zone_194[0].at("action"), "hold");
  auto drop = gate_of(zone_194[0], "size-drop", "delegations");
  ASSERT_TRUE(drop) << zone_194[0].dump();
  EXPECT_EQ(drop->at("verdict"), "hold");
  EXPECT_EQ(drop->at("figures").at("before"), 200);
  EXPECT_EQ(drop->at("figures").at("after"), 120);
  EXPECT_NEAR(drop->at("figures").at("drop_percent").get<double>(), 40.0, 0.01);
  EXPECT_NE(drop->at("reason").get<std::string>().find("200 → 120"), std::string::npos) << drop->dump();
  EXPECT_TRUE(zone_events(entries, "publish", "194.in-addr.arpa").empty());
  EXPECT_EQ(read_text(s.published_file("194.in-addr.arpa")), old_194) << "held: keeps its published version";
  EXPECT_EQ(read_text(s.target_file("194.in-addr.arpa")), old_194_target);

  for (const std::string zone : {"193.in-addr.arpa", "195.in-addr.arpa"}) {
    auto published = zone_events(entries, "publish", zone);
    ASSERT_EQ(published.size(), 1u) << zone << ": the other zones still publish";
    EXPECT_EQ(published[0].at("serial"), kT0 + kHour);
    EXPECT_EQ(read_text(s.published_file(zone)), read_text(s.target_file(zone)));
  }
  EXPECT_TRUE(serial_after(s.published_serial("193.in-addr.arpa"), old_193_serial));
  EXPECT_EQ(delegation_count(read_text(s.published_file("195.in-addr.arpa")), "195.in-addr.arpa"), 203u);
  EXPECT_EQ(delegation_count(read_text(s.target_file("193.in-addr.arpa")), "193.in-addr.arpa"), 200u);

  // The operator confirms the drop.
  mark = s.journal_size();
  CommandResult overridden =
      s.rdnsprov({"run", "--allow-drop", "194.in-addr.arpa", "--reason", "ticket 4711: block returned to IANA"},
                 kT0 + 2 * kHour);
  EXPECT_EQ(overridden.exit_code, 0) << overridden.all();
  entries = s.journal_since(mark);
  auto overrides = zone_events(entries, "override", "194.in-addr.arpa");
  ASSERT_FALSE(overrides.empty());
  EXPECT_EQ(overrides[0].at("delegations_before"), 200);
  EXPECT_EQ(overrides[0].at("delegations_after"), 120);
  EXPECT_TRUE(overrides[0].contains("records_before") && overrides[0].contains("records_after"));
  EXPECT_NE(overrides[0].at("override").get<std::string>().find("ticket 4711"), std::string::npos);
  ASSERT_EQ(zone_events(entries, "publish", "194.in-addr.arpa").size(), 1u);
  EXPECT_TRUE(zone_events(entries, "publish", "193.in-addr.arpa").empty()) << "nothing else changed";
  EXPECT_EQ(delegation_count(read_text(s.published_file("194.in-addr.arpa")), "194.in-addr.arpa"), 120u);
  EXPECT_EQ(read_text(s.published_file("194.in-addr.arpa")), read_text(s.target_file("194.in-addr.arpa")));
  EXPECT_EQ(s.meta("194.in-addr.arpa").at("delegations"), 120);
}

// An override without a reason is refused: it would not be journaled properly.
TEST(ScenarioI3, OverrideNeedsAReason) {
  Scenario s({"193.in-addr.arpa"});
  s.write_dump(slash24_delegations(193, 10));
  CommandResult r = s.rdnsprov({"run", "--allow-drop", "193.in-addr.arpa"}, kT0);
  EXPECT_EQ(r.exit_code, 2) << r.all();
  EXPECT_FALSE(fs::exists(s.published_file("193.in-addr.arpa")));
}

// I-4: the serial changes only when the content changes; a second run on unchanged input publishes nothing.
TEST(ScenarioI4, SecondRunOnUnchangedInputPublishesNothing) {
  Scenario s({"193.in-addr.arpa", "194.in-addr.arpa"});
  s.write_dump(concat({slash24_delegations(193, 100), slash24_delegations(194, 100)}));
  ASSERT_EQ(s.rdnsprov({"run"}, kT0).exit_code, 0);
  auto contents = s.published_state();
  auto listing_published = tree_listing(s.state / "published");
  auto listing_target = tree_listing(s.target);
  auto snapshots = s.snapshot_ids();

  std::size_t mark = s.journal_size();
  CommandResult again = s.rdnsprov({"run"}, kT0 + kHour);
  EXPECT_EQ(again.exit_code, 0) << again.all();
  auto entries = s.journal_since(mark);
  EXPECT_TRUE(events_of(entries, "publish").empty());
  for (const std::string zone : {"193.in-addr.arpa", "194.in-addr.arpa"}) {
    auto z = zone_events(entries, "zone", zone);
    ASSERT_EQ(z.size(), 1u);
    EXPECT_EQ(z[0].at("action"), "unchanged");
    EXPECT_EQ(z[0].at("serial"), kT0) << "no serial bump without a content change";
  }
  EXPECT_EQ(s.published_state(), contents);
  EXPECT_EQ(tree_listing(s.state / "published"), listing_published) << "not even rewritten";
  EXPECT_EQ(tree_listing(s.target), listing_target);
  EXPECT_EQ(s.snapshot_ids(), snapshots) << "nothing replaced, nothing to back up";
  CommandResult diff = s.rdnsprov({"diff"}, kT0 + kHour);
  EXPECT_EQ(diff.exit_code, 0) << diff.all();
}

// I-3 (during an incident): a freeze stops every publication until thawed.
TEST(ScenarioI3, FreezeStopsPublicationThawResumes) {
  Scenario s({"193.in-addr.arpa"});
  auto objects = slash24_delegations(193, 50);
  s.write_dump(objects);
  ASSERT_EQ(s.rdnsprov({"run"}, kT0).exit_code, 0);
  auto before = s.published_state();

  std::size_t mark = s.journal_size();
  CommandResult freeze = s.rdnsprov({"freeze", "--reason", "incident 2027-01: reverse tree under review"}, kT0 + 60);
  ASSERT_EQ(freeze.exit_code, 0) << freeze.all();
  EXPECT_TRUE(fs::exists(s.state / "freeze"));
  auto frozen = events_of(s.journal_since(mark), "freeze");
  ASSERT_EQ(frozen.size(), 1u);
  EXPECT_EQ(frozen[0].at("reason"), "incident 2027-01: reverse tree under review");

  objects.resize(45);
  s.write_dump(objects);
  mark = s.journal_size();
  CommandResult blocked = s.rdnsprov({"run"}, kT0 + kHour);
  EXPECT_EQ(blocked.exit_code, 7) << blocked.all();
  EXPECT_NE(blocked.errors.find("reverse tree under review"), std::string::npos) << blocked.errors;
  EXPECT_EQ(s.published_state(), before);
  EXPECT_TRUE(events_of(s.journal_since(mark), "publish").empty());
  CommandResult diff = s.rdnsprov({"diff"}, kT0 + kHour);
  EXPECT_EQ(diff.exit_code, 3) << diff.all();
  EXPECT_NE(diff.output.find("frozen"), std::string::npos) << diff.output;

  mark = s.journal_size();
  CommandResult thaw = s.rdnsprov({"thaw"}, kT0 + kHour + 60);
  ASSERT_EQ(thaw.exit_code, 0) << thaw.all();
  EXPECT_FALSE(fs::exists(s.state / "freeze"));
  EXPECT_EQ(events_of(s.journal_since(mark), "thaw").size(), 1u);
  CommandResult resumed = s.rdnsprov({"run"}, kT0 + 2 * kHour);
  EXPECT_EQ(resumed.exit_code, 0) << resumed.all();
  EXPECT_EQ(zone_events(s.journal_since(mark), "publish", "193.in-addr.arpa").size(), 1u);
  EXPECT_EQ(delegation_count(read_text(s.target_file("193.in-addr.arpa")), "193.in-addr.arpa"), 45u);
}

}  // namespace
}  // namespace rdnsprov::scenarios
