#include "merge/plain_columns_internal.h"

#include <algorithm>

#include <arrow/array/builder_binary.h>
#include <arrow/array/builder_primitive.h>
#include <arrow/io/file.h>
#include <arrow/table.h>
#include <gtest/gtest.h>
#include <parquet/arrow/writer.h>
#include <parquet/file_reader.h>

#include "testing/status_assertions.h"
#include "testing/temp_dir.h"

namespace fsspeckit::merge {
namespace {

// unique: every value once (a dictionary saves nothing); repeated: five values; plain:
// written without a dictionary. Only `repeated` keeps its dictionary in a rewrite.
TEST(PlainColumnsTest, DictionariesAreKeptOnlyWhereTheyPay) {
  fsspeckit::testing::TempDir dir;
  arrow::Int64Builder unique, plain;
  arrow::StringBuilder repeated;
  for (int64_t i = 0; i < 10'000; ++i) {
    ASSERT_OK(unique.Append(i * 7919));
    ASSERT_OK(plain.Append(i % 3));
    ASSERT_OK(repeated.Append("v" + std::to_string(i % 5)));
  }
  auto table = arrow::Table::Make(
      arrow::schema({arrow::field("unique", arrow::int64()), arrow::field("repeated", arrow::utf8()),
                     arrow::field("plain", arrow::int64())}),
      {unique.Finish().ValueOrDie(), repeated.Finish().ValueOrDie(), plain.Finish().ValueOrDie()});
  const std::string path = dir.path() + "/t.parquet";
  auto out = arrow::io::FileOutputStream::Open(path).ValueOrDie();
  auto properties = parquet::WriterProperties::Builder().disable_dictionary("plain")->build();
  ASSERT_OK(parquet::arrow::WriteTable(*table, arrow::default_memory_pool(), out, 10'000, properties));
  ASSERT_OK(out->Close());
  auto input = arrow::io::ReadableFile::Open(path).ValueOrDie();
  auto metadata = parquet::ReadMetaData(input);
  std::vector<std::string> got = PlainColumns(*metadata, *input);
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, (std::vector<std::string>{"plain", "unique"}));
}

}  // namespace
}  // namespace fsspeckit::merge
