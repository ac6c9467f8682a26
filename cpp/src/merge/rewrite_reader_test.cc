#include "merge/rewrite_reader_internal.h"

#include <arrow/io/file.h>
#include <gtest/gtest.h>
#include <parquet/arrow/reader.h>
#include <parquet/file_reader.h>

#include "merge/merge_test_fixture.h"
#include "testing/fake_memory_source.h"
#include "testing/status_assertions.h"

namespace fsspeckit::merge {
namespace {

// a.parquet: ids 0-5 in three row groups of two. The source replaces keys 1 and 4.
class RewriteReaderTest : public MergeTest {
 protected:
  void SetUp() override {
    MergeTest::SetUp();
    WriteFile("a.parquet", 0, 6, 2);
    auto source = arrow::Table::FromRecordBatches(
        {Batch({"id", "name"}, {Json(arrow::int64(), "[4, 1]"), Json(arrow::utf8(), R"(["four", "one"])")})})
                      .ValueOrDie();
    rows_ = SourceRows::Make(source).ValueOrDie();
    keys_ = KeyIndex::Make(*source, {"id"}).ValueOrDie();
    auto input = arrow::io::ReadableFile::Open(tmp_.path() + "/a.parquet").ValueOrDie();
    file_.path = tmp_.path() + "/a.parquet";
    file_.metadata = parquet::ReadMetaData(input);
    file_.schema = arrow::schema({arrow::field("id", arrow::int64()), arrow::field("name", arrow::utf8())});
    file_.matched_row_groups = {0, 2};
    parquet::arrow::FileReaderBuilder builder;
    ASSERT_OK(builder.Open(input));
    ASSERT_OK_AND_ASSIGN(reader_, builder.Build());
    monitor_ = memory::MemoryMonitor::Make({memory::MemoryLimits{int64_t{1} << 30, std::nullopt, 0}})
                   .ValueOrDie();
    ladder_ = std::make_unique<memory::DegradationLadder>(monitor_, memory::DegradationLadderOptions{});
  }
  // The names read, in order.
  std::vector<std::string> ReadAll(std::set<int> skipped, int64_t& advanced) {
    auto reader = MakeRewriteReader(std::move(reader_), file_, *keys_, rows_, *ladder_,
                                    [&](int64_t rows) {
                                      advanced += rows;
                                      return arrow::Status::OK();
                                    },
                                    arrow::default_memory_pool(), matched_, nullptr, skipped)
                      .ValueOrDie();
    std::vector<std::string> names;
    for (auto batch = reader->Next().ValueOrDie(); batch; batch = reader->Next().ValueOrDie()) {
      auto column = std::static_pointer_cast<arrow::StringArray>(batch->GetColumnByName("name"));
      for (int64_t i = 0; i < column->length(); ++i) names.push_back(column->GetString(i));
    }
    return names;
  }

  SourceRows rows_;
  std::unique_ptr<KeyIndex> keys_;
  TargetFile file_;
  std::unique_ptr<parquet::arrow::FileReader> reader_;
  std::shared_ptr<memory::MemoryMonitor> monitor_;
  std::unique_ptr<memory::DegradationLadder> ladder_;
  int64_t matched_ = 0;
};

TEST_F(RewriteReaderTest, MatchedRowsAreReplacedInPlace) {
  int64_t advanced = 0;
  EXPECT_EQ(ReadAll({}, advanced),
            (std::vector<std::string>{"old", "one", "old", "old", "four", "old"}));
  EXPECT_EQ(matched_, 2);
  EXPECT_EQ(advanced, 6);
}

TEST_F(RewriteReaderTest, SkippedRowGroupsAreNotRead) {
  int64_t advanced = 0;
  // Row group 1 (ids 2-3) is the caller's to copy raw: the reader goes from 0 to 2.
  EXPECT_EQ(ReadAll({1}, advanced), (std::vector<std::string>{"old", "one", "four", "old"}));
  EXPECT_EQ(matched_, 2);
  EXPECT_EQ(advanced, 4);
}

}  // namespace
}  // namespace fsspeckit::merge
