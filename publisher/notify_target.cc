#include "publisher/notify_target.h"

#include <algorithm>

#include <fmt/format.h>

namespace rdnsprov::publisher {

TargetReport NotifyTarget::finish(const std::vector<dns::Name>& served) {
  TargetReport report{name(), {}};
  for (const Released& zone : released_) {
    // A zone published by this run but no longer served (another target failed it) is not announced.
    if (std::find(served.begin(), served.end(), zone.apex) == served.end()) continue;
    for (const ServerAddress& address : addresses_) {
      DnsClient client(address, options_);
      try {
        client.notify(zone.apex, zone.serial);
      } catch (const DnsError& e) {
        report.problems.push_back(fmt::format("target {}: zone {} serial {}: {}", name(), zone.apex.to_text(),
                                              zone.serial, e.what()));
      }
    }
  }
  released_.clear();
  return report;
}

}  // namespace rdnsprov::publisher
