#include "signer/verify.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <ctime>
#include <deque>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <stdexcept>
#include <string_view>
#include <utility>

#include <fmt/format.h>

#include "dns/dnssec.h"
#include "dns/encoding.h"
#include "dns/rdata.h"
#include "dns/wire.h"
#include "signer/policy.h"
#include "signer/verify_crypto.h"
#include "signer/zonemd.h"

namespace rdnsprov::signer {
namespace {

using dns::get16;
using dns::get32;
using dns::Name;
using dns::put16;
using dns::put32;
using dns::Record;
using dns::RRType;
using verify_detail::SignatureChecker;
using verify_detail::VerifyKey;

// RRsets per parallel_for chunk: enough to amortise the chunk's OpenSSL contexts.
constexpr std::size_t kRRsetsPerChunk = 512;
constexpr std::uint8_t kNsec3OptOutFlag = 0x01;
constexpr std::uint8_t kNsec3HashSha1 = 1;


// RFC 4034 §3.1.5: signature times are compared in serial-number arithmetic.
bool time_before(std::uint32_t a, std::uint32_t b) { return static_cast<std::int32_t>(a - b) < 0; }

std::string utc_text(std::uint32_t seconds) {
  std::time_t t = seconds;
  std::tm tm{};
  gmtime_r(&t, &tm);
  return fmt::format("{:04}-{:02}-{:02} {:02}:{:02}:{:02} UTC", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                     tm.tm_hour, tm.tm_min, tm.tm_sec);
}

// "3 days", "12 hours", "90 seconds"; with `adjective`, "3-day".
std::string duration_text(std::uint32_t seconds, bool adjective = false) {
  auto unit = [&](std::uint32_t n, std::string_view word) {
    if (adjective) return fmt::format("{}-{}", n, word);
    return fmt::format("{} {}{}", n, word, n == 1 ? "" : "s");
  };
  if (seconds != 0 && seconds % 86400 == 0) return unit(seconds / 86400, "day");
  if (seconds != 0 && seconds % 3600 == 0) return unit(seconds / 3600, "hour");
  return unit(seconds, "second");
}

std::string type_text(std::uint16_t code) { return std::string(dns::rrtype_to_text(static_cast<dns::RRType>(code))); }

std::string types_text(const std::vector<std::uint16_t>& codes) {
  std::string out;
  for (std::uint16_t code : codes) {
    if (!out.empty()) out.push_back(' ');
    out += type_text(code);
  }
  return out.empty() ? "no types" : out;
}

// Problems of one part of the work (a chunk of RRsets, the denial chain, ZONEMD). Keeps every problem counted
// but only as many listed as can reach the final list: the first `limit` in (owner, type, emission) order.
class ProblemList {
 public:
  explicit ProblemList(std::size_t limit) : limit_(limit) {}

  void add(const Name& owner, std::uint16_t type_code, std::string reason) {
    ++count_;
    if (limit_ == 0) return;
    entries_.push_back({VerifyProblem{owner, type_code == 0 ? std::string() : type_text(type_code), std::move(reason)},
                        type_code});
    if (entries_.size() >= 4 * limit_ + 64) trim();
  }
  void add(const Name& owner, RRType type, std::string reason) { add(owner, dns::rrtype_code(type), std::move(reason)); }

  void append(ProblemList&& other) {
    count_ += other.count_;
    for (auto& e : other.entries_) entries_.push_back(std::move(e));
    if (entries_.size() >= 4 * limit_ + 64) trim();
  }

  std::size_t count() const { return count_; }

  std::vector<VerifyProblem> sorted() && {
    trim();
    std::vector<VerifyProblem> out;
    out.reserve(entries_.size());
    for (auto& e : entries_) out.push_back(std::move(e.problem));
    return out;
  }

 private:
  struct Entry {
    VerifyProblem problem;
    std::uint16_t type_code;
  };
  void trim() {
    std::stable_sort(entries_.begin(), entries_.end(), [](const Entry& a, const Entry& b) {
      if (auto c = a.problem.owner <=> b.problem.owner; c != 0) return c < 0;
      return a.type_code < b.type_code;
    });
    if (entries_.size() > limit_) entries_.resize(limit_);
  }
  std::size_t limit_;
  std::size_t count_ = 0;
  std::vector<Entry> entries_;
};

// Canonical order without the TTL: owner (RFC 4034 §6.1), type, rdata (§6.3).
bool canonical_less(const Record* a, const Record* b) {
  if (auto c = a->owner <=> b->owner; c != 0) return c < 0;
  if (a->type != b->type) return dns::rrtype_code(a->type) < dns::rrtype_code(b->type);
  return a->rdata < b->rdata;
}

bool same_rr(const Record* a, const Record* b) {
  return a->type == b->type && a->owner == b->owner && a->rdata == b->rdata;
}

// Where a name stands in the zone, which decides what must be signed and what must not.
enum class NameKind {
  kApex,
  kAuthoritative,  // ordinary authoritative data (CNAMEs of RFC 2317, ...)
  kDelegation,     // a zone cut: NS (and glue) are the child's, DS and NSEC are ours
  kBelowCut,       // glue or occluded data under a zone cut: never signed, never in the chain
  kOutside,        // not at or below the apex
  kHashedOwner,    // holds only NSEC3 (and its RRSIGs)
};

struct Owner {
  std::size_t begin = 0;  // range in the sorted records
  std::size_t end = 0;
  NameKind kind = NameKind::kAuthoritative;
  std::optional<std::size_t> cut;  // for kBelowCut: the owner index of the delegation point above
};

struct RRset {
  std::size_t owner = 0;
  std::size_t begin = 0;  // range in the sorted records
  std::size_t end = 0;
  RRType type = RRType::kA;
  bool authoritative = false;
  std::size_t sig_begin = 0;  // RRSIGs covering this RRset: a range in the sorted records
  std::size_t sig_end = 0;
};

// RRSIG rdata fields (RFC 4034 §3.1).
struct Rrsig {
  std::uint16_t type_covered = 0;
  std::uint8_t algorithm = 0;
  std::uint8_t labels = 0;
  std::uint32_t original_ttl = 0;
  std::uint32_t expiration = 0;
  std::uint32_t inception = 0;
  std::uint16_t key_tag = 0;
  Name signer;
  std::string_view prefix;  // the rdata up to the signature: the start of the signed data
  std::string_view signature;
};

std::optional<Rrsig> parse_rrsig(std::string_view rdata) {
  if (rdata.size() < 19) return std::nullopt;
  Rrsig sig;
  sig.type_covered = get16(rdata, 0);
  sig.algorithm = static_cast<std::uint8_t>(rdata[2]);
  sig.labels = static_cast<std::uint8_t>(rdata[3]);
  sig.original_ttl = get32(rdata, 4);
  sig.expiration = get32(rdata, 8);
  sig.inception = get32(rdata, 12);
  sig.key_tag = get16(rdata, 16);
  std::size_t pos = 18;
  auto signer = Name::from_wire(rdata, pos);
  if (!signer || pos >= rdata.size()) return std::nullopt;
  sig.signer = std::move(*signer);
  sig.prefix = rdata.substr(0, pos);
  sig.signature = rdata.substr(pos);
  return sig;
}

// NSEC3 rdata fields (RFC 5155 §3.2).
struct Nsec3Fields {
  std::uint8_t hash_algorithm = 0;
  std::uint8_t flags = 0;
  std::uint16_t iterations = 0;
  std::string_view salt;
  std::string_view next_hash;
  std::string_view bitmap;
};

std::optional<Nsec3Fields> parse_nsec3(std::string_view rdata) {
  if (rdata.size() < 5) return std::nullopt;
  Nsec3Fields f;
  f.hash_algorithm = static_cast<std::uint8_t>(rdata[0]);
  f.flags = static_cast<std::uint8_t>(rdata[1]);
  f.iterations = get16(rdata, 2);
  std::size_t salt_length = static_cast<unsigned char>(rdata[4]);
  if (5 + salt_length + 1 > rdata.size()) return std::nullopt;
  f.salt = rdata.substr(5, salt_length);
  std::size_t pos = 5 + salt_length;
  std::size_t hash_length = static_cast<unsigned char>(rdata[pos]);
  if (pos + 1 + hash_length > rdata.size()) return std::nullopt;
  f.next_hash = rdata.substr(pos + 1, hash_length);
  f.bitmap = rdata.substr(pos + 1 + hash_length);
  return f;
}

// NSEC3PARAM rdata (RFC 5155 §4.2): the NSEC3 fields up to the salt.
std::optional<Nsec3Fields> parse_nsec3param(std::string_view rdata) {
  if (rdata.size() < 5 || rdata.size() != 5 + static_cast<std::size_t>(static_cast<unsigned char>(rdata[4]))) {
    return std::nullopt;
  }
  Nsec3Fields f;
  f.hash_algorithm = static_cast<std::uint8_t>(rdata[0]);
  f.flags = static_cast<std::uint8_t>(rdata[1]);
  f.iterations = get16(rdata, 2);
  f.salt = rdata.substr(5);
  return f;
}

std::string salt_text(std::string_view salt) { return salt.empty() ? "-" : dns::to_hex(salt); }

// Differences between the types a bitmap lists and the types a name has, in operator terms.
std::string bitmap_difference(const std::vector<std::uint16_t>& listed, const std::vector<std::uint16_t>& actual) {
  std::vector<std::uint16_t> missing;
  std::vector<std::uint16_t> extra;
  std::set_difference(actual.begin(), actual.end(), listed.begin(), listed.end(), std::back_inserter(missing));
  std::set_difference(listed.begin(), listed.end(), actual.begin(), actual.end(), std::back_inserter(extra));
  std::string out = fmt::format("lists {} but the name has {}", types_text(listed), types_text(actual));
  if (!missing.empty()) out += fmt::format(" (missing: {}", types_text(missing));
  if (!extra.empty()) out += fmt::format("{}not present: {}", missing.empty() ? " (" : "; ", types_text(extra));
  if (!missing.empty() || !extra.empty()) out += ")";
  return out;
}

class ZoneVerifier {
 public:
  ZoneVerifier(const dns::Zone& zone, const VerifyOptions& options, dns::ThreadPool& pool)
      : zone_(zone), apex_(zone.apex()), options_(options), pool_(pool), problems_(options.max_problems) {}

