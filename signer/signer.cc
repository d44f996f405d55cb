#include "signer/signer.h"

#include <algorithm>
#include <deque>
#include <iterator>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <unordered_set>

#include <fmt/format.h>

#include "dns/dnssec.h"
#include "dns/encoding.h"
#include "dns/rdata.h"
#include "dns/wire.h"
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

constexpr std::size_t kSigningChunk = 2048;  // RRSIGs per parallel_for chunk
constexpr std::size_t kHashChunk = 8192;     // NSEC3 hashes per chunk
constexpr std::uint8_t kNsec3HashSha1 = 1;   // RFC 5155 §11
constexpr std::uint8_t kNsec3FlagOptOut = 1;  // RFC 5155 §3.1.2.1


bool same_rrset(const Record& a, const Record& b) { return a.type == b.type && a.owner == b.owner; }

// Serial-number arithmetic on RRSIG times (RFC 4034 §3.1.5): a - b as a signed 32-bit distance.
std::int64_t time_distance(std::uint32_t a, std::uint32_t b) { return static_cast<std::int32_t>(a - b); }

// Where a name stands in the zone (RFC 4035 §2.2).
enum class Standing {
  kApex,
  kAuthoritative,
  kDelegation,  // owns NS below the apex: a zone cut
  kBelowCut,    // glue or occluded data: not authoritative, never signed, no NSEC/NSEC3
};

struct OwnerGroup {
  std::size_t begin = 0;
  std::size_t end = 0;
  Standing standing = Standing::kAuthoritative;
  bool has_ds = false;
};

// Splits canonical records into owner groups and classifies each.
std::vector<OwnerGroup> owner_groups(const std::vector<Record>& records, const Name& apex) {
  std::vector<OwnerGroup> groups;
  const Name* cut = nullptr;
  for (std::size_t i = 0; i < records.size();) {
    OwnerGroup g;
    g.begin = i;
    const Name& owner = records[i].owner;
    bool has_ns = false;
    while (i < records.size() && records[i].owner == owner) {
      has_ns |= records[i].type == RRType::kNs;
      g.has_ds |= records[i].type == RRType::kDs;
      ++i;
    }
    g.end = i;
    if (cut && owner.is_below(*cut)) {
      g.standing = Standing::kBelowCut;
    } else if (owner == apex) {
      g.standing = Standing::kApex;
      cut = nullptr;
    } else if (has_ns) {
      g.standing = Standing::kDelegation;
      cut = &records[g.begin].owner;
    } else {
      g.standing = Standing::kAuthoritative;
      cut = nullptr;
    }
    groups.push_back(g);
  }
  return groups;
}

// Types an NSEC/NSEC3 bitmap lists for an owner group, before RRSIG/NSEC are added (RFC 4035 §2.3: at a
// delegation only NS and DS, the types the parent is authoritative for).
std::vector<std::uint16_t> authoritative_types(const std::vector<Record>& records, const OwnerGroup& g) {
  std::vector<std::uint16_t> types;
  for (std::size_t i = g.begin; i < g.end; ++i) {
    RRType t = records[i].type;
    if (g.standing == Standing::kDelegation && t != RRType::kNs && t != RRType::kDs) continue;
    if (types.empty() || types.back() != dns::rrtype_code(t)) types.push_back(dns::rrtype_code(t));
  }
  return types;
}

// True when an owner group has at least one RRset that gets an RRSIG.
bool has_signed_rrset(const OwnerGroup& g) {
  return g.standing == Standing::kApex || g.standing == Standing::kAuthoritative ||
         (g.standing == Standing::kDelegation && g.has_ds);
}

bool is_canonical(const std::vector<Record>& records) {
  for (std::size_t i = 1; i < records.size(); ++i) {
    const Record& a = records[i - 1];
    const Record& b = records[i];
    if (!(a < b)) return false;
    // One TTL per RRset and no duplicate records.
    if (same_rrset(a, b) && (a.ttl != b.ttl || a.rdata == b.rdata)) return false;
  }
  return true;
}

