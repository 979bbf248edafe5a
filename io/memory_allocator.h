#pragma once

namespace cfx::io {

// Keeps freed tensor memory in the process for the next request. glibc hands every block over
// 128 KiB (its adaptive limit reaches a few MiB) straight back to the system, so each activation
// of a 128 px network (3 MiB) is mapped afresh on every layer of every slider move: the page
// faults and zeroing cost as much as the arithmetic (a GELU over one such tensor: 4.2 ms, 1.1 ms
// without them). Call once at start-up; blocks over 32 MiB (glibc's ceiling) are still mapped.
void keepTensorMemoryInProcess();

}  // namespace cfx::io
