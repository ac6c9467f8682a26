// fsspeckit: the second step of maintenance: one group of files into new staged files.
#include "fsspeckit/maintenance/task.h"

#include <algorithm>
#include <chrono>

#include <arrow/compute/initialize.h>

#include "fsspeckit/memory/degradation_ladder.h"
#include "io/parallel_for_internal.h"
#include "io/task_pace_internal.h"
#include "io/dataset_files_internal.h"
#include "io/thread_edge_internal.h"
#include "io/unique_name_internal.h"
#include "io/staged_commit_internal.h"
#include "maintenance/group_writer_internal.h"
#include "maintenance/plan_internal.h"
#include "maintenance/source_file_internal.h"
#include "maintenance/task_internal.h"
#include "merge/plain_columns_internal.h"

namespace fsspeckit::maintenance {

int64_t JoinedRows(const MaintenancePlan& plan, const Group& group,
                   const memory::CappedMemoryPool& pool) {
  int64_t row_bytes = 1;
  for (int f : group.files) {
    const PlannedFile& file = plan.files[f];
    if (file.num_rows > 0) row_bytes = std::max(row_bytes, file.uncompressed_bytes / file.num_rows);
  }
  const int64_t fitting = std::max<int64_t>(pool.available_bytes(), 0) / (4 * row_bytes);
  return std::clamp<int64_t>(fitting, 1024, std::max<int64_t>(plan.row_group_rows, 1024));
}

int64_t MaxPendingBytes(const memory::CappedMemoryPool& pool) {
  return std::max<int64_t>(pool.available_bytes() / 5, 256 << 10);
}

int64_t DictionaryPageBytes(const memory::CappedMemoryPool& pool, const arrow::Schema& schema) {
  const int64_t columns = std::max(1, schema.num_fields());
  // Measured: 140k distinct int64 under Parquet's default 1 MiB page took 30 MiB to
  // write, 2 MiB under a 64 KiB page: the table holds 24-byte slots at half load and
  // doubles; about 48 times the page.
  return std::clamp<int64_t>(std::max<int64_t>(pool.available_bytes(), 0) / (48 * columns),
                             16 << 10, 1 << 20);
}

int FilesAhead(const arrow::fs::FileSystem& fs) { return io::WorkersFor(fs, 0); }

int64_t CopyBufferBytes(const memory::CappedMemoryPool& pool) {
  return std::clamp<int64_t>(pool.available_bytes() / 16, 64 << 10, 4 << 20);
}

namespace {

arrow::Result<std::vector<io::WrittenFile>> Compact(TaskRun& run) {
  const Group& group = run.group;
  const int64_t joined_rows = JoinedRows(run.plan, group, run.pool);
  GroupWriterOptions options;
  options.fs = run.fs;
  options.path_prefix = run.dir + "/part-";
  options.schema = group.schema;
  options.codec = run.plan.codec;
  options.max_rows_per_file = run.plan.max_rows_per_file;
  options.row_group_rows = std::min(joined_rows, run.plan.row_group_rows);
  options.copy_buffer_bytes = CopyBufferBytes(run.pool);
  options.max_pending_bytes = MaxPendingBytes(run.pool);
  options.dictionary_page_bytes = DictionaryPageBytes(run.pool, *group.schema);
  options.pool = &run.pool;
  options.use_threads = run.use_threads;
  const int64_t batch_rows = std::min<int64_t>(options.row_group_rows, 64 * 1024);
  std::unique_ptr<GroupWriter> writer;
  SourceFiles sources(*run.fs, run.plan, group.files, &run.pool, batch_rows, run.use_threads,
                      FilesAhead(*run.fs), run.pool.available_bytes() / 8);
  for (size_t f = 0; f < group.files.size(); ++f) {
    ARROW_RETURN_NOT_OK(run.ladder.Step());
    ARROW_ASSIGN_OR_RAISE(SourceFile source, sources.Next());
    if (!writer) {
      // Columns the group's first file has plain stay plain (see merge::PlainColumns).
      options.plain_columns = merge::PlainColumns(*source.copy.metadata, *source.copy.file);
      ARROW_ASSIGN_OR_RAISE(writer, GroupWriter::Make(options));
    }
    const int row_groups = source.copy.metadata->num_row_groups();
    for (int rg = 0; rg < row_groups; ++rg) {
      const int64_t rows = source.copy.metadata->RowGroup(rg)->num_rows();
      ARROW_ASSIGN_OR_RAISE(const bool copy, writer->CanCopy(source.copy, rg));
      if (copy) {
        ARROW_RETURN_NOT_OK(writer->Copy(source.copy, rg));
      } else {
        const bool loose = run.plan.operation == Operation::kSchemaRewrite &&
                           run.plan.cast_policy == CastPolicy::kLoose;
        ARROW_RETURN_NOT_OK(ReadRowGroup(source, rg, *group.schema, &run.pool,
                                         [&](std::shared_ptr<arrow::RecordBatch> batch) {
                                           return writer->Append(std::move(batch));
                                         },
                                         loose));
      }
      run.result.rows_read += rows;
      ARROW_RETURN_NOT_OK(run.advance(rows));
    }
  }
  ARROW_ASSIGN_OR_RAISE(auto files, writer->Finish());
  run.result.row_groups_copied = writer->copied_row_groups();
  run.result.row_groups_encoded = writer->encoded_row_groups();
  return files;
}

arrow::Result<TaskResult> RunUnchecked(const MaintenancePlan& plan, const std::string& staging_dir,
                                       int64_t group_index, std::shared_ptr<arrow::fs::FileSystem> fs,
                                       const TaskOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  // Sorts, takes and filters need Arrow's compute kernels registered (idempotent, cheap):
  // a task may run in a process that registered none.
  ARROW_RETURN_NOT_OK(arrow::compute::Initialize());
  TaskResult result;
  result.group = group_index;
  result.attempt = options.attempt.empty() ? io::UniqueId() : options.attempt;
  ARROW_ASSIGN_OR_RAISE(
      auto pace, io::TaskPace::Make({options.budget, options.limits, options.collect, options.perf,
                                     options.stop, std::string(OperationName(plan.operation)),
                                     options.hooks.get(), options.advance}));
  auto advance = [&](int64_t rows) { return pace->Advance(rows); };
  TaskRun run{plan, plan.groups[group_index], fs, TaskDir(staging_dir, group_index, result.attempt),
              pace->ladder(), advance, *pace->budget().pool(), result, options.use_threads};
  ARROW_ASSIGN_OR_RAISE(result.staged, plan.operation == Operation::kOrderedCompaction ? SortGroup(run)
                                        : plan.operation == Operation::kRepartition ||
                                                  plan.operation == Operation::kGlobalRepartitionDeduplication
                                              ? RepartitionGroup(run)
                                        : KeepsRows(plan)                                 ? Compact(run)
                                                                                          : Deduplicate(run));
  for (const io::WrittenFile& file : result.staged) result.rows_written += file.row_count;
  result.memory_peak_bytes = pace->memory_peak_bytes();
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace

std::string TaskDir(const std::string& staging_dir, int64_t group, const std::string& attempt) {
  return staging_dir + "/task-" + std::to_string(group) + "-" + attempt;
}

arrow::Result<TaskResult> RunTask(const MaintenancePlan& plan, const std::string& staging_dir,
                                  int64_t group, std::shared_ptr<arrow::fs::FileSystem> fs,
                                  const TaskOptions& options) {
  if (group < 0 || group >= static_cast<int64_t>(plan.groups.size())) {
    return arrow::Status::IndexError("the plan has no group ", group);
  }
  const Group& planned = plan.groups[group];
  const std::string label = std::string(OperationName(plan.operation)) + " " +
                            (planned.partition.empty() ? "(root)" : planned.partition);
  arrow::Result<TaskResult> result = arrow::Status::UnknownError("not run");
  arrow::Status thrown = io::CatchAtEdge(label, [&] {
    if (options.perf) {
      auto timed = options.perf->StartTask(label, "");
      result = RunUnchecked(plan, staging_dir, group, std::move(fs), options);
    } else {
      result = RunUnchecked(plan, staging_dir, group, std::move(fs), options);
    }
    return arrow::Status::OK();
  });
  if (!thrown.ok()) result = thrown;
  if (!result.ok()) return memory::AsPoolBudgetError(result.status(), kBudgetAlternative);
  return result;
}

}  // namespace fsspeckit::maintenance
