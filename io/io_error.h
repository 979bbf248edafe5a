#pragma once

#include "validation_error.h"

namespace cfx::io {

// Errors from reading or writing files: the message names the file and what is wrong with it.
using IoError = cfx::ValidationError;

}  // namespace cfx::io
