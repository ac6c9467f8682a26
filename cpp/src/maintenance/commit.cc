// fsspeckit: before a maintenance run's tasks (lock, drift check, staging) and after them
// (validation, the journal's commit), with the phases the original reports.
#include "fsspeckit/maintenance/commit.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <set>

#include <parquet/arrow/schema.h>

#include "fsspeckit/io/location.h"
#include "io/commit_journal_internal.h"
#include "io/parquet_footer_internal.h"
#include "io/unique_name_internal.h"
#include "maintenance/prepared_internal.h"
#include "maintenance/task_internal.h"

namespace fsspeckit::maintenance {
namespace {

using State = PreparedMaintenance::State;

void StartPhase(State& state, const std::string& phase) {
  state.phase_start = std::chrono::steady_clock::now();
  if (state.perf) state.perf->StartOp(phase);
}

// Records `phase` as it ended; false when it failed.
bool EndPhase(State& state, const std::string& phase, const arrow::Status& status) {
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - state.phase_start).count();
  state.result.phases.push_back({phase, status.ok(), status.ok() ? "" : status.message(), seconds});
  if (!status.ok()) {
    state.result.succeeded = false;
    state.result.status = status;
    state.result.failed_phase = phase;
  }
  return status.ok();
}

MaintenanceResult Started(const MaintenancePlan& plan) {
  MaintenanceResult result;
  result.operation = plan.operation;
  result.files_before = result.files_after = static_cast<int64_t>(plan.files.size());
  result.bytes_before = result.bytes_after = plan.total_bytes();
  result.rows_before = result.rows_after = plan.total_rows();
  return result;
}

// The result as it ends, with the metrics of what was measured.
MaintenanceResult Finish(State& state) {
  MaintenanceResult result = std::move(state.result);
  result.requests = state.requests->ByName();
  if (state.perf) {
    state.perf->EndOp();
    result.metrics = state.perf->Metrics(result.rows_before, result.rows_after, result.bytes_after);
  }
  return result;
}

// The original's names, with the part numbered so that a group's files sort in the
// order of their rows ("compacted_<16 hex>_00001.parquet").
std::string FinalName(Operation operation, const std::string& id, size_t part) {
  char number[16];
  std::snprintf(number, sizeof(number), "_%05zu", part);
  const char* stem = operation == Operation::kCompaction                 ? "compacted_"
                     : operation == Operation::kRepartition              ? "repartitioned_"
                     : operation == Operation::kSchemaRewrite            ? "schema_rewrite_"
                     : operation == Operation::kOrderedCompaction        ? "ordered_"
                     : operation == Operation::kCoordinatedOptimization ? "optimized_"
                                                                         : "deduplicated_";
  return stem + id + number + ".parquet";
}

// One result per group, each naming only files of its own attempt, which exist as
// reported and hold the rows and the schema planned.
arrow::Status Validate(State& state, const std::vector<TaskResult>& results,
                       std::vector<const TaskResult*>& accepted) {
  const MaintenancePlan& plan = state.plan;
  arrow::fs::FileSystem& fs = *state.location.filesystem;
  accepted.assign(plan.groups.size(), nullptr);
  for (const TaskResult& result : results) {
    if (result.group < 0 || result.group >= static_cast<int64_t>(plan.groups.size())) {
      return arrow::Status::Invalid("a result names group ", result.group, ", which the plan lacks");
    }
    if (accepted[result.group]) {
      return arrow::Status::Invalid("group ", result.group, " reported twice: give the commit one "
                                    "result per group");
    }
    accepted[result.group] = &result;
  }
  MaintenanceResult& out = state.result;
  for (size_t g = 0; g < accepted.size(); ++g) {
    const Group& group = plan.groups[g];
    const TaskResult* result = accepted[g];
    if (!result) return arrow::Status::Invalid("group ", g, " did not report: nothing was committed");
    if (result->rows_read != group.num_rows) {
      return arrow::Status::IOError("the task of group ", g, " read ", result->rows_read,
                                    " rows of ", group.num_rows, " planned; run it again");
    }
    const std::string dir = TaskDir(state.staging->dir(), g, result->attempt) + "/";
    int64_t rows = 0;
    for (const io::WrittenFile& file : result->staged) {
      if (!file.path.starts_with(dir) || file.path.find("..") != std::string::npos) {
        return arrow::Status::Invalid("group ", g, " reports '", file.path, "', outside its folder '",
                                      dir, "'");
      }
      ARROW_ASSIGN_OR_RAISE(auto footer, io::ReadFooter(fs, file.path));
      std::shared_ptr<arrow::Schema> schema;
      ARROW_RETURN_NOT_OK(parquet::arrow::FromParquetSchema(
          footer->schema(), parquet::ArrowReaderProperties(), footer->key_value_metadata(), &schema));
      if (footer->num_rows() != file.row_count || !schema->Equals(*group.schema, false)) {
        return arrow::Status::IOError("'", file.path, "' does not hold what its task reported (",
                                      footer->num_rows(), " rows, ", file.row_count, " reported; "
                                      "schema ", schema->Equals(*group.schema, false) ? "as" : "not as",
                                      " planned); run it again");
      }
      rows += file.row_count;
    }
    const bool keeps_rows = KeepsRows(plan);
    if (keeps_rows && rows != group.num_rows) {
      return arrow::Status::IOError("group ", g, " staged ", rows, " rows of ", group.num_rows,
                                    "; run it again");
    }
    out.staged_rows += rows;
    out.expected_rows += keeps_rows ? group.num_rows : result->rows_written;
  }
  return arrow::Status::OK();
}

// Removes the folders below `dataset_dir` that held `removed` files and are now empty,
// deepest first, up to the dataset folder. Local disks only: object stores have no
// folders to leave behind.
void RemoveEmptiedFolders(arrow::fs::FileSystem& fs, const std::string& dataset_dir,
                          const std::vector<std::string>& removed) {
  if (!io::IsLocalDisk(fs)) return;
  std::set<std::string> folders;
  for (const std::string& path : removed) {
    for (std::string folder = io::ParentPath(path);
         folder.size() > dataset_dir.size() && folder.starts_with(dataset_dir + "/");
         folder = io::ParentPath(folder)) {
      folders.insert(folder);
    }
  }
  for (auto it = folders.rbegin(); it != folders.rend(); ++it) {  // children sort after parents
    arrow::fs::FileSelector selector;
    selector.base_dir = *it;
    auto entries = fs.GetFileInfo(selector);
    if (entries.ok() && entries->empty()) (void)fs.DeleteDir(*it);
  }
}

}  // namespace

