#include "publisher/dns_client.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <random>
#include <optional>
#include <set>
#include <thread>

#include <fmt/format.h>

#include "dns/file_descriptor.h"
#include "dns/rdata.h"
#include "dns/rrtype.h"
#include "dns/wire.h"

namespace rdnsprov::publisher {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::uint16_t kTypeOpt = 41;
constexpr std::uint16_t kTypeSoa = 6;
constexpr std::size_t kHeaderSize = 12;


std::string errno_text(int error) { return std::strerror(error); }

std::string type_text(std::uint16_t type) {
  if (type == kTypeAxfr) return "AXFR";
  if (auto t = dns::rrtype_from_code(type)) return std::string(dns::rrtype_to_text(*t));
  return fmt::format("TYPE{}", type);
}

// Reads a possibly compressed name (RFC 1035 §4.1.4) at message[pos]; advances pos past it (past the first
// pointer when there is one) and appends the uncompressed wire form to `out`.
dns::Result<bool> read_name(std::string_view message, std::size_t& pos, std::string& out) {
  std::size_t p = pos;
  bool jumped = false;
  std::size_t length_total = 0;
  int hops = 0;
  while (true) {
    if (p >= message.size()) return dns::error("name runs past the end of the message");
    auto length = static_cast<unsigned char>(message[p]);
    if ((length & 0xc0) == 0xc0) {
      if (p + 1 >= message.size()) return dns::error("compression pointer runs past the end of the message");
      std::size_t target = ((length & 0x3f) << 8) | static_cast<unsigned char>(message[p + 1]);
      if (!jumped) pos = p + 2;
      jumped = true;
      // Pointers must go backwards; a bounded number of them rules out loops.
      if (target >= p || ++hops > 64) return dns::error("compression pointer loop");
      p = target;
      continue;
    }
    if (length > 63) return dns::error("invalid label length in name");
    if (p + 1 + length > message.size()) return dns::error("label runs past the end of the message");
    out.append(message.substr(p, 1 + length));
    length_total += 1 + length;
    if (length_total > dns::Name::kMaxWireLength) return dns::error("name longer than 255 octets");
    p += 1 + length;
    if (length == 0) break;
  }
  if (!jumped) pos = p;
  return true;
}

dns::Result<dns::Name> read_dns_name(std::string_view message, std::size_t& pos) {
  std::string wire;
  if (auto r = read_name(message, pos, wire); !r) return dns::error(r.error());
  std::size_t offset = 0;
  return dns::Name::from_wire(wire, offset);
}

// One resource record at message[pos]. Names inside NS, CNAME and SOA rdata may be compressed (RFC 3597 §4);
// they are expanded so that the rdata is in the canonical wire form dns::Record holds.
dns::Result<WireRecord> read_record(std::string_view message, std::size_t& pos) {
  auto owner = read_dns_name(message, pos);
  if (!owner) return dns::error("owner name: " + owner.error());
  if (pos + 10 > message.size()) return dns::error("record header runs past the end of the message");
  WireRecord r;
  r.type_code = dns::get16(message, pos);
  std::uint16_t klass = dns::get16(message, pos + 2);
  std::uint32_t ttl = dns::get32(message, pos + 4);
  std::uint16_t rdlength = dns::get16(message, pos + 8);
  pos += 10;
  if (pos + rdlength > message.size()) return dns::error("rdata runs past the end of the message");
  std::size_t rdata_end = pos + rdlength;
  r.record.owner = *owner;
  r.record.ttl = ttl;
  auto type = dns::rrtype_from_code(r.type_code);
  if (r.type_code == kTypeOpt || !type || klass != dns::kClassIn) {
    // OPT, and types or classes rdnsprov does not handle: kept raw for the caller to reject or skip.
    r.record.rdata.assign(message.substr(pos, rdlength));
    if (klass != dns::kClassIn && r.type_code != kTypeOpt) r.type_code = 0;  // never mistaken for ours
    pos = rdata_end;
    return r;
  }
  r.record.type = *type;
  r.known = true;
  std::string rdata;
  std::size_t p = pos;
  switch (*type) {
    case dns::RRType::kNs:
    case dns::RRType::kCname:
    case dns::RRType::kPtr:
      if (auto n = read_name(message, p, rdata); !n) return dns::error(n.error());
      break;
    case dns::RRType::kSoa:
      if (auto n = read_name(message, p, rdata); !n) return dns::error(n.error());
      if (auto n = read_name(message, p, rdata); !n) return dns::error(n.error());
      if (p + 20 > rdata_end) return dns::error("SOA rdata too short");
      rdata.append(message.substr(p, 20));
      p += 20;
      break;
    default:
      rdata.assign(message.substr(pos, rdlength));
      p = rdata_end;
      break;
  }
  if (p != rdata_end) return dns::error(fmt::format("{} rdata length does not match its content", type_text(r.type_code)));
  // Names in rdata are lower-cased as dns::Name holds them.
  if (auto ok = dns::rdata::check_wire(*type, rdata); !ok) {
    return dns::error(fmt::format("{} rdata: {}", type_text(r.type_code), ok.error()));
  }
  if (*type == dns::RRType::kNs || *type == dns::RRType::kCname || *type == dns::RRType::kPtr ||
      *type == dns::RRType::kSoa) {
    std::size_t offset = 0;
    std::string lowered;
    for (int i = 0; i < (*type == dns::RRType::kSoa ? 2 : 1); ++i) lowered += dns::Name::from_wire(rdata, offset)->wire();
    lowered += rdata.substr(offset);
    rdata = std::move(lowered);
  }
  r.record.rdata = std::move(rdata);
  pos = rdata_end;
  return r;
}

int wait_for(int fd, short events, Clock::time_point deadline) {
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return 0;
    pollfd p{fd, events, 0};
    int n = ::poll(&p, 1, static_cast<int>(left));
    if (n < 0 && errno == EINTR) continue;
    return n;
  }
}

}  // namespace

