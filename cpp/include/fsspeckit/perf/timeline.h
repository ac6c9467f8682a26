// fsspeckit: what memory did over an operation, in bounded space: samples, events, phases.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fsspeckit/memory/pressure.h"

namespace fsspeckit::perf {

/// One memory check. After downsampling a point stands for every check of one label
/// (phase or task) in its time bucket: the largest pool and RSS, the least available
/// memory and the worst level (so peaks are never lost), at the time and chunk size of
/// the pool's peak. Checks of different labels never join: a short task running beside
/// a larger one keeps its own point.
struct TimelineSample {
  int64_t time_ns = 0;  ///< since the monitor started
  int64_t pool_bytes = 0;
  std::optional<int64_t> rss_bytes;
  std::optional<int64_t> available_bytes;  ///< memory::SystemAvailableBytes
  memory::PressureLevel level = memory::PressureLevel::kNormal;
  int label = -1;  ///< index into Timeline::labels (phase or task); -1: none
  std::optional<int64_t> chunk_size_rows;

  bool MergesWith(const TimelineSample& other) const { return label == other.label; }
  void Absorb(const TimelineSample& other);
};

enum class TimelineEventKind : int {
  kCollection = 0,     ///< the collector hook ran (Python: gc.collect)
  kPoolRelease,        ///< MemoryPool::ReleaseUnused()
  kChunkHalved,        ///< the ladder halved the chunk size
  kChunkDoubled,       ///< the ladder doubled it back
  kEmergencyRecheck,   ///< an EMERGENCY reading re-read past the cache
};
inline constexpr int kNumTimelineEventKinds = 5;

/// "collection", "pool_release", "chunk_halved", "chunk_doubled", "emergency_recheck".
std::string_view TimelineEventName(TimelineEventKind kind);

/// A degradation step; after downsampling, `count` same-kind steps of one time bucket.
struct TimelineEvent {
  int64_t time_ns = 0;  ///< the first step's
  TimelineEventKind kind = TimelineEventKind::kCollection;
  int64_t count = 1;
  /// Chunk size after the (last) step for the chunk events; the level seen after the
  /// re-read for kEmergencyRecheck (memory::PressureLevel as int).
  int64_t value = 0;
  int label = -1;

  bool MergesWith(const TimelineEvent& other) const { return kind == other.kind; }
  void Absorb(const TimelineEvent& other);
};

/// A named phase (PerformanceMonitor::StartOp, or a task timed as a phase). After
/// downsampling, same-named spans of one time bucket are joined.
struct PhaseSpan {
  int64_t time_ns = 0;  ///< start
  int64_t end_ns = 0;
  int label = -1;

  bool MergesWith(const PhaseSpan& other) const { return label == other.label; }
  void Absorb(const PhaseSpan& other);
};

/// The recorded story, as PerformanceMetrics carries it.
struct Timeline {
  memory::MemoryLimits limits;       ///< the budgets the levels were judged against
  std::vector<std::string> labels;   ///< phase and task names, referenced by index
  std::vector<TimelineSample> samples;
  std::vector<TimelineEvent> events;
  std::vector<PhaseSpan> phases;
  int64_t checks = 0;                ///< memory checks recorded (samples before downsampling)
  int64_t sample_bucket_ns = 0;      ///< checks this close in time may share one sample

  std::string_view label(int index) const {
    return index >= 0 && index < static_cast<int>(labels.size()) ? std::string_view(labels[index])
                                                                 : std::string_view();
  }
};

/// A time series in at most `capacity` entries. Entries fall into time buckets of
/// bucket_ns; an entry joins an earlier entry of its bucket that MergesWith() it. When
/// the series outgrows its capacity the buckets double and entries are joined again, so
/// the whole operation stays covered at an even resolution (older entries are not
/// dropped) in bounded space; only entries that never join (different phases, say) are
/// dropped, oldest first, once a single bucket covers the whole run. T needs `int64_t time_ns`, MergesWith() and Absorb().
/// Times must not decrease from one Add() to the next. Not thread-safe.
template <typename T>
class BucketedSeries {
 public:
  BucketedSeries(size_t capacity, int64_t initial_bucket_ns)
      : capacity_(capacity < 2 ? 2 : capacity), bucket_ns_(initial_bucket_ns < 1 ? 1 : initial_bucket_ns) {}

  void Add(const T& item) {
    ++added_;
    if (Join(entries_, item, item.time_ns / bucket_ns_)) return;
    entries_.push_back({item.time_ns / bucket_ns_, item});
    while (entries_.size() > capacity_) {
      if (entries_.front().bucket == entries_.back().bucket) {
        // One bucket holds everything and still too many entries that never join (say,
        // hundreds of differently named phases): the oldest goes.
        entries_.erase(entries_.begin());
      } else {
        Coarsen();
      }
    }
  }
  /// In time order (entries of one bucket that never joined, say two concurrent tasks'
  /// samples, each sit at their own time).
  std::vector<T> items() const {
    std::vector<T> out;
    out.reserve(entries_.size());
    for (const Entry& entry : entries_) out.push_back(entry.item);
    std::stable_sort(out.begin(), out.end(), [](const T& a, const T& b) { return a.time_ns < b.time_ns; });
    return out;
  }
  /// The last entry added or joined into (nullptr when empty).
  T* last() { return entries_.empty() ? nullptr : &entries_.back().item; }
  int64_t added() const { return added_; }
  int64_t bucket_ns() const { return bucket_ns_; }
  size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    int64_t bucket;
    T item;
  };
  // Joins `item` into an entry of `bucket` at the end of `entries`, if one merges with it.
  static bool Join(std::vector<Entry>& entries, const T& item, int64_t bucket) {
    for (auto it = entries.rbegin(); it != entries.rend() && it->bucket == bucket; ++it) {
      if (it->item.MergesWith(item)) {
        it->item.Absorb(item);
        return true;
      }
    }
    return false;
  }
  void Coarsen() {
    bucket_ns_ *= 2;
    std::vector<Entry> joined;
    joined.reserve(entries_.size());
    for (Entry& entry : entries_) {
      const int64_t bucket = entry.bucket / 2;
      if (!Join(joined, entry.item, bucket)) joined.push_back({bucket, std::move(entry.item)});
    }
    entries_ = std::move(joined);
  }

  const size_t capacity_;
  int64_t bucket_ns_;
  int64_t added_ = 0;
  std::vector<Entry> entries_;
};

}  // namespace fsspeckit::perf
