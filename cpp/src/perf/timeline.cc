// fsspeckit: what memory did over an operation, in bounded space: samples, events, phases.
#include "fsspeckit/perf/timeline.h"

#include <algorithm>

namespace fsspeckit::perf {

void TimelineSample::Absorb(const TimelineSample& other) {
  if (other.pool_bytes > pool_bytes) {  // the point sits where the pool peaked
    time_ns = other.time_ns;
    chunk_size_rows = other.chunk_size_rows;
  }
  pool_bytes = std::max(pool_bytes, other.pool_bytes);
  if (other.rss_bytes) rss_bytes = std::max(rss_bytes.value_or(0), *other.rss_bytes);
  if (other.available_bytes) {
    available_bytes = available_bytes ? std::min(*available_bytes, *other.available_bytes)
                                      : *other.available_bytes;
  }
  level = memory::MaxPressure(level, other.level);
}

void TimelineEvent::Absorb(const TimelineEvent& other) {
  count += other.count;
  value = kind == TimelineEventKind::kEmergencyRecheck ? std::max(value, other.value) : other.value;
}

void PhaseSpan::Absorb(const PhaseSpan& other) {
  time_ns = std::min(time_ns, other.time_ns);
  end_ns = std::max(end_ns, other.end_ns);
}

std::string_view TimelineEventName(TimelineEventKind kind) {
  switch (kind) {
    case TimelineEventKind::kCollection:
      return "collection";
    case TimelineEventKind::kPoolRelease:
      return "pool_release";
    case TimelineEventKind::kChunkHalved:
      return "chunk_halved";
    case TimelineEventKind::kChunkDoubled:
      return "chunk_doubled";
    case TimelineEventKind::kEmergencyRecheck:
      return "emergency_recheck";
  }
  return "unknown";
}

}  // namespace fsspeckit::perf
