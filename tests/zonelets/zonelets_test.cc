// Zonelets: format, record checks, import decisions (refusals, gates, staleness) and exports.
#include <fcntl.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "dns/atomic_file.h"
#include "dns/rdata.h"
#include "tests/support/support.h"
#include "zonelets/check.h"
#include "zonelets/export.h"
#include "zonelets/format.h"
#include "zonelets/import.h"
#include "zonelets/peer.h"

namespace rdnsprov::zonelets {
namespace {

namespace fs = std::filesystem;

constexpr std::time_t kNow = 1800000000;

dns::Name name(const std::string& text) { return *dns::Name::from_text(text); }

PeerSpec peer_spec(const fs::path& incoming) {
  PeerSpec peer;
  peer.name = "PEER-RIR";
  peer.space = {*AddressPrefix::from_text("193.0.0.0/20"), *AddressPrefix::from_text("2001:db8:1000::/36")};
  peer.incoming = incoming;
  return peer;
}

// `count` delegations 193.0.i.0/24 (i < 16: inside the peer's /20), two nameservers each.
std::vector<dns::Delegation> delegations(int count, int first = 0) {
  std::vector<dns::Delegation> out;
  for (int i = first; i < first + count; ++i) {
    dns::Delegation d;
    d.child = name(fmt::format("{}.0.193.in-addr.arpa", i));
    d.nameservers = {name("ns1.peer.example"), name("ns2.peer.example")};
    d.normalise();
    out.push_back(d);
  }
  return out;
}

std::string zonelet_text(int count, std::time_t generated = kNow - 60, int first = 0) {
  std::uint64_t n = 0;
  auto records = export_records(name("193.in-addr.arpa"), delegations(count, first), {}, {}, 86400, n);
  return write_zonelet({"PEER-RIR", "TEST-RIR", name("193.in-addr.arpa"), generated, 7, 0, {}}, records);
}

void write(const fs::path& file, const std::string& text) {
  fs::create_directories(file.parent_path());
  std::ofstream(file, std::ios::binary | std::ios::trunc) << text;
}

struct ImportFixture : ::testing::Test {
  testing::TempDir dir;
  fs::path state = dir / "state";
  fs::path incoming = dir / "incoming";
  std::vector<dns::Name> served{name("193.in-addr.arpa"), name("8.b.d.0.1.0.0.2.ip6.arpa")};
  PeerSpec peer = peer_spec(incoming);
  ImportFixture() { fs::create_directories(incoming); }

