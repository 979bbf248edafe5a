#pragma once

#include <string>
#include <vector>

namespace cfx::data {

// The fields of one CSV record (RFC 4180 quoting, no embedded newlines; a trailing carriage
// return is dropped). `ok` is false when a quote is left open.
std::vector<std::string> splitCsvRecord(const std::string& line, bool& ok);

}  // namespace cfx::data
