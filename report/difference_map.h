#pragma once

#include <array>
#include <cstdint>

#include "image_buffer.h"

namespace cfx::report {

// Diverging colour map: -1 blue, 0 white, +1 red (counterfactual darker / unchanged / brighter).
std::array<std::uint8_t, 3> divergingColour(double value);

// counterfactual - factual, coloured with a symmetric range of +-`range` intensity units
// ([0,1] scale); with `colourBar` a labelled bar (in grey levels of 255) is added on the right.
RgbImage differenceMap(const GrayImage& factual, const GrayImage& counterfactual, double range,
                       bool colourBar);

// The largest |counterfactual - factual| over pairs of images; 1/255 at least, so that an
// unchanged image shows white rather than amplified noise.
double differenceRange(const GrayImage& factual, const GrayImage& counterfactual);

}  // namespace cfx::report
