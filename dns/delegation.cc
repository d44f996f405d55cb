#include "dns/delegation.h"

#include <algorithm>

namespace rdnsprov::dns {

void Delegation::normalise() {
  std::sort(nameservers.begin(), nameservers.end());
  nameservers.erase(std::unique(nameservers.begin(), nameservers.end()), nameservers.end());
  std::sort(glue.begin(), glue.end());
  glue.erase(std::unique(glue.begin(), glue.end()), glue.end());
  std::sort(ds.begin(), ds.end());
  ds.erase(std::unique(ds.begin(), ds.end()), ds.end());
}

}  // namespace rdnsprov::dns
