// ZoneSpec: what the configuration says about one served zone ([zone-defaults] merged with [zone.NAME]).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "dns/delegation.h"
#include "dns/name.h"
#include "dns/rdata.h"

namespace rdnsprov::builder {

struct ZoneSpec {
  dns::Name apex;
  dns::Name soa_mname;                 // primary nameserver in the SOA
  dns::Name soa_rname;                 // responsible mailbox, as a name (hostmaster.example.net)
  std::uint32_t soa_refresh = 3600;
  std::uint32_t soa_retry = 600;
  std::uint32_t soa_expire = 1209600;
  std::uint32_t soa_minimum = 3600;    // negative-caching TTL (RFC 2308)
  std::uint32_t soa_ttl = 3600;
  std::vector<dns::Name> nameservers;  // apex NS
  std::vector<dns::GlueAddress> nameserver_addresses;  // addresses of apex nameservers inside the zone
  std::uint32_t ns_ttl = 86400;          // apex NS
  std::uint32_t delegation_ttl = 86400;  // delegation NS
  std::uint32_t ds_ttl = 3600;
  std::uint32_t glue_ttl = 86400;
  std::uint32_t cname_ttl = 86400;      // RFC 2317 CNAMEs
};

}  // namespace rdnsprov::builder
