// type = notify: tells servers that zones changed (DNS NOTIFY, RFC 1996), so that they transfer them at once.
//
//   NotifyTarget notify("secondaries", {*ServerAddress::parse("192.0.2.53")}, QueryOptions{});
//   notify.publish(release);           // remembers the zone and its serial; sends nothing yet
//   TargetReport r = notify.finish(served);   // NOTIFY for each zone of this run to each address
//
// It writes nothing: place it after the targets whose servers must have reloaded first (targets finish in
// configuration order). An address that never acknowledges is a problem in the report, naming zone and address.
#pragma once

#include <cstdint>
#include <vector>

#include "publisher/dns_client.h"
#include "publisher/target.h"

namespace rdnsprov::publisher {

class NotifyTarget : public Target {
 public:
  NotifyTarget(std::string name, std::vector<ServerAddress> addresses, QueryOptions options)
      : Target(std::move(name)), addresses_(std::move(addresses)), options_(options) {}
  void publish(const ZoneRelease& zone) override { released_.push_back({zone.apex, zone.serial}); }
  TargetReport finish(const std::vector<dns::Name>& served) override;

 private:
  struct Released {
    dns::Name apex;
    std::uint32_t serial;
  };
  std::vector<ServerAddress> addresses_;
  QueryOptions options_;
  std::vector<Released> released_;
};

}  // namespace rdnsprov::publisher
