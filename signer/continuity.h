// Key continuity between two published versions of a signed zone (RFC 7583 §3, RFC 6781 §4.1): resolvers that
// cached the DNSKEY RRset of the version served until now must validate what the next version signs, and resolvers
// that cached the signed RRsets of that version must validate them with the next DNSKEY RRset. Rollovers keep both
// by waiting; a key state changed outside them (a key lost, imported, or restored from an older backup) breaks
// them, and the `dnssec` gate holds the zone.
//
//   KeyContinuity before = key_continuity(published_zone);     // before it is handed to the signer
//   std::vector<std::string> breaks = continuity_breaks(before, key_continuity(signed_zone));
//   if (!breaks.empty()) { /* hold, naming breaks[0] */ }
//
// The apex DNSKEY RRset is left out of the signer sets: resolvers reach it through the parent's DS, which the
// dnssec gate checks on its own.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "dns/zone.h"

namespace rdnsprov::signer {

using KeyId = std::pair<std::uint16_t, std::uint8_t>;  // key tag, algorithm

struct KeyContinuity {
  std::set<KeyId> dnskeys;  // the apex DNSKEY RRset, revoked keys aside (they validate no data, RFC 5011 §2.1)
  // Every distinct set of keys signing an RRset, with the first RRset seen signed by it ("owner/TYPE").
  std::map<std::vector<KeyId>, std::string> signer_sets;
};

// The keys of `zone` (canonical: each RRset's signatures together) as resolvers meet them.
KeyContinuity key_continuity(const dns::Zone& zone);

// What breaks for resolvers caching `before` when `after` replaces it, one sentence each; empty when nothing
// does, or when either version is unsigned.
std::vector<std::string> continuity_breaks(const KeyContinuity& before, const KeyContinuity& after);

}  // namespace rdnsprov::signer
