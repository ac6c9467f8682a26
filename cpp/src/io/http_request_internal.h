// fsspeckit: one HTTP request through libcurl, signed with AWS SigV4 when asked.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <arrow/result.h>

#include "io/curl_library_internal.h"

namespace fsspeckit::io {

struct HttpRequest {
  std::string method = "GET";  ///< GET, PUT or DELETE
  std::string url;
  std::vector<std::string> headers;  ///< "Name: value"
  std::string body;                  ///< sent with PUT
  /// libcurl's SigV4 signing ("aws:amz:<region>:s3") and "key:secret"; empty: unsigned.
  std::string aws_sigv4;
  std::string user_password;
  int64_t connect_timeout_ms = 5'000;
  int64_t timeout_ms = 10'000;
  std::string ca_file;  ///< empty: the system's certificates
  bool verify_tls = true;
};

struct HttpAnswer {
  long status_code = 0;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  ///< in the order received
  /// The value of the last header named `name` (case-insensitive), or "".
  std::string Header(std::string_view name) const;
};

/// Parses one header line as libcurl hands it over ("Name: value\r\n"); false for the
/// status line and the blank line ending the headers.
bool ParseHeaderLine(std::string_view line, std::pair<std::string, std::string>& header);

/// libcurl handles kept between requests: a request made with a pool reuses the
/// connection (and TLS session) an earlier one left open to the same host, where a
/// handle of its own would connect anew (on https two more round trips before the
/// request is sent). Thread-safe; a handle serves one request at a time. Must outlive
/// the requests made with it.
class CurlHandlePool {
 public:
  explicit CurlHandlePool(const CurlLibrary& curl) : curl_(curl) {}
  ~CurlHandlePool();
  CurlHandlePool(const CurlHandlePool&) = delete;
  CurlHandlePool& operator=(const CurlHandlePool&) = delete;

  /// An idle handle, else a new one; nullptr when libcurl cannot make one.
  curl::Easy* Take();
  /// Takes `easy` back once its request is over, reset to no options.
  void Give(curl::Easy* easy);

 private:
  const CurlLibrary& curl_;
  std::mutex mutex_;  // guards idle_
  std::vector<curl::Easy*> idle_;
};

/// Sends `request` once, with a handle of `pool` when given. Any HTTP answer is a value
/// (the caller judges its status); an IOError when none came: worded "curlCode: N, ..."
/// as the AWS SDK words such failures when it is worth trying again (the connection
/// failed, broke or timed out), so IsTransient (retry_internal.h) retries them as it
/// retries Arrow's own S3 requests.
arrow::Result<HttpAnswer> SendHttpRequest(const CurlLibrary& curl, const HttpRequest& request,
                                          CurlHandlePool* pool = nullptr);

}  // namespace fsspeckit::io
