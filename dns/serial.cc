#include "dns/serial.h"

#include <cassert>

namespace rdnsprov::dns {

Serial Serial::plus(std::uint32_t increment) const {
  assert(increment <= kMaxIncrement && "RFC 1982 §3.1: increment must be below 2^31");
  return Serial(value_ + increment);  // unsigned arithmetic wraps modulo 2^32
}

std::partial_ordering Serial::compare(Serial other) const {
  const std::uint32_t i1 = value_;
  const std::uint32_t i2 = other.value_;
  if (i1 == i2) return std::partial_ordering::equivalent;
  const std::uint32_t half = 0x80000000u;
  if ((i1 < i2 && i2 - i1 < half) || (i1 > i2 && i1 - i2 > half)) return std::partial_ordering::less;
  if ((i1 < i2 && i2 - i1 > half) || (i1 > i2 && i1 - i2 < half)) return std::partial_ordering::greater;
  return std::partial_ordering::unordered;
}

std::optional<Serial> Serial::forward_of(std::span<const Serial> must_pass, Serial wanted) {
  // Candidate: `wanted`, or else one past the serial that is furthest ahead.
  auto passes_all = [&](Serial candidate) {
    for (Serial s : must_pass) {
      if (!candidate.is_after(s)) return false;
    }
    return true;
  };
  if (passes_all(wanted)) return wanted;
  for (Serial s : must_pass) {
    Serial candidate = s.plus(1);
    if (passes_all(candidate)) return candidate;
  }
  return std::nullopt;
}

}  // namespace rdnsprov::dns