bool is_dnssec_type_to_drop(const Record& r, const Name& apex) {
  switch (r.type) {
    case RRType::kRrsig:
    case RRType::kNsec:
    case RRType::kNsec3: return true;
    case RRType::kDnskey:
    case RRType::kNsec3param:
    case RRType::kCds:
    case RRType::kCdnskey:
    case RRType::kZonemd: return r.owner == apex;
    default: return false;
  }
}

// Merges sorted `extra` into sorted `records`.
void merge_into(std::vector<Record>& records, std::vector<Record>&& extra) {
  if (extra.empty()) return;
  std::vector<Record> merged;
  merged.reserve(records.size() + extra.size());
  std::merge(std::make_move_iterator(records.begin()), std::make_move_iterator(records.end()),
             std::make_move_iterator(extra.begin()), std::make_move_iterator(extra.end()), std::back_inserter(merged));
  records = std::move(merged);
}

// ---- NSEC (RFC 4034 §4, RFC 4035 §2.3) ---------------------------------------------------------------------

std::vector<Record> make_nsec_chain(const std::vector<Record>& records, const std::vector<OwnerGroup>& groups,
                                    const Name& apex, std::uint32_t ttl) {
  std::vector<const OwnerGroup*> chain;
  for (const OwnerGroup& g : groups) {
    if (g.standing != Standing::kBelowCut) chain.push_back(&g);
  }
  std::vector<Record> out;
  out.reserve(chain.size());
  for (std::size_t i = 0; i < chain.size(); ++i) {
    const OwnerGroup& g = *chain[i];
    const Name& next = i + 1 < chain.size() ? records[chain[i + 1]->begin].owner : apex;
    std::vector<std::uint16_t> types = authoritative_types(records, g);
    // The NSEC itself is signed, so RRSIG is set even at an unsigned delegation (RFC 4035 §2.3).
    types.push_back(dns::rrtype_code(RRType::kRrsig));
    types.push_back(dns::rrtype_code(RRType::kNsec));
    std::string rdata(next.wire());
    rdata += dns::rdata::type_bitmap(std::move(types));
    out.push_back(Record{records[g.begin].owner, RRType::kNsec, ttl, std::move(rdata)});
  }
  return out;
}

// ---- NSEC3 (RFC 5155 §7.1) ---------------------------------------------------------------------------------

