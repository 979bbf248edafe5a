#include "phantom_dataset.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>
#include <vector>

#include "atomic_file.h"
#include "dicom_io.h"
#include "exogenous_store.h"
#include "manifest.h"
#include "phantom_subject.h"
#include "png_io.h"
#include "random_stream.h"
#include "validation_error.h"
#include "work_monitor.h"

namespace cfx::data {
namespace fs = std::filesystem;
namespace {

constexpr int kRendererVersion = 1;

std::string subjectId(long index, long count) {
  const int digits = std::max<int>(6, int(std::to_string(count).size()));
  std::string n = std::to_string(index);
  return "s" + std::string(size_t(digits) - std::min(n.size(), size_t(digits)), '0') + n;
}

// A fixed 80/10/10 split by index: reproducible and independent of the thread schedule.
std::string splitFor(long index) {
  const long r = index % 10;
  return r < 8 ? "train" : (r == 8 ? "val" : "test");
}

void writeJson(const fs::path& path, const nlohmann::json& json) {
  const std::string text = json.dump(2) + "\n";
  io::writeFileAtomically(path.string(), std::vector<unsigned char>(text.begin(), text.end()));
}

nlohmann::json readJson(const fs::path& path) {
  std::ifstream in(path);
  if (!in)
    throw ValidationError(path.string(), "open", "missing; is this a phantom data set folder?");
  try {
    return nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw ValidationError(path.string(), "parse", std::string("invalid JSON: ") + e.what());
  }
}

}  // namespace

void generatePhantomDataset(const PhantomDatasetOptions& options,
                            const std::function<void(long)>& progress,
                            const std::atomic<bool>& cancel) {
  const fs::path out = fs::absolute(options.outDir);
  if (fs::exists(out))
    throw ValidationError(out.string(), "--out", "already exists; choose a new folder");
  if (options.format != "png" && options.format != "dcm")
    throw ValidationError("cfx phantom", "--format",
                          "expected png or dcm, got '" + options.format + "'");
  const fs::path work = out.string() + ".partial-" + std::to_string(::getpid());
  fs::create_directories(work / "images");
  fs::create_directories(work / "masks");

  const phantom::PhantomScm scm;
  const CausalGraph graph = phantom::PhantomScm::graph();
  std::vector<data::ManifestRow> rows(size_t(options.count));
  std::vector<phantom::StoredSubject> stored(size_t(options.count));
  std::atomic<long> next{0}, done{0};
  std::exception_ptr failure;
  std::mutex failureMutex;

  const auto worker = [&] {
    for (long i; (i = next.fetch_add(1)) < options.count;) {
      if (cancel.load()) return;
      try {
        const std::string id = subjectId(i, options.count);
        const auto noise =
            scm.sampleExogenous(phantom::RandomStream::derive(options.seed, std::uint64_t(i)));
        const auto subject = phantom::renderSubject(scm, noise, options.size);
        const fs::path image = work / "images" / (id + "." + options.format);
        const fs::path mask = work / "masks" / (id + ".png");
        if (options.format == "png") {
          io::writeGrayPng(image.string(), subject.image, 16);
        } else {
          const auto meta =
              phantomMetadata(id, subject.attributes, options.fieldOfViewMm / options.size);
          io::writeDicom(
              image.string(), subject.image, meta,
              {"SYNTHETIC PHANTOM CHEST PA - NOT FOR DIAGNOSIS",
               "cfx phantom, seed " + std::to_string(options.seed) + ", subject " + id, false, 1});
        }
        io::writeLabelPng(mask.string(), subject.labels);
        data::ManifestRow& row = rows[size_t(i)];
        row.id = id;
        row.image =
            image.string();  // stored relative to the folder, so the rename keeps them valid
        row.mask = mask.string();
        row.split = splitFor(i);
        for (const auto& v : graph.variables())
          row.attributes[v.name] = subject.attributes.get(v.name);
        stored[size_t(i)] = {id, noise};
        done.fetch_add(1);
      } catch (...) {
        std::lock_guard<std::mutex> lock(failureMutex);
        if (!failure) failure = std::current_exception();
        next.store(options.count);
      }
    }
  };

  std::vector<std::thread> threads;
  for (int t = 0; t < std::max(1, options.threads); ++t) threads.emplace_back(worker);
  for (;;) {
    progress(done.load());
    {
      std::lock_guard<std::mutex> lock(failureMutex);
      if (failure) break;
    }
    if (done.load() >= options.count || cancel.load()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  for (auto& t : threads) t.join();
  if (failure || cancel.load()) {
    std::error_code ignored;
    fs::remove_all(work, ignored);
    if (failure) std::rethrow_exception(failure);
    throw Interrupted{};
  }
  progress(done.load());

  data::writeManifest((work / "manifest.csv").string(), rows, graph);
  phantom::writeExogenous((work / "exogenous.bin").string(), stored);
  writeJson(work / "graph.json", graph.toJson());
  writeJson(work / "phantom.json", {{"format", "cfx-phantom"},
                                    {"version", 1},
                                    {"renderer_version", kRendererVersion},
                                    {"size", options.size},
                                    {"seed", options.seed},
                                    {"count", options.count},
                                    {"image_format", options.format},
                                    {"field_of_view_mm", options.fieldOfViewMm},
                                    {"scm", scm.coefficients().toJson()}});
  fs::rename(work, out);
}

PhantomDataset loadPhantomDataset(const std::string& dir) {
  const fs::path folder(dir);
  PhantomDataset data;
  data.dir = dir;
  const fs::path info = folder / "phantom.json";
  const auto json = readJson(info);
  if (json.value("format", "") != "cfx-phantom")
    throw ValidationError(info.string(), "format", "expected \"cfx-phantom\"");
  if (json.value("renderer_version", 0) != kRendererVersion)
    throw ValidationError(info.string(), "renderer_version",
                          "expected " + std::to_string(kRendererVersion) +
                              " (the data set was made by another version of the phantom)");
  if (!json.contains("size") || !json.at("size").is_number_integer())
    throw ValidationError(info.string(), "size", "missing or not an integer");
  data.size = json.at("size").get<int>();
  data.seed = json.value("seed", std::uint64_t(0));
  if (!json.contains("scm")) throw ValidationError(info.string(), "scm", "missing");
  data.coefficients = phantom::ScmCoefficients::fromJson(json.at("scm"), info.string());
  data.graph =
      CausalGraph::fromJson(readJson(folder / "graph.json"), (folder / "graph.json").string());
  for (auto& s : phantom::readExogenous((folder / "exogenous.bin").string()))
    data.noise[s.id] = s.noise;
  return data;
}

io::RadiographMetadata phantomMetadata(const std::string& id, const phantom::Attributes& attributes,
                                       std::optional<double> pixelSpacingMm) {
  io::RadiographMetadata meta;
  meta.patientAgeYears = attributes.age;
  meta.patientSex = attributes.sex > 0.5 ? 'M' : 'F';
  meta.pixelSpacingMm = pixelSpacingMm;
  meta.dicom = io::DicomIdentity{};
  meta.dicom->patientId = id;
  meta.dicom->patientName = "PHANTOM^" + id;
  return meta;
}

}  // namespace cfx::data
