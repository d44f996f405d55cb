// A small DNS client for talking to the authoritative servers rdnsprov publishes to: SOA and DNSKEY queries,
// zone transfers (AXFR) and NOTIFY.
//
//   auto server = ServerAddress::parse("[::1]:5300");          // Result<ServerAddress>; port 53 when omitted
//   DnsClient client(*server, QueryOptions{.timeout = std::chrono::seconds(2), .retries = 2});
//   std::uint32_t serial = client.soa_serial(apex);             // throws DnsError naming the server
//   std::vector<dns::Record> keys = client.dnskeys(apex);       // with EDNS0 and DO
//   dns::Zone zone = client.axfr(apex);                         // TCP; throws AxfrRefused when refused
//   client.notify(apex, serial);                                // retried until acknowledged, else DnsError
//
// Queries go over UDP and are repeated over TCP when the answer is truncated (RFC 1035 §4.2.1, RFC 7766);
// zone transfers use TCP only (RFC 5936). An answer is accepted only when it comes from the address asked (a
// connected socket), carries the query's ID, has QR set, the query's opcode and repeats the question; anything
// else is ignored and the client keeps waiting, so a spoofed or stale datagram cannot stand in for the answer.
#pragma once

#include <sys/socket.h>

#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "dns/name.h"
#include "dns/record.h"
#include "dns/result.h"
#include "dns/zone.h"

namespace rdnsprov::publisher {

// An IPv4 or IPv6 address with a port: "192.0.2.1", "192.0.2.1:5300", "2001:db8::1", "[2001:db8::1]:5300".
class ServerAddress {
 public:
  static dns::Result<ServerAddress> parse(std::string_view text);
  // "192.0.2.1:53", "[2001:db8::1]:53": how every message names the server.
  const std::string& text() const { return text_; }
  const sockaddr* sockaddr_ptr() const { return reinterpret_cast<const sockaddr*>(&storage_); }
  socklen_t sockaddr_length() const { return length_; }
  int family() const { return storage_.ss_family; }

 private:
  sockaddr_storage storage_{};
  socklen_t length_ = 0;
  std::string text_;
};

struct QueryOptions {
  std::chrono::milliseconds timeout{2000};  // per attempt (UDP datagram, TCP connect, each TCP read)
  int retries = 2;                          // UDP attempts after the first; NOTIFY retransmissions
  bool edns = true;                         // EDNS0 OPT record (RFC 6891) advertising `udp_size`
  bool dnssec_ok = false;                   // the DO bit (RFC 3225); needs edns
  std::uint16_t udp_size = 1232;
};

// A server did not answer, or answered something unusable. The message names the server and the query.
class DnsError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The server could not be reached: no answer within the timeouts, nothing listening, connection failed.
class DnsUnreachable : public DnsError {
 public:
  using DnsError::DnsError;
};

// The server refused the zone transfer (REFUSED, NOTAUTH, or closed the connection without an answer).
class AxfrRefused : public DnsError {
 public:
  using DnsError::DnsError;
};

inline constexpr std::uint8_t kOpcodeQuery = 0;
inline constexpr std::uint8_t kOpcodeNotify = 4;
inline constexpr std::uint8_t kRcodeNoError = 0;
inline constexpr std::uint8_t kRcodeNxDomain = 3;
inline constexpr std::uint8_t kRcodeRefused = 5;
inline constexpr std::uint8_t kRcodeNotAuth = 9;
inline constexpr std::uint16_t kTypeAxfr = 252;

// The name of a response code ("NOERROR", "REFUSED", "RCODE 11").
std::string rcode_text(unsigned rcode);

// One record of a response as it came: types rdnsprov handles have their rdata decompressed into canonical wire
// form; any other type is kept with its code (`known` false) so that the caller can say what it was.
struct WireRecord {
  dns::Record record;          // record.type is meaningful only when `known`
  std::uint16_t type_code = 0;
  bool known = false;
};

struct Response {
  std::uint16_t id = 0;
  std::uint8_t opcode = 0;
  unsigned rcode = 0;          // with the EDNS extended bits when an OPT record came back
  bool authoritative = false;
  bool truncated = false;
  bool over_tcp = false;       // the answer came over TCP (truncated over UDP, or asked over TCP)
  std::vector<WireRecord> answer;
  std::vector<WireRecord> authority;
};

class DnsClient {
 public:
  DnsClient(ServerAddress server, QueryOptions options) : server_(std::move(server)), options_(options) {}
  const ServerAddress& server() const { return server_; }

  // One question, class IN: UDP with retries, then TCP if the answer is truncated. Throws DnsError.
  Response query(const dns::Name& name, std::uint16_t type);
  // The serial of the SOA the server serves for `apex`, from an authoritative answer. Throws DnsError (also for
  // an answer without the SOA, naming the response code: a server that does not serve the zone).
  std::uint32_t soa_serial(const dns::Name& apex);
  // The DNSKEY records at `apex` (asked with DO, so that a DNSSEC-aware server includes what it signs).
  std::vector<dns::Record> dnskeys(const dns::Name& apex);
  // The whole zone by AXFR over TCP (RFC 5936): every message up to the closing SOA. The result holds each record
  // once, the SOA included, in canonical order. Throws AxfrRefused or DnsError.
  dns::Zone axfr(const dns::Name& apex);
  // NOTIFY (RFC 1996 §3.7) for `apex` with its new `serial` over UDP, sent again after each timeout, up to
  // options.retries times, until the server acknowledges it (NOERROR). Throws DnsError when it never does.
  void notify(const dns::Name& apex, std::uint32_t serial);

 private:
  std::string make_message(std::uint16_t id, std::uint8_t opcode, const dns::Name& name, std::uint16_t type,
                           const std::vector<dns::Record>& answer, bool use_edns) const;
  Response exchange_udp(std::uint8_t opcode, const dns::Name& name, std::uint16_t type,
                        const std::vector<dns::Record>& answer);
  Response exchange_tcp(const dns::Name& name, std::uint16_t type);
  std::uint16_t next_id();

  ServerAddress server_;
  QueryOptions options_;
  std::uint64_t id_state_ = 0;
};

// Parses one DNS message; `question` must be repeated in it (an AXFR continuation may omit the question).
// Exposed for tests. Returns an error text when the message is malformed or not the answer to that question.
dns::Result<Response> parse_response(std::string_view message, std::uint16_t id, std::uint8_t opcode,
                                     const dns::Name& name, std::uint16_t type, bool question_optional = false);

}  // namespace rdnsprov::publisher
