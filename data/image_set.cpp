#include "image_set.h"

#include <torch/torch.h>
#include <cstring>

#include "dataset_tensors.h"
#include "image_resize.h"
#include "png_io.h"
#include "radiograph_reader.h"
#include "validation_error.h"

namespace cfx::data {

ImageSet loadImageSet(const data::Manifest& manifest, const CausalGraph& graph,
                      const std::string& split, int size, bool needMasks,
                      const std::function<void(long, long)>& progress) {
  const auto rows = manifest.split(split);
  if (rows.empty())
    throw ValidationError(manifest.path, "split", "no rows in the '" + split + "' split");
  const int64_t n = int64_t(rows.size());
  ImageSet set;
  set.images = torch::empty({n, 1, size, size});
  if (needMasks) set.labels = torch::empty({n, size, size}, torch::kUInt8);
  set.attributes = attributeTensor(manifest, graph, split);
  for (int64_t i = 0; i < n; ++i) {
    const data::ManifestRow& row = *rows[size_t(i)];
    set.ids.push_back(row.id);
    const GrayImage image = io::resizeImage(io::readRadiograph(row.image).image, size, size);
    std::memcpy(set.images[i].data_ptr<float>(), image.pixels.data(),
                image.pixels.size() * sizeof(float));
    if (needMasks) {
      if (row.mask.empty())
        throw ValidationError(manifest.path, "line " + std::to_string(row.line),
                              "no mask, but this stage needs masks");
      const LabelMap labels = io::resizeLabels(io::readLabelPng(row.mask), size, size);
      std::memcpy(set.labels[i].data_ptr<std::uint8_t>(), labels.pixels.data(),
                  labels.pixels.size());
    }
    if (progress) progress(long(i + 1), long(n));
  }
  set.images.mul_(2).sub_(1);
  return set;
}

int firstImageSize(const data::Manifest& manifest, const std::string& split) {
  const auto rows = manifest.split(split);
  if (rows.empty())
    throw ValidationError(manifest.path, "split", "no rows in the '" + split + "' split");
  const GrayImage image = io::readRadiograph(rows.front()->image).image;
  if (image.width != image.height)
    throw ValidationError(rows.front()->image, "size",
                          "expected a square image; pass --size to resize");
  return image.width;
}

}  // namespace cfx::data