std::string rcode_text(unsigned rcode) {
  static const char* const names[] = {"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED",
                                      "YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE"};
  if (rcode < std::size(names)) return names[rcode];
  if (rcode == 16) return "BADVERS";
  return fmt::format("RCODE {}", rcode);
}

dns::Result<ServerAddress> ServerAddress::parse(std::string_view text) {
  std::string host;
  std::string port_text;
  if (text.starts_with("[")) {
    std::size_t close = text.find(']');
    if (close == std::string_view::npos) return dns::error(fmt::format("\"{}\": missing ']'", text));
    host = text.substr(1, close - 1);
    std::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest[0] != ':' || rest.size() == 1) return dns::error(fmt::format("\"{}\": expected :PORT after ']'", text));
      port_text = rest.substr(1);
    }
  } else if (std::count(text.begin(), text.end(), ':') == 1) {
    std::size_t colon = text.find(':');
    host = text.substr(0, colon);
    port_text = text.substr(colon + 1);
    if (port_text.empty()) return dns::error(fmt::format("\"{}\": expected a port after ':'", text));
  } else {
    host = text;  // IPv4 without port, or IPv6 without brackets (and so without port)
  }
  unsigned port = 53;
  if (!port_text.empty()) {
    port = 0;
    for (char c : port_text) {
      if (c < '0' || c > '9' || port > 65535) return dns::error(fmt::format("\"{}\": bad port \"{}\"", text, port_text));
      port = port * 10 + static_cast<unsigned>(c - '0');
    }
    if (port == 0 || port > 65535) return dns::error(fmt::format("\"{}\": port must be 1 to 65535", text));
  }
  ServerAddress a;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&a.storage_);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&a.storage_);
  if (::inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<std::uint16_t>(port));
    a.length_ = sizeof(sockaddr_in);
    a.text_ = fmt::format("{}:{}", host, port);
  } else if (::inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<std::uint16_t>(port));
    a.length_ = sizeof(sockaddr_in6);
    a.text_ = fmt::format("[{}]:{}", host, port);
  } else {
    return dns::error(fmt::format("\"{}\": not an IPv4 or IPv6 address (ADDRESS, ADDRESS:PORT or [IPv6]:PORT)", text));
  }
  return a;
}

