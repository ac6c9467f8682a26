// fsspeckit: the files one maintenance task writes: row groups copied raw where they can
// be, decoded rows joined into full row groups elsewhere, in the order given.
#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <arrow/filesystem/filesystem.h>
#include <arrow/record_batch.h>
#include <arrow/result.h>

#include "fsspeckit/io/write_dataset.h"
#include "io/row_group_copier_internal.h"

namespace fsspeckit::maintenance {

struct GroupWriterOptions {
  std::shared_ptr<arrow::fs::FileSystem> fs;
  /// Files are `<path_prefix><n>.staged`, n from 0; the folder is created.
  std::string path_prefix;
  /// Every file's schema; appended batches must have it.
  std::shared_ptr<arrow::Schema> schema;
  std::string codec = "snappy";
  /// A file ends here (a copied row group never straddles two files).
  std::optional<int64_t> max_rows_per_file;
  /// Decoded rows are joined into row groups of this many rows (fewer at a file's end
  /// and before a copied row group: the rows keep their order).
  int64_t row_group_rows = 0;
  /// Decoded rows waiting to be joined are written as a (smaller) row group once they
  /// hold this many bytes: the footers' estimate of a row's size may be short.
  int64_t max_pending_bytes = std::numeric_limits<int64_t>::max();
  /// Column paths written without a dictionary (merge::PlainColumns: unique ids,
  /// measurements), and the most a dictionary page of the others holds: a dictionary's
  /// hash table takes several times its page while it is built.
  std::vector<std::string> plain_columns;
  int64_t dictionary_page_bytes = int64_t{1} << 20;
  /// The most a raw copy holds of a source at once.
  int64_t copy_buffer_bytes = int64_t{4} << 20;
  /// Encode the columns of a row group on Arrow's CPU pool.
  bool use_threads = false;
  /// Every buffer: decoded rows, encoders, the copy buffer.
  arrow::MemoryPool* pool = arrow::default_memory_pool();
};

/// Not thread-safe: one task writes through one GroupWriter.
class GroupWriter {
 public:
  static arrow::Result<std::unique_ptr<GroupWriter>> Make(GroupWriterOptions options);
  ~GroupWriter();

  /// Whether row group `row_group` of `source` can be copied as it is: at least
  /// kMinCopiedRowGroupRows rows, no more than a file may hold, and the same Parquet
  /// schema and codec as the output (io::RowGroupCopier::CanCopy).
  arrow::Result<bool> CanCopy(const io::CopySource& source, int row_group);
  /// Writes the rows waiting to be joined, then copies the row group (in a new file
  /// when it would not fit the current one).
  arrow::Status Copy(const io::CopySource& source, int row_group);
  /// Rows to be joined into row groups, in order.
  arrow::Status Append(std::shared_ptr<arrow::RecordBatch> batch);
  /// Writes what waits and closes the last file; the files written, in order (none when
  /// no row was given).
  arrow::Result<std::vector<io::WrittenFile>> Finish();

  int64_t copied_row_groups() const { return copied_row_groups_; }
  int64_t encoded_row_groups() const { return encoded_row_groups_; }
  int64_t pending_rows() const { return pending_rows_; }
  int64_t pending_bytes() const { return pending_bytes_; }
  /// Writes the rows waiting to be joined now, as a (smaller) row group: for a caller
  /// whose writers together hold too much.
  arrow::Status FlushPending() { return Flush(/*all=*/true); }

 private:
  explicit GroupWriter(GroupWriterOptions options);
  arrow::Status EnsureOpen();
  arrow::Status CloseFile();
  arrow::Status Flush(bool all);
  int64_t Room() const;

  GroupWriterOptions options_;
  std::shared_ptr<parquet::WriterProperties> properties_;
  std::shared_ptr<arrow::io::OutputStream> sink_;
  std::unique_ptr<io::RowGroupCopier> copier_;
  std::string path_;
  int64_t file_rows_ = 0;
  std::vector<io::WrittenFile> files_;
  std::vector<std::shared_ptr<arrow::RecordBatch>> pending_;
  int64_t pending_rows_ = 0;
  int64_t pending_bytes_ = 0;
  int64_t copied_row_groups_ = 0;
  int64_t encoded_row_groups_ = 0;
};

}  // namespace fsspeckit::maintenance
