#include "model_bundle.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "sha256.h"
#include "validation_error.h"

namespace cfx {
namespace fs = std::filesystem;
namespace {

nlohmann::json readManifest(const fs::path& path) {
  std::ifstream in(path);
  if (!in) throw ValidationError(path.string(), "open", "missing; is this a cfx model folder?");
  nlohmann::json json;
  try {
    json = nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw ValidationError(path.string(), "parse", std::string("invalid JSON: ") + e.what());
  }
  if (!json.is_object()) throw ValidationError(path.string(), "top level", "expected an object");
  if (!json.contains("format") || json["format"] != "cfx-model")
    throw ValidationError(path.string(), "format", "expected \"cfx-model\"");
  if (!json.contains("version") || !json["version"].is_number_integer() ||
      json["version"].get<long long>() != ModelBundle::kFormatVersion)
    throw ValidationError(path.string(), "version",
                          "expected " + std::to_string(ModelBundle::kFormatVersion) + ", got " +
                              (json.contains("version") ? json["version"].dump() : "nothing") +
                              " (a model folder from another version of cfx)");
  if (json.contains("components") && !json["components"].is_object())
    throw ValidationError(path.string(), "components", "expected an object of components");
  return json;
}

// The weight file's name from a component entry: a plain file name in the model folder (no
// folders, no "..", nothing absolute), so that a model cannot make us read outside it.
std::string weightsFileName(const nlohmann::json& entry, const std::string& name,
                            const std::string& source) {
  const std::string field = "components." + name + ".weights";
  if (!entry.contains("weights") || !entry["weights"].is_string())
    throw ValidationError(source, field, "expected the weight file's name");
  const std::string file = entry["weights"].get<std::string>();
  if (file.empty() || file.size() > 255 || file != fs::path(file).filename().string() ||
      file == "." || file == "..")
    throw ValidationError(source, field,
                          "'" + file + "' is not a file name inside the model folder");
  return file;
}

// A component's entry in a read model.json; names the file and the component when it is absent.
const nlohmann::json& componentEntry(const nlohmann::json& manifest, const std::string& name,
                                     const fs::path& manifestPath) {
  if (!manifest.contains("components") || !manifest.at("components").contains(name))
    throw ValidationError(manifestPath.string(), "components." + name,
                          "missing; train this stage first");
  return manifest.at("components").at(name);
}

}  // namespace

void ModelBundle::saveComponent(const std::string& dir, const std::string& name,
                                const nlohmann::json& config, const NamedTensors& weights,
                                const nlohmann::json& provenance) {
  const fs::path folder(dir), manifestPath = folder / "model.json";
  fs::create_directories(folder);
  nlohmann::json manifest = fs::exists(manifestPath)
                                ? readManifest(manifestPath)
                                : nlohmann::json{{"format", "cfx-model"},
                                                 {"version", kFormatVersion},
                                                 {"components", nlohmann::json::object()}};
  const std::string weightsFile = name + ".safetensors";
  saveSafetensors((folder / weightsFile).string(), weights, {{"component", name}});
  manifest["components"][name] = {{"config", config},
                                  {"weights", weightsFile},
                                  {"sha256", sha256OfFile((folder / weightsFile).string())},
                                  {"provenance", provenance}};
  const fs::path temporary = manifestPath.string() + ".partial-" + std::to_string(::getpid());
  std::ofstream(temporary) << manifest.dump(2) << "\n";
  fs::rename(temporary, manifestPath);
}

nlohmann::json ModelBundle::lineage(const std::string& dir, const std::string& name) {
  const fs::path manifestPath = fs::path(dir) / "model.json";
  const auto manifest = readManifest(manifestPath);
  const std::string field = "components." + name;
  const auto& entry = componentEntry(manifest, name, manifestPath);
  const auto provenance = entry.value("provenance", nlohmann::json::object());
  nlohmann::json runs = nlohmann::json::array();
  if (provenance.is_object() && provenance.contains("started_from")) {
    if (!provenance["started_from"].is_array())
      throw ValidationError(manifestPath.string(), field + ".provenance.started_from",
                            "expected a list of earlier runs");
    runs = provenance["started_from"];
  }
  nlohmann::json last = provenance.is_object() ? provenance : nlohmann::json::object();
  last.erase("started_from");
  if (entry.contains("sha256")) last["sha256"] = entry["sha256"];
  if (entry.contains("config") && entry["config"].is_object() &&
      entry["config"].contains("fine_tuning"))
    last["fine_tuning"] = entry["config"]["fine_tuning"];
  runs.push_back(last);
  return runs;
}

bool ModelBundle::hasComponent(const std::string& dir, const std::string& name) {
  const fs::path manifestPath = fs::path(dir) / "model.json";
  if (!fs::exists(manifestPath)) return false;
  const auto manifest = readManifest(manifestPath);
  return manifest.contains("components") && manifest.at("components").contains(name);
}

ModelBundle::Component ModelBundle::loadComponent(const std::string& dir, const std::string& name) {
  const fs::path manifestPath = fs::path(dir) / "model.json";
  const auto manifest = readManifest(manifestPath);
  const auto& entry = componentEntry(manifest, name, manifestPath);
  const std::string source = manifestPath.string(), field = "components." + name;
  if (!entry.is_object()) throw ValidationError(source, field, "expected an object");
  for (const char* key : {"config", "provenance"})
    if (entry.contains(key) && !entry[key].is_object() && !entry[key].is_null())
      throw ValidationError(source, field + "." + key, "expected an object");
  Component component;
  component.config = entry.value("config", nlohmann::json::object());
  component.provenance = entry.value("provenance", nlohmann::json::object());
  component.weightsPath = (fs::path(dir) / weightsFileName(entry, name, source)).string();
  std::error_code error;
  if (!fs::is_regular_file(component.weightsPath, error))
    throw ValidationError(source, field + ".weights",
                          "file " + component.weightsPath + " is missing");
  // A flipped bit in a weight file changes every counterfactual without any error: the checksum
  // written with the file says whether it is still the file that was trained.
  if (!entry.contains("sha256") || !entry["sha256"].is_string())
    throw ValidationError(source, field + ".sha256",
                          "missing: every weight file's SHA-256 is stored with it (a model "
                          "folder from an older cfx; retrain or add the checksum)");
  // One read serves the checksum and the tensors.
  const std::vector<unsigned char> bytes = readSafetensorsFile(component.weightsPath);
  Sha256 hash;
  hash.update(bytes.data(), bytes.size());
  const std::string actual = hash.hexDigest();
  if (actual != entry["sha256"].get<std::string>())
    throw ValidationError(component.weightsPath, "sha256",
                          "the file's checksum " + actual.substr(0, 12) +
                              "... differs from the one in model.json (" +
                              entry["sha256"].get<std::string>().substr(0, 12) +
                              "...): the file was changed or damaged");
  component.weights = parseSafetensors(bytes, component.weightsPath);
  for (const auto& [tensorName, tensor] : component.weights)
    if (tensor.is_floating_point() && !torch::isfinite(tensor).all().item<bool>())
      throw ValidationError(component.weightsPath, "tensor '" + tensorName + "'",
                            "holds NaN or infinite values (a diverged training run?)");
  return component;
}

NamedTensors moduleWeights(torch::nn::Module& module) {
  NamedTensors weights;
  for (const auto& p : module.named_parameters()) weights[p.key()] = p.value();
  for (const auto& b : module.named_buffers()) weights[b.key()] = b.value();
  return weights;
}

void loadModuleWeights(torch::nn::Module& module, const NamedTensors& weights,
                       const std::string& source) {
  torch::NoGradGuard noGrad;
  auto copy = [&](const std::string& name, torch::Tensor& target) {
    const auto it = weights.find(name);
    if (it == weights.end()) throw ValidationError(source, "tensor '" + name + "'", "missing");
    if (it->second.sizes() != target.sizes()) {
      std::ostringstream expected, got;
      expected << target.sizes();
      got << it->second.sizes();
      throw ValidationError(source, "tensor '" + name + "'",
                            "expected shape " + expected.str() + ", got " + got.str());
    }
    target.copy_(it->second);
  };
  for (auto& p : module.named_parameters()) copy(p.key(), p.value());
  for (auto& b : module.named_buffers()) copy(b.key(), b.value());
}

}  // namespace cfx
