#include "dataset_merge.h"

#include <filesystem>
#include <map>
#include <set>

#include "atomic_file.h"
#include "chest_graph.h"
#include "dataset_tensors.h"
#include "manifest.h"
#include "staged_output.h"
#include "validation_error.h"

namespace cfx::data {
namespace fs = std::filesystem;

long mergeDatasets(const std::vector<std::string>& sources, const std::string& outDir,
                   double rangeMargin, WorkMonitor& monitor) {
  if (sources.size() < 2)
    throw ValidationError("cfx data merge", "sources", "expected at least two data set folders");
  if (fs::exists(fs::path(outDir) / "manifest.csv"))
    throw ValidationError(outDir, "manifest.csv",
                          "a data set is already there; merge into a new folder");
  std::vector<Manifest> manifests;
  std::set<std::string> ids, clashes;
  long total = 0;
  for (const auto& dir : sources) {
    const CausalGraph graph = loadGraphFile(dir + "/graph.json");
    for (const auto& v : graph.variables())
      if (!chestStructureLabels().count(v.name) && v.name != "sex" && v.name != "age")
        throw ValidationError(dir + "/graph.json", v.name,
                              "not a variable of the chest-radiograph graph; merge only data sets "
                              "written by cfx data import");
    manifests.push_back(readManifest(dir + "/manifest.csv", graph));
    for (const auto& row : manifests.back().rows)
      if (!ids.insert(row.id).second) clashes.insert(row.id);
    total += long(manifests.back().rows.size());
  }
  io::StagedOutput staged(outDir);
  const fs::path imageDir = staged.stagingPath("images"), maskDir = staged.stagingPath("masks");
  fs::create_directories(imageDir);
  fs::create_directories(maskDir);
  std::vector<ManifestRow> rows;
  std::map<std::string, std::vector<double>> values;
  std::set<std::string> names;
  monitor.begin("merge", total);
  for (size_t s = 0; s < manifests.size(); ++s) {
    const std::string prefix = fs::path(sources[s]).lexically_normal().filename().string();
    for (const auto& source : manifests[s].rows) {
      monitor.throwIfCancelled();
      ManifestRow row = source;
      if (clashes.count(row.id)) row.id = prefix + "/" + row.id;
      std::string stem = fs::path(source.image).stem().string();
      if (!names.insert(stem).second) stem = prefix + "_" + stem;
      names.insert(stem);
      row.image = (imageDir / (stem + fs::path(source.image).extension().string())).string();
      fs::copy_file(source.image, row.image);
      if (!source.mask.empty()) {
        row.mask = (maskDir / (stem + ".png")).string();
        fs::copy_file(source.mask, row.mask);
      }
      for (const auto& [name, value] : row.attributes) values[name].push_back(value);
      rows.push_back(std::move(row));
      monitor.update(long(rows.size()));
    }
  }
  monitor.finish();
  const std::string graphPath = staged.stagingPath("graph.json");
  const CausalGraph graph = chestRadiographGraph(values, rangeMargin, graphPath);
  const std::string text = graph.toJson().dump(2) + "\n";
  io::writeFileAtomically(graphPath, std::vector<unsigned char>(text.begin(), text.end()));
  writeManifest(staged.stagingPath("manifest.csv"), rows, graph);
  staged.commit();
  return long(rows.size());
}

}  // namespace cfx::data
