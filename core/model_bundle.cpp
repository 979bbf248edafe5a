#include "model_bundle.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>

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
  if (json.value("format", "") != "cfx-model")
    throw ValidationError(path.string(), "format", "expected \"cfx-model\"");
  if (json.value("version", 0) != ModelBundle::kFormatVersion)
    throw ValidationError(path.string(), "version",
                          "expected " + std::to_string(ModelBundle::kFormatVersion) + ", got " +
                              json.value("version", nlohmann::json()).dump() +
                              " (a model folder from another version of cfx)");
  return json;
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
  manifest["components"][name] = {
      {"config", config}, {"weights", weightsFile}, {"provenance", provenance}};
  const fs::path temporary = manifestPath.string() + ".partial-" + std::to_string(::getpid());
  std::ofstream(temporary) << manifest.dump(2) << "\n";
  fs::rename(temporary, manifestPath);
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
  if (!manifest.contains("components") || !manifest.at("components").contains(name))
    throw ValidationError(manifestPath.string(), "components." + name,
                          "missing; train this stage first");
  const auto& entry = manifest.at("components").at(name);
  Component component;
  component.config = entry.value("config", nlohmann::json::object());
  component.provenance = entry.value("provenance", nlohmann::json::object());
  component.weightsPath = (fs::path(dir) / entry.value("weights", name + ".safetensors")).string();
  if (!fs::exists(component.weightsPath))
    throw ValidationError(manifestPath.string(), "components." + name + ".weights",
                          "file " + component.weightsPath + " is missing");
  component.weights = loadSafetensors(component.weightsPath);
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
