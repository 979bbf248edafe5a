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
  std::vector<long> labelled(structures.size(), 0);
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
        const auto known = row.attributes.find(structures[s]->name);
        if (known == row.attributes.end()) {
          if (count > 0)
            throw ValidationError(manifest.path, "line " + std::to_string(row.line),
                                  "the mask holds label " +
                                      std::to_string(*structures[s]->maskLabel) + " (" +
                                      structures[s]->name +
                                      ") but its area cell is empty; an empty cell says the "
                                      "mask does not label that structure");
          continue;
        }
        ++labelled[s];
        const double wanted = known->second;
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
      check.structures.push_back({structures[s]->name, labelled[s],
                                  labelled[s] ? sum[s] / double(labelled[s]) : 0.0, worst[s],
                                  worstId[s]});
  for (const auto& v : graph.variables()) {
    long known = 0;
    for (const auto& row : manifest.rows) known += long(row.attributes.count(v.name));
    check.known.push_back({v.name, known});
  }
  return check;
}

}  // namespace cfx::data
