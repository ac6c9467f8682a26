// fsspeckit: `fsspeckit status`, memory readings and pressure as a person reads them.
#include "status_command_internal.h"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <thread>

#include <arrow/memory_pool.h>

#include "fsspeckit/cli/byte_size.h"
#include "fsspeckit/memory/memory_monitor.h"
#include "fsspeckit/perf/html_report.h"

namespace fsspeckit::cli {
namespace {

using memory::MemoryLimits;
using memory::MemorySnapshot;
using memory::PressureLevel;

struct StatusOptions {
  MemoryLimits limits;
  double watch_seconds = 0;  // 0: one report
  int64_t count = 0;         // 0: until interrupted
  std::string report_path;   // empty: no report
};

std::string Upper(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

std::string Percent(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%.0f%%", value * 100);
  return buffer;
}

std::string Pad(std::string text, size_t width) {
  if (text.size() < width) text.append(width - text.size(), ' ');
  return text;
}

std::string LevelTag(PressureLevel level) {
  return level == PressureLevel::kNormal ? "ok" : Upper(memory::PressureLevelName(level));
}

void PrintReport(const MemorySnapshot& s, PressureLevel level, const MemoryLimits& limits,
                 std::ostream& out) {
  out << "fsspeckit memory status: " << Upper(memory::PressureLevelName(level)) << "\n";
  out << "  " << Pad("Arrow pool", 18)
      << Pad(FormatBytes(s.pool_bytes) + " of " + FormatBytes(limits.max_pool_bytes) +
                 " budget (" +
                 Percent(double(s.pool_bytes) / double(limits.max_pool_bytes)) + ")",
             46)
      << LevelTag(memory::UsageLevel(s.pool_bytes, limits.max_pool_bytes)) << "  ["
      << arrow::default_memory_pool()->backend_name() << "]\n";

  out << "  " << Pad("Process RSS", 18);
  if (!s.system.rss_bytes) {
    out << "unknown on this platform\n";
  } else if (limits.max_rss_bytes && *limits.max_rss_bytes > 0) {
    out << Pad(FormatBytes(*s.system.rss_bytes) + " of " + FormatBytes(*limits.max_rss_bytes) +
                   " budget (" +
                   Percent(double(*s.system.rss_bytes) / double(*limits.max_rss_bytes)) + ")",
               46)
        << LevelTag(memory::UsageLevel(*s.system.rss_bytes, *limits.max_rss_bytes)) << "\n";
  } else {
    out << FormatBytes(*s.system.rss_bytes) << " (no budget)\n";
  }

  out << "  " << Pad("System available", 18);
  std::optional<int64_t> available = memory::SystemAvailableBytes(s.system);
  if (!available) {
    out << "unknown on this platform (system check off)\n";
  } else if (limits.min_system_available_bytes > 0) {
    out << Pad(FormatBytes(*available) + " (keep " +
                   FormatBytes(limits.min_system_available_bytes) + " free)",
               46)
        << LevelTag(memory::HeadroomLevel(*available, limits.min_system_available_bytes))
        << "\n";
  } else {
    out << FormatBytes(*available) << " (no minimum)\n";
  }
  if (s.system.mem_available_bytes) {
    out << "    " << Pad("MemAvailable", 16) << FormatBytes(*s.system.mem_available_bytes)
        << " (host or VM)\n";
  }
  if (const auto& cg = s.system.cgroup) {
    out << "    " << Pad("cgroup v" + std::to_string(cg->version), 16) << cg->path << ": "
        << FormatBytes(cg->usage_bytes) << " used";
    if (cg->limit_bytes) {
      out << " of " << FormatBytes(*cg->limit_bytes) << " limit, "
          << FormatBytes(cg->reclaimable_bytes) << " reclaimable cache";
    } else {
      out << ", no limit";
    }
    out << "\n";
  }
  if (const auto& psi = s.system.psi) {
    char buffer[96];
    std::snprintf(buffer, sizeof(buffer), "some %.2f%%, full %.2f%% of the last 10 s",
                  psi->some_avg10, psi->full_avg10);
    out << "  " << Pad("Memory stalls", 18) << buffer << " (PSI)\n";
  }
}

void PrintLine(const MemorySnapshot& s, PressureLevel level, const MemoryLimits& limits,
               std::ostream& out) {
  std::time_t now = std::time(nullptr);
  char clock[16];
  std::strftime(clock, sizeof(clock), "%H:%M:%S", std::localtime(&now));
  out << clock << "  " << Pad(Upper(memory::PressureLevelName(level)), 9)
      << " pool " << FormatBytes(s.pool_bytes) << "/" << FormatBytes(limits.max_pool_bytes);
  if (s.system.rss_bytes) out << "  rss " << FormatBytes(*s.system.rss_bytes);
  if (auto available = memory::SystemAvailableBytes(s.system)) {
    out << "  available " << FormatBytes(*available);
  }
  if (s.system.psi) {
    char buffer[32];
    std::snprintf(buffer, sizeof(buffer), "  psi %.2f%%", s.system.psi->some_avg10);
    out << buffer;
  }
  out << std::endl;  // flush: a watcher reads lines as they come
}

// Parses the status options; on error writes the reason and returns false.
bool ParseOptions(const std::vector<std::string>& args, StatusOptions* options,
                  std::ostream& err) {
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& flag = args[i];
    auto value = [&]() -> const std::string* {
      if (i + 1 >= args.size()) {
        err << "fsspeckit status: " << flag << " needs a value\n";
        return nullptr;
      }
      return &args[++i];
    };
    auto size = [&](int64_t* bytes) {
      const std::string* text = value();
      if (!text) return false;
      arrow::Result<int64_t> parsed = ParseByteSize(*text);
      if (!parsed.ok()) {
        err << "fsspeckit status: " << flag << ": " << parsed.status().message() << "\n";
        return false;
      }
      *bytes = *parsed;
      return true;
    };
    if (flag == "--max-pyarrow") {
      if (!size(&options->limits.max_pool_bytes)) return false;
    } else if (flag == "--max-process") {
      int64_t bytes = 0;
      if (!size(&bytes)) return false;
      options->limits.max_rss_bytes = bytes;
    } else if (flag == "--min-available") {
      if (!size(&options->limits.min_system_available_bytes)) return false;
    } else if (flag == "--report") {
      const std::string* text = value();
      if (!text) return false;
      options->report_path = *text;
    } else if (flag == "--watch" || flag == "--count") {
      const std::string* text = value();
      if (!text) return false;
      char* end = nullptr;
      double number = std::strtod(text->c_str(), &end);
      if (*end != '\0' || text->empty() || number <= 0 ||
          (flag == "--count" && number != static_cast<int64_t>(number))) {
        err << "fsspeckit status: " << flag << " takes a positive "
            << (flag == "--watch" ? "number of seconds" : "whole number") << ", got '"
            << *text << "'\n";
        return false;
      }
      if (flag == "--watch") {
        options->watch_seconds = number;
      } else {
        options->count = static_cast<int64_t>(number);
      }
    } else {
      err << "fsspeckit status: unknown option '" << flag << "'\n" << kStatusUsage;
      return false;
    }
  }
  if (!options->report_path.empty() && (options->watch_seconds <= 0 || options->count <= 0)) {
    err << "fsspeckit status: --report needs --watch SECONDS and --count N (the report is "
           "written once the N samples are taken)\n";
    return false;
  }
  return true;
}

}  // namespace

int RunStatus(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  for (const std::string& arg : args) {
    if (arg == "-h" || arg == "--help") {
      out << kStatusUsage;
      return 0;
    }
  }
  StatusOptions options;
  if (!ParseOptions(args, &options, err)) return 2;
  memory::MemoryMonitorOptions monitor_options;
  monitor_options.limits = options.limits;
  arrow::Result<std::unique_ptr<memory::MemoryMonitor>> monitor =
      memory::MemoryMonitor::Make(std::move(monitor_options));
  if (!monitor.ok()) {
    err << "fsspeckit status: " << monitor.status().message() << "\n";
    return 2;
  }
  if (options.watch_seconds <= 0) {
    MemorySnapshot snapshot = (*monitor)->FreshSnapshot();
    PrintReport(snapshot, (*monitor)->Evaluate(snapshot), options.limits, out);
    return 0;
  }
  std::shared_ptr<memory::MemoryMonitor> shared_monitor = std::move(*monitor);
  auto perf = perf::PerformanceMonitor::Make(shared_monitor);
  const auto interval = std::chrono::duration<double>(options.watch_seconds);
  for (int64_t n = 0; options.count == 0 || n < options.count; ++n) {
    if (n > 0) std::this_thread::sleep_for(interval);
    MemorySnapshot snapshot = shared_monitor->FreshSnapshot();
    PrintLine(snapshot, shared_monitor->Evaluate(snapshot), options.limits, out);
    perf->TrackMemory();  // the reading just refreshed, now on the timeline
  }
  if (options.report_path.empty()) return 0;
  char title[96];
  std::snprintf(title, sizeof(title), "fsspeckit status: memory every %g s", options.watch_seconds);
  perf::ReportContent content{title, {{"samples", perf::WithThousands(options.count)}},
                              perf->Metrics(0, 0, 0)};
  arrow::Status written = perf::WriteHtmlReport(content, options.report_path);
  if (!written.ok()) {
    err << "fsspeckit status: " << written.message() << "\n";
    return 1;
  }
  out << "report: " << options.report_path << std::endl;
  return 0;
}

}  // namespace fsspeckit::cli
