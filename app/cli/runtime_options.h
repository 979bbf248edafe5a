#pragma once

#include <torch/types.h>

#include "argument_parser.h"
#include "precision.h"
#include "thread_budget.h"

namespace cfx::cli {

// --device and --threads, shared by every command that runs a model.
void declareRuntimeOptions(ArgumentParser& parser, const char* deviceHelp = "where to run");
// --threads alone, for a command that chooses its devices itself (cfx bench).
void declareThreadsOption(ArgumentParser& parser);
// Sets LibTorch's CPU thread count (it defaults to one here) for the command and returns the
// device asked for.
torch::Device applyRuntimeOptions(const ArgumentParser& parser);
// --threads as a budget the command can apply again before each piece of work.
io::ThreadBudget threadBudget(const ArgumentParser& parser);
// --precision, for the commands that run the HVAE.
void declarePrecisionOption(ArgumentParser& parser);
Precision precisionOption(const ArgumentParser& parser, const torch::Device& device);

}  // namespace cfx::cli
