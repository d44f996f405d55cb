#include "dns/delegation.h"

#include <algorithm>

namespace rdnsprov::dns {
namespace {

// Sorts and de-duplicates; a list already strictly increasing (every delegation normalised once before, which is
// nearly all of them) is only checked.
template <typename T>
void sort_unique(std::vector<T>& items) {
  if (std::adjacent_find(items.begin(), items.end(), [](const T& a, const T& b) { return !(a < b); }) ==
      items.end()) {
    return;
  }
  std::sort(items.begin(), items.end());
  items.erase(std::unique(items.begin(), items.end()), items.end());
}

}  // namespace

void Delegation::normalise() {
  sort_unique(nameservers);
  sort_unique(glue);
  sort_unique(ds);
}

}  // namespace rdnsprov::dns
