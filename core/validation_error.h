#pragma once

#include <stdexcept>
#include <string>

namespace cfx {

// Thrown for bad configuration or data. The message always names where the problem is (a file or
// other source), what is wrong (a field, row or tensor) and what was expected, so that a user can
// fix the input without reading our code.
class ValidationError : public std::runtime_error {
 public:
  ValidationError(const std::string& source, const std::string& where, const std::string& problem)
      : std::runtime_error(source + ": " + where + ": " + problem) {}
  explicit ValidationError(const std::string& message) : std::runtime_error(message) {}
};

}  // namespace cfx