  VerifyResult run() {
    index_records();
    check_structure();
    load_keys();
    check_cds();
    check_signatures();
    check_denial();
    check_zonemd();
    VerifyResult result;
    result.problem_count = problems_.count();
    result.ok = result.problem_count == 0;
    result.signatures_checked = signatures_checked_;
    result.unchecked_signatures = unchecked_signatures_;
    for (const auto& [tag, algorithm] : unknown_signers_) {
      result.unknown_signers.push_back(fmt::format("{} ({})", tag, verify_detail::algorithm_name(algorithm)));
    }
    result.denial = denial_;
    result.problems = std::move(problems_).sorted();
    return result;
  }

 private:
  // ---- the zone's shape ---------------------------------------------------------------------------------

  void index_records() {
    records_.reserve(zone_.records().size());
    for (const Record& r : zone_.records()) records_.push_back(&r);
    if (!std::is_sorted(records_.begin(), records_.end(), canonical_less)) {
      std::stable_sort(records_.begin(), records_.end(), canonical_less);
    }
    std::optional<std::size_t> cut;
    for (std::size_t i = 0; i < records_.size();) {
      const Name& name = records_[i]->owner;
      std::size_t j = i;
      bool has_ns = false;
      bool only_nsec3 = true;
      while (j < records_.size() && records_[j]->owner == name) {
        RRType t = records_[j]->type;
        has_ns = has_ns || t == RRType::kNs;
        only_nsec3 = only_nsec3 && (t == RRType::kNsec3 || t == RRType::kRrsig);
        ++j;
      }
      Owner owner{i, j};
      if (!name.is_at_or_below(apex_)) {
        owner.kind = NameKind::kOutside;
      } else if (cut && name.is_below(records_[owners_[*cut].begin]->owner)) {
        owner.kind = NameKind::kBelowCut;
        owner.cut = cut;
      } else if (name == apex_) {
        owner.kind = NameKind::kApex;
      } else if (has_ns) {
        owner.kind = NameKind::kDelegation;
        cut = owners_.size();
      } else if (only_nsec3) {
        owner.kind = NameKind::kHashedOwner;
      }
      owners_.push_back(owner);
      i = j;
    }
    for (std::size_t o = 0; o < owners_.size(); ++o) index_rrsets(o);
  }

  void index_rrsets(std::size_t o) {
    const Owner& owner = owners_[o];
    std::size_t first = rrsets_.size();
    std::size_t sig_begin = owner.end;
    std::size_t sig_end = owner.end;
    for (std::size_t i = owner.begin; i < owner.end;) {
      RRType type = records_[i]->type;
      std::size_t j = i;
      while (j < owner.end && records_[j]->type == type) ++j;
      if (type == RRType::kRrsig) {
        sig_begin = i;
        sig_end = j;
      } else {
        rrsets_.push_back(RRset{o, i, j, type, is_authoritative(owner.kind, type)});
      }
      i = j;
    }
    // RRSIGs sort by rdata, which starts with the type covered: one run per covered type.
    for (std::size_t i = sig_begin; i < sig_end;) {
      std::string_view rdata = records_[i]->rdata;
      std::uint16_t covered = rdata.size() >= 2 ? get16(rdata, 0) : 0;
      std::size_t j = i + 1;
      while (j < sig_end && records_[j]->rdata.size() >= 2 && get16(records_[j]->rdata, 0) == covered) ++j;
      bool matched = false;
      for (std::size_t r = first; r < rrsets_.size(); ++r) {
        if (dns::rrtype_code(rrsets_[r].type) == covered) {
          rrsets_[r].sig_begin = i;
          rrsets_[r].sig_end = j;
          matched = true;
        }
      }
      if (!matched && owner.kind != NameKind::kOutside) {
        problems_.add(records_[i]->owner, covered,
                      fmt::format("RRSIG over {}/{}, but the name has no {} records", records_[i]->owner.to_text(),
                                  type_text(covered), type_text(covered)));
      }
      i = j;
    }
  }

  static bool is_authoritative(NameKind kind, RRType type) {
    switch (kind) {
      case NameKind::kApex:
      case NameKind::kAuthoritative:
      case NameKind::kHashedOwner: return true;
      // RFC 4035 §2.2: at a delegation point only DS and NSEC are the parent's.
      case NameKind::kDelegation: return type == RRType::kDs || type == RRType::kNsec;
      case NameKind::kBelowCut:
      case NameKind::kOutside: return false;
    }
    return false;
  }

  const Name& owner_name(std::size_t o) const { return records_[owners_[o].begin]->owner; }

  void check_structure() {
    if (const Record* soa = find_apex(RRType::kSoa)) {
      if (auto parsed = dns::rdata::parse_soa(soa->rdata)) {
        soa_ = *parsed;
        soa_ttl_ = soa->ttl;
      }
    }
    if (!soa_) problems_.add(apex_, RRType::kSoa, "the zone has no SOA record at the apex");
    // RFC 1035 §5.2: exactly one SOA record at the top of the zone.
    std::size_t soas = 0;
    for (const Owner& owner : owners_) {
      if (owner.kind != NameKind::kApex) continue;
      for (std::size_t i = owner.begin; i < owner.end; ++i) soas += records_[i]->type == RRType::kSoa ? 1 : 0;
    }
    if (soas > 1) {
      problems_.add(apex_, RRType::kSoa, fmt::format("the zone has {} SOA records at the apex; it must have one", soas));
    }
    for (const Owner& owner : owners_) {
      const Name& name = records_[owner.begin]->owner;
      if (owner.kind == NameKind::kOutside) {
        problems_.add(name, 0, fmt::format("{} is outside the zone {}", name.to_text(), apex_.to_text()));
      }
    }
    for (const RRset& rrset : rrsets_) {
      const Name& name = owner_name(rrset.owner);
      for (std::size_t i = rrset.begin + 1; i < rrset.end; ++i) {
        if (records_[i]->ttl != records_[rrset.begin]->ttl) {
          problems_.add(name, rrset.type,
                        fmt::format("the records of {}/{} have different TTLs ({} and {}); an RRset has one TTL",
                                    name.to_text(), dns::rrtype_to_text(rrset.type), records_[rrset.begin]->ttl,
                                    records_[i]->ttl));
          break;
        }
      }
      NameKind kind = owners_[rrset.owner].kind;
      if (rrset.type == RRType::kDs && (kind == NameKind::kApex || kind == NameKind::kAuthoritative)) {
        problems_.add(name, rrset.type,
                      fmt::format("DS at {}, which is not a delegation point (RFC 4035 §2.4)", name.to_text()));
      }
    }
  }

