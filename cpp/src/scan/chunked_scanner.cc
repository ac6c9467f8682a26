// fsspeckit: adaptive chunks from a batch source, degrading gracefully under pressure.
#include "fsspeckit/scan/chunked_scanner.h"

#include <cstdio>

#include "fsspeckit/log/log.h"

namespace fsspeckit::scan {

ChunkedScanner::ChunkedScanner(std::unique_ptr<BatchSource> source, ChunkedScanOptions options,
                               memory::DegradationLadder ladder)
    : source_(std::move(source)), options_(std::move(options)), ladder_(std::move(ladder)) {}

arrow::Result<std::unique_ptr<ChunkedScanner>> ChunkedScanner::Make(
    std::unique_ptr<BatchSource> source, ChunkedScanOptions options) {
  if (options.chunk_size_rows <= 0) {
    return arrow::Status::Invalid("chunk_size_rows must be a positive number of rows, got: ",
                                  options.chunk_size_rows);
  }
  if (options.min_chunk_size_rows <= 0) {
    return arrow::Status::Invalid("min_chunk_size_rows must be positive, got: ",
                                  options.min_chunk_size_rows);
  }
  if (!options.monitor) return arrow::Status::Invalid("a MemoryMonitor is required");
  memory::DegradationLadderOptions ladder_options;
  ladder_options.requested_chunk_size_rows = options.chunk_size_rows;
  ladder_options.min_chunk_size_rows = options.min_chunk_size_rows;
  ladder_options.recovery_readings = options.recovery_readings;
  ladder_options.collect = options.collect;
  ladder_options.observer = options.perf.get();
  memory::DegradationLadder ladder(options.monitor, std::move(ladder_options));
  return std::unique_ptr<ChunkedScanner>(
      new ChunkedScanner(std::move(source), std::move(options), std::move(ladder)));
}

void ChunkedScanner::ReportProgress() {
  if (unreported_rows_ == 0) return;
  rows_processed_ += unreported_rows_;
  unreported_rows_ = 0;
  const int64_t total = source_->total_rows();
  if (options_.progress) {
    options_.progress(rows_processed_, total);
  } else if (options_.log_progress) {
    char message[128];
    double percent = total > 0 ? 100.0 * double(rows_processed_) / double(total) : 0.0;
    std::snprintf(message, sizeof(message), "Processed %lld/%lld rows (%.1f%%)",
                  static_cast<long long>(rows_processed_), static_cast<long long>(total),
                  percent);
    log::Log(log::LogLevel::kDebug, message);
  }
}

arrow::Result<bool> ChunkedScanner::HasMoreRows() {
  while (!leftover_ && !source_done_) {
    ARROW_ASSIGN_OR_RAISE(leftover_, source_->Next());  // at most one batch, kept
    if (!leftover_) source_done_ = true;
    else if (leftover_->num_rows() == 0) leftover_.reset();
  }
  return leftover_ != nullptr;
}

arrow::Result<std::shared_ptr<arrow::Table>> ChunkedScanner::Next() {
  // The consumer is done with the previous chunk: that is when it counts as processed.
  ReportProgress();
  if (source_done_ && !leftover_) return nullptr;

  if (auto status = ladder_.Step(); !status.ok()) {
    // The consumer may still hold the last chunk it was given: a source with nothing
    // left ends the scan instead of failing after every row was delivered.
    ARROW_ASSIGN_OR_RAISE(const bool more, HasMoreRows());
    if (!more) return nullptr;
    return status;
  }
  source_->SetReadahead(ladder_.readahead());
  const int64_t want = ladder_.chunk_size_rows();

  std::vector<std::shared_ptr<arrow::RecordBatch>> pieces;
  int64_t rows = 0;
  while (rows < want) {
    std::shared_ptr<arrow::RecordBatch> batch = std::move(leftover_);
    if (!batch) {
      if (source_done_) break;
      ARROW_ASSIGN_OR_RAISE(batch, source_->Next());
      if (!batch) {
        source_done_ = true;
        break;
      }
    }
    if (batch->num_rows() == 0) continue;
    const int64_t take = std::min(want - rows, batch->num_rows());
    if (take < batch->num_rows()) leftover_ = batch->Slice(take);  // zero-copy
    pieces.push_back(take < batch->num_rows() ? batch->Slice(0, take) : std::move(batch));
    rows += take;
  }
  if (rows == 0) return nullptr;

  unreported_rows_ = rows;
  if (options_.perf) {
    options_.perf->AddChunks(1);
    options_.perf->AddRows(rows);
    options_.perf->TrackMemory();  // one timeline sample per chunk, at its chunk size
  }
  return arrow::Table::FromRecordBatches(source_->schema(), pieces);
}

}  // namespace fsspeckit::scan
