#pragma once

#include <string>

namespace cfx {

// printf-style formatting into a string: the libraries build the tables that the front ends print.
std::string formatText(const char* format, ...) __attribute__((format(printf, 1, 2)));

}  // namespace cfx
