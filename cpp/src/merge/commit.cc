// fsspeckit: the last step of a merge: accept one result per task, commit, describe.
#include <algorithm>
#include <map>
#include <set>

#include "io/unique_name_internal.h"
#include "fsspeckit/merge/commit.h"
#include "merge/planned_merge_internal.h"

namespace fsspeckit::merge {
namespace {

std::string Describe(const MergeTask& task, int64_t index) {
  return task.kind == TaskKind::kRewrite ? "task " + std::to_string(index) + " (rewriting '" +
                                               task.file + "')"
                                         : "task " + std::to_string(index) + " (inserting rows)";
}

// What the commit takes from the tasks.
struct Accepted {
  std::vector<const TaskResult*> results;  ///< one per task, by task
  /// Everything in the staging folder: the accepted files, those of other attempts (a
  /// retried task's), the staged source of a merge whose tasks ran elsewhere.
  std::vector<arrow::fs::FileInfo> listed;
};

// One result per task, each naming only files of its own attempt that exist as reported.
arrow::Result<Accepted> Accept(const Plan& plan, arrow::fs::FileSystem& fs,
                               const std::vector<TaskResult>& results) {
  // What is staged, from one listing of the staging folder rather than a request per file
  // (on an object store each is a round trip, and they would be made one after another).
  arrow::fs::FileSelector staging;
  staging.base_dir = plan.staging_dir;
  staging.recursive = true;
  staging.allow_not_found = true;
  Accepted out;
  ARROW_ASSIGN_OR_RAISE(out.listed, fs.GetFileInfo(staging));
  std::map<std::string, int64_t> staged_bytes;
  for (const auto& info : out.listed) {
    if (info.IsFile()) staged_bytes[info.path()] = info.size();
  }
  std::vector<const TaskResult*>& accepted = out.results;
  accepted.assign(plan.tasks.size(), nullptr);
  for (const TaskResult& result : results) {
    if (result.task < 0 || result.task >= static_cast<int64_t>(plan.tasks.size())) {
      return arrow::Status::Invalid("a result names task ", result.task, ", which the plan lacks");
    }
    if (accepted[result.task]) {
      return arrow::Status::Invalid(Describe(plan.tasks[result.task], result.task),
                                    " reported twice: give the commit one result per task");
    }
    accepted[result.task] = &result;
  }
  for (size_t t = 0; t < accepted.size(); ++t) {
    if (!accepted[t]) {
      return arrow::Status::Invalid(Describe(plan.tasks[t], t), " did not report: nothing was "
                                    "committed");
    }
    const std::string dir = TaskDir(plan, t, accepted[t]->attempt) + "/";
    if (plan.tasks[t].kind == TaskKind::kRewrite && accepted[t]->staged.empty()) {
      // The commit deletes the file a rewrite replaces: its rows must be somewhere.
      return arrow::Status::Invalid(Describe(plan.tasks[t], t), " staged no file: nothing was "
                                    "committed");
    }
    for (const io::WrittenFile& file : accepted[t]->staged) {
      if (!file.path.starts_with(dir) || file.path.find("..") != std::string::npos) {
        return arrow::Status::Invalid(Describe(plan.tasks[t], t), " reports '", file.path,
                                      "', outside its folder '", dir, "'");
      }
      auto found = staged_bytes.find(file.path);
      if (found == staged_bytes.end() || found->second != file.size_bytes) {
        return arrow::Status::IOError(Describe(plan.tasks[t], t), " staged '", file.path,
                                      "', which is missing or not as reported; run the merge again");
      }
    }
  }
  return out;
}

// What the journal was given, beyond the result's own lists.
struct Journaled {
  std::set<std::string> touched;  ///< paths written or removed
  int64_t total_bytes = 0;        ///< of the files written
};

// Adds to `commit` where each accepted task's files go and what they replace, and
// describes it in `result`.
Journaled AddToJournal(const Plan& plan, const std::vector<const TaskResult*>& accepted,
                       io::StagedCommit& commit, perf::PerformanceMonitor& perf,
                       MergeResult& result) {
  Journaled journaled;
  for (size_t t = 0; t < plan.tasks.size(); ++t) {
    const MergeTask& task = plan.tasks[t];
    const TaskResult& done = *accepted[t];
    const std::string dir = TaskDir(plan, t, done.attempt);
    const bool rewritten = task.kind == TaskKind::kRewrite;
    for (size_t part = 0; part < done.staged.size(); ++part) {
      const io::WrittenFile& file = done.staged[part];
      std::string final_path;
      if (rewritten) {
        // A rewritten file (and a file grown past max_rows_per_file continuing it) gets a
        // new name beside the old one, which the journal deletes after every move: an
        // object is never replaced under a reader that listed it.
        final_path = io::ReplacementPath(task.file, part);
      } else {
        // Inserts keep their (hive) folders below the task's folder.
        std::string relative = file.path.substr(dir.size());
        relative.resize(relative.size() - std::string_view(io::kStagedSuffix).size());
        final_path = plan.dataset_dir + relative + ".parquet";  // "part-<UniqueId>-<i>": fresh
      }
      commit.AddMove(file.path, final_path);  // new names: no request asks if they exist
      result.files.push_back({final_path, file.row_count, file.size_bytes,
                              rewritten ? "rewritten" : "inserted"});
      (rewritten ? result.rewritten_files : result.inserted_files).push_back(final_path);
      if (!rewritten) result.inserted += file.row_count;
      journaled.touched.insert(final_path);
      journaled.total_bytes += file.size_bytes;
    }
    result.inserted += static_cast<int64_t>(task.appended_rows.size());  // a rewrite's inserts
    if (rewritten) {
      commit.AddDelete(task.file);
      result.removed_files.push_back(task.file);
      journaled.touched.insert(task.file);
    }
    // A joined file's rows are in the rewritten file now: it goes too (rewritten_files
    // are the files written, removed_files those they replace).
    for (const JoinedFile& joined : task.joined) {
      commit.AddDelete(joined.path);
      result.removed_files.push_back(joined.path);
      journaled.touched.insert(joined.path);
    }
    result.tasks.push_back({std::string(TaskKindName(task.kind)), task.file, done.rows_written,
                            done.seconds, done.memory_peak_bytes});
    if (rewritten) perf.AddFiles(1);
  }
  // Rewritten files first, then inserted ones, as before the split into tasks.
  std::stable_partition(result.files.begin(), result.files.end(),
                        [](const MergedFile& f) { return f.operation == "rewritten"; });
  return journaled;
}

}  // namespace

arrow::Result<MergeResult> Commit(std::unique_ptr<PlannedMerge> planned,
                                  std::vector<TaskResult> results) {
  // Any return before the journal drops `planned`: staging removed, lock released.
  PlannedMerge::State& state = planned->state();
  const Plan& plan = state.plan;
  arrow::fs::FileSystem& fs = *state.location.filesystem;
  state.perf->StartOp("commit");
  MergeResult result;
  result.strategy = plan.strategy;
  result.source_count = plan.source_count;
  result.target_count_before = plan.target_rows;
  result.updated = plan.updated;
  result.keys_in_several_files = plan.keys_in_several_files;
  result.spill = plan.spill;
  io::StagedCommit& commit = *state.staging;
  Journaled journaled;
  // What the tasks staged is listed and checked at the same time as the commit point's
  // own checks (the lock, the dataset's files): three round trips at once on an object
  // store. The journal is written once all of them passed.
  auto accept = [&]() -> arrow::Status {
    ARROW_ASSIGN_OR_RAISE(Accepted accepted, Accept(plan, fs, results));
    journaled = AddToJournal(plan, accepted.results, commit, *state.perf, result);
    commit.SetStagedListing(accepted.listed);
    return io::CheckNotStopped(state.options.stop, "merge");
  };
  ARROW_RETURN_NOT_OK(
      commit.Commit("merge", *state.lock, state.planned_files, state.options.commit, accept));
  state.perf->EndOp();

  for (const PlannedFile& file : plan.files) {
    if (journaled.touched.count(file.path)) continue;
    result.files.push_back({file.path, 0, std::nullopt, "preserved"});
    result.preserved_files.push_back(file.path);
  }
  result.target_count_after = result.target_count_before + result.inserted;
  result.requests = state.requests->ByName();
  result.metrics =
      state.perf->Metrics(result.target_count_before, result.target_count_after,
                          journaled.total_bytes);
  // The share of source rows dropped as duplicate keys (last wins).
  result.metrics.dedup_efficiency =
      plan.source_rows == 0 ? 0.0
                            : static_cast<double>(plan.source_rows - plan.source_count) /
                                  static_cast<double>(plan.source_rows);
  return result;
}

}  // namespace fsspeckit::merge
