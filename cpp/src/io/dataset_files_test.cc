#include "io/dataset_files_internal.h"

#include <gtest/gtest.h>

#include <filesystem>

#include <arrow/array.h>
#include <arrow/compute/initialize.h>
#include <arrow/dataset/plan.h>
#include <arrow/filesystem/localfs.h>
#include <arrow/io/file.h>
#include <arrow/json/from_string.h>
#include <arrow/table.h>
#include <parquet/arrow/writer.h>

#include "fsspeckit/io/read_parquet.h"
#include "io/commit_journal_internal.h"
#include "io/dataset_snapshot_internal.h"

#include "testing/status_assertions.h"
#include "testing/temp_dir.h"

namespace fsspeckit::io {
namespace {

using fsspeckit::testing::TempDir;

TEST(DatasetFilesTest, EveryVisibleFileIsDataWhateverItsExtension) {
  TempDir tmp;
  for (const char* name : {"part-00000", "a.parquet", "region=eu/b.snappy.parquet", "_SUCCESS",
                           ".part-00000.crc", "_fsspeckit-staging-1/x.parquet",
                           "region=eu/_tmp/c.parquet", "d.parquet.staged"}) {
    tmp.Write(name, "x");
  }
  arrow::fs::LocalFileSystem fs;
  ASSERT_OK_AND_ASSIGN(auto files, ListDataFiles(fs, tmp.path()));
  EXPECT_EQ(files, (std::vector<std::string>{tmp.path() + "/a.parquet", tmp.path() + "/part-00000",
                                             tmp.path() + "/region=eu/b.snappy.parquet"}));
  // An overwrite also removes hidden .parquet leftovers, never the other hidden files.
  ASSERT_OK_AND_ASSIGN(files, ListDataFiles(fs, tmp.path(), HiddenFiles::kInclude));
  EXPECT_EQ(files.size(), 5u);
  ASSERT_OK_AND_ASSIGN(files, ListDataFiles(fs, tmp.path() + "/missing"));
  EXPECT_TRUE(files.empty());
}

// During a commit (its journal there), readers list the old files until every new one
// is in place, then the new ones: never both the rewritten file and its replacement.
TEST(DatasetFilesTest, DuringACommitTheListingIsTheOldOrTheNewDatasetNeverAMix) {
  TempDir tmp;
  arrow::fs::LocalFileSystem fs;
  tmp.Write("keep.parquet", "x");
  tmp.Write("a.parquet", "x");
  tmp.Write("b.parquet", "x");
  const std::string staging = tmp.path() + "/" + kStagingPrefix + "1";
  tmp.Write(std::string(kStagingPrefix) + "1/a.staged", "x");
  tmp.Write(std::string(kStagingPrefix) + "1/b.staged", "x");
  Journal journal;
  journal.staging_dir = staging;
  journal.moves = {{staging + "/a.staged", tmp.path() + "/a-1-0.parquet"},
                   {staging + "/b.staged", tmp.path() + "/b-1-0.parquet"}};
  journal.deletes = {tmp.path() + "/a.parquet", tmp.path() + "/b.parquet"};
  ASSERT_OK(WriteJournal(fs, tmp.path(), journal, /*durable=*/false));
  const std::vector<std::string> old_files{tmp.path() + "/a.parquet", tmp.path() + "/b.parquet",
                                           tmp.path() + "/keep.parquet"};
  const std::vector<std::string> new_files{tmp.path() + "/a-1-0.parquet",
                                           tmp.path() + "/b-1-0.parquet",
                                           tmp.path() + "/keep.parquet"};
  EXPECT_EQ(ListDataFiles(fs, tmp.path()).ValueOrDie(), old_files);  // nothing moved yet
  ASSERT_OK(fs.Move(staging + "/a.staged", tmp.path() + "/a-1-0.parquet"));
  EXPECT_EQ(ListDataFiles(fs, tmp.path()).ValueOrDie(), old_files);  // one of two moved
  ASSERT_OK(fs.Move(staging + "/b.staged", tmp.path() + "/b-1-0.parquet"));
  EXPECT_EQ(ListDataFiles(fs, tmp.path()).ValueOrDie(), new_files);  // all moved, none deleted
  ASSERT_OK(fs.DeleteFile(tmp.path() + "/a.parquet"));
  EXPECT_EQ(ListDataFiles(fs, tmp.path()).ValueOrDie(), new_files);
  ASSERT_OK(ApplyJournal(fs, tmp.path(), journal, /*durable=*/false));  // done, journal gone
  EXPECT_EQ(ListDataFiles(fs, tmp.path()).ValueOrDie(), new_files);
}

// Lists what an object store lists beside the files: directory markers. (s3fs reports a
// "dir/" key as a zero-byte file of that name; Hadoop writes "dir_$folder$" keys.)
class MarkedFileSystem : public arrow::fs::LocalFileSystem {
 public:
  std::vector<std::string> markers;
  using LocalFileSystem::GetFileInfo;
  arrow::Result<std::vector<arrow::fs::FileInfo>> GetFileInfo(
      const arrow::fs::FileSelector& selector) override {
    ARROW_ASSIGN_OR_RAISE(auto infos, LocalFileSystem::GetFileInfo(selector));
    for (const std::string& marker : markers) {
      infos.emplace_back(marker, arrow::fs::FileType::File).set_size(0);
    }
    return infos;
  }
};

TEST(DatasetFilesTest, DirectoryMarkersAreNeverData) {
  TempDir tmp;
  tmp.Write("region=eu/a.parquet", "x");
  MarkedFileSystem fs;
  for (const char* marker : {"/", "/region=eu/", "/region=us/", "/region=eu_$folder$",
                             "/region=eu/sub_$folder$"}) {
    fs.markers.push_back(tmp.path() + marker);
  }
  for (HiddenFiles hidden : {HiddenFiles::kSkip, HiddenFiles::kInclude}) {
    ASSERT_OK_AND_ASSIGN(auto files, ListDataFiles(fs, tmp.path(), hidden));
    EXPECT_EQ(files, std::vector<std::string>{tmp.path() + "/region=eu/a.parquet"});
  }
  // Nor part of what a commit checks for changes.
  ASSERT_OK_AND_ASSIGN(DatasetSnapshot snapshot, TakeSnapshot(fs, tmp.path()));
  EXPECT_EQ(snapshot.files.size(), 1u);
  EXPECT_TRUE(IsDirectoryMarker(arrow::fs::FileInfo("b/ds/region=eu/", arrow::fs::FileType::File)));
  EXPECT_TRUE(IsDirectoryMarker(arrow::fs::FileInfo("b/ds_$folder$", arrow::fs::FileType::File)));
  EXPECT_FALSE(IsDirectoryMarker(arrow::fs::FileInfo("b/ds/part-0", arrow::fs::FileType::File)));
}

TEST(DatasetFilesTest, WritersRefuseLinksOutOfTheDatasetOnly) {
  TempDir tmp;
  tmp.Write("outside/x.parquet", "x");
  tmp.Write("ds/inside/y.parquet", "y");
  const std::string dataset = tmp.path() + "/ds";
  std::filesystem::create_directory_symlink(tmp.path() + "/ds/inside", dataset + "/alias");
  arrow::fs::LocalFileSystem fs;
  ASSERT_OK(CheckNoLinkOutside(fs, dataset));  // a link inside the root is harmless

  std::filesystem::create_directory_symlink(tmp.path() + "/outside", dataset + "/_hidden");
  ASSERT_OK(CheckNoLinkOutside(fs, dataset));  // never read nor written
  EXPECT_FALSE(CheckNoLinkOutside(fs, dataset, HiddenFiles::kInclude).ok());

  std::filesystem::create_directory_symlink(tmp.path() + "/outside", dataset + "/linked");
  auto status = CheckNoLinkOutside(fs, dataset);
  ASSERT_TRUE(status.IsInvalid()) << status.ToString();
  EXPECT_NE(status.message().find(dataset + "/linked' is a symbolic link"), std::string::npos)
      << status.message();
  // Reads still follow it, as pyarrow's do.
  ASSERT_OK_AND_ASSIGN(auto files, ListDataFiles(fs, dataset));
  EXPECT_NE(std::find(files.begin(), files.end(), dataset + "/linked/x.parquet"), files.end());
}

// The folders pyarrow writes for "" and null read back as pyarrow reads them; a file
// without an extension is read like any other.
TEST(DatasetFilesTest, HiveEmptyAndNullValuesReadAsPyarrowReadsThem) {
  ASSERT_OK(arrow::compute::Initialize());
  arrow::dataset::internal::Initialize();
  TempDir tmp;
  int64_t id = 0;  // 1, 2, 3 for "a", "" and null
  for (const char* folder : {"region=a", "region=", "region=__HIVE_DEFAULT_PARTITION__"}) {
    auto table = arrow::Table::Make(
        arrow::schema({arrow::field("id", arrow::int64())}),
        {arrow::json::ArrayFromJSONString(arrow::int64(), "[" + std::to_string(++id) + "]").ValueOrDie()});
    std::filesystem::create_directories(tmp.path() + "/" + folder);
    auto out = arrow::io::FileOutputStream::Open(tmp.path() + "/" + folder + "/part-00000").ValueOrDie();
    ASSERT_OK(parquet::arrow::WriteTable(*table, arrow::default_memory_pool(), out, 16));
    ASSERT_OK(out->Close());
  }
  auto fs = std::make_shared<arrow::fs::LocalFileSystem>();
  ReadParquetOptions options;
  options.use_threads = false;
  ASSERT_OK_AND_ASSIGN(auto table, ReadParquet({fs, tmp.path()}, options));
  ASSERT_OK_AND_ASSIGN(auto sorted, table->CombineChunksToBatch());
  auto expected = arrow::json::ArrayFromJSONString(arrow::utf8(), R"(["a", "", null])").ValueOrDie();
  auto region = sorted->GetColumnByName("region");
  ASSERT_NE(region, nullptr);
  auto ids = std::static_pointer_cast<arrow::Int64Array>(sorted->GetColumnByName("id"));
  for (int64_t i = 0; i < sorted->num_rows(); ++i) {
    ASSERT_OK_AND_ASSIGN(auto got, region->GetScalar(i));
    ASSERT_OK_AND_ASSIGN(auto want, expected->GetScalar(ids->Value(i) - 1));
    EXPECT_TRUE(got->Equals(*want)) << "id " << ids->Value(i) << ": " << got->ToString();
  }
  EXPECT_EQ(sorted->num_rows(), 3);
}

// One column dictionary-encoded in one file and plain in another is read in the values'
// type; columns dictionary-encoded everywhere stay dictionaries.
TEST(DatasetFilesTest, DictionaryAndPlainFilesReadInTheValuesType) {
  ASSERT_OK(arrow::compute::Initialize());
  arrow::dataset::internal::Initialize();
  auto dictionary = arrow::dictionary(arrow::int32(), arrow::utf8());
  auto a = arrow::schema({arrow::field("k", dictionary), arrow::field("d", dictionary)});
  auto b = arrow::schema({arrow::field("k", arrow::utf8()), arrow::field("d", dictionary)});
  ASSERT_OK_AND_ASSIGN(auto unified, UnifyDataSchemas({a, b}));
  EXPECT_EQ(unified->ToString(), arrow::schema({arrow::field("k", arrow::utf8()),
                                                arrow::field("d", dictionary)})->ToString());
  auto large = arrow::schema({arrow::field("k", arrow::large_utf8())});
  ASSERT_OK_AND_ASSIGN(unified, UnifyDataSchemas({large, a}));
  EXPECT_EQ(unified->field(0)->type()->id(), arrow::Type::LARGE_STRING);

  TempDir tmp;
  for (const auto& [name, schema] : {std::pair{"a.parquet", a}, std::pair{"b.parquet", b}}) {
    std::vector<std::shared_ptr<arrow::Array>> columns;
    for (const auto& field : schema->fields()) {
      columns.push_back(arrow::json::ArrayFromJSONString(field->type(), R"(["x", null])").ValueOrDie());
    }
    auto out = arrow::io::FileOutputStream::Open(tmp.path() + "/" + name).ValueOrDie();
    ASSERT_OK(parquet::arrow::WriteTable(*arrow::Table::Make(schema, columns),
                                         arrow::default_memory_pool(), out, 16));
    ASSERT_OK(out->Close());
  }
  ReadParquetOptions options;
  options.use_threads = false;
  ASSERT_OK_AND_ASSIGN(auto table, ReadParquet({std::make_shared<arrow::fs::LocalFileSystem>(),
                                                tmp.path()}, options));
  EXPECT_EQ(table->num_rows(), 4);
  EXPECT_EQ(table->schema()->GetFieldByName("k")->type()->id(), arrow::Type::STRING);
  EXPECT_EQ(table->GetColumnByName("k")->null_count(), 2);
}

}  // namespace
}  // namespace fsspeckit::io
