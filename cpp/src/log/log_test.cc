#include "fsspeckit/log/log.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace fsspeckit::log {
namespace {

TEST(LogTest, CustomSinkReceivesMessagesAndResetRestoresDefault) {
  std::vector<std::pair<LogLevel, std::string>> seen;
  SetLogSink([&](LogLevel level, std::string_view message) {
    seen.emplace_back(level, std::string(message));
  });
  Log(LogLevel::kDebug, "quiet");
  Log(LogLevel::kWarning, "loud");
  SetLogSink(nullptr);
  Log(LogLevel::kDebug, "after reset");  // default sink: dropped, not recorded
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].first, LogLevel::kDebug);
  EXPECT_EQ(seen[0].second, "quiet");
  EXPECT_EQ(seen[1].first, LogLevel::kWarning);
  EXPECT_EQ(seen[1].second, "loud");
}

TEST(LogTest, DefaultSinkWritesWarningsToStderr) {
  SetLogSink(nullptr);
  testing::internal::CaptureStderr();
  Log(LogLevel::kInfo, "not shown");
  Log(LogLevel::kWarning, "shown");
  std::string err = testing::internal::GetCapturedStderr();
  EXPECT_EQ(err, "fsspeckit: warning: shown\n");
}

}  // namespace
}  // namespace fsspeckit::log
