#include <gtest/gtest.h>

#include <arrow/table.h>

#include "merge/merge_test_fixture.h"
#include "testing/status_assertions.h"
#include "merge/key_index_internal.h"
#include "merge/target_scan_internal.h"

namespace fsspeckit::merge {
namespace {

// Lookup results as ints, -1 for "not a source key".
std::vector<int64_t> Ids(KeyIndex& index, const arrow::RecordBatch& batch) {
  auto ids = index.Lookup(batch).ValueOrDie();
  std::vector<int64_t> out;
  for (int64_t i = 0; i < ids->length(); ++i) {
    out.push_back(ids->IsValid(i) ? static_cast<int64_t>(ids->Value(i)) : int64_t{-1});
  }
  return out;
}

TEST(KeyIndexTest, RowsAreNumberedAcrossBatchesAndTheLastWins) {
  ASSERT_OK_AND_ASSIGN(auto index, KeyIndex::Make(*ThreeBatches(), {"k"}));
  EXPECT_EQ(index->num_keys(), 5);  // 0, 1, 2, 4, 5
  auto probe = Batch({"k"}, {Json(arrow::int64(), "[1, 5, 3]")});
  std::vector<int64_t> ids = Ids(*index, *probe);
  EXPECT_EQ(index->winning_rows()[ids[0]], 3);  // key 1: rows 1 and 3, the later wins
  EXPECT_EQ(index->winning_rows()[ids[1]], 5);
  EXPECT_EQ(ids[2], -1);
  ASSERT_OK_AND_ASSIGN(SourceRange range, MakeSourceRange(*ThreeBatches(), "k"));
  EXPECT_EQ(std::get<std::vector<int64_t>>(range.values), (std::vector<int64_t>{0, 1, 2, 4, 5}));
}


TEST(KeyIndexTest, LastRowWinsAndNullEqualsNull) {
  auto source = Batch({"k"}, {Json(arrow::int64(), "[1, 2, null, 1, null]")});
  ASSERT_OK_AND_ASSIGN(auto index, KeyIndex::Make(*source, {"k"}));
  EXPECT_EQ(index->num_keys(), 3);
  auto target = Batch({"k"}, {Json(arrow::int64(), "[1, 3, null, 2]")});
  std::vector<int64_t> ids = Ids(*index, *target);
  EXPECT_EQ(index->winning_rows()[ids[0]], 3);  // the later of the two 1s
  EXPECT_EQ(ids[1], -1);
  EXPECT_EQ(index->winning_rows()[ids[2]], 4);  // null matches null, last wins
  EXPECT_EQ(index->winning_rows()[ids[3]], 1);
}

// Ascending integer keys (a file in key order) are answered by walking the sorted source
// keys; anything else by the hash table. Both must give every row the same id.
TEST(KeyIndexTest, AscendingAndUnorderedKeysGetTheSameIds) {
  auto source = Batch({"k"}, {Json(arrow::int64(), "[40, 10, null, 30, 10, -5]")});
  ASSERT_OK_AND_ASSIGN(auto index, KeyIndex::Make(*source, {"k"}));
  auto ascending = Batch({"k"}, {Json(arrow::int64(), "[-9, -5, 10, 10, 20, 30, 40, 41]")});
  auto unordered = Batch({"k"}, {Json(arrow::int64(), "[41, 10, 40, -5, 30, 20, 10, -9]")});
  auto with_null = Batch({"k"}, {Json(arrow::int64(), "[-5, 10, null, 40]")});
  std::vector<int64_t> up = Ids(*index, *ascending);
  std::vector<int64_t> mixed = Ids(*index, *unordered);
  std::vector<int64_t> nulls = Ids(*index, *with_null);
  std::vector<int64_t> rows;  // the winning source row per probe row, -1 for none
  for (int64_t id : up) rows.push_back(id < 0 ? -1 : index->winning_rows()[id]);
  EXPECT_EQ(rows, (std::vector<int64_t>{-1, 5, 4, 4, -1, 3, 0, -1}));
  EXPECT_EQ(mixed, (std::vector<int64_t>{-1, up[2], up[6], up[1], up[5], -1, up[2], -1}));
  ASSERT_GE(nulls[2], 0);
  EXPECT_EQ(index->winning_rows()[nulls[2]], 2);  // null matches the source's null
  EXPECT_EQ(nulls, (std::vector<int64_t>{up[1], up[2], nulls[2], up[6]}));
  // A slice of a batch (an offset into its buffers) walks from its own first row.
  EXPECT_EQ(Ids(*index, *ascending->Slice(5, 3)), (std::vector<int64_t>{up[5], up[6], -1}));
}

TEST(KeyIndexTest, IntegersMatchByValueAcrossWidths) {
  auto source = Batch({"k"}, {Json(arrow::int32(), "[5, -7]")});
  ASSERT_OK_AND_ASSIGN(auto index, KeyIndex::Make(*source, {"k"}));
  auto rows = [&](const arrow::RecordBatch& target) {  // the matched source row, or -1
    std::vector<int64_t> out;
    for (int64_t id : Ids(*index, target)) out.push_back(id < 0 ? -1 : index->winning_rows()[id]);
    return out;
  };
  EXPECT_EQ(rows(*Batch({"k"}, {Json(arrow::int64(), "[-7, 5, 6]")})), (std::vector<int64_t>{1, 0, -1}));
  EXPECT_EQ(rows(*Batch({"k"}, {Json(arrow::uint8(), "[5]")})), (std::vector<int64_t>{0}));
  // Keys that do not ascend (or hold a null) are hashed: the same answers.
  EXPECT_EQ(rows(*Batch({"k"}, {Json(arrow::int16(), "[6, 5, -7, 5]")})),
            (std::vector<int64_t>{-1, 0, 1, 0}));
  EXPECT_EQ(rows(*Batch({"k"}, {Json(arrow::int64(), "[-7, null, 5]")})),
            (std::vector<int64_t>{1, -1, 0}));
}

TEST(KeyIndexTest, FloatsNaNEqualsNaNAndNegativeZeroEqualsZero) {
  auto source = Batch({"k"}, {Json(arrow::float64(), "[NaN, 0.0, 1.5]")});
  ASSERT_OK_AND_ASSIGN(auto index, KeyIndex::Make(*source, {"k"}));
  auto target = Batch({"k"}, {Json(arrow::float32(), "[1.5, NaN, -0.0, 2.0]")});
  EXPECT_EQ(Ids(*index, *target), (std::vector<int64_t>{2, 0, 1, -1}));
}

TEST(KeyIndexTest, StringKindsAndCompositeKeys) {
  auto source = Batch({"a", "b"}, {Json(arrow::utf8(), R"(["x", "x", null])"),
                                   Json(arrow::int64(), "[1, 2, 1]")});
  ASSERT_OK_AND_ASSIGN(auto index, KeyIndex::Make(*source, {"a", "b"}));
  auto target = Batch({"b", "a"}, {Json(arrow::int32(), "[2, 1, 1, 2]"),
                                   Json(arrow::large_utf8(), R"(["x", null, "y", null])")});
  EXPECT_EQ(Ids(*index, *target), (std::vector<int64_t>{1, 2, -1, -1}));
}

TEST(KeyIndexTest, IncomparableTypesAndMissingColumnsAreNamed) {
  auto source = Batch({"id"}, {Json(arrow::int64(), "[1]")});
  ASSERT_OK_AND_ASSIGN(auto index, KeyIndex::Make(*source, {"id"}));
  auto strings = arrow::schema({arrow::field("id", arrow::utf8())});
  arrow::Status st = index->CheckComparable(*strings, "t.parquet");
  ASSERT_RAISES(TypeError, st);
  EXPECT_NE(st.message().find("key column 'id' cannot be compared"), std::string::npos);
  ASSERT_RAISES(KeyError, index->CheckComparable(*arrow::schema({}), "t.parquet"));
  ASSERT_RAISES(Invalid, KeyIndex::Make(*source, {"nope"}).status());
}

}  // namespace
}  // namespace fsspeckit::merge
