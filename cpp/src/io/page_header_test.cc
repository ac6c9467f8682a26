#include <gtest/gtest.h>

#include <arrow/array/builder_primitive.h>
#include <arrow/io/memory.h>
#include <arrow/table.h>
#include <parquet/arrow/writer.h>
#include <parquet/file_reader.h>
#include <parquet/metadata.h>

#include "io/page_header_internal.h"
#include "testing/status_assertions.h"

namespace fsspeckit::io {
namespace {

// 1,000 rows: `few` holds 10 distinct values, `many` 1,000; both dictionary-encoded.
std::shared_ptr<arrow::Buffer> TwoColumnFile(bool page_checksums) {
  arrow::Int64Builder few, many;
  for (int64_t i = 0; i < 1000; ++i) {
    EXPECT_TRUE(few.Append(i % 10).ok());
    EXPECT_TRUE(many.Append(i * 7919).ok());
  }
  auto table = arrow::Table::Make(
      arrow::schema({arrow::field("few", arrow::int64()), arrow::field("many", arrow::int64())}),
      {few.Finish().ValueOrDie(), many.Finish().ValueOrDie()});
  parquet::WriterProperties::Builder properties;
  properties.compression(arrow::Compression::SNAPPY);
  if (page_checksums) properties.enable_page_checksum();
  auto out = arrow::io::BufferOutputStream::Create().ValueOrDie();
  EXPECT_TRUE(parquet::arrow::WriteTable(*table, arrow::default_memory_pool(), out, 1000,
                                         properties.build())
                  .ok());
  return out->Finish().ValueOrDie();
}

TEST(PageHeader, DictionaryEntriesComeFromTheHeader) {
  // A CRC field comes before the dictionary header; read one by one or all at once (an
  // object store's way), the same entries.
  for (auto [checksums, at_once] : {std::pair{false, false}, {true, false}, {false, true}, {true, true}}) {
    auto input = std::make_shared<arrow::io::BufferReader>(TwoColumnFile(checksums));
    auto metadata = parquet::ReadMetaData(input);
    auto few = metadata->RowGroup(0)->ColumnChunk(0);
    auto many = metadata->RowGroup(0)->ColumnChunk(1);
    ASSERT_TRUE(few->has_dictionary_page() && many->has_dictionary_page());
    auto entries = DictionaryPageEntries(
        *input, {few->dictionary_page_offset(), many->dictionary_page_offset()}, at_once);
    ASSERT_EQ(entries.size(), 2u);
    ASSERT_OK_AND_ASSIGN(int64_t few_entries, entries[0]);
    ASSERT_OK_AND_ASSIGN(int64_t many_entries, entries[1]);
    EXPECT_EQ(few_entries, 10);
    EXPECT_EQ(many_entries, 1000);
  }
}

TEST(PageHeader, AnythingButADictionaryPageHeaderIsRefused) {
  auto input = std::make_shared<arrow::io::BufferReader>(TwoColumnFile(false));
  auto metadata = parquet::ReadMetaData(input);
  auto chunk = metadata->RowGroup(0)->ColumnChunk(1);
  ASSERT_OK_AND_ASSIGN(int64_t size, input->GetSize());
  // A data page's header is well formed but not a dictionary's; the file's magic bytes;
  // a header cut short by the end of the file; past the end. The good one still counts.
  for (bool at_once : {false, true}) {
    auto entries = DictionaryPageEntries(
        *input, {chunk->data_page_offset(), 0, size - 3, size + 10, chunk->dictionary_page_offset()},
        at_once);
    ASSERT_EQ(entries.size(), 5u);
    for (int i = 0; i < 4; ++i) EXPECT_FALSE(entries[i].ok()) << i;
    ASSERT_OK_AND_ASSIGN(int64_t good, entries[4]);
    EXPECT_EQ(good, 1000);
  }
}

}  // namespace
}  // namespace fsspeckit::io