dns::Result<Response> parse_response(std::string_view message, std::uint16_t id, std::uint8_t opcode,
                                     const dns::Name& name, std::uint16_t type, bool question_optional) {
  if (message.size() < kHeaderSize) return dns::error("message shorter than a DNS header");
  Response r;
  r.id = dns::get16(message, 0);
  std::uint16_t flags = dns::get16(message, 2);
  if (r.id != id) return dns::error(fmt::format("ID {} does not match the query's {}", r.id, id));
  if (!(flags & 0x8000)) return dns::error("not a response (QR clear)");
  r.opcode = static_cast<std::uint8_t>((flags >> 11) & 0xf);
  if (r.opcode != opcode) return dns::error(fmt::format("opcode {} does not match the query's {}", r.opcode, opcode));
  r.authoritative = flags & 0x0400;
  r.truncated = flags & 0x0200;
  r.rcode = flags & 0xf;
  std::uint16_t qdcount = dns::get16(message, 4);
  std::uint16_t ancount = dns::get16(message, 6);
  std::uint16_t nscount = dns::get16(message, 8);
  std::uint16_t arcount = dns::get16(message, 10);
  std::size_t pos = kHeaderSize;
  if (qdcount == 0 && !question_optional) return dns::error("the response does not repeat the question");
  if (qdcount > 1) return dns::error("the response has more than one question");
  if (qdcount == 1) {
    auto qname = read_dns_name(message, pos);
    if (!qname) return dns::error("question: " + qname.error());
    if (pos + 4 > message.size()) return dns::error("question runs past the end of the message");
    std::uint16_t qtype = dns::get16(message, pos);
    std::uint16_t qclass = dns::get16(message, pos + 2);
    pos += 4;
    if (*qname != name || qtype != type || qclass != dns::kClassIn) {
      return dns::error(fmt::format("the response is for {} {} (class {}), not for the question {} {}",
                                    qname->to_text(), type_text(qtype), qclass, name.to_text(), type_text(type)));
    }
  }
  auto read_section = [&](std::uint16_t count, std::vector<WireRecord>* into) -> std::string {
    for (std::uint16_t i = 0; i < count; ++i) {
      auto rec = read_record(message, pos);
      if (!rec) return rec.error();
      if (rec->type_code == kTypeOpt) {
        // RFC 6891 §6.1.3: the upper eight bits of the extended RCODE are in the OPT TTL.
        r.rcode |= (rec->record.ttl >> 24) << 4;
        continue;
      }
      if (into) into->push_back(std::move(*rec));
    }
    return {};
  };
  if (std::string e = read_section(ancount, &r.answer); !e.empty()) return dns::error("answer: " + e);
  // A truncated UDP answer may end anywhere: what was read so far is enough to see TC.
  if (r.truncated) return r;
  if (std::string e = read_section(nscount, &r.authority); !e.empty()) return dns::error("authority: " + e);
  if (std::string e = read_section(arcount, nullptr); !e.empty()) return dns::error("additional: " + e);
  return r;
}

std::uint16_t DnsClient::next_id() {
  // Unpredictable IDs (RFC 5452 §9.2): seeded from the system's random source per client.
  if (id_state_ == 0) id_state_ = (static_cast<std::uint64_t>(std::random_device{}()) << 32) | std::random_device{}() | 1;
  id_state_ ^= id_state_ << 13;
  id_state_ ^= id_state_ >> 7;
  id_state_ ^= id_state_ << 17;
  return static_cast<std::uint16_t>(id_state_ >> 24);
}