std::vector<Record> make_nsec3_chain(const std::vector<Record>& records, const std::vector<OwnerGroup>& groups,
                                     const Name& apex, const SigningPolicy& policy, std::uint32_t ttl,
                                     dns::ThreadPool& pool) {
  struct Entry {
    const Name* name = nullptr;
    std::vector<std::uint16_t> types;  // empty for an empty non-terminal
    std::string hash;
  };
  std::vector<Entry> entries;
  std::unordered_set<std::string_view> known;  // wire forms of every name already placed or existing
  for (const OwnerGroup& g : groups) known.insert(records[g.begin].owner.wire());

  std::deque<Name> empty_non_terminals;  // a deque: the string_views in `known` must stay valid
  for (const OwnerGroup& g : groups) {
    if (g.standing == Standing::kBelowCut) continue;
    // RFC 5155 §6: with Opt-Out, an insecure delegation (no DS) need not be in the chain.
    if (g.standing == Standing::kDelegation && !g.has_ds && policy.nsec3_opt_out) continue;
    const Name& owner = records[g.begin].owner;
    Entry e;
    e.name = &owner;
    e.types = authoritative_types(records, g);
    if (has_signed_rrset(g)) e.types.push_back(dns::rrtype_code(RRType::kRrsig));
    entries.push_back(std::move(e));
    // RFC 5155 §7.1: every empty non-terminal between the apex and an owner in the chain gets an NSEC3. Those
    // that lead only to opted-out delegations are never reached from here, so they stay out.
    if (owner == apex) continue;
    for (Name ancestor = owner.parent(); ancestor != apex; ancestor = ancestor.parent()) {
      if (known.count(ancestor.wire())) break;  // an existing name, or an ENT whose ancestors are done
      empty_non_terminals.push_back(ancestor);
      known.insert(empty_non_terminals.back().wire());
      Entry ent;
      ent.name = &empty_non_terminals.back();
      entries.push_back(std::move(ent));
    }
  }

  pool.parallel_for(entries.size(), kHashChunk, [&](std::size_t begin, std::size_t end) {
    for (std::size_t i = begin; i < end; ++i) {
      entries[i].hash = dns::nsec3_hash(*entries[i].name, policy.nsec3_salt, policy.nsec3_iterations);
    }
  });
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) { return a.hash < b.hash; });
  for (std::size_t i = 1; i < entries.size(); ++i) {
    if (entries[i].hash == entries[i - 1].hash) {
      throw std::runtime_error(fmt::format("NSEC3 hash collision between {} and {}; choose another salt",
                                           entries[i - 1].name->to_text(), entries[i].name->to_text()));
    }
  }

  std::uint8_t flags = policy.nsec3_opt_out ? kNsec3FlagOptOut : 0;
  std::vector<Record> out(entries.size());
  pool.parallel_for(entries.size(), kHashChunk, [&](std::size_t begin, std::size_t end) {
    for (std::size_t i = begin; i < end; ++i) {
      const Entry& e = entries[i];
      const std::string& next = entries[(i + 1) % entries.size()].hash;
      std::string rdata;
      rdata.reserve(64);
      rdata.push_back(static_cast<char>(kNsec3HashSha1));
      rdata.push_back(static_cast<char>(flags));
      put16(rdata, policy.nsec3_iterations);
      rdata.push_back(static_cast<char>(policy.nsec3_salt.size()));
      rdata += policy.nsec3_salt;
      rdata.push_back(static_cast<char>(next.size()));
      rdata += next;
      rdata += dns::rdata::type_bitmap(e.types);
      auto owner = apex.prepend(dns::to_base32hex(e.hash));
      if (!owner) throw std::runtime_error("NSEC3 owner name too long for the zone: " + owner.error());
      out[i] = Record{std::move(*owner), RRType::kNsec3, ttl, std::move(rdata)};
    }
  });
  return out;  // base32hex keeps the order of the raw hashes, so this is canonical order
}

// ---- reuse of previous signatures --------------------------------------------------------------------------

// Walks the previous signed zone alongside the new one (both in canonical order).
class PreviousZone {
 public:
  explicit PreviousZone(const std::vector<Record>* records) : records_(records) {}

  // The RRSIG rdata in the previous zone that may stand for `key`'s signature over `rrset`, if any.
  const std::string* reusable(std::span<const Record> rrset, const SigningKey& key, const Name& apex,
                              std::uint32_t now, std::uint32_t refresh) {
    if (!records_) return nullptr;
    const Record& first = rrset.front();
    const std::vector<Record>& prev = *records_;
    while (pos_ < prev.size() && prev[pos_].owner < first.owner) ++pos_;
    std::size_t i = pos_;
    // The same RRset: same records, same TTL.
    while (i < prev.size() && prev[i].owner == first.owner && dns::rrtype_code(prev[i].type) < dns::rrtype_code(first.type)) ++i;
    for (const Record& r : rrset) {
      if (i >= prev.size() || !same_rrset(prev[i], r) || prev[i].rdata != r.rdata || prev[i].ttl != r.ttl) return nullptr;
      ++i;
    }
    if (i < prev.size() && same_rrset(prev[i], first)) return nullptr;  // the previous RRset had more records
    // Its RRSIGs sit at the same owner.
    std::size_t j = pos_;
    while (j < prev.size() && prev[j].owner == first.owner && prev[j].type != RRType::kRrsig) ++j;
    std::uint16_t covered = dns::rrtype_code(first.type);
    auto labels = static_cast<std::uint8_t>(first.owner.label_count());
    for (; j < prev.size() && prev[j].owner == first.owner && prev[j].type == RRType::kRrsig; ++j) {
      std::string_view sig = prev[j].rdata;
      if (sig.size() < 18 + apex.wire().size()) continue;
      if (get16(sig, 0) != covered || static_cast<std::uint8_t>(sig[2]) != key.key.algorithm() ||
          static_cast<std::uint8_t>(sig[3]) != labels || get32(sig, 4) != first.ttl || prev[j].ttl != first.ttl ||
          get16(sig, 16) != key.key.key_tag() || sig.substr(18, apex.wire().size()) != apex.wire()) {
        continue;
      }
      std::uint32_t expiration = get32(sig, 8);
      std::uint32_t inception = get32(sig, 12);
      if (time_distance(expiration, now) <= static_cast<std::int64_t>(refresh)) continue;
      if (time_distance(inception, now) > 0) continue;
      return &prev[j].rdata;
    }
    return nullptr;
  }

