#include "dataset_check.h"

#include <cmath>

#include "dataset_tensors.h"
#include "manifest.h"
#include "png_io.h"
#include "radiograph_reader.h"
#include "validation_error.h"

namespace cfx::data {

DatasetCheck checkDataset(const std::string& dir, const std::string& graphPath,
                          WorkMonitor& monitor) {
  const CausalGraph graph = loadGraphFile(graphPath.empty() ? dir + "/graph.json" : graphPath);
  const Manifest manifest = readManifest(dir + "/manifest.csv", graph);
  std::vector<const Variable*> structures;
  for (const auto& v : graph.variables())
    if (v.maskLabel) structures.push_back(&v);
  std::vector<double> worst(structures.size(), 0.0), sum(structures.size(), 0.0);
  std::vector<std::string> worstId(structures.size());
  long masks = 0;
  monitor.begin("check", long(manifest.rows.size()));
  for (size_t r = 0; r < manifest.rows.size(); ++r) {
    monitor.throwIfCancelled();
    const ManifestRow& row = manifest.rows[r];
    const GrayImage image = io::readRadiograph(row.image).image;
    if (!row.mask.empty()) {
      const LabelMap labels = io::readLabelPng(row.mask);
      if (labels.width != image.width || labels.height != image.height)
        throw ValidationError(manifest.path, "line " + std::to_string(row.line),
                              "mask is " + std::to_string(labels.width) + "x" +
                                  std::to_string(labels.height) + " but the image is " +
                                  std::to_string(image.width) + "x" + std::to_string(image.height));
      ++masks;
      for (size_t s = 0; s < structures.size(); ++s) {
        long count = 0;
        for (auto v : labels.pixels) count += v == *structures[s]->maskLabel;
        const double area = 100.0 * double(count) / double(labels.pixels.size());
        const double wanted = row.attributes.at(structures[s]->name);
        const double error = std::abs(area - wanted) / std::max(std::abs(wanted), 1e-9);
        sum[s] += error;
        if (error > worst[s]) worst[s] = error, worstId[s] = row.id;
      }
    }
    monitor.update(long(r + 1));
  }
  monitor.finish();
  DatasetCheck check;
  check.rows = manifest.rows.size();
  check.rowsWithMasks = masks;
  if (masks > 0)
    for (size_t s = 0; s < structures.size(); ++s)
      check.structures.push_back(
          {structures[s]->name, sum[s] / double(masks), worst[s], worstId[s]});
  return check;
}

}  // namespace cfx::data
