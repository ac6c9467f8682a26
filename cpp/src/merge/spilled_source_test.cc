// Spilling a source: every row lands in exactly one part, equal keys share a part, parts
// are key ranges (integer first key) or hash buckets, and none outgrows its size.
#include "merge/spilled_source_internal.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>

#include <arrow/array/builder_binary.h>
#include <arrow/array/builder_primitive.h>
#include <arrow/filesystem/localfs.h>
#include <arrow/scalar.h>

#include "testing/status_assertions.h"
#include "testing/temp_dir.h"

namespace fsspeckit::merge {
namespace {

// `batches` batches of keys drawn (with repeats) from 0..distinct-1, shuffled, as
// int64 or as strings, and each row's number.
std::vector<std::shared_ptr<arrow::RecordBatch>> Source(int batches, int rows, int distinct,
                                                        bool strings) {
  std::mt19937 random(5);
  std::vector<std::shared_ptr<arrow::RecordBatch>> out;
  int64_t row = 0;
  for (int b = 0; b < batches; ++b) {
    arrow::Int64Builder ints, numbers;
    arrow::StringBuilder texts;
    for (int i = 0; i < rows; ++i, ++row) {
      const int64_t key = static_cast<int64_t>(random() % distinct);
      EXPECT_TRUE(ints.Append(key).ok());
      EXPECT_TRUE(texts.Append("k" + std::to_string(key)).ok());
      EXPECT_TRUE(numbers.Append(row).ok());
    }
    std::shared_ptr<arrow::Array> key = strings ? texts.Finish().ValueOrDie() : ints.Finish().ValueOrDie();
    out.push_back(arrow::RecordBatch::Make(
        arrow::schema({arrow::field("k", key->type()), arrow::field("row", arrow::int64())}),
        rows, {key, numbers.Finish().ValueOrDie()}));
  }
  return out;
}

struct SpillRun {
  SpilledSource spilled;
  std::vector<std::map<std::string, int64_t>> keys_by_part;  // key (as text) -> rows
  int64_t rows = 0;
};

SpillRun Spill(std::vector<std::shared_ptr<arrow::RecordBatch>> batches, int head_batches,
               int64_t part_bytes, const std::string& dir) {
  auto fs = std::make_shared<arrow::fs::LocalFileSystem>();
  SourceHead head;
  head.batches.assign(batches.begin(), batches.begin() + head_batches);
  std::vector<std::shared_ptr<arrow::RecordBatch>> rest(batches.begin() + head_batches, batches.end());
  auto reader = arrow::RecordBatchReader::Make(rest, batches[0]->schema()).ValueOrDie();
  SpillRun run;
  run.spilled = SpillSource(std::move(head), *reader, *fs, dir, {"k"}, part_bytes,
                            arrow::default_memory_pool()).ValueOrDie();
  for (const SourcePart& part : run.spilled.parts) {
    auto table = ReadParts(*fs, {part}, arrow::default_memory_pool()).ValueOrDie();
    EXPECT_EQ(table->num_rows(), part.rows);
    auto& keys = run.keys_by_part.emplace_back();
    for (const auto& chunk : table->GetColumnByName("k")->chunks()) {
      for (int64_t i = 0; i < chunk->length(); ++i) ++keys[chunk->GetScalar(i).ValueOrDie()->ToString()];
    }
    run.rows += table->num_rows();
  }
  return run;
}

void ExpectEachKeyInOnePart(const SpillRun& run) {
  std::map<std::string, int> parts_of_key;
  for (const auto& keys : run.keys_by_part) {
    for (const auto& [key, rows] : keys) ++parts_of_key[key];
  }
  for (const auto& [key, parts] : parts_of_key) EXPECT_EQ(parts, 1) << key;
}

TEST(SpilledSourceTest, IntegerKeysSpillInAscendingRangesEachKeyInOnePart) {
  fsspeckit::testing::TempDir tmp;
  SpillRun run = Spill(Source(20, 5000, 30000, false), 4, int64_t{1} << 30, tmp.path() + "/spill");
  EXPECT_EQ(run.rows, 100000);
  EXPECT_EQ(run.spilled.rows, 100000);
  EXPECT_GT(run.spilled.parts.size(), 8u);
  ExpectEachKeyInOnePart(run);
  int64_t previous_max = -1;
  for (const auto& keys : run.keys_by_part) {  // parts in path order: ranges ascending
    std::vector<int64_t> values;
    for (const auto& [key, rows] : keys) values.push_back(std::stoll(key));
    auto [low, high] = std::minmax_element(values.begin(), values.end());
    EXPECT_GT(*low, previous_max);
    previous_max = *high;
  }
}

TEST(SpilledSourceTest, StringKeysSpillByHashAndLargePartsAreSplitAgain) {
  fsspeckit::testing::TempDir tmp;
  const int64_t part_bytes = 64 * 1024;  // about 4,000 rows: the first 16 parts are split
  SpillRun run = Spill(Source(10, 10000, 50000, true), 2, part_bytes, tmp.path() + "/spill");
  EXPECT_EQ(run.rows, 100000);
  EXPECT_GT(run.spilled.parts.size(), 16u);
  ExpectEachKeyInOnePart(run);
  for (const SourcePart& part : run.spilled.parts) EXPECT_LE(part.bytes, part_bytes) << part.name;
  EXPECT_GT(run.spilled.bytes_written, 0);
}

}  // namespace
}  // namespace fsspeckit::merge