 private:
  const std::vector<Record>* records_;
  std::size_t pos_ = 0;
};

// One RRSIG to produce: over records[begin, end) with keys[key].
struct SignatureJob {
  std::size_t begin = 0;
  std::size_t end = 0;
  std::size_t key = 0;
  std::string rdata;  // filled by reuse or by signing
  bool reused = false;
};

void run_jobs(std::vector<SignatureJob>& jobs, const std::vector<Record>& records, std::span<const SigningKey> keys,
              const SigningPolicy& policy, std::uint32_t now, const Name& apex, dns::ThreadPool& pool) {
  std::uint32_t inception = now - policy.inception_offset;
  pool.parallel_for(jobs.size(), kSigningChunk, [&](std::size_t begin, std::size_t end) {
    // Per chunk (one thread): a signing context per key, made when first needed, and one input buffer.
    std::vector<std::optional<KeySigningContext>> contexts(keys.size());
    std::string input;
    input.reserve(4096);
    for (std::size_t i = begin; i < end; ++i) {
      SignatureJob& job = jobs[i];
      if (job.reused) continue;
      const DnssecKey& key = keys[job.key].key;
      std::span<const Record> rrset(records.data() + job.begin, job.end - job.begin);
      const Record& first = rrset.front();
      RrsigHeader header{dns::rrtype_code(first.type),
                         key.algorithm(),
                         static_cast<std::uint8_t>(first.owner.label_count()),
                         first.ttl,
                         signature_expiration(policy, now, first.owner, first.type),
                         inception,
                         key.key_tag(),
                         apex};
      input.clear();
      append_signing_input(input, header, rrset);
      if (!contexts[job.key]) contexts[job.key].emplace(key);
      job.rdata.reserve(18 + apex.wire().size() + 256);
      append_rrsig_header(job.rdata, header);
      contexts[job.key]->sign(input, job.rdata);
    }
  });
}

// Puts the RRSIGs of `jobs` (in record order) into canonical order: per owner sorted by rdata.
std::vector<Record> rrsig_records(std::vector<SignatureJob>& jobs, const std::vector<Record>& records) {
  std::vector<Record> out;
  out.reserve(jobs.size());
  for (SignatureJob& job : jobs) {
    const Record& first = records[job.begin];
    out.push_back(Record{first.owner, RRType::kRrsig, first.ttl, std::move(job.rdata)});
  }
  for (std::size_t i = 0; i < out.size();) {
    std::size_t j = i + 1;
    while (j < out.size() && out[j].owner == out[i].owner) ++j;
    std::sort(out.begin() + static_cast<std::ptrdiff_t>(i), out.begin() + static_cast<std::ptrdiff_t>(j));
    i = j;
  }
  return out;
}

}  // namespace

// ---- building blocks ---------------------------------------------------------------------------------------

void append_rrsig_header(std::string& out, const RrsigHeader& h) {
  put16(out, h.type_covered);
  out.push_back(static_cast<char>(h.algorithm));
  out.push_back(static_cast<char>(h.labels));
  put32(out, h.original_ttl);
  put32(out, h.expiration);
  put32(out, h.inception);
  put16(out, h.key_tag);
  out.append(h.signer.wire());
}