  const Record* find_apex(RRType type) const {
    for (const Owner& owner : owners_) {
      if (owner.kind != NameKind::kApex) continue;
      for (std::size_t i = owner.begin; i < owner.end; ++i) {
        if (records_[i]->type == type) return records_[i];
      }
    }
    return nullptr;
  }

  // ---- keys and signatures ------------------------------------------------------------------------------

  void load_keys() {
    std::optional<std::size_t> apex = apex_owner();
    const RRset* dnskeys = apex ? find_rrset_after(*apex, RRType::kDnskey) : nullptr;
    if (!dnskeys) {
      problems_.add(apex_, RRType::kDnskey, "the zone has no DNSKEY RRset at the apex: nothing can be validated");
      return;
    }
    for (std::size_t i = dnskeys->begin; i < dnskeys->end; ++i) {
      if (i > dnskeys->begin && same_rr(records_[i - 1], records_[i])) continue;
      std::string_view rdata = records_[i]->rdata;
      std::uint16_t tag = dns::key_tag(rdata);
      auto key = VerifyKey::from_dnskey(rdata);
      if (!key) {
        problems_.add(apex_, RRType::kDnskey, fmt::format("DNSKEY {}: {}", tag, key.error()));
        continue;
      }
      // RFC 4034 §2.1.1: only a key with the Zone Key flag may verify RRSIGs.
      if (!(key->flags() & dns::kDnskeyZoneFlag)) {
        problems_.add(apex_, RRType::kDnskey, fmt::format("DNSKEY {} has no Zone Key flag (flags {})", tag, key->flags()));
        continue;
      }
      if (key->flags() & dns::kDnskeySepFlag) any_sep_key_ = true;
      // RFC 5011 §2.1: a revoked key's signatures validate nothing but the DNSKEY RRset, to show the revocation;
      // they are checked, and count for no algorithm and no path.
      bool revoked = (key->flags() & dns::kDnskeyRevokeFlag) != 0;
      if (revoked) {
        ++revoked_keys_;
      } else if (std::find(algorithms_.begin(), algorithms_.end(), key->algorithm()) == algorithms_.end()) {
        algorithms_.push_back(key->algorithm());
      }
      keys_.push_back(std::move(*key));
    }
    std::sort(algorithms_.begin(), algorithms_.end());
    if (keys_.size() == revoked_keys_ && revoked_keys_ > 0) {
      problems_.add(apex_, RRType::kDnskey,
                    "every key of the DNSKEY RRset is revoked (REVOKE flag, RFC 5011): nothing can be validated");
    }
    if (keys_.empty()) {
      problems_.add(apex_, RRType::kDnskey, "the DNSKEY RRset holds no usable key: nothing can be validated");
      return;
    }
    published_keys_ = keys_.size();
    // Keys that sign before they are published: their signatures are checked, but count for no algorithm of the
    // DNSKEY RRset and for no path a validator could follow.
    for (const std::string& rdata : options_.unpublished_keys) {
      std::uint16_t tag = dns::key_tag(rdata);
      auto key = VerifyKey::from_dnskey(rdata);
      if (!key) {
        problems_.add(apex_, RRType::kDnskey, fmt::format("unpublished signing key {}: {}", tag, key.error()));
        continue;
      }
      bool in_dnskey_rrset = std::any_of(keys_.begin(), keys_.begin() + static_cast<std::ptrdiff_t>(published_keys_),
                                         [&](const VerifyKey& k) {
                                           return k.key_tag() == key->key_tag() && k.algorithm() == key->algorithm();
                                         });
      if (!in_dnskey_rrset) keys_.push_back(std::move(*key));
    }
  }

  // ---- CDS and CDNSKEY ---------------------------------------------------------------------------------
  // What a parent acting on them (RFC 7344, RFC 8078) takes: each CDS the digest of a DNSKEY of the zone and each
  // CDNSKEY one of its DNSKEYs — else a parent that checks them takes no action and the rollover waiting for it
  // stalls, and one that does not breaks the delegation; the two RRsets naming the same keys (RFC 9975 §3.1: else
  // no action); a delete request ("CDS 0 0 0 00", "CDNSKEY 0 3 0 AA==", RFC 8078 §4) alone in its RRset.
  void check_cds() {
    std::optional<std::size_t> apex = apex_owner();
    if (!apex) return;
    std::vector<std::string_view> dnskeys;
    if (const RRset* set = find_rrset_after(*apex, RRType::kDnskey)) {
      for (std::size_t i = set->begin; i < set->end; ++i) dnskeys.push_back(records_[i]->rdata);
    }
    using KeyId = std::pair<std::uint16_t, std::uint8_t>;  // key tag, algorithm
    auto check = [&](RRType type, auto&& key_of) -> std::optional<std::set<KeyId>> {
      const RRset* set = find_rrset_after(*apex, type);
      if (!set) return std::nullopt;
      std::set<KeyId> keys;
      bool deletes = false;
      std::size_t count = 0;
      for (std::size_t i = set->begin; i < set->end; ++i) {
        if (i > set->begin && same_rr(records_[i - 1], records_[i])) continue;
        ++count;
        std::string_view rdata = records_[i]->rdata;
        std::string text = dns::rdata::to_text(type, rdata);
        std::string problem;
        std::optional<KeyId> id = key_of(rdata, deletes, problem);
        if (!problem.empty()) problems_.add(apex_, type, fmt::format("{} {}: {}", dns::rrtype_to_text(type), text, problem));
        if (id) keys.insert(*id);
      }
      if (deletes && count > 1) {
        problems_.add(apex_, type,
                      fmt::format("the {} RRset holds a delete request beside other records: RFC 8078 §4 wants it "
                                  "alone",
                                  dns::rrtype_to_text(type)));
      }
      if (deletes) keys.insert({0, 0});
      return keys;
    };
    auto cds = check(RRType::kCds, [&](std::string_view rdata, bool& deletes, std::string& problem) -> std::optional<KeyId> {
      if (rdata.size() < 5) {
        problem = "malformed";
        return std::nullopt;
      }
      KeyId id{static_cast<std::uint16_t>((static_cast<unsigned char>(rdata[0]) << 8) | static_cast<unsigned char>(rdata[1])),
               static_cast<std::uint8_t>(rdata[2])};
      if (id.second == 0) {
        deletes = true;
        if (rdata != std::string_view("\0\0\0\0\0", 5)) problem = "a delete request is CDS 0 0 0 00 (RFC 8078 §4)";
        return std::nullopt;
      }
      auto digest_type = static_cast<std::uint8_t>(rdata[3]);
      bool checked = false;
      for (std::string_view key : dnskeys) {
        auto ds = dns::ds_rdata(apex_, key, digest_type);
        if (!ds) continue;  // a digest type not computed here: a parent that knows none of them passes it over
        checked = true;
        if (*ds == rdata) return id;
      }
      if (checked) problem = "no DNSKEY of the zone has this digest";
      return id;
    });
    auto cdnskey = check(RRType::kCdnskey, [&](std::string_view rdata, bool& deletes, std::string& problem) -> std::optional<KeyId> {
      if (rdata.size() < 5) {
        problem = "malformed";
        return std::nullopt;
      }
      if (static_cast<std::uint8_t>(rdata[3]) == 0) {
        deletes = true;
        if (rdata != std::string_view("\0\0\3\0\0", 5)) problem = "a delete request is CDNSKEY 0 3 0 AA== (RFC 8078 §4)";
        return std::nullopt;
      }
      if (std::find(dnskeys.begin(), dnskeys.end(), rdata) == dnskeys.end()) problem = "it is not a DNSKEY of the zone";
      return KeyId{dns::key_tag(rdata), static_cast<std::uint8_t>(rdata[3])};
    });
    if (cds && cdnskey && *cds != *cdnskey) {
      auto names = [](const std::set<KeyId>& keys) {
        std::vector<std::string> out;
        for (const auto& [tag, algorithm] : keys) out.push_back(algorithm == 0 ? "delete" : fmt::format("{}/{}", tag, algorithm));
        return fmt::format("{}", fmt::join(out, ", "));
      };
      problems_.add(apex_, RRType::kCds,
                    fmt::format("CDS and CDNSKEY name different keys (CDS: {}; CDNSKEY: {}): a parent takes no action "
                                "on them (RFC 9975 §3.1)",
                                names(*cds), names(*cdnskey)));
    }
  }

