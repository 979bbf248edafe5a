#include "image_conversion.h"

#include <QPainter>
#include <algorithm>

#include "difference_map.h"
#include "overlay.h"

namespace cfx::ui {

QImage radiographImage(const GrayImage& image, double window, double level) {
  QImage out(image.width, image.height, QImage::Format_Grayscale8);
  const double low = level - window / 2, width = std::max(window, 1e-6);
  for (int y = 0; y < image.height; ++y) {
    uchar* line = out.scanLine(y);
    for (int x = 0; x < image.width; ++x)
      line[x] = uchar(std::clamp((double(image.at(x, y)) - low) / width, 0.0, 1.0) * 255.0 + 0.5);
  }
  return out;
}

QImage overlayImage(const torch::Tensor& labels) {
  const auto l = labels.to(torch::kUInt8).contiguous();
  const int h = int(l.size(0)), w = int(l.size(1));
  const auto* p = l.data_ptr<std::uint8_t>();
  QImage out(w, h, QImage::Format_ARGB32);
  out.fill(Qt::transparent);
  const auto styles = report::defaultStructureStyles();
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      const std::uint8_t label = p[y * w + x];
      if (label == 0) continue;
      const auto style = std::find_if(styles.begin(), styles.end(),
                                      [&](const auto& s) { return s.label == label; });
      if (style == styles.end()) continue;
      bool edge = false;
      for (const auto& [dx, dy] : {std::pair{1, 0}, {-1, 0}, {0, 1}, {0, -1}}) {
        const int nx = x + dx, ny = y + dy;
        edge = edge || nx < 0 || ny < 0 || nx >= w || ny >= h || p[ny * w + nx] != label;
      }
      out.setPixel(x, y,
                   qRgba(style->colour[0], style->colour[1], style->colour[2], edge ? 255 : 70));
    }
  return out;
}

QImage differenceImage(const GrayImage& factual, const GrayImage& counterfactual, double range) {
  QImage out(factual.width, factual.height, QImage::Format_RGB32);
  for (int y = 0; y < factual.height; ++y)
    for (int x = 0; x < factual.width; ++x) {
      const double d = (double(counterfactual.at(x, y)) - double(factual.at(x, y))) / range;
      const auto c = report::divergingColour(std::clamp(d, -1.0, 1.0));
      out.setPixel(x, y, qRgb(c[0], c[1], c[2]));
    }
  return out;
}

QImage colourBarImage(int height, double range) {
  const int barWidth = 16, width = 64;
  QImage out(width, height, QImage::Format_RGB32);
  out.fill(Qt::white);
  for (int y = 0; y < height; ++y) {
    const auto c = report::divergingColour(1.0 - 2.0 * y / std::max(1, height - 1));
    for (int x = 0; x < barWidth; ++x) out.setPixel(x, y, qRgb(c[0], c[1], c[2]));
  }
  QPainter painter(&out);
  painter.setPen(Qt::black);
  QFont font = painter.font();
  font.setPixelSize(11);
  painter.setFont(font);
  painter.drawText(barWidth + 3, 11, QString("+%1").arg(range * 255.0, 0, 'f', 1));
  painter.drawText(barWidth + 3, height / 2 + 4, "0");
  painter.drawText(barWidth + 3, height - 2, QString("-%1").arg(range * 255.0, 0, 'f', 1));
  return out;
}

QImage varianceImage(const torch::Tensor& variance) {
  const auto v = variance.to(torch::kFloat32).contiguous();
  const int h = int(v.size(0)), w = int(v.size(1));
  const float top = std::max(v.max().item<float>(), 1e-12f);
  const float* p = v.data_ptr<float>();
  QImage out(w, h, QImage::Format_Grayscale8);
  for (int y = 0; y < h; ++y) {
    uchar* line = out.scanLine(y);
    for (int x = 0; x < w; ++x)
      line[x] = uchar(std::clamp(p[y * w + x] / top, 0.0f, 1.0f) * 255.0f);
  }
  return out;
}

}  // namespace cfx::ui
