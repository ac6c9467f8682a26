// fsspeckit: `fsspeckit status`, memory readings and pressure as a person reads them.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace fsspeckit::cli {

inline constexpr const char* kStatusUsage =
    "usage: fsspeckit status [--watch SECONDS] [--count N] [--report FILE]\n"
    "                        [--max-pyarrow SIZE] [--max-process SIZE] [--min-available SIZE]\n"
    "\n"
    "Shows the Arrow pool, process RSS, system and container headroom, PSI, and the\n"
    "pressure level they add up to. SIZE takes units (512MiB, 2GiB; a bare number is\n"
    "MiB). Defaults: --max-pyarrow 2048, no process budget, --min-available 512.\n"
    "  --watch SECONDS  print one line per sample every SECONDS until interrupted\n"
    "  --count N        stop after N samples (with --watch)\n"
    "  --report FILE    then write an HTML report of the samples (with --watch, --count)\n";

/// `args` are the words after "status".
int RunStatus(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace fsspeckit::cli
