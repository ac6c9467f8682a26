// fsspeckit: bindings for fsspeckit.datasets.pyarrow.dataset.PerformanceMonitor.
#include <memory>

#include <nanobind/nanobind.h>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/unique_ptr.h>

#include "errors.h"
#include "fsspeckit/perf/html_report.h"
#include "fsspeckit/perf/performance_monitor.h"
#include "init.h"
#include "memory_convert.h"
#include "perf.h"

namespace nb = nanobind;

namespace fsspeckit::python {

using perf::PerformanceMonitor;

namespace {

std::unique_ptr<PerformanceMonitor> MakePerformanceMonitor(
    double max_pyarrow_mb, std::optional<double> max_process_memory_mb,
    double min_system_available_mb) {
  memory::MemoryMonitorOptions options;
  options.limits = LimitsFromMb(max_pyarrow_mb, max_process_memory_mb, min_system_available_mb);
  std::shared_ptr<memory::MemoryMonitor> monitor =
      ValueOrThrow(memory::MemoryMonitor::Make(std::move(options)));
  return PerformanceMonitor::Make(std::move(monitor));
}

nb::dict Breakdown(const std::vector<std::pair<std::string, double>>& seconds) {
  nb::dict breakdown;
  for (const auto& [name, sec] : seconds) breakdown[nb::str(name.c_str())] = sec;
  return breakdown;
}

nb::object OptionalMb(const std::optional<int64_t>& bytes) {
  return bytes ? nb::object(nb::float_(BytesToMb(*bytes))) : nb::none();
}

nb::object Label(const perf::Timeline& timeline, int label) {
  std::string_view name = timeline.label(label);
  return name.empty() ? nb::none() : nb::object(nb::str(name.data(), name.size()));
}

nb::str LevelName(memory::PressureLevel level) {
  std::string_view name = memory::PressureLevelName(level);
  return nb::str(name.data(), name.size());
}

// The timeline as plain Python data: samples as columns (ready for plotting), events and
// phases as lists of dicts, the budgets in MiB.
nb::dict TimelineDict(const perf::Timeline& t) {
  nb::list time_sec, pool_mb, rss_mb, available_mb, level, phase, chunk_size_rows;
  for (const perf::TimelineSample& s : t.samples) {
    time_sec.append(static_cast<double>(s.time_ns) / 1e9);
    pool_mb.append(BytesToMb(s.pool_bytes));
    rss_mb.append(OptionalMb(s.rss_bytes));
    available_mb.append(OptionalMb(s.available_bytes));
    level.append(LevelName(s.level));
    phase.append(Label(t, s.label));
    chunk_size_rows.append(s.chunk_size_rows ? nb::object(nb::int_(*s.chunk_size_rows)) : nb::none());
  }
  nb::dict samples;
  samples["time_sec"] = time_sec;
  samples["pool_mb"] = pool_mb;
  samples["rss_mb"] = rss_mb;
  samples["available_mb"] = available_mb;
  samples["level"] = level;
  samples["phase"] = phase;
  samples["chunk_size_rows"] = chunk_size_rows;
  nb::list events;
  for (const perf::TimelineEvent& e : t.events) {
    nb::dict event;
    event["time_sec"] = static_cast<double>(e.time_ns) / 1e9;
    std::string_view kind = perf::TimelineEventName(e.kind);
    event["kind"] = nb::str(kind.data(), kind.size());
    event["count"] = e.count;
    if (e.kind == perf::TimelineEventKind::kEmergencyRecheck) {
      event["level_after"] = LevelName(static_cast<memory::PressureLevel>(e.value));
    } else if (e.kind == perf::TimelineEventKind::kChunkHalved ||
               e.kind == perf::TimelineEventKind::kChunkDoubled) {
      event["chunk_size_rows"] = e.value;
    }
    event["phase"] = Label(t, e.label);
    events.append(event);
  }
  nb::list phases;
  for (const perf::PhaseSpan& p : t.phases) {
    nb::dict span;
    span["name"] = Label(t, p.label);
    span["start_sec"] = static_cast<double>(p.time_ns) / 1e9;
    span["end_sec"] = static_cast<double>(p.end_ns) / 1e9;
    phases.append(span);
  }
  nb::dict limits;
  limits["max_pyarrow_mb"] = BytesToMb(t.limits.max_pool_bytes);
  limits["max_process_memory_mb"] = OptionalMb(t.limits.max_rss_bytes);
  limits["min_system_available_mb"] = BytesToMb(t.limits.min_system_available_bytes);
  nb::dict d;
  d["samples"] = samples;
  d["events"] = events;
  d["phases"] = phases;
  d["limits"] = limits;
  d["checks"] = t.checks;
  d["sample_bucket_sec"] = static_cast<double>(t.sample_bucket_ns) / 1e9;
  return d;
}

// A read-write int attribute backed by one field of PerformanceMonitor::Counters.
template <int64_t PerformanceMonitor::Counters::*Field>
void CounterProperty(nb::class_<PerformanceMonitor>& cls, const char* name) {
  cls.def_prop_rw(
      name, [](PerformanceMonitor& self) { return self.counters().*Field; },
      [](PerformanceMonitor& self, int64_t value) {
        PerformanceMonitor::Counters counters = self.counters();
        counters.*Field = value;
        self.set_counters(counters);
      });
}

}  // namespace

nb::dict MetricsDict(const perf::PerformanceMetrics& m) {
  nb::dict d;
  d["total_process_time_sec"] = m.total_process_time_sec;
  d["memory_peak_mb"] = BytesToMb(m.memory_peak_bytes);
  d["process_memory_peak_mb"] = BytesToMb(m.process_memory_peak_bytes);
  d["throughput_mb_sec"] = m.throughput_bytes_per_sec / static_cast<double>(memory::kBytesInMiB);
  d["rows_per_sec"] = m.rows_per_sec;
  d["files_processed"] = m.files_processed;
  d["chunks_processed"] = m.chunks_processed;
  d["dedup_efficiency"] = m.dedup_efficiency;
  d["operation_breakdown"] = Breakdown(m.operation_breakdown_sec);
  nb::dict pressure;
  for (int level = 0; level < memory::kNumPressureLevels; ++level) {
    std::string_view name = memory::PressureLevelName(static_cast<memory::PressureLevel>(level));
    pressure[nb::str(name.data(), name.size())] = m.pressure_counts[level];
  }
  d["memory_pressure_stats"] = pressure;
  if (m.system_available_bytes) d["system_available_mb"] = BytesToMb(*m.system_available_bytes);
  nb::dict degradation;
  degradation["collections"] = m.degradation.collections;
  degradation["pool_releases"] = m.degradation.pool_releases;
  degradation["chunk_size_reductions"] = m.degradation.chunk_size_reductions;
  degradation["smallest_chunk_size_rows"] =
      m.degradation.smallest_chunk_size_rows ? nb::object(nb::int_(*m.degradation.smallest_chunk_size_rows))
                                             : nb::none();
  d["degradation"] = degradation;
  d["timeline"] = TimelineDict(m.timeline);
  return d;
}

void InitPerf(nb::module_& m) {
  nb::class_<PerformanceMonitor> cls(
      m, "PerformanceMonitor",
      "Times named operations and samples memory: peaks, pressure statistics, "
      "degradation counts.");
  cls.def(nb::new_(&MakePerformanceMonitor),
          nb::arg("max_pyarrow_mb") = LimitMb(memory::kDefaultMaxPoolBytes),
          nb::arg("max_process_memory_mb").none() = nb::none(),
          nb::arg("min_system_available_mb") = LimitMb(memory::kDefaultMinSystemAvailableBytes))
      .def("start_op", &PerformanceMonitor::StartOp, nb::arg("name"),
           "Ends the open operation, if any, and starts timing `name`.")
      .def("end_op", &PerformanceMonitor::EndOp, "Ends the open operation.")
      .def("track_memory", &PerformanceMonitor::TrackMemory,
           "Samples memory: updates the peaks, counts the pressure level (at most every 100 ms).")
      .def(
          "get_memory_status",
          [](PerformanceMonitor& self) { return StatusDict(self.memory_monitor().Snapshot()); })
      .def(
          "get_metrics",
          [](PerformanceMonitor& self, int64_t total_rows_before, int64_t total_rows_after,
             int64_t total_bytes) {
            return MetricsDict(self.Metrics(total_rows_before, total_rows_after, total_bytes));
          },
          nb::arg("total_rows_before"), nb::arg("total_rows_after"), nb::arg("total_bytes"))
      .def(
          "write_report",
          [](PerformanceMonitor& self, const std::string& path, const std::string& title) {
            perf::ReportContent content{title, {}, self.Metrics(0, 0, 0)};
            ThrowIfError(perf::WriteHtmlReport(content, path));
          },
          nb::arg("path"), nb::arg("title") = "fsspeckit: memory over time",
          "Writes a self-contained HTML report: memory over time against the budgets, "
          "phases, degradation steps, peaks.")
      .def(
          "plot",
          [](PerformanceMonitor& self) {
            nb::object timeline = MetricsDict(self.Metrics(0, 0, 0))["timeline"];
            return nb::module_::import_("fsspeckit.core.timeline_plot").attr("plot_timeline")(timeline);
          },
          "The timeline as a matplotlib Figure (needs the 'plot' extra: pip install "
          "'fsspeckit[plot]').")
      .def_prop_ro("current_op", &PerformanceMonitor::current_op)
      .def_prop_ro("memory_peak_mb",
                   [](PerformanceMonitor& self) { return BytesToMb(self.memory_peak_bytes()); })
      .def_prop_ro("process_memory_peak_mb", [](PerformanceMonitor& self) {
        return BytesToMb(self.process_memory_peak_bytes());
      });
  CounterProperty<&PerformanceMonitor::Counters::files_processed>(cls, "files_processed");
  CounterProperty<&PerformanceMonitor::Counters::chunks_processed>(cls, "chunks_processed");
  CounterProperty<&PerformanceMonitor::Counters::total_rows_processed>(cls, "total_rows_processed");
  CounterProperty<&PerformanceMonitor::Counters::total_bytes_processed>(cls, "total_bytes_processed");
}

}  // namespace fsspeckit::python
