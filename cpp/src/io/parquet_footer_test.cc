#include "io/parquet_footer_internal.h"

#include <arrow/filesystem/localfs.h>
#include <arrow/io/file.h>
#include <gtest/gtest.h>

#include "testing/status_assertions.h"
#include "testing/temp_dir.h"

namespace fsspeckit::io {
namespace {

TEST(ParquetFooterTest, ADamagedFileIsNamedWithOneWording) {
  testing::TempDir dir;
  const std::string path = dir.path() + "/not-parquet";
  {
    auto out = *arrow::io::FileOutputStream::Open(path);
    ASSERT_OK(out->Write("this is not a parquet file at all", 33));
    ASSERT_OK(out->Close());
  }
  arrow::fs::LocalFileSystem fs;
  auto footer = ReadFooter(fs, path);
  ASSERT_RAISES(IOError, footer.status());
  EXPECT_EQ(footer.status().message().rfind("cannot read Parquet file '" + path + "': ", 0), 0u)
      << footer.status().message();
  auto missing = ReadFooter(fs, dir.path() + "/missing");
  ASSERT_RAISES(IOError, missing.status());
  EXPECT_NE(missing.status().message().find("cannot read Parquet file '"), std::string::npos);
}

TEST(ParquetFooterTest, OutOfMemoryStaysTheBudgets) {
  arrow::Status status = ParquetReadError(arrow::Status::OutOfMemory("refused"), "a.parquet");
  ASSERT_RAISES(OutOfMemory, status);
  EXPECT_EQ(status.message(), "cannot read Parquet file 'a.parquet': refused");
  EXPECT_TRUE(ParquetReadError(arrow::Status::OK(), "a.parquet").ok());
}

}  // namespace
}  // namespace fsspeckit::io