void append_signing_input(std::string& out, const RrsigHeader& header, std::span<const Record> rrset) {
  append_rrsig_header(out, header);
  for (const Record& r : rrset) {
    out.append(r.owner.wire());
    put16(out, dns::rrtype_code(r.type));
    put16(out, dns::kClassIn);
    put32(out, header.original_ttl);
    put16(out, static_cast<std::uint16_t>(r.rdata.size()));
    out.append(r.rdata);
  }
}

Record sign_rrset(std::span<const Record> rrset, const DnssecKey& key, std::uint32_t inception, std::uint32_t expiration) {
  const Record& first = rrset.front();
  RrsigHeader header{dns::rrtype_code(first.type), key.algorithm(), static_cast<std::uint8_t>(first.owner.label_count()),
                     first.ttl, expiration, inception, key.key_tag(), key.zone()};
  std::string input;
  append_signing_input(input, header, rrset);
  std::string rdata;
  append_rrsig_header(rdata, header);
  rdata += key.sign(input);
  return Record{first.owner, RRType::kRrsig, first.ttl, std::move(rdata)};
}

std::uint32_t signature_expiration(const SigningPolicy& policy, std::uint32_t now, const Name& owner, RRType type) {
  std::uint32_t jitter = std::min(policy.jitter, policy.signature_validity / 2);
  std::uint32_t offset = 0;
  if (jitter > 0) {
    // FNV-1a over owner and type: cheap, stable across runs and machines.
    std::uint64_t hash = 14695981039346656037ull;
    auto mix = [&](unsigned char c) {
      hash ^= c;
      hash *= 1099511628211ull;
    };
    for (char c : owner.wire()) mix(static_cast<unsigned char>(c));
    mix(static_cast<unsigned char>(dns::rrtype_code(type) >> 8));
    mix(static_cast<unsigned char>(dns::rrtype_code(type) & 0xff));
    offset = static_cast<std::uint32_t>(hash % (static_cast<std::uint64_t>(jitter) + 1));
  }
  return now + policy.signature_validity - offset;
}

// ---- sign_zone ---------------------------------------------------------------------------------------------

