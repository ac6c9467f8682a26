// fsspeckit: where memory readings come from (the OS boundary, injectable for tests).
#pragma once

#include <cstdint>

#include "fsspeckit/memory/memory_snapshot.h"

namespace fsspeckit::memory {

/// A source of memory readings. The monitor reads the pool on every call (an atomic
/// load) and caches the system readings (a few microseconds of /proc reads).
/// Implementations must be safe to call from several threads.
class MemorySource {
 public:
  virtual ~MemorySource() = default;
  /// Bytes currently allocated from the Arrow pool being watched.
  virtual int64_t ReadPoolBytes() = 0;
  /// Process, system, container and PSI readings; absent fields are unknown.
  virtual SystemReadings ReadSystem() = 0;
};

}  // namespace fsspeckit::memory
