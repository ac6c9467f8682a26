// fsspeckit: the conditional writes of Arrow's S3FileSystem, made without Python.
#include "fsspeckit/io/s3_atomic_store.h"

#include <string>
#include <utility>

#include <arrow/filesystem/s3fs.h>

#include "fsspeckit/io/retry_options.h"
#include "io/curl_library_internal.h"
#include "io/http_request_internal.h"
#include "io/retry_internal.h"
#include "io/s3_requests_internal.h"

namespace fsspeckit::io {
namespace {

// Requests as _lock_store.py's _S3Store makes them with botocore, and a plain DELETE for
// the commits made under the lock; the lock (lease_lock.cc) decides everything else.
// Retrying a conditional write is safe: when a retried create or renewal finds its
// condition failed, the lock reads back whose lock it is. Retrying a plain DELETE is too.
class S3AtomicStore : public AtomicObjectStore {
 public:
  S3AtomicStore(const CurlLibrary& curl, arrow::fs::S3Options options)
      : curl_(curl),
        options_(std::move(options)),
        endpoint_(S3EndpointFrom(options_)),
        retry_(GetRetryOptions()) {}

  arrow::Result<std::optional<StoredObject>> Read(const std::string& path) override {
    ARROW_ASSIGN_OR_RAISE(Answer read, Send("GET", path, {}));
    if (read.outcome != S3Outcome::kDone) return std::nullopt;
    return StoredObject{std::move(read.http.body), read.http.Header("ETag")};
  }

  arrow::Result<std::optional<std::string>> CreateIfAbsent(const std::string& path,
                                                           const std::string& body) override {
    return Put(path, body, "If-None-Match: *");
  }

  arrow::Result<std::optional<std::string>> ReplaceIfMatch(const std::string& path,
                                                           const std::string& body,
                                                           const std::string& etag) override {
    return Put(path, body, "If-Match: " + etag);
  }

  arrow::Result<bool> DeleteIfMatch(const std::string& path, const std::string& etag) override {
    ARROW_ASSIGN_OR_RAISE(Answer deleted, Send("DELETE", path, "If-Match: " + etag));
    return deleted.outcome == S3Outcome::kDone;
  }

  // S3 answers 204 whether or not the key existed; a 404 (some S3-compatible stores)
  // means the same here. Without a condition, a 409 or 412 is a refusal to report.
  arrow::Status Delete(const std::string& path) override {
    ARROW_ASSIGN_OR_RAISE(Answer deleted, Send("DELETE", path, /*condition=*/""));
    if (deleted.outcome == S3Outcome::kConditionLost) {
      return arrow::Status::IOError("S3 answered DELETE '", path, "' with HTTP status ",
                                    deleted.http.status_code, " (",
                                    S3ErrorCode(deleted.http.body), ")");
    }
    return arrow::Status::OK();
  }

  bool supports_delete() const override { return true; }

 private:
  struct Answer {
    S3Outcome outcome = S3Outcome::kDone;
    HttpAnswer http;
  };

  arrow::Result<std::optional<std::string>> Put(const std::string& path, const std::string& body,
                                                const std::string& condition) {
    ARROW_ASSIGN_OR_RAISE(Answer put, Send("PUT", path, condition, body));
    if (put.outcome != S3Outcome::kDone) return std::nullopt;  // lost, or gone (If-Match)
    std::string etag = put.http.Header("ETag");
    if (etag.empty()) return arrow::Status::IOError("S3 answered a PUT of '", path, "' without an ETag");
    return etag;
  }

  HttpRequest Request(const std::string& method, const std::string& path,
                      const std::string& condition, const std::string& body) const {
    HttpRequest request;
    request.method = method;
    request.url = S3ObjectUrl(endpoint_, path);
    if (!condition.empty()) request.headers.push_back(condition);
    if (method == "PUT") {
      request.body = body;
      // (No "Expect:" to turn off 100-continue: libcurl 7.88 signs the empty header it
      // does not send. Lock bodies are far below the size that makes libcurl expect.)
      request.headers.push_back("Content-Type: application/octet-stream");
    }
    request.connect_timeout_ms = endpoint_.connect_timeout_ms;
    request.timeout_ms = endpoint_.request_timeout_ms;
    request.ca_file = endpoint_.ca_file;
    request.verify_tls = endpoint_.verify_tls;
    SignS3Request(options_, endpoint_, request);
    return request;
  }

  // One request, retried (new signature each time) while its answer is transient.
  arrow::Result<Answer> Send(const std::string& method, const std::string& path,
                             const std::string& condition, const std::string& body = "") {
    const std::string what = method + " '" + path + "'";
    Answer answer;
    ARROW_RETURN_NOT_OK(RetryTransient(retry_, [&]() -> arrow::Status {
      ARROW_ASSIGN_OR_RAISE(answer.http, SendHttpRequest(curl_, Request(method, path, condition, body),
                                                         &handles_));
      ARROW_ASSIGN_OR_RAISE(answer.outcome, ClassifyS3Answer(answer.http, what));
      return arrow::Status::OK();
    }));
    return answer;
  }

  const CurlLibrary& curl_;
  const arrow::fs::S3Options options_;
  const S3Endpoint endpoint_;
  const RetryOptions retry_;
  // The lock's renewals and a commit's deletions, many at once, reuse connections.
  CurlHandlePool handles_{curl_};
};

}  // namespace

arrow::Result<std::shared_ptr<AtomicObjectStore>> S3AtomicStoreFor(
    const std::shared_ptr<arrow::fs::FileSystem>& fs) {
  // By class, not type_name(), as WithRetries (retry.cc) tells an S3FileSystem.
  const auto* s3 = dynamic_cast<const arrow::fs::S3FileSystem*>(fs.get());
  if (s3 == nullptr) return std::shared_ptr<AtomicObjectStore>();
  ARROW_ASSIGN_OR_RAISE(const CurlLibrary* curl, LoadCurlLibrary());
  return std::make_shared<S3AtomicStore>(*curl, s3->options());
}

}  // namespace fsspeckit::io
