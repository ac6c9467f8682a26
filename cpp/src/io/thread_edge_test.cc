#include "io/thread_edge_internal.h"

#include <new>
#include <stdexcept>

#include <gtest/gtest.h>
#include <parquet/exception.h>

#include "testing/status_assertions.h"

namespace fsspeckit::io {
namespace {

TEST(ThreadEdgeTest, EachKindOfExceptionBecomesItsStatus) {
  arrow::Status kept = CatchAtEdge("reading", []() -> arrow::Status {
    throw parquet::ParquetStatusException(arrow::Status::OutOfMemory("pool says no"));
  });
  ASSERT_RAISES(OutOfMemory, kept);
  EXPECT_EQ(kept.message(), "reading: pool says no");
  ASSERT_RAISES(OutOfMemory, CatchAtEdge("x", []() -> arrow::Status { throw std::bad_alloc(); }));
  arrow::Status refused = CatchAtEdge("x", []() -> arrow::Status {
    throw std::runtime_error("allocating 8 bytes would take the Arrow pool from 1 MiB past ...");
  });
  ASSERT_RAISES(OutOfMemory, refused);  // a capped pool's refusal, rethrown as a message
  arrow::Status other = CatchAtEdge("x", []() -> arrow::Status { throw std::runtime_error("bad"); });
  ASSERT_RAISES(UnknownError, other);
  EXPECT_EQ(other.message(), "x: bad");
  EXPECT_TRUE(CatchAtEdge("x", [] { return arrow::Status::OK(); }).ok());
}

}  // namespace
}  // namespace fsspeckit::io
