#include "error_text.h"

#include <c10/util/Exception.h>

namespace cfx {

std::string errorText(const std::exception& error, bool withBacktrace) {
  if (const auto* torchError = dynamic_cast<const c10::Error*>(&error);
      torchError && !withBacktrace)
    return torchError->what_without_backtrace();
  return error.what();
}

}  // namespace cfx
