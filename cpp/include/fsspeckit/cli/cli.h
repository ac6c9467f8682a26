// fsspeckit: the `fsspeckit` command line, shared by the C++ binary and the Python script.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace fsspeckit::cli {

/// Runs `fsspeckit <args...>` (args exclude the program name) and returns the exit code:
/// 0 success, 1 the operation failed, 2 bad usage. Output goes to `out`, errors and
/// usage to `err`.
int RunCli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace fsspeckit::cli
