// fsspeckit: one table of command-line flags, shared by every command: the memory budget
// and commit flags are spelled, parsed and documented the same way everywhere.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <arrow/status.h>

#include "fsspeckit/io/commit_options.h"
#include "fsspeckit/memory/budget_error.h"
#include "fsspeckit/memory/pressure.h"

namespace fsspeckit::cli {

/// How the CLI names the memory limits, in its messages (memory::SpellBudgetError).
inline const memory::LimitSpelling kCliLimits{"--max-memory", "--max-process", "--min-available"};

/// One flag: `--name VALUE` (when `value_name` is set) or a switch. `set` receives the
/// value (empty for a switch) and returns Invalid with the reason when it is bad.
struct Flag {
  std::string name;
  std::string value_name;  ///< "SIZE", "N", "COL[,COL...]"; empty: a switch
  std::function<arrow::Status(const std::string& value)> set;
  std::vector<std::string> aliases = {};  ///< other spellings kept for old scripts
};

/// --max-memory SIZE (alias --max-pyarrow), --max-process SIZE, --min-available SIZE.
std::vector<Flag> MemoryFlags(memory::MemoryLimits& limits);
/// --single-writer, --durable, --no-durable.
std::vector<Flag> CommitFlags(io::CommitOptions& commit);
/// `--name SIZE` (ParseByteSize: units, a bare number is MiB).
Flag SizeFlag(std::string name, int64_t& bytes);
/// `--name N`, a positive whole number.
Flag CountFlag(std::string name, std::optional<int64_t>& count);
/// `--name VALUE`, taken as it is.
Flag TextFlag(std::string name, std::string value_name, std::string& text);
/// `--name COL[,COL...]`, split at commas.
Flag ListFlag(std::string name, std::vector<std::string>& items);
/// A switch that sets `on` to true.
Flag SwitchFlag(std::string name, bool& on);

enum class ParseOutcome { kRun, kHelp, kUsageError };

/// Parses `args` by `flags` into their targets; other words go to `positional`. -h/--help
/// is kHelp. A bad flag or value writes "fsspeckit <command>: <reason>" to `err` and is
/// kUsageError.
ParseOutcome ParseFlags(const std::string& command, const std::vector<std::string>& args,
                        const std::vector<Flag>& flags, std::vector<std::string>& positional,
                        std::ostream& err);

/// `status` as the CLI shows it: budget errors name its flags (kCliLimits).
std::string CliMessage(const arrow::Status& status);

}  // namespace fsspeckit::cli
