#include "io/retry_internal.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>

#include <arrow/filesystem/localfs.h>

#include "fsspeckit/io/commit_options.h"
#include "io/commit_journal_internal.h"
#include "io/staged_commit_internal.h"
#include "testing/status_assertions.h"
#include "testing/temp_dir.h"

namespace fsspeckit::io {
namespace {

namespace fs = std::filesystem;

// What the stores answered through the S3 proxy (tests/s3_proxy.py), word for word.
constexpr const char* kHeadThrottled =
    "When getting information for key 'x.parquet' in bucket 'b': AWS Error UNKNOWN (HTTP "
    "status 503) during HeadObject operation: No response body.";
constexpr const char* kSmallGetThrottled =
    "AWS Error INTERNAL_FAILURE during GetObject operation: Failed to flush response stream "
    "(eof: 0, bad: 1)";
constexpr const char* kUploadThrottled =
    "When uploading part for key 'y.parquet' in bucket 'b': AWS Error SLOW_DOWN during "
    "UploadPart operation: Please reduce your request rate. (Request ID: 2)";
constexpr const char* kS3fsThrottled = "[Errno 16] Please reduce your request rate.";
constexpr const char* kDenied =
    "When getting information for key 'x' in bucket 'b': AWS Error ACCESS_DENIED during "
    "HeadObject operation: No response body.";

TEST(RetryTest, TransientAnswersAreToldFromPermanentOnes) {
  for (const char* message : {kHeadThrottled, kSmallGetThrottled, kUploadThrottled, kS3fsThrottled,
                              "AWS Error NETWORK_CONNECTION during GetObject operation: curlCode: 56",
                              "Connection reset by peer"}) {
    EXPECT_TRUE(IsTransient(arrow::Status::IOError(message))) << message;
  }
  EXPECT_TRUE(IsTransient(arrow::Status::UnknownError(kS3fsThrottled)));  // a Python exception
  for (const char* message :
       {kDenied, "AWS Error UNKNOWN (HTTP status 404) during HeadObject operation",
        "Path does not exist 'b/x'", "Parquet magic bytes not found in footer"}) {
    EXPECT_FALSE(IsTransient(arrow::Status::IOError(message))) << message;
  }
  // Only what a store answered: a bad argument or a cancellation is never tried again.
  EXPECT_FALSE(IsTransient(arrow::Status::Invalid(kUploadThrottled)));
  EXPECT_FALSE(IsTransient(arrow::Status::Cancelled(kUploadThrottled)));
  EXPECT_FALSE(IsTransient(arrow::Status::OK()));
}

TEST(RetryTest, WaitsAreJitteredBelowADoublingCappedBound) {
  RetryOptions options{/*max_attempts=*/10, /*base_delay_ms=*/100, /*max_delay_ms=*/1000};
  for (int attempt = 1; attempt <= 40; ++attempt) {
    const int64_t bound = std::min<int64_t>(1000, 100LL << std::min(attempt - 1, 30));
    int64_t largest = 0;
    for (int i = 0; i < 200; ++i) {
      const int64_t wait = BackoffDelayMs(options, attempt);
      ASSERT_GE(wait, 0);
      ASSERT_LE(wait, bound);
      largest = std::max(largest, wait);
    }
    EXPECT_GT(largest, bound / 2) << "no jitter over the whole range at attempt " << attempt;
  }
  EXPECT_EQ(BackoffDelayMs(RetryOptions{3, 0, 0}, 5), 0);
}

TEST(RetryTest, RetriesTransientFailuresUpToTheBoundAndPermanentOnesNever) {
  const RetryOptions options{/*max_attempts=*/4, /*base_delay_ms=*/1, /*max_delay_ms=*/2};
  int calls = 0;
  auto fail_twice = [&] {
    return ++calls <= 2 ? arrow::Status::IOError(kUploadThrottled) : arrow::Status::OK();
  };
  ASSERT_OK(RetryTransient(options, fail_twice));
  EXPECT_EQ(calls, 3);

  calls = 0;
  auto always = [&] { ++calls; return arrow::Status::IOError(kHeadThrottled); };
  ASSERT_RAISES(IOError, RetryTransient(options, always));
  EXPECT_EQ(calls, 4);

  calls = 0;
  auto denied = [&] { ++calls; return arrow::Status::IOError(kDenied); };
  arrow::Status status = RetryTransient(options, denied);
  EXPECT_EQ(calls, 1);  // at once, with its cause
  EXPECT_NE(status.message().find("ACCESS_DENIED"), std::string::npos);
}

TEST(RetryTest, TheS3StrategyRetriesWhatTheSdkDoesNotAndStopsAtTheBound) {
  auto strategy = MakeS3RetryStrategy(RetryOptions{/*max_attempts=*/3, 100, 1000});
  using Detail = arrow::fs::S3RetryStrategy::AWSErrorDetail;
  Detail small_get{/*error_type=*/1, "Failed to flush response stream (eof: 0, bad: 1)", "",
                   /*should_retry=*/false};
  EXPECT_TRUE(strategy->ShouldRetry(small_get, 0));
  EXPECT_TRUE(strategy->ShouldRetry(small_get, 1));
  EXPECT_FALSE(strategy->ShouldRetry(small_get, 2));  // the third attempt was the last
  Detail throttled{0, "Please reduce your request rate.", "SlowDown", /*should_retry=*/true};
  EXPECT_TRUE(strategy->ShouldRetry(throttled, 0));
  Detail denied{0, "Access Denied", "AccessDenied", /*should_retry=*/false};
  EXPECT_FALSE(strategy->ShouldRetry(denied, 0));
  for (int retries = 0; retries < 5; ++retries) {
    const int64_t wait = strategy->CalculateDelayBeforeNextRetry(throttled, retries);
    EXPECT_GE(wait, 0);
    EXPECT_LE(wait, std::min<int64_t>(1000, 100LL << retries));
  }
}

TEST(RetryTest, OptionsAreProcessWideAndClamped) {
  const RetryOptions saved = GetRetryOptions();
  SetRetryOptions(RetryOptions{/*max_attempts=*/0, /*base_delay_ms=*/-5, /*max_delay_ms=*/7});
  EXPECT_EQ(GetRetryOptions().max_attempts, 1);
  EXPECT_EQ(GetRetryOptions().base_delay_ms, 0);
  EXPECT_EQ(GetRetryOptions().max_delay_ms, 7);
  SetRetryOptions(saved);
  EXPECT_EQ(GetRetryOptions().max_attempts, saved.max_attempts);
}

TEST(RetryTest, OnlyS3FilesystemsAreRebuilt) {
  auto local = std::make_shared<arrow::fs::LocalFileSystem>();
  ASSERT_OK_AND_ASSIGN(auto same, WithRetries(local));
  EXPECT_EQ(same, local);
}

// A local filesystem that answers like a throttled object store: its next Move calls
// fail (after doing the move, as when only the answer is lost, or before it).
class FlakyMoves : public arrow::fs::LocalFileSystem {
 public:
  int failures_left = 0;
  bool lose_answer = false;  ///< move first, then report the failure
  std::function<bool(const std::string&)> affects = [](const std::string&) { return true; };

