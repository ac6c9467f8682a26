// fsspeckit: how often, and how patiently, a transient answer of a store is tried again.
#pragma once

#include <cstdint>

namespace fsspeckit::io {

/// Transient answers (503 SlowDown, 500, 429, timeouts, connection resets) are tried
/// again with capped exponential backoff and full jitter: before attempt n+1 the wait is
/// uniform in [0, min(max_delay_ms, base_delay_ms * 2^(n-1))]. Permanent answers (403,
/// 404, a bad request) are never retried. The defaults follow the AWS SDKs' and
/// object_store's (up to 10 attempts), so a request fails only after every one of them
/// failed; the waits of one request add up to at most about 21 s.
struct RetryOptions {
  /// Attempts per request, the first included; 1 turns retries off.
  int max_attempts = 10;
  /// The first wait's upper bound; each further wait's bound doubles.
  int64_t base_delay_ms = 100;
  /// No single wait is longer.
  int64_t max_delay_ms = 5'000;
};

/// The process's retry options: the defaults above, or FSSPECKIT_RETRY_MAX_ATTEMPTS,
/// FSSPECKIT_RETRY_BASE_DELAY_MS and FSSPECKIT_RETRY_MAX_DELAY_MS when set (read once),
/// or what SetRetryOptions set last. Filesystems take them when a location is resolved.
RetryOptions GetRetryOptions();

/// Replaces the process's retry options (values are clamped: at least one attempt, no
/// negative delay). Operations that resolve their location afterwards use them.
void SetRetryOptions(const RetryOptions& options);

}  // namespace fsspeckit::io
