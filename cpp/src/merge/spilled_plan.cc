// fsspeckit: planning a merge whose source is larger than its share of the budget. The
// source is spilled in parts by a hash of its key (equal keys share a part, so "the last
// row of a key wins" holds part by part); the dataset's keys are scanned once per pass,
// a pass being as many parts as fit at once; each file's replacing rows and the new rows
// are written out as found, batch by batch, and each task reads its batches back.
#include <algorithm>
#include <map>
#include <set>

#include <arrow/ipc/reader.h>
#include <arrow/ipc/writer.h>
#include <arrow/table.h>

#include "fsspeckit/memory/budget_error.h"
#include "fsspeckit/memory/byte_text.h"
#include "io/dataset_files_internal.h"
#include "merge/plan_internal.h"

namespace fsspeckit::merge {
namespace {

// What the passes found, file by file in path order (the first pass's listing).
struct Matches {
  std::vector<TargetFile> files;
  std::vector<std::vector<SpilledRows>> replacing;  // per file
  std::vector<std::set<int>> row_groups;      // per file: those holding source keys
  std::vector<SpilledRows> inserted;
};

// Rows are written for tasks this many at most per batch (a task reads whole batches),
// fewer where an eighth of a pass's share holds fewer (a batch is gathered, then written).
constexpr int64_t kSpilledBatchRows = 64 * 1024;

std::string PassPath(const std::string& spill_dir, int pass) {
  return spill_dir + "/pass-" + std::to_string(pass) + ".arrow";
}

// Consecutive parts whose rows fit in memory together: one scan of the dataset each.
std::vector<std::vector<SourcePart>> GroupIntoPasses(const std::vector<SourcePart>& parts,
                                                     int64_t pass_bytes) {
  std::vector<std::vector<SourcePart>> passes;
  int64_t bytes = 0;
  for (const SourcePart& part : parts) {
    if (passes.empty() || bytes + part.bytes > pass_bytes) {
      passes.emplace_back();
      bytes = 0;
    }
    passes.back().push_back(part);
    bytes += part.bytes;
  }
  return passes;
}

// The rows one pass writes for the tasks: gathered from the pass's parts in batches of
// `batch_rows` (sized to the pass's share), appended to the pass's spill file.
class PassOutput {
 public:
  static arrow::Result<PassOutput> Open(arrow::fs::FileSystem& fs, const std::string& dir,
                                        int pass, std::shared_ptr<arrow::Table> rows,
                                        size_t batch_rows, arrow::MemoryPool* pool) {
    ARROW_ASSIGN_OR_RAISE(SourceRows source, SourceRows::Make(rows));
    auto file = SpillFileWriter::Open(fs, PassPath(dir, pass), rows->schema(), pool);
    ARROW_RETURN_NOT_OK(SpillWriteError(file.status(), dir));
    return PassOutput(dir, pass, batch_rows, pool, std::move(source), std::move(*file));
  }

  // The rows `winning` (source rows of the pass) in the source's order, as pieces.
  arrow::Status Write(std::vector<int64_t> winning, std::vector<SpilledRows>& pieces) {
    std::sort(winning.begin(), winning.end());
    for (size_t at = 0; at < winning.size(); at += batch_rows_) {
      std::vector<int64_t> some(winning.begin() + at,
                                winning.begin() + std::min(winning.size(), at + batch_rows_));
      ARROW_ASSIGN_OR_RAISE(auto batch, rows_.Gather(some, pool_));
      auto number = file_.Write(*batch);
      ARROW_RETURN_NOT_OK(SpillWriteError(number.status(), dir_));
      pieces.push_back({pass_, *number, batch->num_rows()});
    }
    return arrow::Status::OK();
  }

  // The bytes written.
  arrow::Result<int64_t> Close() {
    auto bytes = file_.Close();
    ARROW_RETURN_NOT_OK(SpillWriteError(bytes.status(), dir_));
    return bytes;
  }

 private:
  PassOutput(std::string dir, int pass, size_t batch_rows, arrow::MemoryPool* pool,
             SourceRows rows, SpillFileWriter file)
      : dir_(std::move(dir)), pass_(pass), batch_rows_(batch_rows), pool_(pool),
        rows_(std::move(rows)), file_(std::move(file)) {}

