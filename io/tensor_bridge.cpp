#include "tensor_bridge.h"

#include <torch/torch.h>

#include <cstring>

#include "io_error.h"

namespace cfx::io {

torch::Tensor toTensor(const GrayImage& image) {
  auto t = torch::from_blob(const_cast<float*>(image.pixels.data()),
                            {1, 1, image.height, image.width}, torch::kFloat32);
  return t.clone().mul_(2.0).sub_(1.0);
}

GrayImage fromTensor(const torch::Tensor& tensor) {
  torch::Tensor t = tensor.detach().to(torch::kCPU, torch::kFloat32);
  while (t.dim() > 2 && t.size(0) == 1) t = t.squeeze(0);
  if (t.dim() != 2)
    throw IoError("tensor", "shape",
                  "expected [H, W] or [1, 1, H, W], got " + std::to_string(tensor.dim()) + " dims");
  t = t.clamp(-1.0, 1.0).add(1.0).mul(0.5).contiguous();
  GrayImage image(int(t.size(1)), int(t.size(0)));
  std::memcpy(image.pixels.data(), t.data_ptr<float>(), image.pixels.size() * sizeof(float));
  return image;
}

}  // namespace cfx::io
