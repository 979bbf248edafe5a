#pragma once

#include "image_buffer.h"

namespace cfx::io {

// Area-averaging resize for radiographs (no aliasing when shrinking), nearest for label maps
// (labels are categories, not intensities).
GrayImage resizeImage(const GrayImage& image, int width, int height);
LabelMap resizeLabels(const LabelMap& labels, int width, int height);

}  // namespace cfx::io
