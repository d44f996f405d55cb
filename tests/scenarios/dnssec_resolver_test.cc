// I-8: a zone signed by `rdnsprov run`, served by Knot DNS and resolved through Unbound validating from the KSK's
// DS: a delegation's DS resolves secure (AD), a name that does not exist gives a validated NXDOMAIN (AD), and a
// record edited in the served file after signing gives SERVFAIL. Signed at the wall clock: Unbound validates
// against it.
#include <ctime>
#include <optional>
#include <regex>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "tests/support/skip.h"

#include "tests/scenarios/dns_servers.h"
#include "tests/scenarios/scenario.h"

namespace rdnsprov::scenarios {
namespace {

constexpr const char* kZone = "193.in-addr.arpa";

struct SigningCase {
  std::string algorithm;  // policy `algorithm`
  std::string denial;     // policy `denial`
  bool opt_out = false;
};

void PrintTo(const SigningCase& c, std::ostream* out) {
  *out << c.algorithm << " " << c.denial << (c.opt_out ? " opt-out" : "");
}

std::string case_name(const ::testing::TestParamInfo<SigningCase>& info) {
  return info.param.algorithm + "_" + info.param.denial + (info.param.opt_out ? "_optout" : "");
}

// The DS (SHA-256) of the zone's KSK, computed by BIND's dnssec-dsfromkey from the key file in STATE/keys/.
std::string ksk_ds(const fs::path& keys_dir) {
  for (const auto& e : fs::directory_iterator(keys_dir)) {
    if (e.path().extension() != ".key") continue;
    if (read_text(e.path()).find("DNSKEY 257 ") == std::string::npos) continue;
    CommandResult r = testing::run_command({"dnssec-dsfromkey", "-2", e.path().string()});
    EXPECT_EQ(r.exit_code, 0) << r.all();
    std::string line = r.output.substr(0, r.output.find('\n'));
    return line;
  }
  ADD_FAILURE() << "no KSK in " << keys_dir;
  return {};
}

// The served text with the DS digest of `owner` altered (its last hex digit flipped).
std::string with_altered_ds(const std::string& text, const std::string& owner) {
  std::string prefix = owner + ".\t";
  std::size_t pos = 0;
  while ((pos = text.find(prefix, pos)) != std::string::npos) {
    if (pos > 0 && text[pos - 1] != '\n') {
      ++pos;
      continue;
    }
    std::size_t eol = text.find('\n', pos);
    std::string line = text.substr(pos, eol - pos);
    if (line.find("\tDS\t") != std::string::npos) {
      std::string altered = text;
      char& last = altered[eol - 1];
      last = last == '0' ? '1' : '0';
      return altered;
    }
    pos = eol;
  }
  ADD_FAILURE() << "no DS of " << owner << " in the served zone";
  return text;
}

// The rdata of the first DS record in dig's answer ("tag alg type digest"), empty when there is none.
std::string ds_rdata(const std::string& dig_text) {
  static const std::regex ds(R"((?:^|\n)\S+\s+\d+\s+IN\s+DS\s+([^\n]+))");
  std::smatch m;
  return std::regex_search(dig_text, m, ds) ? std::string(m[1]) : std::string();
}

class ResolverValidation : public ::testing::TestWithParam<SigningCase> {};

TEST_P(ResolverValidation, DelegationDsSecureNxdomainValidatedTamperedRecordServfail) {
  RDNSPROV_SKIP_UNLESS_PRESENT(testing::missing_programs({"knotd", "knotc", "unbound", "dig", "dnssec-dsfromkey"}));
  const SigningCase& c = GetParam();
  Scenario s({kZone});
  s.zone_settings[kZone] = "dnssec-policy = e2e\nsoa-expire = 7d";
  s.extra_sections = fmt::format("[policy.e2e]\nalgorithm = {}\ndenial = {}\n{}signature-validity = 21d\nrefresh = 12d\n",
                                 c.algorithm, c.denial, c.opt_out ? "nsec3-opt-out = yes\n" : "");
  s.write_config();
  // 300 /24 delegations: 0.0 … 255.0 and 0.1 … 43.1 below 193.in-addr.arpa, every seventh with a DS.
  s.write_dump(slash24_delegations(193, 300));
  std::time_t now = std::time(nullptr);
  CommandResult run = s.rdnsprov({"run"}, now);
  ASSERT_EQ(run.exit_code, 0) << run.all();
  std::string served = read_text(s.target_file(kZone));
  ASSERT_NE(served.find("\tRRSIG\t"), std::string::npos) << "the served zone is not signed";

  KnotPrimary knot(s.dir / "knot", kZone, served);
  ASSERT_TRUE(knot.ready()) << knot.log();
  std::string anchor = ksk_ds(s.state / "keys" / kZone);
  ASSERT_NE(anchor.find(" DS "), std::string::npos) << anchor;
  ValidatingResolver unbound(s.dir / "unbound", kZone, anchor, knot.port());
  ASSERT_TRUE(unbound.ready()) << unbound.log();

  // The apex and a delegation's DS (delegation 0: i % 7 == 0) resolve secure.
  DigAnswer soa = dig(unbound.port(), kZone, "SOA");
  EXPECT_EQ(soa.status, "NOERROR") << soa.text << unbound.log();
  EXPECT_TRUE(soa.ad()) << soa.text;
  DigAnswer ds = dig(unbound.port(), "0.0.193.in-addr.arpa", "DS");
  EXPECT_EQ(ds.status, "NOERROR") << ds.text << unbound.log();
  EXPECT_TRUE(ds.ad()) << ds.text;
  EXPECT_NE(ds.text.find("\tDS\t"), std::string::npos) << ds.text;

  // A name that does not exist (no delegation below 200.193.in-addr.arpa): a validated NXDOMAIN.
  // With opt-out every NSEC3 has the Opt-Out flag, so the next closer name could be an unsigned delegation left out
  // of the chain: the NXDOMAIN is proven insecure, not secure (RFC 5155 §9.2, §12.2), and never SERVFAIL.
  DigAnswer missing = dig(unbound.port(), "5.200.193.in-addr.arpa", "PTR");
  EXPECT_EQ(missing.status, "NXDOMAIN") << missing.text << unbound.log();
  EXPECT_EQ(missing.ad(), !c.opt_out) << missing.text;
  // And a type that does not exist at an existing name of the zone: validated NODATA.
  DigAnswer nodata = dig(unbound.port(), kZone, "TXT");
  EXPECT_EQ(nodata.status, "NOERROR") << nodata.text;
  EXPECT_TRUE(nodata.ad()) << nodata.text;

  // The DS of delegation 7 (not asked yet, so not cached) edited in the served file after signing: Knot serves the
  // edited record, Unbound refuses it.
  std::string before = ds_rdata(dig(knot.port(), "7.0.193.in-addr.arpa", "DS", false).text);
  ASSERT_FALSE(before.empty()) << "Knot does not serve the DS of 7.0.193.in-addr.arpa";
  CommandResult reload = knot.replace_zone(with_altered_ds(served, "7.0.193.in-addr.arpa"));
  ASSERT_EQ(reload.exit_code, 0) << reload.all() << knot.log();
  std::string after;
  for (int i = 0; i < 300 && (after.empty() || after == before); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    after = ds_rdata(dig(knot.port(), "7.0.193.in-addr.arpa", "DS", false).text);
  }
  ASSERT_NE(after, before) << "Knot did not load the edited zone file: " << knot.log();
  DigAnswer tampered = dig(unbound.port(), "7.0.193.in-addr.arpa", "DS");
  EXPECT_EQ(tampered.status, "SERVFAIL") << tampered.text << unbound.log();
  EXPECT_FALSE(tampered.ad()) << tampered.text;
  // Untouched records of the same zone still validate.
  DigAnswer other = dig(unbound.port(), "14.0.193.in-addr.arpa", "DS");
  EXPECT_EQ(other.status, "NOERROR") << other.text;
  EXPECT_TRUE(other.ad()) << other.text;
}

// An operator's zone file — its SOA and NS, then `records` — signed by `rdnsprov sign` with the denial mode the
// test is given (nsec, nsec3), served by Knot and resolved through Unbound, which holds the KSK's DS as its trust
// anchor. A test calls serve() and stops when it fails.
class SignedZoneBehindResolver : public ::testing::TestWithParam<std::string> {
 protected:
  static constexpr const char* kZone = "2.0.192.in-addr.arpa";

