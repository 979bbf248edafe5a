#include "runtime_options.h"

#include <algorithm>
#include <stdexcept>
#include <thread>

#include "device.h"

namespace cfx::cli {

void declareRuntimeOptions(ArgumentParser& parser, const char* deviceHelp) {
  parser.option("device", "cpu|cuda|auto", deviceHelp, "auto")
      .option("threads", "T|auto",
              "CPU threads; auto takes the cores no other process is busy on (at least one)",
              "auto");
}

io::ThreadBudget threadBudget(const ArgumentParser& parser) {
  try {
    return io::ThreadBudget(io::parseThreadCount(parser.get("threads").c_str()),
                            int(std::max(1u, std::thread::hardware_concurrency())));
  } catch (const std::invalid_argument& e) {
    throw UsageError(std::string("--threads: ") + e.what());
  }
}

torch::Device applyRuntimeOptions(const ArgumentParser& parser) {
  threadBudget(parser).apply();
  return resolveDevice(parser.get("device"));
}

void declarePrecisionOption(ArgumentParser& parser) {
  parser.option("precision", "fp32|bf16|auto",
                "arithmetic of the HVAE's convolutions; bf16 is about twice as fast where the "
                "CPU has AVX512-BF16 (auto picks it there) and differs by at most 2 grey levels",
                "fp32");
}

Precision precisionOption(const ArgumentParser& parser, const torch::Device& device) {
  return parsePrecision(parser.get("precision"), device);
}

}  // namespace cfx::cli
