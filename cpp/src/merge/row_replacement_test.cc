#include <gtest/gtest.h>

#include <arrow/table.h>

#include "merge/merge_test_fixture.h"
#include "testing/status_assertions.h"
#include "merge/row_replacement_internal.h"

namespace fsspeckit::merge {
namespace {

// Rows 0, 2 and 4 of five replaced, for every path: spliced strings and binaries,
// ReplaceWithMask for fixed width, concatenate-and-take for nested types.
TEST(RowReplacementTest, ReplacesOnlyTheGivenRowsInEveryType) {
  auto replacement = RowReplacement::Make(5, {0, 2, 4}).ValueOrDie();
  struct Case {
    std::shared_ptr<arrow::DataType> type;
    std::string target, replacements, expected;
  };
  std::vector<Case> cases = {
      {arrow::int64(), "[1, 2, null, 4, 5]", "[10, null, 50]", "[10, 2, null, 4, 50]"},
      {arrow::int8(), "[1, 2, 3, 4, 5]", "[-1, -3, -5]", "[-1, 2, -3, 4, -5]"},
      {arrow::float64(), "[1.5, 2.5, 3.5, null, 5.5]", "[0.25, null, 9]", "[0.25, 2.5, null, null, 9]"},
      {arrow::timestamp(arrow::TimeUnit::MICRO), "[1, 2, 3, 4, 5]", "[null, 30, 50]",
       "[null, 2, 30, 4, 50]"},
      {arrow::decimal128(10, 2), R"(["1.00", "2.00", "3.00", "4.00", "5.00"])",
       R"(["-1.25", "3.50", null])", R"(["-1.25", "2.00", "3.50", "4.00", null])"},
      {arrow::fixed_size_binary(3), R"(["aaa", "bbb", "ccc", "ddd", "eee"])",
       R"(["xxx", "yyy", "zzz"])", R"(["xxx", "bbb", "yyy", "ddd", "zzz"])"},
      {arrow::boolean(), "[true, true, true, true, true]", "[false, null, false]",
       "[false, true, null, true, false]"},
      {arrow::utf8(), R"(["a", "bb", null, "dddd", ""])", R"(["x", null, "zzz"])",
       R"(["x", "bb", null, "dddd", "zzz"])"},
      {arrow::utf8(), R"(["a", "bb", "c", "dddd", "e"])", R"(["", "yy", "z"])",
       R"(["", "bb", "yy", "dddd", "z"])"},
      {arrow::large_binary(), R"(["a", "bb", "c", null, "e"])", R"(["x", "yy", null])",
       R"(["x", "bb", "yy", null, null])"},
      {arrow::list(arrow::int32()), "[[1], [2, 2], null, [], [5]]", "[null, [7], [8, 8]]",
       "[null, [2, 2], [7], [], [8, 8]]"},
      {arrow::large_list(arrow::float64()), "[[1.5, null], [2], null, [], [5]]", "[[null], [], [8, null]]",
       "[[null], [2], [], [], [8, null]]"},
      {arrow::list(arrow::utf8()), R"([["a"], ["b", "b"], null, [], ["e"]])", R"([[null], ["g"], []])",
       R"([[null], ["b", "b"], ["g"], [], []])"},
      {arrow::struct_({arrow::field("x", arrow::int32()), arrow::field("s", arrow::utf8())}),
       R"([{"x": 1, "s": "a"}, {"x": 2, "s": "b"}, null, {"x": 4, "s": null}, {"x": 5, "s": "e"}])",
       R"([null, {"x": 30, "s": "c"}, {"x": 50, "s": "z"}])",
       R"([null, {"x": 2, "s": "b"}, {"x": 30, "s": "c"}, {"x": 4, "s": null}, {"x": 50, "s": "z"}])"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.type->ToString() + " " + c.target);
    auto got = replacement.Apply(Json(c.type, c.target), Json(c.type, c.replacements));
    ASSERT_OK(got.status());
    ASSERT_OK((*got)->ValidateFull());
    EXPECT_TRUE((*got)->Equals(*Json(c.type, c.expected))) << (*got)->ToString();
  }
}

TEST(RowReplacementTest, SlicedColumnsNoRowsAndBadPositions) {
  // A column that is a slice of a larger one (non-zero offset), nulls included.
  auto whole = Json(arrow::utf8(), R"(["skip", "a", null, "ccc"])");
  auto one = RowReplacement::Make(3, {1}).ValueOrDie();
  auto got = one.Apply(whole->Slice(1), Json(arrow::utf8(), R"(["new"])")).ValueOrDie();
  ASSERT_OK(got->ValidateFull());
  EXPECT_TRUE(got->Equals(*Json(arrow::utf8(), R"(["a", "new", "ccc"])"))) << got->ToString();

  auto numbers = Json(arrow::int32(), "[7, 1, null, 3]");  // fixed width: the same
  got = one.Apply(numbers->Slice(1), Json(arrow::int32(), "[null]")->Slice(0)).ValueOrDie();
  ASSERT_OK(got->ValidateFull());
  EXPECT_TRUE(got->Equals(*Json(arrow::int32(), "[1, null, 3]"))) << got->ToString();
  got = one.Apply(numbers->Slice(1), Json(arrow::int32(), "[5, 9]")->Slice(1)).ValueOrDie();
  EXPECT_TRUE(got->Equals(*Json(arrow::int32(), "[1, 9, 3]"))) << got->ToString();

  // Nested, sliced, with replaced rows next to each other and at both ends.
  auto lists = Json(arrow::list(arrow::int64()), "[[0], [1, 1], null, [3], [4, 4, 4], [5]]");
  auto ends = RowReplacement::Make(5, {0, 2, 3, 4}).ValueOrDie();
  got = ends.Apply(lists->Slice(1), Json(arrow::list(arrow::int64()), "[[9], [], null, [7, 7]]"))
            .ValueOrDie();
  ASSERT_OK(got->ValidateFull());
  EXPECT_TRUE(got->Equals(*Json(arrow::list(arrow::int64()), "[[9], null, [], null, [7, 7]]")))
      << got->ToString();

  auto none = RowReplacement::Make(2, {}).ValueOrDie();
  got = none.Apply(Json(arrow::utf8(), R"(["a", "b"])"), Json(arrow::utf8(), "[]")).ValueOrDie();
  EXPECT_TRUE(got->Equals(*Json(arrow::utf8(), R"(["a", "b"])")));

  EXPECT_FALSE(RowReplacement::Make(3, {2, 1}).ok());  // not ascending
  EXPECT_FALSE(RowReplacement::Make(3, {3}).ok());     // past the end
  EXPECT_FALSE(one.Apply(whole, Json(arrow::utf8(), R"(["x"])")).ok());  // wrong length
}

}  // namespace
}  // namespace fsspeckit::merge
