// The DNS client against a real Knot DNS server on 127.0.0.1: SOA and DNSKEY queries, TCP after truncation, AXFR
// of a zone of a few thousand records, NOTIFY, and the failures an operator meets (nothing listening, a silent
// server, answers that are not the answer).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <poll.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "dns/atomic_file.h"
#include "dns/dnssec.h"
#include "dns/encoding.h"
#include "dns/rdata.h"
#include "dns/wire.h"
#include "dns/zone.h"
#include "publisher/dns_client.h"
#include "tests/support/skip.h"
#include "tests/support/knot_zone_server.h"
#include "tests/support/support.h"

namespace rdnsprov::publisher {
namespace {

using testing::KnotZoneServer;
using testing::TempDir;

dns::Name name(const std::string& text) { return *dns::Name::from_text(text); }

ServerAddress address(const std::string& text) {
  auto a = ServerAddress::parse(text);
  EXPECT_TRUE(a) << (a ? "" : a.error());
  return *a;
}

QueryOptions quick(int timeout_ms = 2000, int retries = 2) {
  QueryOptions o;
  o.timeout = std::chrono::milliseconds(timeout_ms);
  o.retries = retries;
  return o;
}

constexpr const char* kDnskey =
    "256 3 13 mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+GqJxpVXckHAeF+KkxLbxILfDLUT0rAK9iUzy1L53eKGQ==";
constexpr const char* kKsk =
    "257 3 13 uuFgwHXKXAgSbytGjNVdrXfkuT6dzwhoyXmibR42/yntWRF5cfm7GSr8U6YdXmsdr6S/L/xsX43PspIB9oM17w==";

// A zone of `delegations` delegations (two NS each, every fifth one with a DS), a name with 60 A records (too
// big for 512 octets), and a DNSKEY RRset.
std::string test_zone(const std::string& apex, std::uint32_t serial, int delegations) {
  std::string z = fmt::format("$ORIGIN {}.\n$TTL 3600\n@ 3600 IN SOA ns0.test.example. hostmaster.test.example. {} "
                              "7200 3600 1209600 3600\n@ IN NS ns1.test.example.\n@ IN NS ns2.test.example.\n"
                              "@ IN DNSKEY {}\n@ IN DNSKEY {}\n",
                              apex, serial, kDnskey, kKsk);
  for (int i = 0; i < 60; ++i) z += fmt::format("big 300 IN A 192.0.2.{}\n", i + 1);
  // PTR records, their targets in mixed case in the file.
  for (int i = 0; i < 20; ++i) z += fmt::format("{}.255 IN PTR Host-{}.ISP{}.Example.\n", i, i, i % 17);
  for (int i = 0; i < delegations; ++i) {
    z += fmt::format("{}.{} 86400 IN NS ns1.isp{}.example.\n{}.{} 86400 IN NS ns2.isp{}.example.\n", i % 256, i / 256,
                     i % 17, i % 256, i / 256, i % 17);
    if (i % 5 == 0) {
      z += fmt::format("{}.{} 86400 IN DS {} 13 2 {}\n", i % 256, i / 256, 1000 + i,
                       dns::to_hex(dns::sha256(std::to_string(i)), false));
    }
  }
  return z;
}

void write(const std::filesystem::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::trunc);
  out << text;
}

// Waits until the server serves `serial` for `apex` (Knot loads zones after it starts listening).
bool wait_for_serial(const ServerAddress& server, const dns::Name& apex, std::uint32_t serial) {
  DnsClient client(server, quick(1000, 0));
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < until) {
    try {
      if (client.soa_serial(apex) == serial) return true;
    } catch (const DnsError&) {
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return false;
}

TEST(ServerAddressTest, ParsesIpv4AndIpv6WithOptionalPort) {
  EXPECT_EQ(address("192.0.2.1").text(), "192.0.2.1:53");
  EXPECT_EQ(address("127.0.0.1:5300").text(), "127.0.0.1:5300");
  EXPECT_EQ(address("::1").text(), "[::1]:53");
  EXPECT_EQ(address("[::1]:5300").text(), "[::1]:5300");
  EXPECT_EQ(address("[2001:db8::53]").text(), "[2001:db8::53]:53");
  EXPECT_EQ(address("127.0.0.1:5300").family(), AF_INET);
  EXPECT_EQ(address("[::1]:5300").family(), AF_INET6);
  for (const char* bad : {"ns1.example.net", "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:70000", "[::1", "[::1]5300",
                          "300.1.1.1", "127.0.0.1:53x", ""}) {
    auto a = ServerAddress::parse(bad);
    EXPECT_FALSE(a) << bad;
    if (!a) {
      EXPECT_NE(a.error().find("\""), std::string::npos) << "the message quotes the input: " << a.error();
    }
  }
}

class KnotClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    RDNSPROV_SKIP_UNLESS_PRESENT(testing::missing_programs({"knotd", "knotc"}));
    write(dir / "big.zone", test_zone("10.in-addr.arpa", 2024010101, 1500));  // ~3,900 records
    write(dir / "closed.zone", test_zone("11.in-addr.arpa", 7, 3));
    knot = std::make_unique<KnotZoneServer>(dir / "knot");
    knot->serve("10.in-addr.arpa", dir / "big.zone");
    knot->serve("11.in-addr.arpa", dir / "closed.zone", /*allow_transfer=*/false);
    knot->accept_notify("12.in-addr.arpa");
    ASSERT_TRUE(knot->start()) << knot->log();
    server = address(knot->address());
    ASSERT_TRUE(wait_for_serial(server, name("10.in-addr.arpa"), 2024010101)) << knot->log();
    ASSERT_TRUE(wait_for_serial(server, name("11.in-addr.arpa"), 7)) << knot->log();
  }

