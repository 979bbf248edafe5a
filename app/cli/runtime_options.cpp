#include "runtime_options.h"

#include <algorithm>
#include <stdexcept>
#include <thread>

#include "device.h"

namespace cfx::cli {

void declareRuntimeOptions(ArgumentParser& parser, const char* deviceHelp) {
  parser.option("device", "cpu|cuda|auto", deviceHelp, "auto");
  declareThreadsOption(parser);
}

void declareThreadsOption(ArgumentParser& parser) {
  parser.option("threads", "T|auto",
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
                "arithmetic of the HVAE's convolutions (weights and sums stay fp32); bf16 halves "
                "their memory traffic but, with LibTorch 1.13's CPU kernels, is not faster; its "
                "images differ from fp32's by 0.3 grey levels on average (auto: bf16 where the "
                "hardware has it)",
                "fp32");
}

Precision precisionOption(const ArgumentParser& parser, const torch::Device& device) {
  return parsePrecision(parser.get("precision"), device);
}

}  // namespace cfx::cli
