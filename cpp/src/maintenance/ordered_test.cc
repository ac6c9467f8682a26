#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "fsspeckit/maintenance/maintenance.h"
#include "fsspeckit/maintenance/plan.h"
#include "maintenance/maintenance_test_fixture.h"

namespace fsspeckit::maintenance {
namespace {

using fsspeckit::testing::TempDir;
using testing::Column;
using testing::Json;
using testing::Local;
using testing::WriteFile;

std::shared_ptr<arrow::Table> AB(const std::string& a, const std::string& b) {
  return arrow::Table::Make(arrow::schema({arrow::field("a", arrow::int64()), arrow::field("b", arrow::int64())}),
                            {Json(arrow::int64(), a), Json(arrow::int64(), b)});
}

MaintenanceResult Sort(const std::string& dir, std::vector<std::string> keys,
                       int64_t budget_bytes = kDefaultMaintenanceMaxPoolBytes,
                       std::optional<int64_t> rows_per_file = std::nullopt) {
  OrderedCompactionOptions options;
  for (const std::string& key : keys) options.sort_keys.push_back(*ParseSortKey(key));
  options.target_rows_per_file = rows_per_file;
  auto plan = PlanOrderedCompaction(Local(dir), options);
  EXPECT_TRUE(plan.ok()) << plan.status().ToString();
  ExecuteOptions execute;
  execute.limits.max_pool_bytes = budget_bytes;
  execute.limits.min_system_available_bytes = 0;
  auto result = ExecuteMaintenance(*plan, Local(dir), execute);
  EXPECT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_TRUE(result->succeeded) << result->status.ToString();
  return *result;
}

TEST(OrderedCompactionTest, SortsAsTheOriginalWithTiesInDatasetOrder) {
  TempDir dir;
  WriteFile(dir.path(), "x.parquet", AB("[3, null, 1, 2]", "[0, 1, 2, 3]"));
  WriteFile(dir.path(), "y.parquet", AB("[2, null, 5, 1]", "[4, 5, 6, 7]"));
  Sort(dir.path(), {"a"});
  EXPECT_EQ(Column(dir.path(), "a"), (std::vector<int64_t>{1, 1, 2, 2, 3, 5, -1, -1}));
  EXPECT_EQ(Column(dir.path(), "b"), (std::vector<int64_t>{2, 7, 3, 4, 0, 6, 1, 5}));
  Sort(dir.path(), {"-a"});  // descending, nulls first (the original's "-col")
  EXPECT_EQ(Column(dir.path(), "a"), (std::vector<int64_t>{-1, -1, 5, 3, 2, 2, 1, 1}));
}

TEST(OrderedCompactionTest, RefusesKeysThatCannotSort) {
  TempDir dir;
  auto lists = arrow::Table::Make(
      arrow::schema({arrow::field("a", arrow::int64()), arrow::field("l", arrow::list(arrow::int64()))}),
      {Json(arrow::int64(), "[1]"), Json(arrow::list(arrow::int64()), "[[1, 2]]")});
  WriteFile(dir.path(), "x.parquet", lists);
  OrderedCompactionOptions options;
  options.sort_keys = {*ParseSortKey("l")};
  auto plan = PlanOrderedCompaction(Local(dir.path()), options);
  ASSERT_RAISES(Invalid, plan.status());
  EXPECT_NE(plan.status().message().find("which has no order"), std::string::npos);
  options.sort_keys = {};
  EXPECT_NE(PlanOrderedCompaction(Local(dir.path()), options).status().message().find("non-empty"),
            std::string::npos);
  options.sort_keys = {*ParseSortKey("a"), *ParseSortKey("-a")};
  EXPECT_NE(PlanOrderedCompaction(Local(dir.path()), options).status().message().find("duplicate: 'a'"),
            std::string::npos);
  ASSERT_RAISES(Invalid, ParseSortKey("-").status());
}

TEST(OrderedCompactionTest, AnExternalSortUnderATightBudgetGivesTheSameStableOrder) {
  // 200k rows in 10 files, keys with many ties; b numbers the rows in dataset order.
  TempDir roomy, tight;
  std::mt19937_64 random(7);
  std::vector<std::pair<int64_t, int64_t>> rows;
  for (int f = 0; f < 10; ++f) {
    arrow::Int64Builder a, b;
    for (int i = 0; i < 20'000; ++i) {
      const int64_t key = static_cast<int64_t>(random() % 5000);
      const int64_t number = static_cast<int64_t>(rows.size());
      rows.emplace_back(key, number);
      ASSERT_OK(a.Append(key));
      ASSERT_OK(b.Append(number));
    }
    auto table = arrow::Table::Make(arrow::schema({arrow::field("a", arrow::int64()), arrow::field("b", arrow::int64())}),
                                    {a.Finish().ValueOrDie(), b.Finish().ValueOrDie()});
    for (const std::string* dir : {&roomy.path(), &tight.path()}) {
      WriteFile(*dir, "part-" + std::to_string(f) + ".parquet", table, 5000);
    }
  }
  std::stable_sort(rows.begin(), rows.end(),
                   [](const auto& x, const auto& y) { return x.first < y.first; });
  std::vector<int64_t> expected;
  for (const auto& row : rows) expected.push_back(row.second);
  MaintenanceResult in_memory = Sort(roomy.path(), {"a"});
  MaintenanceResult external = Sort(tight.path(), {"a"}, 3 << 20, 50'000);
  ASSERT_EQ(in_memory.tasks.size(), 1u);
  EXPECT_EQ(in_memory.tasks[0].spill_buckets, 0);
  EXPECT_GT(external.tasks[0].spill_buckets, 2);  // sorted runs, merged in more than one pass
  EXPECT_EQ(external.published.size(), 4u);        // 50k rows a file
  EXPECT_EQ(Column(roomy.path(), "b"), expected);
  EXPECT_EQ(Column(tight.path(), "b"), expected);
}

TEST(OrderedCompactionTest, TwoKeysMixedDirections) {
  TempDir dir;
  WriteFile(dir.path(), "x.parquet", AB("[1, 2, 1, 2, 1]", "[5, 6, 7, 8, 9]"));
  Sort(dir.path(), {"-a", "b"});
  EXPECT_EQ(Column(dir.path(), "b"), (std::vector<int64_t>{6, 8, 5, 7, 9}));
}

}  // namespace
}  // namespace fsspeckit::maintenance
