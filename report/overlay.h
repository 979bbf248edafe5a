#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "image_buffer.h"

namespace cfx::report {

struct StructureStyle {
  std::uint8_t label;
  std::array<std::uint8_t, 3> colour;
};

// The default colours: right lung cyan, left lung yellow, heart red (labels 1, 2, 3).
std::vector<StructureStyle> defaultStructureStyles();

// `image` scaled by an integer `zoom` (bicubic) with the outline of each labelled structure drawn
// on top, anti-aliased, so masks can be judged against the anatomy.
RgbImage contourOverlay(const GrayImage& image, const LabelMap& labels, int zoom,
                        const std::vector<StructureStyle>& styles);

// Upscales a grayscale image to RGB without overlays (for figure tiles).
RgbImage toRgb(const GrayImage& image, int zoom);

// Enlarges by an integer factor, each pixel becoming a zoom x zoom block.
GrayImage upscaleNearest(const GrayImage& image, int zoom);

// Writes a caption in the top-left corner of a tile, on a dark band for legibility.
void caption(RgbImage& tile, const std::string& text);

// Lays tiles out left to right in one row, separated by `gap` pixels of `background`.
RgbImage row(const std::vector<RgbImage>& tiles, int gap, std::array<std::uint8_t, 3> background);
// Stacks rows top to bottom, left aligned.
RgbImage column(const std::vector<RgbImage>& rows, int gap, std::array<std::uint8_t, 3> background);

}  // namespace cfx::report
