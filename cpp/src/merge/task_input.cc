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
#include "merge/spilled_source_internal.h"

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

// A spilled merge's rows for a task, read a piece at a time from the files its plan
// wrote them to (each file opened once).
class SpilledRowsReader : public arrow::RecordBatchReader {
 public:
  SpilledRowsReader(arrow::fs::FileSystem& fs, const Plan& plan, std::vector<SpilledRows> pieces,
                    arrow::MemoryPool* pool)
      : fs_(fs), plan_(plan), pieces_(std::move(pieces)), pool_(pool) {}

  arrow::Status Open() {
    if (pieces_.empty()) return arrow::Status::Invalid("the task names no source rows");
    ARROW_ASSIGN_OR_RAISE(auto first, File(pieces_.front().file));
    schema_ = first->schema();
    return arrow::Status::OK();
  }
  std::shared_ptr<arrow::Schema> schema() const override { return schema_; }
  arrow::Status ReadNext(std::shared_ptr<arrow::RecordBatch>* batch) override {
    *batch = nullptr;
    if (next_ == pieces_.size()) return arrow::Status::OK();
    const SpilledRows& piece = pieces_[next_++];
    ARROW_ASSIGN_OR_RAISE(auto file, File(piece.file));
    ARROW_ASSIGN_OR_RAISE(*batch, file->ReadRecordBatch(piece.batch));
    if ((*batch)->num_rows() != piece.rows) {
      return arrow::Status::IOError("the spilled rows in '", plan_.spill_files[piece.file],
                                    "' are not the ones the plan wrote");
    }
    return arrow::Status::OK();
  }

 private:
  arrow::Result<std::shared_ptr<arrow::ipc::RecordBatchFileReader>> File(int32_t index) {
    if (index < 0 || index >= static_cast<int32_t>(plan_.spill_files.size())) {
      return arrow::Status::Invalid("a task names spilled rows the plan does not have");
    }
    auto& reader = files_[index];
    if (!reader) {
      ARROW_ASSIGN_OR_RAISE(reader, OpenSpillFile(fs_, plan_.spill_files[index], pool_));
    }
    return reader;
  }

  arrow::fs::FileSystem& fs_;
  const Plan& plan_;
  std::vector<SpilledRows> pieces_;
  arrow::MemoryPool* pool_;
  std::shared_ptr<arrow::Schema> schema_;
  std::map<int32_t, std::shared_ptr<arrow::ipc::RecordBatchFileReader>> files_;
  size_t next_ = 0;
};

}  // namespace

arrow::Result<std::shared_ptr<arrow::RecordBatchReader>> ReadSpilledRows(
    arrow::fs::FileSystem& fs, const Plan& plan, std::vector<SpilledRows> pieces,
    arrow::MemoryPool* pool) {
  auto reader = std::make_shared<SpilledRowsReader>(fs, plan, std::move(pieces), pool);
  ARROW_RETURN_NOT_OK(reader->Open());
  return reader;
}

namespace {

// A spilled merge's rewrite: its replacing rows loaded row group by row group (keys and
// rows of the input itself are empty, with the source's columns).
arrow::Result<TaskInput> SpilledRewriteInput(const Plan& plan, const MergeTask& task,
                                             std::shared_ptr<arrow::fs::FileSystem> fs,
                                             arrow::MemoryPool* pool) {
  std::map<int, std::vector<SpilledRows>> by_row_group;
  for (const SpilledRows& piece : task.spilled_rows) by_row_group[piece.row_group].push_back(piece);
  ARROW_ASSIGN_OR_RAISE(auto first, ReadSpilledRows(*fs, plan, {task.spilled_rows.front()}, pool));
  ARROW_ASSIGN_OR_RAISE(auto none, arrow::Table::MakeEmpty(first->schema(), pool));
  auto source = std::make_shared<TaskSource>();
  source->routed = true;
  ARROW_ASSIGN_OR_RAISE(source->rows, SourceRows::Make(none));
  ARROW_ASSIGN_OR_RAISE(source->keys, KeyIndex::Make(*none, plan.key_columns, pool));
  source->load_replacing = [&plan, fs, pool, by_row_group = std::move(by_row_group)](
                               int rg) -> arrow::Result<std::unique_ptr<ReplacingRows>> {
    auto pieces = by_row_group.find(rg);
    if (pieces == by_row_group.end()) {
      return arrow::Status::Invalid("the plan has no rows for row group ", rg);
    }
    ARROW_ASSIGN_OR_RAISE(auto reader, ReadSpilledRows(*fs, plan, pieces->second, pool));
    ARROW_ASSIGN_OR_RAISE(auto table, reader->ToTable());
    auto loaded = std::make_unique<ReplacingRows>();
    ARROW_ASSIGN_OR_RAISE(loaded->keys, KeyIndex::Make(*table, plan.key_columns, pool));
    ARROW_ASSIGN_OR_RAISE(loaded->rows, SourceRows::Make(std::move(table)));
    return loaded;
  };
  return TaskInput{std::move(source)};
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
  if (!task.spilled_rows.empty() && task.kind == TaskKind::kInsert) {
    auto source = std::make_shared<TaskSource>();  // inserts stream them (Insert, task.cc)
    source->routed = true;
    return TaskInput{std::move(source)};
  }
  if (!task.spilled_rows.empty()) {
    return SpilledRewriteInput(plan, task, std::move(fs), pool);
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
