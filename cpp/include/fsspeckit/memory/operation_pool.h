// fsspeckit: the Arrow pool operations allocate from, chosen for their speed in a fresh
// process, and counted together with the process's default pool.
#pragma once

#include <cstdint>

namespace arrow {
class MemoryPool;
}

namespace fsspeckit::memory {

/// The pool merges, maintenance and the CLI allocate from: the base of every Budget's
/// capped pool, the pool a MemoryMonitor watches by default, and the pool of the buffers
/// an operation hands to Arrow writers that free them later (it lives as long as the
/// process).
///
/// Its backend is Arrow's jemalloc when libarrow has it, whatever the process's default
/// pool is (mimalloc in pyarrow's wheels, read once when pyarrow starts): in a fresh
/// process, as a CLI call or a scheduled job runs, merges spend 9-28% fewer CPU seconds
/// on it than on mimalloc, which purges pages it freed and faults them in again
/// (bench/bench_allocator.py; bench/RESULTS.md "Allocators"). A process that names its
/// allocator (ARROW_DEFAULT_MEMORY_POOL set) keeps it: the backend is then its default pool.
///
/// bytes_allocated() counts the process's default pool as well as the backend: Arrow
/// allocates some buffers from the default pool whatever pool it is given, and the
/// caller's tables live there, so a budget (CappedMemoryPool over this pool) and
/// pyarrow_allocated_mb count every byte an operation holds. max_memory() is the sum of
/// both pools' peaks (at least the true peak); ReleaseUnused() releases both.
/// Thread-safe; never destroyed.
arrow::MemoryPool* OperationPool();


}  // namespace fsspeckit::memory
