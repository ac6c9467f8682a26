// fsspeckit: PerformanceMetrics as the Python dict of get_metrics() (shared with merges).
#pragma once

#include <nanobind/nanobind.h>

#include "fsspeckit/perf/performance_monitor.h"

namespace fsspeckit::python {

nanobind::dict MetricsDict(const perf::PerformanceMetrics& metrics);

}  // namespace fsspeckit::python
