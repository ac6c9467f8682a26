// fsspeckit: the monotonic clock that caches, throttles and timings are measured with.
#pragma once

#include <chrono>
#include <cstdint>

namespace fsspeckit::memory {

/// Nanoseconds of std::chrono::steady_clock (a vDSO call, about 20 ns).
inline int64_t SteadyNowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace fsspeckit::memory