  std::string dir_;
  int pass_;
  size_t batch_rows_;
  arrow::MemoryPool* pool_;
  SourceRows rows_;
  SpillFileWriter file_;
};

// One pass: the parts' keys matched against the dataset; the winning rows of keys found
// in a file are written for that file, those of keys found nowhere as new rows.
arrow::Status ScanPass(PlannedMerge::State& state, const std::vector<SourcePart>& parts, int pass,
                       int64_t pass_bytes, const std::string& spill_dir, Matches& matches) {
  const MergeOptions& options = state.options;
  Plan& plan = state.plan;
  arrow::MemoryPool* pool = state.budget->pool();
  arrow::fs::FileSystem& fs = *state.location.filesystem;
  ARROW_ASSIGN_OR_RAISE(auto table, ReadParts(fs, parts, pool));
  ARROW_ASSIGN_OR_RAISE(auto keys, KeyIndex::Make(*table, options.key_columns, pool));
  ARROW_ASSIGN_OR_RAISE(SourceRange range, MakeSourceRange(*table, options.key_columns[0]));
  const bool rewrites = options.strategy != Strategy::kInsert;
  ARROW_ASSIGN_OR_RAISE(TargetScan found,
                        ScanTargets(fs, state.location.path,
                                    io::DataFilesIn(state.location.path, state.planned_files.listed),
                                    *keys, range, *table,
                                    options.partition_columns, rewrites, 0,
                                    ScanWorkers(fs, *state.budget), /*keys_by_row_group=*/true));
  if (pass == 0) {
    plan.schema = found.schema;
    plan.partition_by = found.partition_by;
    plan.target_rows = found.target_rows;
    matches.replacing.resize(found.files.size());
    matches.row_groups.resize(found.files.size());
  } else if (found.files.size() != matches.files.size()) {
    return arrow::Status::IOError("the dataset '", state.location.path,
                                  "' changed while the merge held its lock");
  }
  const size_t batch_rows = static_cast<size_t>(std::clamp<int64_t>(
      pass_bytes / 8 / std::max<int64_t>(1, plan.source_row_bytes), 1024, kSpilledBatchRows));
  ARROW_ASSIGN_OR_RAISE(PassOutput out,
                        PassOutput::Open(fs, spill_dir, pass, table, batch_rows, pool));
  // A rewrite's rows by row group of its file: it holds one row group's at a time.
  for (size_t f = 0; rewrites && f < found.files.size(); ++f) {
    std::vector<SpilledRows>& pieces = matches.replacing[f];
    for (const auto& [rg, ids] : found.files[f].row_group_keys) {
      std::vector<int64_t> winning;
      for (uint32_t id : ids) winning.push_back(keys->winning_rows()[id]);
      const size_t first = pieces.size();
      ARROW_RETURN_NOT_OK(out.Write(std::move(winning), pieces));
      for (size_t p = first; p < pieces.size(); ++p) pieces[p].row_group = rg;
      matches.row_groups[f].insert(rg);
    }
  }
  std::vector<int64_t> inserted;
  for (int64_t id = 0; id < keys->num_keys(); ++id) {
    if (found.key_matched[id]) {
      plan.updated += rewrites ? 1 : 0;
    } else if (options.strategy != Strategy::kUpdate) {
      inserted.push_back(keys->winning_rows()[id]);
    }
  }
  ARROW_RETURN_NOT_OK(out.Write(std::move(inserted), matches.inserted));
  ARROW_ASSIGN_OR_RAISE(int64_t written, out.Close());
  if (pass == 0) {  // footers and paths, kept for the tasks (no key columns: none kept)
    matches.files = std::move(found.files);
  }
  plan.spill.bytes += written;
  plan.source_count += keys->num_keys();
  plan.keys_in_several_files += found.keys_in_several_files;
  plan.spill.files_scanned += found.candidate_files;
  return arrow::Status::OK();
}

// The tasks: rewrites largest first (as the in-memory plan orders them), each with the
// rows the passes wrote for its file, then the new rows.
void MakeTasks(Plan& plan, Matches& matches) {
  std::vector<size_t> order;
  for (size_t f = 0; f < matches.files.size(); ++f) {
    if (!matches.replacing[f].empty()) order.push_back(f);
  }
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return matches.files[a].size_bytes > matches.files[b].size_bytes;
  });
  for (size_t f : order) {
    const TargetFile& file = matches.files[f];
    MergeTask task;
    task.kind = TaskKind::kRewrite;
    task.file = file.path;
    task.row_groups.assign(matches.row_groups[f].begin(), matches.row_groups[f].end());
    std::map<int32_t, int64_t> rows_by_row_group;
    for (const SpilledRows& piece : matches.replacing[f]) rows_by_row_group[piece.row_group] += piece.rows;
    int64_t most_rows = 0;
    for (const auto& [rg, rows] : rows_by_row_group) most_rows = std::max(most_rows, rows);
    task.spilled_rows = std::move(matches.replacing[f]);
    task.work_rows = file.num_rows();
    // One row group's replacing rows are held at a time, as read and as indexed.
    task.estimated_bytes = RewriteBytes(file, plan.write, plan.source_row_bytes) +
                           2 * most_rows * plan.source_row_bytes;
    plan.tasks.push_back(std::move(task));
  }
  if (matches.inserted.empty()) return;
  // One task streams every new row, a batch at a time: files as full as
  // max_rows_per_file allows, whatever the budget (it holds about a batch, three times).
  MergeTask& insert = plan.tasks.emplace_back();
  insert.kind = TaskKind::kInsert;
  int64_t largest_rows = 0;
  for (const SpilledRows& piece : matches.inserted) {
    insert.work_rows += piece.rows;
    largest_rows = std::max(largest_rows, piece.rows);
  }
  insert.spilled_rows = std::move(matches.inserted);
  const int64_t copies = plan.partition_by.empty() ? 3 : 4;  // as plan.cc's inserts
  insert.estimated_bytes = copies * plan.source_row_bytes * largest_rows;
}

}  // namespace

