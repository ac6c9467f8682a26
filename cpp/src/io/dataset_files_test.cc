#include "fsspeckit/io/dataset_files.h"

#include <gtest/gtest.h>

#include <filesystem>

#include <arrow/filesystem/localfs.h>

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

}  // namespace
}  // namespace fsspeckit::io
