#pragma once

#include <string>
#include <vector>

#include "image_buffer.h"

namespace cfx::io {

// The first image of a GIF (87a or 89a) as 8-bit luminance of its palette colours, on the
// logical screen (areas the image does not cover are 0). Enough for the binary masks data sets
// publish as GIF (e.g. the SCR masks of JSRT); animation and transparency are ignored. Throws an
// IoError naming `source` for anything malformed or too large.
LabelMap decodeGifLuminance(const std::vector<unsigned char>& bytes, const std::string& source);
LabelMap readGifLuminance(const std::string& path);

}  // namespace cfx::io
