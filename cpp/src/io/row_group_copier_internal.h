// fsspeckit: one Parquet file assembled from row groups copied raw out of other Parquet
// files and row groups encoded from Arrow tables, in any order, under one footer.
//
// Why this design (DESIGN.md §5 item 13: bytes that need no change are copied, not decoded):
//
// - A copied row group is copied column chunk by column chunk as byte ranges: pages,
//   page headers, CRCs and dictionary pages exactly as they are in the source, through
//   one buffer of at most `copy_buffer_bytes` from the caller's pool (a source that maps
//   its bytes, like an in-memory file, is written from its own buffers). Only the footer
//   entries are rebuilt, with the offsets moved. Arrow's PageReader (always_compressed)
//   and PageWriter would do the same work page by page but re-serialize every page
//   header, drop the CRCs, and cannot feed an offset index (PageWriter needs each page's
//   first row, which PageReader never knows), for no gain: a chunk's pages are already
//   laid out as a valid chunk.
// - An encoded row group is written by Arrow's own parquet::arrow::FileWriter into an
//   in-memory Parquet file, whose one row group is then copied like any other. Arrow's
//   row group and column writers cannot join a file whose footer they do not own (the
//   wiring from Arrow arrays to ColumnWriters, with nested levels, is internal to
//   parquet::arrow), while this reuses all of it unchanged: levels, dictionaries,
//   statistics, page index, bloom filters. It costs one compressed row group in memory
//   (allocated from the caller's pool) and one memcpy of it.
// - The footer is built with FileMetaDataBuilder from the schema Arrow's writer derives
//   for the output's Arrow schema (taken from an empty file it writes at Make), so the
//   file's schema and key-value metadata (ARROW:schema: timestamps with time zones,
//   dictionaries, large types read back as written) are exactly what Arrow would write.
// - The page index is rebuilt, not dropped: where the output's WriterProperties enable
//   it for a column and the source chunk has one, its column index is carried over and
//   its offset index moved to the new page offsets (checked to lie inside the chunk;
//   otherwise that chunk gets none). Bloom filters are copied likewise when enabled.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <arrow/io/interfaces.h>
#include <arrow/memory_pool.h>
#include <arrow/result.h>
#include <arrow/status.h>
#include <arrow/type_fwd.h>
#include <parquet/metadata.h>
#include <parquet/page_index.h>
#include <parquet/properties.h>

namespace fsspeckit::io {

/// A Parquet file row groups may be copied from: its bytes and its footer. The copier
/// reads only the byte ranges it copies (and the page index and bloom filters it keeps).
struct CopySource {
  std::shared_ptr<arrow::io::RandomAccessFile> file;
  std::shared_ptr<parquet::FileMetaData> metadata;
  std::string path;        ///< names the file in messages only
  int64_t size_bytes = 0;  ///< the file's size; column chunks must lie within it

  /// Reads the footer of `file` (unless `metadata` is given, e.g. kept from a plan) and
  /// its size. IOError naming `path` when the footer cannot be read, e.g. when it is
  /// encrypted.
  static arrow::Result<CopySource> Open(
      std::shared_ptr<arrow::io::RandomAccessFile> file, std::string path,
      std::shared_ptr<parquet::FileMetaData> metadata = nullptr);
};

struct RowGroupCopierOptions {
  /// How encoded row groups are written (codec, dictionary, statistics, page size, page
  /// index, bloom filters, max_row_group_length), and what a copied one must match: the
  /// codec of every column. Null means Arrow's defaults. The sorting columns given here
  /// are stamped on every row group, copied ones too (a copied row group's own are not
  /// kept). Encryption is refused.
  std::shared_ptr<parquet::WriterProperties> writer_properties;
  /// How Arrow types map to Parquet. Null means store_schema() (ARROW:schema in the
  /// footer, so Arrow readers get the Arrow types back), as write_parquet writes.
  std::shared_ptr<parquet::ArrowWriterProperties> arrow_writer_properties;
  /// Every allocation: the copy buffer, the encoders (it replaces writer_properties'
  /// pool), an encoded row group, the footer being built.
  arrow::MemoryPool* pool = arrow::default_memory_pool();
  /// The copy buffer: the most a copy holds of a source at once.
  int64_t copy_buffer_bytes = int64_t{4} << 20;  // 4 MiB: few syscalls, little memory
};

/// Writes one Parquet file to `sink`. Not thread-safe; one caller at a time.
///
/// What can be copied: a row group of an unencrypted file whose schema equals the
/// output's Parquet schema (the same columns in the same order, with the same names,
/// repetition, physical and logical types; field ids and the Arrow-level types, such as
/// string vs large_string or a dictionary, may differ, as they share one encoding), every
/// column compressed with the codec the output's WriterProperties give that column, and
/// column chunks stored in the file itself, inside it. Any page layout is copied as it
/// is: data pages v1 and v2, dictionary pages, any encoding, page checksums.
/// Statistics are kept when Arrow's reader trusts them (ApplicationVersion), so copied
/// statistics never claim more than the source's did.
///
/// What is refused: anything else, by CanCopy/CopyRowGroup with Invalid "cannot copy
/// row group 3 of 'a.parquet': column 'x' is INT32 there, INT64 in the output", before
/// anything is written; the copier stays usable and the caller decodes instead.
///
/// Who owns what: the copier shares `sink` and writes it from its current position
/// (normally 0) on; Close writes the footer but leaves the sink open, for the caller to
/// close (or to delete the file after an error). Sources are only read, during the call.
/// After any failed write the file is unusable: every later call returns that error.
class RowGroupCopier {
 public:
  /// Writes the file's leading magic bytes. Invalid when `schema` has a type Parquet
  /// cannot store or the properties ask for encryption.
  static arrow::Result<std::unique_ptr<RowGroupCopier>> Make(
      std::shared_ptr<arrow::io::OutputStream> sink, std::shared_ptr<arrow::Schema> schema,
      RowGroupCopierOptions options = {});

