// Key matching: rows numbered across batches, the last row wins, null equals null, by value
// across integer widths and signs (uint64 over its whole range), other units and scales,
// storage types; and the types that cannot be keys.
#include "merge/key_index_internal.h"

#include <gtest/gtest.h>

#include <arrow/compute/api_vector.h>
#include <arrow/extension/uuid.h>
#include <arrow/io/file.h>
#include <arrow/table.h>
#include <parquet/arrow/writer.h>

#include "fsspeckit/merge/merge.h"
#include "merge/merge_test_fixture.h"
#include "io/dataset_files_internal.h"
#include "merge/target_scan_internal.h"
#include "testing/status_assertions.h"

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

// Sorted source keys (integers without nulls) answer an unordered probe through a hash
// table filled from them: its ids must be the sorted positions the walk gives.
TEST(KeyIndexTest, SortedSourceKeysAnswerUnorderedProbesWithTheWalksIds) {
  auto source = Batch({"k"}, {Json(arrow::int64(), "[2148, 7, 2020, 99, 7, 1500, 3]")});
  ASSERT_OK_AND_ASSIGN(auto index, KeyIndex::Make(*source, {"k"}));
  auto ascending = Batch({"k"}, {Json(arrow::int64(), "[3, 7, 99, 1500, 2020, 2148]")});
  auto unordered = Batch({"k"}, {Json(arrow::int64(), "[2148, 2020, 5, 1500, 7, 3, 99]")});
  std::vector<int64_t> up = Ids(*index, *ascending);
  std::vector<int64_t> mixed = Ids(*index, *unordered);
  std::vector<int64_t> rows;
  for (int64_t id : mixed) rows.push_back(id < 0 ? -1 : index->winning_rows()[id]);
  EXPECT_EQ(rows, (std::vector<int64_t>{0, 2, -1, 5, 4, 6, 3}));
  EXPECT_EQ(mixed, (std::vector<int64_t>{up[5], up[4], -1, up[3], up[1], up[0], up[2]}));
}

