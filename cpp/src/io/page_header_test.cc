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
  for (bool checksums : {false, true}) {  // a CRC field comes before the dictionary header
    auto input = std::make_shared<arrow::io::BufferReader>(TwoColumnFile(checksums));
    auto metadata = parquet::ReadMetaData(input);
    auto few = metadata->RowGroup(0)->ColumnChunk(0);
    auto many = metadata->RowGroup(0)->ColumnChunk(1);
    ASSERT_TRUE(few->has_dictionary_page() && many->has_dictionary_page());
    ASSERT_OK_AND_ASSIGN(int64_t few_entries, DictionaryPageEntries(*input, few->dictionary_page_offset()));
    ASSERT_OK_AND_ASSIGN(int64_t many_entries,
                         DictionaryPageEntries(*input, many->dictionary_page_offset()));
    EXPECT_EQ(few_entries, 10);
    EXPECT_EQ(many_entries, 1000);
  }
}

TEST(PageHeader, AnythingButADictionaryPageHeaderIsRefused) {
  auto input = std::make_shared<arrow::io::BufferReader>(TwoColumnFile(false));
  auto metadata = parquet::ReadMetaData(input);
  auto chunk = metadata->RowGroup(0)->ColumnChunk(1);
  // A data page's header is well formed but not a dictionary's.
  EXPECT_FALSE(DictionaryPageEntries(*input, chunk->data_page_offset()).ok());
  // The file's magic bytes, and a header cut short by the end of the file.
  EXPECT_FALSE(DictionaryPageEntries(*input, 0).ok());
  ASSERT_OK_AND_ASSIGN(int64_t size, input->GetSize());
  EXPECT_FALSE(DictionaryPageEntries(*input, size - 3).ok());
}

}  // namespace
}  // namespace fsspeckit::io
