#include <string>
#include <vector>

#include "commands.h"
#include "interrupt.h"
#include "memory_allocator.h"

int main(int argc, char** argv) {
  cfx::io::keepTensorMemoryInProcess();
  cfx::cli::installInterruptHandlers();
  return cfx::cli::runCfx(std::vector<std::string>(argv + 1, argv + argc));
}
