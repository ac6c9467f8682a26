// fsspeckit: `fsspeckit merge` and `fsspeckit recover`.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace fsspeckit::cli {

inline constexpr const char* kMergeUsage =
    "usage: fsspeckit merge SOURCE TARGET --key COL[,COL...] [--strategy upsert|insert|update]\n"
    "                       [--partition COL[,COL...]] [--max-memory SIZE]\n"
    "                       [--max-process SIZE] [--min-available SIZE] [--compression CODEC]\n"
    "                       [--max-rows-per-file N] [--row-group-size N] [--quiet]\n"
    "                       [--single-writer] [--durable | --no-durable] [--report FILE]\n"
    "\n"
    "Merges SOURCE (a Parquet file or dataset folder, local or a URI) into the Parquet\n"
    "dataset TARGET on the key columns. Only files holding a source key are rewritten;\n"
    "the commit is all or nothing. Defaults: --strategy upsert, --max-memory 1GiB,\n"
    "--min-available 512MiB, --compression snappy. SIZE takes units (512MiB, 2GiB).\n"
    "--single-writer: no other process writes TARGET meanwhile (required where TARGET's\n"
    "filesystem cannot be locked atomically). --durable: fsync the commit so it survives\n"
    "a power loss on local disk, not only a crash (about 0.1 s more; off by default).\n"
    "--report FILE: also write an HTML report: memory over time against the budget,\n"
    "phases, degradation steps, and this summary.\n";

inline constexpr const char* kRecoverUsage =
    "usage: fsspeckit recover TARGET [--single-writer]\n"
    "\n"
    "Completes or rolls back a merge of TARGET that was interrupted.\n";

int RunMerge(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);
int RunRecover(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace fsspeckit::cli
