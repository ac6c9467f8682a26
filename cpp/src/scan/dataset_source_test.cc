#include "fsspeckit/scan/dataset_source.h"

#include <gtest/gtest.h>

#include <arrow/compute/expression.h>
#include <arrow/dataset/discovery.h>
#include <arrow/dataset/file_csv.h>
#include <arrow/filesystem/localfs.h>
#include <arrow/scalar.h>

#include "testing/status_assertions.h"
#include "testing/temp_dir.h"

namespace fsspeckit::scan {
namespace {

namespace cp = arrow::compute;

// Three CSV files of 1,000 ids each: 0-999, 1000-1999, 2000-2999.
std::shared_ptr<arrow::dataset::Dataset> CsvDataset(const testing::TempDir& dir) {
  for (int file = 0; file < 3; ++file) {
    std::string text = "id\n";
    for (int i = 0; i < 1000; ++i) text += std::to_string(file * 1000 + i) + "\n";
    dir.Write("part-" + std::to_string(file) + ".csv", text);
  }
  arrow::fs::FileSelector selector;
  selector.base_dir = dir.path();
  auto factory = arrow::dataset::FileSystemDatasetFactory::Make(
                     std::make_shared<arrow::fs::LocalFileSystem>(), selector,
                     std::make_shared<arrow::dataset::CsvFileFormat>(), {})
                     .ValueOrDie();
  return factory->Finish().ValueOrDie();
}

TEST(DatasetSource, CountsUpFrontAndHandsOutSmallBatches) {
  testing::TempDir dir;
  ASSERT_OK_AND_ASSIGN(auto source, MakeDatasetSource(CsvDataset(dir), std::nullopt, 300));
  EXPECT_EQ(source->total_rows(), 3000);
  int64_t rows = 0;
  while (true) {
    ASSERT_OK_AND_ASSIGN(auto batch, source->Next());
    if (!batch) break;
    EXPECT_LE(batch->num_rows(), 300);
    rows += batch->num_rows();
  }
  EXPECT_EQ(rows, 3000);
}

TEST(DatasetSource, FilterAppliesToTheCountAndTheRows) {
  testing::TempDir dir;
  auto filter = cp::less(cp::field_ref("id"), cp::literal(int64_t{1500}));
  ASSERT_OK_AND_ASSIGN(auto source, MakeDatasetSource(CsvDataset(dir), filter, 4096));
  EXPECT_EQ(source->total_rows(), 1500);
  int64_t rows = 0;
  while (true) {
    ASSERT_OK_AND_ASSIGN(auto batch, source->Next());
    if (!batch) break;
    rows += batch->num_rows();
  }
  EXPECT_EQ(rows, 1500);
}

TEST(DatasetSource, ClosedEarlyTheDatasetReadsAgainFromTheStart) {
  testing::TempDir dir;
  auto dataset = CsvDataset(dir);
  for (int round = 0; round < 5; ++round) {
    ASSERT_OK_AND_ASSIGN(auto source, MakeDatasetSource(dataset, std::nullopt, 100));
    EXPECT_EQ(source->total_rows(), 3000);
    ASSERT_OK_AND_ASSIGN(auto batch, source->Next());
    ASSERT_NE(batch, nullptr);
    source->Close();
  }
}

}  // namespace
}  // namespace fsspeckit::scan
