#include "single_channel_convolution.h"

#include "vector_kernel.h"

#include <ATen/Parallel.h>
#include <algorithm>
#include <vector>

namespace cfx {
namespace {

// One output row: out[j][c] = bias[c] + sum over the taps inside the image of
// in[row + ky - padding][j + kx - padding] * taps[ky][kx][c]. The taps are laid out tap-major so
// that the innermost loop runs over the output channels, contiguous in both.
CFX_VECTOR_KERNEL void convolveRow(const float* image, int64_t height, int64_t width, int64_t row,
                                   const float* taps, int64_t kernel, int64_t padding,
                                   const float* bias, int64_t channels, int64_t outWidth,
                                   float* out) {
  for (int64_t j = 0; j < outWidth; ++j) {
    float* o = out + j * channels;
    for (int64_t c = 0; c < channels; ++c) o[c] = bias ? bias[c] : 0.0f;
    for (int64_t ky = 0; ky < kernel; ++ky) {
      const int64_t y = row + ky - padding;
      if (y < 0 || y >= height) continue;
      for (int64_t kx = 0; kx < kernel; ++kx) {
        const int64_t x = j + kx - padding;
        if (x < 0 || x >= width) continue;
        const float v = image[y * width + x];
        const float* t = taps + (ky * kernel + kx) * channels;
        for (int64_t c = 0; c < channels; ++c) o[c] += v * t[c];
      }
    }
  }
}

// Output rows per task: a 128 px row of 48 channels is 24 KiB.
constexpr int64_t kRowsPerTask = 8;

}  // namespace

torch::Tensor convolveSingleChannel(const torch::Tensor& x, const torch::Tensor& weight,
                                    const torch::Tensor& bias, int64_t padding) {
  const auto fp32Cpu = [](const torch::Tensor& t) {
    return t.device().is_cpu() && t.scalar_type() == torch::kFloat;
  };
  const bool gradient =
      torch::GradMode::is_enabled() &&
      (x.requires_grad() || weight.requires_grad() || (bias.defined() && bias.requires_grad()));
  if (gradient || x.dim() != 4 || x.size(1) != 1 || weight.dim() != 4 || weight.size(1) != 1 ||
      weight.size(2) != weight.size(3) || !fp32Cpu(x) || !fp32Cpu(weight) ||
      (bias.defined() && (!fp32Cpu(bias) || bias.numel() != weight.size(0))) || padding < 0)
    return {};
  const int64_t n = x.size(0), height = x.size(2), width = x.size(3);
  const int64_t channels = weight.size(0), kernel = weight.size(2);
  const int64_t outHeight = height + 2 * padding - kernel + 1,
                outWidth = width + 2 * padding - kernel + 1;
  if (outHeight < 1 || outWidth < 1) return {};
  const auto image = x.contiguous();
  // [channels, 1, k, k] -> [k * k, channels]
  const auto taps = weight.reshape({channels, kernel * kernel}).t().contiguous();
  const auto b = bias.defined() ? bias.contiguous() : bias;
  auto out = at::empty({n, channels, outHeight, outWidth},
                       x.options().memory_format(at::MemoryFormat::ChannelsLast));
  const float* in = image.data_ptr<float>();
  const float* t = taps.data_ptr<float>();
  const float* biasData = b.defined() ? b.data_ptr<float>() : nullptr;
  float* o = out.data_ptr<float>();
  at::parallel_for(0, n * outHeight, kRowsPerTask, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      const int64_t item = r / outHeight, row = r % outHeight;
      convolveRow(in + item * height * width, height, width, row, t, kernel, padding, biasData,
                  channels, outWidth, o + r * outWidth * channels);
    }
  });
  return out;
}

}  // namespace cfx
