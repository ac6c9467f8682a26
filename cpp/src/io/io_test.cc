#include <gtest/gtest.h>

#include <filesystem>

#include <arrow/array/builder_binary.h>
#include <arrow/array/builder_primitive.h>
#include <arrow/array/util.h>
#include <arrow/compute/initialize.h>
#include <arrow/dataset/plan.h>
#include <arrow/filesystem/localfs.h>
#include <arrow/table.h>
#include <parquet/arrow/reader.h>
#include <parquet/file_reader.h>
#include <parquet/metadata.h>

#include "io/compression_internal.h"
#include "io/dataset_lock_internal.h"
#include "io/write_files_internal.h"
#include "fsspeckit/io/location.h"
#include "fsspeckit/io/read_parquet.h"
#include "fsspeckit/io/write_dataset.h"
#include "fsspeckit/io/write_parquet.h"
#include "testing/status_assertions.h"
#include "testing/temp_dir.h"

namespace fsspeckit::io {
namespace {

namespace fs = std::filesystem;
namespace cp = arrow::compute;
using fsspeckit::testing::TempDir;

std::shared_ptr<arrow::Table> MakeTable(int64_t first, int64_t rows) {
  arrow::Int64Builder ids;
  arrow::StringBuilder days;
  for (int64_t i = 0; i < rows; ++i) {
    EXPECT_TRUE(ids.Append(first + i).ok());
    EXPECT_TRUE(days.Append((first + i) % 2 ? "odd" : "even").ok());
  }
  return arrow::Table::Make(
      arrow::schema({arrow::field("id", arrow::int64()), arrow::field("day", arrow::utf8())}),
      {ids.Finish().ValueOrDie(), days.Finish().ValueOrDie()});
}

std::shared_ptr<arrow::RecordBatchReader> Reader(const std::shared_ptr<arrow::Table>& table) {
  return std::make_shared<arrow::TableBatchReader>(table);
}

// Yields one good batch, then fails: a write interrupted midway.
class FailingReader : public arrow::RecordBatchReader {
 public:
  std::shared_ptr<arrow::Schema> schema() const override { return MakeTable(0, 1)->schema(); }
  arrow::Status ReadNext(std::shared_ptr<arrow::RecordBatch>* out) override {
    if (calls_++ == 0) return arrow::TableBatchReader(*MakeTable(0, 10)).ReadNext(out);
    return arrow::Status::IOError("source went away");
  }

