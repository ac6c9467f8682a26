#include <gtest/gtest.h>

#include <arrow/table.h>

#include "merge/merge_test_fixture.h"
#include "testing/status_assertions.h"
#include "merge/source_rows_internal.h"

namespace fsspeckit::merge {
namespace {

TEST(SourceRowsTest, GathersAcrossBatchesInTheOrderAsked) {
  ASSERT_OK_AND_ASSIGN(SourceRows source, SourceRows::Make(ThreeBatches()));
  EXPECT_EQ(source.num_rows(), 6);
  for (const std::vector<int64_t>& rows :
       std::vector<std::vector<int64_t>>{{5, 0, 3, 3, 2}, {0, 2, 4, 5}, {4}, {}}) {
    ASSERT_OK_AND_ASSIGN(auto got, source.Gather(rows));
    ASSERT_OK(got->ValidateFull());
    const char* values[] = {"a", "b", "c", nullptr, "e", "f"};
    ASSERT_EQ(got->num_rows(), static_cast<int64_t>(rows.size()));
    auto k = std::static_pointer_cast<arrow::Int64Array>(got->GetColumnByName("k"));
    auto v = std::static_pointer_cast<arrow::StringArray>(got->GetColumnByName("v"));
    for (size_t i = 0; i < rows.size(); ++i) {
      const int64_t keys[] = {0, 1, 2, 1, 4, 5};
      EXPECT_EQ(k->Value(i), keys[rows[i]]);
      if (values[rows[i]] == nullptr) {
        EXPECT_TRUE(v->IsNull(i));
      } else {
        EXPECT_EQ(v->GetString(i), values[rows[i]]);
      }
    }
  }
  EXPECT_FALSE(source.Gather({6}).ok());
}

}  // namespace
}  // namespace fsspeckit::merge
