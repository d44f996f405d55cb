#include "signer/signer.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <iterator>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <thread>

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

constexpr std::size_t kSigningChunk = 256;   // RRSIGs per parallel_for chunk: small, so that no core idles at the end
constexpr std::size_t kHashChunk = 8192;     // NSEC3 hashes per chunk
constexpr std::size_t kOwnerChunk = 4096;    // owners (or records) per chunk of planning, chaining, assembling
constexpr std::uint8_t kNsec3HashSha1 = 1;   // RFC 5155 §11
constexpr std::uint8_t kNsec3FlagOptOut = 1;  // RFC 5155 §3.1.2.1


bool same_rrset(const Record& a, const Record& b) { return a.type == b.type && a.owner == b.owner; }

// Serial-number arithmetic on RRSIG times (RFC 4034 §3.1.5): a - b as a signed 32-bit distance.
std::int64_t time_distance(std::uint32_t a, std::uint32_t b) { return static_cast<std::int32_t>(a - b); }

constexpr std::size_t kNone = static_cast<std::size_t>(-1);

// Where a name stands in the zone (RFC 4035 §2.2).
enum class Standing {
  kApex,
  kAuthoritative,
  kDelegation,  // owns NS below the apex: a zone cut
  kBelowCut,    // glue or occluded data: not authoritative, never signed, no NSEC/NSEC3
};

// The records of one owner name, in canonical order.
struct OwnerGroup {
  std::span<Record> records;  // moved into the signed zone at the end
  Standing standing = Standing::kAuthoritative;
  bool has_ds = false;
  const Name& owner() const { return records.front().owner; }
};

// Splits canonical records into owner groups and classifies each; `cut` carries the enclosing zone cut from one
// call to the next (the apex records, then the rest).
void append_owner_groups(std::span<Record> records, const Name& apex, const Name*& cut,
                         std::vector<OwnerGroup>& groups) {
  for (std::size_t i = 0; i < records.size();) {
    std::size_t begin = i;
    const Name& owner = records[i].owner;
    bool has_ns = false;
    bool has_ds = false;
    while (i < records.size() && records[i].owner == owner) {
      has_ns |= records[i].type == RRType::kNs;
      has_ds |= records[i].type == RRType::kDs;
      ++i;
    }
    OwnerGroup g{records.subspan(begin, i - begin), Standing::kAuthoritative, has_ds};
    if (cut && owner.is_below(*cut)) {
      g.standing = Standing::kBelowCut;
    } else if (owner == apex) {
      g.standing = Standing::kApex;
      cut = nullptr;
    } else if (has_ns) {
      g.standing = Standing::kDelegation;
      cut = &records[begin].owner;
    } else {
      cut = nullptr;
    }
    groups.push_back(g);
  }
}

