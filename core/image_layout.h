#pragma once

#include <torch/torch.h>

namespace cfx {

// Activations of the image networks on the CPU are kept channels-last (NHWC): oneDNN convolves
// that layout without reordering it, where NCHW costs a reorder on the way in and out of every
// convolution (2-4x the convolution itself for the thin layers here). Elsewhere: unchanged.
torch::Tensor preferredLayout(const torch::Tensor& x);

// GELU (exact, erf) in any layout. LibTorch's kernel takes a slow strided path on channels-last
// tensors; their memory is one contiguous NHWC block, so it runs on that view instead. bf16 in,
// bf16 out, computed in fp32.
torch::Tensor geluAnyLayout(const torch::Tensor& x);

// x ([N, C, H, W]) plus a per-image bias ([N, C] or [N, C, 1, 1]) at every pixel. On a
// channels-last x the sum runs on its NHWC view, so that in training the bias's gradient, a sum
// over the pixels, reads whole rows: LibTorch 1.13 summed the NCHW-ordered view of the same
// memory element by element (54 of a training step's 617 ms at 128 px, batch 8).
torch::Tensor addPerImageBias(const torch::Tensor& x, const torch::Tensor& bias);

// x, whose gradient in training is handed on channels-last whatever layout it arrives in. The
// likelihood reads the decoder's output through narrowed views whose gradients LibTorch builds
// in NCHW; from there every gradient of the decoder and the encoder came NCHW against NHWC
// activations: each convolution's gradient reordered, each sum of two gradients ran LibTorch's
// slow mixed-layout path.
torch::Tensor withChannelsLastGradient(const torch::Tensor& x);

// The mean of each factor x factor block (avg_pool2d with kernel and stride `factor`). An fp32
// channels-last x whose sides factor divides runs through our own loop, in training with its own
// gradient: LibTorch 1.13's backward zero-filled the whole gradient and scattered into it (5 %
// of a training step at 128 px); anything else goes to LibTorch.
torch::Tensor averagePool(const torch::Tensor& x, int64_t factor);

// Nearest-neighbour upsampling to height x width (whole multiples of x's sides), in the preferred
// layout. Channels-last fp32 input is copied row by row (LibTorch's kernel and the layout change
// after it took 0.3 ms for a 12-channel 128 px map), in training with its own gradient (block
// sums of the NHWC gradient); anything else goes to LibTorch.
torch::Tensor upsampleNearest(const torch::Tensor& x, int64_t height, int64_t width);

// coarse upsampled (nearest neighbour) to fine's size, plus fine, without materialising the
// upsampled copy: the sum reads coarse through a broadcast. fine's sides are whole multiples of
// coarse's. The same numbers as upsample_nearest2d(coarse) + fine, in fine's layout. An fp32
// channels-last fine runs through one loop, in training too, with coarse's gradient the block
// sums of the NHWC gradient.
torch::Tensor addUpsampled(const torch::Tensor& coarse, const torch::Tensor& fine);

}  // namespace cfx
