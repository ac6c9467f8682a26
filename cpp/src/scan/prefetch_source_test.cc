#include "scan/prefetch_source_internal.h"

#include <gtest/gtest.h>

#include <atomic>

#include <arrow/array/builder_primitive.h>
#include <arrow/record_batch.h>
#include <arrow/util/byte_size.h>

#include "testing/status_assertions.h"

namespace fsspeckit::scan {
namespace {

constexpr int64_t kRowsPerBatch = 1000;  // 8000 bytes of int64 per batch

// Batches 0, 1, ... of kRowsPerBatch ids; fails at `fail_at` (-1: never). Records how far
// its reads ran ahead of what the consumer had taken.
class CountingSource : public BatchSource {
 public:
  CountingSource(int batches, int fail_at, std::atomic<int>& taken)
      : batches_(batches), fail_at_(fail_at), taken_(taken) {}
  std::shared_ptr<arrow::Schema> schema() const override { return schema_; }
  int64_t total_rows() const override { return batches_ * kRowsPerBatch; }
  arrow::Result<std::shared_ptr<arrow::RecordBatch>> Next() override {
    max_ahead_ = std::max(max_ahead_.load(), next_ - taken_.load());
    if (next_ == fail_at_) return arrow::Status::IOError("batch ", next_, " is unreadable");
    if (next_ == batches_) return nullptr;
    arrow::Int64Builder ids;
    for (int64_t i = 0; i < kRowsPerBatch; ++i) ARROW_RETURN_NOT_OK(ids.Append(next_ * kRowsPerBatch + i));
    ++next_;
    ARROW_ASSIGN_OR_RAISE(auto array, ids.Finish());
    return arrow::RecordBatch::Make(schema_, kRowsPerBatch, {array});
  }
  std::atomic<int>& max_ahead() { return max_ahead_; }
  void Close() override { closed_ = true; }
  const bool& closed() const { return closed_; }

 private:
  std::shared_ptr<arrow::Schema> schema_ = arrow::schema({arrow::field("id", arrow::int64())});
  int batches_, fail_at_;
  int next_ = 0;
  std::atomic<int>& taken_;
  std::atomic<int> max_ahead_{0};
  bool closed_ = false;
};

TEST(PrefetchSource, EveryBatchInOrderWithinTheByteBudget) {
  std::atomic<int> taken{0};
  auto counting = std::make_unique<CountingSource>(40, -1, taken);
  auto& max_ahead = counting->max_ahead();
  const int64_t budget_bytes = 3 * 8000;
  auto source = MakePrefetchSource(std::move(counting), budget_bytes);
  for (int b = 0; b < 40; ++b) {
    if (b == 20) source->SetReadahead(false);  // CRITICAL: stop reading ahead
    if (b == 25) max_ahead = 0;  // what was read ahead before batch 20 is taken by now
    if (b == 30) {
      EXPECT_LE(max_ahead.load(), 1) << "read ahead while read-ahead was off";
      source->SetReadahead(true);
    }
    ASSERT_OK_AND_ASSIGN(auto batch, source->Next());
    ASSERT_NE(batch, nullptr);
    ++taken;
    EXPECT_EQ(std::static_pointer_cast<arrow::Int64Array>(batch->column(0))->Value(0),
              b * kRowsPerBatch);
  }
  ASSERT_OK_AND_ASSIGN(auto end, source->Next());
  EXPECT_EQ(end, nullptr);
  // Three batches fill the budget; a fourth may be read before its size is known.
  EXPECT_LE(max_ahead.load(), 4);
}

TEST(PrefetchSource, AnErrorComesAfterTheBatchesBeforeIt) {
  std::atomic<int> taken{0};
  auto source = MakePrefetchSource(std::make_unique<CountingSource>(10, 4, taken), 1 << 20);
  for (int b = 0; b < 4; ++b) {
    ASSERT_OK_AND_ASSIGN(auto batch, source->Next());
    ASSERT_NE(batch, nullptr);
  }
  auto failed = source->Next();
  ASSERT_FALSE(failed.ok());
  EXPECT_NE(failed.status().message().find("batch 4 is unreadable"), std::string::npos);
}

TEST(PrefetchSource, DestroyedMidStreamWithoutReadingTheRest) {
  std::atomic<int> taken{0};
  auto source = MakePrefetchSource(std::make_unique<CountingSource>(1000, -1, taken), 8000);
  ASSERT_OK_AND_ASSIGN(auto batch, source->Next());
  EXPECT_NE(batch, nullptr);
  source.reset();  // joins the worker
}

// The inner source may hold reads of its own (a dataset scanner's): Close() reaches it, so
// a caller that released a lock those reads need waits for them too.
TEST(PrefetchSource, CloseClosesTheInnerSource) {
  std::atomic<int> taken{0};
  auto counting = std::make_unique<CountingSource>(10, -1, taken);
  const bool& closed = counting->closed();
  auto source = MakePrefetchSource(std::move(counting), 8000);
  ASSERT_OK_AND_ASSIGN(auto batch, source->Next());
  EXPECT_FALSE(closed);
  source->Close();
  EXPECT_TRUE(closed);
}

}  // namespace
}  // namespace fsspeckit::scan