  TempDir dir;
  std::unique_ptr<KnotZoneServer> knot;
  ServerAddress server;
};

TEST_F(KnotClientTest, SoaAndDnskeyQueries) {
  DnsClient client(server, quick());
  EXPECT_EQ(client.soa_serial(name("10.in-addr.arpa")), 2024010101u);
  std::vector<dns::Record> keys = client.dnskeys(name("10.in-addr.arpa"));
  ASSERT_EQ(keys.size(), 2u);
  std::set<std::string> served, expected;
  for (const auto& k : keys) served.insert(dns::rdata::to_text(dns::RRType::kDnskey, k.rdata));
  for (const char* k : {kDnskey, kKsk}) {
    std::vector<std::string> fields;
    std::istringstream in(k);
    for (std::string f; in >> f;) fields.push_back(f);
    std::vector<std::string_view> views(fields.begin(), fields.end());
    expected.insert(dns::rdata::to_text(dns::RRType::kDnskey, *dns::rdata::from_text(dns::RRType::kDnskey, views,
                                                                                       name("10.in-addr.arpa"))));
  }
  EXPECT_EQ(served, expected);
  // A zone the server does not serve: an error naming the server and the response code.
  try {
    client.soa_serial(name("99.in-addr.arpa"));
    ADD_FAILURE() << "a zone Knot does not serve gave a serial";
  } catch (const DnsError& e) {
    EXPECT_NE(std::string(e.what()).find(knot->address()), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("REFUSED"), std::string::npos) << e.what();
  }
}

TEST_F(KnotClientTest, TruncatedUdpAnswerIsAskedAgainOverTcp) {
  // Without EDNS a UDP answer holds 512 octets (RFC 1035 §4.2.1): 60 A records do not fit.
  QueryOptions plain = quick();
  plain.edns = false;
  DnsClient client(server, plain);
  Response r = client.query(name("big.10.in-addr.arpa"), 1);
  EXPECT_TRUE(r.over_tcp);
  EXPECT_FALSE(r.truncated);
  EXPECT_EQ(r.answer.size(), 60u);
  // With EDNS0 and 1232 octets the same answer fits in one datagram.
  DnsClient edns(server, quick());
  Response u = edns.query(name("big.10.in-addr.arpa"), 1);
  EXPECT_FALSE(u.over_tcp);
  EXPECT_EQ(u.answer.size(), 60u);
}

TEST_F(KnotClientTest, AxfrOfThousandsOfRecordsEqualsTheFile) {
  DnsClient client(server, quick());
  dns::Zone served = client.axfr(name("10.in-addr.arpa"));
  dns::MasterFile file = dns::read_master_file(dns::read_file(dir / "big.zone"), name("10.in-addr.arpa"));
  ASSERT_TRUE(file.errors.empty()) << file.errors[0].reason;
  dns::Zone expected(name("10.in-addr.arpa"));
  for (auto& r : file.records) expected.add(r);
  expected.canonicalise();
  ASSERT_GT(expected.records().size(), 3000u);
  EXPECT_EQ(served.records().size(), expected.records().size());
  EXPECT_TRUE(served.records() == expected.records());
  EXPECT_EQ(served.serial()->value(), 2024010101u);
  // The PTR records came across, their targets in lower case as every name rdnsprov holds.
  std::size_t ptrs = 0;
  for (const auto& r : served.records()) {
    if (r.type != dns::RRType::kPtr) continue;
    ++ptrs;
    if (r.owner == name("3.255.10.in-addr.arpa")) {
      EXPECT_EQ(r.rdata, name("host-3.isp3.example").wire());
    }
  }
  EXPECT_EQ(ptrs, 20u);
}