std::string DnsClient::make_message(std::uint16_t id, std::uint8_t opcode, const dns::Name& name, std::uint16_t type,
                                    const std::vector<dns::Record>& answer, bool use_edns) const {
  std::string m;
  dns::put16(m, id);
  std::uint16_t flags = static_cast<std::uint16_t>(opcode << 11);
  if (opcode == kOpcodeNotify) flags |= 0x0400;  // RFC 1996 §3.7: AA set in a NOTIFY from the primary
  dns::put16(m, flags);
  dns::put16(m, 1);
  dns::put16(m, static_cast<std::uint16_t>(answer.size()));
  dns::put16(m, 0);
  dns::put16(m, use_edns ? 1 : 0);
  m.append(name.wire());
  dns::put16(m, type);
  dns::put16(m, dns::kClassIn);
  for (const dns::Record& r : answer) {
    m.append(r.owner.wire());
    dns::put16(m, dns::rrtype_code(r.type));
    dns::put16(m, dns::kClassIn);
    dns::put32(m, r.ttl);
    dns::put16(m, static_cast<std::uint16_t>(r.rdata.size()));
    m.append(r.rdata);
  }
  if (use_edns) {
    m.push_back('\0');  // root owner
    dns::put16(m, kTypeOpt);
    dns::put16(m, options_.udp_size);
    dns::put32(m, options_.dnssec_ok ? 0x8000u : 0u);  // extended RCODE 0, version 0, DO (RFC 3225)
    dns::put16(m, 0);
  }
  return m;
}

