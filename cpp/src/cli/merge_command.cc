// fsspeckit: `fsspeckit merge` and `fsspeckit recover`.
#include "merge_command_internal.h"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <optional>

#include <arrow/table.h>

#include "fsspeckit/cli/byte_size.h"
#include "fsspeckit/io/location.h"
#include "fsspeckit/io/read_parquet.h"
#include "fsspeckit/memory/memory_monitor.h"
#include "fsspeckit/merge/merge.h"
#include "fsspeckit/merge/merge_report.h"
#include "fsspeckit/perf/html_report.h"

namespace fsspeckit::cli {
namespace {

std::vector<std::string> SplitList(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    if (comma > start) out.push_back(text.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

// A one-line progress bar redrawn in place on `err`, with the live pressure level.
class ProgressBar {
 public:
  ProgressBar(std::ostream& err, memory::MemoryMonitor& monitor) : err_(err), monitor_(monitor) {}
  void Update(int64_t done, int64_t total) {
    auto now = std::chrono::steady_clock::now();
    if (done < total && now - last_ < std::chrono::milliseconds(100)) return;
    last_ = now;
    constexpr int kWidth = 30;
    int filled = total > 0 ? static_cast<int>(kWidth * done / total) : kWidth;
    char line[160];
    std::snprintf(line, sizeof(line), "\r[%-*s] %3d%%  %s/%s rows  memory: %-9s", kWidth,
                  std::string(filled, '#').c_str(),
                  total > 0 ? static_cast<int>(100 * done / total) : 100,
                  perf::WithThousands(done).c_str(), perf::WithThousands(total).c_str(),
                  std::string(memory::PressureLevelName(monitor_.Level())).c_str());
    err_ << line << std::flush;
    drawn_ = true;
  }
  void Finish() {
    if (drawn_) err_ << "\n";
  }

 private:
  std::ostream& err_;
  memory::MemoryMonitor& monitor_;
  std::chrono::steady_clock::time_point last_{};
  bool drawn_ = false;
};

}  // namespace

int RunMerge(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  merge::MergeOptions options;
  options.strategy = merge::Strategy::kUpsert;
  bool quiet = false;
  std::optional<std::string> report_path;
  std::vector<std::string> positional;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& flag = args[i];
    if (flag == "-h" || flag == "--help") {
      out << kMergeUsage;
      return 0;
    }
    if (flag == "--quiet" || flag == "--single-writer" || flag == "--durable" ||
        flag == "--no-durable") {
      quiet = quiet || flag == "--quiet";
      if (flag == "--single-writer") options.commit.single_writer = true;
      if (flag == "--durable" || flag == "--no-durable") options.commit.durable = flag == "--durable";
      continue;
    }
    if (!flag.starts_with("--")) {
      positional.push_back(flag);
      continue;
    }
    if (i + 1 >= args.size()) {
      err << "fsspeckit merge: " << flag << " needs a value\n";
      return 2;
    }
    const std::string& value = args[++i];
    auto size = [&](int64_t* bytes) {
      auto parsed = ParseByteSize(value);
      if (!parsed.ok()) {
        err << "fsspeckit merge: " << flag << ": " << parsed.status().message() << "\n";
        return false;
      }
      *bytes = *parsed;
      return true;
    };
    auto count = [&](std::optional<int64_t>* n) {
      char* end = nullptr;
      long long parsed = std::strtoll(value.c_str(), &end, 10);
      if (*end != '\0' || parsed <= 0) {
        err << "fsspeckit merge: " << flag << " takes a positive whole number, got '" << value
            << "'\n";
        return false;
      }
      *n = parsed;
      return true;
    };
    bool ok = true;
    if (flag == "--key") {
      options.key_columns = SplitList(value);
    } else if (flag == "--strategy") {
      auto strategy = merge::ParseStrategy(value);
      if (!strategy.ok()) {
        err << "fsspeckit merge: " << strategy.status().message() << "\n";
        return 2;
      }
      options.strategy = *strategy;
    } else if (flag == "--partition") {
      options.partition_columns = SplitList(value);
    } else if (flag == "--max-memory") {
      ok = size(&options.limits.max_pool_bytes);
    } else if (flag == "--max-process") {
      int64_t bytes = 0;
      ok = size(&bytes);
      options.limits.max_rss_bytes = bytes;
    } else if (flag == "--min-available") {
      ok = size(&options.limits.min_system_available_bytes);
    } else if (flag == "--compression") {
      options.compression = value;
    } else if (flag == "--max-rows-per-file") {
      ok = count(&options.max_rows_per_file);
    } else if (flag == "--row-group-size") {
      ok = count(&options.row_group_size);
    } else if (flag == "--report") {
      report_path = value;
    } else {
      err << "fsspeckit merge: unknown option '" << flag << "'\n" << kMergeUsage;
      return 2;
    }
    if (!ok) return 2;
  }
  if (positional.size() != 2 || options.key_columns.empty()) {
    err << "fsspeckit merge: give SOURCE, TARGET and --key\n" << kMergeUsage;
    return 2;
  }
  auto fail = [&](const arrow::Status& status) {
    err << "\nfsspeckit merge: " << status.message() << "\n";
    return status.IsInvalid() || status.IsKeyError() || status.IsTypeError() ? 2 : 1;
  };
  if (report_path) {
    // Checked before the work: the merge is not undone when its report cannot be written.
    std::filesystem::path folder = std::filesystem::absolute(*report_path).parent_path();
    if (!std::filesystem::is_directory(folder)) {
      err << "fsspeckit merge: --report: the folder '" << folder.string()
          << "' does not exist; create it or choose another path\n";
      return 2;
    }
  }
  auto limits_ok = options.limits.Validate();
  if (!limits_ok.ok()) return fail(limits_ok);
  auto monitor = memory::MemoryMonitor::Make({options.limits});
  if (!monitor.ok()) return fail(monitor.status());
  ProgressBar bar(err, **monitor);
  if (!quiet) {
    options.progress = [&](int64_t done, int64_t total) {
      bar.Update(done, total);
      return arrow::Status::OK();
    };
  }

  auto started = std::chrono::steady_clock::now();
  auto source_location = io::ResolveLocation(nullptr, positional[0]);
  if (!source_location.ok()) return fail(source_location.status());
  auto source = io::ReadParquet(*source_location);
  if (!source.ok()) return fail(source.status());
  auto target = io::ResolveLocation(nullptr, positional[1]);
  if (!target.ok()) return fail(target.status());
  auto reader = std::make_shared<arrow::TableBatchReader>(*source);
  auto result = merge::Merge(reader, *target, options);
  bar.Finish();
  if (!result.ok()) return fail(result.status());
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  const merge::MergeResult& r = *result;
  out << "merged " << perf::WithThousands(r.source_count) << " source rows into " << target->path << " ("
      << merge::StrategyName(r.strategy) << " on " << options.key_columns[0]
      << (options.key_columns.size() > 1 ? ", ..." : "") << ")\n"
      << "  inserted          " << perf::WithThousands(r.inserted) << " rows\n"
      << "  updated           " << perf::WithThousands(r.updated) << " keys\n"
      << "  files rewritten   " << r.rewritten_files.size() << "\n"
      << "  files inserted    " << r.inserted_files.size() << "\n"
      << "  files untouched   " << r.preserved_files.size() << "\n"
      << "  dataset rows      " << perf::WithThousands(r.target_count_before) << " -> "
      << perf::WithThousands(r.target_count_after) << "\n";
  char line[160];
  std::snprintf(line, sizeof(line), "  time              %.2f s\n", seconds);
  out << line;
  for (const auto& [phase, phase_seconds] : r.metrics.operation_breakdown_sec) {
    std::snprintf(line, sizeof(line), "    %-15s %.2f s\n", phase.c_str(), phase_seconds);
    out << line;
  }
  out << "  peak Arrow memory " << FormatBytes(r.metrics.memory_peak_bytes) << " (budget "
      << FormatBytes(options.limits.max_pool_bytes) << ")\n"
      << "  peak process RSS  " << FormatBytes(r.metrics.process_memory_peak_bytes) << "\n";
  if (r.keys_in_several_files > 0) {
    out << "  note: " << perf::WithThousands(r.keys_in_several_files)
        << " keys were found in more than one file; each copy was updated\n";
  }
  if (report_path) {
    // The merge is committed: a report that cannot be written now fails the command
    // (exit 1) without undoing it.
    arrow::Status written = merge::WriteMergeReport(r, positional[1], *report_path);  // as typed
    if (!written.ok()) return fail(written);
    out << "  report            " << *report_path << "\n";
  }
  return 0;
}

int RunRecover(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  if (args.size() == 1 && (args[0] == "-h" || args[0] == "--help")) {
    out << kRecoverUsage;
    return 0;
  }
  io::CommitOptions commit;
  std::vector<std::string> positional;
  for (const std::string& arg : args) {
    if (arg == "--single-writer") {
      commit.single_writer = true;
    } else {
      positional.push_back(arg);
    }
  }
  if (positional.size() != 1 || positional[0].starts_with("--")) {
    err << kRecoverUsage;
    return 2;
  }
  auto location = io::ResolveLocation(nullptr, positional[0]);
  if (!location.ok()) {
    err << "fsspeckit recover: " << location.status().message() << "\n";
    return 2;
  }
  auto recovered = merge::RecoverDataset(*location, commit);
  if (!recovered.ok()) {
    err << "fsspeckit recover: " << recovered.status().message() << "\n";
    return 1;
  }
  out << (*recovered ? "recovered an interrupted merge in " : "nothing to recover in ")
      << location->path << "\n";
  return 0;
}

}  // namespace fsspeckit::cli
