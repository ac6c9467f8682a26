// fsspeckit: the one error for columns a caller named that a schema lacks.
#pragma once

#include <string>
#include <vector>

#include <arrow/status.h>
#include <arrow/type.h>

namespace fsspeckit::merge {

/// OK when `schema` has every column of `wanted`; else Invalid: `what` followed by the
/// missing names, then the columns there are ("Key column(s) missing from source: id.
/// Available columns: a, b"), as the original fsspeckit words it.
arrow::Status CheckColumns(const arrow::Schema& schema, const std::vector<std::string>& wanted,
                           const std::string& what);

}  // namespace fsspeckit::merge
