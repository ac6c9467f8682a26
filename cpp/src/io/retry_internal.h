// fsspeckit: transient answers of a store are tried again, with backoff and jitter.
#pragma once

#include <memory>
#include <string_view>

#include <arrow/filesystem/filesystem.h>
#include <arrow/filesystem/s3fs.h>
#include <arrow/result.h>
#include <arrow/status.h>

#include "fsspeckit/io/retry_options.h"

namespace fsspeckit::io {

/// Whether a failed request may succeed when made again, from its message as Arrow's S3
/// client (AWS SDK), botocore/s3fs (through fsspec) and HTTP stores word it: throttling
/// (503 SlowDown, 429), server errors (500, 502, 503, 504), timeouts, broken
/// connections. Permanent answers (access denied, not found, invalid arguments) and
/// errors that are not I/O errors are not.
bool IsTransient(const arrow::Status& status);
bool IsTransientMessage(std::string_view message);

/// Sleeps before attempt `attempt + 1` (the first attempt is 1): a uniform random wait
/// in [0, min(max_delay_ms, base_delay_ms * 2^(attempt-1))] ("full jitter": many
/// clients throttled at once do not come back in step).
int64_t BackoffDelayMs(const RetryOptions& options, int attempt);
void WaitBeforeRetry(const RetryOptions& options, int attempt);

/// Calls `call` (returning arrow::Status) until it succeeds, fails permanently, or
/// options.max_attempts attempts were made; returns the last answer. Only for calls that
/// may be repeated (idempotent, or that check what an earlier attempt did).
template <typename Call>
arrow::Status RetryTransient(const RetryOptions& options, Call&& call) {
  for (int attempt = 1;; ++attempt) {
    arrow::Status status = call();
    if (status.ok() || attempt >= options.max_attempts || !IsTransient(status)) return status;
    WaitBeforeRetry(options, attempt);
  }
}

/// Arrow's S3 client retrying as `options` say, request by request inside the AWS SDK
/// (so a part of a multipart upload is retried, not the whole file): what the SDK
/// itself deems retryable (throttling, 5xx, network) plus what IsTransientMessage knows
/// (a 503 answering a small ranged GET, whose error body does not fit the range's buffer,
/// reaches the SDK as "Failed to flush response stream", which it does not retry).
std::shared_ptr<arrow::fs::S3RetryStrategy> MakeS3RetryStrategy(const RetryOptions& options);

/// The filesystem fsspeckit makes its requests through: an S3FileSystem (from a URI or
/// the caller's pyarrow.fs.S3FileSystem, which cannot be changed once built) becomes a
/// copy with the same options (credentials, endpoint, timeouts...) and
/// MakeS3RetryStrategy(GetRetryOptions()); any other filesystem is returned as it is
/// (fsspec filesystems retry in their own client: s3fs through botocore).
arrow::Result<std::shared_ptr<arrow::fs::FileSystem>> WithRetries(
    std::shared_ptr<arrow::fs::FileSystem> fs);

}  // namespace fsspeckit::io