arrow::Result<std::unique_ptr<PlannedMerge>> MakeSpilledPlan(
    SourceHead head, arrow::RecordBatchReader& reader, std::unique_ptr<PlannedMerge::State> state) {
  Plan& plan = state->plan;
  memory::Budget& budget = *state->budget;
  // A pass holds its parts, their index and the scan: half the room the pool has once
  // the head is spilled (a caller's source handed over in memory stays in the pool).
  const int64_t room = budget.pool()->available_bytes() + head.bytes;
  const int64_t pass_bytes = std::min(budget.source_bytes(), room / 2);
  if (pass_bytes < budget.source_bytes() / 4) {
    return memory::BudgetExceeded(
        "the Arrow pool holds " + memory::MibText(budget.pool()->limit_bytes() - room) +
            " besides the merge (a source handed over in memory is held there), leaving too "
            "little of the budget of " + memory::MibText(budget.pool()->limit_bytes()) +
            " to merge a source this large part by part",
        {memory::Limit::kPool},
        "hand the source over as a stream (a RecordBatchReader, a pyarrow dataset or a Parquet "
        "path), read once part by part");
  }
  ARROW_RETURN_NOT_OK(OpenDataset(*state));
  state->staging.emplace(state->location.filesystem, state->location.path);
  plan.staging_dir = state->staging->dir();
  const std::string spill_dir = plan.staging_dir + "/spill";
  state->perf->StartOp("spill");
  ARROW_ASSIGN_OR_RAISE(SpilledSource spilled,
                        SpillSource(std::move(head), reader, *state->location.filesystem,
                                    spill_dir, state->options.key_columns, pass_bytes,
                                    budget.pool()));
  int64_t spilled_bytes = 0;
  for (const SourcePart& part : spilled.parts) spilled_bytes += part.bytes;
  plan.source_rows = spilled.rows;
  plan.source_row_bytes = spilled_bytes / std::max<int64_t>(1, spilled.rows);
  plan.spill.bytes = spilled.bytes_written;
  plan.spill.parts = static_cast<int64_t>(spilled.parts.size());
  ARROW_RETURN_NOT_OK(io::CheckNotStopped(state->options.stop, "merge"));

  state->perf->StartOp("planning");
  const auto passes = GroupIntoPasses(spilled.parts, pass_bytes);
  plan.spill.passes = static_cast<int64_t>(passes.size());
  Matches matches;
  for (size_t pass = 0; pass < passes.size(); ++pass) {
    plan.spill_files.push_back(PassPath(spill_dir, static_cast<int>(pass)));
    ARROW_RETURN_NOT_OK(ScanPass(*state, passes[pass], static_cast<int>(pass), pass_bytes,
                                 spill_dir, matches));
    ARROW_RETURN_NOT_OK(DeleteParts(*state->location.filesystem, passes[pass]));
    ARROW_RETURN_NOT_OK(io::CheckNotStopped(state->options.stop, "merge"));
  }
  if (matches.files.empty() && state->options.strategy == Strategy::kUpdate) {
    return arrow::Status::Invalid("Cannot UPDATE a non-existent target dataset: no Parquet files in '",
                                  state->location.path, "'");
  }
  for (const TargetFile& file : matches.files) {
    plan.files.push_back({file.path, file.size_bytes, file.num_rows()});
  }
  MakeTasks(plan, matches);
  state->perf->StartOp("tasks");
  return std::make_unique<PlannedMerge>(std::move(state));
}

}  // namespace fsspeckit::merge