  arrow::Status Move(const std::string& src, const std::string& dest) override {
    if (failures_left > 0 && affects(dest)) {
      --failures_left;
      if (lose_answer) {
        ARROW_RETURN_NOT_OK(LocalFileSystem::Move(src, dest));
      }
      return arrow::Status::IOError(kUploadThrottled);
    }
    return LocalFileSystem::Move(src, dest);
  }
};

class RetryCommitTest : public ::testing::Test {
 protected:
  void Write(const std::string& path, const std::string& text) {
    fs::create_directories(fs::path(path).parent_path());
    std::ofstream(path) << text;
  }
  std::string Read(const std::string& path) {
    std::ifstream in(path);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  void SetUp() override {
    saved_ = GetRetryOptions();
    SetRetryOptions(RetryOptions{/*max_attempts=*/5, /*base_delay_ms=*/1, /*max_delay_ms=*/2});
  }
  void TearDown() override { SetRetryOptions(saved_); }

  RetryOptions saved_;
  std::shared_ptr<FlakyMoves> fs_ = std::make_shared<FlakyMoves>();
  testing::TempDir tmp_;
};

TEST_F(RetryCommitTest, AJournalWhoseMoveAnswerWasLostIsCommitted) {
  const std::string dir = tmp_.path();
  Journal journal{dir + "/" + kStagingPrefix + "1", {}, {dir + "/old.parquet"}};
  fs_->failures_left = 1;
  fs_->lose_answer = true;
  ASSERT_OK(WriteJournal(*fs_, dir, journal, /*durable=*/false));
  EXPECT_TRUE(fs::exists(dir + "/" + kJournalName));
  for (const auto& entry : fs::directory_iterator(dir)) {  // no temporary journal left
    EXPECT_EQ(entry.path().filename().string(), kJournalName);
  }
  // A move that failed before it happened committed nothing.
  fs::remove(dir + "/" + kJournalName);
  fs_->failures_left = 1;
  fs_->lose_answer = false;
  ASSERT_RAISES(IOError, WriteJournal(*fs_, dir, journal, /*durable=*/false));
  EXPECT_TRUE(fs::is_empty(dir));
}

TEST_F(RetryCommitTest, ACommitRetriesItsMovesBeforeAskingForRecover) {
  const std::string dir = tmp_.path();
  Write(dir + "/old.parquet", "old");
  ASSERT_OK_AND_ASSIGN(auto lock, DatasetLock::Acquire(fs_, dir, CommitOptions{}));
  ASSERT_OK_AND_ASSIGN(DatasetSnapshot planned, TakeSnapshot(*fs_, dir));
  StagedCommit commit(fs_, dir);
  Write(commit.dir() + "/a.staged", "new");
  commit.AddMove(commit.dir() + "/a.staged", dir + "/old.parquet");
  fs_->affects = [&](const std::string& dest) { return dest == dir + "/old.parquet"; };
  fs_->failures_left = 3;  // each failure fails one ApplyJournal; the 4th applies it
  ASSERT_OK(commit.Commit("write", *lock, planned, CommitOptions{}));
  EXPECT_EQ(Read(dir + "/old.parquet"), "new");
  EXPECT_FALSE(fs::exists(commit.dir()));
  EXPECT_FALSE(fs::exists(dir + "/" + kJournalName));
}

TEST_F(RetryCommitTest, ACommitThatKeepsFailingAsksForRecoverWhichCompletesIt) {
  const std::string dir = tmp_.path();
  Write(dir + "/old.parquet", "old");
  ASSERT_OK_AND_ASSIGN(auto lock, DatasetLock::Acquire(fs_, dir, CommitOptions{}));
  ASSERT_OK_AND_ASSIGN(DatasetSnapshot planned, TakeSnapshot(*fs_, dir));
  {
    StagedCommit commit(fs_, dir);
    Write(commit.dir() + "/a.staged", "new");
    commit.AddMove(commit.dir() + "/a.staged", dir + "/old.parquet");
    fs_->affects = [&](const std::string& dest) { return dest == dir + "/old.parquet"; };
    fs_->failures_left = 5;  // every attempt
    arrow::Status status = commit.Commit("write", *lock, planned, CommitOptions{});
    ASSERT_RAISES(IOError, status);
    EXPECT_NE(status.message().find("is committed but"), std::string::npos) << status.message();
  }
  EXPECT_EQ(Read(dir + "/old.parquet"), "old");
  ASSERT_OK_AND_ASSIGN(RecoveryReport report, Recover(*fs_, dir));
  EXPECT_TRUE(report.rolled_forward);
  EXPECT_EQ(Read(dir + "/old.parquet"), "new");
}

}  // namespace
}  // namespace fsspeckit::io
