// fsspeckit: `fsspeckit merge` and `fsspeckit recover`.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace fsspeckit::cli {

/// The usage of `fsspeckit merge`, its defaults read from the library's constants.
std::string MergeUsage();

inline constexpr const char* kRecoverUsage =
    "usage: fsspeckit recover TARGET [--single-writer]\n"
    "\n"
    "Completes or rolls back a merge of TARGET that was interrupted.\n";

int RunMerge(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);
int RunRecover(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace fsspeckit::cli
