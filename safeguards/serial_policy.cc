#include "safeguards/serial_policy.h"

#include <vector>

namespace rdnsprov::safeguards {

const char* serial_policy_name(SerialPolicy policy) {
  switch (policy) {
    case SerialPolicy::kUnixtime: return "unixtime";
    case SerialPolicy::kDate: return "date";
    case SerialPolicy::kCounter: return "counter";
  }
  return "?";
}

dns::Serial policy_serial(SerialPolicy policy, std::time_t now) {
  switch (policy) {
    case SerialPolicy::kUnixtime: return dns::Serial(static_cast<std::uint32_t>(now));
    case SerialPolicy::kDate: {
      std::tm tm{};
      gmtime_r(&now, &tm);
      return dns::Serial(static_cast<std::uint32_t>((tm.tm_year + 1900) * 1000000 + (tm.tm_mon + 1) * 10000 +
                                                    tm.tm_mday * 100));
    }
    case SerialPolicy::kCounter: return dns::Serial(1);
  }
  return dns::Serial(1);
}

std::optional<dns::Serial> next_serial(SerialPolicy policy, std::time_t now, const std::optional<dns::Serial>& published,
                                       std::span<const dns::Serial> live) {
  std::vector<dns::Serial> must_pass(live.begin(), live.end());
  if (published) must_pass.push_back(*published);
  dns::Serial wanted = policy_serial(policy, now);
  if (policy == SerialPolicy::kCounter && published) wanted = published->plus(1);
  // forward_of keeps `wanted` when it passes everything, otherwise takes one step past the furthest serial:
  // for `date` that is the next nn of the day (or past it), for `unixtime` one second on.
  return dns::Serial::forward_of(must_pass, wanted);
}

}  // namespace rdnsprov::safeguards
