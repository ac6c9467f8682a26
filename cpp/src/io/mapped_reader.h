// fsspeckit: a RecordBatchReader that passes each batch of another through a function.
#pragma once

#include <functional>
#include <memory>
#include <utility>

#include <arrow/record_batch.h>
#include <arrow/result.h>

namespace fsspeckit::io {

using BatchMap = std::function<arrow::Result<std::shared_ptr<arrow::RecordBatch>>(
    const std::shared_ptr<arrow::RecordBatch>&)>;

/// `input`'s batches, each passed through `map`, announced with `schema` (what `map`
/// returns). Streams: one batch at a time, nothing read ahead.
class MappedReader : public arrow::RecordBatchReader {
 public:
  MappedReader(std::shared_ptr<arrow::RecordBatchReader> input,
               std::shared_ptr<arrow::Schema> schema, BatchMap map)
      : input_(std::move(input)), schema_(std::move(schema)), map_(std::move(map)) {}

  std::shared_ptr<arrow::Schema> schema() const override { return schema_; }

  arrow::Status ReadNext(std::shared_ptr<arrow::RecordBatch>* out) override {
    std::shared_ptr<arrow::RecordBatch> batch;
    ARROW_RETURN_NOT_OK(input_->ReadNext(&batch));
    if (!batch) {
      *out = nullptr;
      return arrow::Status::OK();
    }
    ARROW_ASSIGN_OR_RAISE(*out, map_(batch));
    return arrow::Status::OK();
  }

 private:
  std::shared_ptr<arrow::RecordBatchReader> input_;
  std::shared_ptr<arrow::Schema> schema_;
  BatchMap map_;
};

}  // namespace fsspeckit::io