  ImportPlan plan(std::time_t now = kNow) { return plan_imports({peer}, served, state, now, "TEST-RIR"); }
  // Accepts `text` as the peer's zonelet and stores it.
  void accept(const std::string& text, const std::string& file = "193.in-addr.arpa.1.zonelet") {
    write(incoming / file, text);
    ImportPlan p = plan();
    ASSERT_EQ(p.zonelets.size(), 1u);
    ASSERT_EQ(p.zonelets[0].status, ImportStatus::kAccepted) << p.zonelets[0].reason;
    commit_imports(p, state);
    fs::remove(incoming / file);
  }
};

TEST(Peer, PrefixesAndReverseNames) {
  auto p = AddressPrefix::from_text("193.0.0.0/20");
  ASSERT_TRUE(p) << p.error();
  EXPECT_TRUE(p->contains(name("15.0.193.in-addr.arpa")));
  EXPECT_FALSE(p->contains(name("16.0.193.in-addr.arpa")));
  EXPECT_FALSE(p->contains(name("0.193.in-addr.arpa")));   // a /16: more than the peer's space
  EXPECT_FALSE(p->contains(name("193.in-addr.arpa")));
  EXPECT_TRUE(p->contains(name("0-63.2.0.193.in-addr.arpa")));
  EXPECT_TRUE(p->contains(name("5.2.0.193.in-addr.arpa")));
  EXPECT_FALSE(p->contains(name("ns1.2.0.193.in-addr.arpa")));
  auto v6 = AddressPrefix::from_text("2001:db8:1000::/36");
  ASSERT_TRUE(v6);
  EXPECT_TRUE(v6->contains(name("1.8.b.d.0.1.0.0.2.ip6.arpa")));
  EXPECT_FALSE(v6->contains(name("2.8.b.d.0.1.0.0.2.ip6.arpa")));
  EXPECT_FALSE(v6->contains(name("8.b.d.0.1.0.0.2.ip6.arpa")));
  EXPECT_FALSE(AddressPrefix::from_text("193.0.0.1/20"));   // bits past the length
  EXPECT_FALSE(AddressPrefix::from_text("193.0.0.0/33"));
  EXPECT_FALSE(AddressPrefix::from_text("193.0.0.0"));
  EXPECT_EQ(reverse_zone_prefix(name("193.in-addr.arpa"))->to_text(), "193.0.0.0/8");
}

TEST(Peer, NamesThatWouldEscapeTheStateDirectoryAreRefused) {
  EXPECT_TRUE(valid_peer_name("ARIN"));
  EXPECT_TRUE(valid_peer_name("peer_1.example-net"));
  for (const std::string& bad : std::vector<std::string>{"", ".", "..", "../x", "a/b", "a b", ".hidden", std::string("a\0b", 3), "é"}) {
    EXPECT_FALSE(valid_peer_name(bad)) << bad;
  }
}

TEST(Format, WrittenZoneletReadsBackWithItsHeader) {
  std::string text = zonelet_text(3);
  ParsedZonelet parsed = parse_zonelet(text, dns::Name());
  ASSERT_TRUE(parsed.refusal.empty()) << parsed.refusal;
  ASSERT_TRUE(parsed.header);
  EXPECT_EQ(parsed.header->sender, "PEER-RIR");
  EXPECT_EQ(parsed.header->receiver, "TEST-RIR");
  EXPECT_EQ(parsed.parent, name("193.in-addr.arpa"));
  EXPECT_EQ(parsed.header->generated, kNow - 60);
  EXPECT_EQ(parsed.header->records, 6u);
  EXPECT_EQ(parsed.records.size(), 6u);
  EXPECT_EQ(parse_utc(utc_text(kNow)), kNow);
}

TEST(Format, TruncatedFileIsRefused) {
  std::string text = zonelet_text(10);
  // Cut after a whole line: every remaining line parses, only digest and count tell.
  std::string cut = text.substr(0, text.rfind('\n', text.size() - 2) + 1);
  ParsedZonelet parsed = parse_zonelet(cut, dns::Name());
  EXPECT_NE(parsed.refusal.find("SHA-256"), std::string::npos) << parsed.refusal;
}

TEST(Format, WrongDigestIsRefused) {
  std::string text = zonelet_text(3);
  std::size_t pos = text.find("ns1.peer.example");
  text.replace(pos, 3, "ns9");
  ParsedZonelet parsed = parse_zonelet(text, dns::Name());
  EXPECT_NE(parsed.refusal.find("truncated or altered"), std::string::npos) << parsed.refusal;
}

// `body` under a header from PEER-RIR for 193.in-addr.arpa. that says 2 records, with the right digest: the eight
// header lines put the body's first line on line 9.
std::string zonelet_with_header(const std::string& body) {
  return fmt::format(
             "; rdnsprov-zonelet: 1\n; sender: PEER-RIR\n; receiver: TEST-RIR\n; parent-zone: 193.in-addr.arpa.\n"
             "; generated: 2027-01-15T08:00:00Z\n; serial: 1\n; records: 2\n; sha256: {}\n",
             record_lines_sha256(body)) +
         body;
}

// Found by fuzz_zonelet: a zonelet with a header and a line that is not a record was refused as "the header says
// 2 records, the file holds 2 readable records and 1 bad lines", without saying which line.
TEST(Format, ZoneletWithHeaderRefusedForALineThatIsNotARecordNamesTheLine) {
  std::string body =
      "1.0.193.in-addr.arpa. 86400 IN NS ns1.peer.example.\n"
      "2.0.193.in-addr.arpa. 86400 IN NS ns1.peer.example.\n"
      "2.0.193.in-addr.arpa. 86400 IN MX 10 mail.peer.example.\n";
  ParsedZonelet parsed = parse_zonelet(zonelet_with_header(body), dns::Name());
  ASSERT_FALSE(parsed.errors.empty());
  EXPECT_TRUE(parsed.refusal.starts_with("line 11: ")) << parsed.refusal;
  EXPECT_NE(parsed.refusal.find("MX"), std::string::npos) << parsed.refusal;
}

// A peer's wildcard — a wildcard delegation or a wildcard NS target — never reaches a zone: the zonelet is refused
// naming the line.
TEST(Format, ZoneletWithAWildcardIsRefusedNamingTheLine) {
  for (const std::string bad : {"*.0.193.in-addr.arpa. 86400 IN NS ns1.peer.example.\n",
                                "2.0.193.in-addr.arpa. 86400 IN NS *.peer.example.\n"}) {
    SCOPED_TRACE(bad);
    ParsedZonelet parsed =
        parse_zonelet(zonelet_with_header("1.0.193.in-addr.arpa. 86400 IN NS ns1.peer.example.\n" + bad), dns::Name());
    ASSERT_FALSE(parsed.errors.empty());
    EXPECT_TRUE(parsed.refusal.starts_with("line 10: ")) << parsed.refusal;
    EXPECT_NE(parsed.refusal.find("'*' is not allowed"), std::string::npos) << parsed.refusal;
  }
}

// Found by fuzz_zonelet: header values were quoted verbatim in the refusal, so a NUL or a carriage return inside
// a peer's header line reached the log line and the journal.
TEST_F(ImportFixture, ControlBytesOfAHeaderValueAreEscapedInTheRefusal) {
  std::string text = zonelet_text(3);
  using namespace std::string_literals;  // "..."s keeps the embedded NULs, with the length the literal has
  std::vector<std::pair<std::string, std::string>> cases{
      {"T07:59:00Z", "T07:\0\r59:00Z"s},
      {"sender: PEER-RIR", "sender: PEER\0RIR\r-X"s},
      {"receiver: TEST-RIR", "receiver: TEST\rRIR"s},
      {"rdnsprov-zonelet: 1", "rdnsprov-zonelet: 1\0"s},
  };
  for (const auto& [from, to] : cases) {
    std::string bad = text;
    std::size_t g = bad.find(from);
    ASSERT_NE(g, std::string::npos) << from;
    bad.replace(g, from.size(), to);
    write(incoming / "193.in-addr.arpa.zonelet", bad);
    ImportPlan p = plan();
    ASSERT_EQ(p.zonelets.size(), 1u) << from << ": " << import_text(p, 10);
    const std::string& reason = p.zonelets[0].reason;
    EXPECT_EQ(p.zonelets[0].status, ImportStatus::kRefused) << reason;
    EXPECT_EQ(reason.find_first_of(std::string("\0\r\n", 3)), std::string::npos) << reason;
    EXPECT_NE(reason.find("\\x"), std::string::npos) << reason;
  }
}

TEST(Check, NamesOutsideThePeersSpaceAndDisallowedTypesAreRefused) {
  std::string text =
      "3.0.193.in-addr.arpa. 86400 IN NS ns1.peer.example.\n"
      "200.0.193.in-addr.arpa. 86400 IN NS ns1.evil.example.\n"        // line 2: someone else's space
      "193.in-addr.arpa. 86400 IN NS ns1.evil.example.\n"              // line 3: our apex
      "4.0.193.in-addr.arpa. 86400 IN NS ns1.peer.example.\n"
      "4.0.193.in-addr.arpa. 86400 IN SOA a.example. b.example. 1 2 3 4 5\n"  // line 5: not a delegation type
      "5.0.193.in-addr.arpa. 86400 IN NS ns.5.0.193.in-addr.arpa.\n"
      "ns.5.0.193.in-addr.arpa. 86400 IN A 192.0.2.1\n"
      "www.6.0.193.in-addr.arpa. 86400 IN A 192.0.2.2\n"               // line 8: not glue
      "7.0.193.in-addr.arpa. 5 IN NS ns1.peer.example.\n";             // line 9: TTL below the bounds
  auto source = std::make_shared<const std::string>("peer PEER-RIR");
  auto file = std::make_shared<const std::string>("plain.zone");
  PeerSpec peer = peer_spec("/nonexistent");
  ZoneletContent content = check_zonelet(parse_zonelet(text, name("193.in-addr.arpa")), peer, source, file);
  std::vector<std::string> children;
  for (const auto& d : content.delegations) children.push_back(d.child.to_text());
  EXPECT_EQ(children, (std::vector<std::string>{"3.0.193.in-addr.arpa.", "5.0.193.in-addr.arpa."}));
  ASSERT_EQ(content.delegations[1].glue.size(), 1u);
  std::map<std::string, std::string> codes;
  for (const auto& r : content.rejects) codes[r.origin.to_string()] += r.code + " ";
  EXPECT_EQ(codes["[peer PEER-RIR] plain.zone:2"], "outside-peer-space ");
  EXPECT_EQ(codes["[peer PEER-RIR] plain.zone:3"], "at-apex ");
  EXPECT_NE(codes["[peer PEER-RIR] plain.zone:5"].find("type-not-allowed"), std::string::npos);
  EXPECT_NE(codes["[peer PEER-RIR] plain.zone:4"].find("delegation-left-out"), std::string::npos);
  EXPECT_EQ(codes["[peer PEER-RIR] plain.zone:8"], "not-glue ");
  EXPECT_EQ(codes["[peer PEER-RIR] plain.zone:9"], "ttl ");
}

TEST(Check, Rfc2317RangeWithItsCnames) {
  std::string text =
      "0-63.2.0.193.in-addr.arpa. 86400 IN NS ns1.peer.example.\n"
      "1.2.0.193.in-addr.arpa. 86400 IN CNAME 1.0-63.2.0.193.in-addr.arpa.\n"
      "2.2.0.193.in-addr.arpa. 86400 IN CNAME 2.0-63.2.0.193.in-addr.arpa.\n"
      "100.2.0.193.in-addr.arpa. 86400 IN CNAME 100.0-63.2.0.193.in-addr.arpa.\n";  // outside the range
  auto source = std::make_shared<const std::string>("peer PEER-RIR");
  ZoneletContent content =
      check_zonelet(parse_zonelet(text, name("193.in-addr.arpa")), peer_spec("/x"), source, nullptr);
  ASSERT_EQ(content.classless.size(), 0u) << "a bad CNAME of the range leaves the range out whole";
  std::set<std::string> codes;
  for (const auto& r : content.rejects) codes.insert(r.code);
  EXPECT_EQ(codes, (std::set<std::string>{"not-rfc2317", "delegation-left-out"}));
  std::string good = text.substr(0, text.rfind("100.2.0"));
  content = check_zonelet(parse_zonelet(good, name("193.in-addr.arpa")), peer_spec("/x"), source, nullptr);
  ASSERT_EQ(content.classless.size(), 1u);
  EXPECT_EQ(content.classless[0].first, 0);
  EXPECT_EQ(content.classless[0].last, 63);
  EXPECT_TRUE(content.rejects.empty());
}

TEST_F(ImportFixture, FirstZoneletIsAcceptedStoredAndThenUnchanged) {
  write(incoming / "193.in-addr.arpa.1.zonelet", zonelet_text(10));
  ImportPlan p = plan();
  ASSERT_EQ(p.zonelets.size(), 1u);
  EXPECT_EQ(p.zonelets[0].status, ImportStatus::kAccepted) << p.zonelets[0].reason;
  EXPECT_EQ(p.delegations.size(), 10u);
  EXPECT_EQ(p.delegations[0].origin.to_string().rfind("[peer PEER-RIR] " + (incoming / "193.in-addr.arpa.1.zonelet").string(), 0), 0u)
      << p.delegations[0].origin.to_string();
  EXPECT_EQ(p.zonelets[0].changes.size(), 10u);
  EXPECT_FALSE(fs::exists(state / "zonelets/in/PEER-RIR")) << "planning writes nothing";
  commit_imports(p, state);
  EXPECT_TRUE(fs::exists(state / "zonelets/in/PEER-RIR/193.in-addr.arpa.zonelet"));
  EXPECT_TRUE(fs::exists(state / "zonelets/in/PEER-RIR/193.in-addr.arpa.json"));
  ImportPlan again = plan();
  EXPECT_EQ(again.zonelets[0].status, ImportStatus::kUnchanged);
  EXPECT_EQ(again.delegations.size(), 10u);
}

TEST_F(ImportFixture, MissingZoneletKeepsTheLastAcceptedAndWarnsWhenStale) {
  accept(zonelet_text(10, kNow - 3600));
  ImportPlan fresh = plan(kNow);
  EXPECT_EQ(fresh.zonelets[0].status, ImportStatus::kKept);
  EXPECT_EQ(fresh.delegations.size(), 10u);
  EXPECT_FALSE(fresh.zonelets[0].stale);
  ImportPlan late = plan(kNow + 2 * 86400);
  EXPECT_EQ(late.delegations.size(), 10u) << "a missing zonelet keeps the last accepted one";
  EXPECT_TRUE(late.zonelets[0].stale);
  EXPECT_NE(late.zonelets[0].stale_warning.find("PEER-RIR"), std::string::npos);
  EXPECT_TRUE(late.any_stale());
}

TEST_F(ImportFixture, TruncatedWrongDigestAndEmptyFilesKeepTheLastAccepted) {
  accept(zonelet_text(10));
  std::string text = zonelet_text(10, kNow - 30);
  struct Case {
    std::string what;
    std::string text;
    std::string reason;
  };
  std::string tampered = text;
  tampered.replace(tampered.find("ns2.peer.example"), 3, "ns7");
  std::vector<Case> cases{
      {"truncated", text.substr(0, text.size() / 2), "SHA-256"},
      {"wrong digest", tampered, "truncated or altered"},
      {"accidental empty", "", "accidental empty file"},
  };
  for (const Case& c : cases) {
    write(incoming / "193.in-addr.arpa.2.zonelet", c.text);
    ImportPlan p = plan();
    ASSERT_EQ(p.zonelets.size(), 1u) << c.what;
    EXPECT_EQ(p.zonelets[0].status, ImportStatus::kRefused) << c.what;
    EXPECT_NE(p.zonelets[0].reason.find(c.reason), std::string::npos) << c.what << ": " << p.zonelets[0].reason;
    EXPECT_EQ(p.delegations.size(), 10u) << c.what << ": the last accepted zonelet stays";
    EXPECT_TRUE(p.any_refused());
  }
}

TEST_F(ImportFixture, HalfTheDelegationsGoneIsHeldByTheSizeDropGate) {
  accept(zonelet_text(10));
  write(incoming / "193.in-addr.arpa.2.zonelet", zonelet_text(5, kNow - 30));
  ImportPlan p = plan();
  EXPECT_EQ(p.zonelets[0].status, ImportStatus::kRefused);
  EXPECT_NE(p.zonelets[0].reason.find("zonelet-size-drop"), std::string::npos) << p.zonelets[0].reason;
  EXPECT_EQ(p.delegations.size(), 10u);
  // A small change passes: 10 → 9 is within the limits.
  write(incoming / "193.in-addr.arpa.2.zonelet", zonelet_text(9, kNow - 30));
  ImportPlan small = plan();
  EXPECT_EQ(small.zonelets[0].status, ImportStatus::kAccepted) << small.zonelets[0].reason;
  ASSERT_EQ(small.zonelets[0].changes.size(), 1u);
  EXPECT_EQ(small.zonelets[0].changes[0].kind, '-');
  EXPECT_EQ(small.zonelets[0].changes[0].child, "9.0.193.in-addr.arpa.");
}

TEST_F(ImportFixture, EmptyZoneletIsAppliedOnlyWhenItsHeaderSaysSoAndTheGateAllows) {
  accept(zonelet_text(1));
  write(incoming / "193.in-addr.arpa.2.zonelet", zonelet_text(0, kNow - 30));
  ImportPlan p = plan();
  EXPECT_EQ(p.zonelets[0].status, ImportStatus::kAccepted) << "1 → 0 is within the absolute floor";
  EXPECT_TRUE(p.delegations.empty());
  // From 10 an empty zonelet, header or not, is held.
  fs::remove_all(state);
  fs::remove(incoming / "193.in-addr.arpa.2.zonelet");
  accept(zonelet_text(10));
  write(incoming / "193.in-addr.arpa.2.zonelet", zonelet_text(0, kNow - 30));
  ImportPlan held = plan();
  EXPECT_EQ(held.zonelets[0].status, ImportStatus::kRefused);
  EXPECT_EQ(held.delegations.size(), 10u);
}

TEST_F(ImportFixture, PlainFragmentInTheShapePeersPublishToday) {
  // No header, $ORIGIN and relative names, parentheses, a comment: the parent zone comes from the file name.
  write(incoming / "193.in-addr.arpa.zone",
        "; delegations of PEER-RIR in 193.in-addr.arpa\n"
        "$ORIGIN 193.in-addr.arpa.\n"
        "$TTL 86400\n"
        "1.0      IN NS ns1.peer.example.\n"
        "         IN NS ns2.peer.example.\n"
        "2.0      IN NS ns.2.0\n"
        "ns.2.0   IN A 192.0.2.53\n"
        "2.0      IN DS ( 12345 13 2\n"
        "                 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef )\n"
        "99.0     IN NS ns1.evil.example. ; outside the /20\n");
  ImportPlan p = plan();
  ASSERT_EQ(p.zonelets.size(), 1u);
  const ZoneletImport& z = p.zonelets[0];
  EXPECT_EQ(z.parent, name("193.in-addr.arpa"));
  EXPECT_EQ(z.status, ImportStatus::kAccepted) << z.reason;
  ASSERT_EQ(p.delegations.size(), 2u);
  EXPECT_EQ(p.delegations[0].nameservers.size(), 2u);
  EXPECT_EQ(p.delegations[1].ds.size(), 1u);
  EXPECT_EQ(p.delegations[1].glue.size(), 1u);
  ASSERT_EQ(z.rejects.size(), 1u);
  EXPECT_NE(z.rejects[0].origin.to_string().find("193.in-addr.arpa.zone:10"), std::string::npos)
      << z.rejects[0].origin.to_string();
}

TEST_F(ImportFixture, ForeignSenderAndUnservedParentAreRefused) {
  std::string text = zonelet_text(3);
  std::string other_sender = text;
  other_sender.replace(other_sender.find("sender: PEER-RIR"), 16, "sender: ELSE-RIR");
  write(incoming / "a.zonelet", other_sender);
  ImportPlan p = plan();
  ASSERT_EQ(p.zonelets.size(), 1u);
  EXPECT_EQ(p.zonelets[0].status, ImportStatus::kRefused);
  EXPECT_NE(p.zonelets[0].reason.find("ELSE-RIR"), std::string::npos);
  fs::remove(incoming / "a.zonelet");
  served = {name("8.b.d.0.1.0.0.2.ip6.arpa")};
  write(incoming / "b.zonelet", text);
  ImportPlan q = plan();
  ASSERT_EQ(q.zonelets.size(), 1u);
  EXPECT_EQ(q.zonelets[0].status, ImportStatus::kRefused);
  EXPECT_NE(q.zonelets[0].reason.find("not a zone we serve"), std::string::npos);
}

TEST_F(ImportFixture, NewestFileWins) {
  write(incoming / "193.in-addr.arpa.1.zonelet", zonelet_text(10, kNow - 7200));
  write(incoming / "193.in-addr.arpa.2.zonelet", zonelet_text(11, kNow - 60));
  ImportPlan p = plan();
  ASSERT_EQ(p.zonelets.size(), 1u);
  EXPECT_EQ(p.zonelets[0].file.filename(), "193.in-addr.arpa.2.zonelet");
  EXPECT_EQ(p.delegations.size(), 11u);
}

// The reader of incoming files: a file replaced while it is read gives the version opened, whole, or says that it
// changed; never a mix that looks whole.
struct IncomingRead : ::testing::Test {
  testing::TempDir dir;
  fs::path file = dir / "193.in-addr.arpa.zone";
  // Larger than the first part the reader takes before `after_first_part` runs.
  std::string old_text = std::string(150000, 'o') + "\n";
  std::string new_text = std::string(150000, 'n') + "\n";

