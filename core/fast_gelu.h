#pragma once

#include <torch/torch.h>

namespace cfx {

// The exact (erf) GELU of an fp32 CPU tensor whose memory is one dense block (contiguous or
// channels-last), for inference: no autograd graph. LibTorch 1.13's kernel costs about 1 ns an
// element here (0.8 ms for one 48-channel 128 px activation, about a third of a slider move's
// GELUs and convolutions together); this one evaluates erf as a rational function that the
// compiler vectorises (erf within 6.2e-8; the GELU within 3e-7 of LibTorch's relative to |x|).
// Returns an undefined tensor when x is not such a tensor, or the CPU lacks AVX-512 (the caller
// falls back).
torch::Tensor fastGelu(const torch::Tensor& x);

// The same GELU for training: differentiable, its gradient Phi(x) + x phi(x) computed by a
// kernel of the same kind (with LibTorch 1.13 a training step spent a quarter of its time in
// LibTorch's GELU and its gradient). Within 1e-6 of LibTorch's gradient relative to the incoming
// one. Undefined where fastGelu's conditions other than the gradient fail.
torch::Tensor trainableFastGelu(const torch::Tensor& x);

// Whether this CPU runs the kernels below faster than LibTorch's GELU: with AVX-512 they take
// 0.46 ns an element here against LibTorch's 1.1; compiled for AVX2 they take 1.6, so on such
// CPUs fastGelu declines and geluThenPointwise is not used.
bool fastGeluPays();

// The kernel itself on n floats (out may be in).
void geluErf(const float* in, float* out, int64_t n);

// out[p][k] = bias[k] + sum over c of GELU(in[p][c]) weight[k][c], for `pixels` rows of
// `channels` values (a channels-last map) and a [outputs, channels] weight: a 1x1 convolution of a
// GELU with few outputs (the HVAE's head: 2), for which oneDNN has only its reference kernel.
// The GELU of a block of rows stays in the cache; bias may be null.
void geluThenProject(const float* in, int64_t pixels, int64_t channels, const float* weight,
                     int64_t outputs, const float* bias, float* out);

// How many threads an at::parallel_for of n one-element tasks in this file ran on. The loop
// kernels here, in image_layout and in single_channel_convolution split their work only because
// those files are compiled with OpenMP (at::parallel_for is a header template; elsewhere it runs
// the whole range on the calling thread): the tests check it.
int threadsUsedByLoopKernels(int64_t n);

}  // namespace cfx
