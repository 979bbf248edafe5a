#include "stage_options.h"

#include "runtime_options.h"

namespace cfx::cli {

void declareStageOptions(ArgumentParser& parser, const char* steps, const char* batch,
                         const char* lr) {
  parser.required("data", "DIR", "data set folder (manifest.csv, graph.json)")
      .option("graph", "FILE", "causal graph (default: DIR/graph.json)")
      .option("size", "PX", "model input size (default: the data set's image size)")
      .option("steps", "N", "optimisation steps", steps)
      .option("batch", "B", "batch size", batch)
      .option("lr", "RATE", "peak learning rate (warm-up, then cosine decay to 5 %)", lr)
      .option("seed", "S", "random seed (weights, batches, augmentation)", "0");
  declareRuntimeOptions(parser, "where to train");
}

training::StageOptions stageOptions(const ArgumentParser& parser, const std::string& command,
                                    const std::vector<std::string>& arguments) {
  training::StageOptions options;
  options.device = applyRuntimeOptions(parser);
  options.dataDir = parser.get("data");
  if (parser.has("graph")) options.graphPath = parser.get("graph");
  if (parser.has("size")) options.size = int(parser.getInteger("size", 16, 4096));
  options.steps = parser.getInteger("steps", 1, 10'000'000);
  options.learningRate = parser.getNumber("lr");
  options.seed = std::uint64_t(parser.getInteger("seed", 0, 1L << 40));
  options.batch = parser.getInteger("batch", 1, 4096);
  options.command = commandLine(command, arguments);
  return options;
}

}  // namespace cfx::cli
