// Name: a DNS domain name in uncompressed wire form, lower-cased, always absolute.
//
//   auto name = Name::from_text("2.0.193.IN-ADDR.ARPA.");   // Result<Name>; trailing dot optional
//   name->to_text();                                         // "2.0.193.in-addr.arpa."
//   name->is_at_or_below(*Name::from_text("in-addr.arpa"));   // true
//   name->parent();                                          // 0.193.in-addr.arpa.
//   std::sort(names.begin(), names.end());                   // canonical DNSSEC order (RFC 4034 §6.1)
//
// Every name rdnsprov handles is a hostname-like label sequence (letters, digits, '-', '_'), so names are
// lower-cased when parsed: equality and hashing are then plain byte comparisons, and the wire form is already
// the canonical form RFC 4034 §6.2 asks for when signing. Escapes (\DDD, \X) and every byte that could change
// the meaning of a master-file line are refused at parse time, so a Name can always be written as text without
// quoting.
//
// Wildcards (RFC 4592): a leftmost label "*" is taken where a name comes from a master file or from the wire —
// from_text(text, origin) and from_wire — for the zones operators give `rdnsprov sign` and `verify-zone`. The
// registry's own inputs never make one: from_text(text) (zone names, hosts, configuration) refuses it, and the
// master-file reader refuses '*' unless its caller allows wildcards (zone.h).
#pragma once

#include <compare>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "dns/result.h"

namespace rdnsprov::dns {

class Name {
 public:
  static constexpr std::size_t kMaxWireLength = 255;
  static constexpr std::size_t kMaxLabelLength = 63;

  // The root name ".".
  Name();

  // Parses presentation text. A trailing dot is optional: every name is taken as absolute. No wildcard.
  static Result<Name> from_text(std::string_view text);
  // Parses a possibly relative name from a master file: "@" is `origin`; a name without a trailing dot is
  // relative to `origin`. A leftmost label "*" is taken (a wildcard). With `slash`, a label may hold '/' too:
  // RFC 2317's notation (0/26) in operators' zones.
  static Result<Name> from_text(std::string_view text, const Name& origin, bool slash = false);
  // Reads an uncompressed wire-format name starting at `wire[offset]`; advances `offset` past it. A leftmost
  // label "*" is taken (a wildcard), and '/' in a label.
  static Result<Name> from_wire(std::string_view wire, std::size_t& offset);

  // Presentation form with a trailing dot ("." for the root).
  std::string to_text() const;
  // Presentation form without the trailing dot ("" for the root); used for file names and keys.
  std::string to_text_no_dot() const;
  // Appends the presentation form with a trailing dot to `out`.
  void append_text(std::string& out) const;

  // Uncompressed, lower-case wire form (the canonical form of RFC 4034 §6.2).
  std::string_view wire() const { return wire_; }

  bool is_root() const { return wire_.size() == 1; }
  // Number of labels, not counting the root label.
  std::size_t label_count() const;
  // Label `i` counted from the left (0 = the leftmost), without its length octet.
  std::string_view label(std::size_t i) const;
  std::string_view first_label() const { return label(0); }
  // True when the leftmost label is "*" (RFC 4592).
  bool is_wildcard() const { return wire_.size() > 2 && wire_[0] == 1 && wire_[1] == '*'; }
  // The labels field of an RRSIG over this owner (RFC 4034 §3.1.3): the label count, not counting a leftmost "*".
  std::uint8_t rrsig_labels() const { return static_cast<std::uint8_t>(label_count() - (is_wildcard() ? 1 : 0)); }

  // The name with its leftmost label removed; the root's parent is the root.
  Name parent() const;
  // The name keeping only its rightmost `count` labels.
  Name suffix(std::size_t count) const;
  // `label` + "." + this name; the label must be valid (checked).
  Result<Name> prepend(std::string_view label) const;
  // True when this name equals `ancestor` or lies below it.
  bool is_at_or_below(const Name& ancestor) const;
  bool is_below(const Name& ancestor) const { return is_at_or_below(ancestor) && *this != ancestor; }

  friend bool operator==(const Name& a, const Name& b) { return a.wire_ == b.wire_; }
  // Canonical DNSSEC order, RFC 4034 §6.1: compare label by label from the right, each label as an octet string.
  friend std::strong_ordering operator<=>(const Name& a, const Name& b);

 private:
  explicit Name(std::string wire) : wire_(std::move(wire)) {}
  static Result<Name> parse(std::string_view text, bool wildcard, bool slash);
  std::string wire_;
};

// Checks one label of presentation text against the rules Name applies; empty result when valid.
std::string label_problem(std::string_view label);

// Appends the presentation form of a wire-format name that is known to be valid (rdata built by rdnsprov or
// checked on input) starting at wire[offset]; advances offset past it. No allocation, no validation.
void append_wire_name_text(std::string& out, std::string_view wire, std::size_t& offset);

}  // namespace rdnsprov::dns

template <>
struct std::hash<rdnsprov::dns::Name> {
  std::size_t operator()(const rdnsprov::dns::Name& name) const noexcept {
    return std::hash<std::string_view>{}(name.wire());
  }
};
