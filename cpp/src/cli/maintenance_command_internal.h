// fsspeckit: `fsspeckit compact` and `fsspeckit dedup` (dataset maintenance).
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace fsspeckit::cli {

/// Runs `command` ("compact", "dedup" or "sort") with `args`: plans, prints the plan with
/// --dry-run, else executes with a progress bar and prints a summary. Exit 0 on success,
/// 2 for a usage or argument error, 1 when the run failed (the dataset unchanged).
int RunMaintenance(const std::string& command, const std::vector<std::string>& args,
                   std::ostream& out, std::ostream& err);

}  // namespace fsspeckit::cli
