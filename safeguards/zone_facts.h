// ZoneFacts: what a zone delegates, read back from its records — the common ground of diffs and gates.
//
//   ZoneFacts before = zone_facts(published_zone);   // from a parsed master file
//   ZoneFacts after = zone_facts(candidate_zone);
//   before.delegations.at(child).nameservers;       // {"ns1.example.net."}
//
// DNSSEC records (RRSIG, NSEC, NSEC3, DNSKEY, …) are ignored: facts are about delegation data.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "dns/delegation.h"
#include "dns/name.h"
#include "dns/serial.h"
#include "dns/zone.h"

namespace rdnsprov::safeguards {

struct DelegationFacts {
  std::set<std::string> nameservers;  // NS targets, presentation form
  std::set<std::string> ds;           // DS rdata, presentation form
  std::set<std::string> glue;         // "host A address" / "host AAAA address"
  friend bool operator==(const DelegationFacts&, const DelegationFacts&) = default;
};

struct ZoneFacts {
  dns::Name apex;
  std::optional<dns::Serial> serial;
  std::map<dns::Name, DelegationFacts> delegations;  // child → facts
  std::map<dns::Name, dns::Name> cnames;             // RFC 2317 CNAME owner → target
  std::uint64_t records = 0;                          // records other than DNSSEC ones
  std::string content_sha256;                         // digest of those records with the SOA serial set to 0
};

ZoneFacts zone_facts(const dns::Zone& zone);

// The facts a delegation from ingest or a zonelet should produce in its zone.
DelegationFacts expected_facts(const dns::Delegation& delegation);

// True for the types that signing adds (they do not count as delegation data).
bool is_dnssec_type(dns::RRType type);

}  // namespace rdnsprov::safeguards