  struct ChunkResult {
    explicit ChunkResult(std::size_t limit) : problems(limit) {}
    ProblemList problems;
    std::size_t signatures_checked = 0;
    std::set<std::pair<std::uint16_t, std::uint8_t>> unknown_signers;  // allow_unknown_signers: key tag, algorithm
    std::size_t unchecked_signatures = 0;
  };

  void check_signatures() {
    if (keys_.empty()) return;
    std::size_t chunks = (rrsets_.size() + kRRsetsPerChunk - 1) / kRRsetsPerChunk;
    std::vector<std::unique_ptr<ChunkResult>> results(chunks);
    pool_.parallel_for(rrsets_.size(), kRRsetsPerChunk, [&](std::size_t begin, std::size_t end) {
      auto result = std::make_unique<ChunkResult>(options_.max_problems);
      SignatureChecker checker(keys_);
      std::string signed_data;
      for (std::size_t r = begin; r < end; ++r) check_rrset(rrsets_[r], checker, signed_data, *result);
      results[begin / kRRsetsPerChunk] = std::move(result);
    });
    // Chunks in index order: the same output whatever thread did which chunk.
    for (auto& result : results) {
      if (!result) continue;
      signatures_checked_ += result->signatures_checked;
      unchecked_signatures_ += result->unchecked_signatures;
      unknown_signers_.insert(result->unknown_signers.begin(), result->unknown_signers.end());
      problems_.append(std::move(result->problems));
    }
  }

  void check_rrset(const RRset& rrset, SignatureChecker& checker, std::string& signed_data, ChunkResult& out) const {
    const Owner& owner = owners_[rrset.owner];
    const Name& name = records_[rrset.begin]->owner;
    // Texts for problems only: most RRsets have none, and formatting them for each would cost more than parsing.
    auto where = [&] { return fmt::format("{}/{}", name.to_text(), dns::rrtype_to_text(rrset.type)); };
    if (!rrset.authoritative) {
      if (rrset.sig_begin == rrset.sig_end || owner.kind == NameKind::kOutside) return;
      // RFC 4035 §2.2: the delegation NS RRset and glue are not signed by the parent.
      std::string what = owner.kind == NameKind::kDelegation && rrset.type == RRType::kNs ? "the delegation NS RRset"
                         : owner.kind == NameKind::kBelowCut ? fmt::format("glue or occluded data below the cut {}",
                                                                            owner_name(*owner.cut).to_text())
                                                              : "data at a zone cut that belongs to the child";
      out.problems.add(name, rrset.type,
                       fmt::format("RRSIG over {} must not exist: {} is not signed by the parent zone", where(), what));
      return;
    }
    if (rrset.sig_begin == rrset.sig_end) {
      out.problems.add(name, rrset.type, fmt::format("{} has no RRSIG", where()));
      return;
    }
    std::uint32_t rrset_ttl = records_[rrset.begin]->ttl;
    std::vector<std::uint8_t> valid_algorithms;
    std::vector<std::uint8_t> signed_algorithms;
    std::vector<std::uint16_t> revoked_signers;  // published keys with the REVOKE flag whose RRSIGs are here
    std::vector<std::uint16_t> unknown_signers;  // keys of no DNSKEY whose RRSIGs are here (passed over)
    bool valid_by_sep = false;
    for (std::size_t s = rrset.sig_begin; s < rrset.sig_end; ++s) {
      const Record& sig_record = *records_[s];
      if (s > rrset.sig_begin && same_rr(records_[s - 1], &sig_record)) continue;
      auto sig = parse_rrsig(sig_record.rdata);
      if (!sig) {
        out.problems.add(name, rrset.type, fmt::format("RRSIG over {} is malformed", where()));
        continue;
      }
      auto by = [&] { return fmt::format("RRSIG by key {} ({})", sig->key_tag, verify_detail::algorithm_name(sig->algorithm)); };
      if (sig->signer != apex_) {
        out.problems.add(name, rrset.type,
                         fmt::format("{} over {} names the signer {}, not the zone apex {}", by(), where(),
                                     sig->signer.to_text(), apex_.to_text()));
        continue;
      }
      if (sig->labels != name.rrsig_labels()) {
        // RFC 4034 §3.1.3: the owner's label count, not counting a wildcard's leftmost "*". In a zone (unlike an
        // answer synthesised from a wildcard) the signed owner is the owner itself, so no other count is right.
        out.problems.add(name, rrset.type,
                         fmt::format("{} over {} has a labels field of {}, but the owner has {} labels{}", by(), where(),
                                     sig->labels, name.rrsig_labels(),
                                     name.is_wildcard() ? " besides its leftmost \"*\"" : ""));
        continue;
      }
      // RFC 4034 §3: the RRSIG's TTL and original TTL are the TTL of the RRset it covers.
      if (sig_record.ttl != rrset_ttl) {
        out.problems.add(name, rrset.type,
                         fmt::format("{} over {} has TTL {}, but the RRset has TTL {}", by(), where(), sig_record.ttl,
                                     rrset_ttl));
      }
      if (sig->original_ttl != rrset_ttl) {
        out.problems.add(name, rrset.type,
                         fmt::format("{} over {} has original TTL {}, but the RRset has TTL {}", by(), where(),
                                     sig->original_ttl, rrset_ttl));
      }
      build_signed_data(rrset, *sig, signed_data);
      bool key_found = false;
      bool published_key = false;
      bool usable = false;  // a key of the DNSKEY RRset that a validator may use for this RRset
      bool valid = false;
      bool by_sep = false;
      for (std::size_t k = 0; k < keys_.size() && !valid; ++k) {
        if (keys_[k].key_tag() != sig->key_tag || keys_[k].algorithm() != sig->algorithm) continue;
        key_found = true;
        published_key = k < published_keys_;
        usable = published_key && !(keys_[k].flags() & dns::kDnskeyRevokeFlag);
        ++out.signatures_checked;
        valid = checker.verify(k, signed_data, sig->signature);
        by_sep = valid && usable && (keys_[k].flags() & dns::kDnskeySepFlag);
      }
      if (published_key && !usable) revoked_signers.push_back(sig->key_tag);
      if (!key_found && options_.allow_unknown_signers) {
        // RFC 4035 §5.3.1: a validator passes over an RRSIG whose key it does not have.
        ++out.unchecked_signatures;
        out.unknown_signers.emplace(sig->key_tag, sig->algorithm);
        unknown_signers.push_back(sig->key_tag);
        continue;
      }
      if (usable || !key_found) signed_algorithms.push_back(sig->algorithm);
      if (!key_found) {
        out.problems.add(name, rrset.type,
                         fmt::format("{} over {}: the DNSKEY RRset has no such key", by(), where()));
        continue;
      }
      if (!valid) {
        out.problems.add(name, rrset.type, fmt::format("{} over {} does not validate", by(), where()));
        continue;
      }
      bool in_window = true;
      if (time_before(sig->expiration, sig->inception)) {
        in_window = false;
        out.problems.add(name, rrset.type,
                         fmt::format("signature over {} by key {} expires ({}) before its inception ({}): it is never "
                                     "valid",
                                     where(), sig->key_tag, utc_text(sig->expiration), utc_text(sig->inception)));
      } else if (time_before(options_.now, sig->inception)) {
        in_window = false;
        out.problems.add(name, rrset.type,
                         fmt::format("signature over {} by key {} is not valid before {} (inception in the future)",
                                     where(), sig->key_tag, utc_text(sig->inception)));
      } else if (time_before(sig->expiration, options_.now)) {
        in_window = false;
        out.problems.add(name, rrset.type,
                         fmt::format("signature over {} by key {} expired {}", where(), sig->key_tag,
                                     utc_text(sig->expiration)));
      } else if (time_before(sig->expiration, options_.now + options_.validity_margin)) {
        out.problems.add(name, rrset.type,
                         fmt::format("signature over {} by key {} expires {}, within the {} margin", where(),
                                     sig->key_tag, utc_text(sig->expiration),
                                     duration_text(options_.validity_margin, true)));
      } else if (options_.check_expire_interval && soa_ &&
                 time_before(sig->expiration, options_.now + soa_->expire)) {
        // RFC 6781 §4.4.1: a secondary that loses its primary serves the zone for EXPIRE; its signatures must
        // outlive that, or resolvers get bogus answers instead of the secondary going lame.
        out.problems.add(name, rrset.type,
                         fmt::format("signature over {} by key {} expires {}, before the SOA EXPIRE interval ({}) "
                                     "has passed",
                                     where(), sig->key_tag, utc_text(sig->expiration), duration_text(soa_->expire)));
      }
      if (in_window && usable) {
        valid_algorithms.push_back(sig->algorithm);
        valid_by_sep = valid_by_sep || by_sep;
      }
    }
    auto contains = [](const std::vector<std::uint8_t>& v, std::uint8_t a) {
      return std::find(v.begin(), v.end(), a) != v.end();
    };
    bool apex_dnskey = rrset.type == RRType::kDnskey && owner.kind == NameKind::kApex;
    if (!revoked_signers.empty() && signed_algorithms.empty() && !apex_dnskey) {
      out.problems.add(name, rrset.type,
                       fmt::format("{} is signed only by revoked key {} (REVOKE flag): RFC 5011 §2.1 lets a revoked "
                                   "key validate nothing but the DNSKEY RRset",
                                   where(), fmt::join(revoked_signers, ", ")));
    } else if (options_.require_every_algorithm) {
      // RFC 4035 §2.2. An algorithm whose signatures were present but bad was reported above.
      for (std::uint8_t algorithm : algorithms_) {
        if (!contains(signed_algorithms, algorithm)) {
          out.problems.add(name, rrset.type,
                           fmt::format("{} has no RRSIG of algorithm {}{}, which the DNSKEY RRset uses{}", where(),
                                       verify_detail::algorithm_name(algorithm),
                                       revoked_signers.empty() ? "" : " by a key that is not revoked",
                                       unknown_signers.empty()
                                           ? std::string()
                                           : fmt::format(" (its RRSIG{0} by key{0} {1} {2} by no key of the "
                                                         "DNSKEY RRset)",
                                                         unknown_signers.size() > 1 ? "s" : "",
                                                         fmt::join(unknown_signers, ", "),
                                                         unknown_signers.size() > 1 ? "are" : "is")));
        }
      }
    }
    if (apex_dnskey && any_sep_key_ && !valid_by_sep) {
      out.problems.add(name, rrset.type,
                       fmt::format("{} has no valid RRSIG by a key with the SEP flag (KSK){}: resolvers following "
                                   "the DS from the parent cannot validate it",
                                   where(), revoked_signers.empty() ? std::string()
                                                                     : fmt::format(" but revoked key {}",
                                                                                   fmt::join(revoked_signers, ", "))));
    }
    // RFC 7344 §4.1: a parent takes CDS/CDNSKEY only signed by a key its DS points to.
    if ((rrset.type == RRType::kCds || rrset.type == RRType::kCdnskey) && owner.kind == NameKind::kApex &&
        any_sep_key_ && !valid_by_sep) {
      out.problems.add(name, rrset.type,
                       fmt::format("{} has no valid RRSIG by a key with the SEP flag (KSK): a parent acting on it "
                                   "(RFC 7344 §4.1) cannot authenticate it",
                                   where()));
    }
  }

