#pragma once

#include <string>

namespace cfx {

// printf-style formatting into a string: the libraries build the tables that the front ends print.
std::string formatText(const char* format, ...) __attribute__((format(printf, 1, 2)));

// One number for a table cell: "-" for NaN (a statistic with no samples), else as `spec` says.
std::string formatCell(double value, const char* spec = "%.3f");

// ASCII lower case, for matching names and units written in any case ("Male", ".IMG", "035Y").
std::string lowerCase(std::string text);

}  // namespace cfx