  void serve(const std::string& records) {
    scenario_.emplace(std::vector<std::string>{kZone});
    Scenario& s = *scenario_;
    s.extra_sections = fmt::format("[policy.p]\ndenial = {}\nsignature-validity = 21d\nrefresh = 12d\n", GetParam());
    s.write_config();
    write_text(s.dir / "in.zone", "$ORIGIN 2.0.192.in-addr.arpa.\n$TTL 3600\n"
                                  "@ SOA ns1.example.net. hostmaster.example.net. 1 3600 900 604800 3600\n"
                                  "@ NS ns1.example.net.\n" + records);
    CommandResult signed_zone =
        s.rdnsprov({"sign", "--zone", kZone, "--policy", "p", "--in", (s.dir / "in.zone").string(), "--out",
                    (s.dir / "signed.zone").string(), "--keys", (s.dir / "keys").string()},
                   std::time(nullptr));
    ASSERT_EQ(signed_zone.exit_code, 0) << signed_zone.all();
    knot_.emplace(s.dir / "knot", kZone, read_text(s.dir / "signed.zone"));
    ASSERT_TRUE(knot_->ready()) << knot_->log();
    std::string anchor = ksk_ds(s.dir / "keys");
    ASSERT_NE(anchor.find(" DS "), std::string::npos) << anchor;
    unbound_.emplace(s.dir / "unbound", kZone, anchor, knot_->port());
    ASSERT_TRUE(unbound_->ready()) << unbound_->log();
  }