PreparedMaintenance::PreparedMaintenance(std::unique_ptr<State> state) : state_(std::move(state)) {}
PreparedMaintenance::~PreparedMaintenance() = default;
const MaintenancePlan& PreparedMaintenance::plan() const { return state_->plan; }
const std::string& PreparedMaintenance::staging_dir() const { return state_->staging->dir(); }
const std::shared_ptr<memory::Budget>& PreparedMaintenance::budget() const { return state_->budget; }
perf::PerformanceMonitor& PreparedMaintenance::perf() { return *state_->perf; }
const ExecuteOptions& PreparedMaintenance::options() const { return state_->options; }
const std::shared_ptr<arrow::fs::FileSystem>& PreparedMaintenance::filesystem() const {
  return state_->location.filesystem;
}

std::unique_ptr<PreparedMaintenance> Prepare(const MaintenancePlan& plan,
                                             const io::Location& where,
                                             const ExecuteOptions& options,
                                             MaintenanceResult& failed) {
  auto state = std::make_unique<State>();
  // From here every call to the dataset's store goes through the counting filesystem.
  state->location = {io::CountRequests(where.filesystem, state->requests), where.path};
  const io::Location& location = state->location;
  state->plan = plan;
  state->options = options;
  state->result = Started(plan);
  arrow::fs::FileSystem& fs = *location.filesystem;
  auto fail = [&] {
    failed = Finish(*state);
    return nullptr;
  };
  auto budget = memory::Budget::Make(options.limits, options.monitor);
  if (!budget.ok()) {
    StartPhase(*state, "lock");
    EndPhase(*state, "lock", budget.status());
    return fail();
  }
  state->budget = *budget;
  state->perf = perf::PerformanceMonitor::Make(state->budget->monitor());
  StartPhase(*state, "lock");
  // One listing under the lock says whether an interrupted commit needs completing first
  // (it is, and the dataset listed again) and whether the dataset is still as planned.
  io::DatasetSnapshot now;
  arrow::Status locked = [&]() -> arrow::Status {
    ARROW_ASSIGN_OR_RAISE(state->lock, io::DatasetLock::Acquire(location.filesystem, location.path,
                                                                options.commit));
    ARROW_ASSIGN_OR_RAISE(now, io::TakeSnapshot(fs, location.path));
    if (!now.NeedsRecovery()) return arrow::Status::OK();
    ARROW_RETURN_NOT_OK(io::Recover(fs, location.path).status());
    ARROW_ASSIGN_OR_RAISE(now, io::TakeSnapshot(fs, location.path));
    return arrow::Status::OK();
  }();
  if (!EndPhase(*state, "lock", locked)) return fail();
  StartPhase(*state, "drift_check");
  for (const SnapshotEntry& entry : plan.snapshot) {
    state->planned.files[entry.path] = {entry.size_bytes, entry.mtime_ns};
  }
  arrow::Status unchanged = io::CheckUnchanged(now, location.path, state->planned,
                                               std::string(OperationName(plan.operation)));
  if (unchanged.ok()) unchanged = io::CheckNotStopped(options.stop, OperationName(plan.operation));
  if (!EndPhase(*state, "drift_check", unchanged)) return fail();
  StartPhase(*state, "stage");
  state->staging.emplace(location.filesystem, location.path);
  EndPhase(*state, "stage", arrow::Status::OK());
  StartPhase(*state, "write");
  return std::make_unique<PreparedMaintenance>(std::move(state));
}

