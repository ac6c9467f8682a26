// fsspeckit: one Parquet file from row groups copied raw and row groups encoded from Arrow.
#include "io/row_group_copier_internal.h"
#include "io/parquet_footer_internal.h"
#include "io/thread_edge_internal.h"

#include <algorithm>
#include <map>
#include <optional>
#include <utility>

#include <arrow/buffer.h>
#include <arrow/io/memory.h>
#include <arrow/table.h>
#include <arrow/util/byte_size.h>
#include <arrow/util/compression.h>
#include <parquet/arrow/writer.h>
#include <parquet/exception.h>
#include <parquet/file_reader.h>
#include <parquet/file_writer.h>
#include <parquet/geospatial/statistics.h>
#include <parquet/schema.h>
#include <parquet/size_statistics.h>
#include <parquet/statistics.h>

namespace fsspeckit::io {
namespace {

using parquet::schema::GroupNode;
using parquet::schema::Node;
using parquet::schema::PrimitiveNode;

constexpr char kMagic[] = "PAR1";
constexpr int64_t kMagicBytes = 4;
constexpr int64_t kFooterTailBytes = 8;  // the footer's length and the magic bytes

std::string RepetitionName(parquet::Repetition::type repetition) {
  switch (repetition) {
    case parquet::Repetition::REQUIRED:
      return "required";
    case parquet::Repetition::OPTIONAL:
      return "optional";
    case parquet::Repetition::REPEATED:
      return "repeated";
    default:
      return "of undefined repetition";
  }
}

bool Annotated(const Node& node) {
  return node.logical_type() != nullptr && !node.logical_type()->is_none();
}

// A node's type as a message names it: "INT64", "BYTE_ARRAY String", "a List group".
std::string Describe(const Node& node) {
  std::string annotation;
  if (Annotated(node)) {
    annotation = node.logical_type()->ToString();
  } else if (node.converted_type() != parquet::ConvertedType::NONE) {
    annotation = parquet::ConvertedTypeToString(node.converted_type());
  }
  if (node.is_group()) return annotation.empty() ? "a group" : "a " + annotation + " group";
  const auto& primitive = static_cast<const PrimitiveNode&>(node);
  std::string type = parquet::TypeToString(primitive.physical_type(), primitive.type_length());
  return annotation.empty() ? type : type + " " + annotation;
}

// Whether `node` carries no annotation, or one that says no more than its physical type:
// a signed integer as wide as INT32 or INT64 (DuckDB writes one, Arrow none).
bool Plain(const Node& node) {
  if (!Annotated(node) && node.converted_type() == parquet::ConvertedType::NONE) return true;
  if (!node.is_primitive()) return false;
  const parquet::Type::type physical = static_cast<const PrimitiveNode&>(node).physical_type();
  const int width = physical == parquet::Type::INT32   ? 32
                    : physical == parquet::Type::INT64 ? 64
                                                       : 0;
  if (width == 0) return false;
  if (Annotated(node)) {
    if (!node.logical_type()->is_int()) return false;
    const auto& integer = static_cast<const parquet::IntLogicalType&>(*node.logical_type());
    return integer.bit_width() == width && integer.is_signed();
  }
  return node.converted_type() ==
         (width == 32 ? parquet::ConvertedType::INT_32 : parquet::ConvertedType::INT_64);
}

bool SameType(const Node& there, const Node& here) {
  if (there.is_group() != here.is_group()) return false;
  if (Plain(there) != Plain(here)) return false;
  if (!Plain(there)) {
    if (Annotated(there) != Annotated(here)) return false;
    if (Annotated(there) ? !there.logical_type()->Equals(*here.logical_type())
                         : there.converted_type() != here.converted_type()) {
      return false;
    }
  }
  if (there.is_group()) return true;
  const auto& a = static_cast<const PrimitiveNode&>(there);
  const auto& b = static_cast<const PrimitiveNode&>(here);
  return a.physical_type() == b.physical_type() &&
         (a.physical_type() != parquet::Type::FIXED_LEN_BYTE_ARRAY ||
          a.type_length() == b.type_length());
}

// How the children of `there` (the source) differ from those of `here` (the output) by
// name and position; empty when they match one to one.
std::string ChildrenDifference(const GroupNode& there, const GroupNode& here,
                               const std::string& prefix) {
  for (int i = 0; i < here.field_count(); ++i) {
    const std::string& name = here.field(i)->name();
    const int j = there.FieldIndex(name);
    if (j < 0) return "column '" + prefix + name + "' is missing there";
    if (j != i) {
      return "column '" + prefix + name + "' is column " + std::to_string(j + 1) +
             " there, column " + std::to_string(i + 1) + " in the output";
    }
  }
  for (int j = 0; j < there.field_count(); ++j) {
    if (here.FieldIndex(there.field(j)->name()) < 0) {
      return "column '" + prefix + there.field(j)->name() + "' is not in the output";
    }
  }
  return "";
}

// How the schema below `there` differs from the one below `here`; empty when a column
// chunk of one is a column chunk of the other, byte for byte. Field ids may differ.
std::string SchemaDifference(const Node& there, const Node& here, const std::string& path) {
  if (!path.empty()) {
    if (!SameType(there, here)) {
      return "column '" + path + "' is " + Describe(there) + " there, " + Describe(here) +
             " in the output";
    }
    if (there.repetition() != here.repetition()) {
      return "column '" + path + "' is " + RepetitionName(there.repetition()) + " there, " +
             RepetitionName(here.repetition()) + " in the output";
    }
  }
  if (!here.is_group()) return "";
  const auto& a = static_cast<const GroupNode&>(there);
  const auto& b = static_cast<const GroupNode&>(here);
  const std::string prefix = path.empty() ? "" : path + ".";
  std::string difference = ChildrenDifference(a, b, prefix);
  for (int i = 0; difference.empty() && i < b.field_count(); ++i) {
    difference = SchemaDifference(*a.field(i), *b.field(i), prefix + b.field(i)->name());
  }
  return difference;
}

// Where a column chunk's pages are: from its dictionary page, if any, to the end of its
// last data page. As Arrow's reader reads it, with two quirks: some writers set a
// dictionary offset of 0 for chunks with no dictionary page, and Arrow writes a chunk
// of no values as a dictionary page alone, with a data page offset of 0.
struct ChunkRange {
  int64_t offset_bytes;
  int64_t length_bytes;
};

bool HasDataPageOffset(const parquet::ColumnChunkMetaData& chunk) {
  return chunk.data_page_offset() >= kMagicBytes;
}

ChunkRange RangeOf(const parquet::ColumnChunkMetaData& chunk) {
  int64_t start = chunk.data_page_offset();
  if (chunk.has_dictionary_page() && chunk.dictionary_page_offset() > 0 &&
      (chunk.dictionary_page_offset() < start || !HasDataPageOffset(chunk))) {
    start = chunk.dictionary_page_offset();
  }
  return {start, chunk.total_compressed_size()};
}

// The page encoding counts Arrow's ColumnChunkMetaDataBuilder::Finish takes, from the
// source chunk's. A writer that records none lists the encodings only: each counts once
// then, and PLAIN also as a data page encoding, so that no reader takes a chunk with
// plain pages for one that is all dictionary-encoded.
void EncodingCounts(const parquet::ColumnChunkMetaData& chunk,
                    std::map<parquet::Encoding::type, int32_t>* dictionary_pages,
                    std::map<parquet::Encoding::type, int32_t>* data_pages) {
  if (!chunk.encoding_stats().empty()) {
    for (const parquet::PageEncodingStats& stats : chunk.encoding_stats()) {
      auto& counts =
          stats.page_type == parquet::PageType::DICTIONARY_PAGE ? *dictionary_pages : *data_pages;
      counts[stats.encoding] += stats.count;
    }
    return;
  }
  const auto& encodings = chunk.encodings();
  auto listed = [&](parquet::Encoding::type encoding) {
    return std::find(encodings.begin(), encodings.end(), encoding) != encodings.end();
  };
  if (chunk.has_dictionary_page()) {
    (*dictionary_pages)[listed(parquet::Encoding::PLAIN_DICTIONARY)
                            ? parquet::Encoding::PLAIN_DICTIONARY
                            : parquet::Encoding::PLAIN] = 1;
  }
  for (parquet::Encoding::type encoding : encodings) {
    // Levels are RLE (or BIT_PACKED); Finish lists RLE for every chunk anyway.
    if (encoding == parquet::Encoding::RLE || encoding == parquet::Encoding::BIT_PACKED) continue;
    (*data_pages)[encoding] = 1;
  }
}

// The statistics of one page of a column index, as ColumnIndexBuilder::AddPage takes them.
void ColumnIndexPage(const parquet::ColumnIndex& index, const parquet::ColumnDescriptor& column,
                     size_t page, parquet::EncodedStatistics* stats,
                     parquet::SizeStatistics* sizes) {
  if (index.null_pages()[page]) {
    stats->all_null_value = true;
  } else {
    stats->set_min(index.encoded_min_values()[page]);
    stats->set_max(index.encoded_max_values()[page]);
  }
  if (index.has_null_counts()) stats->set_null_count(index.null_counts()[page]);
  auto slice = [page](const std::vector<int64_t>& all, int16_t max_level) {
    const size_t width = static_cast<size_t>(max_level) + 1;
    return std::vector<int64_t>(all.begin() + page * width, all.begin() + (page + 1) * width);
  };
  if (index.has_definition_level_histograms()) {
    sizes->definition_level_histogram =
        slice(index.definition_level_histograms(), column.max_definition_level());
  }
  if (index.has_repetition_level_histograms()) {
    sizes->repetition_level_histogram =
        slice(index.repetition_level_histograms(), column.max_repetition_level());
  }
}

// A source chunk's page index, read before anything is written, to be moved by `delta`.
struct ChunkPageIndex {
  std::shared_ptr<parquet::ColumnIndex> column_index;  // may be null
  std::shared_ptr<parquet::OffsetIndex> offset_index;
};

// Whether `index` describes pages inside `range` only, in order, with sizes and histograms
// that fit: only then may it describe the moved copy. A page index that fails these checks
// is left behind (the chunk then has none); the copy is correct either way.
bool FitsChunk(const ChunkPageIndex& index, const ChunkRange& range,
               const parquet::ColumnDescriptor& column, int64_t num_rows) {
  const auto& pages = index.offset_index->page_locations();
  if (pages.empty()) return false;
  int64_t previous_end = range.offset_bytes;
  if (pages.front().first_row_index != 0) return false;
  int64_t previous_row = -1;
  for (const parquet::PageLocation& page : pages) {
    if (page.offset < previous_end || page.compressed_page_size <= 0 ||
        page.offset + page.compressed_page_size > range.offset_bytes + range.length_bytes ||
        page.first_row_index <= previous_row ||
        page.first_row_index >= std::max<int64_t>(num_rows, 1)) {
      return false;
    }
    previous_end = page.offset + page.compressed_page_size;
    previous_row = page.first_row_index;
  }
  const auto& unencoded = index.offset_index->unencoded_byte_array_data_bytes();
  if (!unencoded.empty() && unencoded.size() != pages.size()) return false;
  if (index.column_index) {
    const parquet::ColumnIndex& ci = *index.column_index;
    const size_t count = pages.size();
    if (ci.null_pages().size() != count || ci.encoded_min_values().size() != count ||
        ci.encoded_max_values().size() != count ||
        (ci.has_null_counts() && ci.null_counts().size() != count) ||
        (ci.has_definition_level_histograms() &&
         ci.definition_level_histograms().size() !=
             count * (static_cast<size_t>(column.max_definition_level()) + 1)) ||
        (ci.has_repetition_level_histograms() &&
         ci.repetition_level_histograms().size() !=
             count * (static_cast<size_t>(column.max_repetition_level()) + 1))) {
      return false;
    }
  }
  return true;
}

}  // namespace

arrow::Result<CopySource> CopySource::Open(std::shared_ptr<arrow::io::RandomAccessFile> file,
                                           std::string path,
                                           std::shared_ptr<parquet::FileMetaData> metadata) {
  CopySource source;
  ARROW_ASSIGN_OR_RAISE(source.size_bytes, file->GetSize());
  if (!metadata) {
    ARROW_ASSIGN_OR_RAISE(metadata, ReadFooter(file, path));
  }
  source.file = std::move(file);
  source.metadata = std::move(metadata);
  source.path = std::move(path);
  return source;
}

RowGroupCopier::RowGroupCopier(std::shared_ptr<arrow::io::OutputStream> sink,
                               std::shared_ptr<arrow::Schema> schema,
                               RowGroupCopierOptions options)
    : sink_(std::move(sink)), schema_(std::move(schema)), options_(std::move(options)) {}

RowGroupCopier::~RowGroupCopier() = default;

arrow::Result<std::unique_ptr<RowGroupCopier>> RowGroupCopier::Make(
    std::shared_ptr<arrow::io::OutputStream> sink, std::shared_ptr<arrow::Schema> schema,
    RowGroupCopierOptions options) {
  if (!sink || !schema) return arrow::Status::Invalid("RowGroupCopier needs a sink and a schema");
  if (options.copy_buffer_bytes <= 0) {
    return arrow::Status::Invalid("copy_buffer_bytes must be > 0, got: ",
                                  options.copy_buffer_bytes);
  }
  if (!options.pool) options.pool = arrow::default_memory_pool();
  if (!options.writer_properties) options.writer_properties = parquet::default_writer_properties();
  if (options.writer_properties->file_encryption_properties() != nullptr) {
    return arrow::Status::Invalid(
        "RowGroupCopier writes no encrypted files: copied pages are encrypted, if at all, "
        "for their own file; write encrypted files with parquet::arrow::FileWriter");
  }
  // One pool for everything, the encoders included.
  options.writer_properties = parquet::WriterProperties::Builder(*options.writer_properties)
                                  .memory_pool(options.pool)
                                  ->build();
  if (!options.arrow_writer_properties) {
    options.arrow_writer_properties =
        parquet::ArrowWriterProperties::Builder().store_schema()->build();
  }
  std::unique_ptr<RowGroupCopier> copier(
      new RowGroupCopier(std::move(sink), std::move(schema), std::move(options)));
  ARROW_RETURN_NOT_OK(copier->Init());
  return copier;
}

arrow::Status RowGroupCopier::Init() {
  // The empty file Arrow writes for this schema: its footer's schema and key-value
  // metadata are the ones this file's footer must carry.
  ARROW_ASSIGN_OR_RAISE(auto empty, arrow::io::BufferOutputStream::Create(1024, options_.pool));
  ARROW_ASSIGN_OR_RAISE(auto writer, parquet::arrow::FileWriter::Open(
                                         *schema_, options_.pool, empty,
                                         options_.writer_properties,
                                         options_.arrow_writer_properties));
  ARROW_RETURN_NOT_OK(writer->Close());
  template_ = writer->metadata();
  BEGIN_PARQUET_CATCH_EXCEPTIONS
  footer_ = parquet::FileMetaDataBuilder::Make(template_->schema(), options_.writer_properties);
  page_index_ = parquet::PageIndexBuilder::Make(template_->schema());
  END_PARQUET_CATCH_EXCEPTIONS
  ARROW_ASSIGN_OR_RAISE(position_bytes_, sink_->Tell());
  return Write(kMagic, kMagicBytes);
}

arrow::Status RowGroupCopier::Fail(arrow::Status status) {
  if (failed_.ok()) failed_ = status;
  return status;
}

arrow::Status RowGroupCopier::Write(const void* data, int64_t length_bytes) {
  ARROW_RETURN_NOT_OK(sink_->Write(data, length_bytes));
  position_bytes_ += length_bytes;
  return arrow::Status::OK();
}

arrow::Status RowGroupCopier::CopyBytes(arrow::io::RandomAccessFile& file, int64_t offset_bytes,
                                        int64_t length_bytes, const std::string& path) {
  auto short_read = [&](int64_t at) {
    return arrow::Status::IOError("'", path, "' ended at byte ", at, ", inside a column chunk ",
                                  "that its footer places up to byte ",
                                  offset_bytes + length_bytes,
                                  " (was it truncated or rewritten meanwhile?)");
  };
  if (file.supports_zero_copy()) {
    // The file's bytes are in memory already (a buffer, a mapped file): no copy buffer.
    ARROW_ASSIGN_OR_RAISE(auto bytes, file.ReadAt(offset_bytes, length_bytes));
    if (bytes->size() != length_bytes) return short_read(offset_bytes + bytes->size());
    return Write(bytes->data(), bytes->size());
  }
  if (!buffer_) {
    ARROW_ASSIGN_OR_RAISE(buffer_, arrow::AllocateResizableBuffer(
                                       std::min(options_.copy_buffer_bytes, length_bytes),
                                       options_.pool));
  } else if (buffer_->size() < std::min(options_.copy_buffer_bytes, length_bytes)) {
    ARROW_RETURN_NOT_OK(buffer_->Resize(std::min(options_.copy_buffer_bytes, length_bytes)));
  }
  while (length_bytes > 0) {
    const int64_t piece = std::min(length_bytes, buffer_->size());
    ARROW_ASSIGN_OR_RAISE(int64_t read, file.ReadAt(offset_bytes, piece, buffer_->mutable_data()));
    if (read != piece) return short_read(offset_bytes + read);
    ARROW_RETURN_NOT_OK(Write(buffer_->data(), piece));
    offset_bytes += piece;
    length_bytes -= piece;
  }
  return arrow::Status::OK();
}

arrow::Status RowGroupCopier::CanCopy(const CopySource& source, int row_group) const {
  auto refuse = [&](const std::string& why) {
    return arrow::Status::Invalid("cannot copy row group ", row_group, " of '", source.path,
                                  "': ", why);
  };
  if (!source.file || !source.metadata) return refuse("the source is not open");
  const parquet::FileMetaData& file = *source.metadata;
  if (row_group < 0 || row_group >= file.num_row_groups()) {
    return refuse("it has " + std::to_string(file.num_row_groups()) + " row groups");
  }
  if (file.is_encryption_algorithm_set()) {
    return refuse("it is encrypted; encrypted pages cannot move to another file");
  }
  if (file.writer_version().VersionLt(parquet::ApplicationVersion::PARQUET_816_FIXED_VERSION())) {
    return refuse("it was written by " + file.created_by() +
                  ", whose column chunk sizes are unreliable (PARQUET-816)");
  }
  const std::string difference =
      SchemaDifference(*file.schema()->schema_root(), *template_->schema()->schema_root(), "");
  if (!difference.empty()) return refuse(difference);
  try {
    const auto group = file.RowGroup(row_group);
    if (group->num_columns() != template_->schema()->num_columns()) {
      return refuse("it has " + std::to_string(group->num_columns()) + " column chunks for " +
                    std::to_string(template_->schema()->num_columns()) + " columns");
    }
    // The footer is followed by its length and the magic bytes.
    const int64_t data_end = source.size_bytes - kFooterTailBytes - file.size();
    for (int i = 0; i < group->num_columns(); ++i) {
      const auto chunk = group->ColumnChunk(i);
      const parquet::ColumnDescriptor* column = template_->schema()->Column(i);
      const std::string name = column->path()->ToDotString();
      if (chunk->crypto_metadata() != nullptr) {
        return refuse("column '" + name + "' is encrypted; encrypted pages cannot move to "
                      "another file");
      }
      if (!chunk->file_path().empty()) {
        return refuse("column '" + name + "' is stored in another file, '" + chunk->file_path() +
                      "'");
      }
      const parquet::Compression::type wanted =
          options_.writer_properties->compression(column->path());
      if (chunk->compression() != wanted) {
        return refuse("column '" + name + "' is compressed with " +
                      arrow::util::Codec::GetCodecAsString(chunk->compression()) + " there, " +
                      arrow::util::Codec::GetCodecAsString(wanted) + " in the output");
      }
      const ChunkRange range = RangeOf(*chunk);
      if (range.length_bytes == 0 && chunk->num_values() == 0) continue;  // no pages at all
      if (range.offset_bytes < kMagicBytes || range.length_bytes <= 0 ||
          range.offset_bytes + range.length_bytes > data_end) {
        return refuse("column '" + name + "' is placed at bytes " +
                      std::to_string(range.offset_bytes) + "+" +
                      std::to_string(range.length_bytes) +
                      ", outside the file's data (a corrupt footer?)");
      }
    }
  } catch (const parquet::ParquetException& e) {
    return refuse(std::string("its footer cannot be read: ") + e.what());
  }
  return arrow::Status::OK();
}

arrow::Status RowGroupCopier::CopyRowGroup(const CopySource& source, int row_group) {
  if (!failed_.ok()) return failed_;
  if (closed_) return arrow::Status::Invalid("RowGroupCopier is closed");
  ARROW_RETURN_NOT_OK(CanCopy(source, row_group));  // refused: nothing written, still usable
  arrow::Status status = CatchAtEdge("", [&] { return Copy(source, row_group); });
  return status.ok() ? status : Fail(status);
}

// Throws ParquetException where Arrow's metadata builders do.
arrow::Status RowGroupCopier::Copy(const CopySource& source, int row_group) {
  const parquet::SchemaDescriptor& schema = *template_->schema();
  const auto group = source.metadata->RowGroup(row_group);
  const int num_columns = group->num_columns();
  const parquet::WriterProperties& properties = *options_.writer_properties;

  std::vector<std::unique_ptr<parquet::ColumnChunkMetaData>> chunks;
  std::vector<ChunkRange> ranges;
  for (int i = 0; i < num_columns; ++i) {
    chunks.push_back(group->ColumnChunk(i));
    ranges.push_back(RangeOf(*chunks.back()));
  }

  // The page index the output keeps, read before anything is written.
  std::vector<std::optional<ChunkPageIndex>> page_indexes(num_columns);
  bool wants_page_index = false;
  for (int i = 0; i < num_columns; ++i) {
    wants_page_index |= properties.page_index_enabled(schema.Column(i)->path()) &&
                        chunks[i]->GetOffsetIndexLocation().has_value();
  }
  if (wants_page_index) {
    // The reader keeps references to its arguments: they must outlive it.
    const parquet::ReaderProperties reader_properties(options_.pool);
    try {
      auto reader = parquet::PageIndexReader::Make(source.file.get(), source.metadata,
                                                   reader_properties);
      auto group_reader = reader ? reader->RowGroup(row_group) : nullptr;
      for (int i = 0; group_reader && i < num_columns; ++i) {
        if (!properties.page_index_enabled(schema.Column(i)->path()) ||
            !chunks[i]->GetOffsetIndexLocation()) {
          continue;
        }
        ChunkPageIndex index;
        index.offset_index = group_reader->GetOffsetIndex(i);
        if (chunks[i]->GetColumnIndexLocation()) {
          index.column_index = group_reader->GetColumnIndex(i);
        }
        if (index.offset_index &&
            FitsChunk(index, ranges[i], *schema.Column(i), group->num_rows())) {
          page_indexes[i] = std::move(index);
        }
      }
    } catch (const parquet::ParquetException&) {
      // An unreadable page index is left behind; the rows copy all the same.
      std::fill(page_indexes.begin(), page_indexes.end(), std::nullopt);
    }
  }

  // The column chunks, as runs of adjacent byte ranges (normally the whole row group in
  // one run), each run read and written in pieces of at most the copy buffer.
  std::vector<int64_t> new_offsets(num_columns);
  for (int i = 0; i < num_columns;) {
    if (ranges[i].length_bytes == 0) {  // a chunk of no pages (no values): none to place
      new_offsets[i] = position_bytes_;
      ++i;
      continue;
    }
    int end = i + 1;
    while (end < num_columns && ranges[end].length_bytes > 0 &&
           ranges[end].offset_bytes ==
               ranges[end - 1].offset_bytes + ranges[end - 1].length_bytes) {
      ++end;
    }
    const int64_t run_start = ranges[i].offset_bytes;
    const int64_t run_bytes =
        ranges[end - 1].offset_bytes + ranges[end - 1].length_bytes - run_start;
    for (int c = i; c < end; ++c) {
      new_offsets[c] = position_bytes_ + (ranges[c].offset_bytes - run_start);
    }
    ARROW_RETURN_NOT_OK(CopyBytes(*source.file, run_start, run_bytes, source.path));
    i = end;
  }

  // Bloom filters the output asks for, after the row group's chunks (the spec allows
  // them anywhere; their bytes do not depend on where they are).
  const int row_group_index = num_row_groups_;
  for (int i = 0; i < num_columns; ++i) {
    const auto offset = chunks[i]->bloom_filter_offset();
    const auto length = chunks[i]->bloom_filter_length();
    if (!properties.bloom_filter_options(schema.Column(i)->path()) || !offset || !length ||
        *offset < kMagicBytes || *length <= 0 || *length > INT32_MAX ||
        *offset + *length > source.size_bytes) {
      continue;
    }
    bloom_filters_.push_back(
        {{row_group_index, i}, {position_bytes_, static_cast<int32_t>(*length)}});
    ARROW_RETURN_NOT_OK(CopyBytes(*source.file, *offset, *length, source.path));
  }

  // The footer's entries: the source's, moved.
  parquet::RowGroupMetaDataBuilder* group_builder = footer_->AppendRowGroup();
  page_index_->AppendRowGroup();
  for (int i = 0; i < num_columns; ++i) {
    const parquet::ColumnChunkMetaData& chunk = *chunks[i];
    const int64_t delta = new_offsets[i] - ranges[i].offset_bytes;
    parquet::ColumnChunkMetaDataBuilder* builder = group_builder->NextColumnChunk();
    if (auto stats = chunk.encoded_statistics()) {  // null unless Arrow trusts them
      parquet::EncodedStatistics copy = *stats;
      copy.set_is_signed(schema.Column(i)->sort_order() == parquet::SortOrder::SIGNED);
      builder->SetStatistics(copy);
    }
    if (auto sizes = chunk.size_statistics()) builder->SetSizeStatistics(*sizes);
    if (auto geo = chunk.geo_statistics()) {
      if (auto encoded = geo->Encode()) builder->SetGeoStatistics(*encoded);
    }
    if (chunk.key_value_metadata()) builder->SetKeyValueMetadata(chunk.key_value_metadata());
    std::map<parquet::Encoding::type, int32_t> dictionary_pages, data_pages;
    EncodingCounts(chunk, &dictionary_pages, &data_pages);
    const bool dictionary = chunk.has_dictionary_page() && chunk.dictionary_page_offset() > 0;
    builder->Finish(chunk.num_values(), dictionary ? chunk.dictionary_page_offset() + delta : 0,
                    chunk.has_index_page() ? chunk.index_page_offset() + delta : -1,
                    HasDataPageOffset(chunk) ? chunk.data_page_offset() + delta
                                             : chunk.data_page_offset(),
                    chunk.total_compressed_size(),
                    chunk.total_uncompressed_size(), chunk.has_dictionary_page(),
                    /*dictionary_fallback=*/false, dictionary_pages, data_pages);

    if (!page_indexes[i]) continue;
    page_index_used_ = true;
    const ChunkPageIndex& index = *page_indexes[i];
    const auto& pages = index.offset_index->page_locations();
    const auto& unencoded = index.offset_index->unencoded_byte_array_data_bytes();
    parquet::OffsetIndexBuilder* offsets = page_index_->GetOffsetIndexBuilder(i);
    for (size_t p = 0; p < pages.size(); ++p) {
      offsets->AddPage(pages[p].offset + delta, pages[p].compressed_page_size,
                       pages[p].first_row_index,
                       unencoded.empty() ? std::nullopt : std::optional<int64_t>(unencoded[p]));
    }
    offsets->Finish(/*final_position=*/0);  // the offsets above are final
    if (index.column_index) {
      parquet::ColumnIndexBuilder* column_index = page_index_->GetColumnIndexBuilder(i);
      for (size_t p = 0; p < pages.size(); ++p) {
        parquet::EncodedStatistics stats;
        parquet::SizeStatistics sizes;
        ColumnIndexPage(*index.column_index, *schema.Column(i), p, &stats, &sizes);
        column_index->AddPage(stats, sizes);
      }
      column_index->Finish();
    }
  }
  group_builder->set_num_rows(group->num_rows());
  group_builder->Finish(group->total_byte_size());
  ++num_row_groups_;
  num_rows_ += group->num_rows();
  return arrow::Status::OK();
}

arrow::Result<std::shared_ptr<arrow::Buffer>> RowGroupCopier::EncodeInMemory(
    const arrow::Table& table) {
  auto encode = [&](std::shared_ptr<arrow::io::OutputStream> memory) -> arrow::Status {
    ARROW_ASSIGN_OR_RAISE(auto writer, parquet::arrow::FileWriter::Open(
                                           *schema_, options_.pool, std::move(memory),
                                           options_.writer_properties,
                                           options_.arrow_writer_properties));
    ARROW_RETURN_NOT_OK(writer->WriteTable(table, table.num_rows()));
    return writer->Close();
  };
  // Encoded, the rows rarely take more room than decoded (plain pages hold values as
  // Arrow does; dictionaries and compression shrink them): one buffer that size, never
  // grown, spares the copy and the fresh pages of every doubling, and the final shrink
  // (measured: a tenth of compacting 2,000 small files). When it does not hold them, the
  // rows are encoded again into a growing buffer.
  arrow::Result<int64_t> decoded_bytes = arrow::util::ReferencedBufferSize(table);
  if (decoded_bytes.ok()) {
    const int64_t capacity_bytes = *decoded_bytes + *decoded_bytes / 4 + (int64_t{1} << 16);
    ARROW_ASSIGN_OR_RAISE(std::shared_ptr<arrow::ResizableBuffer> buffer,
                          arrow::AllocateResizableBuffer(capacity_bytes, options_.pool));
    auto memory = std::make_shared<arrow::io::FixedSizeBufferWriter>(buffer);
    arrow::Status encoded = encode(memory);
    if (encoded.ok()) {
      ARROW_ASSIGN_OR_RAISE(const int64_t size_bytes, memory->Tell());
      return arrow::SliceBuffer(std::move(buffer), 0, size_bytes);
    }
    if (!encoded.IsIOError()) return encoded;  // IOError: out of room (FixedSizeBufferWriter)
  }
  ARROW_ASSIGN_OR_RAISE(auto memory, arrow::io::BufferOutputStream::Create(
                                         int64_t{1} << 16, options_.pool));
  ARROW_RETURN_NOT_OK(encode(memory));
  return memory->Finish();
}

arrow::Status RowGroupCopier::WriteTable(const arrow::Table& table) {
  if (!failed_.ok()) return failed_;
  if (closed_) return arrow::Status::Invalid("RowGroupCopier is closed");
  if (!table.schema()->Equals(*schema_, /*check_metadata=*/false)) {
    const arrow::Schema& given = *table.schema();
    for (int i = 0; i < std::max(given.num_fields(), schema_->num_fields()); ++i) {
      if (i >= given.num_fields() || i >= schema_->num_fields() ||
          !given.field(i)->Equals(*schema_->field(i))) {
        return arrow::Status::Invalid(
            "cannot write a table whose column ", i + 1, " is ",
            i < given.num_fields() ? given.field(i)->ToString() : "missing",
            " into a file whose column ",
            i + 1, " is ", i < schema_->num_fields() ? schema_->field(i)->ToString() : "missing",
            "; cast the table to the output schema first");
      }
    }
  }
  const int64_t rows_per_group = options_.writer_properties->max_row_group_length();
  for (int64_t offset = 0; offset < table.num_rows(); offset += rows_per_group) {
    const std::shared_ptr<arrow::Table> slice = table.Slice(offset, rows_per_group);
    // Arrow encodes the row group into a Parquet file in memory; it is then copied.
    ARROW_ASSIGN_OR_RAISE(std::shared_ptr<arrow::Buffer> bytes, EncodeInMemory(*slice));
    ARROW_ASSIGN_OR_RAISE(
        CopySource encoded,
        CopySource::Open(std::make_shared<arrow::io::BufferReader>(bytes),
                         "a row group encoded from a table"));
    for (int i = 0; i < encoded.metadata->num_row_groups(); ++i) {
      // Cannot be refused (same schema, same properties) unless something is badly wrong.
      ARROW_RETURN_NOT_OK(CopyRowGroup(encoded, i));
    }
  }
  return arrow::Status::OK();
}

arrow::Status RowGroupCopier::Close() {
  if (!failed_.ok()) return failed_;
  if (closed_) return arrow::Status::OK();
  arrow::Status status = [&]() -> arrow::Status {
    BEGIN_PARQUET_CATCH_EXCEPTIONS
    if (page_index_used_) {
      page_index_->Finish();
      const parquet::PageIndexBuilder::WriteResult written = page_index_->WriteTo(sink_.get());
      footer_->SetIndexLocations(parquet::IndexKind::kColumnIndex, written.column_index_locations);
      footer_->SetIndexLocations(parquet::IndexKind::kOffsetIndex, written.offset_index_locations);
    }
    if (!bloom_filters_.empty()) {
      footer_->SetIndexLocations(parquet::IndexKind::kBloomFilter, bloom_filters_);
    }
    metadata_ = footer_->Finish(template_->key_value_metadata());
    parquet::WriteFileMetaData(*metadata_, sink_.get());
    END_PARQUET_CATCH_EXCEPTIONS
    return arrow::Status::OK();
  }();
  if (!status.ok()) {
    metadata_.reset();
    return Fail(status);
  }
  ARROW_ASSIGN_OR_RAISE(position_bytes_, sink_->Tell());
  closed_ = true;
  return arrow::Status::OK();
}

}  // namespace fsspeckit::io
