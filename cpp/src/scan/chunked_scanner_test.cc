#include "fsspeckit/scan/chunked_scanner.h"

#include <gtest/gtest.h>

#include <arrow/array/builder_primitive.h>
#include <arrow/compute/initialize.h>

#include "testing/fake_memory_source.h"
#include "testing/status_assertions.h"

namespace fsspeckit::scan {
namespace {

using fsspeckit::testing::FakeMemorySource;
using fsspeckit::testing::MiB;
using memory::PressureLevel;

std::shared_ptr<arrow::Schema> Schema() { return arrow::schema({arrow::field("x", arrow::int64())}); }

std::shared_ptr<arrow::RecordBatch> Batch(int64_t first, int64_t rows) {
  arrow::Int64Builder builder;
  for (int64_t i = 0; i < rows; ++i) EXPECT_TRUE(builder.Append(first + i).ok());
  return arrow::RecordBatch::Make(Schema(), rows, {builder.Finish().ValueOrDie()});
}

// Batches of the given sizes with consecutive values; records read-ahead changes and
// can run a hook before each batch.
class ScriptedSource : public BatchSource {
 public:
  explicit ScriptedSource(std::vector<int64_t> sizes) : sizes_(std::move(sizes)) {
    for (int64_t n : sizes_) total_ += n;
  }
  std::shared_ptr<arrow::Schema> schema() const override { return Schema(); }
  int64_t total_rows() const override { return total_; }
  arrow::Result<std::shared_ptr<arrow::RecordBatch>> Next() override {
    if (next_ >= sizes_.size()) return nullptr;
    auto batch = Batch(first_, sizes_[next_]);
    first_ += sizes_[next_++];
    return batch;
  }
  void SetReadahead(bool enabled) override { readahead_log->push_back(enabled); }

  std::shared_ptr<std::vector<bool>> readahead_log = std::make_shared<std::vector<bool>>();

 private:
  std::vector<int64_t> sizes_;
  size_t next_ = 0;
  int64_t first_ = 0, total_ = 0;
};

class ChunkedScannerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    source_ = std::make_shared<FakeMemorySource>();
    memory::MemoryMonitorOptions options;
    options.limits = {MiB(1000), std::nullopt, 0};
    options.source = source_;
    options.cache_ttl_ms = 0;
    monitor_ = std::shared_ptr<memory::MemoryMonitor>(
        memory::MemoryMonitor::Make(options).ValueOrDie());
  }

  void Set(PressureLevel level) {
    static constexpr double kMiB[] = {10, 800, 950, 1000};
    source_->pool_bytes = MiB(kMiB[static_cast<int>(level)]);
  }

  ChunkedScanOptions Options(int64_t chunk_size_rows) {
    ChunkedScanOptions options;
    options.chunk_size_rows = chunk_size_rows;
    options.min_chunk_size_rows = 2;
    options.monitor = monitor_;
    options.collect = [this] { ++collect_calls_; };
    return options;
  }

  // Reads every chunk; returns their sizes and checks the values run 0, 1, 2, ...
  std::vector<int64_t> Drain(ChunkedScanner& scanner, std::function<void(int)> before = {}) {
    std::vector<int64_t> sizes;
    int64_t expected = 0;
    for (int i = 0;; ++i) {
      if (before) before(i);
      auto chunk = scanner.Next();
      EXPECT_TRUE(chunk.ok()) << chunk.status().ToString();
      if (!chunk.ok() || !*chunk) break;
      for (const auto& piece : (*chunk)->column(0)->chunks()) {
        auto values = std::static_pointer_cast<arrow::Int64Array>(piece);
        for (int64_t j = 0; j < values->length(); ++j) EXPECT_EQ(values->Value(j), expected++);
      }
      sizes.push_back((*chunk)->num_rows());
    }
    return sizes;
  }

  std::shared_ptr<FakeMemorySource> source_;
  std::shared_ptr<memory::MemoryMonitor> monitor_;
  int collect_calls_ = 0;
};

TEST_F(ChunkedScannerTest, ReslicesBatchesIntoChunksOfTheRequestedSize) {
  ASSERT_OK_AND_ASSIGN(auto scanner, ChunkedScanner::Make(
                                         std::make_unique<ScriptedSource>(std::vector<int64_t>{7, 3, 0, 10, 1}),
                                         Options(4)));
  EXPECT_EQ(Drain(*scanner), (std::vector<int64_t>{4, 4, 4, 4, 4, 1}));
  EXPECT_EQ(scanner->rows_processed(), 21);
  EXPECT_EQ(collect_calls_, 0);
}

TEST_F(ChunkedScannerTest, EmptySourceGivesNoChunks) {
  ASSERT_OK_AND_ASSIGN(auto scanner, ChunkedScanner::Make(
                                         std::make_unique<ScriptedSource>(std::vector<int64_t>{}),
                                         Options(4)));
  EXPECT_TRUE(Drain(*scanner).empty());
}

