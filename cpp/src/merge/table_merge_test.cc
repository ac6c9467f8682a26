#include <gtest/gtest.h>

#include <arrow/compute/initialize.h>
#include <arrow/json/from_string.h>
#include <arrow/record_batch.h>
#include <arrow/table.h>

#include "fsspeckit/merge/table_merge.h"
#include "testing/status_assertions.h"

namespace fsspeckit::merge {
namespace {

std::shared_ptr<arrow::RecordBatch> Batch(const std::shared_ptr<arrow::Schema>& schema,
                                          const std::string& json) {
  // Rows as JSON arrays of field values, read as a struct array.
  auto rows = arrow::json::ArrayFromJSONString(arrow::struct_(schema->fields()), json).ValueOrDie();
  return arrow::RecordBatch::FromStructArray(rows).ValueOrDie();
}

std::shared_ptr<arrow::RecordBatchReader> Reader(std::shared_ptr<arrow::RecordBatch> batch) {
  return arrow::RecordBatchReader::Make({std::move(batch)}).ValueOrDie();
}

const auto kExisting = arrow::schema({arrow::field("id", arrow::int64()),
                                      arrow::field("name", arrow::utf8()),
                                      arrow::field("category", arrow::utf8())});

// existing (two batches): ids 1, 2, null | 3
std::vector<std::shared_ptr<arrow::RecordBatch>> Existing() {
  return {Batch(kExisting, R"([[1, "a", "x"], [2, "b", "x"], [null, "n", "x"]])"),
          Batch(kExisting, R"([[3, "c", "y"]])")};
}

// Source: id 2 twice (the last wins), a null key, a new id 9; no "category" column, an
// extra "score" column, ids as int32 and names as string_view (as polars sends them).
std::shared_ptr<arrow::RecordBatch> Source() {
  auto schema = arrow::schema({arrow::field("id", arrow::int32()),
                               arrow::field("name", arrow::utf8_view()),
                               arrow::field("score", arrow::float64())});
  return Batch(schema, R"([[2, "B-old", 1], [9, "new", 2], [null, "N", 3], [2, "B", 4]])");
}

std::string Merged(const std::string& strategy) {
  EXPECT_TRUE(arrow::compute::Initialize().ok());
  auto merge = TableMerge::Make(Reader(Source()), kExisting, {"id"}, strategy).ValueOrDie();
  arrow::RecordBatchVector out;
  for (auto& batch : Existing()) out.push_back(merge->Filter(batch).ValueOrDie());
  out.push_back(merge->Tail().ValueOrDie());
  auto table = arrow::Table::FromRecordBatches(merge->schema(), out).ValueOrDie();
  EXPECT_TRUE(table->schema()->Equals(*kExisting));
  return table->CombineChunksToBatch().ValueOrDie()->ToString();
}

TEST(TableMerge, UpsertKeepsUnmatchedRowsThenAppendsEverySourceKeyOnce) {
  auto expected = Batch(kExisting, R"([[1, "a", "x"], [3, "c", "y"],
                                       [9, "new", null], [null, "N", null], [2, "B", null]])");
  EXPECT_EQ(Merged("upsert"), expected->ToString());
}

TEST(TableMerge, UpdateAppendsOnlySourceRowsWhoseKeyExists) {
  // The null key matches the existing null key; 9 is not in the existing data.
  auto expected = Batch(kExisting, R"([[1, "a", "x"], [3, "c", "y"],
                                       [null, "N", null], [2, "B", null]])");
  EXPECT_EQ(Merged("update"), expected->ToString());
}

TEST(TableMerge, MissingKeyColumnIsNamed) {
  auto result = TableMerge::Make(Reader(Source()), kExisting, {"id", "region"}, "upsert");
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.status().message().find("Key column(s) missing from source: region"),
            std::string::npos)
      << result.status().ToString();
}

TEST(TableMerge, OtherStrategiesAreRefused) {
  auto result = TableMerge::Make(Reader(Source()), kExisting, {"id"}, "insert");
  ASSERT_FALSE(result.ok());
  EXPECT_TRUE(result.status().IsInvalid());
}

}  // namespace
}  // namespace fsspeckit::merge
