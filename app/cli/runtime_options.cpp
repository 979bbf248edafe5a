#include "runtime_options.h"

#include <torch/torch.h>
#include <algorithm>
#include <thread>

#include "device.h"

namespace cfx::cli {

void declareRuntimeOptions(ArgumentParser& parser, const char* deviceHelp) {
  parser.option("device", "cpu|cuda|auto", deviceHelp, "auto")
      .option("threads", "T", "CPU threads",
              std::to_string(std::max(1u, std::thread::hardware_concurrency())));
}

torch::Device applyRuntimeOptions(const ArgumentParser& parser) {
  torch::set_num_threads(int(parser.getInteger("threads", 1, 256)));
  return resolveDevice(parser.get("device"));
}

}  // namespace cfx::cli
