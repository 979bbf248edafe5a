#include "dicom_status.h"

#include <cstdio>

namespace cfx::pacs {

std::string describeStatus(std::uint16_t status) {
  const char* meaning = "failure";
  if (status == 0x0000)
    meaning = "success";
  else if (status == 0xFF00 || status == 0xFF01)
    meaning = "pending";
  else if (status == 0xFE00)
    meaning = "cancelled";
  else if (status == 0x0001 || (status >= 0xB000 && status <= 0xBFFF))
    meaning = "warning: some sub-operations failed or data were coerced";
  else if (status == 0xA801)
    meaning = "move destination unknown";
  else if (status == 0xA700 || status == 0xA701 || status == 0xA702)
    meaning = "out of resources";
  else if (status >= 0xA900 && status <= 0xA9FF)
    meaning = "data set does not match SOP class";
  else if (status == 0x0122)
    meaning = "SOP class not supported";
  else if (status == 0x0124)
    meaning = "not authorised";
  else if (status >= 0xC000 && status <= 0xCFFF)
    meaning = "unable to process";
  char code[8];
  std::snprintf(code, sizeof code, "0x%04X", unsigned(status));
  return std::string(code) + " (" + meaning + ")";
}

bool isFailure(std::uint16_t status) {
  return !(status == 0x0000 || status == 0x0001 || status == 0xFF00 || status == 0xFF01 ||
           (status >= 0xB000 && status <= 0xBFFF));
}

}  // namespace cfx::pacs