  // RFC 4034 §3.1.8.1: RRSIG rdata without the signature, then each RR in canonical form and order with the
  // original TTL. Names are already lower case (dns::Name) and the records sorted by rdata.
  void build_signed_data(const RRset& rrset, const Rrsig& sig, std::string& out) const {
    out.assign(sig.prefix);
    for (std::size_t i = rrset.begin; i < rrset.end; ++i) {
      const Record& r = *records_[i];
      if (i > rrset.begin && records_[i - 1]->rdata == r.rdata) continue;  // duplicates count once (§6.3)
      out.append(r.owner.wire());
      put16(out, dns::rrtype_code(r.type));
      put16(out, dns::kClassIn);
      put32(out, sig.original_ttl);
      put16(out, static_cast<std::uint16_t>(r.rdata.size()));
      out.append(r.rdata);
    }
  }

  // ---- denial of existence ------------------------------------------------------------------------------

  // RFC 9077 §3: NSEC and NSEC3 TTLs are the smaller of the SOA TTL and the SOA MINIMUM.
  void check_denial_ttl(const Name& name, RRType type, std::uint32_t ttl) {
    if (!soa_) return;
    std::uint32_t wanted = std::min(soa_ttl_, soa_->minimum);
    if (ttl != wanted) {
      problems_.add(name, type,
                    fmt::format("{} TTL is {}, but it must be {}, the smaller of the SOA TTL and the SOA MINIMUM "
                                "(RFC 9077)",
                                dns::rrtype_to_text(type), ttl, wanted));
    }
  }

  // Types at a name, sorted, without RRSIG/NSEC/NSEC3 (those are the chain's own). At a delegation point only
  // NS and DS: RFC 4035 §2.3 clears the bits of every other RRset there, which belongs to the child (occluded
  // data, or glue at the delegated name itself).
  std::vector<std::uint16_t> data_types(std::size_t o) const {
    std::vector<std::uint16_t> types;
    bool cut = owners_[o].kind == NameKind::kDelegation;
    for (std::size_t i = owners_[o].begin; i < owners_[o].end; ++i) {
      RRType t = records_[i]->type;
      if (t == RRType::kRrsig || t == RRType::kNsec || t == RRType::kNsec3) continue;
      if (cut && t != RRType::kNs && t != RRType::kDs) continue;
      if (types.empty() || types.back() != dns::rrtype_code(t)) types.push_back(dns::rrtype_code(t));
    }
    return types;
  }

  bool has_authoritative_data(std::size_t o) const {
    auto it = std::lower_bound(rrsets_.begin(), rrsets_.end(), o,
                               [](const RRset& r, std::size_t owner) { return r.owner < owner; });
    for (; it != rrsets_.end() && it->owner == o; ++it) {
      if (it->authoritative && it->type != RRType::kNsec && it->type != RRType::kNsec3) return true;
    }
    return false;
  }

  void check_denial() {
    bool has_nsec = false;
    bool has_nsec3 = false;
    for (const RRset& rrset : rrsets_) {
      if (owners_[rrset.owner].kind == NameKind::kOutside) continue;
      has_nsec = has_nsec || rrset.type == RRType::kNsec;
      has_nsec3 = has_nsec3 || rrset.type == RRType::kNsec3;
    }
    bool has_param = find_apex(RRType::kNsec3param) != nullptr;
    if (has_nsec && has_nsec3) {
      problems_.add(apex_, 0, "the zone has both NSEC and NSEC3 records; a zone uses one denial method");
    }
    if (!has_nsec && !has_nsec3) {
      problems_.add(apex_, 0, "the zone has neither NSEC nor NSEC3 records: no authenticated denial of existence");
      if (!has_param) return;
    }
    if (has_nsec3 || has_param) {
      denial_ = "nsec3";
      check_nsec3_chain();
    } else {
      denial_ = "nsec";
      check_nsec_chain();
    }
  }

