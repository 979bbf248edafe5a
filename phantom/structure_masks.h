#pragma once

#include <vector>

#include "anatomy.h"
#include "image_buffer.h"
#include "phantom_scm.h"

namespace cfx::phantom {

// Label values of the data-set format (shared/docs/phantom.md); the graph's mask_label agrees.
enum StructureLabel : std::uint8_t { kBackground = 0, kRightLung = 1, kLeftLung = 2, kHeart = 3 };

struct StructureMasks {
  LabelMap labels;
  double heartSize = 0.0, rightLungSize = 0.0, leftLungSize = 0.0;  // solved shape sizes
};

// Template-frame coordinates of every pixel centre of a size x size image.
std::vector<Point> pixelCentresInTemplate(const Frame& frame, int size);

// Solves each structure's size so that its mask covers exactly the area the attributes ask for
// (to the pixel), heart first because the visible left lung is what the heart leaves of it.
// Throws ValidationError when an area is beyond what this anatomy can show.
StructureMasks solveStructureMasks(const Anatomy& anatomy, const Attributes& attributes,
                                   const std::vector<Point>& pixelCentres, int size);

// Percent of the image covered by `label`.
double labelArea(const LabelMap& labels, std::uint8_t label);

}  // namespace cfx::phantom