 private:
  int calls_ = 0;
};

// Files below `dir`, leaving out the lock file writers keep (hidden, never data).
std::vector<std::string> FilesBelow(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (entry.is_regular_file() && entry.path().filename() != kLockName) {
      out.push_back(fs::relative(entry.path(), dir).string());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

class IoTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK(cp::Initialize());
    arrow::dataset::internal::Initialize();
  }
  Location At(const std::string& relative) {
    return ResolveLocation(nullptr, tmp_.path() + "/" + relative).ValueOrDie();
  }
  TempDir tmp_;
};

TEST_F(IoTest, ResolveLocationHandlesPathsUrisAndBadInput) {
  ASSERT_OK_AND_ASSIGN(Location local, ResolveLocation(nullptr, tmp_.path() + "/a/../b/"));
  EXPECT_EQ(local.path, tmp_.path() + "/b");
  EXPECT_EQ(local.filesystem->type_name(), "local");
  ASSERT_OK_AND_ASSIGN(Location uri, ResolveLocation(nullptr, "file://" + tmp_.path()));
  EXPECT_EQ(uri.path, tmp_.path());
  ASSERT_OK_AND_ASSIGN(Location relative, ResolveLocation(nullptr, "rel/x"));
  EXPECT_EQ(relative.path, (fs::current_path() / "rel/x").string());
  auto with_fs = ResolveLocation(std::make_shared<arrow::fs::LocalFileSystem>(), "file:///tmp/x");
  ASSERT_OK(with_fs.status());
  EXPECT_EQ(with_fs->path, "/tmp/x");

  auto ftp = ResolveLocation(nullptr, "ftp://host/x");
  ASSERT_RAISES(Invalid, ftp.status());
  EXPECT_TRUE(IsPathError(ftp.status()));
  EXPECT_NE(ftp.status().message().find("Unsupported protocol: ftp"), std::string::npos);
  auto empty = ResolveLocation(nullptr, "  ");
  EXPECT_TRUE(IsPathError(empty.status()));
  EXPECT_EQ(empty.status().message(), "Path cannot be empty or whitespace-only");
  auto control = ResolveLocation(nullptr, std::string("a\0b", 3));
  EXPECT_EQ(control.status().message(), "Path contains forbidden control character: '\\x00'");
  auto missing = CheckExists(At("nope"));
  ASSERT_RAISES(IOError, missing);
  EXPECT_TRUE(IsPathError(missing));
  EXPECT_NE(missing.message().find("Dataset path does not exist: "), std::string::npos);
}

TEST_F(IoTest, CompressionNames) {
  ASSERT_OK_AND_ASSIGN(auto zstd, ParseCompression(std::string("ZSTD")));
  EXPECT_EQ(zstd, arrow::Compression::ZSTD);
  ASSERT_OK_AND_ASSIGN(auto none, ParseCompression(std::nullopt));
  EXPECT_EQ(none, arrow::Compression::UNCOMPRESSED);
  auto bad = ParseCompression(std::string("zip"));
  ASSERT_RAISES(Invalid, bad.status());
  EXPECT_EQ(bad.status().message(),
            "Invalid compression codec: 'zip'. Must be one of: brotli, gzip, lz4, snappy, "
            "uncompressed, zstd");
}

TEST_F(IoTest, WriteParquetRoundTripsWithCodecAndRowGroups) {
  Location file = At("sub/dir/data.parquet");
  ASSERT_OK_AND_ASSIGN(int64_t size_bytes,
                       WriteParquet(Reader(MakeTable(0, 1000)), file, {"zstd", 300}));
  ASSERT_OK_AND_ASSIGN(auto info, file.filesystem->GetFileInfo(file.path));
  EXPECT_EQ(size_bytes, info.size());  // what the commit checks the staged file against
  EXPECT_EQ(FilesBelow(tmp_.path()), std::vector<std::string>{"sub/dir/data.parquet"});
  auto reader = parquet::ParquetFileReader::OpenFile(file.path);
  EXPECT_EQ(reader->metadata()->num_row_groups(), 4);
  EXPECT_EQ(reader->metadata()->RowGroup(0)->ColumnChunk(0)->compression(),
            arrow::Compression::ZSTD);
  ASSERT_OK_AND_ASSIGN(auto table, ReadParquet(file));
  EXPECT_TRUE(table->Equals(*MakeTable(0, 1000)));
}

TEST_F(IoTest, FailedWriteParquetLeavesNothingAndKeepsTheOldFile) {
  Location file = At("data.parquet");
  ASSERT_OK(WriteParquet(Reader(MakeTable(0, 5)), file));
  auto failed = WriteParquet(std::make_shared<FailingReader>(), file).status();
  ASSERT_RAISES(IOError, failed);
  EXPECT_NE(failed.message().find("source went away"), std::string::npos);
  EXPECT_EQ(FilesBelow(tmp_.path()), std::vector<std::string>{"data.parquet"});
  ASSERT_OK_AND_ASSIGN(auto table, ReadParquet(file));
  EXPECT_EQ(table->num_rows(), 5);
}

TEST_F(IoTest, ReadParquetProjectsFiltersAndReadsHiveFolders) {
  Location dataset = At("ds");
  WriteDatasetOptions options;
  options.partition_by = {"day"};
  ASSERT_OK(WriteDataset(Reader(MakeTable(0, 100)), dataset, options).status());
  ReadParquetOptions read;
  read.columns = std::vector<std::string>{"id", "day"};
  read.filter = cp::equal(cp::field_ref("day"), cp::literal("odd"));
  ASSERT_OK_AND_ASSIGN(auto odd, ReadParquet(dataset, read));
  EXPECT_EQ(odd->num_rows(), 50);
  EXPECT_EQ(odd->schema()->field(1)->name(), "day");
  read.columns = std::vector<std::string>{"nope"};
  ASSERT_RAISES(KeyError, ReadParquet(dataset, read).status());
  tmp_.Write("ds/day=odd/broken.parquet", "not parquet");
  auto broken = ReadParquet(dataset);
  ASSERT_RAISES(IOError, broken.status());
  EXPECT_NE(broken.status().message().find("broken.parquet"), std::string::npos);
}

TEST_F(IoTest, AppendAddsUniqueFilesAndReportsThem) {
  Location dataset = At("ds");
  WriteDatasetOptions options;
  options.max_rows_per_file = 400;
  options.row_group_size = 100;
  ASSERT_OK_AND_ASSIGN(auto first, WriteDataset(Reader(MakeTable(0, 1000)), dataset, options));
  ASSERT_OK_AND_ASSIGN(auto second, WriteDataset(Reader(MakeTable(1000, 10)), dataset, options));
  EXPECT_EQ(first.files.size(), 3u);
  EXPECT_EQ(first.total_rows, 1000);
  EXPECT_EQ(first.files[0].row_count, 400);
  EXPECT_EQ(first.files[0].size_bytes, static_cast<int64_t>(fs::file_size(first.files[0].path)));
  EXPECT_EQ(second.total_rows, 10);
  EXPECT_EQ(FilesBelow(dataset.path).size(), 4u);  // nothing overwritten, no staging left
  auto reader = parquet::ParquetFileReader::OpenFile(first.files[0].path);
  EXPECT_EQ(reader->metadata()->num_row_groups(), 4);
  ASSERT_OK_AND_ASSIGN(auto all, ReadParquet(dataset));
  EXPECT_EQ(all->num_rows(), 1010);

  options.basename_template = "fixed-{i}.parquet";
  ASSERT_OK(WriteDataset(Reader(MakeTable(0, 1)), dataset, options).status());
  auto collision = WriteDataset(Reader(MakeTable(0, 1)), dataset, options);
  ASSERT_RAISES(IOError, collision.status());
  EXPECT_NE(collision.status().message().find("appends never overwrite"), std::string::npos);
  EXPECT_EQ(FilesBelow(dataset.path).size(), 5u);
}

TEST_F(IoTest, OverwriteReplacesOnlyWhenTheNewDataIsComplete) {
  Location dataset = At("ds");
  ASSERT_OK(WriteDataset(Reader(MakeTable(0, 30)), dataset).status());
  tmp_.Write("ds/_SUCCESS", "");
  WriteDatasetOptions overwrite;
  overwrite.mode = "overwrite";
  ASSERT_RAISES(IOError, WriteDataset(std::make_shared<FailingReader>(), dataset, overwrite).status());
  ASSERT_OK_AND_ASSIGN(auto kept, ReadParquet(dataset));
  EXPECT_EQ(kept->num_rows(), 30);  // the old data survived the failed overwrite
  EXPECT_EQ(FilesBelow(dataset.path).size(), 2u);  // old file + _SUCCESS, no staging
  ASSERT_OK(WriteDataset(Reader(MakeTable(100, 7)), dataset, overwrite).status());
  ASSERT_OK_AND_ASSIGN(auto replaced, ReadParquet(dataset));
  EXPECT_EQ(replaced->num_rows(), 7);
  EXPECT_EQ(FilesBelow(dataset.path).size(), 2u);  // new file + _SUCCESS (not parquet: kept)
}

TEST_F(IoTest, PartitionFlavorsAndSchemaCasts) {
  WriteDatasetOptions options;
  options.partition_by = {"day"};
  options.partitioning_flavor = "directory";
  ASSERT_OK(WriteDataset(Reader(MakeTable(0, 4)), At("dir"), options).status());
  EXPECT_TRUE(fs::exists(tmp_.path() + "/dir/odd"));
  options.partitioning_flavor = "hive";
  options.schema = arrow::schema({arrow::field("id", arrow::float64()),
                                  arrow::field("extra", arrow::int32())});
  ASSERT_OK_AND_ASSIGN(auto result, WriteDataset(Reader(MakeTable(0, 4)), At("hive"), options));
  EXPECT_TRUE(fs::exists(tmp_.path() + "/hive/day=even"));
  ASSERT_OK_AND_ASSIGN(auto table, ReadParquet(At("hive")));
  EXPECT_EQ(table->schema()->GetFieldByName("id")->type()->id(), arrow::Type::DOUBLE);
  EXPECT_EQ(table->GetColumnByName("extra")->null_count(), 4);

  options.schema = arrow::schema({arrow::field("day", arrow::list(arrow::int32()))});
  auto bad = WriteDataset(Reader(MakeTable(0, 4)), At("bad"), options);
  ASSERT_RAISES(TypeError, bad.status());
  EXPECT_NE(bad.status().message().find("cannot cast column 'day'"), std::string::npos);
}

// Arrow 26's CanCast(halffloat, halffloat) is false: a column already of the schema's
// type is not refused (in-memory merges conform their source this way).
TEST_F(IoTest, CastToSchemaKeepsColumnsAlreadyOfTheType) {
  auto schema = arrow::schema({arrow::field("h", arrow::float16())});
  auto batch = arrow::RecordBatch::Make(
      schema, 2, {arrow::MakeArrayOfNull(arrow::float16(), 2).ValueOrDie()});
  ASSERT_OK_AND_ASSIGN(auto reader,
                       CastToSchema(arrow::RecordBatchReader::Make({batch}).ValueOrDie(), schema));
  ASSERT_OK_AND_ASSIGN(auto table, reader->ToTable());
  EXPECT_TRUE(table->schema()->Equals(*schema));
  EXPECT_EQ(table->num_rows(), 2);
}

TEST_F(IoTest, BadDatasetOptionsAreInvalid) {
  auto check = [&](WriteDatasetOptions options, const std::string& message) {
    auto result = WriteDataset(Reader(MakeTable(0, 1)), At("x"), options);
    ASSERT_RAISES(Invalid, result.status());
    EXPECT_NE(result.status().message().find(message), std::string::npos) << result.status();
  };
  WriteDatasetOptions o;
  o.mode = "replace";
  check(o, "mode must be 'append' or 'overwrite', got: replace");
  o = {};
  o.max_rows_per_file = 0;
  check(o, "max_rows_per_file must be > 0");
  o = {};
  o.row_group_size = -1;
  check(o, "row_group_size must be > 0");
  o = {};
  o.basename_template = "fixed.parquet";
  check(o, "must contain '{i}'");
  o = {};
  o.partition_by = {"nope"};
  check(o, "partition_by column 'nope' is not in the data");
  o = {};
  o.compression = "rar";
  check(o, "Invalid compression codec: 'rar'");
  EXPECT_FALSE(fs::exists(tmp_.path() + "/x"));
}

}  // namespace
}  // namespace fsspeckit::io
