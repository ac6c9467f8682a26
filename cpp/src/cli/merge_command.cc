// fsspeckit: `fsspeckit merge` and `fsspeckit recover`.
#include "merge_command_internal.h"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <optional>

#include <arrow/table.h>

#include "cli/flags_internal.h"
#include "cli/progress_bar_internal.h"
#include "fsspeckit/memory/byte_text.h"
#include "fsspeckit/io/location.h"
#include "fsspeckit/memory/memory_monitor.h"
#include "fsspeckit/merge/merge.h"
#include "fsspeckit/scan/batch_source.h"
#include "fsspeckit/scan/parquet_batch_source.h"
#include "fsspeckit/merge/merge_report.h"
#include "fsspeckit/perf/html_report.h"

namespace fsspeckit::cli {
std::string MergeUsage() {
  const merge::MergeOptions defaults;
  return "usage: fsspeckit merge SOURCE TARGET --key COL[,COL...] [--strategy upsert|insert|update]\n"
         "                       [--partition COL[,COL...]] [--max-memory SIZE]\n"
         "                       [--max-process SIZE] [--min-available SIZE] [--compression CODEC]\n"
         "                       [--max-rows-per-file N] [--row-group-size N] [--quiet]\n"
         "                       [--single-writer] [--durable | --no-durable] [--report FILE]\n"
         "\n"
         "Merges SOURCE (a Parquet file or dataset folder, local or a URI) into the Parquet\n"
         "dataset TARGET on the key columns. Only files holding a source key are rewritten;\n"
         "the commit is all or nothing. Defaults: --strategy " +
         std::string(merge::StrategyName(defaults.strategy)) + ", --max-memory " +
         memory::ByteSizeText(defaults.limits.max_pool_bytes) + ",\n--min-available " +
         memory::ByteSizeText(defaults.limits.min_system_available_bytes) + ", --compression " +
         defaults.compression.value_or("none") + ", --max-rows-per-file " +
         std::to_string(*defaults.max_rows_per_file) + ", --row-group-size " +
         std::to_string(*defaults.row_group_size) +
         ".\nSIZE takes units (512MiB, 2GiB; a bare number is MiB).\n"
         "--single-writer: no other process writes TARGET meanwhile (required where TARGET's\n"
         "filesystem cannot be locked atomically; local disk and s3:// are locked: the native\n"
         "binary makes the S3 lock's conditional requests with libcurl, libcurl4 on Debian).\n"
         "--durable: fsync the commit so it survives a power loss on local disk, not only a\n"
         "crash (about 0.1 s more; off by default).\n"
         "--report FILE: also write an HTML report: memory over time against the budget,\n"
         "phases, degradation steps, and this summary.\n";
}

int RunMerge(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  merge::MergeOptions options;
  options.strategy = merge::Strategy::kUpsert;
  bool quiet = false;
  std::string strategy, report;
  std::vector<Flag> flags = {ListFlag("--key", options.key_columns),
                             TextFlag("--strategy", "upsert|insert|update", strategy),
                             ListFlag("--partition", options.partition_columns),
                             CountFlag("--max-rows-per-file", options.max_rows_per_file),
                             CountFlag("--row-group-size", options.row_group_size),
                             {"--compression", "CODEC", [&](const std::string& value) {
                                options.compression = value;
                                return arrow::Status::OK();
                              }},
                             SwitchFlag("--quiet", quiet),
                             TextFlag("--report", "FILE", report)};
  for (std::vector<Flag> more : {MemoryFlags(options.limits), CommitFlags(options.commit)}) {
    flags.insert(flags.end(), more.begin(), more.end());
  }
  std::vector<std::string> positional;
  switch (ParseFlags("merge", args, flags, positional, err)) {
    case ParseOutcome::kHelp:
      out << MergeUsage();
      return 0;
    case ParseOutcome::kUsageError:
      err << MergeUsage();
      return 2;
    case ParseOutcome::kRun:
      break;
  }
  if (!strategy.empty()) {
    auto parsed = merge::ParseStrategy(strategy);
    if (!parsed.ok()) {
      err << "fsspeckit merge: " << parsed.status().message() << "\n";
      return 2;
    }
    options.strategy = *parsed;
  }
  std::optional<std::string> report_path;
  if (!report.empty()) report_path = report;
  if (positional.size() != 2 || options.key_columns.empty()) {
    err << "fsspeckit merge: give SOURCE, TARGET and --key\n" << MergeUsage();
    return 2;
  }
  auto fail = [&](const arrow::Status& status) {
    err << "\nfsspeckit merge: " << CliMessage(status) << "\n";
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
  // One monitor: the budget watches it, and the progress bar shows its level.
  auto monitor = WatchLimits(options.limits);
  if (!monitor.ok()) return fail(monitor.status());
  options.monitor = std::move(*monitor);
  ProgressBar bar(err, *options.monitor);
  options.progress = bar.Callback(quiet);

  auto started = std::chrono::steady_clock::now();
  auto source_location = io::ResolveLocation(nullptr, positional[0]);
  if (!source_location.ok()) return fail(source_location.status());
  if (auto exists = io::CheckExists(*source_location); !exists.ok()) return fail(exists);
  // Read once, row group by row group: a source larger than the budget spills.
  auto source = scan::ParquetBatchSource::Open(
      source_location->filesystem, source_location->path,
      scan::OptionsForSourceOf(options.limits.max_pool_bytes));
  if (!source.ok()) return fail(source.status());
  auto target = io::ResolveLocation(nullptr, positional[1]);
  if (!target.ok()) return fail(target.status());
  auto result = merge::Merge(scan::AsRecordBatchReader(std::move(*source)), *target, options);
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
      << perf::WithThousands(r.target_count_after) << "\n"
      << "  store requests    " << perf::RequestCountsText(r.requests) << "\n";
  char line[160];
  std::snprintf(line, sizeof(line), "  time              %.2f s\n", seconds);
  out << line;
  for (const auto& [phase, phase_seconds] : r.metrics.operation_breakdown_sec) {
    std::snprintf(line, sizeof(line), "    %-15s %.2f s\n", phase.c_str(), phase_seconds);
    out << line;
  }
  out << "  peak Arrow memory " << memory::ByteSizeText(r.metrics.memory_peak_bytes) << " (budget "
      << memory::ByteSizeText(options.limits.max_pool_bytes) << ")\n"
      << "  peak process RSS  " << memory::ByteSizeText(r.metrics.process_memory_peak_bytes) << "\n";
  if (r.spill.parts > 0) {  // the source did not fit half the budget
    out << "  source spilled    " << memory::ByteSizeText(r.spill.bytes) << " in "
        << r.spill.parts << " parts, matched in " << r.spill.passes << " passes\n";
  }
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
  io::CommitOptions commit;
  std::vector<std::string> positional;
  switch (ParseFlags("recover", args, {SwitchFlag("--single-writer", commit.single_writer)},
                     positional, err)) {
    case ParseOutcome::kHelp:
      out << kRecoverUsage;
      return 0;
    case ParseOutcome::kUsageError:
      err << kRecoverUsage;
      return 2;
    case ParseOutcome::kRun:
      break;
  }
  if (positional.size() != 1) {
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
