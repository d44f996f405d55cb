// Serial: a zone's SOA serial with RFC 1982 sequence-space arithmetic.
//
//   Serial old_serial{4294967295u};
//   Serial next = old_serial.plus(1);          // 0: wraps forward
//   next.is_after(old_serial);                 // true (RFC 1982 §3.2)
//   Serial::forward_of({a, b, c}, wanted);     // the smallest serial >= wanted that is after all of a, b, c
//
// Two serials exactly 2^31 apart are not ordered (RFC 1982 §3.2): neither is_after nor is_before holds.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <span>

namespace rdnsprov::dns {

class Serial {
 public:
  static constexpr std::uint32_t kMaxIncrement = 0x7fffffffu;  // RFC 1982 §3.1: at most 2^31 - 1

  constexpr Serial() = default;
  constexpr explicit Serial(std::uint32_t value) : value_(value) {}

  constexpr std::uint32_t value() const { return value_; }

  // RFC 1982 §3.1 addition; `increment` must not exceed kMaxIncrement (checked).
  Serial plus(std::uint32_t increment) const;

  // RFC 1982 §3.2 comparison. Unordered when the serials are exactly 2^31 apart.
  std::partial_ordering compare(Serial other) const;
  bool is_after(Serial other) const { return compare(other) == std::partial_ordering::greater; }
  bool is_before(Serial other) const { return compare(other) == std::partial_ordering::less; }

  friend constexpr bool operator==(Serial a, Serial b) { return a.value_ == b.value_; }

  // The serial to publish: `wanted` if it is after every serial in `must_pass` (the last published one and
  // those the live servers serve), otherwise the smallest step forward of all of them. Returns nothing when no
  // single step can move forward of all of them (they span more than half the sequence space).
  static std::optional<Serial> forward_of(std::span<const Serial> must_pass, Serial wanted);

 private:
  std::uint32_t value_ = 0;
};

}  // namespace rdnsprov::dns
