#pragma once

#include <torch/torch.h>
#include <QImage>

#include "image_buffer.h"

namespace cfx::ui {

// Window/level display of a radiograph in [0, 1]: values below level - window / 2 are black,
// above level + window / 2 white.
QImage radiographImage(const GrayImage& image, double window, double level);

// Translucent fill and opaque contours of every labelled structure (right lung cyan, left lung
// yellow, heart red), transparent elsewhere. `labels` [H, W] uint8.
QImage overlayImage(const torch::Tensor& labels);

// counterfactual - factual in the diverging colour map, +-range (intensity units) at the ends.
QImage differenceImage(const GrayImage& factual, const GrayImage& counterfactual, double range);

// The colour bar for a difference image: `range` in grey levels of 255 written at the ends.
QImage colourBarImage(int height, double range);

// Per-pixel variance [H, W], scaled so that its maximum is white.
QImage varianceImage(const torch::Tensor& variance);

}  // namespace cfx::ui
