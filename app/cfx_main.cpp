#include <string>
#include <vector>

#include "commands.h"
#include "interrupt.h"

int main(int argc, char** argv) {
  cfx::cli::installInterruptHandlers();
  return cfx::cli::runCfx(std::vector<std::string>(argv + 1, argv + argc));
}
