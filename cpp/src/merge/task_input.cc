// fsspeckit: what a task run outside the planning process reads of the source: its own
// rows, from the staged source file.
#include <algorithm>
#include <map>
#include <memory>
#include <vector>

#include <arrow/table.h>
#include <arrow/ipc/reader.h>
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
  if (rows != plan.source_rows) {
    return arrow::Status::IOError("the staged source '", plan.source_path, "' has ", rows,
                                  " rows, the plan ", plan.source_rows);
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

// A spilled merge's rows for a task, from the files its plan wrote them to.
arrow::Result<std::shared_ptr<arrow::Table>> ReadSpilledRows(arrow::fs::FileSystem& fs,
                                                             const Plan& plan,
                                                             const std::vector<SpilledRows>& pieces,
                                                             arrow::MemoryPool* pool) {
  std::map<int32_t, std::shared_ptr<arrow::ipc::RecordBatchFileReader>> files;
  std::vector<std::shared_ptr<arrow::RecordBatch>> batches;
  for (const SpilledRows& piece : pieces) {
    if (piece.file < 0 || piece.file >= static_cast<int32_t>(plan.spill_files.size())) {
      return arrow::Status::Invalid("a task names spilled rows the plan does not have");
    }
    auto& reader = files[piece.file];
    if (!reader) {
      ARROW_ASSIGN_OR_RAISE(auto input, fs.OpenInputFile(plan.spill_files[piece.file]));
      auto options = arrow::ipc::IpcReadOptions::Defaults();
      options.memory_pool = pool;
      ARROW_ASSIGN_OR_RAISE(reader, arrow::ipc::RecordBatchFileReader::Open(input, options));
    }
    ARROW_ASSIGN_OR_RAISE(batches.emplace_back(), reader->ReadRecordBatch(piece.batch));
    if (batches.back()->num_rows() != piece.rows) {
      return arrow::Status::IOError("the spilled rows in '", plan.spill_files[piece.file],
                                    "' are not the ones the plan wrote");
    }
  }
  if (batches.empty()) return arrow::Status::Invalid("the task names no source rows");
  return arrow::Table::FromRecordBatches(std::move(batches));
}

}  // namespace

arrow::Result<TaskInput> LoadTaskInput(const Plan& plan, int64_t task_index,
                                       std::shared_ptr<arrow::fs::FileSystem> fs,
                                       arrow::MemoryPool* pool) {
  if (task_index < 0 || task_index >= static_cast<int64_t>(plan.tasks.size())) {
    return arrow::Status::IndexError("the plan has no task ", task_index);
  }
  if (plan.source_path.empty() && plan.spill_files.empty()) {
    return arrow::Status::Invalid("the plan's source was not staged: plan with stage_source "
                                  "to run tasks outside the planning process");
  }
  const MergeTask& task = plan.tasks[task_index];
  std::shared_ptr<arrow::Table> rows;
  if (!task.spilled_rows.empty()) {
    ARROW_ASSIGN_OR_RAISE(rows, ReadSpilledRows(*fs, plan, task.spilled_rows, pool));
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
