#include "gif_decoder.h"

#include <array>
#include <cstdint>

#include "image_limits.h"
#include "io_error.h"

namespace cfx::io {
namespace {

class ByteReader {
 public:
  ByteReader(const std::vector<unsigned char>& bytes, const std::string& source)
      : bytes_(bytes), source_(source) {}
  std::uint8_t byte() {
    if (at_ >= bytes_.size()) throw IoError(source_, "GIF", "the file ends too early");
    return bytes_[at_++];
  }
  int little16() {
    const int low = byte();
    return low | (byte() << 8);
  }
  void skip(size_t n) {
    if (bytes_.size() - at_ < n) throw IoError(source_, "GIF", "the file ends too early");
    at_ += n;
  }
  // A chain of data sub-blocks (size byte, data), up to the zero-size terminator.
  std::vector<unsigned char> subBlocks() {
    std::vector<unsigned char> data;
    for (std::uint8_t size = byte(); size != 0; size = byte()) {
      if (bytes_.size() - at_ < size) throw IoError(source_, "GIF", "the file ends too early");
      data.insert(data.end(), bytes_.begin() + long(at_), bytes_.begin() + long(at_ + size));
      at_ += size;
    }
    return data;
  }

 private:
  const std::vector<unsigned char>& bytes_;
  const std::string& source_;
  size_t at_ = 0;
};

// GIF's LZW: variable-width codes packed least-significant bit first.
std::vector<std::uint8_t> decodeLzw(const std::vector<unsigned char>& data, int minimumCodeSize,
                                    size_t pixels, const std::string& source) {
  if (minimumCodeSize < 2 || minimumCodeSize > 8)
    throw IoError(source, "GIF", "invalid LZW code size " + std::to_string(minimumCodeSize));
  const int clear = 1 << minimumCodeSize, end = clear + 1;
  std::array<std::uint16_t, 4096> prefix{};
  std::array<std::uint8_t, 4096> suffix{}, first{};
  std::array<std::uint16_t, 4096> length{};
  for (int c = 0; c < clear; ++c)
    suffix[size_t(c)] = first[size_t(c)] = std::uint8_t(c), length[size_t(c)] = 1;
  int codeSize = minimumCodeSize + 1, next = end + 1, previous = -1;
  std::vector<std::uint8_t> out;
  out.reserve(pixels);
  std::uint32_t buffer = 0;
  int bits = 0;
  size_t at = 0;
  std::vector<std::uint8_t> string;
  while (out.size() < pixels) {
    while (bits < codeSize) {
      if (at >= data.size()) throw IoError(source, "GIF", "image data ends too early");
      buffer |= std::uint32_t(data[at++]) << bits;
      bits += 8;
    }
    const int code = int(buffer & ((1u << codeSize) - 1));
    buffer >>= codeSize;
    bits -= codeSize;
    if (code == clear) {
      codeSize = minimumCodeSize + 1, next = end + 1, previous = -1;
      continue;
    }
    if (code == end) break;
    int emit = code;
    if (previous < 0) {
      if (code >= clear) throw IoError(source, "GIF", "invalid first LZW code");
    } else if (code >= next) {
      if (code > next) throw IoError(source, "GIF", "invalid LZW code");
      emit = previous;  // the KwKwK case: previous string + its own first byte
    }
    string.assign(length[size_t(emit)], 0);
    for (int c = emit, i = int(string.size()) - 1; i >= 0; c = prefix[size_t(c)], --i)
      string[size_t(i)] = suffix[size_t(c)];
    if (code >= next) string.push_back(first[size_t(previous)]);
    out.insert(out.end(), string.begin(), string.end());
    if (previous >= 0 && next < 4096) {
      prefix[size_t(next)] = std::uint16_t(previous);
      suffix[size_t(next)] = string.front();
      first[size_t(next)] = first[size_t(previous)];
      length[size_t(next)] = std::uint16_t(length[size_t(previous)] + 1);
      ++next;
      if (next == (1 << codeSize) && codeSize < 12) ++codeSize;
    }
    previous = code;
  }
  if (out.size() < pixels) throw IoError(source, "GIF", "image data ends too early");
  out.resize(pixels);
  return out;
}

std::vector<std::array<std::uint8_t, 3>> colourTable(ByteReader& in, int packed) {
  std::vector<std::array<std::uint8_t, 3>> table(size_t(1) << ((packed & 7) + 1));
  for (auto& c : table) c = {in.byte(), in.byte(), in.byte()};
  return table;
}

}  // namespace

LabelMap decodeGifLuminance(const std::vector<unsigned char>& bytes, const std::string& source) {
  ByteReader in(bytes, source);
  std::string signature(6, ' ');
  for (char& c : signature) c = char(in.byte());
  if (signature != "GIF87a" && signature != "GIF89a")
    throw IoError(source, "GIF", "not a GIF file (no GIF87a/GIF89a signature)");
  const int width = in.little16(), height = in.little16(), packed = in.byte();
  in.skip(2);  // background colour, aspect ratio
  checkImageSize(source, "GIF screen", width, height);
  std::vector<std::array<std::uint8_t, 3>> global;
  if (packed & 0x80) global = colourTable(in, packed);
  while (true) {
    const int block = in.byte();
    if (block == 0x3B) throw IoError(source, "GIF", "no image in the file");
    if (block == 0x21) {
      in.byte();  // extension label
      in.subBlocks();
      continue;
    }
    if (block != 0x2C) throw IoError(source, "GIF", "unknown block " + std::to_string(block));
    const int left = in.little16(), top = in.little16(), w = in.little16(), h = in.little16();
    const int imagePacked = in.byte();
    const auto palette = (imagePacked & 0x80) ? colourTable(in, imagePacked) : global;
    if (palette.empty()) throw IoError(source, "GIF", "no colour table");
    if (left + w > width || top + h > height || w <= 0 || h <= 0)
      throw IoError(source, "GIF", "the image lies outside the screen");
    const int codeSize = in.byte();
    const auto indices = decodeLzw(in.subBlocks(), codeSize, size_t(w) * size_t(h), source);
    // Interlaced rows come in four passes: every 8th from 0, every 8th from 4, every 4th from 2,
    // every 2nd from 1.
    std::vector<int> rows;
    if (imagePacked & 0x40) {
      for (const auto& [start, step] : {std::pair{0, 8}, {4, 8}, {2, 4}, {1, 2}})
        for (int y = start; y < h; y += step) rows.push_back(y);
    } else {
      for (int y = 0; y < h; ++y) rows.push_back(y);
    }
    LabelMap out(width, height, 0);
    for (int r = 0; r < h; ++r)
      for (int x = 0; x < w; ++x) {
        const size_t index = indices[size_t(r) * size_t(w) + size_t(x)];
        if (index >= palette.size()) throw IoError(source, "GIF", "colour index outside the table");
        const auto& c = palette[index];
        out.at(left + x, top + rows[size_t(r)]) = std::uint8_t((c[0] + c[1] + c[2]) / 3);
      }
    return out;
  }
}

LabelMap readGifLuminance(const std::string& path) {
  return decodeGifLuminance(readImageFile(path), path);
}

}  // namespace cfx::io
