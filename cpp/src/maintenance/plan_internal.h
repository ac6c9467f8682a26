// fsspeckit: sizes the plan and the tasks of maintenance agree on.
#pragma once

#include <cstdint>

#include "fsspeckit/maintenance/plan.h"

namespace fsspeckit::maintenance {

/// A source row group of at least this many rows is copied raw into the output (when its
/// schema and codec match); smaller ones are decoded and joined into full row groups, so
/// the result reads fast, not only lists fast (DESIGN.md §5 item 13).
inline constexpr int64_t kMinCopiedRowGroupRows = 64 * 1024;

/// What the task for `group` holds at its peak, from the footers.
int64_t EstimateGroupBytes(const MaintenancePlan& plan, const Group& group);

}  // namespace fsspeckit::maintenance
