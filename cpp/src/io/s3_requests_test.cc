#include "io/s3_requests_internal.h"

#include <gtest/gtest.h>

#include "io/curl_library_internal.h"
#include "io/retry_internal.h"

namespace fsspeckit::io {
namespace {

HttpAnswer AnswerOf(long status_code, std::string body = "") {
  HttpAnswer answer;
  answer.status_code = status_code;
  answer.body = std::move(body);
  return answer;
}

std::string ErrorBody(const std::string& code) {
  return "<?xml version=\"1.0\"?><Error><Code>" + code + "</Code><Message>m</Message></Error>";
}

TEST(S3RequestsTest, AnswersMapToOutcomesAsTheLockNeedsThem) {
  EXPECT_EQ(*ClassifyS3Answer(AnswerOf(200), "PUT"), S3Outcome::kDone);
  EXPECT_EQ(*ClassifyS3Answer(AnswerOf(204), "DELETE"), S3Outcome::kDone);
  EXPECT_EQ(*ClassifyS3Answer(AnswerOf(412, ErrorBody("PreconditionFailed")), "PUT"),
            S3Outcome::kConditionLost);
  EXPECT_EQ(*ClassifyS3Answer(AnswerOf(409, ErrorBody("ConditionalRequestConflict")), "PUT"),
            S3Outcome::kConditionLost);
  EXPECT_EQ(*ClassifyS3Answer(AnswerOf(404, ErrorBody("NoSuchKey")), "GET"), S3Outcome::kMissing);
  // A missing bucket is not a missing lock: it is an error, never retried.
  auto no_bucket = ClassifyS3Answer(AnswerOf(404, ErrorBody("NoSuchBucket")), "PUT 'b/k'");
  ASSERT_FALSE(no_bucket.ok());
  EXPECT_NE(no_bucket.status().message().find("NoSuchBucket"), std::string::npos);
  EXPECT_FALSE(IsTransient(no_bucket.status()));
}

TEST(S3RequestsTest, ThrottlingAndServerErrorsAreRetriedButRefusalsAreNot) {
  for (long status : {500, 502, 503, 504, 429}) {
    auto answer = ClassifyS3Answer(AnswerOf(status, ErrorBody("SlowDown")), "PUT 'b/k'");
    EXPECT_TRUE(IsTransient(answer.status())) << answer.status().ToString();
  }
  EXPECT_TRUE(IsTransient(ClassifyS3Answer(AnswerOf(503), "HEAD").status()));  // no body
  for (const char* code : {"AccessDenied", "SignatureDoesNotMatch", "InvalidAccessKeyId"}) {
    auto answer = ClassifyS3Answer(AnswerOf(403, ErrorBody(code)), "PUT 'b/k'");
    ASSERT_FALSE(answer.ok());
    EXPECT_FALSE(IsTransient(answer.status())) << answer.status().ToString();
    EXPECT_NE(answer.status().message().find(code), std::string::npos);
  }
  EXPECT_FALSE(IsTransient(ClassifyS3Answer(AnswerOf(400, ErrorBody("InvalidRequest")), "PUT").status()));
}

TEST(S3RequestsTest, TheErrorCodeIsReadFromS3sErrorBody) {
  EXPECT_EQ(S3ErrorCode(ErrorBody("SlowDown")), "SlowDown");
  EXPECT_EQ(S3ErrorCode(""), "");
  EXPECT_EQ(S3ErrorCode("<Code>unterminated"), "");
}

TEST(S3RequestsTest, HeaderLinesAreSplitAndLookedUpWithoutCase) {
  std::pair<std::string, std::string> header;
  EXPECT_FALSE(ParseHeaderLine("HTTP/1.1 200 OK\r\n", header));
  EXPECT_FALSE(ParseHeaderLine("\r\n", header));
  ASSERT_TRUE(ParseHeaderLine("ETag: \"abc\"\r\n", header));
  EXPECT_EQ(header, std::make_pair(std::string("ETag"), std::string("\"abc\"")));
  HttpAnswer answer;
  answer.headers = {{"etag", "\"old\""}, {"Content-Length", "0"}, {"ETAG", "\"new\""}};
  EXPECT_EQ(answer.Header("ETag"), "\"new\"");  // the last one (after a redirect or 100)
  EXPECT_EQ(answer.Header("x-missing"), "");
}

TEST(S3RequestsTest, AnEndpointOverrideIsAddressedPathStyle) {
  arrow::fs::S3Options options;
  options.region = "eu-west-1";
  options.endpoint_override = "127.0.0.1:9000";
  options.scheme = "http";
  S3Endpoint endpoint = S3EndpointFrom(options);
  EXPECT_EQ(endpoint.base_url, "http://127.0.0.1:9000");
  EXPECT_EQ(S3ObjectUrl(endpoint, "bkt/ds/_fsspeckit_merge.lock"),
            "http://127.0.0.1:9000/bkt/ds/_fsspeckit_merge.lock");
  options.endpoint_override = "https://minio.local:9000/";  // a URL, as pyarrow also takes
  EXPECT_EQ(S3EndpointFrom(options).base_url, "https://minio.local:9000");
  options.force_virtual_addressing = true;
  EXPECT_EQ(S3ObjectUrl(S3EndpointFrom(options), "bkt/k"), "https://bkt.minio.local:9000/k");
}

TEST(S3RequestsTest, AwsIsAddressedVirtuallyInTheRegion) {
  arrow::fs::S3Options options;
  options.region = "eu-west-1";
  const S3Endpoint endpoint = S3EndpointFrom(options);
  EXPECT_EQ(endpoint.region, "eu-west-1");
  EXPECT_EQ(S3ObjectUrl(endpoint, "bkt/a b/k+1"),
            "https://bkt.s3.eu-west-1.amazonaws.com/a%20b/k%2B1");
  // Dotted bucket names do not fit AWS's wildcard certificates: path-style.
  EXPECT_EQ(S3ObjectUrl(endpoint, "my.bkt/k"), "https://s3.eu-west-1.amazonaws.com/my.bkt/k");
}

TEST(S3RequestsTest, KeysArePercentEncodedAsSigV4Wants) {
  EXPECT_EQ(PercentEncodeKey("ds/day=2026-01-01/part_0.parquet~"),
            "ds/day%3D2026-01-01/part_0.parquet~");
  EXPECT_EQ(PercentEncodeKey("\xc3\xa9 x"), "%C3%A9%20x");
}

TEST(S3RequestsTest, AnonymousRequestsAreNotSigned) {
  arrow::fs::S3Options options = arrow::fs::S3Options::Anonymous();
  HttpRequest request;
  SignS3Request(options, S3EndpointFrom(options), request);
  EXPECT_TRUE(request.aws_sigv4.empty() && request.headers.empty());
  options = arrow::fs::S3Options::FromAccessKey("key", "secret", "token");
  options.region = "us-west-2";
  SignS3Request(options, S3EndpointFrom(options), request);
  EXPECT_EQ(request.aws_sigv4, "aws:amz:us-west-2:s3");
  EXPECT_EQ(request.user_password, "key:secret");
  EXPECT_EQ(request.headers, (std::vector<std::string>{"x-amz-content-sha256: UNSIGNED-PAYLOAD",
                                                        "x-amz-security-token: token"}));
}

TEST(CurlLibraryTest, AMissingLibcurlSaysWhatToInstall) {
  auto missing = OpenCurlLibrary("libcurl-not-here.so.4");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("install libcurl4"), std::string::npos);
  EXPECT_NE(missing.status().message().find("--single-writer"), std::string::npos);
}

}  // namespace
}  // namespace fsspeckit::io
