#include "figure_command.h"

#include <cstdio>

#include "argument_parser.h"
#include "counterfactual_figure.h"
#include "png_io.h"
#include "runtime_options.h"

namespace cfx::cli {

int runFigureCommand(const std::vector<std::string>& arguments) {
  ArgumentParser parser(
      "cfx figure",
      "Draw a PNG of counterfactuals: for each test subject the original, the reconstruction\n"
      "(null intervention) and one counterfactual per graph variable (sex flipped, age +20 years,\n"
      "each area -20 %), with the difference maps below on one colour scale per subject.");
  parser.required("model", "MODEL_DIR", "model folder (scm, hvae, segmentor)")
      .required("data", "DIR", "data set folder")
      .required("out", "FILE", "output PNG")
      .option("subjects", "N", "number of subjects", "3")
      .option("split", "NAME", "the data set's split to draw from", "test");
  declareRuntimeOptions(parser);
  if (!parser.parse(arguments)) return 0;
  const torch::Device device = applyRuntimeOptions(parser);
  const RgbImage figure = evaluation::counterfactualFigure(parser.get("model"), parser.get("data"),
                                                           parser.getInteger("subjects", 1, 32),
                                                           device, parser.get("split"));
  io::writeRgbPng(parser.get("out"), figure);
  std::printf("wrote %s (%dx%d)\n", parser.get("out").c_str(), figure.width, figure.height);
  return 0;
}

}  // namespace cfx::cli
