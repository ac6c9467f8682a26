// fsspeckit: the S3 requests of the dataset lock: where they go, what their answers mean.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <arrow/filesystem/s3fs.h>
#include <arrow/result.h>

#include "io/http_request_internal.h"

namespace fsspeckit::io {

/// Where and how an S3FileSystem's requests go, from its own options.
struct S3Endpoint {
  std::string base_url;             ///< "http://127.0.0.1:9000", "https://s3.eu-west-1.amazonaws.com"
  bool virtual_addressing = false;  ///< bucket in the host name, not in the path
  std::string region;
  std::string ca_file;
  bool verify_tls = true;
  int64_t connect_timeout_ms = 0;
  int64_t request_timeout_ms = 0;
};

/// As Arrow's client reaches the store: the endpoint override (path-style addressing,
/// unless virtual addressing is forced) or AWS's regional endpoint (virtual-hosted);
/// the region from the options, else AWS_REGION / AWS_DEFAULT_REGION, else us-east-1.
S3Endpoint S3EndpointFrom(const arrow::fs::S3Options& options);

/// The URL of the object at `path` ("bucket/key"); the key percent-encoded as SigV4's
/// canonical URI wants it (every byte but A-Z a-z 0-9 - . _ ~ and '/').
std::string S3ObjectUrl(const S3Endpoint& endpoint, std::string_view path);
std::string PercentEncodeKey(std::string_view key);

/// The signing of a request: libcurl's SigV4 for the region, the access key pair, and
/// the headers SigV4 needs on S3 (the payload hash; the session token).
void SignS3Request(const arrow::fs::S3Options& options, const S3Endpoint& endpoint,
                   HttpRequest& request);

/// What an S3 answer means to a conditional request.
enum class S3Outcome {
  kDone,           ///< 2xx
  kConditionLost,  ///< 412 Precondition Failed, 409 ConditionalRequestConflict
  kMissing,        ///< 404: no such object
};

/// The outcome of `answer` to `what` (e.g. "PUT 'bucket/key'"), or an IOError naming the
/// status and S3's error code, worded "HTTP status N" so that IsTransient
/// (retry_internal.h) retries 500, 502, 503, 504 and 429 and no other.
arrow::Result<S3Outcome> ClassifyS3Answer(const HttpAnswer& answer, std::string_view what);

/// S3's error code (<Code>...</Code>) in an error body, or "".
std::string S3ErrorCode(std::string_view body);

}  // namespace fsspeckit::io
