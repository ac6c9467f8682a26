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

// The other way round: a source read as a RecordBatchReader (a merge's source).
class SourceReader : public arrow::RecordBatchReader {
 public:
  explicit SourceReader(std::unique_ptr<BatchSource> source) : source_(std::move(source)) {}
  ~SourceReader() override { source_->Close(); }

  std::shared_ptr<arrow::Schema> schema() const override { return source_->schema(); }
  arrow::Status ReadNext(std::shared_ptr<arrow::RecordBatch>* batch) override {
    return source_->Next().Value(batch);
  }

 private:
  std::unique_ptr<BatchSource> source_;
};

}  // namespace

std::shared_ptr<arrow::RecordBatchReader> AsRecordBatchReader(std::unique_ptr<BatchSource> source) {
  return std::make_shared<SourceReader>(std::move(source));
}

std::unique_ptr<BatchSource> MakeReaderSource(std::shared_ptr<arrow::RecordBatchReader> reader,
                                              int64_t total_rows) {
  return std::make_unique<ReaderSource>(std::move(reader), total_rows);
}

}  // namespace fsspeckit::scan
