#include "fsspeckit/perf/timeline.h"

#include <gtest/gtest.h>

namespace fsspeckit::perf {
namespace {

using memory::PressureLevel;

TimelineSample Sample(int64_t time_ns, int64_t pool_bytes) {
  TimelineSample s;
  s.time_ns = time_ns;
  s.pool_bytes = pool_bytes;
  s.rss_bytes = 1000 + pool_bytes;
  s.available_bytes = 1'000'000 - pool_bytes;
  return s;
}

TEST(BucketedSeriesTest, LongRunStaysBoundedMonotonicAndKeepsThePeaks) {
  BucketedSeries<TimelineSample> series(64, 1000);
  const int64_t kChecks = 200'000;
  const int64_t kPeakAt = 123'457;
  for (int64_t i = 0; i < kChecks; ++i) {
    TimelineSample s = Sample(i * 700, i == kPeakAt ? 90'000 : (i * 7919) % 5000);
    if (i == kPeakAt) {
      s.level = PressureLevel::kCritical;
      s.label = 7;
    }
    series.Add(s);
    ASSERT_LE(series.size(), 64u);
  }
  std::vector<TimelineSample> items = series.items();
  EXPECT_EQ(series.added(), kChecks);
  EXPECT_GE(items.size(), 16u);  // coarsening halves at most: the run stays drawn
  int64_t max_pool = 0, max_rss = 0, min_available = INT64_MAX;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) {
      EXPECT_LT(items[i - 1].time_ns, items[i].time_ns);
    }
    max_pool = std::max(max_pool, items[i].pool_bytes);
    max_rss = std::max(max_rss, *items[i].rss_bytes);
    min_available = std::min(min_available, *items[i].available_bytes);
    if (items[i].pool_bytes == 90'000) {
      EXPECT_EQ(items[i].time_ns, kPeakAt * 700);  // drawn where the peak happened
      EXPECT_EQ(items[i].label, 7);
      EXPECT_EQ(items[i].level, PressureLevel::kCritical);
    }
  }
  EXPECT_EQ(max_pool, 90'000);
  EXPECT_EQ(max_rss, 91'000);
  EXPECT_EQ(min_available, 910'000);
  // The whole run stays covered, its start as well as its end.
  EXPECT_LT(items.front().time_ns, kChecks * 700 / 16);
  EXPECT_GT(items.back().time_ns, kChecks * 700 - kChecks * 700 / 16);
}

TEST(BucketedSeriesTest, SamplesOfConcurrentTasksKeepTheirOwnPoints) {
  // A short task beside a larger one, all within one bucket: before, the short task's
  // point was absorbed into the larger one's peak and its label was lost.
  BucketedSeries<TimelineSample> series(64, 1'000'000);
  for (int i = 0; i < 10; ++i) {
    TimelineSample big = Sample(i * 20, 50'000 + i);
    big.label = 1;
    series.Add(big);
    if (i == 4) {
      TimelineSample small = Sample(i * 20 + 5, 10);
      small.label = 2;
      series.Add(small);
    }
  }
  std::vector<TimelineSample> items = series.items();
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0].label, 2);  // time order: the small task's check came first
  EXPECT_EQ(items[0].pool_bytes, 10);
  EXPECT_EQ(items[1].label, 1);
  EXPECT_EQ(items[1].pool_bytes, 50'009);
  EXPECT_EQ(items[1].time_ns, 180);
}

TEST(BucketedSeriesTest, EventsJoinOnlyWithTheirOwnKind) {
  BucketedSeries<TimelineEvent> series(4, 10);
  auto event = [](int64_t t, TimelineEventKind kind, int64_t value) {
    TimelineEvent e;
    e.time_ns = t;
    e.kind = kind;
    e.value = value;
    return e;
  };
  series.Add(event(1, TimelineEventKind::kPoolRelease, 0));
  series.Add(event(2, TimelineEventKind::kChunkHalved, 500));
  series.Add(event(3, TimelineEventKind::kPoolRelease, 0));  // same bucket: joins the first
  series.Add(event(4, TimelineEventKind::kChunkHalved, 250));
  std::vector<TimelineEvent> items = series.items();
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0].kind, TimelineEventKind::kPoolRelease);
  EXPECT_EQ(items[0].count, 2);
  EXPECT_EQ(items[0].time_ns, 1);
  EXPECT_EQ(items[1].count, 2);
  EXPECT_EQ(items[1].value, 250);  // the chunk size after the last halving
  for (int i = 0; i < 100; ++i) series.Add(event(100 + 50 * i, TimelineEventKind::kCollection, 0));
  EXPECT_LE(series.size(), 4u);
  int64_t total = 0;
  for (const TimelineEvent& e : series.items()) total += e.count;
  EXPECT_EQ(total, 104);  // joined, never dropped
}

TEST(BucketedSeriesTest, EntriesThatNeverJoinStayBoundedNewestKept) {
  BucketedSeries<PhaseSpan> series(8, 10);
  for (int i = 0; i < 1000; ++i) series.Add({int64_t{i} * 100, int64_t{i} * 100 + 50, i});  // all different
  ASSERT_LE(series.size(), 8u);
  EXPECT_EQ(series.items().back().label, 999);
}

}  // namespace
}  // namespace fsspeckit::perf
