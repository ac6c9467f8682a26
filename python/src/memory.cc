// fsspeckit: bindings for fsspeckit.datasets.pyarrow.memory.
#include <cmath>
#include <limits>
#include <memory>

#include <nanobind/nanobind.h>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/shared_ptr.h>
#include <nanobind/stl/string.h>

#include "errors.h"
#include "fsspeckit/memory/memory_monitor.h"
#include "init.h"
#include "memory_convert.h"

namespace nb = nanobind;

namespace fsspeckit::python {

using memory::MemoryMonitor;
using memory::PressureLevel;

int64_t MbToBytes(double mb) {
  // 2^43 MiB is 2^63 bytes: a size beyond int64 saturates instead of overflowing (a
  // budget larger than any machine is no limit; a hugely negative one stays negative).
  constexpr double kLimitMb = 8796093022208.0;
  if (mb >= kLimitMb) return std::numeric_limits<int64_t>::max();
  if (mb <= -kLimitMb || std::isnan(mb)) return std::numeric_limits<int64_t>::min();
  return static_cast<int64_t>(mb * static_cast<double>(memory::kBytesInMiB));
}

double BytesToMb(int64_t bytes) {
  return static_cast<double>(bytes) / static_cast<double>(memory::kBytesInMiB);
}

nb::object LimitMb(int64_t bytes) {
  if (bytes % memory::kBytesInMiB == 0) return nb::int_(bytes / memory::kBytesInMiB);
  return nb::float_(BytesToMb(bytes));
}

namespace {

std::shared_ptr<MemoryMonitor> MakeMonitor(double max_pyarrow_mb,
                                           std::optional<double> max_process_memory_mb,
                                           double min_system_available_mb,
                                           int64_t cache_ttl_ms) {
  memory::MemoryMonitorOptions options;
  options.limits = LimitsFromMb(max_pyarrow_mb, max_process_memory_mb, min_system_available_mb);
  options.cache_ttl_ms = cache_ttl_ms;
  return ValueOrThrow(MemoryMonitor::Make(std::move(options)));
}

}  // namespace

namespace {

int64_t LimitBytes(double mb, const std::string& name) {
  if (std::isnan(mb)) throw nb::value_error((name + " must be a number of MiB, got nan").c_str());
  return MbToBytes(mb);
}

}  // namespace

memory::MemoryLimits LimitsFromMb(double max_pyarrow_mb, std::optional<double> max_process_memory_mb,
                                  double min_system_available_mb, const memory::LimitSpelling& names) {
  memory::MemoryLimits limits;
  limits.max_pool_bytes = LimitBytes(max_pyarrow_mb, names.pool);
  if (max_process_memory_mb) limits.max_rss_bytes = LimitBytes(*max_process_memory_mb, names.rss);
  limits.min_system_available_bytes = LimitBytes(min_system_available_mb, names.system);
  return limits;
}

// The keys of get_memory_status(), made once and interned: it runs in hot loops, and
// keys built per call (new strs, hashed) cost microseconds when the CPU caches are cold.
// Deliberately never freed: they must outlive the interpreter's teardown.
struct StatusKeys {
  static nb::handle Intern(const char* name) { return nb::handle(PyUnicode_InternFromString(name)); }
  nb::handle pool = Intern("pyarrow_allocated_mb"), rss = Intern("process_rss_mb"),
             available = Intern("system_available_mb"), host = Intern("host_available_mb"),
             cgroup_usage = Intern("cgroup_usage_mb"), cgroup_limit = Intern("cgroup_limit_mb"),
             psi_some = Intern("psi_some_avg10"), psi_full = Intern("psi_full_avg10");
};

nb::dict StatusDict(const memory::MemorySnapshot& snapshot) {
  static const StatusKeys* keys = new StatusKeys();  // first call holds the GIL
  nb::dict status;
  status[keys->pool] = BytesToMb(snapshot.pool_bytes);
  const memory::SystemReadings& system = snapshot.system;
  if (system.rss_bytes) status[keys->rss] = BytesToMb(*system.rss_bytes);
  if (auto available = memory::SystemAvailableBytes(system)) {
    status[keys->available] = BytesToMb(*available);
  }
  if (system.mem_available_bytes) {
    status[keys->host] = BytesToMb(*system.mem_available_bytes);
  }
  if (system.cgroup) {
    status[keys->cgroup_usage] = BytesToMb(system.cgroup->usage_bytes);
    if (system.cgroup->limit_bytes) {
      status[keys->cgroup_limit] = BytesToMb(*system.cgroup->limit_bytes);
    }
  }
  if (system.psi) {
    status[keys->psi_some] = system.psi->some_avg10;
    status[keys->psi_full] = system.psi->full_avg10;
  }
  return status;
}

void InitMemory(nb::module_& m) {
  m.attr("BYTES_IN_MB") = memory::kBytesInMiB;
  m.def("bytes_to_mb", &BytesToMb, nb::arg("bytes"), "bytes / 2**20 (MiB, as a float).");
  m.def("mb_to_bytes", &MbToBytes, nb::arg("mb"), "int(mb * 2**20).");

  nb::enum_<PressureLevel>(m, "MemoryPressureLevel", nb::is_str(),
                           "Memory pressure, from least to most severe.")
      .str_value("NORMAL", PressureLevel::kNormal, "normal", "Below 70% of every budget.")
      .str_value("WARNING", PressureLevel::kWarning, "warning", "Above 70% of a budget.")
      .str_value("CRITICAL", PressureLevel::kCritical, "critical", "Above 90% of a budget.")
      .str_value("EMERGENCY", PressureLevel::kEmergency, "emergency",
                 "At or over a budget, or below the system minimum.");

  m.def("max_pressure", &memory::MaxPressure, nb::arg("p1"), nb::arg("p2"),
        "The more severe of two levels.");

  nb::class_<MemoryMonitor>(m, "MemoryMonitor",
                            "Watches the Arrow pool, process RSS and system/container "
                            "headroom; readings of the OS are cached for cache_ttl_ms.")
      .def(nb::new_(&MakeMonitor), nb::arg("max_pyarrow_mb") = LimitMb(memory::kDefaultMaxPoolBytes),
           nb::arg("max_process_memory_mb").none() = nb::none(),
           nb::arg("min_system_available_mb") = LimitMb(memory::kDefaultMinSystemAvailableBytes),
           nb::kw_only(),
           nb::arg("cache_ttl_ms") = memory::kDefaultCacheTtlMs)
      .def_prop_rw(
          "max_pyarrow_mb", [](MemoryMonitor& self) { return LimitMb(self.limits().max_pool_bytes); },
          [](MemoryMonitor& self, double mb) {
            memory::MemoryLimits limits = self.limits();
            limits.max_pool_bytes = MbToBytes(mb);
            ThrowIfError(self.SetLimits(limits));
          })
      .def_prop_rw(
          "max_process_memory_mb",
          [](MemoryMonitor& self) -> nb::object {
            std::optional<int64_t> bytes = self.limits().max_rss_bytes;
            return bytes ? LimitMb(*bytes) : nb::none();
          },
          [](MemoryMonitor& self, std::optional<double> mb) {
            memory::MemoryLimits limits = self.limits();
            limits.max_rss_bytes.reset();
            if (mb) limits.max_rss_bytes = MbToBytes(*mb);
            ThrowIfError(self.SetLimits(limits));
          },
          nb::arg("value").none())
      .def_prop_rw(
          "min_system_available_mb",
          [](MemoryMonitor& self) { return LimitMb(self.limits().min_system_available_bytes); },
          [](MemoryMonitor& self, double mb) {
            memory::MemoryLimits limits = self.limits();
            limits.min_system_available_bytes = MbToBytes(mb);
            ThrowIfError(self.SetLimits(limits));
          })
      .def_prop_ro("cache_ttl_ms", &MemoryMonitor::cache_ttl_ms)
      .def(
          "get_memory_status", [](MemoryMonitor& self) { return StatusDict(self.Snapshot()); },
          "Current readings in MiB; keys are present only where the platform gives them.")
      .def("check_memory_pressure", &MemoryMonitor::CheckPressure,
           "The current level; logs a warning with the detailed status when not normal.")
      .def(
          "should_check_memory",
          [](MemoryMonitor&, int64_t chunks_processed, int64_t check_interval) {
            return ValueOrThrow(MemoryMonitor::ShouldCheck(chunks_processed, check_interval));
          },
          nb::arg("chunks_processed"), nb::arg("check_interval") = 10,
          "chunks_processed % check_interval == 0.")
      .def(
          "get_detailed_status",
          [](MemoryMonitor& self) { return self.DetailedStatus(self.Snapshot()); },
          "'PyArrow: x/y MB | Process RSS: ... | System Available: ...'")
      .def("__repr__", [](MemoryMonitor& self) {
        memory::MemoryLimits limits = self.limits();
        std::string rss = limits.max_rss_bytes
                              ? nb::cast<std::string>(nb::repr(LimitMb(*limits.max_rss_bytes)))
                              : "None";
        return "MemoryMonitor(max_pyarrow_mb=" +
               nb::cast<std::string>(nb::repr(LimitMb(limits.max_pool_bytes))) +
               ", max_process_memory_mb=" + rss + ", min_system_available_mb=" +
               nb::cast<std::string>(nb::repr(LimitMb(limits.min_system_available_bytes))) +
               ")";
      });
}

}  // namespace fsspeckit::python
