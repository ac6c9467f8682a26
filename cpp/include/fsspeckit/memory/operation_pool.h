// fsspeckit: the Arrow pool operations allocate from, chosen by measurement, and counted
// together with the process's default pool.
#pragma once

#include <cstdint>

namespace arrow {
class MemoryPool;
}

namespace fsspeckit::memory {

/// Names another backend for OperationPool(): jemalloc, mimalloc or system.
inline constexpr const char* kOperationPoolVariable = "FSSPECKIT_MEMORY_POOL";

/// The pool merges, maintenance and the CLI allocate from: the base of every Budget's
/// capped pool, the pool a MemoryMonitor watches by default, the pool of local files'
/// reads, and the pool of the buffers an operation hands to Arrow writers that free them
/// later (it lives as long as the process).
///
/// The process's default pool (mimalloc in pyarrow's wheels; ARROW_DEFAULT_MEMORY_POOL
/// chooses another before pyarrow starts), unless FSSPECKIT_MEMORY_POOL names another
/// backend. Chosen by measuring merges in fresh processes (bench/bench_allocator.py;
/// bench/RESULTS.md "Allocators, chosen"): Arrow's jemalloc, the only other backend a
/// library can switch to once pyarrow has started, faults every 4 KiB page in (4-80x the
/// page faults of mimalloc, which takes 2 MiB huge pages) and spent more CPU seconds on 7
/// of 9 shapes (up to 1.19x); it is faster only where mimalloc's purging bites
/// (strings-random-all, 0.88x). jemalloc with huge pages (thp:always) would be, but its
/// settings are read once, when libarrow loads.
///
/// When the backend is not the default pool, bytes_allocated() counts the default pool
/// as well: Arrow allocates some buffers from the default pool whatever pool it is given,
/// and the caller's tables live there, so a budget (CappedMemoryPool over this pool) and
/// pyarrow_allocated_mb count every byte an operation holds. max_memory() is then the sum
/// of both pools' peaks (at least the true peak); ReleaseUnused() releases both.
/// Thread-safe; never destroyed; chosen at its first call.
arrow::MemoryPool* OperationPool();

}  // namespace fsspeckit::memory
