// fsspeckit: the S3 store's plain DELETE, sent with libcurl to a loopback server.
#include "fsspeckit/io/s3_atomic_store.h"

#include <gtest/gtest.h>

#include <arrow/filesystem/s3fs.h>

#include "fsspeckit/io/retry_options.h"
#include "io/curl_library_internal.h"
#include "testing/loopback_http_server.h"
#include "testing/status_assertions.h"

namespace fsspeckit::io {
namespace {

using testing::LoopbackHttpServer;

// Arrow's S3, set up by the tests below only (the binary's other tests need none of
// it), must be torn down before the process exits.
class S3Environment : public ::testing::Environment {
 public:
  void TearDown() override {
    if (arrow::fs::IsS3Initialized()) (void)arrow::fs::EnsureS3Finalized();
  }
};
[[maybe_unused]] ::testing::Environment* const kS3Environment =
    ::testing::AddGlobalTestEnvironment(new S3Environment);

std::string ErrorBody(const std::string& code) {
  return "<?xml version=\"1.0\"?><Error><Code>" + code + "</Code><Message>m</Message></Error>";
}

class S3AtomicStoreTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { ASSERT_TRUE(arrow::fs::EnsureS3Initialized().ok()); }
  void SetUp() override {
    if (!LoadCurlLibrary().ok()) GTEST_SKIP() << "libcurl.so.4 is not installed";
    saved_ = GetRetryOptions();
    SetRetryOptions(RetryOptions{/*max_attempts=*/3, /*base_delay_ms=*/1, /*max_delay_ms=*/2});
  }
  void TearDown() override { SetRetryOptions(saved_); }

  // The store of an S3FileSystem whose endpoint is `server`.
  std::shared_ptr<AtomicObjectStore> StoreFor(const LoopbackHttpServer& server) {
    EXPECT_NE(server.port(), 0);
    arrow::fs::S3Options options = arrow::fs::S3Options::FromAccessKey("key", "secret");
    options.region = "us-east-1";
    options.endpoint_override = "127.0.0.1:" + std::to_string(server.port());
    options.scheme = "http";
    auto fs = arrow::fs::S3FileSystem::Make(options);
    EXPECT_TRUE(fs.ok()) << fs.status().ToString();
    if (!fs.ok()) return nullptr;
    auto store = S3AtomicStoreFor(*fs);
    EXPECT_TRUE(store.ok() && *store) << store.status().ToString();
    return store.ValueOr(nullptr);
  }

  RetryOptions saved_;
};

TEST_F(S3AtomicStoreTest, ADeleteIsOneSignedRequestWithNoCondition) {
  LoopbackHttpServer server({{204, ""}});
  auto store = StoreFor(server);
  ASSERT_TRUE(store && store->supports_delete());
  ASSERT_OK(store->Delete("bkt/ds/k=1/part 0.parquet"));
  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "DELETE");
  EXPECT_EQ(requests[0].target, "/bkt/ds/k%3D1/part%200.parquet");
  EXPECT_TRUE(requests[0].Has("authorization"));  // SigV4, as every request of the store
  EXPECT_TRUE(requests[0].Has("x-amz-content-sha256"));
  EXPECT_FALSE(requests[0].Has("if-match"));
  EXPECT_FALSE(requests[0].Has("if-none-match"));
}

TEST_F(S3AtomicStoreTest, DeletingWhatIsGoneIsDone) {
  // S3 answers 204 for a missing key; some S3-compatible stores answer 404.
  LoopbackHttpServer server({{204, ""}, {404, ErrorBody("NoSuchKey")}});
  auto store = StoreFor(server);
  ASSERT_TRUE(store);
  ASSERT_OK(store->Delete("bkt/gone"));
  ASSERT_OK(store->Delete("bkt/gone"));
  EXPECT_EQ(server.requests().size(), 2u);
}

TEST_F(S3AtomicStoreTest, ADeleteIsRetriedOnTransientAnswersOnly) {
  LoopbackHttpServer server({{503, ErrorBody("SlowDown")}, {500, ErrorBody("InternalError")},
                             {204, ""}, {403, ErrorBody("AccessDenied")},
                             {404, ErrorBody("NoSuchBucket")}});
  auto store = StoreFor(server);
  ASSERT_TRUE(store);
  ASSERT_OK(store->Delete("bkt/a"));
  EXPECT_EQ(server.requests().size(), 3u);
  arrow::Status denied = store->Delete("bkt/a");
  ASSERT_RAISES(IOError, denied);
  EXPECT_NE(denied.message().find("AccessDenied"), std::string::npos) << denied.message();
  EXPECT_EQ(server.requests().size(), 4u);  // not retried
  ASSERT_RAISES(IOError, store->Delete("bkt/a"));  // a missing bucket is not a missing key
  EXPECT_EQ(server.requests().size(), 5u);
}

TEST_F(S3AtomicStoreTest, RequestsReuseTheConnectionsOfEarlierOnes) {
  // Each request on a connection of its own would pay a TCP (and on https a TLS)
  // handshake first: two more round trips before a renewal or a commit's deletion.
  LoopbackHttpServer server({{204, ""}, {204, ""}, {200, ""}}, /*keep_alive=*/true);
  auto store = StoreFor(server);
  ASSERT_TRUE(store);
  ASSERT_OK(store->Delete("bkt/a"));
  ASSERT_OK(store->Delete("bkt/b"));
  ASSERT_OK(store->Read("bkt/c").status());
  EXPECT_EQ(server.requests().size(), 3u);
  EXPECT_EQ(server.connections(), 1u);
}

}  // namespace
}  // namespace fsspeckit::io