  ~RowGroupCopier();

  /// OK when CopyRowGroup(source, row_group) would copy; Invalid "cannot copy row group
  /// ..." naming the reason otherwise. Reads the footer only.
  arrow::Status CanCopy(const CopySource& source, int row_group) const;

  /// Appends row group `row_group` of `source`, never decoding a page.
  arrow::Status CopyRowGroup(const CopySource& source, int row_group);

  /// Appends `table`'s rows, encoded with the output's properties, as row groups of at
  /// most max_row_group_length rows (one row group when it fits; none for no rows).
  /// Holds one encoded (compressed) row group in memory at a time, besides the table.
  /// Invalid when its columns' names or types differ from the output schema's.
  arrow::Status WriteTable(const arrow::Table& table);

  /// Writes the page index, the footer and the trailing magic bytes; the file is then
  /// complete. A second Close does nothing.
  arrow::Status Close();

  /// The footer written, after Close (null before).
  const std::shared_ptr<parquet::FileMetaData>& metadata() const { return metadata_; }
  int num_row_groups() const { return num_row_groups_; }
  int64_t num_rows() const { return num_rows_; }
  const std::shared_ptr<arrow::Schema>& schema() const { return schema_; }

 private:
  RowGroupCopier(std::shared_ptr<arrow::io::OutputStream> sink,
                 std::shared_ptr<arrow::Schema> schema, RowGroupCopierOptions options);
  arrow::Status Init();
  arrow::Status Copy(const CopySource& source, int row_group);
  arrow::Status CopyBytes(arrow::io::RandomAccessFile& file, int64_t offset_bytes,
                          int64_t length_bytes, const std::string& path);
  arrow::Status Write(const void* data, int64_t length_bytes);
  arrow::Status Fail(arrow::Status status);
  /// `table` encoded by Arrow as one Parquet file in memory (WriteTable copies its row groups).
  arrow::Result<std::shared_ptr<arrow::Buffer>> EncodeInMemory(const arrow::Table& table);

  std::shared_ptr<arrow::io::OutputStream> sink_;
  std::shared_ptr<arrow::Schema> schema_;
  RowGroupCopierOptions options_;
  // The empty file Arrow writes for schema_: it owns the Parquet schema and holds the
  // key-value metadata (ARROW:schema) the footer carries.
  std::shared_ptr<parquet::FileMetaData> template_;
  std::unique_ptr<parquet::FileMetaDataBuilder> footer_;
  std::unique_ptr<parquet::PageIndexBuilder> page_index_;
  bool page_index_used_ = false;
  parquet::IndexLocations bloom_filters_;
  std::shared_ptr<arrow::ResizableBuffer> buffer_;  // the copy buffer, made on first use
  int64_t position_bytes_ = 0;                      // where the next byte goes in the file
  int num_row_groups_ = 0;
  int64_t num_rows_ = 0;
  arrow::Status failed_;
  bool closed_ = false;
  std::shared_ptr<parquet::FileMetaData> metadata_;
};

}  // namespace fsspeckit::io
