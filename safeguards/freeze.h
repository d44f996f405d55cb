// Freeze: STATE/freeze present = no publication at all (exit 7), until `rdnsprov thaw`. For incidents: an
// operator stops every automatic change while people look.
//
//   freeze(state, "incident 42: investigating", "alice", now);
//   std::optional<FreezeInfo> f = frozen(state);   // reason, who, since
//   thaw(state);
#pragma once

#include <ctime>
#include <optional>
#include <string>

#include "safeguards/state_dir.h"

namespace rdnsprov::safeguards {

struct FreezeInfo {
  std::string reason;
  std::string who;
  std::time_t since = 0;
};

std::optional<FreezeInfo> frozen(const StateDir& state);
void freeze(StateDir& state, const std::string& reason, const std::string& who, std::time_t now);
// Returns false when publication was not frozen.
bool thaw(StateDir& state, const std::string& who);

}  // namespace rdnsprov::safeguards
