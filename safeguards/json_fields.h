// Typed fields of the JSON files rdnsprov reads back from its state directory (published/<zone>.json, snapshot
// manifests). nlohmann's get<std::uint32_t>() turns a negative number into a huge one and a float into an
// integer (undefined behaviour when it is out of range); a hand-edited or damaged file must instead be refused
// like any other malformed one, with a json::exception that names the field.
//
//   meta.serial = integer_field<std::uint32_t>(j, "serial");   // throws unless an integer in 0 … 2^32-1
//   bool kept = optional_bool_field(j, "still_served");        // false when absent; throws unless a boolean
//   meta.file_sha256 = string_field(j, "file_sha256");         // throws unless a string
#pragma once

#include <cstdint>
#include <limits>
#include <string>

#include <nlohmann/json.hpp>

namespace rdnsprov::safeguards {

template <typename Integer>
Integer integer_value(const nlohmann::json& value, const std::string& what) {
  bool ok = false;
  if (value.is_number_unsigned()) {
    ok = value.get<std::uint64_t>() <= static_cast<std::uint64_t>(std::numeric_limits<Integer>::max());
  } else if (value.is_number_integer()) {
    auto v = value.get<std::int64_t>();
    ok = (std::numeric_limits<Integer>::is_signed ? v >= static_cast<std::int64_t>(std::numeric_limits<Integer>::min())
                                                  : v >= 0) &&
         (static_cast<std::uint64_t>(std::numeric_limits<Integer>::max()) > std::numeric_limits<std::int64_t>::max() ||
          v <= static_cast<std::int64_t>(std::numeric_limits<Integer>::max()));
  }
  if (!ok) {
    throw nlohmann::json::other_error::create(
        502, "\"" + what + "\" is not an integer from " + std::to_string(std::numeric_limits<Integer>::min()) + " to " +
                 std::to_string(std::numeric_limits<Integer>::max()),
        nullptr);
  }
  return value.get<Integer>();
}

template <typename Integer>
Integer integer_field(const nlohmann::json& object, const char* key) {
  return integer_value<Integer>(object.at(key), key);
}

// An optional true/false field: false when absent.
inline bool optional_bool_field(const nlohmann::json& object, const char* key) {
  if (!object.contains(key)) return false;
  const nlohmann::json& value = object.at(key);
  if (!value.is_boolean()) {
    throw nlohmann::json::other_error::create(502, "\"" + std::string(key) + "\" is not true or false", nullptr);
  }
  return value.get<bool>();
}

// A text field.
inline std::string string_field(const nlohmann::json& object, const char* key) {
  const nlohmann::json& value = object.at(key);
  if (!value.is_string()) {
    throw nlohmann::json::other_error::create(502, "\"" + std::string(key) + "\" is not a string", nullptr);
  }
  return value.get<std::string>();
}

}  // namespace rdnsprov::safeguards
