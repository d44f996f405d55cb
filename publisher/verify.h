// Verification: do the nameservers serve what was published?
//
//   VerifySettings settings{.servers = {...}, .deadline = std::chrono::seconds(30)};
//   std::vector<ExpectedZone> zones{{apex, serial, dnskeys, &published_zone}};
//   VerifyReport report = verify_servers(zones, settings);   // SOA until the new serial or the deadline
//   std::cout << report.table();                               // zone × server → serial, state, read-back
//   report.problems();                                         // lagging, unreachable, different content
//
//   std::vector<LiveSerial> live = live_serials(apexes, settings);   // before publishing: what is served now
//
// Every zone is asked of every server (INCIDENTS.md I-7: monitor every domain on every nameserver). A server that
// serves the expected serial is checked further: for a signed zone its DNSKEY set must be the published one, and
// with read-back on the zone is transferred (AXFR) and compared record by record, TTLs included, with what was
// published. A server that refuses the transfer is noted, not counted as a problem: not every server allows us.
// With read-back on, a signed zone is also asked for a sample of names that do not exist: the answer must be
// NXDOMAIN with an NSEC/NSEC3 record covering the name, and every proof record served must be one that was
// published (and so verified by the dnssec gate) — a server that synthesises its own proofs (PowerDNS in
// presigned mode on delegation-heavy zones) is caught here even when its transfer looks right.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "dns/name.h"
#include "dns/record.h"
#include "dns/zone.h"
#include "publisher/dns_client.h"

namespace rdnsprov::publisher {

struct VerifySettings {
  std::vector<ServerAddress> servers;
  QueryOptions query;                              // timeout and retries of each query
  std::chrono::milliseconds deadline{30000};       // how long servers get to serve the new serials
  std::chrono::milliseconds interval{1000};        // between two rounds of SOA queries
  bool read_back = true;                           // AXFR and compare after the serial is served
};

struct ExpectedZone {
  dns::Name apex;
  std::uint32_t serial = 0;
  std::vector<dns::Record> dnskeys;                // the published DNSKEY RRset; empty for an unsigned zone
  const dns::Zone* published = nullptr;            // what was published, for read-back; nullptr: no read-back
};

enum class ServerState {
  kCurrent,         // serves the expected serial (and DNSKEY set, and content when read back)
  kLagging,         // serves an older serial
  kAhead,           // serves a serial after the expected one: not what was published
  kUnreachable,     // no answer (timeout, nothing listening)
  kError,           // an answer without the zone's SOA (REFUSED, NOTAUTH, not authoritative ...)
  kDnskeyMismatch,  // the expected serial, but another DNSKEY set
  kContentMismatch, // the expected serial, but the transferred zone differs from what was published
  kDenialMismatch,  // signed zone: a name that does not exist is not proven so by published NSEC/NSEC3 records
};
const char* server_state_name(ServerState state);

enum class ReadBack { kNotDone, kEqual, kRefused, kFailed };

struct ServerCheck {
  dns::Name apex;
  std::string server;                     // ServerAddress::text()
  std::uint32_t expected = 0;
  std::optional<std::uint32_t> served;    // the last serial it answered with
  ServerState state = ServerState::kUnreachable;
  std::string problem;                    // what went wrong, naming zone, server and records
  ReadBack read_back = ReadBack::kNotDone;
  std::string read_back_note;             // why a transfer was refused or failed
  bool ok() const { return state == ServerState::kCurrent; }
};

struct VerifyReport {
  std::vector<ServerCheck> checks;        // zone order, then server order of the settings
  std::chrono::milliseconds elapsed{0};
  std::size_t problems() const;
  // One line per zone × server: zone, server, served serial, state, read-back.
  std::string table() const;
};

// Asks every server for every zone's SOA until each serves the expected serial or the deadline passes, then
// checks DNSKEY sets and reads zones back. A server found unreachable in a round is not asked about the
// remaining zones of that round (each would cost the full timeout).
VerifyReport verify_servers(const std::vector<ExpectedZone>& zones, const VerifySettings& settings);

// The serial each server serves now for each zone: one SOA query per zone and server, no waiting.
struct LiveSerial {
  dns::Name apex;
  std::string server;
  std::optional<std::uint32_t> serial;    // nothing when not served or not reachable
  std::string problem;
};
std::vector<LiveSerial> live_serials(const std::vector<dns::Name>& zones, const VerifySettings& settings);

// Compares a transferred zone with the published one: equal when both hold the same records with the same TTLs.
// Otherwise `differences` lists the first few records found only on one side ("- " published only, "+ " served
// only) as master-file lines.
struct ZoneComparison {
  bool equal = false;
  std::string published_sha256;           // SHA-256 of the canonical master-file lines of each side
  std::string served_sha256;
  std::size_t published_only = 0;
  std::size_t served_only = 0;
  std::vector<std::string> differences;
};
ZoneComparison compare_zones(const dns::Zone& published, const dns::Zone& served, std::size_t max_lines = 5);

// Names that do not exist in `zone`, one beside each of `count` delegations spread over the zone
// ("<label>-nx" next to the delegation's own label), or below the apex when there are none.
std::vector<dns::Name> nonexistent_sample(const dns::Zone& zone, std::size_t count);

// Asks `client` for each name of the sample (with DO) and checks the denial of existence against the published
// signed zone. Returns the problems found (empty when every proof is right).
std::vector<std::string> check_denial(DnsClient& client, const dns::Zone& published, const std::vector<dns::Name>& sample);

}  // namespace rdnsprov::publisher
