#pragma once

#include <string>

#include "radiograph.h"

namespace cfx::io {

// Reads a radiograph from DICOM, PNG or JPEG (each recognised by content, whatever its name).
Radiograph readRadiograph(const std::string& path);

}  // namespace cfx::io
