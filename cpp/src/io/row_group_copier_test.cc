#include <gtest/gtest.h>

#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include <arrow/array/builder_binary.h>
#include <arrow/array/builder_primitive.h>
#include <arrow/compute/api_scalar.h>
#include <arrow/compute/cast.h>
#include <arrow/compute/initialize.h>
#include <arrow/io/file.h>
#include <arrow/io/memory.h>
#include <arrow/json/from_string.h>
#include <arrow/memory_pool.h>
#include <arrow/table.h>
#include <arrow/util/key_value_metadata.h>
#include <arrow/util/secure_string.h>
#include <parquet/arrow/reader.h>
#include <parquet/arrow/writer.h>
#include <parquet/bloom_filter.h>
#include <parquet/bloom_filter_reader.h>
#include <parquet/encryption/encryption.h>
#include <parquet/column_writer.h>
#include <parquet/file_reader.h>
#include <parquet/file_writer.h>
#include <parquet/metadata.h>
#include <parquet/page_index.h>
#include <parquet/size_statistics.h>
#include <parquet/statistics.h>

#include "io/row_group_copier_internal.h"
#include "testing/status_assertions.h"
#include "testing/temp_dir.h"

namespace fsspeckit::io {
namespace {

using fsspeckit::testing::TempDir;
using parquet::Compression;

std::shared_ptr<arrow::Array> FromJson(const std::shared_ptr<arrow::DataType>& type,
                                       const std::string& json) {
  auto array = arrow::json::ArrayFromJSONString(type, json);
  EXPECT_TRUE(array.ok()) << array.status().ToString();
  return *array;
}

// `rows` rows from `first` on, with every kind of column a copy must carry: nulls,
// dictionaries, large strings, time zones, lists, structs, maps, decimals, booleans.
std::shared_ptr<arrow::Table> RichTable(int64_t first, int64_t rows) {
  auto schema = arrow::schema({
      arrow::field("id", arrow::int64(), /*nullable=*/false),
      arrow::field("name", arrow::utf8()),
      arrow::field("big", arrow::large_utf8()),
      arrow::field("ts", arrow::timestamp(arrow::TimeUnit::MICRO, "Europe/Paris")),
      arrow::field("cat", arrow::dictionary(arrow::int32(), arrow::utf8())),
      arrow::field("tags", arrow::list(arrow::int32())),
      arrow::field("point", arrow::struct_({arrow::field("x", arrow::float64()),
                                            arrow::field("label", arrow::utf8())})),
      arrow::field("attrs", arrow::map(arrow::utf8(), arrow::int64())),
      arrow::field("price", arrow::decimal128(12, 2)),
      arrow::field("flag", arrow::boolean()),
      arrow::field("day", arrow::date32()),
      arrow::field("hash", arrow::fixed_size_binary(4)),
  });
  std::vector<std::string> json(12, "[");
  std::string indices = "[";
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t i = first + r;
    const std::string sep = r == 0 ? "" : ",";
    const std::string n = std::to_string(i);
    json[0] += sep + n;
    json[1] += sep + (i % 7 == 0 ? "null" : "\"name-" + std::to_string(i % 50) + "\"");
    json[2] += sep + "\"value number " + n + "\"";
    json[3] += sep + (i % 11 == 0 ? "null" : std::to_string(1'700'000'000'000'000 + i * 1'000'003));
    indices += sep + (i % 13 == 0 ? "null" : std::to_string(i % 5));
    json[5] += sep + (i % 9 == 0   ? std::string("null")
                      : i % 9 == 1 ? std::string("[]")
                                   : "[" + n + ", null, " + std::to_string(i * 3 % 1000) + "]");
    json[6] += sep + (i % 17 == 0 ? std::string("null")
                                  : "{\"x\": " + std::to_string(i) + ".5, \"label\": " +
                                        (i % 3 == 0 ? "null" : "\"p" + std::to_string(i % 40) + "\"") + "}");
    json[7] += sep + (i % 6 == 0 ? std::string("null")
                                 : "[[\"k" + std::to_string(i % 4) + "\", " + n + "], [\"z\", null]]");
    json[8] += sep + (i % 8 == 0 ? "null" : "\"" + std::to_string(i % 100000) + ".25\"");
    json[9] += sep + (i % 5 == 0 ? "null" : (i % 2 ? "true" : "false"));
    json[10] += sep + std::to_string(19000 + i % 400);
    char hash[5];
    std::snprintf(hash, sizeof(hash), "%04lld", static_cast<long long>(i % 10000));
    json[11] += sep + "\"" + hash + "\"";
  }
  for (auto& column : json) column += "]";
  indices += "]";
  std::vector<std::shared_ptr<arrow::Array>> columns;
  for (int c = 0; c < schema->num_fields(); ++c) {
    if (c == 4) {
      auto dictionary = arrow::json::DictArrayFromJSONString(
          schema->field(c)->type(), indices, R"(["red", "green", "blue", "cyan", "black"])");
      EXPECT_TRUE(dictionary.ok()) << dictionary.status().ToString();
      columns.push_back(*dictionary);
    } else {
      columns.push_back(FromJson(schema->field(c)->type(), json[c]));
    }
  }
  return arrow::Table::Make(schema, columns);
}

std::shared_ptr<parquet::WriterProperties> Properties(
    Compression::type codec = Compression::SNAPPY,
    parquet::ParquetDataPageVersion version = parquet::ParquetDataPageVersion::V1,
    bool page_index = true) {
  parquet::WriterProperties::Builder builder;
  builder.compression(codec)->data_page_version(version)->max_rows_per_page(200);
  if (!page_index) builder.disable_write_page_index();
  return builder.build();
}

std::shared_ptr<parquet::ArrowWriterProperties> StoreSchema() {
  return parquet::ArrowWriterProperties::Builder().store_schema()->build();
}

std::string WriteFile(const TempDir& dir, const std::string& name, const arrow::Table& table,
                      int64_t row_group_rows,
                      const std::shared_ptr<parquet::WriterProperties>& properties) {
  const std::string path = dir.path() + "/" + name;
  auto out = arrow::io::FileOutputStream::Open(path).ValueOrDie();
  EXPECT_TRUE(parquet::arrow::WriteTable(table, arrow::default_memory_pool(), out, row_group_rows,
                                         properties, StoreSchema())
                  .ok());
  EXPECT_TRUE(out->Close().ok());
  return path;
}

CopySource Source(const std::string& path) {
  return CopySource::Open(arrow::io::ReadableFile::Open(path).ValueOrDie(), path).ValueOrDie();
}

std::shared_ptr<arrow::Table> ReadBack(const std::string& path) {
  auto file = arrow::io::ReadableFile::Open(path).ValueOrDie();
  auto reader = parquet::arrow::OpenFile(file, arrow::default_memory_pool()).ValueOrDie();
  return reader->ReadTable().ValueOrDie();
}

// Dictionary columns with their values: a reader builds one dictionary per row group.
std::shared_ptr<arrow::Table> Decoded(const std::shared_ptr<arrow::Table>& table) {
  std::vector<std::shared_ptr<arrow::ChunkedArray>> columns;
  std::vector<std::shared_ptr<arrow::Field>> fields;
  for (int i = 0; i < table->num_columns(); ++i) {
    auto column = table->column(i);
    auto field = table->schema()->field(i);
    if (column->type()->id() == arrow::Type::DICTIONARY) {
      const auto& value_type =
          static_cast<const arrow::DictionaryType&>(*column->type()).value_type();
      column = arrow::compute::Cast(column, value_type).ValueOrDie().chunked_array();
      field = field->WithType(value_type);
    }
    columns.push_back(column);
    fields.push_back(field);
  }
  return arrow::Table::Make(arrow::schema(fields), columns);
}

void ExpectSameTable(const std::shared_ptr<arrow::Table>& actual,
                     const std::shared_ptr<arrow::Table>& expected) {
  ASSERT_TRUE(actual->schema()->Equals(*expected->schema(), /*check_metadata=*/false))
      << actual->schema()->ToString() << "\nvs\n" << expected->schema()->ToString();
  ASSERT_EQ(actual->num_rows(), expected->num_rows());
  auto a = Decoded(actual), b = Decoded(expected);
  for (int i = 0; i < a->num_columns(); ++i) {
    EXPECT_TRUE(a->column(i)->Equals(b->column(i))) << "column " << a->schema()->field(i)->name();
  }
}

std::shared_ptr<arrow::Table> Concat(const std::vector<std::shared_ptr<arrow::Table>>& tables) {
  return arrow::ConcatenateTables(tables).ValueOrDie();
}

struct Output {
  std::string path;
  std::shared_ptr<arrow::io::FileOutputStream> sink;
  std::unique_ptr<RowGroupCopier> copier;
};

Output MakeOutput(const TempDir& dir, const std::shared_ptr<arrow::Schema>& schema,
                  RowGroupCopierOptions options = {}, const std::string& name = "out.parquet") {
  Output out;
  out.path = dir.path() + "/" + name;
  out.sink = arrow::io::FileOutputStream::Open(out.path).ValueOrDie();
  auto copier = RowGroupCopier::Make(out.sink, schema, std::move(options));
  EXPECT_TRUE(copier.ok()) << copier.status().ToString();
  out.copier = std::move(*copier);
  return out;
}

void Finish(Output& out) {
  ASSERT_OK(out.copier->Close());
  ASSERT_OK(out.sink->Close());
}

std::string Bytes(const std::string& path, int64_t offset, int64_t length) {
  auto file = arrow::io::ReadableFile::Open(path).ValueOrDie();
  return file->ReadAt(offset, length).ValueOrDie()->ToString();
}

int64_t ChunkStart(const parquet::ColumnChunkMetaData& chunk) {
  return chunk.has_dictionary_page() ? chunk.dictionary_page_offset() : chunk.data_page_offset();
}

class RowGroupCopierTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { ASSERT_OK(arrow::compute::Initialize()); }
  TempDir dir_;
};

TEST_F(RowGroupCopierTest, CopiesEveryCodecAndPageVersionByteForByte) {
  const auto table = RichTable(0, 3000);
  for (Compression::type codec :
       {Compression::UNCOMPRESSED, Compression::SNAPPY, Compression::GZIP, Compression::ZSTD}) {
    for (auto version : {parquet::ParquetDataPageVersion::V1, parquet::ParquetDataPageVersion::V2}) {
      SCOPED_TRACE(arrow::util::Codec::GetCodecAsString(codec) +
                   (version == parquet::ParquetDataPageVersion::V1 ? " v1" : " v2"));
      const auto properties = Properties(codec, version);
      const std::string name = arrow::util::Codec::GetCodecAsString(codec) +
                               std::to_string(static_cast<int>(version));
      const std::string input = WriteFile(dir_, name + ".in", *table, 1000, properties);
      const CopySource source = Source(input);
      RowGroupCopierOptions options;
      options.writer_properties = properties;
      options.copy_buffer_bytes = 4096;  // many pieces per chunk
      Output out = MakeOutput(dir_, table->schema(), options, name + ".out");
      for (int row_group : {2, 0, 1}) ASSERT_OK(out.copier->CopyRowGroup(source, row_group));
      EXPECT_EQ(out.copier->num_rows(), 3000);
      Finish(out);

      ExpectSameTable(ReadBack(out.path),
                      Concat({table->Slice(2000, 1000), table->Slice(0, 1000), table->Slice(1000, 1000)}));
      auto written = parquet::ReadMetaData(arrow::io::ReadableFile::Open(out.path).ValueOrDie());
      ASSERT_EQ(written->num_row_groups(), 3);
      EXPECT_EQ(written->num_rows(), 3000);
      EXPECT_EQ(written->key_value_metadata()->FindKey("ARROW:schema") >= 0, true);
      for (int g = 0; g < 3; ++g) {
        const int from = std::vector<int>{2, 0, 1}[g];
        auto there = source.metadata->RowGroup(from);
        auto here = written->RowGroup(g);
        EXPECT_EQ(here->num_rows(), there->num_rows());
        EXPECT_EQ(here->total_byte_size(), there->total_byte_size());
        for (int c = 0; c < here->num_columns(); ++c) {
          auto a = there->ColumnChunk(c);
          auto b = here->ColumnChunk(c);
          SCOPED_TRACE(b->path_in_schema()->ToDotString());
          EXPECT_EQ(b->compression(), codec);
          EXPECT_EQ(b->num_values(), a->num_values());
          EXPECT_EQ(b->has_dictionary_page(), a->has_dictionary_page());
          EXPECT_EQ(b->encodings(), a->encodings());
          ASSERT_EQ(b->total_compressed_size(), a->total_compressed_size());
          EXPECT_EQ(b->total_uncompressed_size(), a->total_uncompressed_size());
          // The pages, dictionary page first, are the source's bytes.
          EXPECT_EQ(Bytes(out.path, ChunkStart(*b), b->total_compressed_size()),
                    Bytes(input, ChunkStart(*a), a->total_compressed_size()));
          EXPECT_EQ(b->data_page_offset() - ChunkStart(*b), a->data_page_offset() - ChunkStart(*a));
          ASSERT_EQ(b->is_stats_set(), a->is_stats_set());
          if (a->is_stats_set()) {
            auto sa = a->encoded_statistics(), sb = b->encoded_statistics();
            EXPECT_EQ(sb->has_min, sa->has_min);
            EXPECT_EQ(sb->min(), sa->min());
            EXPECT_EQ(sb->max(), sa->max());
            EXPECT_EQ(sb->null_count, sa->null_count);
          }
          ASSERT_EQ(b->size_statistics() != nullptr, a->size_statistics() != nullptr);
          if (a->size_statistics()) {
            EXPECT_EQ(b->size_statistics()->definition_level_histogram,
                      a->size_statistics()->definition_level_histogram);
          }
        }
      }
    }
  }
}

TEST_F(RowGroupCopierTest, MixesCopiedAndEncodedRowGroups) {
  const auto a = RichTable(0, 2000);
  const auto b = RichTable(10'000, 1500);
  const auto properties = Properties(Compression::ZSTD);
  const CopySource first = Source(WriteFile(dir_, "a.parquet", *a, 1000, properties));
  const CopySource second = Source(WriteFile(dir_, "b.parquet", *b, 500, properties));
  RowGroupCopierOptions options;
  options.writer_properties = properties;
  Output out = MakeOutput(dir_, a->schema(), options);
  const auto changed = RichTable(50'000, 700);
  const auto added = RichTable(90'000, 3);
  ASSERT_OK(out.copier->CopyRowGroup(first, 1));
  ASSERT_OK(out.copier->WriteTable(*changed));
  ASSERT_OK(out.copier->CopyRowGroup(second, 2));
  ASSERT_OK(out.copier->CopyRowGroup(first, 0));
  ASSERT_OK(out.copier->WriteTable(*added));
  ASSERT_OK(out.copier->WriteTable(*added->Slice(0, 0)));  // no rows: no row group
  EXPECT_EQ(out.copier->num_row_groups(), 5);
  Finish(out);
  ExpectSameTable(ReadBack(out.path), Concat({a->Slice(1000, 1000), changed, b->Slice(1000, 500),
                                              a->Slice(0, 1000), added}));
  auto written = out.copier->metadata();
  ASSERT_NE(written, nullptr);
  EXPECT_EQ(written->num_row_groups(), 5);
  EXPECT_EQ(written->num_rows(), 1000 + 700 + 500 + 1000 + 3);
  // Row groups lie one after the other, each column chunk after the one before.
  int64_t previous_end = 4;
  for (int g = 0; g < written->num_row_groups(); ++g) {
    auto group = written->RowGroup(g);
    EXPECT_GE(group->file_offset(), previous_end);
    for (int c = 0; c < group->num_columns(); ++c) {
      auto chunk = group->ColumnChunk(c);
      EXPECT_GE(ChunkStart(*chunk), previous_end);
      previous_end = ChunkStart(*chunk) + chunk->total_compressed_size();
    }
  }
}

TEST_F(RowGroupCopierTest, WriteTableSplitsAtMaxRowGroupLength) {
  const auto table = RichTable(0, 1000);
  RowGroupCopierOptions options;
  options.writer_properties = parquet::WriterProperties::Builder().max_row_group_length(300)->build();
  Output out = MakeOutput(dir_, table->schema(), options);
  ASSERT_OK(out.copier->WriteTable(*table));
  Finish(out);
  auto written = out.copier->metadata();
  ASSERT_EQ(written->num_row_groups(), 4);
  EXPECT_EQ(written->RowGroup(3)->num_rows(), 100);
  ExpectSameTable(ReadBack(out.path), table);
}

// Rows are encoded into a buffer of their decoded size (and a margin); int8 values
// written plain and uncompressed take 4 bytes each in Parquet, 1 in Arrow: they do not
// fit it and are encoded again into a growing buffer.
TEST_F(RowGroupCopierTest, RowsLargerEncodedThanDecodedAreWrittenWhole) {
  arrow::Int8Builder values;
  for (int i = 0; i < 200000; ++i) ASSERT_OK(values.Append(static_cast<int8_t>(i * 37)));
  auto table = arrow::Table::Make(arrow::schema({arrow::field("b", arrow::int8())}),
                                  {values.Finish().ValueOrDie()});
  RowGroupCopierOptions options;
  options.writer_properties = parquet::WriterProperties::Builder()
                                  .disable_dictionary()
                                  ->compression(parquet::Compression::UNCOMPRESSED)
                                  ->build();
  Output out = MakeOutput(dir_, table->schema(), options);
  ASSERT_OK(out.copier->WriteTable(*table));
  Finish(out);
  EXPECT_GT(out.copier->metadata()->RowGroup(0)->total_byte_size(), 4 * 200000 - 1);
  ExpectSameTable(ReadBack(out.path), table);
}

TEST_F(RowGroupCopierTest, AnEmptyRowGroupCopies) {
  // Arrow writes a chunk of no values as a dictionary page with a data page offset of 0.
  const auto table = RichTable(0, 10);
  const CopySource source =
      Source(WriteFile(dir_, "empty.parquet", *table->Slice(0, 0), 10, Properties()));
  ASSERT_EQ(source.metadata->num_row_groups(), 1);
  const CopySource full = Source(WriteFile(dir_, "full.parquet", *table, 10, Properties()));
  RowGroupCopierOptions options;
  options.writer_properties = Properties();
  Output out = MakeOutput(dir_, table->schema(), options);
  ASSERT_OK(out.copier->CopyRowGroup(source, 0));
  ASSERT_OK(out.copier->CopyRowGroup(full, 0));
  ASSERT_OK(out.copier->CopyRowGroup(source, 0));
  Finish(out);
  EXPECT_EQ(out.copier->metadata()->num_row_groups(), 3);
  ExpectSameTable(ReadBack(out.path), table);
}

TEST_F(RowGroupCopierTest, AnEmptyFileIsAValidFile) {
  const auto table = RichTable(0, 1);
  Output out = MakeOutput(dir_, table->schema());
  Finish(out);
  ASSERT_OK(out.copier->Close());  // twice: nothing more
  auto read = ReadBack(out.path);
  EXPECT_EQ(read->num_rows(), 0);
  EXPECT_TRUE(read->schema()->Equals(*table->schema(), false));
}

// Offset index entries of the copy point at the same page bytes as the source's, and the
// column index says the same of them.
TEST_F(RowGroupCopierTest, RebuildsThePageIndexAtTheNewOffsets) {
  const auto table = RichTable(0, 2000);
  const std::string input = WriteFile(dir_, "in.parquet", *table, 1000, Properties());
  const CopySource source = Source(input);
  RowGroupCopierOptions options;
  options.writer_properties = Properties();
  Output out = MakeOutput(dir_, table->schema(), options);
  ASSERT_OK(out.copier->WriteTable(*RichTable(5000, 333)));  // the copy moves
  ASSERT_OK(out.copier->CopyRowGroup(source, 1));
  Finish(out);
  ExpectSameTable(ReadBack(out.path), Concat({RichTable(5000, 333), table->Slice(1000, 1000)}));

  auto source_reader = parquet::ParquetFileReader::OpenFile(input);
  auto output_reader = parquet::ParquetFileReader::OpenFile(out.path);
  auto there = source_reader->GetPageIndexReader()->RowGroup(1);
  auto here = output_reader->GetPageIndexReader()->RowGroup(1);
  ASSERT_NE(there, nullptr);
  ASSERT_NE(here, nullptr);
  ASSERT_NE(output_reader->GetPageIndexReader()->RowGroup(0), nullptr);  // the encoded one's
  for (int c = 0; c < table->schema()->num_fields(); ++c) {
    SCOPED_TRACE(c);
    auto a = there->GetOffsetIndex(c);
    auto b = here->GetOffsetIndex(c);
    ASSERT_NE(a, nullptr);
    ASSERT_NE(b, nullptr);
    ASSERT_EQ(a->page_locations().size(), b->page_locations().size());
    EXPECT_GT(b->page_locations().size(), 1u);  // 200 rows a page
    EXPECT_EQ(a->unencoded_byte_array_data_bytes(), b->unencoded_byte_array_data_bytes());
    for (size_t p = 0; p < a->page_locations().size(); ++p) {
      const auto& pa = a->page_locations()[p];
      const auto& pb = b->page_locations()[p];
      EXPECT_NE(pa.offset, pb.offset);
      EXPECT_EQ(pa.first_row_index, pb.first_row_index);
      ASSERT_EQ(pa.compressed_page_size, pb.compressed_page_size);
      EXPECT_EQ(Bytes(out.path, pb.offset, pb.compressed_page_size),
                Bytes(input, pa.offset, pa.compressed_page_size));
    }
    auto ca = there->GetColumnIndex(c);
    auto cb = here->GetColumnIndex(c);
    ASSERT_EQ(ca != nullptr, cb != nullptr);
    if (!ca) continue;
    EXPECT_EQ(ca->null_pages(), cb->null_pages());
    EXPECT_EQ(ca->encoded_min_values(), cb->encoded_min_values());
    EXPECT_EQ(ca->encoded_max_values(), cb->encoded_max_values());
    EXPECT_EQ(ca->boundary_order(), cb->boundary_order());
    EXPECT_EQ(ca->has_null_counts(), cb->has_null_counts());
    if (ca->has_null_counts()) EXPECT_EQ(ca->null_counts(), cb->null_counts());
    EXPECT_EQ(ca->definition_level_histograms(), cb->definition_level_histograms());
    EXPECT_EQ(ca->repetition_level_histograms(), cb->repetition_level_histograms());
  }
}

TEST_F(RowGroupCopierTest, WritesNoPageIndexTheOutputDoesNotAskFor) {
  const auto table = RichTable(0, 1000);
  const auto with_index = Source(WriteFile(dir_, "with.parquet", *table, 1000, Properties()));
  const auto without_index = Source(WriteFile(
      dir_, "without.parquet", *table, 1000, Properties(Compression::SNAPPY,
                                                        parquet::ParquetDataPageVersion::V1, false)));
  {  // Output without page index: none, whatever the sources have.
    RowGroupCopierOptions options;
    options.writer_properties =
        Properties(Compression::SNAPPY, parquet::ParquetDataPageVersion::V1, false);
    Output out = MakeOutput(dir_, table->schema(), options, "no-index.parquet");
    ASSERT_OK(out.copier->CopyRowGroup(with_index, 0));
    ASSERT_OK(out.copier->WriteTable(*table));
    Finish(out);
    auto written = out.copier->metadata();
    for (int g = 0; g < 2; ++g) {
      for (int c = 0; c < written->num_columns(); ++c) {
        EXPECT_FALSE(written->RowGroup(g)->ColumnChunk(c)->GetOffsetIndexLocation().has_value());
        EXPECT_FALSE(written->RowGroup(g)->ColumnChunk(c)->GetColumnIndexLocation().has_value());
      }
    }
    ExpectSameTable(ReadBack(out.path), Concat({table, table}));
  }
  {  // Output with page index, a source without: that row group has none, the others do.
    RowGroupCopierOptions options;
    options.writer_properties = Properties();
    Output out = MakeOutput(dir_, table->schema(), options, "some-index.parquet");
    ASSERT_OK(out.copier->CopyRowGroup(without_index, 0));
    ASSERT_OK(out.copier->CopyRowGroup(with_index, 0));
    Finish(out);
    auto written = out.copier->metadata();
    EXPECT_FALSE(written->RowGroup(0)->ColumnChunk(0)->GetOffsetIndexLocation().has_value());
    EXPECT_TRUE(written->RowGroup(1)->ColumnChunk(0)->GetOffsetIndexLocation().has_value());
    auto reader = parquet::ParquetFileReader::OpenFile(out.path);
    auto index = reader->GetPageIndexReader()->RowGroup(1)->GetOffsetIndex(0);
    ASSERT_NE(index, nullptr);
    EXPECT_GT(index->page_locations()[0].offset, ChunkStart(*written->RowGroup(0)->ColumnChunk(11)));
    ExpectSameTable(ReadBack(out.path), Concat({table, table}));
  }
}

TEST_F(RowGroupCopierTest, CopiesBloomFiltersTheOutputAsksFor) {
  const auto table = RichTable(0, 1000);
  auto properties = parquet::WriterProperties::Builder()
                        .enable_bloom_filter("id", parquet::BloomFilterOptions{})
                        ->build();
  const CopySource source = Source(WriteFile(dir_, "in.parquet", *table, 500, properties));
  RowGroupCopierOptions options;
  options.writer_properties = properties;
  Output out = MakeOutput(dir_, table->schema(), options);
  ASSERT_OK(out.copier->CopyRowGroup(source, 1));
  ASSERT_OK(out.copier->CopyRowGroup(source, 0));
  Finish(out);
  auto reader = parquet::ParquetFileReader::OpenFile(out.path);
  auto filter = reader->GetBloomFilterReader().RowGroup(0)->GetColumnBloomFilter(0);
  ASSERT_NE(filter, nullptr);
  EXPECT_TRUE(filter->FindHash(filter->Hash(int64_t{600})));   // in row group 1 of the source
  auto other = reader->GetBloomFilterReader().RowGroup(1)->GetColumnBloomFilter(0);
  ASSERT_NE(other, nullptr);
  EXPECT_TRUE(other->FindHash(other->Hash(int64_t{17})));
  EXPECT_EQ(reader->GetBloomFilterReader().RowGroup(0)->GetColumnBloomFilter(1), nullptr);
  ExpectSameTable(ReadBack(out.path), Concat({table->Slice(500), table->Slice(0, 500)}));
}

// A sink that takes `limit` bytes, then fails.
class FailingSink : public arrow::io::OutputStream {
 public:
  explicit FailingSink(int64_t limit_bytes) : limit_bytes_(limit_bytes) {}
  arrow::Status Close() override {
    closed_ = true;
    return arrow::Status::OK();
  }
  bool closed() const override { return closed_; }
  arrow::Result<int64_t> Tell() const override { return written_bytes_; }
  arrow::Status Write(const void*, int64_t nbytes) override {
    if (written_bytes_ + nbytes > limit_bytes_) return arrow::Status::IOError("disk full");
    written_bytes_ += nbytes;
    return arrow::Status::OK();
  }

 private:
  int64_t limit_bytes_;
  int64_t written_bytes_ = 0;
  bool closed_ = false;
};

TEST_F(RowGroupCopierTest, AFailedWriteFailsEverythingAfter) {
  const auto table = RichTable(0, 3000);
  const CopySource source = Source(WriteFile(dir_, "in.parquet", *table, 3000, Properties()));
  RowGroupCopierOptions options;
  options.writer_properties = Properties();
  options.copy_buffer_bytes = 1024;
  ASSERT_OK_AND_ASSIGN(auto copier,
                       RowGroupCopier::Make(std::make_shared<FailingSink>(20'000), table->schema(),
                                            options));
  ASSERT_RAISES(IOError, copier->CopyRowGroup(source, 0));
  ASSERT_RAISES(IOError, copier->WriteTable(*table));
  ASSERT_RAISES(IOError, copier->Close());
  EXPECT_EQ(copier->metadata(), nullptr);
}

TEST_F(RowGroupCopierTest, ASourceCutShortMeanwhileIsAnError) {
  const auto table = RichTable(0, 3000);
  const std::string input = WriteFile(dir_, "in.parquet", *table, 3000, Properties());
  const CopySource source = Source(input);
  std::filesystem::resize_file(input, source.size_bytes / 2);  // after its footer was read
  RowGroupCopierOptions options;
  options.writer_properties = Properties();
  Output out = MakeOutput(dir_, table->schema(), options);
  const arrow::Status status = out.copier->CopyRowGroup(source, 0);
  ASSERT_TRUE(status.IsIOError()) << status.ToString();
  EXPECT_NE(status.message().find("'" + input + "' ended at byte"), std::string::npos)
      << status.message();
  ASSERT_RAISES(IOError, out.copier->Close());  // the file is unusable now
}

// The copy holds a piece of the row group at a time, never all of it.
TEST_F(RowGroupCopierTest, CopyHoldsNoRowGroupInMemory) {
  std::mt19937_64 random(7);
  arrow::Int64Builder values;
  arrow::StringBuilder text;
  const int64_t rows = 1'000'000;
  for (int64_t i = 0; i < rows; ++i) {
    ASSERT_OK(values.Append(static_cast<int64_t>(random())));
    ASSERT_OK(text.Append("row " + std::to_string(random() % 100000000)));
  }
  auto table = arrow::Table::Make(
      arrow::schema({arrow::field("v", arrow::int64()), arrow::field("s", arrow::utf8())}),
      {values.Finish().ValueOrDie(), text.Finish().ValueOrDie()});
  auto properties = parquet::WriterProperties::Builder()
                        .compression(Compression::UNCOMPRESSED)
                        ->disable_dictionary()
                        ->build();
  const CopySource source = Source(WriteFile(dir_, "big.parquet", *table, rows, properties));
  const int64_t row_group_bytes = source.metadata->RowGroup(0)->total_compressed_size();
  ASSERT_GT(row_group_bytes, 16 << 20);

  arrow::ProxyMemoryPool pool(arrow::default_memory_pool());
  RowGroupCopierOptions options;
  options.writer_properties = properties;
  options.pool = &pool;
  options.copy_buffer_bytes = 256 << 10;
  Output out = MakeOutput(dir_, table->schema(), options);
  ASSERT_OK(out.copier->CopyRowGroup(source, 0));
  Finish(out);
  EXPECT_LT(pool.max_memory(), options.copy_buffer_bytes + (1 << 20));
  EXPECT_LT(pool.max_memory(), row_group_bytes / 8);
  ExpectSameTable(ReadBack(out.path), table);
}

class RefusalTest : public RowGroupCopierTest {
 protected:
  // The refusal for copying a one-row-group file of `there` into a file of `here`; the
  // copier is still usable after it.
  std::string Refusal(const std::shared_ptr<arrow::Schema>& there,
                      const std::shared_ptr<arrow::Schema>& here,
                      std::shared_ptr<parquet::WriterProperties> source_properties = nullptr,
                      std::shared_ptr<parquet::WriterProperties> output_properties = nullptr) {
    // No rows: Arrow writes one empty row group.
    auto table = arrow::Table::MakeEmpty(there).ValueOrDie();
    const std::string input =
        WriteFile(dir_, "a.parquet", *table, 10,
                  source_properties ? source_properties : parquet::default_writer_properties());
    const CopySource source = Source(input);
    RowGroupCopierOptions options;
    options.writer_properties = output_properties;
    Output out = MakeOutput(dir_, here, options);
    const arrow::Status refused = out.copier->CanCopy(source, 0);
    EXPECT_TRUE(refused.IsInvalid()) << refused.ToString();
    const arrow::Status again = out.copier->CopyRowGroup(source, 0);
    EXPECT_EQ(again.ToString(), refused.ToString());
    Finish(out);  // nothing was written: the file is whole
    EXPECT_EQ(ReadBack(out.path)->num_rows(), 0);
    return refused.message();
  }
};

TEST_F(RefusalTest, AnotherTypeIsNamed) {
  const std::string path = dir_.path() + "/a.parquet";
  EXPECT_EQ(Refusal(arrow::schema({arrow::field("x", arrow::int32())}),
                    arrow::schema({arrow::field("x", arrow::int64())})),
            "cannot copy row group 0 of '" + path + "': column 'x' is INT32 there, INT64 in the output");
  EXPECT_EQ(Refusal(arrow::schema({arrow::field("l", arrow::list(arrow::int32()))}),
                    arrow::schema({arrow::field("l", arrow::list(arrow::int64()))})),
            "cannot copy row group 0 of '" + path +
                "': column 'l.list.element' is INT32 there, INT64 in the output");
  EXPECT_EQ(Refusal(arrow::schema({arrow::field("s", arrow::utf8())}),
                    arrow::schema({arrow::field("s", arrow::binary())})),
            "cannot copy row group 0 of '" + path +
                "': column 's' is BYTE_ARRAY String there, BYTE_ARRAY in the output");
  EXPECT_EQ(Refusal(arrow::schema({arrow::field("i", arrow::int16())}),
                    arrow::schema({arrow::field("i", arrow::int32())})),
            "cannot copy row group 0 of '" + path +
                "': column 'i' is INT32 Int(bitWidth=16, isSigned=true) there, INT32 in the output");
  EXPECT_EQ(Refusal(arrow::schema({arrow::field("a", arrow::int64(), false)}),
                    arrow::schema({arrow::field("a", arrow::int64())})),
            "cannot copy row group 0 of '" + path +
                "': column 'a' is required there, optional in the output");
}

TEST_F(RefusalTest, AnotherColumnOrderOrSetIsNamed) {
  const std::string prefix = "cannot copy row group 0 of '" + dir_.path() + "/a.parquet': ";
  auto a = arrow::field("a", arrow::int64());
  auto b = arrow::field("b", arrow::utf8());
  EXPECT_EQ(Refusal(arrow::schema({a, b}), arrow::schema({b, a})),
            prefix + "column 'b' is column 2 there, column 1 in the output");
  EXPECT_EQ(Refusal(arrow::schema({a}), arrow::schema({a, b})),
            prefix + "column 'b' is missing there");
  EXPECT_EQ(Refusal(arrow::schema({a, b}), arrow::schema({a})),
            prefix + "column 'b' is not in the output");
  EXPECT_EQ(Refusal(arrow::schema({arrow::field("p", arrow::struct_({a, b}))}),
                    arrow::schema({arrow::field("p", arrow::struct_({a}))})),
            prefix + "column 'p.b' is not in the output");
}

TEST_F(RefusalTest, AnotherCodecIsNamed) {
  auto schema = arrow::schema({arrow::field("x", arrow::int64())});
  EXPECT_EQ(Refusal(schema, schema, Properties(Compression::SNAPPY), Properties(Compression::ZSTD)),
            "cannot copy row group 0 of '" + dir_.path() +
                "/a.parquet': column 'x' is compressed with snappy there, zstd in the output");
}

TEST_F(RowGroupCopierTest, OtherArrowTypesOfTheSameColumnsCopy) {
  // string and large_string, or a dictionary, are one Parquet column: the copy reads back
  // with the output's Arrow types.
  auto there = arrow::schema({arrow::field("s", arrow::utf8()), arrow::field("d", arrow::utf8())});
  auto here = arrow::schema({arrow::field("s", arrow::large_utf8()),
                             arrow::field("d", arrow::dictionary(arrow::int32(), arrow::utf8()))});
  auto table = arrow::Table::Make(there, {FromJson(arrow::utf8(), R"(["a", null, "c"])"),
                                          FromJson(arrow::utf8(), R"(["x", "x", null])")});
  const CopySource source = Source(WriteFile(dir_, "in.parquet", *table, 10, Properties()));
  RowGroupCopierOptions options;
  options.writer_properties = Properties();
  Output out = MakeOutput(dir_, here, options);
  ASSERT_OK(out.copier->CopyRowGroup(source, 0));
  Finish(out);
  auto read = ReadBack(out.path);
  ASSERT_TRUE(read->schema()->Equals(*here, false)) << read->schema()->ToString();
  EXPECT_TRUE(read->column(0)->Equals(
      arrow::ChunkedArray(FromJson(arrow::large_utf8(), R"(["a", null, "c"])"))));
}

TEST_F(RowGroupCopierTest, AnnotationsThatSayNothingMoreCopy) {
  // DuckDB annotates INT64 columns as Int(64, signed), which Arrow leaves unsaid: the
  // same column. Written here with Parquet's own writer, as DuckDB writes it.
  using parquet::schema::GroupNode;
  using parquet::schema::PrimitiveNode;
  auto column = PrimitiveNode::Make("id", parquet::Repetition::OPTIONAL,
                                    parquet::LogicalType::Int(64, true), parquet::Type::INT64);
  auto root = std::static_pointer_cast<GroupNode>(
      GroupNode::Make("duckdb_schema", parquet::Repetition::REQUIRED, {column}));
  const std::string path = dir_.path() + "/duck.parquet";
  {
    auto out = arrow::io::FileOutputStream::Open(path).ValueOrDie();
    auto writer = parquet::ParquetFileWriter::Open(out, root);
    auto* ids = static_cast<parquet::Int64Writer*>(writer->AppendRowGroup()->NextColumn());
    const std::vector<int64_t> values = {7, 8, 9};
    const std::vector<int16_t> defined = {1, 0, 1, 1};
    ids->WriteBatch(4, defined.data(), nullptr, values.data());
    writer->Close();
    ASSERT_OK(out->Close());
  }
  const CopySource source = Source(path);
  Output out = MakeOutput(dir_, arrow::schema({arrow::field("id", arrow::int64())}));
  ASSERT_OK(out.copier->CopyRowGroup(source, 0));
  Finish(out);
  auto read = ReadBack(out.path);
  EXPECT_TRUE(read->column(0)->Equals(
      arrow::ChunkedArray(FromJson(arrow::int64(), "[7, null, 8, 9]"))));
}

TEST_F(RowGroupCopierTest, WriteTableRefusesAnotherSchema) {
  auto table = RichTable(0, 10);
  Output out = MakeOutput(dir_, arrow::schema({arrow::field("id", arrow::int32())}));
  const arrow::Status status = out.copier->WriteTable(*table);
  ASSERT_TRUE(status.IsInvalid()) << status.ToString();
  EXPECT_NE(status.message().find("column 1 is id: int64 not null"), std::string::npos)
      << status.message();
  Finish(out);  // still usable
}

TEST_F(RowGroupCopierTest, ARowGroupThatIsNotThereIsRefused) {
  const auto table = RichTable(0, 100);
  const CopySource source = Source(WriteFile(dir_, "in.parquet", *table, 100, Properties()));
  Output out = MakeOutput(dir_, table->schema());
  EXPECT_EQ(out.copier->CanCopy(source, 1).message(),
            "cannot copy row group 1 of '" + source.path + "': it has 1 row groups");
  EXPECT_TRUE(out.copier->CanCopy(source, -1).IsInvalid());
  Finish(out);
}

TEST_F(RowGroupCopierTest, EncryptedFilesAreRefused) {
  auto table = RichTable(0, 100);
  const std::string key = "0123456789012345";  // 128 bits
  auto encrypted = [&](bool plaintext_footer) {
    parquet::FileEncryptionProperties::Builder encryption{arrow::util::SecureString(std::string(key))};
    if (plaintext_footer) encryption.set_plaintext_footer();
    return parquet::WriterProperties::Builder().encryption(encryption.build())->build();
  };
  // A plaintext footer can be read, but the pages are encrypted for their own file.
  const std::string plaintext = WriteFile(dir_, "plain-footer.parquet", *table, 100, encrypted(true));
  const CopySource source = Source(plaintext);
  Output out = MakeOutput(dir_, table->schema());
  EXPECT_EQ(out.copier->CanCopy(source, 0).message(),
            "cannot copy row group 0 of '" + plaintext +
                "': it is encrypted; encrypted pages cannot move to another file");
  Finish(out);
  // An encrypted footer cannot even be read.
  const std::string hidden = WriteFile(dir_, "hidden-footer.parquet", *table, 100, encrypted(false));
  auto opened = CopySource::Open(arrow::io::ReadableFile::Open(hidden).ValueOrDie(), hidden);
  ASSERT_RAISES(IOError, opened);
  EXPECT_NE(opened.status().message().find("'" + hidden + "'"), std::string::npos);
  // Nor does the copier write encrypted files.
  RowGroupCopierOptions options;
  options.writer_properties = encrypted(false);
  ASSERT_RAISES(Invalid, RowGroupCopier::Make(
                             arrow::io::BufferOutputStream::Create().ValueOrDie(),
                             table->schema(), options));
}

TEST_F(RowGroupCopierTest, StatisticsArrowDoesNotTrustAreLeftBehind) {
  // parquet-mr before 1.10 ordered strings as signed bytes (PARQUET-686): Arrow ignores
  // those statistics, and so does the copy, so its footer claims nothing wrong as true.
  auto table = arrow::Table::Make(
      arrow::schema({arrow::field("id", arrow::int64()), arrow::field("s", arrow::utf8())}),
      {FromJson(arrow::int64(), "[3, 1, 2]"), FromJson(arrow::utf8(), R"(["b", "a", "\u00e9"])")});
  auto properties =
      parquet::WriterProperties::Builder().created_by("parquet-mr version 1.8.0 (build x)")->build();
  const CopySource source = Source(WriteFile(dir_, "mr.parquet", *table, 10, properties));
  ASSERT_TRUE(source.metadata->RowGroup(0)->ColumnChunk(0)->is_stats_set());
  ASSERT_FALSE(source.metadata->RowGroup(0)->ColumnChunk(1)->is_stats_set());
  Output out = MakeOutput(dir_, table->schema());
  ASSERT_OK(out.copier->CopyRowGroup(source, 0));
  Finish(out);
  auto written = parquet::ReadMetaData(arrow::io::ReadableFile::Open(out.path).ValueOrDie());
  EXPECT_TRUE(written->RowGroup(0)->ColumnChunk(0)->is_stats_set());
  EXPECT_FALSE(written->RowGroup(0)->ColumnChunk(1)->is_stats_set());
  ExpectSameTable(ReadBack(out.path), table);

  // Before parquet-mr 1.2.9, chunk sizes could be short (PARQUET-816): no copy at all.
  auto old = parquet::WriterProperties::Builder().created_by("parquet-mr version 1.2.8")->build();
  const CopySource ancient = Source(WriteFile(dir_, "old.parquet", *table, 10, old));
  Output other = MakeOutput(dir_, table->schema(), {}, "other.parquet");
  EXPECT_NE(other.copier->CanCopy(ancient, 0).message().find("PARQUET-816"), std::string::npos);
  Finish(other);
}

TEST_F(RowGroupCopierTest, NotParquetIsAClearError) {
  const std::string path = dir_.Write("notes.txt", "hello, this is not a Parquet file at all");
  auto opened = CopySource::Open(arrow::io::ReadableFile::Open(path).ValueOrDie(), path);
  ASSERT_RAISES(IOError, opened);
  EXPECT_NE(opened.status().message().find("cannot read Parquet file '" + path + "'"),
            std::string::npos)
      << opened.status().message();
}

}  // namespace
}  // namespace fsspeckit::io
