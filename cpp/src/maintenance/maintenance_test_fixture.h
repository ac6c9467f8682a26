// fsspeckit tests: small Parquet datasets on local disk for the maintenance tests.
#pragma once

#include <algorithm>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <arrow/api.h>
#include <arrow/filesystem/localfs.h>
#include <arrow/io/file.h>
#include <arrow/json/from_string.h>
#include <gtest/gtest.h>
#include <parquet/arrow/reader.h>
#include <parquet/arrow/writer.h>

#include "fsspeckit/io/location.h"
#include "testing/status_assertions.h"
#include "testing/temp_dir.h"

namespace fsspeckit::maintenance::testing {

inline std::shared_ptr<arrow::Array> Json(const std::shared_ptr<arrow::DataType>& type,
                                          const std::string& json) {
  return arrow::json::ArrayFromJSONString(type, json).ValueOrDie();
}

/// Rows (id, name) with ids first..first+n-1 and names "n<id % 7>".
inline std::shared_ptr<arrow::Table> IdNames(int64_t first, int64_t n) {
  arrow::Int64Builder ids;
  arrow::StringBuilder names;
  for (int64_t i = first; i < first + n; ++i) {
    EXPECT_TRUE(ids.Append(i).ok());
    EXPECT_TRUE(names.Append("n" + std::to_string(i % 7)).ok());
  }
  return arrow::Table::Make(arrow::schema({arrow::field("id", arrow::int64()),
                                           arrow::field("name", arrow::utf8())}),
                            {ids.Finish().ValueOrDie(), names.Finish().ValueOrDie()});
}

/// Writes `table` as the Parquet file `relative` below `dir` (folders created).
inline void WriteFile(const std::string& dir, const std::string& relative,
                      const std::shared_ptr<arrow::Table>& table, int64_t row_group_rows = 1 << 20,
                      arrow::Compression::type codec = arrow::Compression::SNAPPY) {
  const std::filesystem::path path = std::filesystem::path(dir) / relative;
  std::filesystem::create_directories(path.parent_path());
  auto sink = arrow::io::FileOutputStream::Open(path.string()).ValueOrDie();
  auto properties = parquet::WriterProperties::Builder().compression(codec)->build();
  auto arrow_properties = parquet::ArrowWriterProperties::Builder().store_schema()->build();
  ASSERT_TRUE(parquet::arrow::WriteTable(*table, arrow::default_memory_pool(), sink, row_group_rows,
                                         properties, arrow_properties)
                  .ok());
  ASSERT_TRUE(sink->Close().ok());
}

/// Every visible file below `dir`, relative, sorted.
inline std::vector<std::string> Files(const std::string& dir) {
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    std::string relative = std::filesystem::relative(entry.path(), dir).string();
    files.push_back(relative);
  }
  std::sort(files.begin(), files.end());
  return files;
}

/// The table in the Parquet file at `path`.
inline std::shared_ptr<arrow::Table> ReadFile(const std::string& path) {
  auto input = arrow::io::ReadableFile::Open(path).ValueOrDie();
  auto reader = parquet::arrow::OpenFile(input, arrow::default_memory_pool()).ValueOrDie();
  std::shared_ptr<arrow::Table> table;
  EXPECT_TRUE(reader->ReadTable(&table).ok());
  return table;
}

/// The int64 column `column` of every data file (names not starting with '_' or '.')
/// below `dir`, files in path order.
inline std::vector<int64_t> Column(const std::string& dir, const std::string& column = "id") {
  std::vector<int64_t> values;
  for (const std::string& relative : Files(dir)) {
    if (relative.starts_with("_") || relative.starts_with(".") ||
        relative.find("/_") != std::string::npos || relative.find("/.") != std::string::npos) {
      continue;
    }
    auto table = ReadFile(dir + "/" + relative);
    auto chunked = table->GetColumnByName(column);
    for (const auto& chunk : chunked->chunks()) {
      const auto& ints = static_cast<const arrow::Int64Array&>(*chunk);
      for (int64_t i = 0; i < ints.length(); ++i) values.push_back(ints.IsNull(i) ? -1 : ints.Value(i));
    }
  }
  return values;
}

inline io::Location Local(const std::string& dir) {
  return {std::make_shared<arrow::fs::LocalFileSystem>(), dir};
}

}  // namespace fsspeckit::maintenance::testing
