#pragma once

namespace cfx::io {

// Keeps freed tensor memory in the process for the next request. glibc hands every block over
// 128 KiB (its adaptive limit reaches a few MiB) straight back to the system, so each activation
// of a 128 px network (3 MiB) is mapped afresh on every layer of every slider move: the page
// faults and zeroing cost as much as the arithmetic (a GELU over one such tensor: 4.2 ms, 1.1 ms
// without them). Larger blocks come from the heap as well, and the heap is never trimmed: a 256 px
// training step (batch 8) took 2.6 s with its 100 MiB activations mapped afresh, 1.2 s without.
// The process keeps its peak memory until it exits. Call once at start-up.
void keepTensorMemoryInProcess();

}  // namespace cfx::io
