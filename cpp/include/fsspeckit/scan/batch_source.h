// fsspeckit: a stream of record batches that a chunked scan pulls from.
#pragma once

#include <cstdint>
#include <memory>

#include <arrow/record_batch.h>
#include <arrow/result.h>

namespace fsspeckit::scan {

/// Where a chunked scan gets its rows. Batches come in order; their size is the
/// source's business (the scan re-slices them).
class BatchSource {
 public:
  virtual ~BatchSource() = default;
  virtual std::shared_ptr<arrow::Schema> schema() const = 0;
  /// Rows the source will produce, or -1 when unknown up front.
  virtual int64_t total_rows() const = 0;
  /// The next batch, or nullptr at the end.
  virtual arrow::Result<std::shared_ptr<arrow::RecordBatch>> Next() = 0;
  /// Read-ahead on or off; the ladder turns it off under CRITICAL pressure. Sources
  /// without read-ahead ignore it.
  virtual void SetReadahead(bool enabled) {}
  /// Stops reading ahead and waits for background reads to finish. Destroying does the
  /// same, but a caller holding a lock that background reads may need (Python's GIL,
  /// when the filesystem is implemented in Python) calls Close() with it released
  /// first. Next() is not called after Close().
  virtual void Close() {}
};

/// Wraps any RecordBatchReader (an imported Arrow C stream, a table's batches, a
/// dataset scanner). `total_rows` may be -1.
std::unique_ptr<BatchSource> MakeReaderSource(std::shared_ptr<arrow::RecordBatchReader> reader,
                                              int64_t total_rows);

/// `source` read as a RecordBatchReader (a merge reads its source through one).
std::shared_ptr<arrow::RecordBatchReader> AsRecordBatchReader(std::unique_ptr<BatchSource> source);

}  // namespace fsspeckit::scan