  std::optional<Scenario> scenario_;
  std::optional<KnotPrimary> knot_;
  std::optional<ValidatingResolver> unbound_;
};

// A reverse zone of the kind operators sign with `rdnsprov sign`: PTR records and wildcards (RFC 4592) — one at the
// apex and one below an empty non-terminal. Served by Knot and resolved through Unbound, an answer synthesised from
// a wildcard validates (AD): its RRSIG's labels field leaves the "*" out (RFC 4034 §3.1.3), so the resolver
// rebuilds the signed owner, and the NSEC/NSEC3 chain proves that the name asked for does not exist itself. A type
// the wildcard lacks gives a validated NODATA, and so does the empty non-terminal.
class WildcardValidation : public SignedZoneBehindResolver {};

TEST_P(WildcardValidation, AnswersSynthesisedFromSignedWildcardsValidate) {
  RDNSPROV_SKIP_UNLESS_PRESENT(testing::missing_programs({"knotd", "knotc", "unbound", "dig", "dnssec-dsfromkey"}));
  serve("1 PTR host1.example.net.\n"
        "* PTR generic.example.net.\n"
        "*.10 PTR deep.example.net.\n"
        "64-127 NS ns.customer.example.\n");
  if (HasFatalFailure()) return;
  KnotPrimary& knot = *knot_;
  ValidatingResolver& unbound = *unbound_;

  struct Expected {
    std::string name;
    std::string type;
    std::string answer;  // the PTR target in the answer; empty for NODATA
  };
  for (const Expected& e : {Expected{"1.2.0.192.in-addr.arpa", "PTR", "host1.example.net."},
                            Expected{"5.2.0.192.in-addr.arpa", "PTR", "generic.example.net."},
                            Expected{"7.10.2.0.192.in-addr.arpa", "PTR", "deep.example.net."},
                            Expected{"9.8.10.2.0.192.in-addr.arpa", "PTR", "deep.example.net."},
                            Expected{"5.2.0.192.in-addr.arpa", "TXT", ""},
                            Expected{"10.2.0.192.in-addr.arpa", "PTR", ""}}) {
    SCOPED_TRACE(e.name + " " + e.type);
    DigAnswer a = dig(unbound.port(), e.name, e.type);
    EXPECT_EQ(a.status, "NOERROR") << a.text << unbound.log();
    EXPECT_TRUE(a.ad()) << a.text << unbound.log();
    if (e.answer.empty()) {
      EXPECT_EQ(a.text.find("\tPTR\t"), std::string::npos) << a.text;
    } else {
      EXPECT_NE(a.text.find("\tPTR\t" + e.answer), std::string::npos) << a.text;
    }
  }
  // What Knot serves for a synthesised answer: the wildcard's RRSIG, labels 5 for *.2.0.192.in-addr.arpa.
  DigAnswer direct = dig(knot.port(), "5.2.0.192.in-addr.arpa", "PTR", false);
  EXPECT_TRUE(std::regex_search(direct.text, std::regex("\tRRSIG\tPTR [0-9]+ 5 3600 "))) << direct.text;
}

INSTANTIATE_TEST_SUITE_P(Denial, WildcardValidation, ::testing::Values("nsec", "nsec3"));

// A DNAME (RFC 6672) in a reverse zone, the way a renumbered block is redirected: signed like any RRset, it lets
// the resolver validate the CNAME it synthesises for every name below it, and the answer at the target. A name
// that does not exist at the target gives a validated NXDOMAIN.
class DnameValidation : public SignedZoneBehindResolver {};

TEST_P(DnameValidation, AnswersRedirectedByASignedDnameValidate) {
  RDNSPROV_SKIP_UNLESS_PRESENT(testing::missing_programs({"knotd", "knotc", "unbound", "dig", "dnssec-dsfromkey"}));
  serve("old DNAME new.2.0.192.in-addr.arpa.\n"
        "5.new PTR host5.example.net.\n");
  if (HasFatalFailure()) return;
  ValidatingResolver& unbound = *unbound_;

  DigAnswer redirected = dig(unbound.port(), "5.old.2.0.192.in-addr.arpa", "PTR");
  EXPECT_EQ(redirected.status, "NOERROR") << redirected.text << unbound.log();
  EXPECT_TRUE(redirected.ad()) << redirected.text << unbound.log();
  for (const std::string part : {"\tDNAME\tnew.2.0.192.in-addr.arpa.", "\tRRSIG\tDNAME 13 6 ",
                                 "\tCNAME\t5.new.2.0.192.in-addr.arpa.", "\tPTR\thost5.example.net."}) {
    EXPECT_NE(redirected.text.find(part), std::string::npos) << part << "\n" << redirected.text;
  }
  DigAnswer missing = dig(unbound.port(), "6.old.2.0.192.in-addr.arpa", "PTR");
  EXPECT_EQ(missing.status, "NXDOMAIN") << missing.text << unbound.log();
  EXPECT_TRUE(missing.ad()) << missing.text << unbound.log();
  DigAnswer dname = dig(unbound.port(), "old.2.0.192.in-addr.arpa", "DNAME");
  EXPECT_EQ(dname.status, "NOERROR") << dname.text;
  EXPECT_TRUE(dname.ad()) << dname.text;
}

INSTANTIATE_TEST_SUITE_P(Denial, DnameValidation, ::testing::Values("nsec", "nsec3"));

INSTANTIATE_TEST_SUITE_P(
    AlgorithmsAndDenial, ResolverValidation,
    ::testing::Values(SigningCase{"ecdsap256sha256", "nsec"}, SigningCase{"ecdsap256sha256", "nsec3", true},
                      SigningCase{"ed25519", "nsec3"}, SigningCase{"rsasha256", "nsec"}),
    case_name);

}  // namespace
}  // namespace rdnsprov::scenarios
