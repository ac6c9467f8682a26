#include <gtest/gtest.h>

#include <filesystem>

#include "fsspeckit/maintenance/maintenance.h"
#include "fsspeckit/maintenance/plan.h"
#include "maintenance/maintenance_test_fixture.h"

namespace fsspeckit::maintenance {
namespace {

using fsspeckit::testing::TempDir;
using testing::Files;
using testing::Json;
using testing::Local;
using testing::ReadFile;
using testing::WriteFile;

std::shared_ptr<arrow::Table> Rows(const std::string& ids, const std::string& cats) {
  return arrow::Table::Make(arrow::schema({arrow::field("id", arrow::int64()), arrow::field("cat", arrow::utf8())}),
                            {Json(arrow::int64(), ids), Json(arrow::utf8(), cats)});
}

MaintenanceResult Repartition(const std::string& dir, std::vector<std::string> columns,
                              std::optional<int64_t> rows_per_file = std::nullopt,
                              int64_t budget_bytes = kDefaultMaintenanceMaxPoolBytes) {
  RepartitionOptions options;
  options.partition_columns = std::move(columns);
  options.target_rows_per_file = rows_per_file;
  auto plan = PlanRepartition(Local(dir), options);
  EXPECT_TRUE(plan.ok()) << plan.status().ToString();
  ExecuteOptions execute;
  execute.limits.max_pool_bytes = budget_bytes;
  execute.limits.min_system_available_bytes = 0;
  auto result = ExecuteMaintenance(*plan, Local(dir), execute);
  EXPECT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_TRUE(result->succeeded) << result->status.ToString();
  return *result;
}

TEST(RepartitionTest, RowsGoToTheirFoldersAndHiveValuesSurvive) {
  TempDir dir;
  WriteFile(dir.path(), "region=eu/a.parquet", Rows("[1, 2, 3]", R"(["x", "y", null])"));
  WriteFile(dir.path(), "region=us/b.parquet", Rows("[4, 5]", R"(["x", "a/b"])"));
  MaintenanceResult result = Repartition(dir.path(), {"cat"});
  EXPECT_EQ(result.rows_after, 5);
  std::vector<std::string> files;
  for (const std::string& file : Files(dir.path())) files.push_back(file.substr(0, file.find('/', 4)));
  EXPECT_EQ(files, (std::vector<std::string>{"cat=__HIVE_DEFAULT_PARTITION__", "cat=a%2Fb", "cat=x", "cat=y"}));
  EXPECT_FALSE(std::filesystem::exists(dir.path() + "/region=eu"));  // emptied folders go
  // The region values became a column; cat left the files.
  auto x = ReadFile(dir.path() + "/" + Files(dir.path())[2]);
  EXPECT_EQ(x->schema()->ToString(), "id: int64\nregion: string");
  EXPECT_EQ(x->GetColumnByName("region")->ToString(), "[\n  [\n    \"eu\",\n    \"us\"\n  ]\n]");
  // Back by region (a column now), cut at one row a file.
  MaintenanceResult back = Repartition(dir.path(), {"region"}, 1);
  EXPECT_EQ(back.files_after, 5);
  EXPECT_TRUE(std::filesystem::exists(dir.path() + "/region=eu"));
}

TEST(RepartitionTest, ManyFoldersUnderATightBudgetStayWithinIt) {
  TempDir dir;
  // 50k rows over 300 folders (more than the writers open at once), 4 files.
  for (int f = 0; f < 4; ++f) {
    arrow::Int64Builder ids;
    arrow::StringBuilder cats;
    for (int i = 0; i < 12'500; ++i) {
      ASSERT_OK(ids.Append(f * 12'500 + i));
      ASSERT_OK(cats.Append("c" + std::to_string((f * 12'500 + i) % 300)));
    }
    auto table = arrow::Table::Make(arrow::schema({arrow::field("id", arrow::int64()), arrow::field("cat", arrow::utf8())}),
                                    {ids.Finish().ValueOrDie(), cats.Finish().ValueOrDie()});
    WriteFile(dir.path(), "part-" + std::to_string(f) + ".parquet", table);
  }
  MaintenanceResult result = Repartition(dir.path(), {"cat"}, std::nullopt, 16 << 20);
  EXPECT_EQ(result.rows_after, 50'000);
  EXPECT_LE(result.metrics.memory_peak_bytes, 16 << 20);
  int64_t rows = 0;
  for (const std::string& file : Files(dir.path())) rows += ReadFile(dir.path() + "/" + file)->num_rows();
  EXPECT_EQ(rows, 50'000);
}

TEST(RepartitionTest, DeduplicateAndRepartitionKeepsOneRowPerKeyOverTheDataset) {
  TempDir dir;
  // id 1 is in both folders: the last in dataset order (region=us) survives, unordered.
  WriteFile(dir.path(), "region=eu/a.parquet", Rows("[1, 2, 3]", R"(["x", "y", "x"])"));
  WriteFile(dir.path(), "region=us/b.parquet", Rows("[1, 4]", R"(["y", "x"])"));
  DeduplicateRepartitionOptions options;
  options.partition_columns = {"cat"};
  options.key_columns = std::vector<std::string>{"id"};
  ASSERT_OK_AND_ASSIGN(MaintenancePlan plan, PlanDeduplicateAndRepartition(Local(dir.path()), options));
  ASSERT_OK_AND_ASSIGN(MaintenanceResult result, ExecuteMaintenance(plan, Local(dir.path()), {}));
  ASSERT_TRUE(result.succeeded) << result.status.ToString();
  EXPECT_EQ(result.rows_after, 4);
  auto y = ReadFile(dir.path() + "/" + Files(dir.path())[1]);  // cat=y
  EXPECT_EQ(y->num_rows(), 2);
  EXPECT_EQ(y->GetColumnByName("region")->ToString(), "[\n  [\n    \"eu\",\n    \"us\"\n  ]\n]");
  EXPECT_EQ(testing::Column(dir.path()), (std::vector<int64_t>{3, 4, 2, 1}));  // cat=x then cat=y
}

TEST(RepartitionTest, UnknownColumnsAreRefused) {
  TempDir dir;
  WriteFile(dir.path(), "day=1/a.parquet", Rows("[1]", R"(["x"])"));
  RepartitionOptions options;
  options.partition_columns = {"nope"};
  auto plan = PlanRepartition(Local(dir.path()), options);
  ASSERT_RAISES(Invalid, plan.status());
  EXPECT_NE(plan.status().message().find("day (folders)"), std::string::npos);
  options.partition_columns = {};
  EXPECT_NE(PlanRepartition(Local(dir.path()), options).status().message().find("partition_columns cannot be empty"),
            std::string::npos);
  options.partition_columns = {"id", "cat", "day"};
  EXPECT_NE(PlanRepartition(Local(dir.path()), options).status().message().find("takes every column"),
            std::string::npos);
}

}  // namespace
}  // namespace fsspeckit::maintenance

namespace fsspeckit::maintenance {
namespace {

// (id, ts) with ts naive or in `zone`, seconds since the epoch.
std::shared_ptr<arrow::Table> Times(const std::string& ids, const std::string& seconds,
                                    const std::string& zone = "") {
  auto type = arrow::timestamp(arrow::TimeUnit::SECOND, zone);
  return arrow::Table::Make(arrow::schema({arrow::field("id", arrow::int64()), arrow::field("ts", type)}),
                            {testing::Json(arrow::int64(), ids), testing::Json(type, seconds)});
}

// 2024-12-31 23:30, 2025-01-01 00:30 (naive: New York wall clock), null.
constexpr const char* kNewYearSeconds = "[1735687800, 1735691400, null]";

RepartitionOptions ByYearMonth(const std::string& source = "auto") {
  RepartitionOptions options;
  options.partition_columns = {"y", "m"};
  options.derived_partition_columns = {{"y", "year", source, ""}, {"m", "month", source, ""}};
  options.partition_timezone = "America/New_York";
  return options;
}

TEST(DerivedPartitionTest, NaiveTimesAreWallClockTimesOfTheZone) {
  TempDir dir;
  WriteFile(dir.path(), "a.parquet", Times("[1, 2, 3]", kNewYearSeconds));
  ASSERT_OK_AND_ASSIGN(MaintenancePlan plan, PlanRepartition(testing::Local(dir.path()), ByYearMonth()));
  EXPECT_EQ(plan.derived_columns[0].source, "ts");  // "auto" resolved
  ASSERT_OK_AND_ASSIGN(MaintenancePlan back, MaintenancePlan::Deserialize(plan.Serialize()));
  EXPECT_EQ(back.partition_timezone, "America/New_York");
  ASSERT_OK_AND_ASSIGN(MaintenanceResult result, ExecuteMaintenance(back, testing::Local(dir.path()), {}));
  ASSERT_TRUE(result.succeeded) << result.status.ToString();
  std::vector<std::string> folders;
  for (const std::string& file : Files(dir.path())) folders.push_back(file.substr(0, file.rfind('/')));
  EXPECT_EQ(folders, (std::vector<std::string>{"y=2024/m=12", "y=2025/m=01",
                                               "y=__HIVE_DEFAULT_PARTITION__/m=__HIVE_DEFAULT_PARTITION__"}));
  // The timestamps stay in the files, as they were (Parquet keeps seconds as milliseconds).
  auto file = ReadFile(dir.path() + "/" + Files(dir.path())[1]);
  EXPECT_EQ(file->schema()->ToString(), "id: int64\nts: timestamp[ms]");
}

TEST(DerivedPartitionTest, ZonedTimesAreConvertedToTheZone) {
  TempDir dir;
  // 2025-01-01 04:30 UTC is 2024-12-31 23:30 in New York.
  WriteFile(dir.path(), "a.parquet", Times("[1]", "[1735705800]", "UTC"));
  RepartitionOptions options = ByYearMonth("ts");
  options.partition_columns = {"d"};
  options.derived_partition_columns = {{"d", "strftime", "ts", "%Y-%m-%d %H"}};
  ASSERT_OK_AND_ASSIGN(MaintenancePlan plan, PlanRepartition(testing::Local(dir.path()), options));
  ASSERT_OK_AND_ASSIGN(MaintenanceResult result, ExecuteMaintenance(plan, testing::Local(dir.path()), {}));
  ASSERT_TRUE(result.succeeded) << result.status.ToString();
  ASSERT_EQ(Files(dir.path()).size(), 1u);
  EXPECT_TRUE(Files(dir.path())[0].starts_with("d=2024-12-31%2023/")) << Files(dir.path())[0];
}

TEST(DerivedPartitionTest, BadDerivationsAreRefusedWhenPlanning) {
  TempDir dir;
  WriteFile(dir.path(), "a.parquet", Times("[1]", "[0]"));
  WriteFile(dir.path(), "b.parquet", Times("[2]", "[0]"));
  auto refused = [&](RepartitionOptions options, const std::string& expected) {
    auto plan = PlanRepartition(testing::Local(dir.path()), options);
    ASSERT_FALSE(plan.ok());
    EXPECT_TRUE(plan.status().IsInvalid());
    EXPECT_NE(plan.status().message().find(expected), std::string::npos) << plan.status().message();
  };
  RepartitionOptions options = ByYearMonth();
  options.partition_timezone = "Mars/Olympus";
  refused(options, "partition_timezone 'Mars/Olympus'");
  options = ByYearMonth();
  options.partition_columns = {"y"};
  refused(options, "partition_columns lacks 'm'");
  options = ByYearMonth();
  options.derived_partition_columns[0].function = "week";
  refused(options, "unknown function 'week'");
  options = ByYearMonth();
  options.derived_partition_columns[0].function = "strftime";
  refused(options, "'strftime' needs a format");
  options = ByYearMonth("id");
  refused(options, "the source 'id' is of type int64");
  options = ByYearMonth();
  options.partition_columns = {"id"};
  options.derived_partition_columns = {{"id", "year", "ts", ""}};
  refused(options, "the dataset has a column 'id' already");
  TempDir none;
  WriteFile(none.path(), "a.parquet", testing::IdNames(0, 3));
  auto plan = PlanRepartition(testing::Local(none.path()), ByYearMonth());
  ASSERT_FALSE(plan.ok());
  EXPECT_NE(plan.status().message().find(
                "Timestamp source 'auto' requires exactly one timestamp column; candidates: []"),
            std::string::npos)
      << plan.status().message();
  EXPECT_EQ(Files(dir.path()).size(), 2u);  // nothing written
}

}  // namespace
}  // namespace fsspeckit::maintenance
