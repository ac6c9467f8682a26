// fsspeckit: the `fsspeckit` command line, shared by the C++ binary and the Python script.
#include "fsspeckit/cli/cli.h"

#include "maintenance_command_internal.h"
#include "merge_command_internal.h"
#include "status_command_internal.h"

namespace fsspeckit::cli {
namespace {

constexpr const char* kUsage =
    "usage: fsspeckit <command> [options]\n"
    "\n"
    "commands:\n"
    "  status   memory readings and the pressure level (fsspeckit status --help)\n"
    "  merge    insert/update/upsert a Parquet source into a dataset (fsspeckit merge --help)\n"
    "  recover  complete or roll back an interrupted merge\n"
    "  compact  pack a dataset's small files into large ones (fsspeckit compact --help)\n"
    "  dedup    keep one row per key in each partition folder (fsspeckit dedup --help)\n"
    "  sort     sort each partition folder's rows, within the budget (fsspeckit sort --help)\n"
    "  optimize deduplicate (--key) or compact a dataset (fsspeckit optimize --help)\n"
    "  repartition  move every row into new hive folders (fsspeckit repartition --help)\n";

}  // namespace

int RunCli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  if (args.empty()) {
    err << kUsage;
    return 2;
  }
  const std::string& command = args[0];
  std::vector<std::string> rest(args.begin() + 1, args.end());
  if (command == "-h" || command == "--help" || command == "help") {
    out << kUsage;
    return 0;
  }
  if (command == "status") return RunStatus(rest, out, err);
  if (command == "merge") return RunMerge(rest, out, err);
  if (command == "recover") return RunRecover(rest, out, err);
  if (command == "compact" || command == "dedup" || command == "sort" || command == "optimize" ||
      command == "repartition") {
    return RunMaintenance(command, rest, out, err);
  }
  err << "fsspeckit: unknown command '" << command << "'\n" << kUsage;
  return 2;
}

}  // namespace fsspeckit::cli
