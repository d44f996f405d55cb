// Verification speed on the benchmark shape: a /8 in-addr.arpa zone with 65,536 delegations, 15% with
// DS, signed by dnssec-signzone (algorithm 13, NSEC and NSEC3 opt-out), verified on 2 threads. A benchmark, not
// a test (it signs for several seconds): build/bench/rdnsprov-verify-bench
//
// It prints the rate and, for comparison, the time dnssec-verify and ldns-verify-zone take on the same file.
#include "signer/verify.h"

#include <gtest/gtest.h>

#include <chrono>
#include <ctime>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "tests/support/support.h"

namespace rdnsprov::signer {
namespace {

using testing::run_command;
using testing::TempDir;

std::string generated_zone() {
  std::string text =
      "$TTL 86400\n$ORIGIN 10.in-addr.arpa.\n"
      "@ SOA ns1.example.net. hostmaster.example.net. 1 7200 3600 1209600 3600\n"
      "@ NS ns1.example.net.\n@ NS ns2.example.net.\n";
  for (int i = 0; i < 65536; ++i) {
    std::string owner = fmt::format("{}.{}", i % 256, i / 256);
    text += fmt::format("{} NS ns1.example.com.\n{} NS ns2.example.com.\n", owner, owner);
    if ((i * 37) % 100 < 15) {
      text += fmt::format("{} DS {} 13 2 {:064X}\n", owner, i % 65536, static_cast<unsigned>(i) * 2654435761u);
    }
  }
  return text;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void measure(const std::vector<std::string>& sign_options, const std::string& label) {
  TempDir dir;
  const std::string apex = "10.in-addr.arpa";
  for (bool ksk : {true, false}) {
    std::vector<std::string> argv = {"dnssec-keygen", "-q", "-a", "ECDSAP256SHA256", "-K", dir.path().string()};
    if (ksk) argv.insert(argv.end(), {"-f", "KSK"});
    argv.push_back(apex);
    ASSERT_EQ(run_command(argv).exit_code, 0);
  }
  {
    std::ofstream(dir / "zone") << generated_zone();
  }
  std::vector<std::string> argv = {"dnssec-signzone", "-q", "-n", "2", "-K", dir.path().string(), "-d", dir.path().string(), "-o", apex, "-S",
                                   "-f", (dir / "signed").string()};
  argv.insert(argv.end(), sign_options.begin(), sign_options.end());
  argv.push_back((dir / "zone").string());
  auto signed_run = run_command(argv);
  ASSERT_EQ(signed_run.exit_code, 0) << signed_run.all();

  std::stringstream buffer;
  buffer << std::ifstream(dir / "signed").rdbuf();
  auto start = std::chrono::steady_clock::now();
  dns::MasterFile parsed = dns::read_master_file(buffer.str(), *dns::Name::from_text(apex));
  ASSERT_TRUE(parsed.errors.empty());
  dns::Zone zone(*dns::Name::from_text(apex));
  for (auto& r : parsed.records) zone.add(std::move(r));
  zone.canonicalise();
  double read_seconds = seconds_since(start);

  dns::ThreadPool pool(2);
  VerifyOptions options{.now = static_cast<std::uint32_t>(std::time(nullptr))};
  start = std::chrono::steady_clock::now();
  VerifyResult result = verify_signed_zone(zone, options, pool);
  double verify_seconds = seconds_since(start);
  EXPECT_TRUE(result.ok) << result.summary();

  start = std::chrono::steady_clock::now();
  auto bind = run_command({"dnssec-verify", "-q", "-o", apex, (dir / "signed").string()});
  double bind_seconds = seconds_since(start);
  start = std::chrono::steady_clock::now();
  auto ldns = run_command({"ldns-verify-zone", (dir / "signed").string()});
  double ldns_seconds = seconds_since(start);
  EXPECT_EQ(bind.exit_code, 0) << bind.all();
  EXPECT_EQ(ldns.exit_code, 0) << ldns.all();

  std::printf("%s: %zu records read in %.2f s; verified %zu RRSIGs in %.3f s on 2 threads = %.0f RRSIGs/s; "
              "dnssec-verify %.2f s, ldns-verify-zone %.2f s\n",
              label.c_str(), zone.records().size(), read_seconds, result.signatures_checked, verify_seconds,
              static_cast<double>(result.signatures_checked) / verify_seconds, bind_seconds, ldns_seconds);
}

TEST(VerifyBenchmark, SixtyFiveThousandDelegationsNsec) { measure({}, "NSEC"); }
TEST(VerifyBenchmark, SixtyFiveThousandDelegationsNsec3OptOut) {
  measure({"-3", "-", "-H", "0", "-A"}, "NSEC3 opt-out");
}

}  // namespace
}  // namespace rdnsprov::signer
