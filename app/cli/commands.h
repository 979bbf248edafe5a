#pragma once

#include <string>
#include <vector>

namespace cfx::cli {

// Runs `cfx` with its arguments (without the program name); returns the exit status: 0 success,
// 1 an error in the input or the work (the message is printed), 2 a usage error, 130 interrupted.
int runCfx(const std::vector<std::string>& arguments);

}  // namespace cfx::cli
