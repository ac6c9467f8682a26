#include "fsspeckit/scan/parquet_batch_source.h"

#include <gtest/gtest.h>

#include <arrow/array/builder_binary.h>
#include <arrow/array/builder_primitive.h>
#include <arrow/compute/initialize.h>
#include <arrow/dataset/discovery.h>
#include <arrow/dataset/file_parquet.h>
#include <arrow/dataset/partition.h>
#include <arrow/filesystem/localfs.h>
#include <arrow/io/file.h>
#include <arrow/scalar.h>
#include <arrow/table.h>
#include <parquet/arrow/writer.h>

#include "testing/status_assertions.h"
#include "testing/temp_dir.h"

namespace fsspeckit::scan {
namespace {

using fsspeckit::testing::TempDir;

std::shared_ptr<arrow::Table> MakeTable(int64_t first, int64_t rows, bool with_name = true) {
  arrow::Int64Builder ids;
  arrow::StringBuilder names;
  for (int64_t i = 0; i < rows; ++i) {
    EXPECT_TRUE(ids.Append(first + i).ok());
    EXPECT_TRUE(names.Append("n" + std::to_string(first + i)).ok());
  }
  if (!with_name) {
    return arrow::Table::Make(arrow::schema({arrow::field("id", arrow::int64())}),
                              {ids.Finish().ValueOrDie()});
  }
  return arrow::Table::Make(
      arrow::schema({arrow::field("id", arrow::int64()), arrow::field("name", arrow::utf8())}),
      {ids.Finish().ValueOrDie(), names.Finish().ValueOrDie()});
}

void WriteParquet(const std::string& path, const std::shared_ptr<arrow::Table>& table,
                  int64_t row_group_rows) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  auto out = arrow::io::FileOutputStream::Open(path).ValueOrDie();
  ASSERT_OK(parquet::arrow::WriteTable(*table, arrow::default_memory_pool(), out, row_group_rows));
  ASSERT_OK(out->Close());
}

// Every batch's id column, concatenated.
std::vector<int64_t> ReadIds(ParquetBatchSource& source) {
  std::vector<int64_t> ids;
  while (true) {
    auto batch = source.Next();
    EXPECT_TRUE(batch.ok()) << batch.status().ToString();
    if (!batch.ok() || !*batch) break;
    auto column = std::static_pointer_cast<arrow::Int64Array>((*batch)->GetColumnByName("id"));
    for (int64_t i = 0; i < column->length(); ++i) ids.push_back(column->Value(i));
  }
  return ids;
}

std::vector<int64_t> Range(int64_t first, int64_t end) {
  std::vector<int64_t> out;
  for (int64_t i = first; i < end; ++i) out.push_back(i);
  return out;
}

class ParquetBatchSourceTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_OK(arrow::compute::Initialize()); }
  std::shared_ptr<arrow::fs::FileSystem> fs_ = std::make_shared<arrow::fs::LocalFileSystem>();
  TempDir tmp_;
};

TEST_F(ParquetBatchSourceTest, SingleFileRowGroupByRowGroupWithAndWithoutReadahead) {
  const std::string path = tmp_.path() + "/data.parquet";
  WriteParquet(path, MakeTable(0, 2500), 1000);  // row groups of 1000, 1000, 500
  for (bool readahead : {true, false}) {
    ASSERT_OK_AND_ASSIGN(auto source,
                         ParquetBatchSource::Open(fs_, path, {/*batch_size_rows=*/300, readahead}));
    EXPECT_EQ(source->total_rows(), 2500);
    EXPECT_EQ(source->schema()->num_fields(), 2);
    EXPECT_EQ(ReadIds(*source), Range(0, 2500));
  }
}

TEST_F(ParquetBatchSourceTest, BatchesNeverExceedTheBatchSize) {
  const std::string path = tmp_.path() + "/data.parquet";
  WriteParquet(path, MakeTable(0, 1000), 1000);
  ASSERT_OK_AND_ASSIGN(auto source, ParquetBatchSource::Open(fs_, path, {128, true}));
  int64_t rows = 0;
  while (true) {
    ASSERT_OK_AND_ASSIGN(auto batch, source->Next());
    if (!batch) break;
    EXPECT_LE(batch->num_rows(), 128);
    rows += batch->num_rows();
  }
  EXPECT_EQ(rows, 1000);
}

