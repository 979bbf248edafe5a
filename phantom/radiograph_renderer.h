#pragma once

#include <vector>

#include "anatomy.h"
#include "image_buffer.h"

namespace cfx::phantom {

// How far (in pixels) a change of a structure mask can reach in the rendered image: the support
// of the boundary blur. Pixels farther than this from every changed mask pixel are bit-identical.
int blurRadiusPixels(const Anatomy& anatomy, int size);

// Renders a PA chest radiograph from the subject's anatomy and its structure label map. Every
// term that depends on the structures is a pointwise function of the blurred masks, and every
// other term is fixed by the anatomy; that is what keeps true counterfactuals local.
GrayImage renderRadiograph(const Anatomy& anatomy, const LabelMap& labels,
                           const std::vector<Point>& pixelCentres);

}  // namespace cfx::phantom
