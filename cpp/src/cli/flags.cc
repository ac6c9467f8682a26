// fsspeckit: one table of command-line flags, shared by every command.
#include "cli/flags_internal.h"

#include <cstdlib>

#include "cli/byte_size_internal.h"

namespace fsspeckit::cli {

Flag SizeFlag(std::string name, int64_t& bytes) {
  return {std::move(name), "SIZE", [&bytes](const std::string& value) {
            ARROW_ASSIGN_OR_RAISE(bytes, ParseByteSize(value));
            return arrow::Status::OK();
          }};
}

Flag CountFlag(std::string name, std::optional<int64_t>& count) {
  return {name, "N", [&count, name](const std::string& value) {
            char* end = nullptr;
            const long long parsed = std::strtoll(value.c_str(), &end, 10);
            if (value.empty() || *end != '\0' || parsed <= 0) {
              return arrow::Status::Invalid(name, " takes a positive whole number, got '", value, "'");
            }
            count = parsed;
            return arrow::Status::OK();
          }};
}

Flag TextFlag(std::string name, std::string value_name, std::string& text) {
  return {std::move(name), std::move(value_name), [&text](const std::string& value) {
            text = value;
            return arrow::Status::OK();
          }};
}

Flag ListFlag(std::string name, std::vector<std::string>& items) {
  return {std::move(name), "COL[,COL...]", [&items](const std::string& value) {
            items.clear();
            size_t start = 0;
            while (start <= value.size()) {
              size_t comma = value.find(',', start);
              if (comma == std::string::npos) comma = value.size();
              if (comma > start) items.push_back(value.substr(start, comma - start));
              start = comma + 1;
            }
            return arrow::Status::OK();
          }};
}

Flag SwitchFlag(std::string name, bool& on) {
  return {std::move(name), "", [&on](const std::string&) {
            on = true;
            return arrow::Status::OK();
          }};
}

std::vector<Flag> MemoryFlags(memory::MemoryLimits& limits) {
  Flag pool = SizeFlag(kCliLimits.pool, limits.max_pool_bytes);
  pool.aliases = {"--max-pyarrow"};
  Flag rss{kCliLimits.rss, "SIZE", [&limits](const std::string& value) {
             ARROW_ASSIGN_OR_RAISE(int64_t bytes, ParseByteSize(value));
             limits.max_rss_bytes = bytes;
             return arrow::Status::OK();
           }};
  return {pool, rss, SizeFlag(kCliLimits.system, limits.min_system_available_bytes)};
}

std::vector<Flag> CommitFlags(io::CommitOptions& commit) {
  auto durable = [&commit](bool on) {
    return [&commit, on](const std::string&) {
      commit.durable = on;
      return arrow::Status::OK();
    };
  };
  return {SwitchFlag("--single-writer", commit.single_writer), {"--durable", "", durable(true)},
          {"--no-durable", "", durable(false)}};
}

ParseOutcome ParseFlags(const std::string& command, const std::vector<std::string>& args,
                        const std::vector<Flag>& flags, std::vector<std::string>& positional,
                        std::ostream& err) {
  auto find = [&](const std::string& word) -> const Flag* {
    for (const Flag& flag : flags) {
      if (flag.name == word) return &flag;
      for (const std::string& alias : flag.aliases) {
        if (alias == word) return &flag;
      }
    }
    return nullptr;
  };
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& word = args[i];
    if (word == "-h" || word == "--help") return ParseOutcome::kHelp;
    if (!word.starts_with("--")) {
      positional.push_back(word);
      continue;
    }
    const Flag* flag = find(word);
    if (!flag) {
      err << "fsspeckit " << command << ": unknown option '" << word << "'\n";
      return ParseOutcome::kUsageError;
    }
    std::string value;
    if (!flag->value_name.empty()) {
      if (i + 1 >= args.size()) {
        err << "fsspeckit " << command << ": " << word << " needs a value\n";
        return ParseOutcome::kUsageError;
      }
      value = args[++i];
    }
    arrow::Status set = flag->set(value);
    if (!set.ok()) {
      const std::string& reason = set.message();
      err << "fsspeckit " << command << ": "
          << (reason.starts_with(word) ? reason : word + ": " + reason) << "\n";
      return ParseOutcome::kUsageError;
    }
  }
  return ParseOutcome::kRun;
}

std::string CliMessage(const arrow::Status& status) {
  return memory::SpellBudgetError(status, kCliLimits).message();
}

}  // namespace fsspeckit::cli
