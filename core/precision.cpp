#include "precision.h"

#include "validation_error.h"

namespace cfx {

bool hasNativeBFloat16(const torch::Device& device) {
  if (device.is_cuda()) return true;
#if defined(__x86_64__) && defined(__GNUC__)
  return __builtin_cpu_supports("avx512bf16");
#else
  return false;
#endif
}

Precision parsePrecision(const std::string& text, const torch::Device& device) {
  if (text == "fp32") return Precision::Float32;
  if (text == "bf16") return Precision::BFloat16;
  if (text == "auto") return hasNativeBFloat16(device) ? Precision::BFloat16 : Precision::Float32;
  throw ValidationError("--precision", text, "expected fp32, bf16 or auto");
}

std::string precisionName(Precision precision) {
  return precision == Precision::BFloat16 ? "bf16" : "fp32";
}

torch::ScalarType computeType(Precision precision) {
  return precision == Precision::BFloat16 ? torch::kBFloat16 : torch::kFloat;
}

}  // namespace cfx
