#pragma once

#include <torch/torch.h>
#include <nlohmann/json.hpp>
#include <string>

#include "argument_parser.h"
#include "causal_graph.h"
#include "hvae.h"
#include "image_set.h"
#include "manifest.h"
#include "trainer.h"

namespace cfx::cli {

// Images per forward pass when a whole split is scored.
constexpr int64_t kEvaluationBatch = 32;

// What every training stage of an image network shares: device, graph, data, schedule, batch.
struct Stage {
  torch::Device device = torch::kCPU;
  CausalGraph graph;
  io::Manifest manifest;
  int size = 0;
  TrainingOptions options;
  int64_t batch = 0;
};

// The options every image-network stage shares (data, schedule, seed, device, threads).
void declareStageOptions(ArgumentParser& parser, const char* steps, const char* batch,
                         const char* lr);
Stage prepareStage(const ArgumentParser& parser);
ImageSet loadSplit(const Stage& stage, const std::string& split, bool masks);
// Trains with console progress; false when interrupted (the checkpoint is then complete).
bool runTraining(torch::nn::Module& model, const Stage& stage, TrainingHooks hooks,
                 const std::string& runDir, const char* label);
// Adds a trained network to the model folder with what is needed to reproduce and judge it.
void saveStage(const std::string& modelDir, const std::string& component,
               const nlohmann::json& config, torch::nn::Module& network, const Stage& stage,
               const ArgumentParser& parser, const std::string& command, double seconds,
               const nlohmann::json& validation);

// Mean NELBO (nats per dimension) and its parts over a whole image set, in batches.
HvaeLoss hvaeLossOn(HvaeImpl& hvae, const ImageSet& set, const torch::Tensor& parents,
                    const torch::Device& device);
// 8-bit quantisation: the discretised likelihood models 256 grey levels.
torch::Tensor quantise(const torch::Tensor& images);

}  // namespace cfx::cli
