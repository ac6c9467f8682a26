// fsspeckit: `fsspeckit compact` and `fsspeckit dedup`.
#include "cli/maintenance_command_internal.h"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <optional>

#include "cli/flags_internal.h"
#include "cli/progress_bar_internal.h"
#include "fsspeckit/io/location.h"
#include "fsspeckit/maintenance/maintenance.h"
#include "fsspeckit/maintenance/maintenance_report.h"
#include "fsspeckit/maintenance/plan.h"
#include "fsspeckit/memory/byte_text.h"
#include "fsspeckit/perf/html_report.h"

namespace fsspeckit::cli {
namespace {

constexpr const char* kCommonUsage =
    "                     [--target-file-size SIZE] [--target-rows-per-file N]\n"
    "                     [--partition DIR[,DIR...]] [--compression CODEC] [--max-memory SIZE]\n"
    "                     [--single-writer] [--durable] [--dry-run] [--quiet] [--report FILE]\n";

std::string Usage(const std::string& command) {
  const maintenance::ExecuteOptions defaults;
  std::string usage = "usage: fsspeckit " + command + " DATASET ";
  if (command == "repartition") {
    usage += "--by COL[,COL...]\n" + std::string(kCommonUsage) +
             "\nMoves every row of DATASET into the hive folder of its values of the columns\n"
             "(file columns or current folder keys), which leave the files; the other folder\n"
             "keys become file columns. Rows stream within --max-memory.\n";
  } else if (command == "sort") {
    usage += "--by [-]COL[,[-]COL...]\n" + std::string(kCommonUsage) +
             "\nSorts the rows of each partition folder of DATASET by the columns (-COL: descending,\n"
             "nulls first; else ascending, nulls last; ties keep dataset order), cut into files\n"
             "of --target-rows-per-file rows. Rows beyond a share of --max-memory are sorted in\n"
             "runs spilled to the dataset's staging folder and merged.\n";
  } else if (command == "optimize") {
    usage += "[--key COL[,COL...] [--order-by [-]COL[,...]]] [targets]\n" + std::string(kCommonUsage) +
             "\nWith --key, deduplicates DATASET as `fsspeckit dedup`; without, compacts it as\n"
             "`fsspeckit compact` (a target needed). Files are named optimized_*.\n";
  } else if (command == "compact") {
    usage += "(--target-file-size SIZE and/or --target-rows-per-file N)\n" + std::string(kCommonUsage) +
             "\nPacks the small files of each partition folder of DATASET (a folder, local or a\n"
             "URI) into files of about the target size; row groups of 64Ki rows or more are\n"
             "copied as they are, smaller ones decoded and joined. Rows keep their order.\n";
  } else {
    usage += "[--key COL[,COL...]] [--order-by [-]COL[,...]]\n" + std::string(kCommonUsage) +
             "\nKeeps one row per key (--key; default: whole rows) inside each partition folder\n"
             "of DATASET: the first by --order-by (-COL descending, nulls last), else the last in\n"
             "dataset order (file path, then row).\n";
  }
  return usage + "Defaults: --max-memory " + memory::ByteSizeText(defaults.limits.max_pool_bytes) +
         ", --compression " + maintenance::kDefaultCodec +
         ". SIZE takes units (128MiB; a bare number is MiB).\n"
         "--partition: only these partition folders (whole names, e.g. day=2024-01-01).\n"
         "--dry-run: print the plan, write nothing. The commit is all or nothing; a dataset\n"
         "changed since the plan is refused. --report FILE: also write an HTML report.\n";
}

void PrintPlan(const maintenance::MaintenancePlan& plan, std::ostream& out) {
  out << plan.groups.size() << " group(s) to rewrite, " << plan.skipped.size()
      << " file(s) left as they are, of " << plan.files.size() << " files:\n";
  for (const maintenance::Group& group : plan.groups) {
    out << "  " << (group.partition.empty() ? "(root)" : group.partition) << ": "
        << group.files.size() << " files, " << perf::WithThousands(group.num_rows) << " rows, "
        << memory::ByteSizeText(group.size_bytes) << "\n";
  }
}

}  // namespace

int RunMaintenance(const std::string& command, const std::vector<std::string>& args,
                   std::ostream& out, std::ostream& err) {
  maintenance::ExecuteOptions options;
  int64_t target_bytes = 0;
  std::optional<int64_t> target_rows;
  std::vector<std::string> partitions, keys, order_by, sort_by;
  std::optional<std::string> compression;
  bool quiet = false, dry_run = false;
  std::string report;
  std::vector<Flag> flags = {SizeFlag("--target-file-size", target_bytes),
                             CountFlag("--target-rows-per-file", target_rows),
                             ListFlag("--partition", partitions),
                             {"--compression", "CODEC", [&](const std::string& value) {
                                compression = value;
                                return arrow::Status::OK();
                              }},
                             SwitchFlag("--quiet", quiet),
                             SwitchFlag("--dry-run", dry_run),
                             TextFlag("--report", "FILE", report)};
  if (command == "dedup" || command == "optimize") {
    flags.push_back(ListFlag("--key", keys));
    flags.push_back(ListFlag("--order-by", order_by));
  }
  if (command == "sort" || command == "repartition") flags.push_back(ListFlag("--by", sort_by));
  for (std::vector<Flag> more : {MemoryFlags(options.limits), CommitFlags(options.commit)}) {
    flags.insert(flags.end(), more.begin(), more.end());
  }
  std::vector<std::string> positional;
  switch (ParseFlags(command, args, flags, positional, err)) {
    case ParseOutcome::kHelp:
      out << Usage(command);
      return 0;
    case ParseOutcome::kUsageError:
      err << Usage(command);
      return 2;
    case ParseOutcome::kRun:
      break;
  }
  if (positional.size() != 1) {
    err << "fsspeckit " << command << ": give one DATASET\n" << Usage(command);
    return 2;
  }
  if ((command == "sort" || command == "repartition") && sort_by.empty()) {
    err << "fsspeckit " << command << ": give --by COL[,COL...]\n" << Usage(command);
    return 2;
  }
  if (command == "compact" && target_bytes <= 0 && !target_rows) {
    err << "fsspeckit compact: give --target-file-size or --target-rows-per-file (or both)\n"
        << Usage(command);
    return 2;
  }
  auto fail = [&](const arrow::Status& status) {
    err << "fsspeckit " << command << ": " << CliMessage(status) << "\n";
    return status.IsInvalid() || status.IsKeyError() || status.IsTypeError() ? 2 : 1;
  };
  if (!report.empty()) {
    std::filesystem::path folder = std::filesystem::absolute(report).parent_path();
    if (!std::filesystem::is_directory(folder)) {
      err << "fsspeckit " << command << ": --report: the folder '" << folder.string()
          << "' does not exist; create it or choose another path\n";
      return 2;
    }
  }
  auto location = io::ResolveLocation(nullptr, positional[0]);
  if (!location.ok()) return fail(location.status());
  const std::optional<double> target_mb =
      target_bytes > 0 ? std::optional<double>(static_cast<double>(target_bytes) / memory::kBytesInMiB)
                       : std::nullopt;
  // The output sizes and codec every operation takes, and the partitions most filter on.
  auto set_sizes = [&](auto& options) {
    options.target_mb_per_file = target_mb;
    options.target_rows_per_file = target_rows;
    options.compression = compression;
    if constexpr (requires { options.partition_filter; }) options.partition_filter = partitions;
  };
  auto started = std::chrono::steady_clock::now();
  arrow::Result<maintenance::MaintenancePlan> plan = arrow::Status::UnknownError("not planned");
  if (command == "compact") {
    maintenance::CompactionOptions compaction;
    set_sizes(compaction);
    plan = maintenance::PlanCompaction(*location, compaction);
  } else if (command == "sort") {
    maintenance::OrderedCompactionOptions ordered;
    for (const std::string& key : sort_by) {
      auto parsed = maintenance::ParseSortKey(key);
      if (!parsed.ok()) return fail(parsed.status());
      ordered.sort_keys.push_back(*parsed);
    }
    set_sizes(ordered);
    plan = maintenance::PlanOrderedCompaction(*location, ordered);
  } else if (command == "repartition") {
    maintenance::RepartitionOptions repartition;
    repartition.partition_columns = sort_by;
    set_sizes(repartition);
    plan = maintenance::PlanRepartition(*location, repartition);
  } else if (command == "optimize") {
    maintenance::OptimizationOptions optimization;
    if (!keys.empty()) optimization.deduplicate_key_columns = keys;
    optimization.dedup_order_by = order_by;
    set_sizes(optimization);
    plan = maintenance::PlanOptimization(*location, optimization);
  } else {
    maintenance::DeduplicationOptions deduplication;
    if (!keys.empty()) deduplication.key_columns = keys;
    deduplication.dedup_order_by = order_by;
    set_sizes(deduplication);
    plan = maintenance::PlanDeduplication(*location, deduplication);
  }
  if (!plan.ok()) return fail(plan.status());
  if (dry_run) {
    PrintPlan(*plan, out);
    return 0;
  }
  // One monitor: the budget watches it, and the progress bar shows its level.
  auto monitor = WatchLimits(options.limits);
  if (!monitor.ok()) return fail(monitor.status());
  options.monitor = std::move(*monitor);
  ProgressBar bar(err, *options.monitor);
  options.progress = bar.Callback(quiet);
  auto result = maintenance::ExecuteMaintenance(*plan, *location, options);
  bar.Finish();
  if (!result.ok()) return fail(result.status());
  const maintenance::MaintenanceResult& r = *result;
  if (!r.succeeded) {
    err << "fsspeckit " << command << ": " << maintenance::FailureMessage(r, kCliLimits)
        << (r.committed ? "" : "\nthe dataset is unchanged") << "\n";
    return 1;
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  out << (command == "compact"    ? "compacted "
          : command == "sort"     ? "sorted "
          : command == "optimize" ? "optimized "
          : command == "repartition" ? "repartitioned "
                                  : "deduplicated ")
      << location->path << "\n"
      << "  files             " << perf::WithThousands(r.files_before) << " -> "
      << perf::WithThousands(r.files_after) << "\n"
      << "  bytes             " << memory::ByteSizeText(r.bytes_before) << " -> "
      << memory::ByteSizeText(r.bytes_after) << "\n"
      << "  rows              " << perf::WithThousands(r.rows_before) << " -> "
      << perf::WithThousands(r.rows_after) << "\n"
      << "  row groups copied " << perf::WithThousands(r.row_groups_copied) << " (raw), "
      << perf::WithThousands(r.row_groups_encoded) << " encoded\n";
  char line[160];
  std::snprintf(line, sizeof(line), "  time              %.2f s\n", seconds);
  out << line;
  for (const auto& [phase, phase_seconds] : r.metrics.operation_breakdown_sec) {
    std::snprintf(line, sizeof(line), "    %-15s %.2f s\n", phase.c_str(), phase_seconds);
    out << line;
  }
  out << "  peak Arrow memory " << memory::ByteSizeText(r.metrics.memory_peak_bytes) << " (budget "
      << memory::ByteSizeText(options.limits.max_pool_bytes) << ")\n";
  if (!report.empty()) {
    arrow::Status written = maintenance::WriteMaintenanceReport(r, positional[0], report);
    if (!written.ok()) return fail(written);
    out << "  report            " << report << "\n";
  }
  return 0;
}

}  // namespace fsspeckit::cli
