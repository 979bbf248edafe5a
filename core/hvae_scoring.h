#pragma once

#include <cstdint>

#include "hvae.h"

namespace cfx {

// Images per forward pass when a whole split is scored.
constexpr int64_t kEvaluationBatch = 32;

// Mean NELBO (nats per dimension) and its parts over a whole image set ([N, 1, S, S] images,
// [N, P] encoded parents), in batches of kEvaluationBatch.
HvaeLoss hvaeLossOn(HvaeImpl& hvae, const torch::Tensor& images, const torch::Tensor& parents,
                    const torch::Device& device);

// 8-bit quantisation of images in [-1, 1]: the discretised likelihood models 256 grey levels.
torch::Tensor quantise(const torch::Tensor& images);

}  // namespace cfx
