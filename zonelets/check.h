// The record checks of an imported zonelet, and what it becomes: delegations with the peer's origin.
//
//   ParsedZonelet parsed = parse_zonelet(text, parent);
//   ZoneletContent content = check_zonelet(parsed, peer, origin_source, origin_file);
//   content.delegations;   // NS (+ DS, glue) of each delegated name, origin "[peer ARIN] FILE:LINE"
//   content.classless;     // RFC 2317 ranges "first-last.Z.Y.X"
//   content.rejects;       // every record that broke a rule, with its line; its delegation is left out whole
//
// Rules (docs/ZONELETS.md): only NS, DS, A/AAAA glue and RFC 2317 CNAME records; every owner strictly below the
// parent zone and inside the peer's configured space (nothing at our apex, nothing for anyone else's space); TTLs
// within the peer's bounds; glue only for a nameserver of a delegation of the zonelet that lies inside the
// delegated name; a DS only where the zonelet delegates; a CNAME only a.Z.Y.X → a.first-last.Z.Y.X of a range the
// zonelet delegates. A delegation with any bad record is left out whole: a half-accepted delegation would be a
// delegation nobody sent.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "dns/delegation.h"
#include "zonelets/format.h"
#include "zonelets/peer.h"

namespace rdnsprov::zonelets {

struct ZoneletContent {
  std::vector<dns::Delegation> delegations;        // sorted by child name
  std::vector<dns::ClasslessDelegation> classless; // sorted by child name
  std::vector<dns::Reject> rejects;                // in line order
  std::uint64_t records = 0;                       // records read
  std::size_t delegation_count() const { return delegations.size() + classless.size(); }
};

ZoneletContent check_zonelet(const ParsedZonelet& parsed, const PeerSpec& peer,
                             const std::shared_ptr<const std::string>& source,
                             const std::shared_ptr<const std::string>& file);

}  // namespace rdnsprov::zonelets