Response DnsClient::exchange_udp(std::uint8_t opcode, const dns::Name& name, std::uint16_t type,
                                 const std::vector<dns::Record>& answer) {
  std::string what = fmt::format("{} {} {}", opcode == kOpcodeNotify ? "NOTIFY" : "query", name.to_text(), type_text(type));
  dns::FileDescriptor sock(::socket(server_.family(), SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (sock.get() < 0) throw DnsError(fmt::format("{}: {}: cannot open a UDP socket: {}", server_.text(), what, errno_text(errno)));
  // A connected socket: the kernel drops datagrams from any other address or port.
  if (::connect(sock.get(), server_.sockaddr_ptr(), server_.sockaddr_length()) != 0) {
    throw DnsError(fmt::format("{}: {}: {}", server_.text(), what, errno_text(errno)));
  }
  std::uint16_t id = next_id();
  bool use_edns = options_.edns && opcode == kOpcodeQuery;
  std::string message = make_message(id, opcode, name, type, answer, use_edns);
  int attempts = 1 + std::max(0, options_.retries);
  std::string last_problem = "no answer";
  std::string buffer(65535, '\0');
  for (int attempt = 0; attempt < attempts; ++attempt) {
    if (::send(sock.get(), message.data(), message.size(), 0) < 0) {
      last_problem = errno_text(errno);
      // ECONNREFUSED: the ICMP port unreachable of an earlier datagram; wait out the attempt as for a timeout.
      if (errno != ECONNREFUSED) throw DnsError(fmt::format("{}: {}: cannot send: {}", server_.text(), what, last_problem));
    }
    Clock::time_point deadline = Clock::now() + options_.timeout;
    while (true) {
      int ready = wait_for(sock.get(), POLLIN, deadline);
      if (ready <= 0) break;
      ssize_t n = ::recv(sock.get(), buffer.data(), buffer.size(), 0);
      if (n < 0) {
        if (errno == EINTR) continue;
        last_problem = errno == ECONNREFUSED ? "port unreachable" : errno_text(errno);
        // Nothing listens there: give the server the rest of this attempt, then send again.
        std::this_thread::sleep_until(deadline);
        break;
      }
      auto response = parse_response(std::string_view(buffer.data(), static_cast<std::size_t>(n)), id, opcode, name, type);
      if (!response) {
        last_problem = "ignored a datagram that is not the answer: " + response.error();
        continue;  // a stale, mismatched or spoofed datagram: keep waiting for the real answer
      }
      return std::move(*response);
    }
  }
  throw DnsUnreachable(fmt::format("{}: {}: timed out after {} attempts of {} ms ({})", server_.text(), what, attempts,
                             options_.timeout.count(), last_problem));
}

namespace {

// Writes all of `data` before `deadline`.
bool send_all(int fd, std::string_view data, Clock::time_point deadline, std::string& problem) {
  std::size_t sent = 0;
  while (sent < data.size()) {
    if (wait_for(fd, POLLOUT, deadline) <= 0) {
      problem = "timed out sending";
      return false;
    }
    ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      problem = errno_text(errno);
      return false;
    }
    sent += static_cast<std::size_t>(n);
  }
  return true;
}

// Reads exactly `size` bytes before `deadline`. Returns false with `problem` set; `eof` when the peer closed
// before the first byte.
bool read_exact(int fd, char* out, std::size_t size, Clock::time_point deadline, std::string& problem, bool& eof) {
  std::size_t got = 0;
  eof = false;
  while (got < size) {
    if (wait_for(fd, POLLIN, deadline) <= 0) {
      problem = "timed out waiting for data";
      return false;
    }
    ssize_t n = ::recv(fd, out + got, size - got, 0);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      problem = errno_text(errno);
      return false;
    }
    if (n == 0) {
      eof = got == 0;
      problem = "connection closed by the server";
      return false;
    }
    got += static_cast<std::size_t>(n);
  }
  return true;
}

// A TCP connection to `server`, connected before the timeout.
int connect_tcp(const ServerAddress& server, std::chrono::milliseconds timeout, std::string& problem) {
  int fd = ::socket(server.family(), SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) {
    problem = "cannot open a TCP socket: " + errno_text(errno);
    return -1;
  }
  if (::connect(fd, server.sockaddr_ptr(), server.sockaddr_length()) != 0 && errno != EINPROGRESS) {
    problem = "connect: " + errno_text(errno);
    ::close(fd);
    return -1;
  }
  if (wait_for(fd, POLLOUT, Clock::now() + timeout) <= 0) {
    problem = fmt::format("connect: timed out after {} ms", timeout.count());
    ::close(fd);
    return -1;
  }
  int error = 0;
  socklen_t len = sizeof(error);
  ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len);
  if (error != 0) {
    problem = "connect: " + errno_text(error);
    ::close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

Response DnsClient::exchange_tcp(const dns::Name& name, std::uint16_t type) {
  std::string what = fmt::format("query {} {} over TCP", name.to_text(), type_text(type));
  std::string problem;
  dns::FileDescriptor sock(connect_tcp(server_, options_.timeout, problem));
  if (sock.get() < 0) throw DnsUnreachable(fmt::format("{}: {}: {}", server_.text(), what, problem));
  std::uint16_t id = next_id();
  std::string message = make_message(id, kOpcodeQuery, name, type, {}, options_.edns);
  std::string framed;
  dns::put16(framed, static_cast<std::uint16_t>(message.size()));
  framed += message;
  if (!send_all(sock.get(), framed, Clock::now() + options_.timeout, problem)) {
    throw DnsError(fmt::format("{}: {}: {}", server_.text(), what, problem));
  }
  // RFC 7766 §7: one answer per query on this connection; anything else on it is a protocol error.
  char length_bytes[2];
  bool eof = false;
  Clock::time_point deadline = Clock::now() + options_.timeout;
  if (!read_exact(sock.get(), length_bytes, 2, deadline, problem, eof)) {
    throw DnsError(fmt::format("{}: {}: {}", server_.text(), what, problem));
  }
  std::string body(dns::get16(std::string_view(length_bytes, 2), 0), '\0');
  if (!read_exact(sock.get(), body.data(), body.size(), deadline, problem, eof)) {
    throw DnsError(fmt::format("{}: {}: {}", server_.text(), what, problem));
  }
  auto response = parse_response(body, id, kOpcodeQuery, name, type);
  if (!response) throw DnsError(fmt::format("{}: {}: unusable answer: {}", server_.text(), what, response.error()));
  response->over_tcp = true;
  return std::move(*response);
}

Response DnsClient::query(const dns::Name& name, std::uint16_t type) {
  Response r = exchange_udp(kOpcodeQuery, name, type, {});
  if (!r.truncated) return r;
  return exchange_tcp(name, type);  // RFC 7766 §5: truncated over UDP, asked again over TCP
}

std::uint32_t DnsClient::soa_serial(const dns::Name& apex) {
  Response r = query(apex, kTypeSoa);
  if (r.rcode != kRcodeNoError) {
    throw DnsError(fmt::format("{}: SOA {}: {} (the server does not serve the zone)", server_.text(), apex.to_text(),
                               rcode_text(r.rcode)));
  }
  for (const WireRecord& w : r.answer) {
    if (w.known && w.record.type == dns::RRType::kSoa && w.record.owner == apex) {
      if (!r.authoritative) {
        throw DnsError(fmt::format("{}: SOA {}: answer is not authoritative (the server does not serve the zone)",
                                   server_.text(), apex.to_text()));
      }
      auto soa = dns::rdata::parse_soa(w.record.rdata);
      if (!soa) throw DnsError(fmt::format("{}: SOA {}: {}", server_.text(), apex.to_text(), soa.error()));
      return soa->serial;
    }
  }
  throw DnsError(fmt::format("{}: SOA {}: no SOA in the answer (the server does not serve the zone)", server_.text(),
                             apex.to_text()));
}

std::vector<dns::Record> DnsClient::dnskeys(const dns::Name& apex) {
  QueryOptions saved = options_;
  options_.edns = true;
  options_.dnssec_ok = true;
  Response r;
  try {
    r = query(apex, dns::rrtype_code(dns::RRType::kDnskey));
  } catch (...) {
    options_ = saved;
    throw;
  }
  options_ = saved;
  if (r.rcode != kRcodeNoError) {
    throw DnsError(fmt::format("{}: DNSKEY {}: {}", server_.text(), apex.to_text(), rcode_text(r.rcode)));
  }
  std::vector<dns::Record> out;
  for (const WireRecord& w : r.answer) {
    if (w.known && w.record.type == dns::RRType::kDnskey && w.record.owner == apex) out.push_back(w.record);
  }
  return out;
}

dns::Zone DnsClient::axfr(const dns::Name& apex) {
  std::string what = fmt::format("AXFR {}", apex.to_text());
  std::string problem;
  dns::FileDescriptor sock(connect_tcp(server_, options_.timeout, problem));
  if (sock.get() < 0) throw DnsUnreachable(fmt::format("{}: {}: {}", server_.text(), what, problem));
  std::uint16_t id = next_id();
  std::string message = make_message(id, kOpcodeQuery, apex, kTypeAxfr, {}, false);
  std::string framed;
  dns::put16(framed, static_cast<std::uint16_t>(message.size()));
  framed += message;
  if (!send_all(sock.get(), framed, Clock::now() + options_.timeout, problem)) {
    throw DnsError(fmt::format("{}: {}: {}", server_.text(), what, problem));
  }
  dns::Zone zone(apex);
  std::optional<dns::Record> first_soa;
  bool complete = false;
  std::size_t messages = 0;
  std::set<std::uint16_t> unknown_types;
  while (!complete) {
    char length_bytes[2];
    bool eof = false;
    // Each message within the timeout: a big zone takes as long as it takes, a stalled server does not.
    Clock::time_point deadline = Clock::now() + options_.timeout;
    if (!read_exact(sock.get(), length_bytes, 2, deadline, problem, eof)) {
      if (eof && messages == 0) throw AxfrRefused(fmt::format("{}: {}: the server closed the connection without an answer", server_.text(), what));
      throw DnsError(fmt::format("{}: {}: {} after {} messages", server_.text(), what, problem, messages));
    }
    std::string body(dns::get16(std::string_view(length_bytes, 2), 0), '\0');
    if (!read_exact(sock.get(), body.data(), body.size(), deadline, problem, eof)) {
      throw DnsError(fmt::format("{}: {}: {} after {} messages", server_.text(), what, problem, messages));
    }
    // RFC 5936 §2.2.1: messages after the first may leave out the question.
    auto response = parse_response(body, id, kOpcodeQuery, apex, kTypeAxfr, messages > 0);
    if (!response) throw DnsError(fmt::format("{}: {}: unusable message: {}", server_.text(), what, response.error()));
    ++messages;
    if (response->rcode != kRcodeNoError) {
      std::string text = fmt::format("{}: {}: {}", server_.text(), what, rcode_text(response->rcode));
      if (messages == 1 && (response->rcode == kRcodeRefused || response->rcode == kRcodeNotAuth)) throw AxfrRefused(text);
      throw DnsError(text);
    }
    for (WireRecord& w : response->answer) {
      if (!first_soa) {
        if (!w.known || w.record.type != dns::RRType::kSoa || w.record.owner != apex) {
          throw DnsError(fmt::format("{}: {}: the transfer does not start with the zone's SOA", server_.text(), what));
        }
        first_soa = w.record;
        zone.add(std::move(w.record));
        continue;
      }
      if (complete) {
        throw DnsError(fmt::format("{}: {}: records after the closing SOA", server_.text(), what));
      }
      if (w.known && w.record.type == dns::RRType::kSoa && w.record.owner == apex) {
        // RFC 5936 §2.2: the transfer ends with the same SOA it began with.
        if (w.record.rdata != first_soa->rdata) {
          throw DnsError(fmt::format("{}: {}: the closing SOA differs from the first (the zone changed during the "
                                     "transfer)", server_.text(), what));
        }
        complete = true;
        continue;
      }
      if (!w.known) {
        unknown_types.insert(w.type_code);
        continue;
      }
      if (!w.record.owner.is_at_or_below(apex)) {
        throw DnsError(fmt::format("{}: {}: record {} is outside the zone", server_.text(), what, w.record.owner.to_text()));
      }
      zone.add(std::move(w.record));
    }
    if (messages == 1 && !first_soa) throw DnsError(fmt::format("{}: {}: empty first message", server_.text(), what));
  }
  if (!unknown_types.empty()) {
    std::string list;
    for (std::uint16_t t : unknown_types) list += (list.empty() ? "" : ", ") + type_text(t);
    throw DnsError(fmt::format("{}: {}: the zone holds record types rdnsprov never publishes: {}", server_.text(), what, list));
  }
  zone.canonicalise();
  return zone;
}

void DnsClient::notify(const dns::Name& apex, std::uint32_t serial) {
  // RFC 1996 §3.7: the SOA in the answer section is a hint of the new serial.
  dns::rdata::Soa soa{dns::Name(), dns::Name(), serial, 0, 0, 0, 0};
  std::vector<dns::Record> answer{{apex, dns::RRType::kSoa, 0, dns::rdata::soa(soa)}};
  Response r = exchange_udp(kOpcodeNotify, apex, kTypeSoa, answer);
  if (r.rcode != kRcodeNoError) {
    throw DnsError(fmt::format("{}: NOTIFY {}: not acknowledged: {}", server_.text(), apex.to_text(), rcode_text(r.rcode)));
  }
}

}  // namespace rdnsprov::publisher
