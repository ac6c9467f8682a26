// fsspeckit: cost per call of the memory monitor in C++ (ns), cached and uncached.
// Prints one "name ns_per_call" line per measurement; bench_memory.py reads them.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>

#include "fsspeckit/memory/memory_monitor.h"
#include "fsspeckit/perf/performance_monitor.h"

namespace {

using fsspeckit::memory::MemoryMonitor;
using fsspeckit::memory::MemoryMonitorOptions;

// Best of 5 rounds of `iterations` calls, in nanoseconds per call.
double NsPerCall(int iterations, const std::function<void()>& call) {
  double best = 1e30;
  for (int round = 0; round < 5; ++round) {
    auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < iterations; ++i) call();
    auto elapsed = std::chrono::steady_clock::now() - start;
    best = std::min(best, std::chrono::duration<double, std::nano>(elapsed).count() / iterations);
  }
  return best;
}

std::unique_ptr<MemoryMonitor> Make(int64_t cache_ttl_ms) {
  MemoryMonitorOptions options;
  options.limits.max_rss_bytes = int64_t{8} << 30;
  options.cache_ttl_ms = cache_ttl_ms;
  return MemoryMonitor::Make(std::move(options)).ValueOrDie();
}

}  // namespace

int main() {
  auto cached = Make(60'000);  // a TTL longer than the run: every call hits the cache
  auto uncached = Make(0);
  volatile int sink = 0;
  std::printf("cpp_level_cached %.1f\n",
              NsPerCall(2'000'000, [&] { sink = static_cast<int>(cached->Level()); }));
  std::printf("cpp_check_pressure_cached %.1f\n",
              NsPerCall(2'000'000, [&] { sink = static_cast<int>(cached->CheckPressure()); }));
  std::printf("cpp_snapshot_cached %.1f\n",
              NsPerCall(1'000'000, [&] { sink = cached->Snapshot().pool_bytes > 0; }));
  // TrackMemory() records a timeline sample on top of the cached snapshot it reads.
  auto perf = fsspeckit::perf::PerformanceMonitor::Make(Make(60'000));
  std::printf("cpp_perf_track_memory_cached %.1f\n",
              NsPerCall(1'000'000, [&] { perf->TrackMemory(); }));
  std::printf("cpp_level_uncached %.1f\n",
              NsPerCall(20'000, [&] { sink = static_cast<int>(uncached->Level()); }));
  std::printf("cpp_snapshot_uncached %.1f\n",
              NsPerCall(20'000, [&] { sink = uncached->Snapshot().pool_bytes > 0; }));
  return 0;
}
