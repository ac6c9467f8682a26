// fsspeckit: transient answers of a store are tried again, with backoff and jitter.
#include "io/retry_internal.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdlib>
#include <mutex>
#include <random>
#include <thread>

#include "arrow/util/checked_cast.h"

namespace fsspeckit::io {
namespace {

// As the AWS SDK (CoreErrors / S3Errors names, "HTTP status N" for bodiless answers),
// botocore and s3fs (error codes, errno 16 for SlowDown), and sockets word them.
constexpr std::array<std::string_view, 29> kTransientWords = {
    "SLOW_DOWN", "SERVICE_UNAVAILABLE", "THROTTLING", "REQUEST_TIMEOUT", "NETWORK_CONNECTION",
    "INTERNAL_FAILURE", "HTTP status 500", "HTTP status 502", "HTTP status 503",
    "HTTP status 504", "HTTP status 429", "curlCode", "Failed to flush response stream",
    "SlowDown", "reduce your request rate", "ServiceUnavailable", "Service Unavailable",
    "InternalError", "RequestTimeout", "Throttl", "TooManyRequests", "Too Many Requests",
    "[Errno 16]", "Connection reset", "Connection aborted", "Broken pipe", "timed out",
    "Timeout", "Could not connect to the endpoint"};
// Never worth a second try, whatever else the message says.
constexpr std::array<std::string_view, 10> kPermanentWords = {
    "ACCESS_DENIED", "AccessDenied", "HTTP status 403", "HTTP status 404", "NO_SUCH_KEY",
    "NoSuchKey", "NO_SUCH_BUCKET", "NoSuchBucket", "InvalidAccessKeyId", "SignatureDoesNotMatch"};

bool Contains(std::string_view text, std::string_view word) {
  return text.find(word) != std::string_view::npos;
}

int64_t EnvMs(const char* name, int64_t fallback) {
  const char* value = std::getenv(name);
  return value && *value ? std::atoll(value) : fallback;
}

RetryOptions Clamped(RetryOptions options) {
  options.max_attempts = std::max(1, options.max_attempts);
  options.base_delay_ms = std::max<int64_t>(0, options.base_delay_ms);
  options.max_delay_ms = std::max<int64_t>(0, options.max_delay_ms);
  return options;
}

std::mutex& OptionsMutex() {
  static std::mutex mutex;
  return mutex;
}

RetryOptions& ProcessOptions() {
  static RetryOptions options = [] {
    RetryOptions defaults;
    defaults.max_attempts = static_cast<int>(
        EnvMs("FSSPECKIT_RETRY_MAX_ATTEMPTS", defaults.max_attempts));
    defaults.base_delay_ms = EnvMs("FSSPECKIT_RETRY_BASE_DELAY_MS", defaults.base_delay_ms);
    defaults.max_delay_ms = EnvMs("FSSPECKIT_RETRY_MAX_DELAY_MS", defaults.max_delay_ms);
    return Clamped(defaults);
  }();
  return options;
}

class BackoffS3RetryStrategy : public arrow::fs::S3RetryStrategy {
 public:
  explicit BackoffS3RetryStrategy(RetryOptions options) : options_(options) {}

  bool ShouldRetry(const AWSErrorDetail& error, int64_t attempted_retries) override {
    if (attempted_retries + 1 >= options_.max_attempts) return false;
    const std::string text = error.exception_name + ": " + error.message;
    return error.should_retry ? !IsPermanent(text) : IsTransientMessage(text);
  }

  int64_t CalculateDelayBeforeNextRetry(const AWSErrorDetail&,
                                        int64_t attempted_retries) override {
    return BackoffDelayMs(options_, static_cast<int>(attempted_retries) + 1);
  }

 private:
  static bool IsPermanent(std::string_view text) {
    return std::any_of(kPermanentWords.begin(), kPermanentWords.end(),
                       [&](std::string_view word) { return Contains(text, word); });
  }
  RetryOptions options_;
};

}  // namespace

RetryOptions GetRetryOptions() {
  std::lock_guard<std::mutex> lock(OptionsMutex());
  return ProcessOptions();
}

void SetRetryOptions(const RetryOptions& options) {
  std::lock_guard<std::mutex> lock(OptionsMutex());
  ProcessOptions() = Clamped(options);
}

bool IsTransientMessage(std::string_view message) {
  auto in = [&](std::string_view word) { return Contains(message, word); };
  return !std::any_of(kPermanentWords.begin(), kPermanentWords.end(), in) &&
         std::any_of(kTransientWords.begin(), kTransientWords.end(), in);
}

bool IsTransient(const arrow::Status& status) {
  // Arrow reports what a store answered as IOError; a Python exception from an fsspec
  // filesystem arrives as IOError or UnknownError. Invalid, Cancelled... are final.
  if (!status.IsIOError() && !status.IsUnknownError()) return false;
  if (IsTransientMessage(status.message())) return true;
  return status.detail() && IsTransientMessage(status.detail()->ToString());
}

int64_t BackoffDelayMs(const RetryOptions& options, int attempt) {
  const int doublings = std::clamp(attempt - 1, 0, 30);
  const int64_t bound =
      std::min(options.max_delay_ms, options.base_delay_ms * (int64_t{1} << doublings));
  if (bound <= 0) return 0;
  thread_local std::mt19937_64 random{std::random_device{}()};
  return std::uniform_int_distribution<int64_t>(0, bound)(random);
}

void WaitBeforeRetry(const RetryOptions& options, int attempt) {
  std::this_thread::sleep_for(std::chrono::milliseconds(BackoffDelayMs(options, attempt)));
}

std::shared_ptr<arrow::fs::S3RetryStrategy> MakeS3RetryStrategy(const RetryOptions& options) {
  return std::make_shared<BackoffS3RetryStrategy>(Clamped(options));
}

arrow::Result<std::shared_ptr<arrow::fs::FileSystem>> WithRetries(
    std::shared_ptr<arrow::fs::FileSystem> fs) {
  // By class, not type_name(): a CountingFileSystem says "s3" for the S3 it counts.
  const auto* found = dynamic_cast<const arrow::fs::S3FileSystem*>(fs.get());
  if (!found) return fs;
  const arrow::fs::S3FileSystem& s3 = *found;
  arrow::fs::S3Options options = s3.options();
  options.retry_strategy = MakeS3RetryStrategy(GetRetryOptions());
  // A file smaller than an upload part is then sent as one PUT when it is closed, not as
  // a multipart upload (three round trips in a row); a missing bucket is reported at the
  // close instead of the open, which every write checks.
  options.allow_delayed_open = true;
  ARROW_ASSIGN_OR_RAISE(std::shared_ptr<arrow::fs::FileSystem> copy,
                        arrow::fs::S3FileSystem::Make(options, s3.io_context()));
  return copy;
}

}  // namespace fsspeckit::io
