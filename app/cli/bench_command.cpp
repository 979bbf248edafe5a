#include "bench_command.h"

#include <ATen/Parallel.h>
#include <torch/cuda.h>
#include <cstdio>
#include <sstream>
#include <thread>

#include "argument_parser.h"
#include "device.h"
#include "engine_benchmark.h"

namespace cfx::cli {

int runBenchCommand(const std::vector<std::string>& arguments) {
  ArgumentParser parser(
      "cfx bench",
      "Time the engine with the default architectures (random weights: the cost does not depend\n"
      "on them): abduction once per image, one prediction per intervention (a slider move: SCM,\n"
      "one HVAE decoder pass, the segmentor's areas), and HVAE training images per second.");
  parser.option("sizes", "LIST", "image sizes", "64,128,256")
      .option("devices", "LIST", "cpu, cuda, or both (cuda only where LibTorch has a GPU)",
              "cpu,cuda")
      .option("repeats", "N", "timed repetitions (median reported)", "15")
      .option("batch", "B", "training batch size", "8")
      .option("threads", "T", "CPU threads",
              std::to_string(std::max(1u, std::thread::hardware_concurrency())));
  if (!parser.parse(arguments)) return 0;
  torch::set_num_threads(int(parser.getInteger("threads", 1, 256)));
  const int repeats = int(parser.getInteger("repeats", 1, 10000));
  const int64_t batch = parser.getInteger("batch", 1, 1024);
  std::vector<int64_t> sizes;
  std::stringstream list(parser.get("sizes"));
  for (std::string item; std::getline(list, item, ',');) {
    const int64_t size = std::stoll(item);
    if (size < 16 || (size & (size - 1)) != 0)
      throw UsageError("--sizes: each size must be a power of two >= 16");
    sizes.push_back(size);
  }
  std::vector<torch::Device> devices;
  std::stringstream deviceList(parser.get("devices"));
  for (std::string item; std::getline(deviceList, item, ',');) {
    if (item == "cuda" && !torch::cuda::is_available()) {
      std::printf("cuda: not available to this LibTorch; skipped\n");
      continue;
    }
    devices.push_back(resolveDevice(item));
  }

  std::printf("%-8s %6s %16s %20s %18s\n", "device", "size", "abduction (ms)", "prediction (ms)",
              "training (img/s)");
  for (const auto& device : devices)
    for (const int64_t size : sizes) {
      const auto t = evaluation::benchmarkEngine(size, device, repeats, batch);
      std::printf("%-8s %6lld %16.1f %20.1f %18.1f\n", device.str().c_str(),
                  static_cast<long long>(size), t.abductionMs, t.predictionMs,
                  t.trainingImagesPerSecond);
      std::fflush(stdout);
    }
  return 0;
}

}  // namespace cfx::cli
