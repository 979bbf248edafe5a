#pragma once

#include <torch/types.h>

#include "argument_parser.h"

namespace cfx::cli {

// --device and --threads, shared by every command that runs a model.
void declareRuntimeOptions(ArgumentParser& parser, const char* deviceHelp = "where to run");
// Sets LibTorch's CPU thread count (it defaults to one here) and returns the device asked for.
torch::Device applyRuntimeOptions(const ArgumentParser& parser);

}  // namespace cfx::cli
