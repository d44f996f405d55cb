#include "signer/zonemd.h"

#include <openssl/evp.h>

#include <algorithm>
#include <memory>
#include <stdexcept>
#include <vector>

#include <fmt/format.h>

#include "dns/rrtype.h"

namespace rdnsprov::signer {
namespace {

constexpr std::uint16_t kTypeRrsig = 46;
constexpr std::uint16_t kTypeZonemd = 63;

// Feeds records, already in canonical order, into the hash: owner | type | class | TTL | RDLENGTH | RDATA
// (RFC 8976 §3.3.2, the canonical RR form of RFC 4034 §6.2).
class DigestStream {
 public:
  explicit DigestStream(const EVP_MD* md) : ctx_(EVP_MD_CTX_new()) {
    if (!ctx_ || EVP_DigestInit_ex(ctx_.get(), md, nullptr) != 1) throw std::runtime_error("cannot start the ZONEMD hash");
    buffer_.reserve(kFlushAt + 70000);
  }

  void add(std::string_view owner, std::uint16_t type, std::uint32_t ttl, std::string_view rdata) {
    buffer_.append(owner);
    put16(type);
    put16(dns::kClassIn);
    put16(static_cast<std::uint16_t>(ttl >> 16));
    put16(static_cast<std::uint16_t>(ttl & 0xffff));
    put16(static_cast<std::uint16_t>(rdata.size()));
    buffer_.append(rdata);
    if (buffer_.size() >= kFlushAt) flush();
  }

  std::string finish() {
    flush();
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (EVP_DigestFinal_ex(ctx_.get(), out, &length) != 1) throw std::runtime_error("cannot finish the ZONEMD hash");
    return std::string(reinterpret_cast<char*>(out), length);
  }

