#pragma once

#include <exception>
#include <string>

namespace cfx {

// What to tell a user about an exception: LibTorch's errors without the C++ backtrace they carry
// (25 frames of it, useful only to us: `cfx --verbose` keeps it), everything else as it says.
std::string errorText(const std::exception& error, bool withBacktrace = false);

}  // namespace cfx