// Types an NSEC/NSEC3 bitmap lists for an owner group, before RRSIG/NSEC are added (RFC 4035 §2.3: at a
// delegation only NS and DS, the types the parent is authoritative for).
std::vector<std::uint16_t> authoritative_types(const OwnerGroup& g) {
  std::vector<std::uint16_t> types;
  for (const Record& r : g.records) {
    RRType t = r.type;
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

// True when `ok(a, b)` holds for every two neighbours; checked on every thread.
template <typename Ok>
bool all_neighbours(const std::vector<Record>& records, dns::ThreadPool& pool, Ok ok) {
  std::atomic<bool> all{true};
  pool.parallel_for(records.size(), kOwnerChunk * 4, [&](std::size_t begin, std::size_t end) {
    for (std::size_t i = std::max<std::size_t>(begin, 1); i < end && all.load(std::memory_order_relaxed); ++i) {
      if (!ok(records[i - 1], records[i])) all = false;
    }
  });
  return all;
}

// Sorted, one TTL per RRset and no duplicate records.
bool is_canonical(const std::vector<Record>& records, dns::ThreadPool& pool) {
  return all_neighbours(records, pool, [](const Record& a, const Record& b) {
    return a < b && !(same_rrset(a, b) && (a.ttl != b.ttl || a.rdata == b.rdata));
  });
}

bool is_sorted(const std::vector<Record>& records, dns::ThreadPool& pool) {
  return all_neighbours(records, pool, [](const Record& a, const Record& b) { return !(b < a); });
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

// ---- NSEC (RFC 4034 §4, RFC 4035 §2.3) ---------------------------------------------------------------------

// One NSEC per owner group that is not below a cut, in group order; `nsec_of[g]` is the index of group g's.
std::vector<Record> make_nsec_chain(const std::vector<OwnerGroup>& groups, const Name& apex, std::uint32_t ttl,
                                    std::vector<std::size_t>& nsec_of, dns::ThreadPool& pool) {
  std::vector<std::size_t> chain;
  for (std::size_t g = 0; g < groups.size(); ++g) {
    if (groups[g].standing != Standing::kBelowCut) chain.push_back(g);
  }
  nsec_of.assign(groups.size(), kNone);
  for (std::size_t i = 0; i < chain.size(); ++i) nsec_of[chain[i]] = i;
  std::vector<Record> out(chain.size());
  pool.parallel_for(chain.size(), kOwnerChunk, [&](std::size_t begin, std::size_t end) {
    for (std::size_t i = begin; i < end; ++i) {
      const OwnerGroup& g = groups[chain[i]];
      const Name& next = i + 1 < chain.size() ? groups[chain[i + 1]].owner() : apex;
      std::vector<std::uint16_t> types = authoritative_types(g);
      // The NSEC itself is signed, so RRSIG is set even at an unsigned delegation (RFC 4035 §2.3).
      types.push_back(dns::rrtype_code(RRType::kRrsig));
      types.push_back(dns::rrtype_code(RRType::kNsec));
      std::string rdata(next.wire());
      rdata += dns::rdata::type_bitmap(std::move(types));
      out[i] = Record{g.owner(), RRType::kNsec, ttl, std::move(rdata)};
    }
  });
  return out;
}

// ---- NSEC3 (RFC 5155 §7.1) ---------------------------------------------------------------------------------

// The NSEC3 records in canonical order (the order of their hashes).
std::vector<Record> make_nsec3_chain(const std::vector<OwnerGroup>& groups, const Name& apex,
                                     const SigningPolicy& policy, std::uint32_t ttl, dns::ThreadPool& pool) {
  // A name to hash: an owner's wire form, or for an empty non-terminal the wire form of a name above an owner,
  // which is the tail of the owner's.
  struct Entry {
    std::string_view wire;
    std::size_t group = kNone;  // kNone for an empty non-terminal
    dns::Nsec3Digest hash{};
  };
  struct Ancestor {
    std::string_view wire;
    std::size_t labels = 0;
  };
  std::vector<Entry> entries;
  // RFC 5155 §7.1: every empty non-terminal between the apex and an owner in the chain gets an NSEC3. The groups
  // are in canonical order, so the names above an owner that are neither names of the zone nor met before are
  // those below the deepest name of `path` (the previous owner and the names above it) that is above this owner.
  // Those that lead only to opted-out delegations are never reached from here, so they stay out.
  std::vector<Ancestor> path;
  const std::size_t apex_labels = apex.label_count();
  std::uint8_t starts[128];  // where each label of the owner starts in its wire form
  for (std::size_t gi = 0; gi < groups.size(); ++gi) {
    const OwnerGroup& g = groups[gi];
    std::string_view wire = g.owner().wire();
    std::size_t labels = 0;
    for (std::size_t pos = 0; wire[pos] != 0; pos += 1 + static_cast<unsigned char>(wire[pos])) {
      starts[labels++] = static_cast<std::uint8_t>(pos);
    }
    // The tail of `wire` holding its last `n` labels.
    auto tail = [&](std::size_t n) { return n == 0 ? wire.substr(wire.size() - 1) : wire.substr(starts[labels - n]); };
    while (!path.empty() && !(path.back().labels < labels && tail(path.back().labels) == path.back().wire)) {
      path.pop_back();
    }
    bool in_chain = g.standing != Standing::kBelowCut &&
                    // RFC 5155 §6: with Opt-Out, an insecure delegation (no DS) need not be in the chain.
                    !(g.standing == Standing::kDelegation && !g.has_ds && policy.nsec3_opt_out);
    if (in_chain && g.standing != Standing::kApex) {
      std::size_t known = path.empty() ? apex_labels : path.back().labels;
      for (std::size_t n = known + 1; n < labels; ++n) {
        path.push_back(Ancestor{tail(n), n});
        entries.push_back(Entry{path.back().wire});
      }
    }
    path.push_back(Ancestor{wire, labels});
    if (in_chain) entries.push_back(Entry{wire, gi});
  }

  pool.parallel_for(entries.size(), kHashChunk, [&](std::size_t begin, std::size_t end) {
    for (std::size_t i = begin; i < end; ++i) {
      entries[i].hash = dns::nsec3_digest(entries[i].wire, policy.nsec3_salt, policy.nsec3_iterations);
    }
  });
  auto hash_less = [](const Entry& a, const Entry& b) { return a.hash < b.hash; };
  dns::parallel_sort(pool, entries.begin(), entries.end(), hash_less);
  for (std::size_t i = 1; i < entries.size(); ++i) {
    if (entries[i].hash == entries[i - 1].hash) {
      auto text = [](std::string_view wire) {
        std::size_t offset = 0;
        auto name = Name::from_wire(wire, offset);
        return name ? name->to_text() : std::string("?");
      };
      throw std::runtime_error(fmt::format("NSEC3 hash collision between {} and {}; choose another salt",
                                           text(entries[i - 1].wire), text(entries[i].wire)));
    }
  }

  std::uint8_t flags = policy.nsec3_opt_out ? kNsec3FlagOptOut : 0;
  std::vector<Record> out(entries.size());
  pool.parallel_for(entries.size(), kHashChunk, [&](std::size_t begin, std::size_t end) {
    std::string label;
    for (std::size_t i = begin; i < end; ++i) {
      const Entry& e = entries[i];
      const dns::Nsec3Digest& next = entries[(i + 1) % entries.size()].hash;
      std::vector<std::uint16_t> types;  // none for an empty non-terminal
      if (e.group != kNone) {
        types = authoritative_types(groups[e.group]);
        if (has_signed_rrset(groups[e.group])) types.push_back(dns::rrtype_code(RRType::kRrsig));
      }
      std::string rdata;
      rdata.reserve(64);
      rdata.push_back(static_cast<char>(kNsec3HashSha1));
      rdata.push_back(static_cast<char>(flags));
      put16(rdata, policy.nsec3_iterations);
      rdata.push_back(static_cast<char>(policy.nsec3_salt.size()));
      rdata += policy.nsec3_salt;
      rdata.push_back(static_cast<char>(next.size()));
      rdata.append(reinterpret_cast<const char*>(next.data()), next.size());
      rdata += dns::rdata::type_bitmap(std::move(types));
      label.clear();
      dns::append_base32hex(label, std::string_view(reinterpret_cast<const char*>(e.hash.data()), e.hash.size()));
      auto owner = apex.prepend(label);
      if (!owner) throw std::runtime_error("NSEC3 owner name too long for the zone: " + owner.error());
      out[i] = Record{std::move(*owner), RRType::kNsec3, ttl, std::move(rdata)};
    }
  });
  return out;  // base32hex keeps the order of the raw hashes, so this is canonical order
}

// ---- the signed zone, owner by owner -----------------------------------------------------------------------

// One owner name of the signed zone: an owner group of the data, its NSEC or NSEC3 record, or both (an NSEC3
// owner that is also a name of the data is possible, if unlikely). Visited in canonical order.
struct OwnerItem {
  std::size_t group = kNone;       // in the owner groups
  std::size_t denial = kNone;      // in the NSEC/NSEC3 records
  std::size_t jobs_begin = 0;      // the item's signatures: jobs[jobs_begin, jobs_end)
  std::size_t jobs_end = 0;
};

// Canonical order of an owner of the zone against an NSEC3 owner (one label below the apex): only the label right
// below the apex can tell them apart (RFC 4034 §6.1).
std::strong_ordering compare_with_nsec3_owner(const Name& owner, std::size_t apex_labels, const Name& nsec3) {
  std::string_view wire = owner.wire();
  std::size_t labels = 0;
  std::uint8_t starts[128];
  for (std::size_t pos = 0; wire[pos] != 0; pos += 1 + static_cast<unsigned char>(wire[pos])) {
    starts[labels++] = static_cast<std::uint8_t>(pos);
  }
  if (labels <= apex_labels) return std::strong_ordering::less;  // the apex
  std::size_t at = starts[labels - apex_labels - 1];
  std::string_view label = wire.substr(at + 1, static_cast<unsigned char>(wire[at]));
  std::string_view hashed = nsec3.first_label();
  // Labels compare as octet strings (unsigned, a shorter prefix first).
  std::size_t n = std::min(label.size(), hashed.size());
  if (int c = std::memcmp(label.data(), hashed.data(), n); c != 0) return c <=> 0;
  if (label.size() != hashed.size()) return label.size() <=> hashed.size();
  return labels == apex_labels + 1 ? std::strong_ordering::equal : std::strong_ordering::greater;
}

// The owners in canonical order: the groups with their NSEC, or groups and NSEC3 owners merged (in chunks of
// groups, on every thread).
std::vector<OwnerItem> owner_items(const std::vector<OwnerGroup>& groups, const std::vector<Record>& denial,
                                   const std::vector<std::size_t>& nsec_of, const Name& apex, dns::ThreadPool& pool) {
  std::vector<OwnerItem> items;
  if (!nsec_of.empty()) {
    items.resize(groups.size());
    for (std::size_t g = 0; g < groups.size(); ++g) items[g] = OwnerItem{g, nsec_of[g]};
    return items;
  }
  const std::size_t apex_labels = apex.label_count();
  auto order = [&](std::size_t g, const Record& nsec3) {
    return compare_with_nsec3_owner(groups[g].owner(), apex_labels, nsec3.owner);
  };
  // Chunk c: the groups [c * kOwnerChunk, (c + 1) * kOwnerChunk) and the NSEC3 owners from the first that does
  // not sort before its first group.
  std::size_t chunks = std::max<std::size_t>(1, (groups.size() + kOwnerChunk - 1) / kOwnerChunk);
  std::vector<std::size_t> denial_from(chunks + 1, denial.size());
  denial_from[0] = 0;
  for (std::size_t c = 1; c < chunks; ++c) {
    auto first = std::partition_point(denial.begin(), denial.end(),
                                      [&](const Record& r) { return order(c * kOwnerChunk, r) > 0; });
    denial_from[c] = static_cast<std::size_t>(first - denial.begin());
  }
  std::vector<std::vector<OwnerItem>> parts(chunks);
  pool.parallel_for(chunks, 1, [&](std::size_t chunk_begin, std::size_t chunk_end) {
    for (std::size_t c = chunk_begin; c < chunk_end; ++c) {
      std::size_t g = std::min(groups.size(), c * kOwnerChunk);
      std::size_t g_end = std::min(groups.size(), (c + 1) * kOwnerChunk);
      std::size_t d = denial_from[c];
      std::size_t d_end = denial_from[c + 1];
      std::vector<OwnerItem>& part = parts[c];
      part.reserve(g_end - g + d_end - d);
      while (g < g_end || d < d_end) {
        std::strong_ordering o = g == g_end ? std::strong_ordering::greater
                                 : d == d_end ? std::strong_ordering::less
                                              : order(g, denial[d]);
        if (o < 0) {
          part.push_back(OwnerItem{g++, kNone});
        } else if (o > 0) {
          part.push_back(OwnerItem{kNone, d++});
        } else {
          part.push_back(OwnerItem{g++, d++});
        }
      }
    }
  });
  std::size_t total = 0;
  for (const auto& part : parts) total += part.size();
  items.reserve(total);
  for (const auto& part : parts) items.insert(items.end(), part.begin(), part.end());
  return items;
}

// Calls `rrset(records, is_denial)` for every RRset of the owner in canonical (type) order.
template <typename F>
void for_each_rrset(const OwnerItem& item, const std::vector<OwnerGroup>& groups, const std::vector<Record>& denial,
                    F&& rrset) {
  std::span<const Record> records;
  if (item.group != kNone) records = groups[item.group].records;
  const Record* chain = item.denial != kNone ? &denial[item.denial] : nullptr;
  for (std::size_t i = 0; i < records.size();) {
    if (chain && dns::rrtype_code(chain->type) < dns::rrtype_code(records[i].type)) {
      rrset(std::span<const Record>(chain, 1), true);
      chain = nullptr;
    }
    std::size_t j = i + 1;
    while (j < records.size() && records[j].type == records[i].type) ++j;
    rrset(records.subspan(i, j - i), false);
    i = j;
  }
  if (chain) rrset(std::span<const Record>(chain, 1), true);
}

// ---- reuse of previous signatures --------------------------------------------------------------------------

// Walks the previous signed zone alongside the new one (both in canonical order).
class PreviousZone {
 public:
  // Starts at the first record at or after `from` (the first owner of a chunk of work).
  PreviousZone(const std::vector<Record>* records, const Name* from = nullptr) : records_(records) {
    if (records_ && from) {
      pos_ = static_cast<std::size_t>(std::partition_point(records_->begin(), records_->end(),
                                                           [&](const Record& r) { return r.owner < *from; }) -
                                      records_->begin());
    }
  }

  // Starts at record `pos`, at or before the first owner asked about.
  PreviousZone(const std::vector<Record>* records, std::size_t pos) : records_(records), pos_(pos) {}

  // The RRSIG rdata in the previous zone that may stand for `key`'s signature over `rrset`, if any.
  const std::string* reusable(std::span<const Record> rrset, const SigningKey& key, const Name& apex,
                              std::uint32_t now, std::uint32_t refresh) {
    if (!records_) return nullptr;
    const Record& first = rrset.front();
    const std::vector<Record>& prev = *records_;
    // To the owner: names are compared once per previous owner, its other records are passed by equality; a long
    // way (owners far apart, as when only changed owners are signed) is crossed by galloping.
    for (int owners = 0; pos_ < prev.size() && prev[pos_].owner != first.owner && prev[pos_].owner < first.owner;
         ++owners) {
      if (owners == 8) {
        std::size_t step = 1;
        while (pos_ + step < prev.size() && prev[pos_ + step].owner < first.owner) {
          pos_ += step;
          step *= 2;
        }
        auto end = prev.begin() + static_cast<std::ptrdiff_t>(std::min(prev.size(), pos_ + step));
        pos_ = static_cast<std::size_t>(std::partition_point(prev.begin() + static_cast<std::ptrdiff_t>(pos_), end,
                                                             [&](const Record& r) { return r.owner < first.owner; }) -
                                        prev.begin());
        break;
      }
      const Name& passed = prev[pos_].owner;
      ++pos_;
      while (pos_ < prev.size() && prev[pos_].owner == passed) ++pos_;
    }
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

// One RRSIG to produce: over the RRset `rrset` with keys[key].
struct SignatureJob {
  std::span<const Record> rrset;
  std::size_t key = 0;
  std::string rdata;  // filled by reuse or by signing
  bool reused = false;
};

void run_jobs(std::span<SignatureJob> jobs, std::span<const SigningKey> keys, const SigningPolicy& policy,
              std::uint32_t now, const Name& apex, dns::ThreadPool& pool) {
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
      const Record& first = job.rrset.front();
      RrsigHeader header{dns::rrtype_code(first.type),
                         key.algorithm(),
                         static_cast<std::uint8_t>(first.owner.label_count()),
                         first.ttl,
                         signature_expiration(policy, now, first.owner, first.type),
                         inception,
                         key.key_tag(),
                         apex};
      input.clear();
      append_signing_input(input, header, job.rrset);
      if (!contexts[job.key]) contexts[job.key].emplace(key);
      job.rdata.reserve(18 + apex.wire().size() + 256);
      append_rrsig_header(job.rdata, header);
      contexts[job.key]->sign(input, job.rdata);
    }
  });
}

// Appends the RRSIG records of `jobs` (one owner, RRsets in type order) in canonical order: by rdata, which
// starts with the type covered, so only the signatures of one RRset by several keys need sorting.
void append_rrsigs(std::vector<Record>& out, std::span<SignatureJob> jobs) {
  std::size_t first = out.size();
  for (SignatureJob& job : jobs) {
    const Record& covered = job.rrset.front();
    out.push_back(Record{covered.owner, RRType::kRrsig, covered.ttl, std::move(job.rdata)});
  }
  if (jobs.size() > 1) std::sort(out.begin() + static_cast<std::ptrdiff_t>(first), out.end());
}

// Who signs what.
struct Signers {
  std::span<const SigningKey> keys;
  std::vector<std::size_t> key_signers;   // DNSKEY, CDS, CDNSKEY: active KSKs and CSKs
  std::vector<std::size_t> zone_signers;  // everything else: active ZSKs and CSKs
  Name apex;
  std::uint32_t now = 0;
  std::uint32_t refresh = 0;
};

// Appends the signatures one owner needs to `jobs` (none below a zone cut), taking over those of `previous` that
// are still good, and sets the item's range of jobs; returns the number of RRsets signed. The apex ZONEMD RRset is
// only pointed at: it is signed once its digest is known.
std::size_t plan_owner(OwnerItem& item, const std::vector<OwnerGroup>& groups, const std::vector<Record>& denial,
                       const Signers& signers, PreviousZone& previous, std::vector<SignatureJob>& jobs,
                       std::optional<std::span<const Record>>& zonemd_rrset) {
  std::size_t rrsets = 0;
  auto plan_rrset = [&](std::span<const Record> rrset, const std::vector<std::size_t>& by) {
    ++rrsets;
    for (std::size_t k : by) {
      SignatureJob job{rrset, k, {}, false};
      if (const std::string* old = previous.reusable(rrset, signers.keys[k], signers.apex, signers.now, signers.refresh)) {
        job.rdata = *old;
        job.reused = true;
      }
      jobs.push_back(std::move(job));
    }
  };
  item.jobs_begin = jobs.size();
  Standing standing = item.group != kNone ? groups[item.group].standing : Standing::kAuthoritative;
  if (standing != Standing::kBelowCut) {
    for_each_rrset(item, groups, denial, [&](std::span<const Record> rrset, bool is_denial) {
      RRType type = rrset.front().type;
      bool at_apex = standing == Standing::kApex && !is_denial;
      if (standing == Standing::kDelegation && !is_denial && type != RRType::kDs) {
        // RFC 4035 §2.2: the delegation NS RRset and glue are not signed.
      } else if (at_apex && type == RRType::kZonemd) {
        zonemd_rrset = rrset;  // signed after its digest is known
      } else if (at_apex && (type == RRType::kDnskey || type == RRType::kCds || type == RRType::kCdnskey)) {
        plan_rrset(rrset, signers.key_signers);
      } else {
        plan_rrset(rrset, signers.zone_signers);
      }
    });
  }
  item.jobs_end = jobs.size();
  return rrsets;
}

// Writes one owner of the signed zone at `to`, in canonical order: its records by type, its RRSIGs (type 46) and
// its NSEC or NSEC3 among them. Records and signatures are moved; `signatures` is scratch space.
void write_owner(const OwnerItem& item, std::span<SignatureJob> jobs, const std::vector<OwnerGroup>& groups,
                 std::vector<Record>& denial, std::vector<Record>& signatures, Record* to) {
  const auto rrsig_code = dns::rrtype_code(RRType::kRrsig);
  signatures.clear();
  append_rrsigs(signatures, jobs.subspan(item.jobs_begin, item.jobs_end - item.jobs_begin));
  std::span<Record> owned;
  if (item.group != kNone) owned = groups[item.group].records;
  Record* chain = item.denial != kNone ? &denial[item.denial] : nullptr;
  std::size_t i = 0;
  for (; i < owned.size() && dns::rrtype_code(owned[i].type) < rrsig_code; ++i) *to++ = std::move(owned[i]);
  for (Record& signature : signatures) *to++ = std::move(signature);
  for (; i < owned.size(); ++i) {
    if (chain && dns::rrtype_code(chain->type) < dns::rrtype_code(owned[i].type)) {
      *to++ = std::move(*chain);
      chain = nullptr;
    }
    *to++ = std::move(owned[i]);
  }
  if (chain) *to++ = std::move(*chain);
}

// Fills in the ZONEMD digest of a signed zone whose ZONEMD RRset is still unsigned, and signs it (reusing the
// previous zone's signature when the digest is unchanged). The digest covers every other record and signature
// (RFC 8976 §3.3.1), so this comes last.
void finish_zonemd(SignResult& result, const Signers& signers, const SigningPolicy& policy, std::uint32_t serial,
                   const std::vector<Record>* previous_records, dns::ThreadPool& pool) {
  const Name& apex = signers.apex;
  std::vector<Record>& out = result.zone.mutable_records();
  auto is_apex_zonemd = [&](const Record& r) { return r.type == RRType::kZonemd && r.owner == apex; };
  auto zonemd = std::find_if(out.begin(), out.end(), is_apex_zonemd);
  auto digest = zonemd_digest(result.zone, kZonemdSchemeSimple, kZonemdHashSha384);
  zonemd->rdata = zonemd_rdata(serial, kZonemdSchemeSimple, kZonemdHashSha384, *digest);
  std::size_t zonemd_begin = static_cast<std::size_t>(zonemd - out.begin());
  std::size_t zonemd_end = zonemd_begin;
  while (zonemd_end < out.size() && is_apex_zonemd(out[zonemd_end])) ++zonemd_end;
  std::span<const Record> rrset(out.data() + zonemd_begin, zonemd_end - zonemd_begin);
  std::vector<SignatureJob> zonemd_jobs;
  PreviousZone previous(previous_records);
  for (std::size_t k : signers.zone_signers) {
    SignatureJob job{rrset, k, {}, false};
    if (const std::string* old = previous.reusable(rrset, signers.keys[k], apex, signers.now, signers.refresh)) {
      job.rdata = *old;
      job.reused = true;
      ++result.stats.signatures_reused;
    } else {
      ++result.stats.signatures_created;
    }
    zonemd_jobs.push_back(std::move(job));
  }
  ++result.stats.rrsets_signed;
  run_jobs(zonemd_jobs, signers.keys, policy, signers.now, apex, pool);
  std::vector<Record> signatures;
  append_rrsigs(signatures, zonemd_jobs);
  // ZONEMD (63) is the largest type at the apex: its RRSIGs go after the apex's other RRSIGs.
  auto after = std::find_if(out.begin(), out.end(), [&](const Record& r) {
    return r.owner != apex || (r.type == RRType::kRrsig && r.rdata.compare(0, 2, signatures.front().rdata, 0, 2) > 0) ||
           dns::rrtype_code(r.type) > dns::rrtype_code(RRType::kRrsig);
  });
  out.insert(after, std::make_move_iterator(signatures.begin()), std::make_move_iterator(signatures.end()));
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

namespace {
SignResult sign(dns::Zone&& unsigned_zone, std::span<const SigningKey> keys, const SigningPolicy& policy,
                std::uint32_t now, const dns::Zone* previous_signed, std::vector<Record>* recycle,
                dns::ThreadPool& pool);
}  // namespace

SignResult sign_zone(const dns::Zone& unsigned_zone, std::span<const SigningKey> keys, const SigningPolicy& policy,
                     std::uint32_t now, const dns::Zone* previous_signed, dns::ThreadPool& pool) {
  return sign_zone(dns::Zone(unsigned_zone), keys, policy, now, previous_signed, pool);
}

SignResult sign_zone(dns::Zone&& unsigned_zone, std::span<const SigningKey> keys, const SigningPolicy& policy,
                     std::uint32_t now, const dns::Zone* previous_signed, dns::ThreadPool& pool) {
  return sign(std::move(unsigned_zone), keys, policy, now, previous_signed, nullptr, pool);
}

SignResult sign_zone(dns::Zone&& unsigned_zone, std::span<const SigningKey> keys, const SigningPolicy& policy,
                     std::uint32_t now, std::optional<dns::Zone>&& previous_signed, dns::ThreadPool& pool) {
  if (!previous_signed) return sign(std::move(unsigned_zone), keys, policy, now, nullptr, nullptr, pool);
  return sign(std::move(unsigned_zone), keys, policy, now, &*previous_signed, &previous_signed->mutable_records(),
              pool);
}

namespace {

// sign_zone; `recycle`, when given, holds the records of `previous_signed`, whose memory is taken over for the
// signed zone once the reusable signatures are copied out.
SignResult sign(dns::Zone&& unsigned_zone, std::span<const SigningKey> keys, const SigningPolicy& policy,
                std::uint32_t now, const dns::Zone* previous_signed, std::vector<Record>* recycle,
                dns::ThreadPool& pool) {
  const Name apex = unsigned_zone.apex();
  const Record* soa_record = unsigned_zone.soa();
  if (!soa_record) throw std::invalid_argument(fmt::format("zone {} has no SOA record", apex.to_text()));
  auto soa = dns::rdata::parse_soa(soa_record->rdata);
  if (!soa) throw std::invalid_argument(fmt::format("zone {}: bad SOA: {}", apex.to_text(), soa.error()));
  // RFC 9077 §3: NSEC and NSEC3 TTL = min(SOA MINIMUM, SOA TTL).
  const std::uint32_t soa_ttl = soa_record->ttl;
  std::uint32_t denial_ttl = policy.nsec_ttl.value_or(std::min(soa->minimum, soa_ttl));
  std::uint32_t dnskey_ttl = policy.dnskey_ttl.value_or(soa_ttl);

  // Which keys sign what.
  Signers signers{keys, {}, {}, apex, now, policy.refresh};
  std::vector<std::size_t>& key_signers = signers.key_signers;
  std::vector<std::size_t>& zone_signers = signers.zone_signers;
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

  // 1. The zone's own data, canonical, without DNSSEC records; the apex records (which sort first) apart, with
  //    those the signer makes.
  std::vector<Record> records = std::move(unsigned_zone.mutable_records());
  if (!is_canonical(records, pool)) {
    dns::Zone sorted(apex);
    sorted.mutable_records() = std::move(records);
    sorted.canonicalise();
    records = std::move(sorted.mutable_records());
  }
  // In canonical order every name at or below the apex lies between the apex and its last descendant: a record
  // outside sits at either end.
  for (const Record* r : {records.empty() ? nullptr : &records.front(), records.empty() ? nullptr : &records.back()}) {
    if (r && !r->owner.is_at_or_below(apex)) {
      throw std::invalid_argument(fmt::format("{} is outside zone {}", r->owner.to_text(), apex.to_text()));
    }
  }
  records.erase(std::remove_if(records.begin(), records.end(), [&](const Record& r) { return is_dnssec_type_to_drop(r, apex); }),
                records.end());
  std::size_t apex_count = 0;
  while (apex_count < records.size() && records[apex_count].owner == apex) ++apex_count;
  std::vector<Record> apex_records(std::make_move_iterator(records.begin()),
                                   std::make_move_iterator(records.begin() + static_cast<std::ptrdiff_t>(apex_count)));
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
    apex_records.push_back(Record{apex, RRType::kZonemd, soa_ttl,
                                  zonemd_rdata(soa->serial, kZonemdSchemeSimple, kZonemdHashSha384, std::string(48, '\0'))});
  }
  std::sort(apex_records.begin(), apex_records.end());
  apex_records.erase(std::unique(apex_records.begin(), apex_records.end(),
                                 [](const Record& a, const Record& b) { return same_rrset(a, b) && a.rdata == b.rdata; }),
                     apex_records.end());
  std::span<Record> below_apex(records.data() + apex_count, records.size() - apex_count);
  std::vector<OwnerGroup> groups;
  {
    const Name* cut = nullptr;
    append_owner_groups(apex_records, apex, cut, groups);
    append_owner_groups(below_apex, apex, cut, groups);
  }

  // 2. Denial of existence.
  SignResult result{dns::Zone(apex), {}};
  std::vector<std::size_t> nsec_of;
  std::vector<Record> denial = policy.denial == Denial::kNsec ? make_nsec_chain(groups, apex, denial_ttl, nsec_of, pool)
                                                              : make_nsec3_chain(groups, apex, policy, denial_ttl, pool);
  result.stats.denial_records = denial.size();
  std::vector<OwnerItem> items = owner_items(groups, denial, nsec_of, apex, pool);

  // 3. Which RRsets get which signatures, owner by owner in canonical order; reuse what the previous zone has.
  std::vector<Record> previous_sorted;
  const std::vector<Record>* previous_records = nullptr;
  if (previous_signed) {
    previous_records = &previous_signed->records();
    if (!is_sorted(*previous_records, pool)) {
      previous_sorted = *previous_records;
      std::sort(previous_sorted.begin(), previous_sorted.end());
      previous_records = &previous_sorted;
    }
  }
  // Chunks of owners are planned at once, each walking the previous zone from its first owner on.
  std::size_t chunks = (items.size() + kOwnerChunk - 1) / kOwnerChunk;
  std::vector<std::vector<SignatureJob>> chunk_jobs(chunks);
  std::vector<std::size_t> chunk_rrsets(chunks, 0);
  std::optional<std::span<const Record>> zonemd_rrset;  // written by the one chunk holding the apex
  pool.parallel_for(chunks, 1, [&](std::size_t chunk_begin, std::size_t chunk_end) {
    for (std::size_t c = chunk_begin; c < chunk_end; ++c) {
      std::size_t first = c * kOwnerChunk;
      std::size_t last = std::min(items.size(), first + kOwnerChunk);
      const OwnerItem& head = items[first];
      PreviousZone previous(previous_records,
                            head.group != kNone ? &groups[head.group].owner() : &denial[head.denial].owner);
      for (std::size_t i = first; i < last; ++i) {
        chunk_rrsets[c] += plan_owner(items[i], groups, denial, signers, previous, chunk_jobs[c], zonemd_rrset);
      }
    }
  });
  // One list of jobs; each owner's range in it.
  std::vector<SignatureJob> jobs;
  {
    std::size_t total = 0;
    for (const auto& c : chunk_jobs) total += c.size();
    jobs.reserve(total);
    for (std::size_t c = 0; c < chunks; ++c) {
      std::size_t base = jobs.size();
      for (std::size_t i = c * kOwnerChunk; i < std::min(items.size(), (c + 1) * kOwnerChunk); ++i) {
        items[i].jobs_begin += base;
        items[i].jobs_end += base;
      }
      std::move(chunk_jobs[c].begin(), chunk_jobs[c].end(), std::back_inserter(jobs));
      result.stats.rrsets_signed += chunk_rrsets[c];
    }
    chunk_jobs.clear();
  }

  // 4. Sign, in parallel; each job writes only its own slot. Every owner's place in the signed zone is known
  //    already: the room for it is made meanwhile on a thread of its own (filling that much fresh memory is
  //    mostly page faults, which cost less wall time beside the signing than after it).
  std::vector<std::size_t> starts(items.size() + 1, 0);
  for (std::size_t i = 0; i < items.size(); ++i) {
    const OwnerItem& item = items[i];
    std::size_t count = item.jobs_end - item.jobs_begin + (item.denial != kNone ? 1 : 0);
    if (item.group != kNone) count += groups[item.group].records.size();
    starts[i + 1] = starts[i] + count;
  }
  std::vector<Record>& out = result.zone.mutable_records();
  std::vector<Record> previous_apex;  // what the ZONEMD step still reads of the previous zone
  if (recycle) {
    // The previous zone's memory is in use already (and faulted in): emptied on every thread, it holds the new
    // zone. Every reused signature was copied into its job above.
    if (previous_records) {
      for (const Record& r : *previous_records) {
        if (r.owner != apex) break;
        previous_apex.push_back(r);
      }
      previous_records = &previous_apex;
    }
    std::vector<Record> old = std::move(*recycle);
    pool.parallel_for(old.size(), kOwnerChunk * 4, [&](std::size_t begin, std::size_t end) {
      // Destroyed and made anew, so that the strings' memory is freed here, on every thread (an assignment
      // would keep it, to be freed later on one).
      for (std::size_t i = begin; i < end; ++i) {
        std::destroy_at(&old[i]);
        std::construct_at(&old[i]);
      }
    });
    out = std::move(old);
  }
  {
    std::jthread room([&out, size = starts.back()] { out.resize(size); });
    run_jobs(jobs, keys, policy, now, apex, pool);
  }
  for (const SignatureJob& job : jobs) {
    if (job.reused) ++result.stats.signatures_reused;
    else ++result.stats.signatures_created;
  }

  // 5. The signed zone, owner by owner: each owner's records by type, its RRSIGs (type 46) among them. Chunks of
  //    owners are written at once; the records move over, and an owner's RRSIGs are made before its records move
  //    (the jobs point at them).
  pool.parallel_for(items.size(), kOwnerChunk, [&](std::size_t begin, std::size_t end) {
    std::vector<Record> signatures;
    for (std::size_t n = begin; n < end; ++n) write_owner(items[n], jobs, groups, denial, signatures, out.data() + starts[n]);
  });
  jobs.clear();

  // 6. ZONEMD last: its digest covers every other record and signature (RFC 8976 §3.3.1).
  if (zonemd_rrset) finish_zonemd(result, signers, policy, soa->serial, previous_records, pool);
  return result;
}

}  // namespace

}  // namespace rdnsprov::signer