TEST_F(KnotClientTest, RefusedTransferIsAxfrRefused) {
  DnsClient client(server, quick());
  try {
    client.axfr(name("11.in-addr.arpa"));
    ADD_FAILURE() << "Knot transferred a zone without a transfer ACL";
  } catch (const AxfrRefused& e) {
    EXPECT_NE(std::string(e.what()).find(knot->address()), std::string::npos) << e.what();
  }
}

TEST_F(KnotClientTest, NotifyIsAcknowledgedWhereAllowed) {
  DnsClient client(server, quick());
  EXPECT_NO_THROW(client.notify(name("12.in-addr.arpa"), 42));
  // Knot answers NOTIFY for a zone it is primary for with NOTAUTH: never acknowledged, after every retry.
  DnsClient once(server, quick(500, 1));
  try {
    once.notify(name("10.in-addr.arpa"), 42);
    ADD_FAILURE() << "NOTIFY for a primary zone was acknowledged";
  } catch (const DnsError& e) {
    EXPECT_NE(std::string(e.what()).find("not acknowledged"), std::string::npos) << e.what();
  }
}

TEST(DnsClientFailureTest, NothingListeningIsUnreachableNamingTheAddress) {
  ServerAddress down = address(fmt::format("127.0.0.1:{}", testing::free_port()));
  DnsClient client(down, quick(300, 1));
  auto start = std::chrono::steady_clock::now();
  try {
    client.soa_serial(name("10.in-addr.arpa"));
    ADD_FAILURE() << "a serial from a port nobody listens on";
  } catch (const DnsUnreachable& e) {
    EXPECT_NE(std::string(e.what()).find(down.text()), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("timed out after 2 attempts"), std::string::npos) << e.what();
  }
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(550));
  // AXFR over TCP: connection refused, named.
  try {
    client.axfr(name("10.in-addr.arpa"));
    ADD_FAILURE() << "a transfer from a port nobody listens on";
  } catch (const DnsUnreachable& e) {
    EXPECT_NE(std::string(e.what()).find(down.text()), std::string::npos) << e.what();
  }
}

// A UDP socket of the test's own that answers every query with what `answer` makes of it.
class FakeResponder {
 public:
  explicit FakeResponder(std::function<std::string(const std::string&)> answer, bool ipv6 = false)
      : answer_(std::move(answer)) {
    fd_ = ::socket(ipv6 ? AF_INET6 : AF_INET, SOCK_DGRAM, 0);
    sockaddr_storage a{};
    socklen_t len = sizeof(a);
    if (ipv6) {
      auto* v6 = reinterpret_cast<sockaddr_in6*>(&a);
      v6->sin6_family = AF_INET6;
      v6->sin6_addr = in6addr_loopback;
      len = sizeof(sockaddr_in6);
    } else {
      auto* v4 = reinterpret_cast<sockaddr_in*>(&a);
      v4->sin_family = AF_INET;
      v4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      len = sizeof(sockaddr_in);
    }
    ::bind(fd_, reinterpret_cast<sockaddr*>(&a), len);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(ipv6 ? reinterpret_cast<sockaddr_in6*>(&a)->sin6_port : reinterpret_cast<sockaddr_in*>(&a)->sin_port);
    thread_ = std::thread([this] {
      char buf[4096];
      while (!stop_) {
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, 100) <= 0) continue;
        sockaddr_storage from{};
        socklen_t flen = sizeof(from);
        ssize_t n = ::recvfrom(fd_, buf, sizeof(buf), 0, reinterpret_cast<sockaddr*>(&from), &flen);
        if (n <= 0) continue;
        ++queries;
        {
          std::lock_guard<std::mutex> lock(mutex_);
          last_query_ = std::string(buf, static_cast<std::size_t>(n));
        }
        std::string reply = answer_(std::string(buf, static_cast<std::size_t>(n)));
        if (!reply.empty()) ::sendto(fd_, reply.data(), reply.size(), 0, reinterpret_cast<sockaddr*>(&from), flen);
      }
    });
  }
  ~FakeResponder() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
  }
  int port() const { return port_; }
  std::string last_query() {
    std::lock_guard<std::mutex> lock(mutex_);
    return last_query_;
  }
  std::atomic<int> queries{0};

 private:
  std::mutex mutex_;
  std::string last_query_;
  std::function<std::string(const std::string&)> answer_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// An SOA answer to `query` (the question copied), serial 99, with `id` in place of the query's ID.