 private:
  static constexpr std::size_t kFlushAt = 1 << 16;
  struct Free {
    void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
  };
  void put16(std::uint16_t v) {
    buffer_.push_back(static_cast<char>(v >> 8));
    buffer_.push_back(static_cast<char>(v & 0xff));
  }
  void flush() {
    if (!buffer_.empty() && EVP_DigestUpdate(ctx_.get(), buffer_.data(), buffer_.size()) != 1) {
      throw std::runtime_error("ZONEMD hash update failed");
    }
    buffer_.clear();
  }
  std::unique_ptr<EVP_MD_CTX, Free> ctx_;
  std::string buffer_;
};

dns::Result<const EVP_MD*> digest_for(std::uint8_t scheme, std::uint8_t hash_algorithm) {
  if (scheme != kZonemdSchemeSimple) return dns::error(fmt::format("ZONEMD scheme {} is not supported", scheme));
  switch (hash_algorithm) {
    case kZonemdHashSha384: return EVP_sha384();
    case kZonemdHashSha512: return EVP_sha512();
    default: return dns::error(fmt::format("ZONEMD hash algorithm {} is not supported", hash_algorithm));
  }
}

std::uint16_t covered_type(std::string_view rrsig_rdata) {
  if (rrsig_rdata.size() < 2) return 0;
  return static_cast<std::uint16_t>((static_cast<unsigned char>(rrsig_rdata[0]) << 8) |
                                    static_cast<unsigned char>(rrsig_rdata[1]));
}

// RFC 8976 §3.3.1.1: the apex ZONEMD RRset and the RRSIGs covering it are left out.
bool excluded_at_apex(std::uint16_t type, std::string_view rdata) {
  return type == kTypeZonemd || (type == kTypeRrsig && covered_type(rdata) == kTypeZonemd);
}

// Labels of a wire-format name, leftmost first.
std::vector<std::string_view> wire_labels(std::string_view wire) {
  std::vector<std::string_view> labels;
  std::size_t pos = 0;
  while (pos < wire.size() && wire[pos] != 0) {
    auto length = static_cast<unsigned char>(wire[pos]);
    labels.push_back(wire.substr(pos + 1, length));
    pos += 1 + length;
  }
  return labels;
}

// Canonical name order (RFC 4034 §6.1) on wire-format names that are already lower-case.
int compare_wire_names(std::string_view a, std::string_view b) {
  auto la = wire_labels(a);
  auto lb = wire_labels(b);
  std::size_t i = la.size();
  std::size_t j = lb.size();
  while (i > 0 && j > 0) {
    --i;
    --j;
    if (int c = la[i].compare(lb[j]); c != 0) {
      // std::string_view::compare uses char_traits<char>, which compares as unsigned char.
      return c;
    }
  }
  if (i == 0 && j == 0) return 0;
  return i == 0 ? -1 : 1;
}

bool wire_at_or_below(std::string_view name, std::string_view apex) {
  if (apex.size() > name.size() || name.substr(name.size() - apex.size()) != apex) return false;
  std::size_t start = name.size() - apex.size();
  for (std::size_t pos = 0; pos <= start; pos += 1 + static_cast<unsigned char>(name[pos])) {
    if (pos == start) return true;
  }
  return false;
}

}  // namespace

std::string zonemd_rdata(std::uint32_t serial, std::uint8_t scheme, std::uint8_t hash_algorithm, std::string_view digest) {
  std::string out;
  out.push_back(static_cast<char>(serial >> 24));
  out.push_back(static_cast<char>((serial >> 16) & 0xff));
  out.push_back(static_cast<char>((serial >> 8) & 0xff));
  out.push_back(static_cast<char>(serial & 0xff));
  out.push_back(static_cast<char>(scheme));
  out.push_back(static_cast<char>(hash_algorithm));
  out.append(digest);
  return out;
}

dns::Result<std::string> zonemd_digest(const dns::Zone& zone, std::uint8_t scheme, std::uint8_t hash_algorithm) {
  auto md = digest_for(scheme, hash_algorithm);
  if (!md) return dns::error(md.error());
  const std::vector<dns::Record>* records = &zone.records();
  std::vector<dns::Record> sorted;
  if (!std::is_sorted(records->begin(), records->end())) {
    sorted = *records;
    std::sort(sorted.begin(), sorted.end());
    records = &sorted;
  }
  DigestStream stream(*md);
  const dns::Record* previous = nullptr;
  for (const dns::Record& r : *records) {
    if (!r.owner.is_at_or_below(zone.apex())) continue;  // RFC 8976 §3.3.1.1: out-of-zone data is excluded
    if (r.owner == zone.apex() && excluded_at_apex(dns::rrtype_code(r.type), r.rdata)) continue;
    // RFC 8976 §3.3.1.2: duplicate RRs are digested once.
    if (previous && previous->type == r.type && previous->owner == r.owner && previous->rdata == r.rdata) continue;
    stream.add(r.owner.wire(), dns::rrtype_code(r.type), r.ttl, r.rdata);
    previous = &r;
  }
  return stream.finish();
}

dns::Result<std::string> zonemd_digest_of_records(std::string_view apex, std::span<const WireRecord> records,
                                                  std::uint8_t scheme, std::uint8_t hash_algorithm) {
  auto md = digest_for(scheme, hash_algorithm);
  if (!md) return dns::error(md.error());
  std::vector<const WireRecord*> order;
  order.reserve(records.size());
  for (const WireRecord& r : records) order.push_back(&r);
  std::sort(order.begin(), order.end(), [](const WireRecord* a, const WireRecord* b) {
    if (int c = compare_wire_names(a->owner, b->owner); c != 0) return c < 0;
    if (a->type != b->type) return a->type < b->type;
    return a->rdata < b->rdata;  // unsigned octet order (char_traits<char> compares as unsigned char)
  });
  DigestStream stream(*md);
  const WireRecord* previous = nullptr;
  for (const WireRecord* r : order) {
    if (!wire_at_or_below(r->owner, apex)) continue;
    if (r->owner == apex && excluded_at_apex(r->type, r->rdata)) continue;
    if (previous && previous->type == r->type && previous->owner == r->owner && previous->rdata == r->rdata) continue;
    stream.add(r->owner, r->type, r->ttl, r->rdata);
    previous = r;
  }
  return stream.finish();
}

}  // namespace rdnsprov::signer