  void check_nsec_chain() {
    // The chain holds every authoritative name and every delegation point (RFC 4035 §2.3), in canonical order.
    std::vector<std::size_t> names;
    for (std::size_t o = 0; o < owners_.size(); ++o) {
      NameKind kind = owners_[o].kind;
      if (kind == NameKind::kApex || kind == NameKind::kAuthoritative || kind == NameKind::kDelegation) {
        names.push_back(o);
      }
    }
    auto exists = [&](const Name& name) {
      auto it = std::lower_bound(names.begin(), names.end(), name,
                                 [&](std::size_t o, const Name& n) { return owner_name(o) < n; });
      return it != names.end() && owner_name(*it) == name;
    };
    for (std::size_t o = 0; o < owners_.size(); ++o) {
      if (owners_[o].kind != NameKind::kBelowCut) continue;
      if (find_rrset_after(o, RRType::kNsec)) {
        problems_.add(owner_name(o), RRType::kNsec,
                      fmt::format("NSEC at {}, which is glue or occluded data below the cut {}; it must not be in "
                                  "the chain",
                                  owner_name(o).to_text(), owner_name(*owners_[o].cut).to_text()));
      }
    }
    for (std::size_t n = 0; n < names.size(); ++n) {
      std::size_t o = names[n];
      const Name& name = owner_name(o);
      const RRset* nsec = find_rrset_after(o, RRType::kNsec);
      if (!nsec) {
        problems_.add(name, RRType::kNsec, fmt::format("{} has no NSEC record: the NSEC chain skips it", name.to_text()));
        continue;
      }
      if (nsec->end - nsec->begin > 1) {
        problems_.add(name, RRType::kNsec,
                      fmt::format("{} has {} NSEC records; it must have exactly one", name.to_text(),
                                  nsec->end - nsec->begin));
      }
      const Record& record = *records_[nsec->begin];
      check_denial_ttl(name, RRType::kNsec, record.ttl);
      std::size_t pos = 0;
      auto next = Name::from_wire(record.rdata, pos);
      auto listed = next ? dns::rdata::parse_type_bitmap(std::string_view(record.rdata).substr(pos))
                         : dns::Result<std::vector<std::uint16_t>>(dns::error("bad next name"));
      if (!next || !listed) {
        problems_.add(name, RRType::kNsec, fmt::format("NSEC at {} is malformed", name.to_text()));
        continue;
      }
      const Name& expected = owner_name(names[(n + 1) % names.size()]);
      if (*next != expected) {
        if (n + 1 == names.size()) {
          problems_.add(name, RRType::kNsec,
                        fmt::format("NSEC chain not closed: the last name {} points to {} instead of back to the apex "
                                    "{}",
                                    name.to_text(), next->to_text(), expected.to_text()));
        } else if (expected < *next || *next == apex_) {
          problems_.add(name, RRType::kNsec,
                        fmt::format("NSEC chain broken: {} points to {} but {} exists", name.to_text(),
                                    next->to_text(), expected.to_text()));
        } else if (!exists(*next)) {
          problems_.add(name, RRType::kNsec,
                        fmt::format("NSEC chain broken: {} points to {}, which is not a name of the zone; the next "
                                    "name is {}",
                                    name.to_text(), next->to_text(), expected.to_text()));
        } else {
          problems_.add(name, RRType::kNsec,
                        fmt::format("NSEC chain broken: {} points to {}; the next name in canonical order is {}",
                                    name.to_text(), next->to_text(), expected.to_text()));
        }
      }
      // RFC 4034 §4.1.2: the bitmap lists every type at the name, NSEC and RRSIG included.
      std::vector<std::uint16_t> actual = data_types(o);
      actual.push_back(dns::rrtype_code(RRType::kNsec));
      actual.push_back(dns::rrtype_code(RRType::kRrsig));
      std::sort(actual.begin(), actual.end());
      if (*listed != actual) {
        problems_.add(name, RRType::kNsec,
                      fmt::format("NSEC bitmap at {} {}", name.to_text(), bitmap_difference(*listed, actual)));
      }
    }
  }

  // find_rrset for an owner, using the owner's position in rrsets_ (rrsets_ is in owner order).
  const RRset* find_rrset_after(std::size_t o, RRType type) const {
    auto it = std::lower_bound(rrsets_.begin(), rrsets_.end(), o,
                               [](const RRset& r, std::size_t owner) { return r.owner < owner; });
    for (; it != rrsets_.end() && it->owner == o; ++it) {
      if (it->type == type) return &*it;
    }
    return nullptr;
  }

  // A SHA-1 NSEC3 hash (RFC 5155 §5), ordered as the chain orders it: as unsigned octets.
  using Hash = std::array<char, 20>;
  static bool hash_less(const Hash& a, const Hash& b) { return std::memcmp(a.data(), b.data(), a.size()) < 0; }
  static std::string_view hash_bytes(const Hash& h) { return {h.data(), h.size()}; }
  static std::optional<Hash> to_hash(std::string_view bytes) {
    if (bytes.size() != std::tuple_size_v<Hash>) return std::nullopt;
    Hash h;
    std::memcpy(h.data(), bytes.data(), h.size());
    return h;
  }

  // A name the NSEC3 chain must (or, under opt-out, may) hold.
  struct HashedName {
    const Name* name = nullptr;
    std::optional<std::size_t> owner;  // nothing for an empty non-terminal
    bool required = true;              // false: an insecure delegation, or an ENT leading only to them
    Hash hash{};
  };

  struct Nsec3Names {
    std::vector<HashedName> names;         // canonical order
    std::deque<Name> empty_non_terminals;  // the names of the entries without an owner
  };

  struct Nsec3Entry {
    Hash hash{};  // from the owner's first label
    std::size_t owner = 0;
    const Record* record = nullptr;
    Nsec3Fields fields;
  };

  // The parameters that make an NSEC3 chain (RFC 5155 §3.1.1-4): its hash algorithm, iterations and salt.
  static bool same_chain(const Nsec3Fields& a, const Nsec3Fields& b) {
    return a.hash_algorithm == b.hash_algorithm && a.iterations == b.iterations && a.salt == b.salt;
  }
  static std::string chain_text(const Nsec3Fields& f) {
    return fmt::format("algorithm {}, {} iterations, salt {}", f.hash_algorithm, f.iterations, salt_text(f.salt));
  }

  // The NSEC3 chains: one per parameter set. A zone has one, or two while a signer changes its parameters (BIND
  // builds the new chain beside the old one and switches the NSEC3PARAM once it is complete, RFC 5155 §10.4): each
  // chain must be complete, since servers answer from the one an NSEC3PARAM names and a resolver may meet either.
  void check_nsec3_chain() {
    // Parameters: the apex NSEC3PARAM (RFC 5155 §4), flags 0.
    std::vector<Nsec3Fields> named;  // by an NSEC3PARAM
    if (const RRset* rrset = apex_owner() ? find_rrset_after(*apex_owner(), RRType::kNsec3param) : nullptr) {
      for (std::size_t i = rrset->begin; i < rrset->end; ++i) {
        auto fields = parse_nsec3param(records_[i]->rdata);
        if (!fields) {
          problems_.add(apex_, RRType::kNsec3param, "NSEC3PARAM is malformed");
          continue;
        }
        if (fields->flags != 0) {
          problems_.add(apex_, RRType::kNsec3param,
                        fmt::format("NSEC3PARAM flags are {}; they must be 0 (RFC 5155 §4.1.2)", fields->flags));
        }
        if (fields->hash_algorithm != kNsec3HashSha1) {
          problems_.add(apex_, RRType::kNsec3param,
                        fmt::format("NSEC3PARAM hash algorithm {} is not SHA-1 (1)", fields->hash_algorithm));
          continue;
        }
        named.push_back(*fields);
      }
    } else {
      problems_.add(apex_, RRType::kNsec3param,
                    "the zone has NSEC3 records but no NSEC3PARAM at the apex: servers cannot find the chain");
    }

    // The NSEC3 records, each at base32hex(hash).apex: found and parsed on every thread, then checked in owner
    // order (the problems, and the parameters the first NSEC3 sets without an NSEC3PARAM, are the same as one
    // thread would find).
    struct Candidate {
      std::size_t owner = 0;
      const RRset* rrset = nullptr;
      bool below_apex = false;        // directly below the apex
      std::optional<Hash> hash;       // from the owner's first label
      std::optional<Nsec3Fields> fields;
    };
    constexpr std::size_t kOwnersPerChunk = 4096;
    std::vector<std::vector<Candidate>> found((owners_.size() + kOwnersPerChunk - 1) / kOwnersPerChunk);
    pool_.parallel_for(owners_.size(), kOwnersPerChunk, [&](std::size_t begin, std::size_t end) {
      std::vector<Candidate>& out = found[begin / kOwnersPerChunk];
      for (std::size_t o = begin; o < end; ++o) {
        const RRset* rrset = find_rrset_after(o, RRType::kNsec3);
        if (!rrset) continue;
        Candidate c{o, rrset};
        const Name& name = owner_name(o);
        if (owners_[o].kind == NameKind::kHashedOwner && name.label_count() == apex_.label_count() + 1) {
          c.below_apex = true;
          if (auto bytes = dns::from_base32hex(name.first_label())) c.hash = to_hash(*bytes);
          c.fields = parse_nsec3(records_[rrset->begin]->rdata);
        }
        out.push_back(c);
      }
    });
    // The chains in the order met: those of the NSEC3PARAM first, then those of NSEC3 records alone.
    std::vector<std::pair<Nsec3Fields, std::vector<Nsec3Entry>>> chains;
    for (const Nsec3Fields& f : named) {
      if (std::none_of(chains.begin(), chains.end(), [&](const auto& c) { return same_chain(c.first, f); })) {
        chains.emplace_back(f, std::vector<Nsec3Entry>{});
      }
    }
    for (std::vector<Candidate>& candidates : found) {
      for (Candidate& c : candidates) {
        std::size_t o = c.owner;
        const RRset* rrset = c.rrset;
        const Name& name = owner_name(o);
        if (owners_[o].kind != NameKind::kHashedOwner) {
          problems_.add(name, RRType::kNsec3,
                        fmt::format("NSEC3 at {}, which also owns other data; NSEC3 records live at hashed names of "
                                    "their own",
                                    name.to_text()));
          continue;
        }
        if (!c.below_apex) {
          problems_.add(name, RRType::kNsec3,
                        fmt::format("NSEC3 at {}, which is not a hashed name directly below the apex", name.to_text()));
          continue;
        }
        if (!c.hash) {
          problems_.add(name, RRType::kNsec3,
                        fmt::format("NSEC3 owner label {} is not a base32hex SHA-1 hash", name.first_label()));
          continue;
        }
        if (rrset->end - rrset->begin > 1) {
          problems_.add(name, RRType::kNsec3,
                        fmt::format("{} has {} NSEC3 records; it must have exactly one", name.to_text(),
                                    rrset->end - rrset->begin));
        }
        const Record& record = *records_[rrset->begin];
        const std::optional<Nsec3Fields>& fields = c.fields;
        if (!fields || fields->next_hash.size() != std::tuple_size_v<Hash>) {
          problems_.add(name, RRType::kNsec3, fmt::format("NSEC3 at {} is malformed", name.to_text()));
          continue;
        }
        // RFC 5155 §8.2: validators ignore an NSEC3 with any flag but Opt-Out set; what it would prove stays
        // unproven for them.
        if (fields->flags & ~kNsec3OptOutFlag) {
          problems_.add(name, RRType::kNsec3,
                        fmt::format("NSEC3 at {} has flags {}: validators ignore an NSEC3 with any flag but Opt-Out "
                                    "(1) set (RFC 5155 §8.2)",
                                    name.to_text(), fields->flags));
          continue;
        }
        check_denial_ttl(name, RRType::kNsec3, record.ttl);
        if (fields->hash_algorithm != kNsec3HashSha1) {
          problems_.add(name, RRType::kNsec3,
                        fmt::format("NSEC3 at {} has hash algorithm {}, not SHA-1 (1)", name.to_text(),
                                    fields->hash_algorithm));
          continue;
        }
        auto chain = std::find_if(chains.begin(), chains.end(),
                                  [&](const auto& known) { return same_chain(known.first, *fields); });
        if (chain == chains.end()) chain = chains.emplace(chains.end(), *fields, std::vector<Nsec3Entry>{});
        chain->second.push_back(Nsec3Entry{*c.hash, o, &record, *fields});
      }
    }
    found.clear();
    if (chains.empty()) return;
    Nsec3Names wanted = nsec3_names();
    for (auto& [params, chain] : chains) {
      if (chain.empty()) {
        problems_.add(apex_, RRType::kNsec3param,
                      fmt::format("the NSEC3PARAM names a chain ({}) of which the zone has no NSEC3", chain_text(params)));
        continue;
      }
      check_one_nsec3_chain(params, chain, wanted.names, chains.size() > 1);
    }
  }

