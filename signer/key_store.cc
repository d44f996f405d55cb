#include "signer/key_store.h"

#include <sys/stat.h>

#include <algorithm>
#include <system_error>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "dns/atomic_file.h"

namespace rdnsprov::signer {
namespace {

struct JsonTimingField {
  const char* name;
  std::optional<std::int64_t> KeyTiming::*member;
};
constexpr JsonTimingField kJsonTimingFields[] = {
    {"created", &KeyTiming::created},   {"publish", &KeyTiming::publish}, {"activate", &KeyTiming::activate},
    {"inactive", &KeyTiming::inactive}, {"delete", &KeyTiming::deletion},
};

struct JsonRolloverField {
  const char* name;
  std::optional<std::int64_t> KeyState::*member;
};
constexpr JsonRolloverField kJsonRolloverFields[] = {
    {"dnskey_seen", &KeyState::dnskey_seen},   {"signatures_gone", &KeyState::signatures_gone},
    {"dnskey_gone", &KeyState::dnskey_gone},   {"ds_published", &KeyState::ds_published},
    {"ds_removable", &KeyState::ds_removable}, {"signatures_seen", &KeyState::signatures_seen},
    {"rollover_requested", &KeyState::rollover_requested},
};

int role_rank(KeyRole role) {
  switch (role) {
    case KeyRole::kKsk: return 0;
    case KeyRole::kCsk: return 1;
    case KeyRole::kZsk: return 2;
  }
  return 3;
}

}  // namespace

bool StoredKey::published(std::int64_t now) const {
  if (state.rollover_step == "ksk-ds-pending" || state.rollover_step == "ksk-ds-seen" || signs_unpublished()) {
    return false;
  }
  const KeyTiming& t = state.timing;
  std::optional<std::int64_t> start = t.publish ? t.publish : t.activate;
  if (start && *start > now) return false;
  return !(t.deletion && *t.deletion <= now);
}

bool StoredKey::signs_unpublished() const {
  return state.rollover_step == "keyset-signatures-first" || state.rollover_step == "keyset-signatures-last";
}

bool StoredKey::active(std::int64_t now) const {
  const KeyTiming& t = state.timing;
  if (!published(now)) return false;
  if (t.activate ? *t.activate > now : t.publish.has_value()) return false;
  return !(t.inactive && *t.inactive <= now);
}

std::string key_state_to_json(const KeyState& state, std::uint8_t algorithm) {
  nlohmann::ordered_json j;
  j["algorithm"] = algorithm;
  j["role"] = std::string(key_role_to_text(state.role));
  for (const JsonTimingField& field : kJsonTimingFields) {
    if (auto value = state.timing.*field.member) j[field.name] = *value;
  }
  j["rollover_step"] = state.rollover_step;
  if (state.successor) j["successor"] = *state.successor;
  if (state.predecessor) j["predecessor"] = *state.predecessor;
  for (const JsonRolloverField& field : kJsonRolloverFields) {
    if (auto value = state.*field.member) j[field.name] = *value;
  }
  return j.dump(2) + "\n";
}

dns::Result<KeyState> key_state_from_json(std::string_view text) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return dns::error("not a JSON object");
  KeyState state;
  auto role = j.find("role");
  if (role == j.end() || !role->is_string()) return dns::error("no \"role\"");
  auto parsed_role = key_role_from_text(role->get<std::string>());
  if (!parsed_role) return dns::error(fmt::format("role \"{}\" is not ksk, zsk or csk", role->get<std::string>()));
  state.role = *parsed_role;
  for (const JsonTimingField& field : kJsonTimingFields) {
    auto it = j.find(field.name);
    if (it == j.end() || it->is_null()) continue;
    if (!it->is_number_integer()) return dns::error(fmt::format("\"{}\" is not a number of seconds", field.name));
    state.timing.*field.member = it->get<std::int64_t>();
  }
  if (auto step = j.find("rollover_step"); step != j.end()) {
    if (!step->is_string()) return dns::error("\"rollover_step\" is not a string");
    state.rollover_step = step->get<std::string>();
  }
  for (auto [name, member] : {std::pair{"successor", &KeyState::successor}, std::pair{"predecessor", &KeyState::predecessor}}) {
    auto it = j.find(name);
    if (it == j.end() || it->is_null()) continue;
    if (!it->is_number_unsigned() || it->get<std::uint64_t>() > 65535) return dns::error(fmt::format("\"{}\" is not a key tag", name));
    state.*member = static_cast<std::uint16_t>(it->get<std::uint64_t>());
  }
  for (const JsonRolloverField& field : kJsonRolloverFields) {
    auto it = j.find(field.name);
    if (it == j.end() || it->is_null()) continue;
    if (!it->is_number_integer()) return dns::error(fmt::format("\"{}\" is not a number of seconds", field.name));
    state.*field.member = it->get<std::int64_t>();
  }
  return state;
}

KeyStore::KeyStore(std::filesystem::path directory, dns::Name zone)
    : directory_(std::move(directory)), zone_(std::move(zone)) {}

std::filesystem::path KeyStore::state_file(const StoredKey& key) const {
  return directory_ / fmt::format("{}.state", key.key.key_tag());
}

