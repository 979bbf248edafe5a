#pragma once

#include <string>
#include <vector>

#include "argument_parser.h"
#include "stage.h"

namespace cfx::cli {

// The options every image-network stage shares (data, schedule, seed, device, threads).
void declareStageOptions(ArgumentParser& parser, const char* steps, const char* batch,
                         const char* lr);
// Reads them (and sets the CPU threads); `command` and `arguments` are recorded with the model.
training::StageOptions stageOptions(const ArgumentParser& parser, const std::string& command,
                                    const std::vector<std::string>& arguments);

}  // namespace cfx::cli
