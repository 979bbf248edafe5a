#pragma once

#include <string>

#include "image_buffer.h"
#include "phantom_dataset.h"

namespace cfx::data {

// A figure of a phantom data set: `subjects` radiographs with their mask contours and attributes,
// then one subject under do(left_lung_area) at -change, 0 and +change (true counterfactuals)
// with the difference maps of both changes on a shared colour scale.
RgbImage phantomGallery(const PhantomDataset& data, int subjects, const std::string& subjectId,
                        double change);

}  // namespace cfx::data