std::string soa_answer(const std::string& query, std::uint16_t id, const std::string& question_override = {}) {
  std::string r;
  dns::put16(r, id);
  dns::put16(r, 0x8400);  // QR, AA
  dns::put16(r, 1);
  dns::put16(r, 1);
  dns::put16(r, 0);
  dns::put16(r, 0);
  std::size_t qend = 12;
  while (query[qend] != 0) qend += 1 + static_cast<unsigned char>(query[qend]);
  std::string question = question_override.empty() ? query.substr(12, qend + 5 - 12) : question_override;
  r += question;
  r += std::string("\xc0\x0c", 2);
  dns::put16(r, 6);
  dns::put16(r, 1);
  dns::put32(r, 3600);
  dns::rdata::Soa soa{name("ns.example"), name("h.example"), 99, 1, 1, 1, 1};
  std::string rdata = dns::rdata::soa(soa);
  dns::put16(r, static_cast<std::uint16_t>(rdata.size()));
  r += rdata;
  return r;
}

TEST(DnsClientFailureTest, SilentServerTimesOutNamingTheAddress) {
  FakeResponder silent([](const std::string&) { return std::string(); });
  ServerAddress s = address(fmt::format("127.0.0.1:{}", silent.port()));
  DnsClient client(s, quick(300, 2));
  try {
    client.soa_serial(name("10.in-addr.arpa"));
    ADD_FAILURE() << "a serial from a silent server";
  } catch (const DnsUnreachable& e) {
    EXPECT_NE(std::string(e.what()).find(s.text()), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("timed out after 3 attempts of 300 ms"), std::string::npos) << e.what();
  }
  EXPECT_EQ(silent.queries.load(), 3);
}

TEST(DnsClientFailureTest, MismatchedAnswersAreNotAccepted) {
  // Wrong ID: ignored, the client keeps waiting and finally gives up.
  FakeResponder wrong_id([](const std::string& q) { return soa_answer(q, static_cast<std::uint16_t>(dns::get16(q, 0) + 1)); });
  DnsClient a(address(fmt::format("127.0.0.1:{}", wrong_id.port())), quick(300, 1));
  try {
    a.soa_serial(name("10.in-addr.arpa"));
    ADD_FAILURE() << "accepted an answer with another ID";
  } catch (const DnsUnreachable& e) {
    EXPECT_NE(std::string(e.what()).find("does not match the query"), std::string::npos) << e.what();
  }
  // Right ID, another question: ignored as well.
  std::string other_question = std::string(name("66.in-addr.arpa").wire());
  dns::put16(other_question, 6);
  dns::put16(other_question, 1);
  FakeResponder wrong_question([&](const std::string& q) { return soa_answer(q, dns::get16(q, 0), other_question); });
  DnsClient b(address(fmt::format("127.0.0.1:{}", wrong_question.port())), quick(300, 1));
  try {
    b.soa_serial(name("10.in-addr.arpa"));
    ADD_FAILURE() << "accepted an answer to another question";
  } catch (const DnsUnreachable& e) {
    EXPECT_NE(std::string(e.what()).find("66.in-addr.arpa"), std::string::npos) << e.what();
  }
  // The same responder answering correctly is accepted: the checks above are what rejected the others.
  FakeResponder right([](const std::string& q) { return soa_answer(q, dns::get16(q, 0)); });
  DnsClient c(address(fmt::format("127.0.0.1:{}", right.port())), quick(300, 1));
  EXPECT_EQ(c.soa_serial(name("10.in-addr.arpa")), 99u);
}

TEST(DnsClientFailureTest, Ipv6AndTheDnssecOkBit) {
  FakeResponder v6([](const std::string& q) { return soa_answer(q, dns::get16(q, 0)); }, /*ipv6=*/true);
  ServerAddress s = address(fmt::format("[::1]:{}", v6.port()));
  DnsClient client(s, quick(1000, 1));
  EXPECT_EQ(client.soa_serial(name("10.in-addr.arpa")), 99u);
  // An SOA query carries EDNS0 (RFC 6891) without DO; a DNSKEY query sets DO (RFC 3225).
  auto opt_ttl = [](const std::string& q) -> std::optional<std::uint32_t> {
    if (q.size() < 11 + 12 || dns::get16(q, 10) != 1) return std::nullopt;  // ARCOUNT 1: the OPT record
    std::size_t opt = q.size() - 11;
    if (q[opt] != 0 || dns::get16(q, opt + 1) != 41) return std::nullopt;
    return dns::get32(q, opt + 5);
  };
  auto soa_opt = opt_ttl(v6.last_query());
  ASSERT_TRUE(soa_opt);
  EXPECT_EQ(*soa_opt & 0x8000u, 0u);
  try {
    client.dnskeys(name("10.in-addr.arpa"));  // the fake answers with an SOA record only: no DNSKEY
  } catch (const DnsError&) {
  }
  auto dnskey_opt = opt_ttl(v6.last_query());
  ASSERT_TRUE(dnskey_opt);
  EXPECT_EQ(*dnskey_opt & 0x8000u, 0x8000u);
}

}  // namespace
}  // namespace rdnsprov::publisher
