// fsspeckit: the first step of a merge: validate, load the source, lock, plan the tasks.
#include <algorithm>
#include <iterator>
#include <limits>
#include <map>
#include <optional>
#include <thread>

#include <arrow/scalar.h>
#include <arrow/table.h>
#include <arrow/util/byte_size.h>
#include <parquet/properties.h>

#include "fsspeckit/io/location.h"
#include "io/dataset_files_internal.h"
#include "io/parallel_for_internal.h"
#include "io/thread_edge_internal.h"
#include "io/unique_name_internal.h"
#include "io/view_types_internal.h"
#include "io/write_files_internal.h"
#include "fsspeckit/io/write_parquet.h"
#include "merge/target_scan_internal.h"
#include "merge/planned_merge_internal.h"
#include "merge/dataset_schema_internal.h"
#include "merge/missing_columns_internal.h"
#include "merge/plan_internal.h"
#include "merge/spilled_source_internal.h"

namespace fsspeckit::merge {
namespace {

arrow::Status ValidateOptions(const MergeOptions& options) {
  if (options.key_columns.empty()) return arrow::Status::Invalid("key_columns cannot be empty");
  if (options.chunk_size_rows <= 0) {
    return arrow::Status::Invalid("merge_chunk_size_rows must be a positive number of rows, got: ",
                                  options.chunk_size_rows);
  }
  for (const std::string& key : options.key_columns) {
    if (key.find_first_not_of(" \t") == std::string::npos) {
      return arrow::Status::Invalid("key_columns cannot contain empty strings");
    }
  }
  return arrow::Status::OK();
}

int64_t CompressedBytes(const parquet::FileMetaData& metadata) {
  int64_t bytes = 0;
  for (int rg = 0; rg < metadata.num_row_groups(); ++rg) {
    bytes += metadata.RowGroup(rg)->total_compressed_size();
  }
  return bytes;
}

// What rewriting `file` holds at its peak: a decoded row group three times (as read,
// with rows replaced, and the replacing source rows), the raw column chunks being
// decoded, and the writer's buffered output row group (compressed, at the file's bytes
// per row). A decoded row group is sized from the footer or, when larger, from the
// source's bytes per row: a footer counts dictionary-encoded columns encoded, far below
// their decoded size.
}  // namespace

int64_t RewriteBytes(const TargetFile& file, const io::WriteDatasetOptions& write,
                     int64_t source_row_bytes) {
  const parquet::FileMetaData& metadata = *file.metadata;
  int64_t largest_decoded = 0, largest_compressed = 0;
  for (int rg = 0; rg < metadata.num_row_groups(); ++rg) {
    auto row_group = metadata.RowGroup(rg);
    largest_decoded = std::max({largest_decoded, row_group->total_byte_size(),
                                row_group->num_rows() * source_row_bytes});
    largest_compressed = std::max(largest_compressed, row_group->total_compressed_size());
  }
  const int64_t rows = file.num_rows();
  const int64_t output_rows =
      std::min({write.row_group_size.value_or(parquet::DEFAULT_MAX_ROW_GROUP_LENGTH),
                write.max_rows_per_file.value_or(rows), rows});
  const int64_t output_bytes = rows == 0 ? 0 : CompressedBytes(metadata) * output_rows / rows;
  return 3 * largest_decoded + largest_compressed + output_bytes;
}

namespace {

// A joined file holds up to this many rows: files few and large enough to scan fast,
// and still several rewrites to run side by side where a merge touches many small files.
constexpr int64_t kJoinedRowsCap = int64_t{1} << 20;
// Files below this many rows are joined: there the cost of a file (its open, footer,
// staging and rename) outweighs its rows. Larger files are rewritten each as its own
// task, side by side (joining eight 62.5k-row files made bench_matrix's wide shapes one
// serial task: 0.57 s against 0.33).
constexpr int64_t kJoinedBelowRows = 16 * 1024;

// A small file rewritten beside another of the same folder (the one before it in path
// order, itself small or already joining others) is written with it, as one file, when
// their rows fit max_rows_per_file and kJoinedRowsCap: a merge touching many small files
// of a partition leaves few files there, not as many as it found. Their row groups are
// decoded and joined into full-size ones. False when `task` stays a task of its own.
bool JoinsInto(MergeTask& into, MergeTask& task, const std::optional<int64_t>& max_rows_per_file) {
  const int64_t limit = std::min(kJoinedRowsCap, max_rows_per_file.value_or(kJoinedRowsCap));
  if (io::ParentPath(into.file) != io::ParentPath(task.file) ||
      (into.joined.empty() && into.work_rows >= kJoinedBelowRows) ||
      into.work_rows > limit - task.work_rows) {
    return false;
  }
  into.joined.push_back({std::move(task.file), std::move(task.row_groups)});
  std::vector<int64_t> rows;
  rows.reserve(into.source_rows.size() + task.source_rows.size());
  std::merge(into.source_rows.begin(), into.source_rows.end(), task.source_rows.begin(),
             task.source_rows.end(), std::back_inserter(rows));
  into.source_rows = std::move(rows);
  into.work_rows += task.work_rows;
  // The files are read one after the other (MakeTasks adds the row group being joined).
  into.estimated_bytes = std::max(into.estimated_bytes, task.estimated_bytes);
  return true;
}

// The partition of a hive folder or of a source row, as text equal where the values are:
// each partition column's value in the source's type, as Arrow prints it. Empty for an
// unpartitioned dataset; nullopt for a folder whose value is not of the source's type.
std::optional<std::string> FolderPartition(const TargetFile& file, const Plan& plan,
                                           const arrow::Schema& source) {
  std::string key;
  for (const std::string& column : plan.partition_by) {
    auto value = file.partition_values.find(column);
    if (value == file.partition_values.end()) return std::nullopt;
    if (value->second == kHiveNull) {
      key += std::string("\0null\0", 6);
      continue;
    }
    auto parsed = arrow::Scalar::Parse(source.GetFieldByName(column)->type(), value->second);
    if (!parsed.ok()) return std::nullopt;
    key += (*parsed)->ToString() + std::string(1, '\0');
  }
  return key;
}

arrow::Result<std::string> RowPartition(const arrow::Table& source, int64_t row, const Plan& plan) {
  std::string key;
  for (const std::string& column : plan.partition_by) {
    ARROW_ASSIGN_OR_RAISE(auto value, source.GetColumnByName(column)->GetScalar(row));
    key += value->is_valid ? value->ToString() + std::string(1, '\0') : std::string("\0null\0", 6);
  }
  return key;
}

// Few inserted rows (a small file's worth) go into files that are rewritten anyway: the
// rows of each partition into the file of that partition (its hive folder) with the
// fewest rows that has room for them under max_rows_per_file and is at least eight times
// their number (or they are 1,024 at most). A merge then leaves no new
// small file behind, where daily merges would otherwise add one a day. The rows that find
// no such file stay in `insert`; false when none is left there.
arrow::Result<bool> AppendToRewrites(MergeTask& insert, std::vector<MergeTask>& rewrites,
                                     const Plan& plan, const TargetScan& found,
                                     const arrow::Table& source) {
  if (insert.work_rows >= kSmallRows || rewrites.empty()) return false;
  std::map<std::string, const TargetFile*> files;
  for (const TargetFile& file : found.files) files[file.path] = &file;
  std::map<std::string, std::vector<int64_t>> rows_by_partition;  // in source order
  for (int64_t row : insert.source_rows) {
    ARROW_ASSIGN_OR_RAISE(std::string partition, RowPartition(source, row, plan));
    rows_by_partition[partition].push_back(row);
  }
  const int64_t limit = plan.write.max_rows_per_file.value_or(std::numeric_limits<int64_t>::max());
  const int64_t bytes_per_row = insert.estimated_bytes / std::max<int64_t>(1, insert.work_rows);
  std::vector<int64_t> left;
  for (auto& [partition, rows] : rows_by_partition) {
    const int64_t n = static_cast<int64_t>(rows.size());
    MergeTask* chosen = nullptr;
    for (MergeTask& task : rewrites) {
      // At most an eighth more rows (or 1,024, cheap anywhere): the rewrite that takes
      // them stays about as long as the others beside it (wide-two-files: 12.5k new rows
      // into a 62.5k-row rewrite made it the merge's critical path, 0.13 s against 0.10).
      if (task.work_rows > limit - n || n > std::max<int64_t>(task.work_rows / 8, 1024) ||
          (chosen && task.work_rows >= chosen->work_rows)) {
        continue;
      }
      if (FolderPartition(*files.at(task.file), plan, *source.schema()) == partition) chosen = &task;
    }
    if (!chosen) {
      left.insert(left.end(), rows.begin(), rows.end());
      continue;
    }
    chosen->appended_rows = std::move(rows);
    chosen->work_rows += n;
    chosen->estimated_bytes += bytes_per_row * n;
  }
  std::sort(left.begin(), left.end());  // the source's order
  insert.work_rows = static_cast<int64_t>(left.size());
  insert.estimated_bytes = bytes_per_row * insert.work_rows;
  insert.source_rows = std::move(left);
  return insert.source_rows.empty();
}

// The tasks of the writing phase: rewrites largest first (the last to finish are
// short), then the inserted rows as one task. An insert holds its rows three times
// (gathered, queued in the dataset writer, concatenated into a row group), four when
// partitioned (measured: 2.7x and 3.3x).
arrow::Result<std::vector<MergeTask>> MakeTasks(const TargetScan& found, const KeyIndex& keys,
                                                const Plan& plan, int64_t source_bytes,
                                                const arrow::Table& source) {
  const int64_t source_num_rows = source.num_rows();
  const bool rewrites = plan.strategy != Strategy::kInsert;
  const bool inserts = plan.strategy != Strategy::kUpdate;
  const int64_t source_row_bytes = source_bytes / std::max<int64_t>(1, source_num_rows);
  std::vector<MergeTask> tasks;
  std::vector<int64_t> compressed;
  size_t previous_file = 0;  // the last file given a task
  for (size_t f = 0; rewrites && f < found.files.size(); ++f) {
    const TargetFile& file = found.files[f];
    if (file.matched_rows == 0) continue;
    MergeTask task;
    task.kind = TaskKind::kRewrite;
    task.file = file.path;
    task.row_groups = file.matched_row_groups;
    task.source_rows.reserve(found.file_keys[f].size());
    for (uint32_t id : found.file_keys[f]) task.source_rows.push_back(keys.winning_rows()[id]);
    std::sort(task.source_rows.begin(), task.source_rows.end());
    task.work_rows = file.num_rows();
    task.estimated_bytes = RewriteBytes(file, plan.write, source_row_bytes);
    // Joined only with the file just before it in the listing: the dataset's row order
    // (by path, then row) stays as it was.
    const bool follows = !tasks.empty() && previous_file + 1 == f;
    previous_file = f;
    if (file.num_rows() < kJoinedBelowRows && follows &&
        JoinsInto(tasks.back(), task, plan.write.max_rows_per_file)) {
      compressed.back() += CompressedBytes(*file.metadata);
      continue;
    }
    tasks.push_back(std::move(task));
    compressed.push_back(CompressedBytes(*file.metadata));
  }
  // A joined task also holds the row group it joins: at most all its files' rows, as the
  // writer buffers them (compressed).
  for (size_t t = 0; t < tasks.size(); ++t) {
    if (!tasks[t].joined.empty()) tasks[t].estimated_bytes += compressed[t];
  }
  std::vector<size_t> order(tasks.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return compressed[a] > compressed[b]; });
  std::vector<MergeTask> ordered;
  for (size_t i : order) ordered.push_back(std::move(tasks[i]));
  MergeTask insert;
  insert.kind = TaskKind::kInsert;
  for (int64_t id = 0; inserts && id < keys.num_keys(); ++id) {
    if (!found.key_matched[id]) insert.source_rows.push_back(keys.winning_rows()[id]);
  }
  if (!insert.source_rows.empty()) {
    std::sort(insert.source_rows.begin(), insert.source_rows.end());  // the source's order
    insert.work_rows = static_cast<int64_t>(insert.source_rows.size());
    const int64_t copies = plan.partition_by.empty() ? 3 : 4;
    // Divided first: the product could overflow.
    insert.estimated_bytes = copies * (source_bytes / std::max<int64_t>(1, keys.num_keys())) *
                             insert.work_rows;
    ARROW_ASSIGN_OR_RAISE(bool appended, AppendToRewrites(insert, ordered, plan, found, source));
    if (!appended) ordered.push_back(std::move(insert));
  }
  return ordered;
}

// Files the plan scans at once: two on a local disk (decoding key columns is the work), more
// on an object store (round trips are), as many as the budget has room for: a scan holds a
// file's key columns, guessed at 64 MiB at most.
}  // namespace

