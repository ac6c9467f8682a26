// fsspeckit: the S3 requests of the dataset lock: where they go, what their answers mean.
#include "io/s3_requests_internal.h"

#include <cctype>
#include <cstdlib>
#include <utility>

namespace fsspeckit::io {
namespace {

// A renewal that hangs must give up (and be retried) well before the lease it extends
// lapses: the default lease is 30 s, renewed every 10 s.
constexpr int64_t kDefaultConnectTimeoutMs = 5'000;
constexpr int64_t kDefaultRequestTimeoutMs = 10'000;

// S3 answers for a body it did not hash when told so; SigV4 then signs this word.
constexpr const char* kUnsignedPayload = "UNSIGNED-PAYLOAD";

std::string RegionOf(const arrow::fs::S3Options& options) {
  if (!options.region.empty()) return options.region;
  for (const char* name : {"AWS_REGION", "AWS_DEFAULT_REGION"}) {
    const char* value = std::getenv(name);
    if (value && *value) return value;
  }
  return "us-east-1";
}

int64_t SecondsToMs(double seconds, int64_t fallback_ms) {
  return seconds > 0 ? static_cast<int64_t>(seconds * 1000) : fallback_ms;
}

// "https://host:port" -> {"https://", "host:port"}.
std::pair<std::string, std::string> SplitScheme(const std::string& url) {
  const size_t separator = url.find("://");
  if (separator == std::string::npos) return {"", url};
  return {url.substr(0, separator + 3), url.substr(separator + 3)};
}

}  // namespace

S3Endpoint S3EndpointFrom(const arrow::fs::S3Options& options) {
  S3Endpoint endpoint;
  endpoint.region = RegionOf(options);
  std::string base = options.endpoint_override;
  if (base.empty()) {
    base = "s3." + endpoint.region + ".amazonaws.com";
    endpoint.virtual_addressing = true;
  }
  while (!base.empty() && base.back() == '/') base.pop_back();
  // pyarrow takes "http://host:port" as well as "host:port" with a separate scheme.
  endpoint.base_url = base.find("://") == std::string::npos ? options.scheme + "://" + base : base;
  endpoint.virtual_addressing = endpoint.virtual_addressing || options.force_virtual_addressing;
  endpoint.ca_file = options.tls_ca_file_path;
  endpoint.verify_tls = options.tls_verify_certificates;
  endpoint.connect_timeout_ms = SecondsToMs(options.connect_timeout, kDefaultConnectTimeoutMs);
  endpoint.request_timeout_ms = SecondsToMs(options.request_timeout, kDefaultRequestTimeoutMs);
  return endpoint;
}

std::string PercentEncodeKey(std::string_view key) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string encoded;
  for (const char c : key) {
    const auto byte = static_cast<unsigned char>(c);
    if (std::isalnum(byte) || c == '-' || c == '.' || c == '_' || c == '~' || c == '/') {
      encoded += c;
    } else {
      encoded += '%';
      encoded += kHex[byte >> 4];
      encoded += kHex[byte & 0xF];
    }
  }
  return encoded;
}

std::string S3ObjectUrl(const S3Endpoint& endpoint, std::string_view path) {
  const size_t slash = path.find('/');
  const std::string bucket(path.substr(0, slash));
  const std::string key = slash == std::string_view::npos ? "" : std::string(path.substr(slash + 1));
  // A bucket name with dots cannot be a host name under AWS's TLS certificates.
  if (endpoint.virtual_addressing && bucket.find('.') == std::string::npos) {
    const auto [scheme, host] = SplitScheme(endpoint.base_url);
    return scheme + bucket + "." + host + "/" + PercentEncodeKey(key);
  }
  return endpoint.base_url + "/" + bucket + "/" + PercentEncodeKey(key);
}

void SignS3Request(const arrow::fs::S3Options& options, const S3Endpoint& endpoint,
                   HttpRequest& request) {
  if (options.credentials_kind == arrow::fs::S3CredentialsKind::Anonymous) return;
  // Read at each request: the credentials of a role or instance profile are refreshed.
  const std::string access_key = options.GetAccessKey();
  if (access_key.empty()) return;  // no credentials found: S3 will say what it requires
  request.aws_sigv4 = "aws:amz:" + endpoint.region + ":s3";
  request.user_password = access_key + ":" + options.GetSecretKey();
  // S3 refuses SigV4 requests without it; libcurl (7.88) signs its value as the payload
  // hash. The lock's bodies are a few hundred bytes sent whole, so the payload is not hashed.
  request.headers.push_back(std::string("x-amz-content-sha256: ") + kUnsignedPayload);
  const std::string token = options.GetSessionToken();
  if (!token.empty()) request.headers.push_back("x-amz-security-token: " + token);
}

std::string S3ErrorCode(std::string_view body) {
  const size_t start = body.find("<Code>");
  if (start == std::string_view::npos) return "";
  const size_t end = body.find("</Code>", start);
  if (end == std::string_view::npos) return "";
  return std::string(body.substr(start + 6, end - start - 6));
}

arrow::Result<S3Outcome> ClassifyS3Answer(const HttpAnswer& answer, std::string_view what) {
  const long status = answer.status_code;
  if (status >= 200 && status < 300) return S3Outcome::kDone;
  if (status == 412 || status == 409) return S3Outcome::kConditionLost;
  const std::string code = S3ErrorCode(answer.body);
  if (status == 404 && code != "NoSuchBucket") return S3Outcome::kMissing;
  return arrow::Status::IOError("S3 answered ", what, " with HTTP status ", status,
                                code.empty() ? "" : " (" + code + ")");
}

}  // namespace fsspeckit::io