MaintenanceResult Commit(std::unique_ptr<PreparedMaintenance> prepared,
                         arrow::Result<std::vector<TaskResult>> results) {
  // Any return before the journal drops `prepared`: staging removed, lock released.
  State& state = *prepared->state_;
  const MaintenancePlan& plan = state.plan;
  MaintenanceResult& out = state.result;
  if (!EndPhase(state, "write", results.status())) return Finish(state);
  StartPhase(state, "validate");
  std::vector<const TaskResult*> accepted;
  arrow::Status valid = Validate(state, *results, accepted);
  out.validated = valid.ok();
  if (!EndPhase(state, "validate", valid)) return Finish(state);

  StartPhase(state, "publish");
  io::StagedCommit& staging = *state.staging;
  std::vector<io::WrittenFile> published;
  arrow::Status publish = [&]() -> arrow::Status {
    for (size_t g = 0; g < plan.groups.size(); ++g) {
      const Group& group = plan.groups[g];
      const TaskResult& done = *accepted[g];
      const std::string folder =
          group.partition.empty() ? plan.dataset_dir : plan.dataset_dir + "/" + group.partition;
      const std::string id = io::UniqueId();
      const std::string task_dir = TaskDir(staging.dir(), g, done.attempt) + "/";
      for (size_t part = 0; part < done.staged.size(); ++part) {
        const io::WrittenFile& file = done.staged[part];
        // A file staged in a folder of the task's goes to that folder of the dataset (a
        // repartition's hive folders); others to the group's own.
        const std::string below = io::ParentPath(file.path.substr(task_dir.size()));
        const std::string final_path = (below.empty() ? folder : plan.dataset_dir + "/" + below) +
                                       "/" + FinalName(plan.operation, id, part);
        staging.AddMove(file.path, final_path);  // a fresh id: no request asks if it exists
        published.push_back({final_path, file.row_count, file.size_bytes});
      }
      for (int f : group.files) {
        staging.AddDelete(plan.files[f].path);
        out.removed.push_back(plan.files[f].path);
      }
      out.row_groups_copied += done.row_groups_copied;
      out.row_groups_encoded += done.row_groups_encoded;
      out.tasks.push_back({group.partition, static_cast<int64_t>(group.files.size()),
                           static_cast<int64_t>(done.staged.size()), done.rows_read,
                           done.rows_written, done.row_groups_copied, done.row_groups_encoded,
                           done.spill_buckets, done.seconds, done.memory_peak_bytes});
      state.perf->AddFiles(static_cast<int64_t>(group.files.size()));
    }
    ARROW_RETURN_NOT_OK(io::CheckNotStopped(state.options.stop, OperationName(plan.operation)));
    // The commit point re-checks the lock and that the dataset's files are those planned.
    return staging.Commit(std::string(OperationName(plan.operation)), *state.lock, state.planned,
                          state.options.commit);
  }();
  // A failed move after the journal is still a commit: recover (or the next write)
  // completes it, and the journal says so.
  out.committed = publish.ok();
  if (!publish.ok()) {
    auto journal = state.location.filesystem->GetFileInfo(plan.dataset_dir + "/" + io::kJournalName);
    out.committed = journal.ok() && journal->IsFile();
  }
  if (out.committed) {
    out.published = published;
    int64_t removed_bytes = 0, removed_rows = 0;
    for (const Group& group : plan.groups) {
      removed_bytes += group.size_bytes;
      removed_rows += group.num_rows;
    }
    int64_t added_bytes = 0, added_rows = 0;
    for (const io::WrittenFile& file : published) {
      added_bytes += file.size_bytes;
      added_rows += file.row_count;
    }
    out.files_after = out.files_before - static_cast<int64_t>(out.removed.size()) +
                      static_cast<int64_t>(published.size());
    out.bytes_after = out.bytes_before - removed_bytes + added_bytes;
    out.rows_after = out.rows_before - removed_rows + added_rows;
  } else {
    out.removed.clear();
    out.tasks.clear();
    out.row_groups_copied = out.row_groups_encoded = 0;
  }
  if (!EndPhase(state, "publish", publish)) return Finish(state);
  StartPhase(state, "cleanup");
  // The journal's last step removed the staging folder; folders emptied by the commit (a
  // repartition's old hive folders) go too. Best effort: the commit is done.
  RemoveEmptiedFolders(*state.location.filesystem, plan.dataset_dir, out.removed);
  EndPhase(state, "cleanup", arrow::Status::OK());
  out.succeeded = true;
  return Finish(state);
}

std::string FailureMessage(const MaintenanceResult& result, const memory::LimitSpelling& names) {
  if (result.succeeded || result.status.ok()) return "";
  std::string phase = result.failed_phase;
  if (!phase.empty()) phase[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(phase[0])));
  std::replace(phase.begin(), phase.end(), '_', ' ');
  return phase + " phase failed: " + memory::SpellBudgetError(result.status, names).message();
}

}  // namespace fsspeckit::maintenance