int ScanWorkers(const arrow::fs::FileSystem& fs, memory::Budget& budget) {
  const int local = std::thread::hardware_concurrency() > 1 ? 2 : 1;
  const int64_t room = budget.pool()->available_bytes() / (int64_t{64} << 20);
  return static_cast<int>(std::clamp<int64_t>(room, local, io::WorkersFor(fs, local)));
}

arrow::Status OpenDataset(PlannedMerge::State& state) {
  arrow::fs::FileSystem& fs = *state.location.filesystem;
  const std::string& dir = state.location.path;
  auto missing = [&] {
    return arrow::Status::Invalid("Cannot UPDATE a non-existent target dataset: '", dir,
                                  "' does not exist");
  };
  const bool update = state.options.strategy == Strategy::kUpdate;
  // An object store has no folders to create by mistake: its listing below says whether
  // the dataset exists, without the HEAD and LIST of a folder's GetFileInfo.
  const bool object_store = io::WritesWholeObjects(fs);
  if (update && !object_store) {
    ARROW_ASSIGN_OR_RAISE(auto dir_info, fs.GetFileInfo(dir));
    if (dir_info.type() == arrow::fs::FileType::NotFound) return missing();
  }
  ARROW_ASSIGN_OR_RAISE(state.lock,
                        io::DatasetLock::Acquire(state.location.filesystem, dir, state.options.commit));
  ARROW_RETURN_NOT_OK(io::CheckNotStopped(state.options.stop, "merge"));
  // One listing serves the plan: what to recover (rarely anything), what the commit
  // checks for changes, and the files to scan.
  ARROW_ASSIGN_OR_RAISE(state.planned_files, io::TakeSnapshot(fs, dir));
  if (state.planned_files.NeedsRecovery()) {
    ARROW_RETURN_NOT_OK(io::Recover(fs, dir).status());
    ARROW_ASSIGN_OR_RAISE(state.planned_files, io::TakeSnapshot(fs, dir));
  }
  // (Only hidden objects, the lock's own among them: no dataset there either.)
  if (update && object_store && state.planned_files.files.empty()) return missing();
  return arrow::Status::OK();
}

