#include "radiograph_reader.h"

#include <filesystem>

#include "dicom_io.h"
#include "io_error.h"
#include "png_io.h"

namespace cfx::io {

Radiograph readRadiograph(const std::string& path) {
  std::error_code error;
  if (!std::filesystem::is_regular_file(path, error))
    throw IoError(path, "open", error ? error.message() : "no such file");
  if (looksLikeDicom(path)) return readDicom(path);
  Radiograph result;
  result.image = readGrayPng(path, &result.metadata.sourceBitsStored);
  result.metadata.sourcePhotometric = "MONOCHROME2";
  return result;
}

}  // namespace cfx::io