  // One NSEC3 chain of parameters `params`: closed, each NSEC3 for a name of the zone with its bitmap, every name
  // (`names`, whose hashes this computes) with its NSEC3 or, where opt-out allows it, covered. `several`: the zone
  // has more than one chain, and the problems name the chain.
  void check_one_nsec3_chain(const Nsec3Fields& params, std::vector<Nsec3Entry>& chain, std::vector<HashedName> names,
                             bool several) {
    const std::string of_chain = several ? fmt::format(" in the chain of {}", chain_text(params)) : std::string();
    if (params.iterations > kMaxNsec3Iterations) {
      problems_.add(apex_, RRType::kNsec3param,
                    fmt::format("NSEC3 uses {} iterations{}; validators may treat more than {} as insecure "
                                "(RFC 9276 §3.2)",
                                params.iterations, of_chain, kMaxNsec3Iterations));
    }
    std::string salt(params.salt);
    const Nsec3Fields* const params_ptr = &params;

    pool_.parallel_for(names.size(), 4096, [&](std::size_t begin, std::size_t end) {
      for (std::size_t i = begin; i < end; ++i) {
        dns::Nsec3Digest digest = dns::nsec3_digest(names[i].name->wire(), salt, params_ptr->iterations);
        std::memcpy(names[i].hash.data(), digest.data(), digest.size());
      }
    });
    // The names by hash: what each NSEC3 is for.
    struct ByHash {
      Hash hash;
      std::size_t name;
    };
    std::vector<ByHash> by_hash(names.size());
    for (std::size_t i = 0; i < names.size(); ++i) by_hash[i] = {names[i].hash, i};
    auto by_hash_less = [](const ByHash& a, const ByHash& b) { return hash_less(a.hash, b.hash); };
    dns::parallel_sort(pool_, by_hash.begin(), by_hash.end(), by_hash_less);
    auto name_for = [&](const Hash& hash) -> const HashedName* {
      auto it = std::lower_bound(by_hash.begin(), by_hash.end(), hash,
                                 [](const ByHash& e, const Hash& h) { return hash_less(e.hash, h); });
      return it != by_hash.end() && it->hash == hash ? &names[it->name] : nullptr;
    };

    // The chain in hash order (a file written in canonical order has it so already).
    auto entry_less = [](const Nsec3Entry& a, const Nsec3Entry& b) { return hash_less(a.hash, b.hash); };
    if (!std::is_sorted(chain.begin(), chain.end(), entry_less)) {
      dns::parallel_sort(pool_, chain.begin(), chain.end(), entry_less);
    }
    auto hashed_owner = [&](const Hash& hash) { return dns::to_base32hex(hash_bytes(hash)) + "." + apex_.to_text(); };
    auto for_name = [&](const Hash& hash) {
      const HashedName* hashed = name_for(hash);
      return hashed ? fmt::format(" (for {})", hashed->name->to_text()) : std::string(" (which matches no name)");
    };
    // Each NSEC3: its successor, the name it is for, its bitmap; on every thread, problems kept in chain order.
    std::vector<std::uint8_t> covered(names.size(), 0);
    constexpr std::size_t kEntriesPerChunk = 4096;
    std::vector<std::unique_ptr<ProblemList>> chunk_problems((chain.size() + kEntriesPerChunk - 1) / kEntriesPerChunk);
    pool_.parallel_for(chain.size(), kEntriesPerChunk, [&](std::size_t begin, std::size_t end) {
      auto problems = std::make_unique<ProblemList>(options_.max_problems);
      for (std::size_t c = begin; c < end; ++c) {
        const Nsec3Entry& entry = chain[c];
        const Name& owner = owner_name(entry.owner);
        const Hash& expected = chain[(c + 1) % chain.size()].hash;
        if (entry.fields.next_hash != hash_bytes(expected)) {
          if (c + 1 == chain.size()) {
            problems->add(owner, RRType::kNsec3,
                          fmt::format("NSEC3 chain not closed: the last NSEC3 {}{} points to {} instead of the first, "
                                      "{}",
                                      owner.to_text(), for_name(entry.hash),
                                      dns::to_base32hex(entry.fields.next_hash), hashed_owner(expected)));
          } else {
            problems->add(owner, RRType::kNsec3,
                          fmt::format("NSEC3 chain broken: {}{} points to {} but {}{} exists", owner.to_text(),
                                      for_name(entry.hash), dns::to_base32hex(entry.fields.next_hash),
                                      hashed_owner(expected), for_name(expected)));
          }
        }
        const HashedName* hashed = name_for(entry.hash);
        if (!hashed) {
          problems->add(owner, RRType::kNsec3,
                        fmt::format("NSEC3 at {} matches no name of the zone (no owner name or empty non-terminal "
                                    "hashes to it)",
                                    owner.to_text()));
          continue;
        }
        covered[static_cast<std::size_t>(hashed - names.data())] = 1;
        std::vector<std::uint16_t> actual;
        if (hashed->owner) {
          actual = data_types(*hashed->owner);
          // RFC 5155 §3.2.1: RRSIG is listed when the name has signatures, i.e. authoritative data of ours.
          if (has_authoritative_data(*hashed->owner)) actual.push_back(dns::rrtype_code(RRType::kRrsig));
          std::sort(actual.begin(), actual.end());
        }
        auto listed = dns::rdata::parse_type_bitmap(entry.fields.bitmap);
        if (!listed) {
          problems->add(owner, RRType::kNsec3, fmt::format("NSEC3 at {}: {}", owner.to_text(), listed.error()));
        } else if (*listed != actual) {
          problems->add(owner, RRType::kNsec3,
                        fmt::format("NSEC3 bitmap at {} (for {}) {}", owner.to_text(), hashed->name->to_text(),
                                    bitmap_difference(*listed, actual)));
        }
      }
      chunk_problems[begin / kEntriesPerChunk] = std::move(problems);
    });
    for (auto& problems : chunk_problems) {
      if (problems) problems_.append(std::move(*problems));
    }

    // Every name has its NSEC3, unless it may be left out under an opt-out NSEC3 that covers it (RFC 5155 §6).
    for (std::size_t i = 0; i < names.size(); ++i) {
      if (covered[i]) continue;
      const HashedName& hashed = names[i];
      std::string what = hashed.owner ? (owners_[*hashed.owner].kind == NameKind::kDelegation
                                             ? (hashed.required ? "secure delegation" : "insecure delegation")
                                             : "name")
                                      : "empty non-terminal";
      if (!hashed.required && !chain.empty()) {
        auto it = std::lower_bound(chain.begin(), chain.end(), hashed.hash,
                                   [](const Nsec3Entry& e, const Hash& h) { return hash_less(e.hash, h); });
        const Nsec3Entry& cover = it == chain.begin() ? chain.back() : *(it - 1);
        if (cover.fields.flags & kNsec3OptOutFlag) continue;
        problems_.add(*hashed.name, RRType::kNsec3,
                      fmt::format("{} {} has no NSEC3{} (expected at {}), and the NSEC3 covering it, {}, has no "
                                  "opt-out flag",
                                  what, hashed.name->to_text(), of_chain, hashed_owner(hashed.hash),
                                  owner_name(cover.owner).to_text()));
        continue;
      }
      problems_.add(*hashed.name, RRType::kNsec3,
                    fmt::format("{} {} has no NSEC3{} (expected at {})", what, hashed.name->to_text(), of_chain,
                                hashed_owner(hashed.hash)));
    }
  }