dns::Result<std::vector<StoredKey>> KeyStore::load() const {
  std::vector<StoredKey> keys;
  std::error_code ec;
  if (!std::filesystem::exists(directory_, ec)) return keys;
  std::vector<std::filesystem::path> key_files;
  for (const auto& entry : std::filesystem::directory_iterator(directory_, ec)) {
    std::string name = entry.path().filename().string();
    if (name.starts_with("K") && name.ends_with(".key")) key_files.push_back(entry.path());
  }
  if (ec) return dns::error(fmt::format("cannot list {}: {}", directory_.string(), ec.message()));
  std::sort(key_files.begin(), key_files.end());
  for (const auto& path : key_files) {
    KeyTiming timing;
    auto key = DnssecKey::load_bind_files(path, &timing);
    if (!key) return dns::error(key.error());
    if (key->zone() != zone_) {
      return dns::error(fmt::format("{} is a key of {}, not of {}", path.string(), key->zone().to_text(), zone_.to_text()));
    }
    StoredKey stored{std::move(*key), KeyState{}, path};
    stored.state.role = stored.key.is_sep() ? KeyRole::kKsk : KeyRole::kZsk;
    stored.state.timing = timing;
    std::filesystem::path state_path = state_file(stored);
    if (std::filesystem::exists(state_path, ec)) {
      std::string text;
      try {
        text = dns::read_file(state_path);
      } catch (const std::system_error& e) {
        return dns::error(e.what());
      }
      auto state = key_state_from_json(text);
      if (!state) return dns::error(fmt::format("{}: {}", state_path.string(), state.error()));
      stored.state = std::move(*state);
    }
    keys.push_back(std::move(stored));
  }
  std::sort(keys.begin(), keys.end(), [](const StoredKey& a, const StoredKey& b) {
    if (role_rank(a.state.role) != role_rank(b.state.role)) return role_rank(a.state.role) < role_rank(b.state.role);
    return a.key.key_tag() < b.key.key_tag();
  });
  return keys;
}

StoredKey KeyStore::generate(KeyRole role, const SigningPolicy& policy, std::int64_t now,
                             std::span<const StoredKey> existing) const {
  std::filesystem::create_directories(directory_);
  ::chmod(directory_.c_str(), 0700);
  // A key tag no other key of the zone has, so that RRSIGs and state files name one key (as dnssec-keygen does).
  auto taken = [&](std::uint16_t tag) {
    return std::any_of(existing.begin(), existing.end(), [&](const StoredKey& k) { return k.key.key_tag() == tag; });
  };
  DnssecKey key = DnssecKey::generate(zone_, policy.algorithm, role, policy.rsa_bits);
  for (int attempt = 0; taken(key.key_tag()) && attempt < 16; ++attempt) {
    key = DnssecKey::generate(zone_, policy.algorithm, role, policy.rsa_bits);
  }
  KeyState state;
  state.role = role;
  state.timing.created = now;
  state.timing.publish = now;
  state.timing.activate = now;
  std::filesystem::path key_file = key.write_bind_files(directory_, state.timing);
  StoredKey stored{std::move(key), std::move(state), std::move(key_file)};
  save_state(stored);
  return stored;
}

void KeyStore::save_state(const StoredKey& key) const {
  dns::write_file_atomically(state_file(key), key_state_to_json(key.state, key.key.algorithm()), 0600);
}

void KeyStore::save(const StoredKey& key) const {
  key.key.write_bind_files(directory_, key.state.timing);
  save_state(key);
}

dns::Result<std::vector<StoredKey>> KeyStore::ensure_keys(const SigningPolicy& policy, std::int64_t now) const {
  auto loaded = load();
  if (!loaded) return loaded;
  std::vector<StoredKey> keys = std::move(*loaded);
  auto has_active = [&](KeyRole role) {
    return std::any_of(keys.begin(), keys.end(), [&](const StoredKey& k) {
      return k.state.role == role && k.key.algorithm() == policy.algorithm && k.in_service(now);
    });
  };
  std::vector<KeyRole> wanted = policy.key_layout == KeyLayout::kCsk ? std::vector<KeyRole>{KeyRole::kCsk}
                                                                     : std::vector<KeyRole>{KeyRole::kKsk, KeyRole::kZsk};
  for (KeyRole role : wanted) {
    if (!has_active(role)) keys.push_back(generate(role, policy, now, keys));
  }
  return keys;
}

std::vector<StoredKey> published_keys(std::span<const StoredKey> keys, std::int64_t now) {
  std::vector<StoredKey> out;
  for (const StoredKey& k : keys) {
    if (k.published(now)) out.push_back(k);
  }
  return out;
}

std::vector<StoredKey> active_keys(std::span<const StoredKey> keys, std::int64_t now) {
  std::vector<StoredKey> out;
  for (const StoredKey& k : keys) {
    if (k.active(now)) out.push_back(k);
  }
  return out;
}

std::vector<SigningKey> signing_keys(std::span<const StoredKey> keys, std::int64_t now) {
  std::vector<SigningKey> out;
  for (const StoredKey& k : keys) {
    if (k.published(now)) {
      out.push_back(SigningKey{k.key, k.state.role, k.active(now)});
    } else if (k.signs_unpublished() && k.state.role != KeyRole::kKsk) {
      out.push_back(SigningKey{k.key, k.state.role, true, false, false});
    }
  }
  return out;
}

}  // namespace rdnsprov::signer
