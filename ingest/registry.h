// Turning a registry's `domain` objects into delegations, by the rules of RPSL.md.
//
//   RegistryCollector collector;
//   RpslReader reader = RpslReader::open_file(path);
//   auto source = std::make_shared<const std::string>("dump");
//   auto file = std::make_shared<const std::string>(path.string());
//   RpslObject object;
//   while (reader.next(object)) collector.add(object, Origin::in_file(source, file, object.line));
//   IngestResult result = std::move(collector).finish();   // delegations, classless ranges, rejects, counts
//
// Per object (validate_domain_object): name forms (in-addr.arpa 1-3 octets, dash ranges, ip6.arpa nibbles,
// e164.arpa skipped), nserver (glue mandatory inside, forbidden outside), ds-rdata, injection-proof values.
// Across objects (finish): duplicate keys and overlapping dash ranges in one /24 reject every object involved.
// Placement questions (outside every served zone, at an apex, below another delegation) belong to the builder.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "dns/delegation.h"
#include "dns/origin.h"
#include "ingest/rpsl_reader.h"

namespace rdnsprov::ingest {

struct IngestCounts {
  std::uint64_t objects = 0;           // every object read (all classes)
  std::uint64_t domain_objects = 0;    // objects of class `domain`
  std::uint64_t other_classes = 0;     // objects of other classes, skipped
  std::uint64_t delegations = 0;       // accepted plain delegations
  std::uint64_t classless = 0;         // accepted dash ranges
  std::uint64_t enum_skipped = 0;      // e164.arpa objects
  std::uint64_t without_nserver = 0;   // domain objects with no nserver: counted, not delegated
  std::uint64_t rejected = 0;          // domain objects rejected (one per object)
};

struct IngestResult {
  std::vector<dns::Delegation> delegations;             // sorted by child name
  std::vector<dns::ClasslessDelegation> classless;      // sorted by child name
  std::vector<dns::Reject> rejects;                     // sorted by origin order (file, line / row)
  std::vector<dns::Reject> warnings;                    // accepted with a remark (unknown DS digest type, …)
  IngestCounts counts;
};

// What one domain object becomes.
struct ObjectVerdict {
  enum class Kind { kDelegation, kClassless, kEnumSkipped, kWithoutNserver, kRejected, kNotDomain };
  Kind kind = Kind::kRejected;
  dns::Delegation delegation;            // kDelegation
  dns::ClasslessDelegation classless;    // kClassless
  std::string reason;                    // kRejected: why (names the attribute line where it can)
  std::vector<std::string> warnings;     // remarks on an accepted object
};

// Validates one object on its own. `origin` is attached to what it produces.
ObjectVerdict validate_domain_object(const RpslObject& object, const dns::Origin& origin);

class RegistryCollector {
 public:
  void add(const RpslObject& object, const dns::Origin& origin);
  // Cross-object checks, then the result. The collector is spent.
  IngestResult finish() &&;

 private:
  // One domain object in input order. An accepted one lives in delegations_ or classless_ (which hold its name
  // and origin); any other in others_. finish() may still reject an accepted one (duplicate key, overlap).
  struct Entry {
    ObjectVerdict::Kind kind = ObjectVerdict::Kind::kRejected;
    bool is_range = false;
    std::uint8_t first = 0;
    std::uint8_t last = 0;
    std::size_t index = 0;
    std::string key;  // as written, printable, bounded: the Reject key if it comes to that
  };
  struct Other {
    dns::Origin origin;
    std::optional<dns::Name> name;  // when the key is a delegable name: it still takes part in conflicts
    std::string reason;             // kRejected
  };
  const dns::Origin& origin_of(const Entry& entry) const;
  const dns::Name* name_of(const Entry& entry) const;

  std::vector<Entry> entries_;
  std::vector<dns::Delegation> delegations_;
  std::vector<dns::ClasslessDelegation> classless_;
  std::vector<Other> others_;
  std::vector<std::pair<std::size_t, std::string>> warnings_;  // (entry, remark)
  IngestCounts counts_;
};

}  // namespace rdnsprov::ingest
