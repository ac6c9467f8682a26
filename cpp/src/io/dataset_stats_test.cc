#include "fsspeckit/io/dataset_stats.h"

#include <gtest/gtest.h>

#include <filesystem>

#include <arrow/array/builder_primitive.h>
#include <arrow/filesystem/localfs.h>
#include <arrow/io/file.h>
#include <arrow/table.h>
#include <parquet/arrow/writer.h>

#include "testing/status_assertions.h"
#include "testing/temp_dir.h"

namespace fsspeckit::io {
namespace {

void WriteRows(const std::string& path, int64_t rows) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  arrow::Int64Builder ids;
  for (int64_t i = 0; i < rows; ++i) ASSERT_OK(ids.Append(i));
  auto table = arrow::Table::Make(arrow::schema({arrow::field("id", arrow::int64())}),
                                  {ids.Finish().ValueOrDie()});
  auto out = arrow::io::FileOutputStream::Open(path).ValueOrDie();
  ASSERT_OK(parquet::arrow::WriteTable(*table, arrow::default_memory_pool(), out, rows));
  ASSERT_OK(out->Close());
}

TEST(DatasetStats, SizesAndRowCountsFromTheFooters) {
  testing::TempDir tmp;
  WriteRows(tmp.path() + "/ds/day=1/a.parquet", 10);
  WriteRows(tmp.path() + "/ds/day=2/b.parquet", 5);
  WriteRows(tmp.path() + "/ds/_staging/c.parquet", 7);  // hidden: not data
  Location location{std::make_shared<arrow::fs::LocalFileSystem>(), tmp.path() + "/ds"};

  ASSERT_OK_AND_ASSIGN(DatasetStats all, CollectDatasetStats(location, {}));
  ASSERT_EQ(all.files.size(), 2u);
  EXPECT_EQ(all.total_rows, 15);
  EXPECT_EQ(all.files[0].num_rows, 10);
  EXPECT_EQ(all.files[0].size_bytes,
            static_cast<int64_t>(std::filesystem::file_size(all.files[0].path)));
  EXPECT_EQ(all.total_bytes, all.files[0].size_bytes + all.files[1].size_bytes);

  ASSERT_OK_AND_ASSIGN(DatasetStats day2, CollectDatasetStats(location, {"day=2"}));
  ASSERT_EQ(day2.files.size(), 1u);
  EXPECT_EQ(day2.total_rows, 5);

  auto none = CollectDatasetStats(location, {"day=3"});
  ASSERT_FALSE(none.ok());
  EXPECT_TRUE(IsPathError(none.status()));
  Location missing{location.filesystem, tmp.path() + "/nothing"};
  EXPECT_TRUE(IsPathError(CollectDatasetStats(missing, {}).status()));
}

}  // namespace
}  // namespace fsspeckit::io
