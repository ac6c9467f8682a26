// fsspeckit: any pyarrow dataset (CSV, JSON, ORC, IPC, ...) read through Arrow's scanner.
#include "fsspeckit/scan/dataset_source.h"

#include <algorithm>

#include <arrow/compute/initialize.h>
#include <arrow/dataset/file_base.h>
#include <arrow/dataset/plan.h>
#include <arrow/dataset/scanner.h>

#include "fsspeckit/scan/parquet_batch_source.h"
#include "scan/prefetch_source_internal.h"

namespace fsspeckit::scan {
namespace {

class DatasetSource : public BatchSource {
 public:
  DatasetSource(std::shared_ptr<arrow::RecordBatchReader> reader, int64_t total_rows)
      : reader_(std::move(reader)), schema_(reader_->schema()), total_rows_(total_rows) {}
  ~DatasetSource() override { Close(); }

  std::shared_ptr<arrow::Schema> schema() const override { return schema_; }
  int64_t total_rows() const override { return total_rows_; }
  arrow::Result<std::shared_ptr<arrow::RecordBatch>> Next() override { return reader_->Next(); }

  // Closing the scanner's reader stops its plan and waits for the reads it started.
  // Dropping it would not: through a Python filesystem those reads need the GIL (a
  // process exiting meanwhile aborts), and fsspec's memory filesystem hands one file
  // object to every open of a file, so a count opening the same files next read from
  // the wrong position ("Empty CSV file").
  void Close() override {
    if (!reader_) return;
    (void)reader_->Close();
    reader_.reset();
  }

 private:
  std::shared_ptr<arrow::RecordBatchReader> reader_;
  std::shared_ptr<arrow::Schema> schema_;
  int64_t total_rows_;
};

// A scanner of `dataset` where `filter` holds, with threads as pyarrow's default.
arrow::Result<std::shared_ptr<arrow::dataset::ScannerBuilder>> ScannerOf(
    const std::shared_ptr<arrow::dataset::Dataset>& dataset,
    const std::optional<arrow::compute::Expression>& filter) {
  auto builder = std::make_shared<arrow::dataset::ScannerBuilder>(dataset);
  if (filter) ARROW_RETURN_NOT_OK(builder->Filter(*filter));
  ARROW_RETURN_NOT_OK(builder->UseThreads(true));
  return builder;
}

}  // namespace

arrow::Result<std::unique_ptr<BatchSource>> MakeDatasetSource(
    const std::shared_ptr<arrow::dataset::Dataset>& dataset,
    std::optional<arrow::compute::Expression> filter, int64_t batch_size_rows) {
  // The scan's kernels and plan nodes (idempotent, cheap; pyarrow does it on import).
  ARROW_RETURN_NOT_OK(arrow::compute::Initialize());
  arrow::dataset::internal::Initialize();
  // Counted first, with Arrow's read-ahead (without it, a count never finishes): a
  // count running beside the scan would share its files.
  ARROW_ASSIGN_OR_RAISE(auto counting, ScannerOf(dataset, filter));
  ARROW_ASSIGN_OR_RAISE(auto counter, counting->Finish());
  ARROW_ASSIGN_OR_RAISE(int64_t total_rows, counter->CountRows());
  // Read one batch and one file at a time: the chunked scan reads ahead within its budget.
  ARROW_ASSIGN_OR_RAISE(auto reading, ScannerOf(dataset, filter));
  ARROW_RETURN_NOT_OK(reading->BatchSize(std::max<int64_t>(batch_size_rows, 1)));
  ARROW_RETURN_NOT_OK(reading->BatchReadahead(0));
  ARROW_RETURN_NOT_OK(reading->FragmentReadahead(0));
  ARROW_ASSIGN_OR_RAISE(auto scanner, reading->Finish());
  ARROW_ASSIGN_OR_RAISE(auto reader, scanner->ToRecordBatchReader());
  return std::make_unique<DatasetSource>(std::move(reader), total_rows);
}

arrow::Result<std::unique_ptr<BatchSource>> OpenDatasetForScan(
    const std::shared_ptr<arrow::dataset::Dataset>& dataset,
    std::optional<arrow::compute::Expression> filter, int64_t max_pool_bytes,
    int64_t chunk_size_rows) {
  auto* files = dynamic_cast<arrow::dataset::FileSystemDataset*>(dataset.get());
  if (files && files->format()->type_name() == "parquet") {
    ARROW_ASSIGN_OR_RAISE(auto parquet, ParquetBatchSource::Open(dataset, std::move(filter),
                                                                 OptionsForBudget(max_pool_bytes)));
    return std::unique_ptr<BatchSource>(std::move(parquet));
  }
  // Batches of at most 128Ki rows, so that a large chunk size never means one huge batch.
  constexpr int64_t kMaxBatchRows = int64_t{1} << 17;
  ARROW_ASSIGN_OR_RAISE(auto source, MakeDatasetSource(dataset, std::move(filter),
                                                       std::min(chunk_size_rows, kMaxBatchRows)));
  return MakePrefetchSource(std::move(source), max_pool_bytes / 4);
}

}  // namespace fsspeckit::scan