// Past the hash table's minibatch (1024 rows), every row still gets its own key's id:
// a file whose keys ascend for 1025 rows and then fall back (an appended run).
TEST(KeyIndexTest, SortedSourceKeysAnswerLongUnorderedProbes) {
  arrow::Int64Builder source_keys, probe_keys;
  for (int64_t k : {1557, 603, 512, 1396, 469, 1548, 313, 916, 334, 1092, 1494, 1210, 2188,
                    468, 1875, 1135, 441, 187, 1211, 50, 59, 375, 1693, 471, 163, 769, 981,
                    1724, 663, 473, 1846, 685, 988, 651, 421, 1782, 1549, 1204, 1037, 1953,
                    2220, 2221, 2222, 2223, 2224, 2225, 2226, 2227, 2228, 2229}) {
    ASSERT_OK(source_keys.Append(k));
  }
  for (int64_t k = 0; k <= 2048; k += 2) ASSERT_OK(probe_keys.Append(k));
  for (int64_t k = 2020; k <= 2218; k += 2) ASSERT_OK(probe_keys.Append(k));
  ASSERT_OK_AND_ASSIGN(auto source_array, source_keys.Finish());
  ASSERT_OK_AND_ASSIGN(auto probe_array, probe_keys.Finish());
  auto source = Batch({"k"}, {source_array});
  ASSERT_OK_AND_ASSIGN(auto index, KeyIndex::Make(*source, {"k"}));
  auto probe = Batch({"k"}, {probe_array});
  std::vector<int64_t> ids = Ids(*index, *probe);
  const auto& source_values = static_cast<const arrow::Int64Array&>(*source_array);
  const auto& probe_values = static_cast<const arrow::Int64Array&>(*probe_array);
  int64_t matched = 0;
  for (size_t i = 0; i < ids.size(); ++i) {
    if (ids[i] < 0) continue;
    ++matched;
    EXPECT_EQ(source_values.Value(index->winning_rows()[ids[i]]), probe_values.Value(i)) << i;
  }
  EXPECT_EQ(matched, 16);  // the even source keys below 2049, and 2188 in the second run
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

// Per probe row: the source row its key matched, or -1.
std::vector<int64_t> Rows(KeyIndex& index, const arrow::RecordBatch& probe) {
  auto ids = index.Lookup(probe).ValueOrDie();
  std::vector<int64_t> rows;
  for (int64_t i = 0; i < ids->length(); ++i) {
    rows.push_back(ids->IsValid(i) ? index.winning_rows()[ids->Value(i)] : -1);
  }
  return rows;
}

std::shared_ptr<arrow::RecordBatch> Keys(const std::shared_ptr<arrow::DataType>& type,
                                         const std::string& json) {
  return Batch({"k"}, {Json(type, json)});
}

constexpr const char* kU64Max = "18446744073709551615";
constexpr const char* kTwo63 = "9223372036854775808";
constexpr const char* kI64Max = "9223372036854775807";

// The sorted walk (ascending probes) and the hash table (the others) give the same answers.
TEST(KeyIndexTypesTest, Uint64KeysMatchOverTheirWholeRange) {
  auto source = Keys(arrow::uint64(), std::string("[") + kU64Max + ", 0, " + kTwo63 + ", 5, " +
                                          kI64Max + "]");
  ASSERT_OK_AND_ASSIGN(auto index, KeyIndex::Make(*source, {"k"}));
  EXPECT_EQ(index->num_keys(), 5);
  EXPECT_EQ(Rows(*index, *Keys(arrow::uint64(), std::string("[0, 5, 6, ") + kI64Max + ", " +
                                                    kTwo63 + ", " + kU64Max + "]")),
            (std::vector<int64_t>{1, 3, -1, 4, 2, 0}));
  EXPECT_EQ(Rows(*index, *Keys(arrow::uint64(), std::string("[") + kU64Max + ", 5, " + kTwo63 +
                                                    ", 7, 0]")),
            (std::vector<int64_t>{0, 3, 2, -1, 1}));
  // int64 probes by value: -1 is not 2^64-1, INT64_MAX is INT64_MAX.
  EXPECT_EQ(Rows(*index, *Keys(arrow::int64(), std::string("[-1, 0, 5, ") + kI64Max + "]")),
            (std::vector<int64_t>{-1, 1, 3, 4}));
  EXPECT_EQ(Rows(*index, *Keys(arrow::int8(), "[5, -128, 0, null]")),
            (std::vector<int64_t>{3, -1, 1, -1}));
  ASSERT_OK_AND_ASSIGN(SourceRange range,
                       MakeSourceRange(*arrow::Table::FromRecordBatches({source}).ValueOrDie(), "k"));
  EXPECT_EQ(std::get<std::vector<uint64_t>>(range.values),
            (std::vector<uint64_t>{0, 5, (uint64_t{1} << 63) - 1, uint64_t{1} << 63, ~uint64_t{0}}));
}

TEST(KeyIndexTypesTest, Int64KeysNeverMatchUint64ValuesPast2To63) {
  auto source = Keys(arrow::int64(), std::string("[-1, 5, ") + kI64Max + ", -9223372036854775808]");
  ASSERT_OK_AND_ASSIGN(auto index, KeyIndex::Make(*source, {"k"}));
  const std::string ascending = std::string("[0, 5, ") + kI64Max + ", " + kTwo63 + ", " + kU64Max + "]";
  EXPECT_EQ(Rows(*index, *Keys(arrow::uint64(), ascending)), (std::vector<int64_t>{-1, 1, 2, -1, -1}));
  const std::string unordered = std::string("[") + kU64Max + ", " + kTwo63 + ", 5, 0, " + kI64Max + "]";
  EXPECT_EQ(Rows(*index, *Keys(arrow::uint64(), unordered)), (std::vector<int64_t>{-1, -1, 1, -1, 2}));
  const std::string with_null = std::string("[null, ") + kU64Max + ", 5]";
  EXPECT_EQ(Rows(*index, *Keys(arrow::uint64(), with_null)), (std::vector<int64_t>{-1, -1, 1}));
}

TEST(KeyIndexTypesTest, CompositeKeysWithUint64AndNulls) {
  auto source = Batch({"a", "b"}, {Json(arrow::uint64(), std::string("[") + kU64Max + ", " +
                                                             kU64Max + ", null, 1]"),
                                   Json(arrow::utf8(), R"(["x", "y", "x", null])")});
  ASSERT_OK_AND_ASSIGN(auto index, KeyIndex::Make(*source, {"a", "b"}));
  auto probe = Batch({"a", "b"}, {Json(arrow::int64(), "[-1, 1, null, 1]"),
                                  Json(arrow::large_utf8(), R"(["x", null, "x", "x"])")});
  EXPECT_EQ(Rows(*index, *probe), (std::vector<int64_t>{-1, 3, 2, -1}));
  auto same = Batch({"a", "b"}, {Json(arrow::uint64(), std::string("[") + kU64Max + ", " +
                                                           kU64Max + "]"),
                                 Json(arrow::utf8(), R"(["y", "x"])")});
  EXPECT_EQ(Rows(*index, *same), (std::vector<int64_t>{1, 0}));
}

// Another unit or scale is compared by value: a value the source's type cannot hold
// exactly matches nothing.
TEST(KeyIndexTypesTest, OtherUnitsAndScalesMatchByValue) {
  auto seconds = Keys(arrow::timestamp(arrow::TimeUnit::SECOND), "[1, 2, -3]");
  ASSERT_OK_AND_ASSIGN(auto index, KeyIndex::Make(*seconds, {"k"}));
  EXPECT_EQ(Rows(*index, *Keys(arrow::timestamp(arrow::TimeUnit::MILLI), "[1000, 1500, -3000, 2000]")),
            (std::vector<int64_t>{0, -1, 2, 1}));
  // Past what nanoseconds hold: no match, no error.
  auto far = Keys(arrow::timestamp(arrow::TimeUnit::SECOND), "[253402300799, 1]");
  auto nanos = Keys(arrow::timestamp(arrow::TimeUnit::NANO), "[1000000000, 9223372036854775807]");
  ASSERT_OK_AND_ASSIGN(auto far_index, KeyIndex::Make(*nanos, {"k"}));
  EXPECT_EQ(Rows(*far_index, *far), (std::vector<int64_t>{-1, 0}));
  ASSERT_OK_AND_ASSIGN(auto decimals, KeyIndex::Make(*Keys(arrow::decimal128(10, 2), R"(["1.50", "-2.00"])"), {"k"}));
  EXPECT_EQ(Rows(*decimals, *Keys(arrow::decimal128(12, 3), R"(["1.500", "1.505", "-2.000"])")),
            (std::vector<int64_t>{0, -1, 1}));
  EXPECT_EQ(Rows(*decimals, *Keys(arrow::decimal256(40, 0), R"(["2", "-2"])")),
            (std::vector<int64_t>{-1, 1}));
  ASSERT_OK_AND_ASSIGN(auto dates, KeyIndex::Make(*Keys(arrow::date32(), "[0, 19000]"), {"k"}));
  EXPECT_EQ(Rows(*dates, *Keys(arrow::date64(), "[1641600000000, 0, 1]")),
            (std::vector<int64_t>{1, 0, -1}));
  ASSERT_OK_AND_ASSIGN(auto times, KeyIndex::Make(*Keys(arrow::time32(arrow::TimeUnit::SECOND), "[1, 86399]"), {"k"}));
  EXPECT_EQ(Rows(*times, *Keys(arrow::time64(arrow::TimeUnit::MICRO), "[86399000000, 1000001, 1000000]")),
            (std::vector<int64_t>{1, -1, 0}));
  auto instants = Keys(arrow::timestamp(arrow::TimeUnit::SECOND, "UTC"), "[1]");
  ASSERT_OK_AND_ASSIGN(auto instant_index, KeyIndex::Make(*instants, {"k"}));
  EXPECT_EQ(Rows(*instant_index, *Keys(arrow::timestamp(arrow::TimeUnit::MILLI, "Asia/Kolkata"), "[1000]")),
            (std::vector<int64_t>{0}));
  // A wall-clock time is not an instant.
  auto naive = arrow::schema({arrow::field("k", arrow::timestamp(arrow::TimeUnit::SECOND))});
  ASSERT_RAISES(TypeError, instant_index->CheckComparable(*naive, "t.parquet"));
  ASSERT_OK(index->CheckComparable(
      *arrow::schema({arrow::field("k", arrow::timestamp(arrow::TimeUnit::NANO))}), "t.parquet"));
}

// Dictionaries, fixed-size binaries and extension types are compared by what they hold.
TEST(KeyIndexTypesTest, StorageDoesNotChangeAKey) {
  auto plain = Keys(arrow::utf8(), R"(["a", "b"])");
  ASSERT_OK_AND_ASSIGN(auto index, KeyIndex::Make(*plain, {"k"}));
  auto dictionary = Json(arrow::utf8(), R"(["b", "c", "a", "b"])");
  ASSERT_OK_AND_ASSIGN(arrow::Datum encoded, arrow::compute::DictionaryEncode(dictionary));
  EXPECT_EQ(Rows(*index, *Batch({"k"}, {encoded.make_array()})), (std::vector<int64_t>{1, -1, 0, 1}));

  auto uuid = arrow::extension::uuid();
  auto storage = Json(arrow::fixed_size_binary(16), R"(["0123456789abcdef", "fedcba9876543210"])");
  auto uuids = arrow::ExtensionType::WrapArray(uuid, storage);
  ASSERT_OK_AND_ASSIGN(auto uuid_index, KeyIndex::Make(*Batch({"k"}, {uuids}), {"k"}));
  EXPECT_EQ(Rows(*uuid_index, *Keys(arrow::binary(), R"(["fedcba9876543210", "0123456789abcdeX"])")),
            (std::vector<int64_t>{1, -1}));
  EXPECT_EQ(Rows(*uuid_index, *Batch({"k"}, {storage})), (std::vector<int64_t>{0, 1}));
}

TEST(KeyIndexTypesTest, NestedAndNullTypesAreRefusedByName) {
  struct Case {
    std::shared_ptr<arrow::DataType> type;
    std::string json;
  };
  for (const Case& c : std::vector<Case>{
           {arrow::list(arrow::utf8()), R"([["a"]])"},
           {arrow::struct_({arrow::field("a", arrow::int64())}), R"([{"a": 1}])"},
           {arrow::map(arrow::utf8(), arrow::int64()), R"([[["a", 1]]])"},
           {arrow::fixed_size_list(arrow::int32(), 2), "[[1, 2]]"},
           {arrow::null(), "[null]"},
           {arrow::month_day_nano_interval(), "[[1, 2, 3]]"}}) {
    auto source = Batch({"id", "tags"}, {Json(arrow::int64(), "[1]"), Json(c.type, c.json)});
    auto made = KeyIndex::Make(*source, {"id", "tags"});
    ASSERT_RAISES(TypeError, made.status());
    EXPECT_NE(made.status().message().find("key column 'tags' is " + c.type->ToString() +
                                           ": a key must be a scalar type"),
              std::string::npos)
        << made.status().message();
  }
}

// Row-group statistics of either sign prune against keys of the other: a row group of
// uint64 values past 2^63 holds no int64 key, one of negative int64s no uint64 key.
TEST_F(MergeTest, StatisticsPruneAcrossIntegerSigns) {
  auto write = [&](const std::string& name, const std::shared_ptr<arrow::DataType>& type,
                   const std::string& json) {
    auto table = arrow::Table::Make(arrow::schema({arrow::field("id", type)}), {Json(type, json)});
    auto out = arrow::io::FileOutputStream::Open(tmp_.path() + "/" + name).ValueOrDie();
    ASSERT_OK(parquet::arrow::WriteTable(*table, arrow::default_memory_pool(), out, 2));
    ASSERT_OK(out->Close());
  };
  write("high.parquet", arrow::uint64(), std::string("[") + kI64Max + ", " + kU64Max + "]");
  write("low.parquet", arrow::int64(), "[-5, -1]");
  auto plan = [&](const std::shared_ptr<arrow::Array>& keys) {
    auto source = arrow::Table::Make(arrow::schema({arrow::field("id", keys->type())}), {keys});
    auto index = KeyIndex::Make(*source, {"id"}).ValueOrDie();
    SourceRange range = MakeSourceRange(*source, "id").ValueOrDie();
    auto files = io::ListDataFileInfos(*fs_, tmp_.path()).ValueOrDie();
    return ScanTargets(*fs_, tmp_.path(), files, *index, range, *source, {}, false).ValueOrDie();
  };
  TargetScan signed_keys = plan(Json(arrow::int64(), "[-1, 3]"));
  EXPECT_EQ(signed_keys.candidate_files, 1);  // high.parquet ruled out by its statistics
  EXPECT_EQ(signed_keys.files[1].matched_rows, 1);
  // (Within int64: the files' schemas unify to int64, which the source must fit.)
  TargetScan unsigned_keys = plan(Json(arrow::uint64(), std::string("[3, ") + kI64Max + "]"));
  EXPECT_EQ(unsigned_keys.candidate_files, 1);  // low.parquet ruled out
  EXPECT_EQ(unsigned_keys.files[0].matched_rows, 1);
}

}  // namespace
}  // namespace fsspeckit::merge
