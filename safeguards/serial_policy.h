// The serial a changed zone gets: from its policy, then moved forward (RFC 1982) of the last published serial and
// of every serial the live servers serve (I-4).
//
//   auto serial = next_serial(SerialPolicy::kDate, now, published_serial, live_serials);   // optional<Serial>
#pragma once

#include <ctime>
#include <optional>
#include <span>
#include <string>

#include "dns/serial.h"

namespace rdnsprov::safeguards {

enum class SerialPolicy { kUnixtime, kDate, kCounter };
const char* serial_policy_name(SerialPolicy policy);

// The policy's own value at `now`: Unix seconds; YYYYMMDD00; or 1.
dns::Serial policy_serial(SerialPolicy policy, std::time_t now);

// Nothing when no serial can move forward of all of `must_pass` at once (they span half the serial space).
std::optional<dns::Serial> next_serial(SerialPolicy policy, std::time_t now, const std::optional<dns::Serial>& published,
                                       std::span<const dns::Serial> live);

}  // namespace rdnsprov::safeguards
