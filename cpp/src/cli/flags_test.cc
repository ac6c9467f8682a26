#include "cli/flags_internal.h"

#include <sstream>

#include <gtest/gtest.h>

#include "fsspeckit/memory/budget.h"

namespace fsspeckit::cli {
namespace {

TEST(FlagsTest, EveryCommandSpellsTheMemoryAndCommitFlagsAlike) {
  memory::MemoryLimits limits;
  io::CommitOptions commit;
  std::optional<int64_t> rows;
  std::vector<Flag> flags = MemoryFlags(limits);
  for (Flag flag : CommitFlags(commit)) flags.push_back(flag);
  flags.push_back(CountFlag("--rows", rows));
  std::vector<std::string> positional;
  std::ostringstream err;
  EXPECT_EQ(ParseFlags("x", {"a", "--max-memory", "64MiB", "--max-process", "1", "--min-available",
                             "0", "--single-writer", "--durable", "b", "--rows", "7"},
                       flags, positional, err),
            ParseOutcome::kRun);
  EXPECT_EQ(limits.max_pool_bytes, int64_t{64} << 20);
  EXPECT_EQ(limits.max_rss_bytes, int64_t{1} << 20);
  EXPECT_EQ(limits.min_system_available_bytes, 0);
  EXPECT_TRUE(commit.single_writer && commit.durable);
  EXPECT_EQ(rows, 7);
  EXPECT_EQ(positional, (std::vector<std::string>{"a", "b"}));
  // The old name of --max-memory still works.
  EXPECT_EQ(ParseFlags("x", {"--max-pyarrow", "2GiB"}, flags, positional, err), ParseOutcome::kRun);
  EXPECT_EQ(limits.max_pool_bytes, int64_t{2} << 30);
}

TEST(FlagsTest, BadInputNamesTheFlag) {
  memory::MemoryLimits limits;
  std::optional<int64_t> rows;
  std::vector<Flag> flags = MemoryFlags(limits);
  flags.push_back(CountFlag("--rows", rows));
  std::vector<std::string> positional;
  auto parse = [&](std::vector<std::string> args) {
    std::ostringstream err;
    ParseOutcome outcome = ParseFlags("merge", args, flags, positional, err);
    return std::make_pair(outcome, err.str());
  };
  auto [bad_size, size_err] = parse({"--max-memory", "lots"});
  EXPECT_EQ(bad_size, ParseOutcome::kUsageError);
  EXPECT_EQ(size_err.rfind("fsspeckit merge: --max-memory: not a size: 'lots'", 0), 0u) << size_err;
  auto [bad_count, count_err] = parse({"--rows", "-3"});
  EXPECT_EQ(bad_count, ParseOutcome::kUsageError);
  EXPECT_EQ(count_err, "fsspeckit merge: --rows takes a positive whole number, got '-3'\n");
  auto [missing, missing_err] = parse({"--rows"});
  EXPECT_EQ(missing_err, "fsspeckit merge: --rows needs a value\n");
  auto [unknown, unknown_err] = parse({"--bogus"});
  EXPECT_EQ(unknown_err, "fsspeckit merge: unknown option '--bogus'\n");
  EXPECT_EQ(parse({"x", "-h"}).first, ParseOutcome::kHelp);
}

TEST(FlagsTest, BudgetErrorsNameTheCliFlags) {
  auto budget = memory::Budget::Make({0, std::nullopt, 0});
  EXPECT_EQ(CliMessage(budget.status()),
            "--max-memory must be positive: give the Arrow memory budget in MiB, got 0");
}

}  // namespace
}  // namespace fsspeckit::cli
