#include "builder/canonical_order.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <string_view>

namespace rdnsprov::builder {

void append_canonical_key(std::string& out, const dns::Name& name) {
  std::string_view wire = name.wire();
  std::array<std::uint8_t, 128> offsets;  // at most 127 labels fit in 255 octets
  std::size_t count = 0;
  for (std::size_t pos = 0; wire[pos] != 0; pos += 1 + static_cast<unsigned char>(wire[pos])) {
    offsets[count++] = static_cast<std::uint8_t>(pos);
  }
  for (std::size_t i = count; i > 0; --i) {
    std::size_t pos = offsets[i - 1];
    out.append(wire.substr(pos + 1, static_cast<unsigned char>(wire[pos])));
    out.push_back('\0');
  }
}

std::string canonical_key(const dns::Name& name) {
  std::string key;
  key.reserve(name.wire().size());
  append_canonical_key(key, name);
  return key;
}

namespace {

// Records with their owner keys in one arena; consecutive records with the same owner (an RRset, a delegation's
// NS and DS) share one key.
class KeyedRecords {
 public:
  explicit KeyedRecords(std::vector<dns::Record> records) : records_(std::move(records)) {
    arena_.reserve(records_.size() * 24);
    order_.reserve(records_.size());
    for (std::size_t i = 0; i < records_.size(); ++i) {
      if (i > 0 && records_[i].owner == records_[i - 1].owner) {
        order_.push_back({order_.back().key_offset, order_.back().key_size, static_cast<std::uint32_t>(i)});
        continue;
      }
      std::size_t offset = arena_.size();
      append_canonical_key(arena_, records_[i].owner);
      order_.push_back({offset, arena_.size() - offset, static_cast<std::uint32_t>(i)});
    }
  }

  struct Entry {
    std::size_t key_offset;
    std::size_t key_size;
    std::uint32_t index;
  };

  std::string_view key(const Entry& e) const { return std::string_view(arena_).substr(e.key_offset, e.key_size); }
  const dns::Record& record(const Entry& e) const { return records_[e.index]; }
  dns::Record& record(const Entry& e) { return records_[e.index]; }
  std::vector<Entry>& order() { return order_; }

  // Canonical order between an entry of this list and one of `other` (or the same list).
  bool less(const Entry& a, const KeyedRecords& other, const Entry& b) const {
    if (int c = key(a).compare(other.key(b)); c != 0) return c < 0;
    const dns::Record& x = record(a);
    const dns::Record& y = other.record(b);
    if (x.type != y.type) return dns::rrtype_code(x.type) < dns::rrtype_code(y.type);
    return x.rdata < y.rdata;  // std::string compares as unsigned octets
  }

  void sort() {
    auto less_here = [this](const Entry& a, const Entry& b) { return less(a, *this, b); };
    if (!std::is_sorted(order_.begin(), order_.end(), less_here)) std::sort(order_.begin(), order_.end(), less_here);
  }

 private:
  std::vector<dns::Record> records_;
  std::string arena_;
  std::vector<Entry> order_;
};

}  // namespace

void sort_canonically(std::vector<dns::Record>& records) {
  records = merge_canonically(std::move(records), {});
}

std::vector<dns::Record> merge_canonically(std::vector<dns::Record> mostly_in_order, std::vector<dns::Record> others) {
  KeyedRecords a(std::move(mostly_in_order));
  KeyedRecords b(std::move(others));
  a.sort();
  b.sort();
  std::vector<dns::Record> out;
  out.reserve(a.order().size() + b.order().size());
  auto i = a.order().begin();
  auto j = b.order().begin();
  while (i != a.order().end() && j != b.order().end()) {
    if (b.less(*j, a, *i)) out.push_back(std::move(b.record(*j++)));
    else out.push_back(std::move(a.record(*i++)));
  }
  for (; i != a.order().end(); ++i) out.push_back(std::move(a.record(*i)));
  for (; j != b.order().end(); ++j) out.push_back(std::move(b.record(*j)));
  return out;
}

}  // namespace rdnsprov::builder
