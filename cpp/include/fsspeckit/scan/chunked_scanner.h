// fsspeckit: adaptive chunks from a batch source, degrading gracefully under pressure.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>

#include <arrow/result.h>
#include <arrow/table.h>

#include "fsspeckit/memory/degradation_ladder.h"
#include "fsspeckit/memory/memory_monitor.h"
#include "fsspeckit/perf/performance_monitor.h"
#include "fsspeckit/scan/batch_source.h"

namespace fsspeckit::scan {

inline constexpr int64_t kDefaultChunkSizeRows = 1'000'000;

struct ChunkedScanOptions {
  /// The chunk size asked for; the ladder may halve it under pressure and grow it back.
  int64_t chunk_size_rows = kDefaultChunkSizeRows;
  int64_t min_chunk_size_rows = memory::kDefaultMinChunkSizeRows;
  int recovery_readings = memory::kDefaultRecoveryReadings;
  /// Required: the pressure the ladder reacts to.
  std::shared_ptr<memory::MemoryMonitor> monitor;
  /// The collector hook (Python registers gc.collect); may be empty.
  std::function<void()> collect;
  /// Called with (rows_processed, total_rows) once the consumer is done with a chunk,
  /// i.e. when it asks for the next one; total_rows is -1 when unknown.
  std::function<void(int64_t, int64_t)> progress;
  /// Without a progress callback: log "Processed x/y rows (z%)" at debug level.
  bool log_progress = false;
  /// May be nullptr; counts chunks, rows and every ladder step.
  std::shared_ptr<perf::PerformanceMonitor> perf;
};

/// Hands out the source's rows as tables of at most the current chunk size, every row
/// exactly once and in order. Before each chunk the degradation ladder runs; read-ahead
/// follows the ladder. Holds about one chunk plus one source batch. Not thread-safe.
class ChunkedScanner {
 public:
  static arrow::Result<std::unique_ptr<ChunkedScanner>> Make(std::unique_ptr<BatchSource> source,
                                                             ChunkedScanOptions options);

  /// The next chunk, or nullptr at the end. OutOfMemory (the source is left
  /// unfinished) when the emergency persists after collecting and releasing, and only
  /// while rows remain: a scan never fails after delivering its last row.
  arrow::Result<std::shared_ptr<arrow::Table>> Next();

  int64_t chunk_size_rows() const { return ladder_.chunk_size_rows(); }
  int64_t rows_processed() const { return rows_processed_; }
  int64_t total_rows() const { return source_->total_rows(); }
  /// The source's Close(): background reads stopped and finished.
  void Close() { source_->Close(); }
  std::shared_ptr<arrow::Schema> schema() const { return source_->schema(); }

 private:
  ChunkedScanner(std::unique_ptr<BatchSource> source, ChunkedScanOptions options,
                 memory::DegradationLadder ladder);
  void ReportProgress();
  /// Whether the source has a row left, reading at most one batch to find out.
  arrow::Result<bool> HasMoreRows();

  std::unique_ptr<BatchSource> source_;
  ChunkedScanOptions options_;
  memory::DegradationLadder ladder_;
  std::shared_ptr<arrow::RecordBatch> leftover_;  // the unconsumed tail of a batch
  bool source_done_ = false;
  int64_t rows_processed_ = 0;
  int64_t unreported_rows_ = 0;
};

}  // namespace fsspeckit::scan
