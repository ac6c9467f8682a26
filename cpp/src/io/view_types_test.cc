#include <gtest/gtest.h>

#include <arrow/array/builder_binary.h>
#include <arrow/compute/initialize.h>
#include <arrow/json/from_string.h>
#include <arrow/table.h>

#include "fsspeckit/io/view_types.h"
#include "testing/status_assertions.h"

namespace fsspeckit::io {
namespace {

TEST(ViewTypes, ReplacesViewTypesAtAnyDepth) {
  auto type = arrow::struct_({arrow::field("name", arrow::utf8_view()),
                              arrow::field("tags", arrow::list_view(arrow::binary_view())),
                              arrow::field("big", arrow::large_list_view(arrow::int32()))});
  auto expected = arrow::struct_({arrow::field("name", arrow::utf8()),
                                  arrow::field("tags", arrow::list(arrow::binary())),
                                  arrow::field("big", arrow::large_list(arrow::int32()))});
  EXPECT_TRUE(WithoutViewTypes(type)->Equals(*expected)) << WithoutViewTypes(type)->ToString();
  EXPECT_TRUE(WithoutViewTypes(arrow::map(arrow::utf8_view(), arrow::int64()))
                  ->Equals(*arrow::map(arrow::utf8(), arrow::int64())));
}

TEST(ViewTypes, TypesWithoutViewsAreReturnedUnchanged) {
  auto schema = arrow::schema({arrow::field("id", arrow::int64()),
                               arrow::field("names", arrow::list(arrow::utf8()))});
  EXPECT_EQ(WithoutViewTypes(schema), schema);  // the same object: no cast on the hot path
}

TEST(ViewTypes, ReaderBatchesAreCast) {
  ASSERT_OK(arrow::compute::Initialize());
  arrow::StringViewBuilder names;
  ASSERT_OK(names.Append("a"));
  ASSERT_OK(names.Append("a string longer than twelve bytes"));
  ASSERT_OK(names.AppendNull());
  ASSERT_OK_AND_ASSIGN(auto array, names.Finish());
  auto batch = arrow::RecordBatch::Make(arrow::schema({arrow::field("name", arrow::utf8_view())}),
                                        3, {array});
  ASSERT_OK_AND_ASSIGN(auto reader, arrow::RecordBatchReader::Make({batch}));
  ASSERT_OK_AND_ASSIGN(auto plain, WithoutViewTypes(reader));
  ASSERT_TRUE(plain->schema()->field(0)->type()->Equals(*arrow::utf8()));
  ASSERT_OK_AND_ASSIGN(auto table, plain->ToTable());
  auto column = std::static_pointer_cast<arrow::StringArray>(table->column(0)->chunk(0));
  EXPECT_EQ(column->GetString(1), "a string longer than twelve bytes");
  EXPECT_TRUE(column->IsNull(2));
}

TEST(ViewTypes, SlicedListViewsBecomeValidLists) {
  // Arrow 26's cast from list_view to list builds invalid arrays; the conversion does not.
  auto views = arrow::json::ArrayFromJSONString(arrow::list_view(arrow::int64()),
                                                "[[1], [2, 3], null, [4]]")
                   .ValueOrDie()
                   ->Slice(1);
  ASSERT_OK_AND_ASSIGN(auto lists, WithoutViewTypes(views));
  ASSERT_OK(lists->ValidateFull());
  auto expected = arrow::json::ArrayFromJSONString(arrow::list(arrow::int64()), "[[2, 3], null, [4]]")
                      .ValueOrDie();
  EXPECT_TRUE(lists->Equals(*expected)) << lists->ToString();
}

}  // namespace
}  // namespace fsspeckit::io
