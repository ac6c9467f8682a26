// fsspeckit: replacing some rows of a column in place, keeping every other row.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include <arrow/array.h>
#include <arrow/memory_pool.h>
#include <arrow/result.h>

namespace fsspeckit::merge {

/// Which rows of a batch a merge replaces: row `positions[k]` takes the k-th replacement.
/// Applied column by column, each column keeps its other rows in place and in order.
class RowReplacement {
 public:
  /// `positions` ascending, each below `length`.
  static arrow::Result<RowReplacement> Make(int64_t length, std::vector<int64_t> positions);

  /// `target` (of `length` rows) with its replaced rows taken from `replacements` (one
  /// per position, same type). Strings and binaries are spliced: the runs between
  /// replaced rows are copied whole, which is several times faster than Arrow's
  /// ReplaceWithMask building them value by value; other types use ReplaceWithMask, and
  /// types it lacks (nested) a concatenate-and-take. The result is allocated from `pool`.
  arrow::Result<std::shared_ptr<arrow::Array>> Apply(
      const std::shared_ptr<arrow::Array>& target,
      const std::shared_ptr<arrow::Array>& replacements,
      arrow::MemoryPool* pool = arrow::default_memory_pool()) const;

  const std::vector<int64_t>& positions() const { return positions_; }

 private:
  RowReplacement() = default;
  int64_t length_ = 0;
  std::vector<int64_t> positions_;
  std::shared_ptr<arrow::BooleanArray> mask_;  // true at the replaced rows
};

}  // namespace fsspeckit::merge