SignResult sign_zone(const dns::Zone& unsigned_zone, std::span<const SigningKey> keys, const SigningPolicy& policy,
                     std::uint32_t now, const dns::Zone* previous_signed, dns::ThreadPool& pool) {
  const Name& apex = unsigned_zone.apex();
  const Record* soa_record = unsigned_zone.soa();
  if (!soa_record) throw std::invalid_argument(fmt::format("zone {} has no SOA record", apex.to_text()));
  auto soa = dns::rdata::parse_soa(soa_record->rdata);
  if (!soa) throw std::invalid_argument(fmt::format("zone {}: bad SOA: {}", apex.to_text(), soa.error()));
  // RFC 9077 §3: NSEC and NSEC3 TTL = min(SOA MINIMUM, SOA TTL).
  std::uint32_t denial_ttl = policy.nsec_ttl.value_or(std::min(soa->minimum, soa_record->ttl));
  std::uint32_t dnskey_ttl = policy.dnskey_ttl.value_or(soa_record->ttl);

  // Which keys sign what.
  std::vector<std::size_t> key_signers;   // DNSKEY, CDS, CDNSKEY
  std::vector<std::size_t> zone_signers;  // everything else
  for (std::size_t i = 0; i < keys.size(); ++i) {
    if (keys[i].key.zone() != apex) {
      throw std::invalid_argument(fmt::format("key {} belongs to {}, not to {}", keys[i].key.key_tag(),
                                              keys[i].key.zone().to_text(), apex.to_text()));
    }
    if (!keys[i].active) continue;
    if (keys[i].role != KeyRole::kZsk) key_signers.push_back(i);
    if (keys[i].role != KeyRole::kKsk) zone_signers.push_back(i);
  }
  if (key_signers.empty()) throw std::invalid_argument(fmt::format("zone {}: no active KSK or CSK", apex.to_text()));
  if (zone_signers.empty()) throw std::invalid_argument(fmt::format("zone {}: no active ZSK or CSK", apex.to_text()));

  // 1. The zone's own data, canonical, without DNSSEC records; then the apex records the signer makes.
  const std::vector<Record>* input = &unsigned_zone.records();
  std::optional<dns::Zone> canonical_copy;
  if (!is_canonical(*input)) {
    canonical_copy.emplace(unsigned_zone);
    canonical_copy->canonicalise();
    input = &canonical_copy->records();
  }
  std::vector<Record> apex_records;
  std::vector<Record> records;
  records.reserve(input->size() + input->size() / 2);
  for (const Record& r : *input) {
    if (!r.owner.is_at_or_below(apex)) {
      throw std::invalid_argument(fmt::format("{} is outside zone {}", r.owner.to_text(), apex.to_text()));
    }
    if (is_dnssec_type_to_drop(r, apex)) continue;
    if (r.owner == apex) apex_records.push_back(r);
    else records.push_back(r);
  }
  for (const SigningKey& k : keys) apex_records.push_back(Record{apex, RRType::kDnskey, dnskey_ttl, k.key.dnskey_rdata()});
  if (policy.cds_cdnskey) {
    // RFC 7344 §4: CDS/CDNSKEY name the key(s) the parent's DS should point to: the active KSKs or CSK.
    for (std::size_t i : key_signers) {
      auto ds = dns::ds_rdata(apex, keys[i].key.dnskey_rdata(), 2);
      apex_records.push_back(Record{apex, RRType::kCds, dnskey_ttl, std::move(*ds)});
      apex_records.push_back(Record{apex, RRType::kCdnskey, dnskey_ttl, keys[i].key.dnskey_rdata()});
    }
  }
  if (policy.denial == Denial::kNsec3) {
    // RFC 5155 §4: NSEC3PARAM flags 0.
    std::string rdata;
    rdata.push_back(static_cast<char>(kNsec3HashSha1));
    rdata.push_back('\0');
    put16(rdata, policy.nsec3_iterations);
    rdata.push_back(static_cast<char>(policy.nsec3_salt.size()));
    rdata += policy.nsec3_salt;
    apex_records.push_back(Record{apex, RRType::kNsec3param, denial_ttl, std::move(rdata)});
  }
  if (policy.zonemd) {
    // A placeholder with the right length; the digest is computed once everything else is signed (RFC 8976 §3).
    apex_records.push_back(Record{apex, RRType::kZonemd, soa_record->ttl,
                                  zonemd_rdata(soa->serial, kZonemdSchemeSimple, kZonemdHashSha384, std::string(48, '\0'))});
  }
  std::sort(apex_records.begin(), apex_records.end());
  apex_records.erase(std::unique(apex_records.begin(), apex_records.end(),
                                 [](const Record& a, const Record& b) { return same_rrset(a, b) && a.rdata == b.rdata; }),
                     apex_records.end());
  // The apex sorts before every name below it, so the apex records go first.
  records.insert(records.begin(), std::make_move_iterator(apex_records.begin()),
                 std::make_move_iterator(apex_records.end()));

  // 2. Denial of existence.
  SignResult result{dns::Zone(apex), {}};
  {
    std::vector<OwnerGroup> groups = owner_groups(records, apex);
    std::vector<Record> chain = policy.denial == Denial::kNsec
                                    ? make_nsec_chain(records, groups, apex, denial_ttl)
                                    : make_nsec3_chain(records, groups, apex, policy, denial_ttl, pool);
    result.stats.denial_records = chain.size();
    merge_into(records, std::move(chain));
  }

  // 3. Which RRsets get which signatures; reuse what the previous zone has.
  std::vector<Record> previous_sorted;
  const std::vector<Record>* previous_records = nullptr;
  if (previous_signed) {
    previous_records = &previous_signed->records();
    if (!std::is_sorted(previous_records->begin(), previous_records->end())) {
      previous_sorted = *previous_records;
      std::sort(previous_sorted.begin(), previous_sorted.end());
      previous_records = &previous_sorted;
    }
  }
  PreviousZone previous(previous_records);
  std::vector<SignatureJob> jobs;
  jobs.reserve(records.size());
  std::optional<std::pair<std::size_t, std::size_t>> zonemd_rrset;
  auto plan_rrset = [&](std::size_t begin, std::size_t end, const std::vector<std::size_t>& signers) {
    std::span<const Record> rrset(records.data() + begin, end - begin);
    for (std::size_t k : signers) {
      SignatureJob job{begin, end, k, {}, false};
      if (const std::string* old = previous.reusable(rrset, keys[k], apex, now, policy.refresh)) {
        job.rdata = *old;
        job.reused = true;
      }
      jobs.push_back(std::move(job));
    }
  };
  for (const OwnerGroup& g : owner_groups(records, apex)) {
    if (g.standing == Standing::kBelowCut) continue;
    for (std::size_t i = g.begin; i < g.end;) {
      std::size_t j = i + 1;
      while (j < g.end && records[j].type == records[i].type) ++j;
      RRType type = records[i].type;
      bool at_apex = g.standing == Standing::kApex;
      if (g.standing == Standing::kDelegation && type != RRType::kDs && type != RRType::kNsec) {
        // RFC 4035 §2.2: the delegation NS RRset and glue are not signed.
      } else if (at_apex && type == RRType::kZonemd) {
        zonemd_rrset.emplace(i, j);  // signed after its digest is known
      } else if (at_apex && (type == RRType::kDnskey || type == RRType::kCds || type == RRType::kCdnskey)) {
        plan_rrset(i, j, key_signers);
      } else {
        plan_rrset(i, j, zone_signers);
      }
      i = j;
    }
  }

  // 4. Sign, in parallel; each job writes only its own slot.
  run_jobs(jobs, records, keys, policy, now, apex, pool);
  for (const SignatureJob& job : jobs) {
    if (job.reused) ++result.stats.signatures_reused;
    else ++result.stats.signatures_created;
  }
  std::size_t rrsets = 0;
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    if (i == 0 || jobs[i].begin != jobs[i - 1].begin) ++rrsets;
  }
  result.stats.rrsets_signed = rrsets;

  // 5. ZONEMD last: its digest covers every other record and signature (RFC 8976 §3.3.1).
  std::vector<Record> zonemd_signatures;
  if (zonemd_rrset) {
    std::vector<Record> signatures = rrsig_records(jobs, records);
    jobs.clear();
    merge_into(records, std::move(signatures));
    // The apex RRSIGs (type 46) now sort before ZONEMD (63): find the ZONEMD RRset again.
    std::size_t begin = 0;
    while (begin < records.size() && !(records[begin].owner == apex && records[begin].type == RRType::kZonemd)) ++begin;
    std::size_t end = begin;
    while (end < records.size() && records[end].owner == apex && records[end].type == RRType::kZonemd) ++end;
    result.zone.mutable_records() = std::move(records);
    auto digest = zonemd_digest(result.zone, kZonemdSchemeSimple, kZonemdHashSha384);
    std::vector<Record>& out = result.zone.mutable_records();
    out[begin].rdata = zonemd_rdata(soa->serial, kZonemdSchemeSimple, kZonemdHashSha384, *digest);
    std::vector<SignatureJob> zonemd_jobs;
    std::span<const Record> rrset(out.data() + begin, end - begin);
    for (std::size_t k : zone_signers) {
      SignatureJob job{begin, end, k, {}, false};
      if (const std::string* old = PreviousZone(previous_records).reusable(rrset, keys[k], apex, now, policy.refresh)) {
        job.rdata = *old;
        job.reused = true;
        ++result.stats.signatures_reused;
      } else {
        ++result.stats.signatures_created;
      }
      zonemd_jobs.push_back(std::move(job));
    }
    ++result.stats.rrsets_signed;
    run_jobs(zonemd_jobs, out, keys, policy, now, apex, pool);
    merge_into(out, rrsig_records(zonemd_jobs, out));
    return result;
  }
  merge_into(records, rrsig_records(jobs, records));
  result.zone.mutable_records() = std::move(records);
  return result;
}

}  // namespace rdnsprov::signer
