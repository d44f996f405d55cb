#include "signer/continuity.h"

#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "dns/dnssec.h"
#include "dns/rrtype.h"

namespace rdnsprov::signer {
namespace {

std::uint16_t get16(std::string_view data, std::size_t at) {
  return static_cast<std::uint16_t>((static_cast<unsigned char>(data[at]) << 8) | static_cast<unsigned char>(data[at + 1]));
}

std::string tags_text(const std::vector<KeyId>& keys) {
  std::vector<std::uint16_t> tags;
  for (const KeyId& k : keys) tags.push_back(k.first);
  return fmt::format("{}", fmt::join(tags, ", "));
}

std::string keys_text(const std::vector<KeyId>& keys) {
  return fmt::format("key{} {}", keys.size() > 1 ? "s" : "", tags_text(keys));
}

bool meets(const std::vector<KeyId>& signers, const std::set<KeyId>& dnskeys) {
  return std::any_of(signers.begin(), signers.end(), [&](const KeyId& k) { return dnskeys.count(k) > 0; });
}

}  // namespace

KeyContinuity key_continuity(const dns::Zone& zone) {
  KeyContinuity out;
  const std::vector<dns::Record>& records = zone.records();
  std::vector<KeyId> signers;
  const std::vector<KeyId>* last = nullptr;  // the set of the RRset before: most RRsets share it
  auto close = [&](const dns::Record& first) {
    std::sort(signers.begin(), signers.end());
    signers.erase(std::unique(signers.begin(), signers.end()), signers.end());
    if (last && *last == signers) return;
    auto [it, added] = out.signer_sets.try_emplace(
        signers, fmt::format("{}/{}", first.owner.to_text(), dns::rrtype_to_text(static_cast<dns::RRType>(get16(first.rdata, 0)))));
    last = &it->first;
  };
  std::size_t group = records.size();  // the first RRSIG of the RRset whose signers are being gathered
  for (std::size_t i = 0; i < records.size(); ++i) {
    const dns::Record& r = records[i];
    if (r.type == dns::RRType::kDnskey && r.owner == zone.apex() && r.rdata.size() >= 4 &&
        !(get16(r.rdata, 0) & dns::kDnskeyRevokeFlag)) {
      out.dnskeys.emplace(dns::key_tag(r.rdata), static_cast<std::uint8_t>(r.rdata[3]));
    }
    if (r.type != dns::RRType::kRrsig || r.rdata.size() < 18) continue;
    std::uint16_t covered = get16(r.rdata, 0);
    if (group < records.size() &&
        (records[group].owner != r.owner || get16(records[group].rdata, 0) != covered)) {
      close(records[group]);
      signers.clear();
      group = records.size();
    }
    if (covered == dns::rrtype_code(dns::RRType::kDnskey) && r.owner == zone.apex()) continue;  // reached by DS
    if (group == records.size()) group = i;
    signers.emplace_back(get16(r.rdata, 16), static_cast<std::uint8_t>(r.rdata[2]));
  }
  if (group < records.size()) close(records[group]);
  return out;
}

std::vector<std::string> continuity_breaks(const KeyContinuity& before, const KeyContinuity& after) {
  std::vector<std::string> breaks;
  if (before.dnskeys.empty() || after.dnskeys.empty()) return breaks;
  const std::vector<KeyId> old_dnskeys(before.dnskeys.begin(), before.dnskeys.end());
  const std::vector<KeyId> new_dnskeys(after.dnskeys.begin(), after.dnskeys.end());
  // Resolvers holding the DNSKEY RRset served until now meet the next version's signatures.
  for (const auto& [signers, example] : after.signer_sets) {
    if (meets(signers, before.dnskeys)) continue;
    breaks.push_back(fmt::format("{} would be signed only by {}, which the published DNSKEY RRset ({}) does not hold: "
                                 "resolvers caching that RRset cannot validate it until it leaves their caches",
                                 example, keys_text(signers), keys_text(old_dnskeys)));
  }
  // Resolvers holding the published version's signed RRsets meet the next DNSKEY RRset.
  for (const auto& [signers, example] : before.signer_sets) {
    if (meets(signers, after.dnskeys)) continue;
    breaks.push_back(fmt::format("the published {}, signed only by {}, would lose {} from the DNSKEY RRset (next: {}): "
                                 "resolvers caching it fail it once they fetch the new DNSKEY RRset",
                                 example, keys_text(signers), signers.size() > 1 ? "them all" : "it",
                                 keys_text(new_dnskeys)));
  }
  return breaks;
}

}  // namespace rdnsprov::signer
