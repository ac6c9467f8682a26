// fsspeckit: `fsspeckit status`, memory readings and pressure as a person reads them.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace fsspeckit::cli {

/// The usage of `fsspeckit status`, its defaults read from the library's constants.
std::string StatusUsage();

/// `args` are the words after "status".
int RunStatus(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace fsspeckit::cli