TEST_F(ParquetBatchSourceTest, HiveFolderAddsPartitionColumnsAndSkipsHiddenFiles) {
  WriteParquet(tmp_.path() + "/ds/day=1/part-0.parquet", MakeTable(0, 100), 40);
  WriteParquet(tmp_.path() + "/ds/day=2/part-0.parquet", MakeTable(100, 50), 40);
  WriteParquet(tmp_.path() + "/ds/_staging/part-9.parquet", MakeTable(9000, 7), 40);
  WriteParquet(tmp_.path() + "/ds/.hidden/part-9.parquet", MakeTable(9000, 7), 40);
  ASSERT_OK_AND_ASSIGN(auto source, ParquetBatchSource::Open(fs_, tmp_.path() + "/ds"));
  EXPECT_EQ(source->num_files(), 2);
  EXPECT_EQ(source->total_rows(), 150);
  ASSERT_NE(source->schema()->GetFieldByName("day"), nullptr);
  std::vector<int64_t> days;
  std::vector<int64_t> ids;
  while (true) {
    ASSERT_OK_AND_ASSIGN(auto batch, source->Next());
    if (!batch) break;
    auto id = std::static_pointer_cast<arrow::Int64Array>(batch->GetColumnByName("id"));
    auto day = batch->GetColumnByName("day");
    for (int64_t i = 0; i < batch->num_rows(); ++i) {
      ids.push_back(id->Value(i));
      ASSERT_OK_AND_ASSIGN(auto scalar, day->GetScalar(i));
      ASSERT_OK_AND_ASSIGN(auto as_int, scalar->CastTo(arrow::int64()));
      days.push_back(std::static_pointer_cast<arrow::Int64Scalar>(as_int)->value);
    }
  }
  EXPECT_EQ(ids, Range(0, 150));
  EXPECT_EQ(days[0], 1);
  EXPECT_EQ(days[99], 1);
  EXPECT_EQ(days[100], 2);
}

TEST_F(ParquetBatchSourceTest, DatasetReadsItsSchemaPartitionsAndFilter) {
  namespace ds = arrow::dataset;
  namespace cp = arrow::compute;
  WriteParquet(tmp_.path() + "/ds/day=1/part-0.parquet", MakeTable(0, 100), 40);
  WriteParquet(tmp_.path() + "/ds/day=2/part-0.parquet", MakeTable(100, 50), 20);
  arrow::fs::FileSelector selector;
  selector.base_dir = tmp_.path() + "/ds";
  selector.recursive = true;
  ds::FileSystemFactoryOptions factory_options;
  factory_options.partitioning = ds::HivePartitioning::MakeFactory();
  factory_options.partition_base_dir = selector.base_dir;
  ASSERT_OK_AND_ASSIGN(auto factory,
                       ds::FileSystemDatasetFactory::Make(fs_, selector,
                                                          std::make_shared<ds::ParquetFileFormat>(),
                                                          factory_options));
  // The dataset's schema leaves "name" out and reads ids as float64.
  auto schema = arrow::schema({arrow::field("id", arrow::float64()),
                               arrow::field("day", arrow::int32())});
  ASSERT_OK_AND_ASSIGN(auto dataset, factory->Finish(schema));
  auto filter = cp::and_(cp::greater_equal(cp::field_ref("id"), cp::literal(130.0)),
                         cp::equal(cp::field_ref("day"), cp::literal(2)));
  ASSERT_OK_AND_ASSIGN(auto source, ParquetBatchSource::Open(dataset, filter, {7, true}));
  EXPECT_EQ(source->total_rows(), -1);  // unknown until the filter ran
  EXPECT_EQ(source->num_files(), 1);    // day=1 pruned by its partition
  std::vector<double> ids;
  while (true) {
    ASSERT_OK_AND_ASSIGN(auto batch, source->Next());
    if (!batch) break;
    ASSERT_TRUE(batch->schema()->Equals(*schema));
    EXPECT_LE(batch->num_rows(), 7);
    auto id = std::static_pointer_cast<arrow::DoubleArray>(batch->column(0));
    for (int64_t i = 0; i < batch->num_rows(); ++i) ids.push_back(id->Value(i));
  }
  ASSERT_EQ(ids.size(), 20u);
  EXPECT_EQ(ids.front(), 130.0);
  EXPECT_EQ(ids.back(), 149.0);

  ASSERT_OK_AND_ASSIGN(auto everything, ParquetBatchSource::Open(dataset, std::nullopt));
  EXPECT_EQ(everything->total_rows(), 150);
}

TEST_F(ParquetBatchSourceTest, FilesMissingAColumnGetNulls) {
  WriteParquet(tmp_.path() + "/ds/a.parquet", MakeTable(0, 10), 10);
  WriteParquet(tmp_.path() + "/ds/b.parquet", MakeTable(10, 5, /*with_name=*/false), 10);
  ASSERT_OK_AND_ASSIGN(auto source, ParquetBatchSource::Open(fs_, tmp_.path() + "/ds"));
  int64_t null_names = 0;
  while (true) {
    ASSERT_OK_AND_ASSIGN(auto batch, source->Next());
    if (!batch) break;
    null_names += batch->GetColumnByName("name")->null_count();
  }
  EXPECT_EQ(null_names, 5);
}

TEST_F(ParquetBatchSourceTest, MissingPathAndCorruptFilesAreNamed) {
  auto missing = ParquetBatchSource::Open(fs_, tmp_.path() + "/nope");
  ASSERT_RAISES(IOError, missing.status());
  EXPECT_NE(missing.status().message().find("does not exist"), std::string::npos);
  EXPECT_NE(missing.status().message().find("/nope"), std::string::npos);

  const std::string bad = tmp_.Write("bad.parquet", "this is not parquet at all");
  auto corrupt = ParquetBatchSource::Open(fs_, bad);
  ASSERT_RAISES(IOError, corrupt.status());
  EXPECT_NE(corrupt.status().message().find("bad.parquet"), std::string::npos);
}

}  // namespace
}  // namespace fsspeckit::scan
