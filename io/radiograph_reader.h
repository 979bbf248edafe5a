#pragma once

#include <string>

#include "radiograph.h"

namespace cfx::io {

// Reads a radiograph from DICOM (recognised by content, whatever its name) or PNG.
Radiograph readRadiograph(const std::string& path);

}  // namespace cfx::io