TEST_F(ChunkedScannerTest, CriticalPressureShrinksChunksAndDropsReadaheadThenRecovers) {
  auto source = std::make_unique<ScriptedSource>(std::vector<int64_t>{100});
  auto readahead_log = source->readahead_log;
  auto perf = perf::PerformanceMonitor::Make(monitor_);
  ChunkedScanOptions options = Options(16);
  options.perf = std::shared_ptr<perf::PerformanceMonitor>(std::move(perf));
  auto perf_ptr = options.perf;
  options.recovery_readings = 2;
  ASSERT_OK_AND_ASSIGN(auto scanner, ChunkedScanner::Make(std::move(source), options));
  // Pressure before each chunk: C C C N N N N N ...
  auto sizes = Drain(*scanner, [&](int i) { Set(i < 3 ? PressureLevel::kCritical : PressureLevel::kNormal); });
  EXPECT_EQ(sizes, (std::vector<int64_t>{8, 4, 2, 2, 4, 4, 8, 8, 16, 16, 16, 12}));
  EXPECT_EQ((*readahead_log)[0], false);
  EXPECT_EQ(readahead_log->back(), true);
  EXPECT_EQ(collect_calls_, 1);  // relief is throttled to once a second
  perf::PerformanceMetrics metrics = perf_ptr->Metrics(0, 0, 0);
  EXPECT_EQ(metrics.chunks_processed, 12);
  EXPECT_EQ(metrics.degradation.collections, 1);
  EXPECT_EQ(metrics.degradation.pool_releases, 1);
  EXPECT_EQ(metrics.degradation.chunk_size_reductions, 3);
  EXPECT_EQ(metrics.degradation.smallest_chunk_size_rows, 2);
  EXPECT_EQ(perf_ptr->counters().total_rows_processed, 100);
}

TEST_F(ChunkedScannerTest, PersistentEmergencyFailsWithOutOfMemory) {
  ASSERT_OK_AND_ASSIGN(auto scanner, ChunkedScanner::Make(
                                         std::make_unique<ScriptedSource>(std::vector<int64_t>{50}),
                                         Options(10)));
  ASSERT_OK_AND_ASSIGN(auto first, scanner->Next());
  EXPECT_EQ(first->num_rows(), 10);
  Set(PressureLevel::kEmergency);
  auto second = scanner->Next();
  ASSERT_RAISES(OutOfMemory, second.status());
  EXPECT_NE(second.status().message().find("Peak memory usage exceeded limit: PyArrow: 1000.0/1000 MB"),
            std::string::npos);
  EXPECT_EQ(collect_calls_, 1);  // the collector ran before giving up
}

TEST_F(ChunkedScannerTest, EmergencyAfterTheLastRowEndsTheScanInsteadOfFailing) {
  // The chunk held every row: the consumer still holds it when it asks for more.
  ASSERT_OK_AND_ASSIGN(auto scanner, ChunkedScanner::Make(
                                         std::make_unique<ScriptedSource>(std::vector<int64_t>{6, 4}),
                                         Options(10)));
  ASSERT_OK_AND_ASSIGN(auto first, scanner->Next());
  EXPECT_EQ(first->num_rows(), 10);
  Set(PressureLevel::kEmergency);
  ASSERT_OK_AND_ASSIGN(auto end, scanner->Next());
  EXPECT_EQ(end, nullptr);
  EXPECT_EQ(scanner->rows_processed(), 10);
}

TEST_F(ChunkedScannerTest, EmergencyWithRowsLeftKeepsThemForARetry) {
  ASSERT_OK_AND_ASSIGN(auto scanner, ChunkedScanner::Make(
                                         std::make_unique<ScriptedSource>(std::vector<int64_t>{5, 5}),
                                         Options(5)));
  ASSERT_OK_AND_ASSIGN(auto first, scanner->Next());
  Set(PressureLevel::kEmergency);
  ASSERT_RAISES(OutOfMemory, scanner->Next().status());
  Set(PressureLevel::kNormal);
  ASSERT_OK_AND_ASSIGN(auto second, scanner->Next());  // the batch peeked is not lost
  ASSERT_NE(second, nullptr);
  EXPECT_EQ(std::static_pointer_cast<arrow::Int64Array>(second->column(0)->chunk(0))->Value(0), 5);
  int64_t rows = first->num_rows() + second->num_rows();
  while (true) {
    ASSERT_OK_AND_ASSIGN(auto chunk, scanner->Next());
    if (!chunk) break;
    rows += chunk->num_rows();
  }
  EXPECT_EQ(rows, 10);
}

TEST_F(ChunkedScannerTest, ProgressIsReportedWhenTheConsumerAsksForMore) {
  std::vector<std::pair<int64_t, int64_t>> calls;
  ChunkedScanOptions options = Options(4);
  options.progress = [&](int64_t done, int64_t total) { calls.emplace_back(done, total); };
  ASSERT_OK_AND_ASSIGN(auto scanner, ChunkedScanner::Make(
                                         std::make_unique<ScriptedSource>(std::vector<int64_t>{10}),
                                         options));
  ASSERT_OK(scanner->Next().status());
  EXPECT_TRUE(calls.empty());  // the first chunk is still being processed
  ASSERT_OK(scanner->Next().status());
  ASSERT_OK(scanner->Next().status());
  ASSERT_OK_AND_ASSIGN(auto end, scanner->Next());
  EXPECT_EQ(end, nullptr);
  EXPECT_EQ(calls, (std::vector<std::pair<int64_t, int64_t>>{{4, 10}, {8, 10}, {10, 10}}));
}

TEST_F(ChunkedScannerTest, BadOptionsAreInvalid) {
  ASSERT_RAISES(Invalid, ChunkedScanner::Make(std::make_unique<ScriptedSource>(std::vector<int64_t>{1}),
                                              Options(0)).status());
  ChunkedScanOptions no_monitor = Options(5);
  no_monitor.monitor.reset();
  ASSERT_RAISES(Invalid, ChunkedScanner::Make(std::make_unique<ScriptedSource>(std::vector<int64_t>{1}),
                                              no_monitor).status());
}

}  // namespace
}  // namespace fsspeckit::scan
