#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace cfx {

// A plain row-major single-channel image: the common currency between the phantom, image I/O and
// reports, which must not depend on each other. Tensors are made from it at the engine boundary.
template <typename T>
struct ImageBuffer {
  int width = 0;
  int height = 0;
  std::vector<T> pixels;

  ImageBuffer() = default;
  ImageBuffer(int w, int h, T fill = T{})
      : width(w), height(h), pixels(std::size_t(w) * std::size_t(h), fill) {}
  T& at(int x, int y) { return pixels[std::size_t(y) * std::size_t(width) + std::size_t(x)]; }
  const T& at(int x, int y) const {
    return pixels[std::size_t(y) * std::size_t(width) + std::size_t(x)];
  }
  bool empty() const { return pixels.empty(); }
};

using GrayImage = ImageBuffer<float>;        // intensities in [0, 1], 1 = bright (bone)
using LabelMap = ImageBuffer<std::uint8_t>;  // 0 background, then one label per structure
using RgbImage = ImageBuffer<std::array<std::uint8_t, 3>>;  // for figures and overlays

}  // namespace cfx
