// fsspeckit: what a task run outside the planning process reads of the source: its own
// rows, from the staged source file.
#include <algorithm>
#include <memory>
#include <vector>

#include <arrow/table.h>
#include <parquet/arrow/reader.h>
#include <parquet/file_reader.h>

#include "fsspeckit/merge/task.h"
#include "merge/planned_merge_internal.h"

namespace fsspeckit::merge {
namespace {

// The staged source, checked to be the one the plan wrote.
arrow::Result<std::unique_ptr<parquet::arrow::FileReader>> OpenStagedSource(
    arrow::fs::FileSystem& fs, const Plan& plan, arrow::MemoryPool* pool) {
  ARROW_ASSIGN_OR_RAISE(auto input, fs.OpenInputFile(plan.source_path));
  parquet::arrow::FileReaderBuilder builder;
  ARROW_RETURN_NOT_OK(builder.Open(input, parquet::ReaderProperties(pool)));
  builder.memory_pool(pool);
  ARROW_ASSIGN_OR_RAISE(auto reader, builder.Build());
  const int64_t rows = reader->parquet_reader()->metadata()->num_rows();
  if (rows != plan.staged_rows) {
    return arrow::Status::IOError("the staged source '", plan.source_path, "' has ", rows,
                                  " rows, the plan ", plan.staged_rows);
  }
  return reader;
}

// Rows `rows` (ascending) of the staged source, in that order, reading only the row
// groups that hold them: a task whose keys sit together in the source reads little of it.
arrow::Result<std::shared_ptr<arrow::Table>> ReadSourceRows(arrow::fs::FileSystem& fs,
                                                            const Plan& plan,
                                                            const std::vector<int64_t>& rows,
                                                            arrow::MemoryPool* pool) {
  ARROW_ASSIGN_OR_RAISE(auto reader, OpenStagedSource(fs, plan, pool));
  const auto metadata = reader->parquet_reader()->metadata();
  std::vector<int> groups;
  std::vector<int64_t> positions;  // of `rows` within the row groups read
  int64_t first = 0, read = 0;
  size_t next = 0;
  for (int rg = 0; rg < metadata->num_row_groups() && next < rows.size(); ++rg) {
    const int64_t end = first + metadata->RowGroup(rg)->num_rows();
    const size_t before = next;
    for (; next < rows.size() && rows[next] < end; ++next) {
      if (rows[next] < first) return arrow::Status::Invalid("task rows are not ascending");
      positions.push_back(read + rows[next] - first);
    }
    if (next > before) {
      groups.push_back(rg);
      read += end - first;
    }
    first = end;
  }
  if (next < rows.size()) return arrow::Status::Invalid("a task names rows past the source");
  if (groups.empty()) return arrow::Status::Invalid("the task names no source rows");
  ARROW_ASSIGN_OR_RAISE(auto table, reader->ReadRowGroups(groups));
  ARROW_ASSIGN_OR_RAISE(SourceRows groups_read, SourceRows::Make(std::move(table)));
  ARROW_ASSIGN_OR_RAISE(auto batch, groups_read.Gather(positions, pool));
  return arrow::Table::FromRecordBatches({batch});
}

// The span's rows of the staged source (a spilled merge lays them out task by task).
arrow::Result<std::shared_ptr<arrow::Table>> ReadSourceSpan(arrow::fs::FileSystem& fs,
                                                            const Plan& plan, RowSpan span,
                                                            arrow::MemoryPool* pool) {
  ARROW_ASSIGN_OR_RAISE(auto reader, OpenStagedSource(fs, plan, pool));
  const auto metadata = reader->parquet_reader()->metadata();
  if (span.count <= 0 || span.first < 0 || span.first + span.count > metadata->num_rows()) {
    return arrow::Status::Invalid("a task names rows past the source");
  }
  std::vector<int> groups;
  int64_t first = 0, skipped = 0;
  for (int rg = 0; rg < metadata->num_row_groups(); ++rg) {
    const int64_t end = first + metadata->RowGroup(rg)->num_rows();
    if (end <= span.first) skipped = end;
    if (end > span.first && first < span.first + span.count) groups.push_back(rg);
    first = end;
  }
  ARROW_ASSIGN_OR_RAISE(auto table, reader->ReadRowGroups(groups));
  return table->Slice(span.first - skipped, span.count);
}

}  // namespace

arrow::Result<TaskInput> LoadTaskInput(const Plan& plan, int64_t task_index,
                                       std::shared_ptr<arrow::fs::FileSystem> fs,
                                       arrow::MemoryPool* pool) {
  if (task_index < 0 || task_index >= static_cast<int64_t>(plan.tasks.size())) {
    return arrow::Status::IndexError("the plan has no task ", task_index);
  }
  if (plan.source_path.empty()) {
    return arrow::Status::Invalid("the plan's source was not staged: plan with stage_source "
                                  "to run tasks outside the planning process");
  }
  const MergeTask& task = plan.tasks[task_index];
  std::shared_ptr<arrow::Table> rows;
  if (task.source_rows.empty()) {
    ARROW_ASSIGN_OR_RAISE(rows, ReadSourceSpan(*fs, plan, task.staged_span, pool));
  } else {
    ARROW_ASSIGN_OR_RAISE(rows, ReadSourceRows(*fs, plan, task.source_rows, pool));
  }
  auto source = std::make_shared<TaskSource>();
  source->routed = true;
  std::shared_ptr<arrow::Table> all = rows;
  if (!task.appended_rows.empty()) {  // after the replacing rows, which the index covers
    ARROW_ASSIGN_OR_RAISE(auto appended, ReadSourceRows(*fs, plan, task.appended_rows, pool));
    ARROW_ASSIGN_OR_RAISE(all, arrow::ConcatenateTables({rows, appended}));
    for (int64_t i = 0; i < appended->num_rows(); ++i) source->appended_rows.push_back(rows->num_rows() + i);
  }
  ARROW_ASSIGN_OR_RAISE(source->rows, SourceRows::Make(all));
  if (task.kind == TaskKind::kRewrite) {
    // The rows replacing keys of this file: distinct keys, so the index is exact.
    ARROW_ASSIGN_OR_RAISE(source->keys, KeyIndex::Make(*rows, plan.key_columns, pool));
  }
  return TaskInput{std::move(source)};
}

}  // namespace fsspeckit::merge
