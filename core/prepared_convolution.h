#pragma once

#include <torch/torch.h>
#include <memory>

#include "trainable_convolution.h"

namespace cfx {

// One convolution's oneDNN primitives, made once for each input shape and kept, with the weights
// reordered once into the layout the primitive wants. Going through LibTorch, every call builds
// the primitive's description again and reorders the weights: 25-45 us a call whatever the size,
// where the arithmetic of the small layers of the HVAE (32 px and below, 80 of the 110
// convolutions of a slider move) takes 1-13 us. Inference only: it serves fp32 CPU tensors of any
// dense layout when no gradient is wanted, and answers an undefined tensor otherwise (and in a
// build without oneDNN's headers), so that the caller takes LibTorch's path. A change of the
// weights (their version counter or storage) makes it prepare them again. Copies start empty.
// Thread-safe: calls on one object run one at a time. Where a gradient is recorded, the call
// goes to its TrainableConvolution (training's primitives) instead.
class PreparedConvolution {
 public:
  PreparedConvolution();
  ~PreparedConvolution();
  PreparedConvolution(const PreparedConvolution&);
  PreparedConvolution& operator=(const PreparedConvolution&);

  // Stride 1, the given padding on every side; bias may be undefined. Channels-last out.
  torch::Tensor operator()(const torch::Tensor& x, const torch::Tensor& weight,
                           const torch::Tensor& bias, int64_t padding);

  // conv(GELU(x)) for a 1x1 convolution of a channels-last x, band of rows by band: the GELU's
  // output stays in the cache for the convolution to read, where a separate GELU writes a whole
  // activation (3 MiB at 128 px, 48 channels) to memory and the convolution reads it back.
  // Only where the GELU kernel pays (fastGeluPays: AVX-512). Up to 4 output channels (the HVAE's
  // head), for which oneDNN has only its reference kernel, a direct loop of our own (fast_gelu)
  // serves, in any build. Undefined where operator() would be, or for another kernel size or
  // layout.
  torch::Tensor geluThenPointwise(const torch::Tensor& x, const torch::Tensor& weight,
                                  const torch::Tensor& bias);

  // Whether this build can prepare convolutions at all (oneDNN's headers were found).
  static bool available();

  // How many primitives (or refusals) are kept: one per input shape and thread count.
  size_t kept() const;

 private:
  struct Cache;
  std::unique_ptr<Cache> cache_;
  TrainableConvolution trainable_;
};

}  // namespace cfx
