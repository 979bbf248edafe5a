#include "trainer.h"

#include <ATen/CPUGeneratorImpl.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>

#include "adamw.h"
#include "safetensors.h"
#include "validation_error.h"

namespace cfx {

double emaDecayAt(double decay, int64_t step) {
  return std::min(decay, double(1 + step) / double(10 + step));
}

namespace fs = std::filesystem;
namespace {

struct OptionField {
  const char* name;
  bool integer;
  double TrainingOptions::*real;
  int64_t TrainingOptions::*whole;
};
const OptionField kOptionFields[] = {
    {"steps", true, nullptr, &TrainingOptions::steps},
    {"learning_rate", false, &TrainingOptions::learningRate, nullptr},
    {"weight_decay", false, &TrainingOptions::weightDecay, nullptr},
    {"warmup_steps", true, nullptr, &TrainingOptions::warmupSteps},
    {"final_learning_rate_fraction", false, &TrainingOptions::finalLearningRateFraction, nullptr},
    {"clip_grad_norm", false, &TrainingOptions::clipGradNorm, nullptr},
    {"skip_grad_norm", false, &TrainingOptions::skipGradNorm, nullptr},
    {"ema_decay", false, &TrainingOptions::emaDecay, nullptr},
    {"validate_every", true, nullptr, &TrainingOptions::validateEvery},
    {"checkpoint_every", true, nullptr, &TrainingOptions::checkpointEvery},
    {"log_every", true, nullptr, &TrainingOptions::logEvery},
};

// Everything the optimisation depends on; a resumed run must agree on all of it but the length.
nlohmann::json resumeRelevant(const TrainingOptions& options) {
  nlohmann::json json = options.toJson();
  json.erase("steps");
  json.erase("validate_every");
  json.erase("checkpoint_every");
  json.erase("log_every");
  return json;
}

std::vector<std::pair<std::string, torch::Tensor>> namedParameters(torch::nn::Module& model) {
  std::vector<std::pair<std::string, torch::Tensor>> result;
  for (const auto& item : model.named_parameters()) result.emplace_back(item.key(), item.value());
  return result;
}

void appendLine(const fs::path& path, const nlohmann::json& json) {
  std::ofstream out(path, std::ios::app);
  out << json.dump() << "\n";
}

// Drops metric lines written after the checkpoint we resume from, so the file tells one story.
void truncateMetrics(const fs::path& path, int64_t step) {
  if (!fs::exists(path)) return;
  std::ifstream in(path);
  std::string kept, line;
  while (std::getline(in, line)) {
    try {
      if (nlohmann::json::parse(line).value("step", int64_t(0)) <= step) kept += line + "\n";
    } catch (const nlohmann::json::exception&) {
      // A line cut short by a crash: drop it.
    }
  }
  in.close();
  const fs::path temporary = path.string() + ".partial";
  std::ofstream(temporary) << kept;
  fs::rename(temporary, path);
}

double learningRateAt(const TrainingOptions& o, int64_t step) {
  const double warmup =
      std::min(1.0, double(step + 1) / double(std::max<int64_t>(1, o.warmupSteps)));
  const double progress = double(step) / double(std::max<int64_t>(1, o.steps - 1));
  const double cosine = 0.5 * (1.0 + std::cos(3.141592653589793 * std::min(progress, 1.0)));
  return o.learningRate * warmup *
         (o.finalLearningRateFraction + (1.0 - o.finalLearningRateFraction) * cosine);
}

}  // namespace

nlohmann::json TrainingOptions::toJson() const {
  nlohmann::json json;
  for (const auto& f : kOptionFields) {
    if (f.integer)
      json[f.name] = this->*f.whole;
    else
      json[f.name] = this->*f.real;
  }
  json["seed"] = seed;
  return json;
}

TrainingOptions TrainingOptions::fromJson(const nlohmann::json& json, const std::string& source) {
  TrainingOptions options;
  for (const auto& f : kOptionFields) {
    if (!json.contains(f.name)) continue;  // defaults apply
    const auto& v = json.at(f.name);
    if (f.integer ? !v.is_number_integer() : !v.is_number())
      throw ValidationError(source, std::string("training.") + f.name,
                            f.integer ? "expected an integer" : "expected a number");
    if (f.integer)
      options.*f.whole = v.get<int64_t>();
    else
      options.*f.real = v.get<double>();
  }
  if (json.contains("seed")) options.seed = json.at("seed").get<std::uint64_t>();
  if (options.steps < 1) throw ValidationError(source, "training.steps", "expected at least 1");
  if (options.emaDecay < 0 || options.emaDecay >= 1)
    throw ValidationError(source, "training.ema_decay", "expected 0 <= decay < 1");
  return options;
}

at::Generator makeGenerator(std::uint64_t seed, std::uint64_t stream) {
  return at::detail::createCPUGenerator(seed * 0x9E3779B97F4A7C15ull +
                                        stream * 0xBF58476D1CE4E5B9ull + 1);
}

TrainingOutcome train(torch::nn::Module& model, const TrainingOptions& options,
                      const TrainingHooks& hooks, const std::string& runDir,
                      const std::atomic<bool>* stop) {
  const fs::path dir(runDir);
  fs::create_directories(dir);
  const fs::path checkpointPath = dir / "checkpoint.safetensors",
                 metricsPath = dir / "metrics.jsonl";
  auto parameters = namedParameters(model);
  AdamW optimizer(parameters, {0.9, 0.999, 1e-8, options.weightDecay});
  NamedTensors ema;
  for (const auto& [name, p] : parameters) ema[name] = p.detach().clone();

  int64_t step = 0, skipped = 0;
  if (fs::exists(checkpointPath)) {
    std::map<std::string, std::string> meta;
    const NamedTensors saved = loadSafetensors(checkpointPath.string(), &meta);
    const auto stored = nlohmann::json::parse(meta["options"]);
    if (stored != resumeRelevant(options))
      throw ValidationError(checkpointPath.string(), "options",
                            "the run was started with other settings (" + stored.dump() +
                                "); resume with the same ones or use a new folder");
    torch::NoGradGuard noGrad;
    NamedTensors optimizerState;
    for (auto& [name, p] : parameters) {
      for (const char* prefix : {"model/", "ema/"}) {
        const auto it = saved.find(prefix + name);
        if (it == saved.end() || it->second.sizes() != p.sizes())
          throw ValidationError(checkpointPath.string(),
                                "tensor '" + std::string(prefix) + name + "'",
                                "missing or of another shape than the model's");
        if (std::string(prefix) == "model/")
          p.copy_(it->second);
        else
          ema[name] = it->second.to(p.device()).clone();
      }
    }
    for (const auto& [key, value] : saved)
      if (key.rfind("optim/", 0) == 0) optimizerState[key.substr(6)] = value;
    for (const auto& [name, tensor] : hooks.state) {
      const auto it = saved.find("state/" + name);
      if (it == saved.end() || it->second.sizes() != tensor.sizes())
        throw ValidationError(checkpointPath.string(), "tensor 'state/" + name + "'",
                              "missing or of another shape than the run's");
      tensor.copy_(it->second);
    }
    optimizer.loadState(optimizerState, checkpointPath.string());
    step = std::stoll(meta["step"]);
    skipped = std::stoll(meta["skipped"]);
    truncateMetrics(metricsPath, step);
  }

  const auto saveCheckpoint = [&] {
    NamedTensors tensors;
    for (const auto& [name, p] : parameters)
      tensors["model/" + name] = p, tensors["ema/" + name] = ema[name];
    for (const auto& [key, value] : optimizer.state()) tensors["optim/" + key] = value;
    for (const auto& [name, tensor] : hooks.state) tensors["state/" + name] = tensor;
    saveSafetensors(checkpointPath.string(), tensors,
                    {{"format", "cfx-checkpoint"},
                     {"step", std::to_string(step)},
                     {"skipped", std::to_string(skipped)},
                     {"options", resumeRelevant(options).dump()}});
  };
  const auto withEma = [&](const std::function<void()>& work) {
    torch::NoGradGuard noGrad;
    NamedTensors current;
    for (auto& [name, p] : parameters) current[name] = p.detach().clone(), p.copy_(ema[name]);
    work();
    for (auto& [name, p] : parameters) p.copy_(current[name]);
  };
  const auto validate = [&](TrainingProgress& progress) {
    if (!hooks.validate) return;
    model.eval();
    withEma([&] { progress.validation = hooks.validate(); });
    model.train();
    nlohmann::json line = {{"step", step}, {"kind", "validation"}};
    for (const auto& [k, v] : progress.validation) line[k] = v;
    appendLine(metricsPath, line);
  };

  model.train();
  const auto start = std::chrono::steady_clock::now();
  const int64_t firstStep = step;
  while (step < options.steps) {
    if (stop && stop->load()) {
      saveCheckpoint();
      return TrainingOutcome::Interrupted;
    }
    at::Generator generator = makeGenerator(options.seed, std::uint64_t(step));
    StepResult result = hooks.step(step, generator);
    const double loss = result.loss.item<double>();
    const double learningRate = learningRateAt(options, step);
    optimizer.zeroGrad();
    bool skip = !std::isfinite(loss);
    double gradNorm = 0.0;
    if (!skip) {
      result.loss.backward();
      double sum = 0.0;
      for (auto& [name, p] : parameters)
        if (p.grad().defined()) sum += p.grad().pow(2).sum().item<double>();
      gradNorm = std::sqrt(sum);
      skip = !std::isfinite(gradNorm) || gradNorm > options.skipGradNorm;
    }
    if (skip) {
      ++skipped;
    } else {
      if (gradNorm > options.clipGradNorm) {
        torch::NoGradGuard noGrad;
        for (auto& [name, p] : parameters)
          if (p.grad().defined()) p.mutable_grad().mul_(options.clipGradNorm / gradNorm);
      }
      optimizer.step(learningRate);
      torch::NoGradGuard noGrad;
      const double decay = emaDecayAt(options.emaDecay, step);
      for (auto& [name, p] : parameters) ema[name].mul_(decay).add_(p.detach(), 1.0 - decay);
    }
    ++step;

    TrainingProgress progress;
    progress.step = step;
    progress.steps = options.steps;
    progress.skipped = skipped;
    progress.loss = loss;
    progress.learningRate = learningRate;
    progress.elapsedSeconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    progress.secondsLeft =
        progress.elapsedSeconds / double(step - firstStep) * double(options.steps - step);
    if (step % std::max<int64_t>(1, options.logEvery) == 0 || step == options.steps) {
      nlohmann::json line = {{"step", step},       {"kind", "train"},       {"loss", loss},
                             {"lr", learningRate}, {"grad_norm", gradNorm}, {"skipped", skipped}};
      for (const auto& [k, v] : result.scalars) line[k] = v;
      appendLine(metricsPath, line);
    }
    if ((options.validateEvery > 0 && step % options.validateEvery == 0) || step == options.steps)
      validate(progress);
    if (options.checkpointEvery > 0 && step % options.checkpointEvery == 0) saveCheckpoint();
    if (hooks.progress) hooks.progress(progress);
  }
  saveCheckpoint();
  torch::NoGradGuard noGrad;
  for (auto& [name, p] : parameters) p.copy_(ema[name]);
  return TrainingOutcome::Finished;
}

}  // namespace cfx
