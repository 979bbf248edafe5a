#include "device.h"

#include <torch/cuda.h>

#include "validation_error.h"

namespace cfx {

torch::Device resolveDevice(const std::string& text) {
  if (text == "auto")
    return torch::cuda::is_available() ? torch::Device(torch::kCUDA, 0)
                                       : torch::Device(torch::kCPU);
  if (text == "cpu") return torch::Device(torch::kCPU);
  if (text == "cuda" || text.rfind("cuda:", 0) == 0) {
    if (!torch::cuda::is_available())
      throw ValidationError("--device", text,
                            "no CUDA GPU is available to this LibTorch (Debian's LibTorch is "
                            "CPU-only); use cpu or auto");
    const int index = text == "cuda" ? 0 : std::stoi(text.substr(5));
    if (index < 0 || index >= int(torch::cuda::device_count()))
      throw ValidationError(
          "--device", text,
          "there are " + std::to_string(torch::cuda::device_count()) + " CUDA devices");
    return torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(index));
  }
  throw ValidationError("--device", text, "expected cpu, cuda, cuda:N or auto");
}

std::string describeDevice(const torch::Device& device) {
  return device.str();
}

}  // namespace cfx
