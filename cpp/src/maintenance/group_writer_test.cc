#include "maintenance/group_writer_internal.h"

#include <gtest/gtest.h>

#include <arrow/io/file.h>

#include "maintenance/maintenance_test_fixture.h"
#include "maintenance/plan_internal.h"

namespace fsspeckit::maintenance {
namespace {

using fsspeckit::testing::TempDir;
using testing::IdNames;
using testing::ReadFile;
using testing::WriteFile;

io::CopySource Source(const std::string& path) {
  auto input = arrow::io::ReadableFile::Open(path).ValueOrDie();
  return io::CopySource::Open(input, path).ValueOrDie();
}

std::vector<int64_t> Ids(const std::shared_ptr<arrow::Table>& table) {
  std::vector<int64_t> ids;
  for (const auto& chunk : table->GetColumnByName("id")->chunks()) {
    const auto& ints = static_cast<const arrow::Int64Array&>(*chunk);
    for (int64_t i = 0; i < ints.length(); ++i) ids.push_back(ints.Value(i));
  }
  return ids;
}

GroupWriterOptions Options(const std::string& dir, std::optional<int64_t> max_rows = std::nullopt) {
  GroupWriterOptions options;
  options.fs = std::make_shared<arrow::fs::LocalFileSystem>();
  options.path_prefix = dir + "/out/part-";
  options.schema = IdNames(0, 1)->schema();
  options.max_rows_per_file = max_rows;
  options.row_group_rows = 100'000;
  return options;
}

TEST(GroupWriterTest, LargeRowGroupsAreCopiedAndSmallOnesJoinedInOrder) {
  TempDir dir;
  const int64_t big = kMinCopiedRowGroupRows;
  WriteFile(dir.path(), "small1.parquet", IdNames(0, 1000), 500);
  WriteFile(dir.path(), "big.parquet", IdNames(1000, 2 * big), big);
  WriteFile(dir.path(), "small2.parquet", IdNames(1000 + 2 * big, 10), 500);
  ASSERT_OK_AND_ASSIGN(auto writer, GroupWriter::Make(Options(dir.path())));
  for (const char* name : {"small1.parquet", "big.parquet", "small2.parquet"}) {
    io::CopySource source = Source(dir.path() + "/" + name);
    for (int rg = 0; rg < source.metadata->num_row_groups(); ++rg) {
      ASSERT_OK_AND_ASSIGN(bool copy, writer->CanCopy(source, rg));
      if (copy) {
        ASSERT_OK(writer->Copy(source, rg));
      } else {
        auto reader = parquet::arrow::OpenFile(source.file, arrow::default_memory_pool()).ValueOrDie();
        std::shared_ptr<arrow::Table> table;
        ASSERT_OK(reader->ReadRowGroup(rg, &table));
        ASSERT_OK(writer->Append(table->CombineChunksToBatch().ValueOrDie()));
      }
    }
  }
  ASSERT_OK_AND_ASSIGN(auto files, writer->Finish());
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(writer->copied_row_groups(), 2);
  EXPECT_EQ(writer->encoded_row_groups(), 2);  // small1's two joined, then small2's one
  auto table = ReadFile(files[0].path);
  EXPECT_EQ(files[0].row_count, table->num_rows());
  std::vector<int64_t> expected(1010 + 2 * big);
  for (size_t i = 0; i < expected.size(); ++i) expected[i] = static_cast<int64_t>(i);
  EXPECT_EQ(Ids(table), expected);
}

TEST(GroupWriterTest, FilesEndAtMaxRowsAndRowGroupsAreJoined) {
  TempDir dir;
  ASSERT_OK_AND_ASSIGN(auto writer, GroupWriter::Make(Options(dir.path(), 250)));
  for (int i = 0; i < 10; ++i) {
    ASSERT_OK(writer->Append(IdNames(i * 100, 100)->CombineChunksToBatch().ValueOrDie()));
  }
  ASSERT_OK_AND_ASSIGN(auto files, writer->Finish());
  ASSERT_EQ(files.size(), 4u);  // 250, 250, 250, 250
  int64_t next = 0;
  for (const io::WrittenFile& file : files) {
    EXPECT_EQ(file.row_count, 250);
    EXPECT_TRUE(file.path.ends_with(".staged"));
    for (int64_t id : Ids(ReadFile(file.path))) EXPECT_EQ(id, next++);
  }
}

TEST(GroupWriterTest, NothingWrittenIsNoFile) {
  TempDir dir;
  ASSERT_OK_AND_ASSIGN(auto writer, GroupWriter::Make(Options(dir.path())));
  ASSERT_OK_AND_ASSIGN(auto files, writer->Finish());
  EXPECT_TRUE(files.empty());
  EXPECT_TRUE(std::filesystem::is_empty(dir.path() + "/out"));
}

}  // namespace
}  // namespace fsspeckit::maintenance
