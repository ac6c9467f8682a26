// fsspeckit tests: a one-column int64 "id" table, the smallest dataset a merge can key on.
#pragma once

#include <cstdint>
#include <memory>

#include <arrow/api.h>
#include <gtest/gtest.h>

namespace fsspeckit::testing {

/// Ids first, first + 1, ..., first + n - 1 as a reader over one batch.
inline std::shared_ptr<arrow::RecordBatchReader> Ids(int64_t first, int64_t n) {
  arrow::Int64Builder ids;
  for (int64_t i = first; i < first + n; ++i) EXPECT_TRUE(ids.Append(i).ok());
  auto table = arrow::Table::Make(arrow::schema({arrow::field("id", arrow::int64())}),
                                  {ids.Finish().ValueOrDie()});
  return std::make_shared<arrow::TableBatchReader>(table);
}

}  // namespace fsspeckit::testing
