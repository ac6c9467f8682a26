// fsspeckit: a test dataset of small Parquet files and sources for merge tests.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <arrow/array/builder_binary.h>
#include <arrow/array/builder_primitive.h>
#include <arrow/compute/initialize.h>
#include <arrow/dataset/plan.h>
#include <arrow/filesystem/localfs.h>
#include <arrow/io/file.h>
#include <arrow/json/from_string.h>
#include <arrow/table.h>
#include <parquet/arrow/writer.h>

#include "fsspeckit/io/location.h"
#include "fsspeckit/merge/merge.h"
#include "testing/status_assertions.h"
#include "testing/temp_dir.h"

namespace fsspeckit::merge {

inline std::shared_ptr<arrow::Array> Json(const std::shared_ptr<arrow::DataType>& type,
                                   const std::string& json) {
  return arrow::json::ArrayFromJSONString(type, json).ValueOrDie();
}

inline std::shared_ptr<arrow::RecordBatch> Batch(std::vector<std::string> names,
                                          std::vector<std::shared_ptr<arrow::Array>> columns) {
  arrow::FieldVector fields;
  for (size_t i = 0; i < names.size(); ++i) fields.push_back(arrow::field(names[i], columns[i]->type()));
  return arrow::RecordBatch::Make(arrow::schema(fields), columns[0]->length(), columns);
}

// A source in three batches (as a Python table arrives), never combined.
inline std::shared_ptr<arrow::Table> ThreeBatches() {
  return arrow::Table::FromRecordBatches(
             {Batch({"k", "v"}, {Json(arrow::int64(), "[0, 1]"), Json(arrow::utf8(), R"(["a", "b"])")}),
              Batch({"k", "v"}, {Json(arrow::int64(), "[2, 1, 4]"), Json(arrow::utf8(), R"(["c", null, "e"])")}),
              Batch({"k", "v"}, {Json(arrow::int64(), "[5]"), Json(arrow::utf8(), R"(["f"])")})})
      .ValueOrDie();
}

// A file of `table` at `name` below the dataset (folders created).
inline void WriteTableAt(const std::string& dir, const std::string& name, const arrow::Table& table) {
  std::filesystem::create_directories(std::filesystem::path(dir + "/" + name).parent_path());
  auto out = arrow::io::FileOutputStream::Open(dir + "/" + name).ValueOrDie();
  ASSERT_OK(parquet::arrow::WriteTable(table, arrow::default_memory_pool(), out, 1024));
  ASSERT_OK(out->Close());
}

inline std::shared_ptr<arrow::Table> IdsAndRegions(const std::shared_ptr<arrow::DataType>& id_type,
                                            const std::string& ids, const std::string& regions) {
  return arrow::Table::FromRecordBatches({Batch({"id", "region"}, {Json(id_type, ids),
                                                                   Json(arrow::utf8(), regions)})})
      .ValueOrDie();
}

class MergeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK(arrow::compute::Initialize());
    arrow::dataset::internal::Initialize();
  }
  // A file of ids [first, first+n) with row groups of `rg` rows, named `name`.
  void WriteFile(const std::string& name, int64_t first, int64_t n, int64_t rg) {
    arrow::Int64Builder ids;
    arrow::StringBuilder names;
    for (int64_t i = first; i < first + n; ++i) {
      ASSERT_OK(ids.Append(i));
      ASSERT_OK(names.Append("old"));
    }
    auto table = arrow::Table::Make(
        arrow::schema({arrow::field("id", arrow::int64()), arrow::field("name", arrow::utf8())}),
        {ids.Finish().ValueOrDie(), names.Finish().ValueOrDie()});
    std::filesystem::create_directories(std::filesystem::path(tmp_.path() + "/" + name).parent_path());
    auto out = arrow::io::FileOutputStream::Open(tmp_.path() + "/" + name).ValueOrDie();
    ASSERT_OK(parquet::arrow::WriteTable(*table, arrow::default_memory_pool(), out, rg));
    ASSERT_OK(out->Close());
  }
  std::shared_ptr<arrow::RecordBatchReader> Source(const std::string& ids_json) {
    auto ids = Json(arrow::int64(), ids_json);
    arrow::StringBuilder names;
    for (int64_t i = 0; i < ids->length(); ++i) EXPECT_TRUE(names.Append("new").ok());
    auto batch = Batch({"id", "name"}, {ids, names.Finish().ValueOrDie()});
    return arrow::RecordBatchReader::Make({batch}).ValueOrDie();
  }
  io::Location Location() { return {fs_, tmp_.path()}; }
  // The file that holds `name`'s rows now, relative to the dataset: `name` itself, or the
  // one file a rewrite wrote beside it ("a.parquet" -> "a-<16 hex>-0.parquet").
  std::string Now(const std::string& name) {
    if (std::filesystem::exists(tmp_.path() + "/" + name)) return name;
    const std::filesystem::path old(name);
    const std::string stem = old.stem().string() + "-";
    std::vector<std::string> found;
    for (const auto& entry : std::filesystem::directory_iterator(tmp_.path() + "/" +
                                                                 old.parent_path().string())) {
      const std::string file = entry.path().filename().string();
      if (file.starts_with(stem) && file.ends_with("-0.parquet")) {
        found.push_back((old.parent_path() / file).string());
      }
    }
    EXPECT_EQ(found.size(), 1u) << name;
    return found.empty() ? name : found[0];
  }

  std::shared_ptr<arrow::fs::FileSystem> fs_ = std::make_shared<arrow::fs::LocalFileSystem>();
  testing::TempDir tmp_;
};

/// Two files, ids 0-5 and 10-15 in row groups of 2, keyed on "id".
class TwoFileMergeTest : public MergeTest {
 protected:
  void SetUp() override {
    MergeTest::SetUp();
    WriteFile("a.parquet", 0, 6, 2);
    WriteFile("b.parquet", 10, 6, 2);
    options_.key_columns = {"id"};
    // Both files are full: new keys are a task of their own (an insert task), not rows
    // appended to a rewritten file (that case: MergeTest.NewKeysGoIntoAFileRewrittenAnyway).
    options_.max_rows_per_file = 6;
  }
  MergeOptions options_;
};


}  // namespace fsspeckit::merge