namespace {

// Indexes a source that fits its share of the budget (the whole of it, read as `head`).
arrow::Status LoadSource(SourceHead head, const std::shared_ptr<arrow::Schema>& schema,
                         PlannedMerge::State& state, SourceRange& range) {
  const MergeOptions& options = state.options;
  ARROW_ASSIGN_OR_RAISE(auto table, arrow::Table::FromRecordBatches(schema, std::move(head.batches)));
  state.source_bytes = head.bytes;
  state.source = std::make_shared<TaskSource>();
  ARROW_ASSIGN_OR_RAISE(state.source->rows, SourceRows::Make(std::move(table)));
  const arrow::Table& source = state.source->rows.table();
  // The key index and the sorted keys for statistics pruning, built at once.
  arrow::Result<SourceRange> made_range = arrow::Status::UnknownError("not computed");
  std::jthread range_thread([&] {  // joins even if the index throws
    arrow::Status thrown = io::CatchAtEdge("sorting the source keys", [&] {
      made_range = MakeSourceRange(source, options.key_columns[0]);
      return arrow::Status::OK();
    });
    if (!thrown.ok()) made_range = thrown;
  });
  auto made_keys = KeyIndex::Make(source, options.key_columns, state.budget->pool());
  range_thread.join();
  ARROW_ASSIGN_OR_RAISE(state.source->keys, std::move(made_keys));
  ARROW_ASSIGN_OR_RAISE(range, std::move(made_range));
  return arrow::Status::OK();
}

// Tasks that run elsewhere read the source from the dataset's own storage: one Parquet
// file, rows in the source's order (plans name rows by number).
arrow::Status StageSource(PlannedMerge::State& state) {
  state.plan.source_path = state.plan.staging_dir + "/source.parquet";
  auto reader = std::make_shared<arrow::TableBatchReader>(state.source->rows.table());
  io::WriteParquetOptions options;
  options.compression = "lz4";
  options.row_group_size = 64 * 1024;  // tasks read only the row groups with their rows
  return io::WriteParquet(reader, {state.location.filesystem, state.plan.source_path}, options)
      .status();
}

}  // namespace

