#pragma once

#include <cstdint>
#include <string>

namespace cfx::pacs {

// "0xA801 (move destination unknown)": a DIMSE status code as a user can read it.
std::string describeStatus(std::uint16_t status);

// Success 0x0000, Warning 0x0001/0xB000-0xBFFF, Pending 0xFF00/0xFF01 are not failures.
bool isFailure(std::uint16_t status);

}  // namespace cfx::pacs
