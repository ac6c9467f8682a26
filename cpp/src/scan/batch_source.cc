// fsspeckit: a stream of record batches that a chunked scan pulls from.
#include "fsspeckit/scan/batch_source.h"

namespace fsspeckit::scan {
namespace {

class ReaderSource : public BatchSource {
 public:
  ReaderSource(std::shared_ptr<arrow::RecordBatchReader> reader, int64_t total_rows)
      : reader_(std::move(reader)), total_rows_(total_rows) {}

  std::shared_ptr<arrow::Schema> schema() const override { return reader_->schema(); }
  int64_t total_rows() const override { return total_rows_; }
  arrow::Result<std::shared_ptr<arrow::RecordBatch>> Next() override {
    return reader_->Next();
  }

 private:
  std::shared_ptr<arrow::RecordBatchReader> reader_;
  int64_t total_rows_;
};

}  // namespace

std::unique_ptr<BatchSource> MakeReaderSource(std::shared_ptr<arrow::RecordBatchReader> reader,
                                              int64_t total_rows) {
  return std::make_unique<ReaderSource>(std::move(reader), total_rows);
}

}  // namespace fsspeckit::scan
