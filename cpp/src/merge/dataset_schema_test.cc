#include "merge/dataset_schema_internal.h"

#include <gtest/gtest.h>

#include <arrow/array.h>
#include <arrow/compute/initialize.h>
#include <arrow/json/from_string.h>

#include "testing/status_assertions.h"

namespace fsspeckit::merge {
namespace {

std::shared_ptr<arrow::Table> Table(const std::shared_ptr<arrow::Schema>& schema,
                                    const std::vector<std::string>& json_columns) {
  std::vector<std::shared_ptr<arrow::Array>> columns;
  for (int i = 0; i < schema->num_fields(); ++i) {
    columns.push_back(
        arrow::json::ArrayFromJSONString(schema->field(i)->type(), json_columns[i]).ValueOrDie());
  }
  return arrow::Table::Make(schema, columns);
}

TEST(DatasetSchemaTest, HiveSegmentsAreDecodedAndKeysMustAgree) {
  EXPECT_EQ(HiveSegments("/d", "/d/city=New%20York/region=/x=__HIVE_DEFAULT_PARTITION__/f"),
            (std::vector<std::pair<std::string, std::string>>{
                {"city", "New York"}, {"region", ""}, {"x", kHiveNull}}));
  ASSERT_OK_AND_ASSIGN(auto keys, HivePartitionKeys("/d", {"/d/a=1/b=2/f", "/d/a=3/b=/g"}));
  EXPECT_EQ(keys, (std::vector<std::string>{"a", "b"}));
  ASSERT_OK_AND_ASSIGN(keys, HivePartitionKeys("/d", {"/d/f", "/d/2024/g"}));  // flat
  EXPECT_TRUE(keys.empty());
  auto mixed = HivePartitionKeys("/d", {"/d/f", "/d/region=eu/g"});
  ASSERT_TRUE(mixed.status().IsInvalid());
  EXPECT_NE(mixed.status().message().find("'/d/region=eu/g' by [region]"), std::string::npos)
      << mixed.status().message();
}

TEST(DatasetSchemaTest, FilesUnifyByFirstSeenOrderAndSafeWidening) {
  auto a = arrow::schema({arrow::field("id", arrow::int32()), arrow::field("s", arrow::utf8())});
  auto b = arrow::schema({arrow::field("v", arrow::float64()), arrow::field("id", arrow::int64())});
  ASSERT_OK_AND_ASSIGN(auto unified, UnifyFileSchemas({"a", "b"}, {a, b}));
  EXPECT_TRUE(unified->Equals(*arrow::schema({arrow::field("id", arrow::int64()),
                                              arrow::field("s", arrow::utf8()),
                                              arrow::field("v", arrow::float64())})))
      << unified->ToString();
  auto c = arrow::schema({arrow::field("s", arrow::int64())});
  auto clash = UnifyFileSchemas({"a", "c"}, {a, c});
  ASSERT_TRUE(clash.status().IsInvalid());
  EXPECT_NE(clash.status().message().find("column 's': string in 'a', int64 in 'c'"),
            std::string::npos)
      << clash.status().message();
}

// A dictionary is how a file stores a column: beside a plain one it is the values' type.
TEST(DatasetSchemaTest, DictionaryAndPlainFilesUnifyToTheValuesType) {
  auto dictionary = arrow::schema({arrow::field("k", arrow::dictionary(arrow::int32(), arrow::utf8()))});
  auto plain = arrow::schema({arrow::field("k", arrow::large_utf8())});
  ASSERT_OK_AND_ASSIGN(auto unified, UnifyFileSchemas({"a", "b"}, {dictionary, plain}));
  EXPECT_EQ(unified->field(0)->type()->ToString(), "large_string");
  ASSERT_OK_AND_ASSIGN(unified, UnifyFileSchemas({"b", "a"}, {plain, dictionary}));
  EXPECT_EQ(unified->field(0)->type()->ToString(), "large_string");
  auto numbers = arrow::schema({arrow::field("k", arrow::dictionary(arrow::int8(), arrow::int64()))});
  ASSERT_TRUE(UnifyFileSchemas({"a", "c"}, {dictionary, numbers}).status().IsInvalid());
}

TEST(DatasetSchemaTest, SafeCastsStayWithinOneKindOfData) {
  EXPECT_TRUE(IsSafeCast(*arrow::int32(), *arrow::int64()));
  EXPECT_TRUE(IsSafeCast(*arrow::int64(), *arrow::float64()));  // values checked when cast
  EXPECT_TRUE(IsSafeCast(*arrow::utf8(), *arrow::large_utf8()));
  EXPECT_TRUE(IsSafeCast(*arrow::dictionary(arrow::int32(), arrow::utf8()), *arrow::utf8()));
  EXPECT_TRUE(IsSafeCast(*arrow::null(), *arrow::utf8()));
  EXPECT_TRUE(IsSafeCast(*arrow::timestamp(arrow::TimeUnit::MILLI),
                         *arrow::timestamp(arrow::TimeUnit::MICRO)));
  EXPECT_TRUE(IsSafeCast(*arrow::list(arrow::int32()), *arrow::large_list(arrow::int64())));
  EXPECT_FALSE(IsSafeCast(*arrow::int64(), *arrow::utf8()));
  EXPECT_FALSE(IsSafeCast(*arrow::utf8(), *arrow::int64()));
  EXPECT_FALSE(IsSafeCast(*arrow::boolean(), *arrow::int8()));
  EXPECT_FALSE(IsSafeCast(*arrow::utf8(), *arrow::timestamp(arrow::TimeUnit::SECOND)));
  EXPECT_FALSE(IsSafeCast(*arrow::list(arrow::int64()), *arrow::list(arrow::utf8())));
}

TEST(DatasetSchemaTest, TheSourceMustFitTheDatasetBeforeAnythingIsWritten) {
  ASSERT_OK(arrow::compute::Initialize());
  auto dataset = arrow::schema({arrow::field("id", arrow::int64()), arrow::field("s", arrow::utf8()),
                                arrow::field("n", arrow::int8())});
  auto fits = Table(arrow::schema({arrow::field("id", arrow::int32()), arrow::field("n", arrow::int64()),
                                   arrow::field("region", arrow::utf8())}),
                    {"[1]", "[100]", R"(["eu"])"});
  ASSERT_OK(CheckSourceFits(*fits, *dataset, {"region"}));  // `s` missing: null in its rows

  auto text = Table(arrow::schema({arrow::field("id", arrow::int64()), arrow::field("s", arrow::int64())}),
                    {"[1]", "[5]"});
  auto status = CheckSourceFits(*text, *dataset, {});
  ASSERT_TRUE(status.IsTypeError());
  EXPECT_NE(status.message().find("source column 's' is int64, the dataset's is string"),
            std::string::npos) << status.message();

  auto overflow = Table(arrow::schema({arrow::field("id", arrow::int64()), arrow::field("n", arrow::int64())}),
                        {"[1]", "[1000]"});
  status = CheckSourceFits(*overflow, *dataset, {});
  ASSERT_TRUE(status.IsTypeError());
  EXPECT_NE(status.message().find("'n' is int64, the dataset's is int8"), std::string::npos);

  auto extra = Table(arrow::schema({arrow::field("id", arrow::int64()), arrow::field("x", arrow::int64())}),
                     {"[1]", "[1]"});
  ASSERT_TRUE(CheckSourceFits(*extra, *dataset, {}).IsInvalid());

  auto required = arrow::schema({arrow::field("id", arrow::int64()), arrow::field("s", arrow::utf8(), false)});
  auto lacks = Table(arrow::schema({arrow::field("id", arrow::int64())}), {"[1]"});
  ASSERT_TRUE(CheckSourceFits(*lacks, *required, {}).IsInvalid());
}

TEST(DatasetSchemaTest, ConformToCastsFillsAndOrders) {
  ASSERT_OK(arrow::compute::Initialize());
  auto source = Table(arrow::schema({arrow::field("v", arrow::int32()), arrow::field("id", arrow::int32())}),
                      {"[7]", "[1]"});
  ASSERT_OK_AND_ASSIGN(auto batch, source->CombineChunksToBatch());
  auto schema = arrow::schema({arrow::field("id", arrow::int64()), arrow::field("s", arrow::utf8()),
                               arrow::field("v", arrow::float64())});
  ASSERT_OK_AND_ASSIGN(auto conformed, ConformTo(*batch, *schema, "the dataset"));
  EXPECT_TRUE(conformed->schema()->Equals(*schema));
  EXPECT_EQ(conformed->column(1)->null_count(), 1);
  EXPECT_EQ(conformed->column(2)->ToString(),
            arrow::json::ArrayFromJSONString(arrow::float64(), "[7]").ValueOrDie()->ToString());
}

}  // namespace
}  // namespace fsspeckit::merge
