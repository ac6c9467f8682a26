// fsspeckit: one HTTP request through libcurl, signed with AWS SigV4 when asked.
#include "io/http_request_internal.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <memory>

namespace fsspeckit::io {
namespace {

// CURLcode values of failures a new attempt may not meet: COULDNT_RESOLVE_PROXY (5),
// COULDNT_RESOLVE_HOST (6), COULDNT_CONNECT (7), PARTIAL_FILE (18), OPERATION_TIMEDOUT
// (28), SSL_CONNECT_ERROR (35), GOT_NOTHING (52), SEND_ERROR (55), RECV_ERROR (56),
// HTTP2 (16), HTTP2_STREAM (92). The others (a bad URL, a refused certificate) are final.
constexpr std::array<int, 11> kTransientCurlCodes = {5, 6, 7, 16, 18, 28, 35, 52, 55, 56, 92};

bool EqualsIgnoringCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

size_t AppendBody(char* data, size_t size, size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

size_t AppendHeader(char* data, size_t size, size_t count, void* user) {
  std::pair<std::string, std::string> header;
  if (ParseHeaderLine(std::string_view(data, size * count), header)) {
    static_cast<HttpAnswer*>(user)->headers.push_back(std::move(header));
  }
  return size * count;
}

// The easy handle and header list of one request, freed (the handle given back to its
// pool) however the request ends.
struct CurlHandles {
  const CurlLibrary& curl;
  CurlHandlePool* pool = nullptr;
  curl::Easy* easy = nullptr;
  curl::Slist* headers = nullptr;
  ~CurlHandles() {
    if (headers) curl.slist_free_all(headers);
    if (easy && pool) pool->Give(easy);
    if (easy && !pool) curl.easy_cleanup(easy);
  }
};

arrow::Status SetOptions(CurlHandles& handles, const HttpRequest& request, HttpAnswer& answer,
                         char* error_buffer) {
  const CurlLibrary& c = handles.curl;
  curl::Easy* easy = handles.easy;
  // Each call is checked where it can fail for a reason other than memory: SigV4
  // is unknown to libcurl before 7.75.
  c.easy_setopt(easy, curl::kErrorBuffer, error_buffer);
  c.easy_setopt(easy, curl::kNoSignal, 1L);  // no SIGALRM timeouts: the lease renews on a thread
  c.easy_setopt(easy, curl::kUrl, request.url.c_str());
  c.easy_setopt(easy, curl::kConnectTimeoutMs, static_cast<long>(request.connect_timeout_ms));
  c.easy_setopt(easy, curl::kTimeoutMs, static_cast<long>(request.timeout_ms));
  c.easy_setopt(easy, curl::kWriteFunction, curl::WriteCallback{&AppendBody});
  c.easy_setopt(easy, curl::kWriteData, &answer.body);
  c.easy_setopt(easy, curl::kHeaderFunction, curl::WriteCallback{&AppendHeader});
  c.easy_setopt(easy, curl::kHeaderData, &answer);
  if (request.method != "GET") c.easy_setopt(easy, curl::kCustomRequest, request.method.c_str());
  if (request.method == "PUT") {
    // The body is sent from memory (libcurl does not copy it; `request` outlives the call).
    c.easy_setopt(easy, curl::kPostFields, request.body.data());
    c.easy_setopt(easy, curl::kPostFieldSizeLarge, static_cast<int64_t>(request.body.size()));
  }
  if (!request.ca_file.empty()) c.easy_setopt(easy, curl::kCaInfo, request.ca_file.c_str());
  if (!request.verify_tls) {
    c.easy_setopt(easy, curl::kSslVerifyPeer, 0L);
    c.easy_setopt(easy, curl::kSslVerifyHost, 0L);
  }
  for (const std::string& header : request.headers) {
    curl::Slist* longer = c.slist_append(handles.headers, header.c_str());
    if (longer == nullptr) return arrow::Status::OutOfMemory("libcurl could not add a header");
    handles.headers = longer;
  }
  c.easy_setopt(easy, curl::kHttpHeader, handles.headers);
  if (request.aws_sigv4.empty()) return arrow::Status::OK();
  const int signing = c.easy_setopt(easy, curl::kAwsSigV4, request.aws_sigv4.c_str());
  if (signing != curl::kOk) {
    return arrow::Status::NotImplemented(
        "this libcurl cannot sign requests with AWS SigV4 (", c.easy_strerror(signing),
        "): libcurl 7.75 or later is needed for the S3 dataset lock, or pass --single-writer");
  }
  c.easy_setopt(easy, curl::kUserPwd, request.user_password.c_str());
  return arrow::Status::OK();
}

}  // namespace

std::string HttpAnswer::Header(std::string_view name) const {
  std::string value;
  for (const auto& [key, found] : headers) {
    if (EqualsIgnoringCase(key, name)) value = found;
  }
  return value;
}

bool ParseHeaderLine(std::string_view line, std::pair<std::string, std::string>& header) {
  const size_t colon = line.find(':');
  if (colon == std::string_view::npos || line.rfind("HTTP/", 0) == 0) return false;
  auto trimmed = [](std::string_view text) {
    const size_t first = text.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos) return std::string();
    return std::string(text.substr(first, text.find_last_not_of(" \t\r\n") - first + 1));
  };
  header = {trimmed(line.substr(0, colon)), trimmed(line.substr(colon + 1))};
  return !header.first.empty();
}

CurlHandlePool::~CurlHandlePool() {
  for (curl::Easy* easy : idle_) curl_.easy_cleanup(easy);
}

curl::Easy* CurlHandlePool::Take() {
  {
    std::lock_guard<std::mutex> guard(mutex_);
    if (!idle_.empty()) {
      curl::Easy* easy = idle_.back();
      idle_.pop_back();
      return easy;
    }
  }
  return curl_.easy_init();
}

void CurlHandlePool::Give(curl::Easy* easy) {
  // Reset now: an idle handle must not point at the finished request's buffers.
  curl_.easy_reset(easy);
  std::lock_guard<std::mutex> guard(mutex_);
  idle_.push_back(easy);
}

arrow::Result<HttpAnswer> SendHttpRequest(const CurlLibrary& curl, const HttpRequest& request,
                                          CurlHandlePool* pool) {
  CurlHandles handles{curl, pool};
  handles.easy = pool ? pool->Take() : curl.easy_init();
  if (handles.easy == nullptr) return arrow::Status::OutOfMemory("libcurl could not start a request");
  HttpAnswer answer;
  std::array<char, curl::kErrorBufferBytes> error_buffer{};
  ARROW_RETURN_NOT_OK(SetOptions(handles, request, answer, error_buffer.data()));
  const int code = curl.easy_perform(handles.easy);
  if (code != curl::kOk) {
    const bool transient = std::find(kTransientCurlCodes.begin(), kTransientCurlCodes.end(),
                                     code) != kTransientCurlCodes.end();
    const std::string detail = error_buffer[0] ? error_buffer.data() : curl.easy_strerror(code);
    return arrow::Status::IOError(request.method, " ", request.url, " failed: ",
                                  transient ? "curlCode: " : "libcurl error ", code, ", ", detail);
  }
  curl.easy_getinfo(handles.easy, curl::kInfoResponseCode, &answer.status_code);
  return answer;
}

}  // namespace fsspeckit::io