arrow::Result<std::unique_ptr<PlannedMerge>> MakePlan(std::shared_ptr<arrow::RecordBatchReader> reader,
                                                      const io::Location& where,
                                                      const MergeOptions& options,
                                                      bool stage_source) {
  ARROW_RETURN_NOT_OK(ValidateOptions(options));
  auto state = std::make_unique<PlannedMerge::State>();
  // From here every call to the dataset's store goes through the counting filesystem.
  state->location = {io::CountRequests(where.filesystem, state->requests), where.path};
  const io::Location& location = state->location;
  // The buffers the merge reads, replaces and writes come from its pool: an allocation
  // that would take the Arrow pool past the budget fails (MemoryError, before the commit)
  // instead of overshooting it.
  ARROW_ASSIGN_OR_RAISE(state->budget, memory::Budget::Make(options.limits, options.monitor));
  state->options = options;
  Plan& plan = state->plan;
  plan.dataset_dir = location.path;
  plan.strategy = options.strategy;
  plan.key_columns = options.key_columns;
  plan.write.compression = options.compression;
  plan.write.max_rows_per_file = options.max_rows_per_file;
  plan.write.row_group_size = options.row_group_size;
  plan.chunk_size_rows = options.chunk_size_rows;
  // polars' string_view etc.: Arrow's take has no kernels for view types.
  ARROW_ASSIGN_OR_RAISE(reader, io::WithoutViewTypes(std::move(reader)));
  if (options.schema) {
    ARROW_ASSIGN_OR_RAISE(reader, io::CastToSchema(std::move(reader), options.schema));
  }
  ARROW_RETURN_NOT_OK(CheckColumns(*reader->schema(), options.key_columns,
                                   "Key column(s) missing from source: "));
  ARROW_RETURN_NOT_OK(CheckColumns(*reader->schema(), options.partition_columns,
                                   "Partition column(s) not found in source: "));
  ARROW_RETURN_NOT_OK(io::ValidateWriteOptions(plan.write));  // codec and sizes, before any work
  ARROW_RETURN_NOT_OK(io::CheckParquetStores(*reader->schema()));  // intervals, unions: named
  state->perf = perf::PerformanceMonitor::Make(state->budget->monitor());
  state->perf->StartOp("key_index");
  ARROW_ASSIGN_OR_RAISE(SourceHead head, ReadSourceHead(*reader, state->budget->source_bytes(),
                                                         *state->budget->pool()));
  if (!head.complete) return MakeSpilledPlan(std::move(head), *reader, std::move(state));
  SourceRange range;
  ARROW_RETURN_NOT_OK(LoadSource(std::move(head), reader->schema(), *state, range));
  state->perf->StartOp("planning");
  KeyIndex& keys = *state->source->keys;
  const arrow::Table& source = state->source->rows.table();
  plan.source_rows = source.num_rows();
  plan.source_row_bytes = state->source_bytes / std::max<int64_t>(1, source.num_rows());

  arrow::fs::FileSystem& fs = *location.filesystem;
  const std::string& dir = location.path;
  ARROW_RETURN_NOT_OK(OpenDataset(*state));

  const bool rewrites = options.strategy != Strategy::kInsert;
  // Key columns read by the plan are kept for the rewrites in this process, within their
  // share of the budget (they count against it while kept; each rewrite frees its file's).
  const int64_t keep_keys_bytes = stage_source || !rewrites ? 0 : state->budget->planned_keys_bytes();
  // The listing is taken, not copied: the commit checks against `files` alone.
  ARROW_ASSIGN_OR_RAISE(TargetScan found,
                        ScanTargets(fs, dir, io::DataFilesIn(dir, std::move(state->planned_files.listed)), keys,
                                    range, source, options.partition_columns, rewrites,
                                    keep_keys_bytes, ScanWorkers(fs, *state->budget)));
  ARROW_RETURN_NOT_OK(io::CheckNotStopped(options.stop, "merge"));
  if (found.files.empty() && options.strategy == Strategy::kUpdate) {
    return arrow::Status::Invalid("Cannot UPDATE a non-existent target dataset: no Parquet files in '",
                                  dir, "'");
  }
  plan.schema = found.schema;
  plan.partition_by = found.partition_by;
  plan.source_count = keys.num_keys();
  plan.target_rows = found.target_rows;
  plan.keys_in_several_files = found.keys_in_several_files;
  for (TargetFile& file : found.files) {
    plan.files.push_back({file.path, file.size_bytes, file.num_rows()});
    if (!file.planned_keys.empty()) {
      state->source->planned_keys[file.path] = std::move(file.planned_keys);
    }
    if (!stage_source && rewrites && file.matched_rows > 0) {
      state->source->planned_footers[file.path] = {file.metadata, file.schema->metadata()};
    }
    if (!stage_source && plan.files.size() == 1) state->source->first_footer = file.metadata;
  }
  if (rewrites) {
    for (uint8_t matched : found.key_matched) plan.updated += matched ? 1 : 0;
  }
  ARROW_ASSIGN_OR_RAISE(plan.tasks, MakeTasks(found, keys, plan, state->source_bytes, source));
  state->staging.emplace(location.filesystem, dir);
  plan.staging_dir = state->staging->dir();
  if (stage_source && !plan.tasks.empty()) ARROW_RETURN_NOT_OK(StageSource(*state));
  // Tasks run elsewhere are one phase to the driver; local ones are timed by the executor.
  if (stage_source) state->perf->StartOp("tasks");
  return std::make_unique<PlannedMerge>(std::move(state));
}

PlannedMerge::PlannedMerge(std::unique_ptr<State> state) : state_(std::move(state)) {}
PlannedMerge::~PlannedMerge() = default;
const Plan& PlannedMerge::plan() const { return state_->plan; }
arrow::Result<TaskInput> PlannedMerge::local_input(int64_t task) const {
  if (state_->source) return TaskInput{state_->source};
  return LoadTaskInput(state_->plan, task, state_->location.filesystem, state_->budget->pool());
}
const std::shared_ptr<memory::Budget>& PlannedMerge::budget() const { return state_->budget; }
perf::PerformanceMonitor& PlannedMerge::perf() { return *state_->perf; }
const std::shared_ptr<arrow::fs::FileSystem>& PlannedMerge::filesystem() const {
  return state_->location.filesystem;
}

}  // namespace fsspeckit::merge
