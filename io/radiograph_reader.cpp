#include "radiograph_reader.h"

#include <filesystem>

#include "dicom_io.h"
#include "image_limits.h"
#include "io_error.h"
#include "jpeg_io.h"
#include "png_io.h"

namespace cfx::io {

Radiograph readRadiograph(const std::string& path) {
  std::error_code error;
  if (!std::filesystem::is_regular_file(path, error))
    throw IoError(path, "open", error ? error.message() : "no such file");
  if (looksLikeDicom(path)) return readDicom(path);
  Radiograph result;
  const auto bytes = readImageFile(path);
  if (looksLikeJpeg(bytes)) {
    result.image = decodeGrayJpeg(bytes, path);
    result.metadata.sourceBitsStored = 8;
  } else {
    result.image = decodeGrayPng(bytes, path, &result.metadata.sourceBitsStored);
  }
  result.metadata.sourcePhotometric = "MONOCHROME2";
  return result;
}

}  // namespace cfx::io
