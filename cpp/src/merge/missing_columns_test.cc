#include "merge/missing_columns_internal.h"

#include <gtest/gtest.h>

#include "testing/status_assertions.h"

namespace fsspeckit::merge {
namespace {

TEST(MissingColumnsTest, NamesWhatIsMissingAndWhatThereIs) {
  auto schema = arrow::schema({arrow::field("a", arrow::int64()), arrow::field("b", arrow::utf8())});
  ASSERT_OK(CheckColumns(*schema, {"b", "a"}, "Key column(s) missing from source: "));
  ASSERT_OK(CheckColumns(*schema, {}, "Key column(s) missing from source: "));
  arrow::Status missing = CheckColumns(*schema, {"a", "id", "day"}, "Key column(s) missing from source: ");
  ASSERT_RAISES(Invalid, missing);
  EXPECT_EQ(missing.message(), "Key column(s) missing from source: id, day. Available columns: a, b");
}

}  // namespace
}  // namespace fsspeckit::merge
