// fsspeckit: MiB at the Python edge <-> bytes in the core (shared by memory.cc, perf.cc).
#pragma once

#include <cstdint>
#include <optional>

#include <nanobind/nanobind.h>

#include "errors.h"
#include "fsspeckit/memory/memory_monitor.h"

namespace fsspeckit::python {

/// int(mb * 2**20), as the original mb_to_bytes, saturating at the int64 range.
int64_t MbToBytes(double mb);
/// bytes / 2**20 as a float.
double BytesToMb(int64_t bytes);
/// A limit back in the unit the user gave it: whole MiB as int (2048), else float.
nanobind::object LimitMb(int64_t bytes);

/// The three Python limit arguments as MemoryLimits (None or 0 RSS budget: not watched);
/// ValueError naming the parameter (`names`) for NaN.
memory::MemoryLimits LimitsFromMb(double max_pyarrow_mb, std::optional<double> max_process_memory_mb,
                                  double min_system_available_mb,
                                  const memory::LimitSpelling& names = kMonitorLimits);

/// get_memory_status(): pyarrow_allocated_mb always; process_rss_mb, system_available_mb,
/// host_available_mb, cgroup_usage_mb, cgroup_limit_mb, psi_some_avg10, psi_full_avg10
/// only where the platform gives them.
nanobind::dict StatusDict(const memory::MemorySnapshot& snapshot);

}  // namespace fsspeckit::python
