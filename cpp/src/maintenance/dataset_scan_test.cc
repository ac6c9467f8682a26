#include "maintenance/dataset_scan_internal.h"

#include <gtest/gtest.h>

#include "maintenance/maintenance_test_fixture.h"

namespace fsspeckit::maintenance {
namespace {

using fsspeckit::testing::TempDir;
using testing::IdNames;
using testing::Local;
using testing::WriteFile;

TEST(ScanDatasetTest, HiddenNamesAreNotDataAndFilesComeInPathOrder) {
  TempDir dir;
  WriteFile(dir.path(), "b.parquet", IdNames(0, 3));
  WriteFile(dir.path(), "a.parquet", IdNames(3, 3));
  WriteFile(dir.path(), "_hidden.parquet", IdNames(6, 3));
  WriteFile(dir.path(), ".dot.parquet", IdNames(9, 3));
  WriteFile(dir.path(), "_tmp/x.parquet", IdNames(12, 3));
  dir.Write("_SUCCESS", "");
  ASSERT_OK_AND_ASSIGN(ScannedDataset scanned, ScanDataset(Local(dir.path()), {}));
  ASSERT_EQ(scanned.files.size(), 2u);
  EXPECT_EQ(scanned.files[0].relative_path, "a.parquet");
  EXPECT_EQ(scanned.files[1].relative_path, "b.parquet");
  EXPECT_EQ(scanned.files[0].num_rows, 3);
  EXPECT_EQ(scanned.files[0].codec, "snappy");
  EXPECT_FALSE(scanned.schema_promoted);
}

TEST(ScanDatasetTest, AFileThatIsNotParquetIsNamedWithTheFix) {
  TempDir dir;
  WriteFile(dir.path(), "a.parquet", IdNames(0, 3));
  dir.Write("notes.csv", "a,b\n1,2\n");
  auto scanned = ScanDataset(Local(dir.path()), {});
  ASSERT_RAISES(Invalid, scanned.status());
  EXPECT_NE(scanned.status().message().find("'notes.csv' in the dataset is not a Parquet file"),
            std::string::npos);
  EXPECT_NE(scanned.status().message().find("leading '_'"), std::string::npos);
}

TEST(ScanDatasetTest, MissingAndEmptyFoldersArePathErrors) {
  TempDir dir;
  auto missing = ScanDataset(Local(dir.path() + "/nope"), {});
  EXPECT_TRUE(io::IsPathError(missing.status()));
  auto empty = ScanDataset(Local(dir.path()), {});
  EXPECT_TRUE(io::IsPathError(empty.status()));
  EXPECT_NE(empty.status().message().find("No Parquet files found"), std::string::npos);
}

TEST(ScanDatasetTest, PartitionFilterMatchesWholeFolderNames) {
  TempDir dir;
  WriteFile(dir.path(), "region=eu/a.parquet", IdNames(0, 3));
  WriteFile(dir.path(), "region=eu-west/a.parquet", IdNames(3, 3));
  WriteFile(dir.path(), "region=us/a.parquet", IdNames(6, 3));
  ASSERT_OK_AND_ASSIGN(auto filter, NormalizePartitionFilter({"region=eu/"}));
  ASSERT_OK_AND_ASSIGN(ScannedDataset scanned, ScanDataset(Local(dir.path()), filter));
  ASSERT_EQ(scanned.files.size(), 1u);
  EXPECT_EQ(scanned.files[0].relative_path, "region=eu/a.parquet");
  ASSERT_OK_AND_ASSIGN(auto none, NormalizePartitionFilter({"region=e"}));
  EXPECT_TRUE(io::IsPathError(ScanDataset(Local(dir.path()), none).status()));
  ASSERT_RAISES(Invalid, NormalizePartitionFilter({" / "}).status());
}

TEST(ScanDatasetTest, SchemasAreUnifiedOrRefusedNamingBothFiles) {
  TempDir dir;
  auto narrow = arrow::Table::Make(arrow::schema({arrow::field("id", arrow::int32())}),
                                   {testing::Json(arrow::int32(), "[1, 2]")});
  WriteFile(dir.path(), "a.parquet", narrow);
  WriteFile(dir.path(), "b.parquet", IdNames(0, 2)->SelectColumns({0}).ValueOrDie());
  ASSERT_OK_AND_ASSIGN(ScannedDataset scanned, ScanDataset(Local(dir.path()), {}));
  EXPECT_TRUE(scanned.schema_promoted);
  EXPECT_TRUE(scanned.schema->field(0)->type()->Equals(arrow::int64()));
  auto text = arrow::Table::Make(arrow::schema({arrow::field("id", arrow::utf8())}),
                                 {testing::Json(arrow::utf8(), "[\"x\"]")});
  WriteFile(dir.path(), "c.parquet", text);
  auto refused = ScanDataset(Local(dir.path()), {});
  ASSERT_RAISES(Invalid, refused.status());
  EXPECT_NE(refused.status().message().find("c.parquet"), std::string::npos);
}

}  // namespace
}  // namespace fsspeckit::maintenance
