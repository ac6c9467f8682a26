// fsspeckit: partition values derived from timestamps (the original's
// derived_partition_columns): checked when planning, computed per batch by the task.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <arrow/array.h>
#include <arrow/compute/exec.h>
#include <arrow/result.h>
#include <arrow/type.h>

#include "fsspeckit/maintenance/plan.h"

namespace fsspeckit::maintenance {

/// `derived` checked against the files' `schema`, the folders' `hive_keys` and
/// `partition_columns`, "auto" sources resolved, and `timezone` tried: Invalid naming the
/// entry and the fix for an unknown function, a strftime without format, a name that
/// partition_columns lacks or that is a column already, a source that is no timestamp
/// column, an "auto" with not exactly one timestamp column, an unknown time zone.
arrow::Result<std::vector<DerivedPartitionColumn>> ResolveDerivedColumns(
    std::vector<DerivedPartitionColumn> derived, const std::string& timezone,
    const arrow::Schema& schema, const std::vector<std::string>& hive_keys,
    const std::vector<std::string>& partition_columns);

/// The values of `derived` for `timestamps` (its source column) as strings, nulls kept.
arrow::Result<std::shared_ptr<arrow::Array>> DeriveValues(const arrow::Array& timestamps,
                                                          const DerivedPartitionColumn& derived,
                                                          const std::string& timezone,
                                                          arrow::compute::ExecContext* context);

}  // namespace fsspeckit::maintenance
