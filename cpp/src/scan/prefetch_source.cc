// fsspeckit: a batch source read ahead on a background thread, within a byte budget.
#include "scan/prefetch_source_internal.h"

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include <arrow/util/byte_size.h>

#include "io/thread_edge_internal.h"

namespace fsspeckit::scan {
namespace {

class PrefetchSource : public BatchSource {
 public:
  PrefetchSource(std::unique_ptr<BatchSource> inner, int64_t readahead_bytes)
      : inner_(std::move(inner)), readahead_bytes_(readahead_bytes) {
    worker_ = std::thread([this] { Work(); });
  }

  ~PrefetchSource() override { Close(); }

  void Close() override {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    changed_.notify_all();
    if (worker_.joinable()) worker_.join();  // waits for a read in progress
    inner_->Close();
  }

  std::shared_ptr<arrow::Schema> schema() const override { return inner_->schema(); }
  int64_t total_rows() const override { return inner_->total_rows(); }

  arrow::Result<std::shared_ptr<arrow::RecordBatch>> Next() override {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait(lock, [&] { return !queue_.empty() || done_ || (!enabled_ && !reading_); });
    if (!queue_.empty()) {
      auto batch = std::move(queue_.front());
      queue_.pop_front();
      queued_bytes_ -= arrow::util::TotalBufferSize(*batch);
      changed_.notify_all();
      return batch;
    }
    if (done_) {
      if (!error_.ok()) return error_;
      return nullptr;
    }
    // Read-ahead is off and the worker idle: read here.
    reading_ = true;
    lock.unlock();
    auto batch = inner_->Next();
    lock.lock();
    reading_ = false;
    if (!batch.ok() || !*batch) done_ = true;
    if (!batch.ok()) error_ = batch.status();
    changed_.notify_all();
    return batch;
  }

  void SetReadahead(bool enabled) override {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      enabled_ = enabled;
    }
    changed_.notify_all();
  }

 private:
  void Work() {
    std::unique_lock<std::mutex> lock(mutex_);
    while (true) {
      changed_.wait(lock, [&] {
        return stop_ || (enabled_ && !done_ && !reading_ && queued_bytes_ < readahead_bytes_);
      });
      if (stop_) return;
      reading_ = true;
      lock.unlock();
      arrow::Result<std::shared_ptr<arrow::RecordBatch>> batch;
      arrow::Status thrown = io::CatchAtEdge("reading ahead", [&] {  // never escape a thread
        batch = inner_->Next();
        return arrow::Status::OK();
      });
      if (!thrown.ok()) batch = thrown;
      lock.lock();
      reading_ = false;
      if (!batch.ok()) {
        error_ = batch.status();
        done_ = true;
      } else if (!*batch) {
        done_ = true;
      } else {
        queued_bytes_ += arrow::util::TotalBufferSize(**batch);
        queue_.push_back(std::move(*batch));
      }
      changed_.notify_all();
    }
  }

  std::unique_ptr<BatchSource> inner_;
  const int64_t readahead_bytes_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<std::shared_ptr<arrow::RecordBatch>> queue_;  // read ahead, in order
  int64_t queued_bytes_ = 0;
  bool enabled_ = true;
  bool reading_ = false;  // inner_ is being read (by either thread)
  bool done_ = false;     // inner_ ended or failed
  bool stop_ = false;
  arrow::Status error_;
  std::thread worker_;  // last: starts after everything it uses
};

}  // namespace

std::unique_ptr<BatchSource> MakePrefetchSource(std::unique_ptr<BatchSource> inner,
                                                int64_t readahead_bytes) {
  return std::make_unique<PrefetchSource>(std::move(inner), readahead_bytes);
}

}  // namespace fsspeckit::scan