  std::optional<std::size_t> apex_owner() const {
    for (std::size_t o = 0; o < owners_.size(); ++o) {
      if (owners_[o].kind == NameKind::kApex) return o;
    }
    return std::nullopt;
  }

  // The names of the NSEC3 chain (RFC 5155 §7.1): authoritative names, delegation points (those without DS
  // only under opt-out optional), and the empty non-terminals above them, in canonical order. The owners are in
  // canonical order, so the names between the previous owner and this one that are above this one and not
  // above the previous are exactly its empty non-terminals not met before.
  Nsec3Names nsec3_names() const {
    Nsec3Names out;
    std::vector<std::size_t> path;  // positions in out.names of the last name and the names above it, outermost first
    for (std::size_t o = 0; o < owners_.size(); ++o) {
      NameKind kind = owners_[o].kind;
      if (kind != NameKind::kApex && kind != NameKind::kAuthoritative && kind != NameKind::kDelegation) continue;
      const Name& name = owner_name(o);
      bool required = kind != NameKind::kDelegation || find_rrset_after(o, RRType::kDs) != nullptr;
      while (!path.empty() && !name.is_below(*out.names[path.back()].name)) path.pop_back();
      std::size_t known = path.empty() ? apex_.label_count() : out.names[path.back()].name->label_count();
      for (std::size_t labels = known + 1; labels < name.label_count(); ++labels) {
        out.empty_non_terminals.push_back(name.suffix(labels));
        path.push_back(out.names.size());
        out.names.push_back(HashedName{&out.empty_non_terminals.back(), std::nullopt, required, {}});
      }
      if (required) {
        // An empty non-terminal leading to a name that needs its NSEC3 needs one too.
        for (auto it = path.rbegin(); it != path.rend(); ++it) {
          HashedName& above = out.names[*it];
          if (above.owner || above.required) break;
          above.required = true;
        }
      }
      path.push_back(out.names.size());
      out.names.push_back(HashedName{&name, o, required, {}});
    }
    return out;
  }

  // ---- ZONEMD (RFC 8976) --------------------------------------------------------------------------------

  void check_zonemd() {
    std::optional<std::size_t> apex = apex_owner();
    const RRset* zonemd = apex ? find_rrset_after(*apex, RRType::kZonemd) : nullptr;
    if (!zonemd) {
      if (options_.require_zonemd) problems_.add(apex_, RRType::kZonemd, "the zone has no ZONEMD record");
      return;
    }
    bool any_supported = false;
    std::map<std::uint8_t, std::string> digests;  // hash algorithm → digest of the zone
    std::map<std::pair<std::uint8_t, std::uint8_t>, int> seen;
    for (std::size_t i = zonemd->begin; i < zonemd->end; ++i) {
      std::string_view rdata = records_[i]->rdata;
      if (rdata.size() < 7) {
        problems_.add(apex_, RRType::kZonemd, "ZONEMD is malformed");
        continue;
      }
      std::uint32_t serial = get32(rdata, 0);
      auto scheme = static_cast<std::uint8_t>(rdata[4]);
      auto algorithm = static_cast<std::uint8_t>(rdata[5]);
      std::string_view digest = rdata.substr(6);
      if (soa_ && serial != soa_->serial) {
        problems_.add(apex_, RRType::kZonemd,
                      fmt::format("ZONEMD serial {} is not the SOA serial {}", serial, soa_->serial));
      }
      if (++seen[{scheme, algorithm}] == 2) {
        problems_.add(apex_, RRType::kZonemd,
                      fmt::format("more than one ZONEMD with scheme {} and hash algorithm {} (RFC 8976 §2)", scheme,
                                  algorithm));
      }
      if (scheme != kZonemdSchemeSimple || (algorithm != kZonemdHashSha384 && algorithm != kZonemdHashSha512)) continue;
      any_supported = true;
      if (!digests.contains(algorithm)) {
        // The one piece shared with the signer, by design: RFC 8976 §3.3 has a single correct answer, and the
        // tests check it against ldns-signzone's ZONEMD.
        auto computed = zonemd_digest(zone_, scheme, algorithm);
        if (!computed) throw std::runtime_error("ZONEMD digest: " + computed.error());
        digests[algorithm] = std::move(*computed);
      }
      if (digest != digests[algorithm]) {
        problems_.add(apex_, RRType::kZonemd,
                      fmt::format("ZONEMD digest ({}) does not match the zone's contents: the zone was changed after "
                                  "the digest was computed",
                                  algorithm == kZonemdHashSha384 ? "SIMPLE, SHA-384" : "SIMPLE, SHA-512"));
      }
    }
    if (!any_supported) {
      problems_.add(apex_, RRType::kZonemd,
                    "no ZONEMD uses a scheme and hash the verifier knows (SIMPLE with SHA-384 or SHA-512)");
    }
  }

  const dns::Zone& zone_;
  const Name& apex_;
  const VerifyOptions& options_;
  dns::ThreadPool& pool_;
  ProblemList problems_;

  std::vector<const Record*> records_;  // canonical order
  std::vector<Owner> owners_;           // canonical order
  std::vector<RRset> rrsets_;           // owner order, then type
  std::optional<dns::rdata::Soa> soa_;
  std::uint32_t soa_ttl_ = 0;
  std::vector<VerifyKey> keys_;
  std::vector<std::uint8_t> algorithms_;  // of the usable keys, sorted
  bool any_sep_key_ = false;
  std::size_t revoked_keys_ = 0;  // keys of the DNSKEY RRset with the REVOKE flag
  std::size_t signatures_checked_ = 0;
  std::size_t published_keys_ = 0;  // keys_[0, published_keys_) are those of the DNSKEY RRset
  std::size_t unchecked_signatures_ = 0;
  std::set<std::pair<std::uint16_t, std::uint8_t>> unknown_signers_;
  std::string denial_;
};

}  // namespace

std::string VerifyResult::summary() const {
  if (ok) {
    return fmt::format("DNSSEC verified: {} signatures valid, {} chain complete", signatures_checked,
                       denial == "nsec3" ? "NSEC3" : "NSEC");
  }
  std::string first;
  if (!problems.empty()) {
    const VerifyProblem& p = problems.front();
    first = fmt::format("; first: {}{}{}: {}", p.owner.to_text(), p.type.empty() ? "" : "/", p.type, p.reason);
  }
  return fmt::format("DNSSEC verification failed: {} problem{}{}", problem_count, problem_count == 1 ? "" : "s", first);
}

VerifyResult verify_signed_zone(const dns::Zone& zone, const VerifyOptions& options, dns::ThreadPool& pool) {
  return ZoneVerifier(zone, options, pool).run();
}

}  // namespace rdnsprov::signer