  IncomingRead() {
    write(file, old_text);
    // An hour old: a write during the read moves the modification time, whatever the clock's granularity.
    struct timespec times[2] = {{kNow - 3600, 0}, {kNow - 3600, 0}};
    EXPECT_EQ(::utimensat(AT_FDCWD, file.c_str(), times, 0), 0);
  }
  void write_in_place(const std::string& text) const { write(file, text); }
  void write_by_rename(const std::string& text) const {
    write(dir / ".tmp", text);
    fs::rename(dir / ".tmp", file);
  }
};

TEST_F(IncomingRead, UntouchedFileIsReadWholeWithItsModificationTime) {
  int calls = 0;
  IncomingFile read = read_incoming_file(file, [&] { ++calls; });
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(read.text, old_text);
  EXPECT_EQ(read.modified, kNow - 3600);
  EXPECT_TRUE(read.changed.empty()) << read.changed;
}

TEST_F(IncomingRead, FileRenamedOverWhileReadIsReadWholeAsOpened) {
  IncomingFile read = read_incoming_file(file, [&] { write_by_rename(new_text); });
  EXPECT_EQ(read.text, old_text);
  EXPECT_EQ(read.modified, kNow - 3600) << "the time of the file read, not of the one that replaced it";
  EXPECT_TRUE(read.changed.empty()) << read.changed;
  EXPECT_EQ(read_incoming_file(file).text, new_text);
}

TEST_F(IncomingRead, FileWrittenInPlaceWhileReadIsReportedChanged) {
  // Same size, other bytes: the first part is old, the rest new, and nothing in the bytes shows it.
  IncomingFile same_size = read_incoming_file(file, [&] { write_in_place(new_text); });
  EXPECT_NE(same_size.text, old_text);
  EXPECT_NE(same_size.text, new_text);
  EXPECT_NE(same_size.changed.find("changed while it was being read"), std::string::npos) << same_size.changed;
  // Cut short (an upload that failed half-way) and longer (an append).
  write_in_place(old_text);
  IncomingFile shorter = read_incoming_file(file, [&] { write_in_place(new_text.substr(0, 100000)); });
  EXPECT_FALSE(shorter.changed.empty());
  write_in_place(old_text);
  IncomingFile longer = read_incoming_file(file, [&] { write_in_place(new_text + new_text); });
  EXPECT_FALSE(longer.changed.empty());
  EXPECT_THROW(read_incoming_file(dir / "missing"), std::system_error);
}

TEST(Export, GatedWrittenAtomicallyAndPruned) {
  testing::TempDir dir;
  PeerSpec peer;
  peer.name = "PEER-RIR";
  peer.outgoing = dir / "out";
  peer.export_zones = {name("193.in-addr.arpa")};
  peer.export_keep = 2;
  safeguards::GateSettings gates;
  std::vector<dns::Name> served{name("194.in-addr.arpa")};
  auto ours = delegations(40);
  ExportPlan first = plan_exports({peer}, ours, {}, served, dir / "state", kNow, "TEST-RIR", gates, ExportWhen::kWhenDue);
  ASSERT_EQ(first.exports.size(), 1u);
  EXPECT_EQ(first.exports[0].action, ExportAction::kWrite) << first.exports[0].reason;
  EXPECT_FALSE(fs::exists(peer.outgoing)) << "planning writes nothing";
  commit_exports(first, {peer}, dir / "state");
  ASSERT_TRUE(fs::exists(first.exports[0].file));
  ParsedZonelet parsed = parse_zonelet(dns::read_file(first.exports[0].file), dns::Name());
  EXPECT_TRUE(parsed.refusal.empty());
  EXPECT_EQ(parsed.header->receiver, "PEER-RIR");

  // Not due yet half an hour later; due with kNow.
  ExportPlan early = plan_exports({peer}, ours, {}, served, dir / "state", kNow + 1800, "TEST-RIR", gates, ExportWhen::kWhenDue);
  EXPECT_EQ(early.exports[0].action, ExportAction::kNotDue);

  // Half our delegations gone: held, nothing written; an empty export: held.
  auto half = delegations(20);
  ExportPlan shrunk = plan_exports({peer}, half, {}, served, dir / "state", kNow + 3600, "TEST-RIR", gates, ExportWhen::kWhenDue);
  EXPECT_EQ(shrunk.exports[0].action, ExportAction::kHold);
  EXPECT_NE(shrunk.exports[0].reason.find("export-size-drop"), std::string::npos) << shrunk.exports[0].reason;
  ExportPlan empty = plan_exports({peer}, {}, {}, served, dir / "state", kNow + 3600, "TEST-RIR", gates, ExportWhen::kWhenDue);
  EXPECT_EQ(empty.exports[0].action, ExportAction::kHold);
  ExportPlan overridden = plan_exports({peer}, half, {}, served, dir / "state", kNow + 3600, "TEST-RIR", gates,
                                       ExportWhen::kWhenDue, {"PEER-RIR"}, "registry cleanup");
  EXPECT_EQ(overridden.exports[0].action, ExportAction::kWrite);
  EXPECT_EQ(overridden.exports[0].overrides.size(), 1u);

  // Retention: three more exports, two kept.
  for (int i = 1; i <= 3; ++i) {
    ExportPlan next = plan_exports({peer}, ours, {}, served, dir / "state", kNow + i * 3600, "TEST-RIR", gates,
                                   ExportWhen::kWhenDue);
    ASSERT_EQ(next.exports[0].action, ExportAction::kWrite);
    commit_exports(next, {peer}, dir / "state");
  }
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(peer.outgoing)) files.push_back(e.path().filename().string());
  std::sort(files.begin(), files.end());
  EXPECT_EQ(files, (std::vector<std::string>{fmt::format("193.in-addr.arpa.{}.zonelet", kNow + 2 * 3600),
                                             fmt::format("193.in-addr.arpa.{}.zonelet", kNow + 3 * 3600)}));
}

TEST(Export, DelegationsInsideOurZonesAreNotExported) {
  std::uint64_t n = 0;
  auto ours = delegations(3);
  dns::Delegation inside_ours;
  inside_ours.child = name("1.5.193.in-addr.arpa");
  inside_ours.nameservers = {name("ns.example")};
  ours.push_back(inside_ours);
  auto records = export_records(name("193.in-addr.arpa"), ours, {}, {name("5.193.in-addr.arpa")}, 3600, n);
  EXPECT_EQ(n, 3u);
  for (const auto& r : records) EXPECT_FALSE(r.owner.is_at_or_below(name("5.193.in-addr.arpa")));
}

}  // namespace
}  // namespace rdnsprov::zonelets
