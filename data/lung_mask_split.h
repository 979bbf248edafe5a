#pragma once

#include <utility>

#include "image_buffer.h"

namespace cfx::data {

// One binary mask holding both lungs (non-zero inside), split into the patient's right and left
// lung: the two largest connected regions (8-connected) are the lungs, the one on the image's
// left being the patient's right lung (a PA radiograph is viewed as if facing the patient).
// Smaller regions join the lung whose centre is nearer, unless they are specks (under
// `speckFraction` of the larger lung), which are dropped. Throws std::invalid_argument when the
// mask has fewer than two regions that are not specks.
std::pair<LabelMap, LabelMap> splitLungMask(const LabelMap& both, double speckFraction = 0.02);

}  // namespace cfx::data
