// fsspeckit: replacing some rows of a column in place, keeping every other row.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include <arrow/array.h>
#include <arrow/array/array_nested.h>
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
  /// ReplaceWithMask building them value by value, and so are lists of fixed-width values;
  /// fixed-width values are copied whole and the replaced ones written over them; a
  /// struct's fields are replaced one by one; booleans use ReplaceWithMask, and what it
  /// lacks (other nested types) a concatenate-and-take. Allocated from `pool`.
  arrow::Result<std::shared_ptr<arrow::Array>> Apply(
      const std::shared_ptr<arrow::Array>& target,
      const std::shared_ptr<arrow::Array>& replacements,
      arrow::MemoryPool* pool = arrow::default_memory_pool()) const;

  const std::vector<int64_t>& positions() const { return positions_; }

 private:
  RowReplacement() = default;
  arrow::Result<std::shared_ptr<arrow::Array>> ReplaceFields(const arrow::StructArray& target,
                                                             const arrow::StructArray& replacements,
                                                             arrow::MemoryPool* pool) const;
  int64_t length_ = 0;
  std::vector<int64_t> positions_;
  std::shared_ptr<arrow::BooleanArray> mask_;  // true at the replaced rows
};

}  // namespace fsspeckit::merge
