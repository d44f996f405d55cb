#include "safeguards/freeze.h"

#include <filesystem>

#include "dns/atomic_file.h"

namespace rdnsprov::safeguards {

std::optional<FreezeInfo> frozen(const StateDir& state) {
  if (!std::filesystem::exists(state.freeze_file())) return std::nullopt;
  FreezeInfo info;
  // An unreadable or hand-written freeze file still freezes: its presence is what counts.
  auto j = nlohmann::json::parse(dns::read_file(state.freeze_file()), nullptr, false);
  if (j.is_object()) {
    // Fields of the wrong type (a hand-edited file) are left empty: the freeze holds whatever they say.
    auto text = [&](const char* key) {
      auto it = j.find(key);
      return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    info.reason = text("reason");
    info.who = text("who");
    if (auto since = j.find("since"); since != j.end() && since->is_number_integer()) {
      info.since = since->get<std::time_t>();
    }
  } else {
    info.reason = "(freeze file present, not written by rdnsprov)";
  }
  return info;
}

void freeze(StateDir& state, const std::string& reason, const std::string& who, std::time_t now) {
  nlohmann::json j{{"reason", reason}, {"who", who}, {"since", now}};
  dns::write_file_atomically(state.freeze_file(), j.dump(2) + "\n");
  state.journal().append("freeze", {{"reason", reason}, {"who", who}});
}

bool thaw(StateDir& state, const std::string& who) {
  auto info = frozen(state);
  if (!info) return false;
  std::filesystem::remove(state.freeze_file());
  dns::sync_directory(state.root());
  state.journal().append("thaw", {{"who", who}, {"frozen_since", info->since}, {"reason_was", info->reason}});
  return true;
}

}  // namespace rdnsprov::safeguards
