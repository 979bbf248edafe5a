#pragma once

#include <torch/cuda.h>
#include <torch/types.h>
#include <chrono>

namespace cfx {

// Milliseconds between laps of work on one device. GPU work is asynchronous: a lap on a CUDA
// device waits for it first, so each lap holds the time of the work issued in it.
class Stopwatch {
 public:
  explicit Stopwatch(const torch::Device& device) : device_(device) {}
  double lap() {
    if (device_.is_cuda()) torch::cuda::synchronize();
    const auto now = std::chrono::steady_clock::now();
    const double ms = std::chrono::duration<double, std::milli>(now - last_).count();
    last_ = now;
    return ms;
  }

 private:
  torch::Device device_;
  std::chrono::steady_clock::time_point last_ = std::chrono::steady_clock::now();
};

}  // namespace cfx
