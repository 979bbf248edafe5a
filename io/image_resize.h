#pragma once

#include "image_buffer.h"

namespace cfx::io {

// Area-averaging resize for radiographs (no aliasing when shrinking), nearest for label maps
// (labels are categories, not intensities).
GrayImage resizeImage(const GrayImage& image, int width, int height);
LabelMap resizeLabels(const LabelMap& labels, int width, int height);

// The counterfactual at the input's own resolution: the model's edit (counterfactual minus
// factual, both at the model's size) upsampled bilinearly and added to the full-resolution input,
// clamped to [0, 1]. Where the model changed nothing the input's pixels come back exactly, so
// detail finer than the model's grid survives; the edit itself is only as sharp as that grid.
GrayImage transferEdit(const GrayImage& input, const GrayImage& factual,
                       const GrayImage& counterfactual);

}  // namespace cfx::io
