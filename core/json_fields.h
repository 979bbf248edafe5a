#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <type_traits>

#include "validation_error.h"

namespace cfx {

// Typed access to one key of a JSON object read from `source`: a missing key or a value of the
// wrong type is a ValidationError naming the file and `where.key` and showing the value, instead
// of nlohmann's "type must be number, but is string" without a name.
template <typename T>
T jsonField(const nlohmann::json& object, const std::string& key, const std::string& source,
            const std::string& where) {
  const std::string field = where + "." + key;
  if (!object.is_object()) throw ValidationError(source, where, "expected an object");
  if (!object.contains(key)) throw ValidationError(source, field, "missing");
  // nlohmann turns 1.5 into 1 for an integer; a count or a size must be written as one.
  if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>)
    if (!object.at(key).is_number_integer())
      throw ValidationError(source, field, "expected an integer, got " + object.at(key).dump());
  try {
    return object.at(key).get<T>();
  } catch (const nlohmann::json::exception&) {
    throw ValidationError(source, field, "a value of the wrong type: " + object.at(key).dump());
  }
}

// The same with a value for a missing key.
template <typename T>
T jsonField(const nlohmann::json& object, const std::string& key, const T& fallback,
            const std::string& source, const std::string& where) {
  if (object.is_object() && !object.contains(key)) return fallback;
  return jsonField<T>(object, key, source, where);
}

// Network sizes read from a model folder must be plausible before anything is allocated for them:
// a configuration is data anyone can edit, and a width of 10^9 would build a network of that size.
inline void checkRange(std::int64_t value, std::int64_t min, std::int64_t max,
                       const std::string& source, const std::string& field) {
  if (value < min || value > max)
    throw ValidationError(source, field,
                          "expected " + std::to_string(min) + "-" + std::to_string(max) + ", got " +
                              std::to_string(value));
}

}  // namespace cfx
