// fsspeckit: `fsspeckit status`, memory readings and pressure as a person reads them.
#include "status_command_internal.h"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <thread>

#include <arrow/memory_pool.h>

#include "cli/flags_internal.h"
#include "fsspeckit/memory/byte_text.h"
#include "fsspeckit/memory/memory_monitor.h"
#include "fsspeckit/perf/html_report.h"
#include "fsspeckit/memory/operation_pool.h"

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
      << Pad(memory::ByteSizeText(s.pool_bytes) + " of " + memory::ByteSizeText(limits.max_pool_bytes) +
                 " budget (" +
                 Percent(double(s.pool_bytes) / double(limits.max_pool_bytes)) + ")",
             46)
      << LevelTag(memory::UsageLevel(s.pool_bytes, limits.max_pool_bytes)) << "  ["
      << memory::OperationPool()->backend_name() << "]\n";

  out << "  " << Pad("Process RSS", 18);
  if (!s.system.rss_bytes) {
    out << "unknown on this platform\n";
  } else if (limits.max_rss_bytes && *limits.max_rss_bytes > 0) {
    out << Pad(memory::ByteSizeText(*s.system.rss_bytes) + " of " + memory::ByteSizeText(*limits.max_rss_bytes) +
                   " budget (" +
                   Percent(double(*s.system.rss_bytes) / double(*limits.max_rss_bytes)) + ")",
               46)
        << LevelTag(memory::UsageLevel(*s.system.rss_bytes, *limits.max_rss_bytes)) << "\n";
  } else {
    out << memory::ByteSizeText(*s.system.rss_bytes) << " (no budget)\n";
  }

  out << "  " << Pad("System available", 18);
  std::optional<int64_t> available = memory::SystemAvailableBytes(s.system);
  if (!available) {
    out << "unknown on this platform (system check off)\n";
  } else if (limits.min_system_available_bytes > 0) {
    out << Pad(memory::ByteSizeText(*available) + " (keep " +
                   memory::ByteSizeText(limits.min_system_available_bytes) + " free)",
               46)
        << LevelTag(memory::HeadroomLevel(*available, limits.min_system_available_bytes))
        << "\n";
  } else {
    out << memory::ByteSizeText(*available) << " (no minimum)\n";
  }
  if (s.system.mem_available_bytes) {
    out << "    " << Pad("MemAvailable", 16) << memory::ByteSizeText(*s.system.mem_available_bytes)
        << " (host or VM)\n";
  }
  if (const auto& cg = s.system.cgroup) {
    out << "    " << Pad("cgroup v" + std::to_string(cg->version), 16) << cg->path << ": "
        << memory::ByteSizeText(cg->usage_bytes) << " used";
    if (cg->limit_bytes) {
      out << " of " << memory::ByteSizeText(*cg->limit_bytes) << " limit, "
          << memory::ByteSizeText(cg->reclaimable_bytes) << " reclaimable cache";
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
      << " pool " << memory::ByteSizeText(s.pool_bytes) << "/" << memory::ByteSizeText(limits.max_pool_bytes);
  if (s.system.rss_bytes) out << "  rss " << memory::ByteSizeText(*s.system.rss_bytes);
  if (auto available = memory::SystemAvailableBytes(s.system)) {
    out << "  available " << memory::ByteSizeText(*available);
  }
  if (s.system.psi) {
    char buffer[32];
    std::snprintf(buffer, sizeof(buffer), "  psi %.2f%%", s.system.psi->some_avg10);
    out << buffer;
  }
  out << std::endl;  // flush: a watcher reads lines as they come
}

// The status options by the shared flag table; on error writes the reason and returns false.
ParseOutcome ParseOptions(const std::vector<std::string>& args, StatusOptions* options,
                          std::ostream& err) {
  std::optional<int64_t> count;
  std::vector<Flag> flags = MemoryFlags(options->limits);
  flags.push_back({"--watch", "SECONDS", [&](const std::string& value) {
                     char* end = nullptr;
                     const double seconds = std::strtod(value.c_str(), &end);
                     if (value.empty() || *end != '\0' || !(seconds > 0)) {
                       return arrow::Status::Invalid("--watch takes a positive number of seconds, got '",
                                                     value, "'");
                     }
                     options->watch_seconds = seconds;
                     return arrow::Status::OK();
                   }});
  flags.push_back(CountFlag("--count", count));
  flags.push_back(TextFlag("--report", "FILE", options->report_path));
  std::vector<std::string> positional;
  const ParseOutcome outcome = ParseFlags("status", args, flags, positional, err);
  if (outcome != ParseOutcome::kRun) return outcome;
  options->count = count.value_or(0);
  if (!positional.empty()) {
    err << "fsspeckit status: unexpected argument '" << positional[0] << "'\n";
    return ParseOutcome::kUsageError;
  }
  if (!options->report_path.empty() && (options->watch_seconds <= 0 || options->count <= 0)) {
    err << "fsspeckit status: --report needs --watch SECONDS and --count N (the report is "
           "written once the N samples are taken)\n";
    return ParseOutcome::kUsageError;
  }
  return ParseOutcome::kRun;
}

}  // namespace

std::string StatusUsage() {
  return "usage: fsspeckit status [--watch SECONDS] [--count N] [--report FILE]\n"
         "                        [--max-memory SIZE] [--max-process SIZE] [--min-available SIZE]\n"
         "\n"
         "Shows the Arrow pool, process RSS, system and container headroom, PSI, and the\n"
         "pressure level they add up to. SIZE takes units (512MiB, 2GiB; a bare number is\n"
         "MiB). Defaults: --max-memory " + memory::ByteSizeText(memory::kDefaultMaxPoolBytes) +
         ", no process budget, --min-available " +
         memory::ByteSizeText(memory::kDefaultMinSystemAvailableBytes) +
         "\n(--max-pyarrow is --max-memory's old name).\n"
         "  --watch SECONDS  print one line per sample every SECONDS until interrupted\n"
         "  --count N        stop after N samples (with --watch)\n"
         "  --report FILE    then write an HTML report of the samples (with --watch, --count)\n";
}

int RunStatus(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  StatusOptions options;
  switch (ParseOptions(args, &options, err)) {
    case ParseOutcome::kHelp:
      out << StatusUsage();
      return 0;
    case ParseOutcome::kUsageError:
      err << StatusUsage();
      return 2;
    case ParseOutcome::kRun:
      break;
  }
  memory::MemoryMonitorOptions monitor_options;
  monitor_options.limits = options.limits;
  arrow::Result<std::unique_ptr<memory::MemoryMonitor>> monitor =
      memory::MemoryMonitor::Make(std::move(monitor_options));
  if (!monitor.ok()) {
    err << "fsspeckit status: " << CliMessage(monitor.status()) << "\n";
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
