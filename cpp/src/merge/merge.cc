// fsspeckit: insert / update / upsert a table into a Parquet dataset on key columns.
#include "fsspeckit/merge/merge.h"

#include <algorithm>
#include <atomic>
#include <functional>
#include <limits>
#include <mutex>
#include <numeric>
#include <optional>
#include <set>
#include <thread>

#include <arrow/compute/exec.h>
#include <arrow/memory_pool.h>
#include <arrow/table.h>
#include <arrow/util/byte_size.h>
#include <parquet/arrow/reader.h>
#include <parquet/exception.h>
#include <parquet/metadata.h>
#include <parquet/properties.h>
#include <parquet/schema.h>

#include "fsspeckit/io/commit_journal.h"
#include "fsspeckit/io/dataset_lock.h"
#include "fsspeckit/io/dataset_snapshot.h"
#include "fsspeckit/io/unique_name.h"
#include "fsspeckit/io/view_types.h"
#include "fsspeckit/io/write_dataset.h"
#include "fsspeckit/io/write_parquet.h"
#include "fsspeckit/memory/capped_pool.h"
#include "fsspeckit/memory/degradation_ladder.h"
#include "fsspeckit/merge/key_index.h"
#include "dataset_schema.h"
#include "merge_plan_internal.h"
#include "plain_columns.h"
#include "row_replacement.h"
#include "source_rows.h"

namespace fsspeckit::merge {
namespace {

arrow::Status ValidateOptions(const MergeOptions& options) {
  ARROW_RETURN_NOT_OK(options.limits.Validate(kMergeLimitNames));
  if (options.strategy != "insert" && options.strategy != "update" &&
      options.strategy != "upsert") {
    return arrow::Status::Invalid("strategy must be one of: insert, update, upsert, got: ",
                                  options.strategy);
  }
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

// Ctrl-C before the commit point: what the user sees (KeyboardInterrupt in Python).
arrow::Status CheckNotStopped(const arrow::StopToken& stop) {
  arrow::Status status = stop.Poll();
  if (status.ok()) return status;
  return status.WithMessage("the merge was cancelled (", status.message(),
                            ") before its commit: the dataset is unchanged");
}

std::string Joined(std::vector<std::string> names) {
  std::string out;
  for (const auto& name : names) out += (out.empty() ? "" : ", ") + name;
  return out;
}

arrow::Status CheckColumns(const arrow::Schema& source, const std::vector<std::string>& wanted,
                           const std::string& what) {
  std::vector<std::string> missing;
  for (const auto& name : wanted) {
    if (!source.GetFieldByName(name)) missing.push_back(name);
  }
  if (missing.empty()) return arrow::Status::OK();
  std::vector<std::string> available = source.field_names();
  std::sort(available.begin(), available.end());
  return arrow::Status::Invalid(what, Joined(missing), ". Available columns: ", Joined(available));
}

// One target file, row group by row group (in reads of the reader's batch size), with
// the rows whose key the source has replaced in place by the source's row. The ladder
// runs before every row group.
class RewriteReader : public arrow::RecordBatchReader {
 public:
  RewriteReader(std::unique_ptr<parquet::arrow::FileReader> reader, const TargetFile& file,
                KeyIndex& keys, const SourceRows& source, memory::DegradationLadder& ladder,
                std::function<arrow::Status(int64_t)> advance, arrow::MemoryPool* pool)
      : reader_(std::move(reader)),
        file_(file),
        keys_(keys),
        source_(source),
        ladder_(ladder),
        advance_(std::move(advance)),
        pool_(pool),
        matched_(file.matched_row_groups.begin(), file.matched_row_groups.end()) {}

  std::shared_ptr<arrow::Schema> schema() const override { return file_.schema; }

  arrow::Status ReadNext(std::shared_ptr<arrow::RecordBatch>* out) override {
    *out = nullptr;
    std::shared_ptr<arrow::RecordBatch> batch;
    while (!batch) {
      if (!row_group_) {
        if (next_ >= file_.metadata->num_row_groups()) return arrow::Status::OK();
        ARROW_RETURN_NOT_OK(ladder_.Step());
        rg_ = next_++;
        ARROW_RETURN_NOT_OK(NameFile(reader_->GetRecordBatchReader({rg_}).Value(&row_group_)));
      }
      ARROW_RETURN_NOT_OK(NameFile(row_group_->ReadNext(&batch)));
      if (!batch) row_group_.reset();  // this row group is done: on to the next
    }
    ARROW_ASSIGN_OR_RAISE(batch, io::WithoutViewTypes(batch));  // file.schema has none
    if (!batch->schema()->Equals(*file_.schema, /*check_metadata=*/false)) {
      ARROW_ASSIGN_OR_RAISE(batch, ConformTo(*batch, *file_.schema, "'" + file_.path + "'", pool_));
    }
    if (matched_.count(rg_)) {
      ARROW_ASSIGN_OR_RAISE(batch, Replace(*batch));
    }
    ARROW_RETURN_NOT_OK(advance_(batch->num_rows()));
    *out = std::move(batch);
    return arrow::Status::OK();
  }

 private:
  // Out of memory stays a MemoryError (the budget's), anything else is the file's.
  arrow::Status NameFile(const arrow::Status& status) const {
    if (status.ok()) return status;
    const arrow::StatusCode code =
        status.IsOutOfMemory() ? arrow::StatusCode::OutOfMemory : arrow::StatusCode::IOError;
    return arrow::Status(code, "cannot read '" + file_.path + "': " + status.message());
  }

  arrow::Result<std::shared_ptr<arrow::RecordBatch>> Replace(const arrow::RecordBatch& batch) {
    ARROW_ASSIGN_OR_RAISE(auto ids, keys_.Lookup(batch));
    std::vector<int64_t> positions, source_rows;
    for (int64_t i = 0; i < batch.num_rows(); ++i) {
      if (!ids->IsValid(i)) continue;
      positions.push_back(i);
      source_rows.push_back(keys_.winning_rows()[ids->Value(i)]);
    }
    // Only the replacing rows are cast to the file's types, not the whole source.
    ARROW_ASSIGN_OR_RAISE(auto gathered, source_.Gather(source_rows, pool_));
    ARROW_ASSIGN_OR_RAISE(auto replacements,
                          ConformTo(*gathered, *file_.schema, "'" + file_.path + "'", pool_));
    ARROW_ASSIGN_OR_RAISE(auto replacement, RowReplacement::Make(batch.num_rows(), std::move(positions)));
    std::vector<std::shared_ptr<arrow::Array>> columns;
    for (int c = 0; c < batch.num_columns(); ++c) {
      ARROW_ASSIGN_OR_RAISE(columns.emplace_back(),
                            replacement.Apply(batch.column(c), replacements->column(c), pool_));
    }
    return arrow::RecordBatch::Make(batch.schema(), batch.num_rows(), std::move(columns));
  }

  std::unique_ptr<parquet::arrow::FileReader> reader_;
  const TargetFile& file_;
  KeyIndex& keys_;
  const SourceRows& source_;
  memory::DegradationLadder& ladder_;
  std::function<arrow::Status(int64_t)> advance_;
  arrow::MemoryPool* pool_;
  std::set<int> matched_;
  int next_ = 0;
  int rg_ = -1;  // the row group being read, by row_group_
  std::unique_ptr<arrow::RecordBatchReader> row_group_;
};

int64_t CompressedBytes(const parquet::FileMetaData& metadata) {
  int64_t bytes = 0;
  for (int rg = 0; rg < metadata.num_row_groups(); ++rg) {
    bytes += metadata.RowGroup(rg)->total_compressed_size();
  }
  return bytes;
}

int64_t LargestRowGroupRows(const parquet::FileMetaData& metadata) {
  int64_t rows = 0;
  for (int rg = 0; rg < metadata.num_row_groups(); ++rg) {
    rows = std::max(rows, metadata.RowGroup(rg)->num_rows());
  }
  return rows;
}

// Rows decoded at once: a whole row group (one chunk, so nothing is copied) when about
// four copies of it fit in what is left of the budget, else as many rows as do (at
// least 1,024): a large row group is read in slices rather than refused. A row's size
// is the footer's or, when larger, the source's (footers count dictionaries encoded).
int64_t RowsPerRead(const TargetFile& file, int64_t source_row_bytes,
                    const memory::CappedMemoryPool& pool) {
  const parquet::FileMetaData& metadata = *file.metadata;
  const int64_t largest = std::max<int64_t>(LargestRowGroupRows(metadata), 1);
  int64_t row_bytes = std::max<int64_t>(source_row_bytes, 1);
  for (int rg = 0; rg < metadata.num_row_groups(); ++rg) {
    auto row_group = metadata.RowGroup(rg);
    if (row_group->num_rows() > 0) {
      row_bytes = std::max(row_bytes, row_group->total_byte_size() / row_group->num_rows());
    }
  }
  const int64_t fitting = pool.available_bytes() / (4 * row_bytes);
  return std::clamp<int64_t>(fitting, std::min<int64_t>(1024, largest), largest);
}

arrow::Result<std::unique_ptr<parquet::arrow::FileReader>> OpenTarget(arrow::fs::FileSystem& fs,
                                                                      const TargetFile& file,
                                                                      arrow::MemoryPool* pool,
                                                                      int64_t rows_per_read) {
  ARROW_ASSIGN_OR_RAISE(auto input, fs.OpenInputFile(file.path));
  parquet::ArrowReaderProperties properties;
  properties.set_pre_buffer(false);  // one row group at a time
  properties.set_use_threads(true);
  properties.set_batch_size(rows_per_read);
  parquet::arrow::FileReaderBuilder builder;
  // Column chunks are read through a buffered stream, whose buffers come from `pool`:
  // read whole, they would be allocated by the file, outside the merge's budget.
  parquet::ReaderProperties reader_properties(pool);
  reader_properties.enable_buffered_stream();
  reader_properties.set_buffer_size(int64_t{1} << 20);
  ARROW_RETURN_NOT_OK(builder.Open(input, reader_properties, file.metadata));
  builder.memory_pool(pool);
  builder.properties(properties);
  return builder.Build();
}

// What the writing phase may run at once. Estimates per task: a rewrite holds a decoded
// row group three times (as read, with rows replaced, and the replacing source rows),
// the raw column chunks being decoded, and the writer's buffered output row group
// (compressed, at the file's bytes per row); the insert task holds the inserted rows
// three times (gathered, queued in the dataset writer, concatenated into a row group),
// four when partitioned (measured: 2.7x and 3.3x). A decoded row group is sized from the
// footer or, when larger, from the source's bytes per row: a footer counts dictionary-encoded
// columns encoded, far below their decoded size. Two tasks run at once only when every
// pair that could meet fits in what is left of 70% of the budget beside what the pool
// already holds (source, key index, plan).
struct Admission {
  int rewrite_workers = 1;
  bool inserts_beside_rewrites = false;  // the insert task joins the rewrites' pool
};

Admission Admit(const std::vector<const TargetFile*>& files, const MergeOptions& options,
                int64_t source_row_bytes, int64_t insert_bytes) {
  Admission admission;
  if (std::thread::hardware_concurrency() < 2) return admission;
  int64_t rewrite_bytes = 0;
  for (const TargetFile* file : files) {
    const parquet::FileMetaData& metadata = *file->metadata;
    int64_t largest_decoded = 0, largest_compressed = 0;
    for (int rg = 0; rg < metadata.num_row_groups(); ++rg) {
      auto row_group = metadata.RowGroup(rg);
      largest_decoded = std::max({largest_decoded, row_group->total_byte_size(),
                                  row_group->num_rows() * source_row_bytes});
      largest_compressed = std::max(largest_compressed, row_group->total_compressed_size());
    }
    const int64_t rows = file->num_rows();
    const int64_t output_rows =
        std::min({options.row_group_size.value_or(parquet::DEFAULT_MAX_ROW_GROUP_LENGTH),
                  options.max_rows_per_file.value_or(rows), rows});
    const int64_t output_bytes = rows == 0 ? 0 : CompressedBytes(metadata) * output_rows / rows;
    rewrite_bytes = std::max(rewrite_bytes, 3 * largest_decoded + largest_compressed + output_bytes);
  }
  const int64_t room = options.limits.max_pool_bytes * 7 / 10 -
                       arrow::default_memory_pool()->bytes_allocated();
  if (files.size() >= 2 && 2 * rewrite_bytes <= room) admission.rewrite_workers = 2;
  const bool pair_fits = files.size() < 2 || admission.rewrite_workers == 2;
  admission.inserts_beside_rewrites =
      insert_bytes > 0 && !files.empty() && pair_fits && rewrite_bytes + insert_bytes <= room;
  return admission;
}

// The inserted rows (ascending source rows), gathered from the source a chunk at a time
// (merge_chunk_size_rows) as the writer asks for them, in the dataset's schema: never all
// of them copied at once.
class GatherReader : public arrow::RecordBatchReader {
 public:
  GatherReader(const SourceRows& source, const std::vector<int64_t>& rows,
               std::shared_ptr<arrow::Schema> schema, int64_t chunk_rows, arrow::MemoryPool* pool)
      : source_(source), rows_(rows), schema_(std::move(schema)), chunk_rows_(chunk_rows),
        pool_(pool) {}
  std::shared_ptr<arrow::Schema> schema() const override { return schema_; }
  arrow::Status ReadNext(std::shared_ptr<arrow::RecordBatch>* out) override {
    *out = nullptr;
    if (next_ >= rows_.size()) return arrow::Status::OK();
    // Rows from one source batch at a time: taken from it directly, with no copy to
    // bring pieces of several batches together.
    const int64_t batch_end = source_.BatchEndRow(rows_[next_]);
    size_t end = std::min(rows_.size(), next_ + static_cast<size_t>(chunk_rows_));
    end = std::lower_bound(rows_.begin() + next_, rows_.begin() + end, batch_end) - rows_.begin();
    std::vector<int64_t> chunk(rows_.begin() + next_, rows_.begin() + end);
    next_ = end;
    ARROW_ASSIGN_OR_RAISE(auto gathered, source_.Gather(chunk, pool_));
    ARROW_ASSIGN_OR_RAISE(*out, ConformTo(*gathered, *schema_, "the dataset", pool_));
    return arrow::Status::OK();
  }

 private:
  const SourceRows& source_;
  const std::vector<int64_t>& rows_;
  std::shared_ptr<arrow::Schema> schema_;  // the dataset's, then the partition columns
  int64_t chunk_rows_;
  arrow::MemoryPool* pool_;
  size_t next_ = 0;
};

// A unit of the writing phase, with what to call it in an error.
struct WriteTask {
  std::string label;
  std::function<arrow::Result<std::vector<io::WrittenFile>>(memory::DegradationLadder&)> run;
};
// Empty where a task did not run because another had already failed.
using TaskOutput = std::optional<arrow::Result<std::vector<io::WrittenFile>>>;

// Runs `tasks` in order on `workers` threads (the caller's included), each thread with its
// own degradation ladder; after a failure no further task starts.
std::vector<TaskOutput> RunTasks(const std::vector<WriteTask>& tasks, int workers,
                                 const std::shared_ptr<memory::MemoryMonitor>& monitor,
                                 const memory::DegradationLadderOptions& ladder_options) {
  std::vector<TaskOutput> outputs(tasks.size());
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  auto work = [&] {
    memory::DegradationLadder ladder(monitor, ladder_options);
    for (size_t t = next++; t < tasks.size() && !failed; t = next++) {
      try {
        outputs[t] = tasks[t].run(ladder);
      } catch (const parquet::ParquetStatusException& e) {  // e.g. out of memory: keep its kind
        outputs[t] = e.status().WithMessage(tasks[t].label, ": ", e.status().message());
      } catch (const std::exception& e) {  // e.g. parquet::ParquetException: never escape a thread
        // Some Parquet paths rethrow a refused allocation as a plain message.
        outputs[t] = arrow::Status(memory::IsCappedPoolRefusal(e.what())
                                       ? arrow::StatusCode::OutOfMemory
                                       : arrow::StatusCode::UnknownError,
                                   tasks[t].label + ": " + e.what());
      }
      if (!outputs[t]->ok()) failed = true;
    }
  };
  std::vector<std::thread> threads;
  for (int w = 1; w < workers; ++w) threads.emplace_back(work);
  work();
  for (auto& thread : threads) thread.join();
  return outputs;
}

// Tasks side by side may not fit where each fits alone (admission works from estimates,
// and the capped pool refuses what would pass the budget): after running out of memory
// that way, the tasks that did not complete run again, one at a time.
void RetryAloneAfterOutOfMemory(const std::vector<WriteTask>& tasks, std::vector<TaskOutput>& outputs,
                                const std::shared_ptr<memory::MemoryMonitor>& monitor,
                                const memory::DegradationLadderOptions& ladder_options) {
  bool out_of_memory = false;
  for (const TaskOutput& output : outputs) {
    if (output && !output->ok()) {
      if (!output->status().IsOutOfMemory()) return;  // a real failure: no retry
      out_of_memory = true;
    }
  }
  if (!out_of_memory) return;
  for (size_t t = 0; t < tasks.size(); ++t) {
    if (outputs[t] && outputs[t]->ok()) continue;
    outputs[t] = std::move(RunTasks({tasks[t]}, 1, monitor, ladder_options).front());
    if (!outputs[t]->ok()) return;
  }
}

// Up to `limit` rows of `input`, slicing its batches; what is left stays for the next.
class LimitedReader : public arrow::RecordBatchReader {
 public:
  LimitedReader(arrow::RecordBatchReader& input, std::shared_ptr<arrow::RecordBatch>& leftover,
                int64_t limit)
      : input_(input), leftover_(leftover), remaining_(limit) {}
  std::shared_ptr<arrow::Schema> schema() const override { return input_.schema(); }
  arrow::Status ReadNext(std::shared_ptr<arrow::RecordBatch>* out) override {
    *out = nullptr;
    if (remaining_ == 0) return arrow::Status::OK();
    std::shared_ptr<arrow::RecordBatch> batch = std::move(leftover_);
    if (!batch) ARROW_RETURN_NOT_OK(input_.ReadNext(&batch));
    if (!batch) {
      exhausted_ = true;
      return arrow::Status::OK();
    }
    if (batch->num_rows() > remaining_) {
      leftover_ = batch->Slice(remaining_);
      batch = batch->Slice(0, remaining_);
    }
    remaining_ -= batch->num_rows();
    rows_ += batch->num_rows();
    *out = std::move(batch);
    return arrow::Status::OK();
  }
  int64_t rows() const { return rows_; }
  bool exhausted() const { return exhausted_; }

 private:
  arrow::RecordBatchReader& input_;
  std::shared_ptr<arrow::RecordBatch>& leftover_;
  int64_t remaining_;
  int64_t rows_ = 0;
  bool exhausted_ = false;
};

// A rewritten file (or the unpartitioned inserted rows): Parquet written straight from
// the stream (no dataset-writer plan, which holds a row group and a copy of it), split
// into parts of at most max_rows_per_file rows, named `path_prefix` + part number.
arrow::Result<std::vector<io::WrittenFile>> WriteRewrite(std::shared_ptr<arrow::RecordBatchReader> rows,
                                                         std::shared_ptr<arrow::fs::FileSystem> fs,
                                                         const std::string& path_prefix,
                                                         const io::WriteDatasetOptions& options,
                                                         std::vector<std::string> plain_columns,
                                                         arrow::MemoryPool* pool) {
  const int64_t limit = options.max_rows_per_file.value_or(std::numeric_limits<int64_t>::max());
  io::WriteParquetOptions parquet_options{options.compression,
                                          std::min(limit, options.row_group_size.value_or(limit)),
                                          std::move(plain_columns), pool};
  std::vector<io::WrittenFile> files;
  std::shared_ptr<arrow::RecordBatch> leftover;
  while (true) {
    auto part = std::make_shared<LimitedReader>(*rows, leftover, limit);
    const std::string path = path_prefix + std::to_string(files.size()) + io::kStagedSuffix;
    ARROW_RETURN_NOT_OK(io::WriteParquet(part, {fs, path}, parquet_options));
    if (part->rows() == 0 && !files.empty()) {
      ARROW_RETURN_NOT_OK(fs->DeleteFile(path));  // the previous part ended the stream
      break;
    }
    files.push_back({path, part->rows(), 0});
    if (part->exhausted() || (!leftover && part->rows() < limit)) break;
  }
  return files;
}

// "date=1/part-0.parquet" for a file of the dataset at `dir`: how reports name it.
std::string PathInDataset(const std::string& dir, const std::string& path) {
  return path.starts_with(dir + "/") ? path.substr(dir.size() + 1) : path;
}

std::string Stem(const std::string& path) {
  std::string name = io::BaseName(path);
  return name.ends_with(".parquet") ? name.substr(0, name.size() - 8) : name;
}

// Every MemoryError of a merge names an option to change: the ladder's name the limit
// exceeded; an allocation that failed is the Arrow budget's.
arrow::Status NameTheBudget(arrow::Status status) {
  if (!status.IsOutOfMemory() || status.message().find("merge_") != std::string::npos) {
    return status;
  }
  return status.WithMessage(status.message(), "; to go on, raise ", kMergeLimitNames.pool,
                            " or merge the source in smaller parts");
}

}  // namespace

arrow::Result<bool> RecoverDataset(const io::Location& location, const io::CommitOptions& commit) {
  ARROW_RETURN_NOT_OK(io::CheckExists(location));  // a typo must not create folders
  ARROW_ASSIGN_OR_RAISE(auto lock, io::DatasetLock::Acquire(location.filesystem, location.path, commit));
  ARROW_ASSIGN_OR_RAISE(io::RecoveryReport report, io::Recover(*location.filesystem, location.path));
  return report.rolled_forward || report.staging_dirs_removed > 0;
}

namespace {

arrow::Result<MergeResult> RunMerge(std::shared_ptr<arrow::RecordBatchReader> source_reader,
                                    const io::Location& location, const MergeOptions& options) {
  ARROW_RETURN_NOT_OK(ValidateOptions(options));
  // polars' string_view etc.: Arrow's take has no kernels for view types.
  ARROW_ASSIGN_OR_RAISE(source_reader, io::WithoutViewTypes(std::move(source_reader)));
  // The buffers the merge reads, replaces and writes come from here: an allocation that
  // would take the Arrow pool past the budget fails (MemoryError, before the commit)
  // instead of overshooting it.
  memory::CappedMemoryPool pool(arrow::default_memory_pool(), options.limits.max_pool_bytes,
                                kMergeLimitNames.pool);
  io::WriteDatasetOptions write;
  write.compression = options.compression;
  write.max_rows_per_file = options.max_rows_per_file;
  write.row_group_size = options.row_group_size;
  if (options.schema) {
    ARROW_ASSIGN_OR_RAISE(source_reader, io::CastToSchema(std::move(source_reader), options.schema));
  }
  ARROW_RETURN_NOT_OK(CheckColumns(*source_reader->schema(), options.key_columns,
                                   "Key column(s) missing from source: "));
  ARROW_RETURN_NOT_OK(CheckColumns(*source_reader->schema(), options.partition_columns,
                                   "Partition column(s) not found in source: "));
  ARROW_RETURN_NOT_OK(io::ValidateWriteOptions(write));  // codec and sizes, before any work
  ARROW_ASSIGN_OR_RAISE(auto monitor,
                        memory::MemoryMonitor::Make({options.limits, memory::kDefaultCacheTtlMs}));
  std::shared_ptr<memory::MemoryMonitor> shared_monitor = std::move(monitor);
  auto perf = perf::PerformanceMonitor::Make(shared_monitor);
  perf->StartOp("key_index");

  ARROW_ASSIGN_OR_RAISE(auto source_table, source_reader->ToTable());
  // Referenced bytes, not TotalBufferSize: that one de-duplicates buffers and counts the
  // batches of a C-stream import (how Python tables arrive) as one.
  ARROW_ASSIGN_OR_RAISE(const int64_t source_bytes, arrow::util::ReferencedBufferSize(*source_table));
  if (source_bytes > options.limits.max_pool_bytes) {
    return arrow::Status::OutOfMemory(
        "the source table is ", source_bytes >> 20, " MiB, more than merge_max_memory_mb=",
        options.limits.max_pool_bytes >> 20,
        " MiB: a merge holds its source in memory; merge it in smaller parts or raise "
        "merge_max_memory_mb");
  }
  ARROW_ASSIGN_OR_RAISE(SourceRows source, SourceRows::Make(std::move(source_table)));
  // The key index and the sorted keys for statistics pruning, built at once.
  arrow::Result<SourceRange> range = arrow::Status::UnknownError("not computed");
  std::jthread range_thread([&] {  // joins even if the index throws
    try {
      range = MakeSourceRange(source.table(), options.key_columns[0]);
    } catch (const std::exception& e) {  // std::bad_alloc must not escape a thread
      range = arrow::Status::OutOfMemory("sorting the source keys: ", e.what());
    }
  });
  auto made_keys = KeyIndex::Make(source.table(), options.key_columns, &pool);
  range_thread.join();
  ARROW_ASSIGN_OR_RAISE(auto keys, std::move(made_keys));
  ARROW_RETURN_NOT_OK(range.status());

  perf->StartOp("planning");
  arrow::fs::FileSystem& fs = *location.filesystem;
  const std::string& dir = location.path;
  ARROW_ASSIGN_OR_RAISE(auto dir_info, fs.GetFileInfo(dir));
  if (dir_info.type() == arrow::fs::FileType::NotFound && options.strategy == "update") {
    return arrow::Status::Invalid("Cannot UPDATE a non-existent target dataset: '", dir,
                                  "' does not exist");
  }
  ARROW_ASSIGN_OR_RAISE(auto lock, io::DatasetLock::Acquire(location.filesystem, dir, options.commit));
  ARROW_RETURN_NOT_OK(io::Recover(fs, dir).status());
  ARROW_RETURN_NOT_OK(CheckNotStopped(options.stop));  // the source is read and indexed
  ARROW_ASSIGN_OR_RAISE(io::DatasetSnapshot planned_files, io::TakeSnapshot(fs, dir));

  const bool rewrites = options.strategy != "insert";
  const bool inserts = options.strategy != "update";
  ARROW_ASSIGN_OR_RAISE(MergePlan plan, PlanMerge(fs, dir, *keys, *range, source.table(),
                                                  options.partition_columns, rewrites));
  ARROW_RETURN_NOT_OK(CheckNotStopped(options.stop));
  // Every file the merge writes has the dataset's schema; a rewritten one keeps its metadata.
  for (TargetFile& file : plan.files) {
    file.schema = arrow::schema(plan.schema->fields(), file.schema->metadata());
  }
  MergeResult result;
  result.strategy = options.strategy;
  result.source_count = keys->num_keys();
  result.target_count_before = plan.target_rows;
  result.keys_in_several_files = plan.keys_in_several_files;
  if (plan.files.empty() && options.strategy == "update") {
    return arrow::Status::Invalid("Cannot UPDATE a non-existent target dataset: no Parquet files in '",
                                  dir, "'");
  }

  std::vector<const TargetFile*> to_rewrite;
  if (rewrites) {
    for (const TargetFile& file : plan.files) {
      if (file.matched_rows > 0) to_rewrite.push_back(&file);
    }
  }
  std::vector<int64_t> insert_rows;
  if (inserts) {
    for (int64_t id = 0; id < keys->num_keys(); ++id) {
      if (!plan.key_matched[id]) insert_rows.push_back(keys->winning_rows()[id]);
    }
    std::sort(insert_rows.begin(), insert_rows.end());  // the source's order
  }
  for (int64_t id = 0; id < keys->num_keys(); ++id) result.updated += plan.key_matched[id] ? 1 : 0;
  if (!rewrites) result.updated = 0;

  int64_t work_rows = static_cast<int64_t>(insert_rows.size());
  for (const TargetFile* file : to_rewrite) work_rows += file->num_rows();
  std::mutex progress_mutex;
  int64_t done_rows = 0;
  std::function<arrow::Status(int64_t)> advance = [&](int64_t rows) -> arrow::Status {
    ARROW_RETURN_NOT_OK(CheckNotStopped(options.stop));  // at every row group
    perf->TrackMemory();  // peaks are sampled at every row group, not only per phase
    std::lock_guard<std::mutex> lock(progress_mutex);
    done_rows += rows;
    return options.progress ? options.progress(done_rows, work_rows) : arrow::Status::OK();
  };

  const std::string staging = dir + "/" + io::kStagingPrefix + io::UniqueId();
  auto fail = [&](const arrow::Status& status) {
    (void)fs.DeleteDir(staging);  // nothing was committed: the dataset is untouched
    return status;
  };
  memory::DegradationLadderOptions ladder_options;
  ladder_options.requested_chunk_size_rows = 1;
  ladder_options.collect = options.collect;
  ladder_options.observer = perf.get();
  ladder_options.limit_names = kMergeLimitNames;

  io::Journal journal;
  journal.staging_dir = staging;
  std::vector<std::pair<std::string, int64_t>> rewritten, inserted;  // final path, rows
  // Rewrites are independent tasks, started largest first so the last to finish are
  // short; the inserted rows are one more, run last beside the rewrites when the budget
  // has room for it, else alone after them.
  std::vector<int64_t> file_bytes;
  for (const TargetFile* file : to_rewrite) file_bytes.push_back(CompressedBytes(*file->metadata));
  std::vector<size_t> order(to_rewrite.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return file_bytes[a] > file_bytes[b]; });
  const int64_t source_row_bytes = source_bytes / std::max<int64_t>(1, source.num_rows());
  std::vector<WriteTask> tasks;
  for (size_t i : order) {
    const TargetFile& file = *to_rewrite[i];
    tasks.push_back({"rewriting '" + file.path + "'", [&, i](memory::DegradationLadder& task_ladder)
                         -> arrow::Result<std::vector<io::WrittenFile>> {
      auto task = perf->StartTask("rewrite " + PathInDataset(dir, file.path));
      ARROW_ASSIGN_OR_RAISE(auto reader,
                            OpenTarget(fs, file, &pool, RowsPerRead(file, source_row_bytes, pool)));
      std::vector<std::string> plain_columns = PlainColumns(*reader->parquet_reader());
      auto rewrite = std::make_shared<RewriteReader>(std::move(reader), file, *keys, source,
                                                   task_ladder, advance, &pool);
      auto written = WriteRewrite(rewrite, location.filesystem,
                                  staging + "/rewrite-" + std::to_string(i) + "/part-", write,
                                  std::move(plain_columns), &pool);
      perf->AddFiles(1);
      return written;
    }});
  }
  const std::string insert_dir = staging + "/insert";
  bool inserts_beside = false;  // decided below, once admission has sized the work
  WriteTask insert_task{"writing the inserted rows", [&](memory::DegradationLadder& task_ladder)
                            -> arrow::Result<std::vector<io::WrittenFile>> {
    // Beside the rewrites its time is its own phase; alone it is the current one.
    auto task = perf->StartTask("inserts", inserts_beside ? "inserts" : "");
    ARROW_RETURN_NOT_OK(task_ladder.Step());
    arrow::FieldVector insert_fields = plan.schema->fields();  // then the partition folders
    for (const std::string& column : plan.partition_by) {
      insert_fields.push_back(source.table().schema()->GetFieldByName(column));
    }
    auto insert_schema = arrow::schema(std::move(insert_fields), plan.schema->metadata());
    auto insert_reader = std::make_shared<GatherReader>(source, insert_rows, insert_schema,
                                                        options.chunk_size_rows, &pool);
    if (plan.partition_by.empty()) {
      ARROW_ASSIGN_OR_RAISE(auto files, WriteRewrite(insert_reader, location.filesystem,
                                                     insert_dir + "/part-" + io::UniqueId() + "-",
                                                     write, {}, &pool));
      ARROW_RETURN_NOT_OK(advance(static_cast<int64_t>(insert_rows.size())));
      return files;
    }
    io::WriteDatasetOptions insert_options = write;
    insert_options.partition_by = plan.partition_by;
    insert_options.pool = &pool;
    insert_options.basename_template = "part-" + io::UniqueId() + "-{i}" + io::kStagedSuffix;
    ARROW_ASSIGN_OR_RAISE(auto files, io::WriteFiles(insert_reader, location.filesystem,
                                                     insert_dir, insert_options));
    ARROW_RETURN_NOT_OK(advance(static_cast<int64_t>(insert_rows.size())));
    return files;
  }};
  const bool has_inserts = !insert_rows.empty();
  const int64_t copies = plan.partition_by.empty() ? 3 : 4;
  const int64_t insert_bytes =  // divided first: the product could overflow
      keys->num_keys() == 0
          ? 0
          : copies * (source_bytes / keys->num_keys()) * static_cast<int64_t>(insert_rows.size());
  const Admission admission = Admit(to_rewrite, options, source_row_bytes, insert_bytes);
  inserts_beside = has_inserts && admission.inserts_beside_rewrites;
  if (inserts_beside) tasks.push_back(insert_task);
  if (!tasks.empty()) perf->StartOp("rewrites");
  const int workers = inserts_beside ? 2 : admission.rewrite_workers;
  std::vector<TaskOutput> task_outputs = RunTasks(tasks, workers, shared_monitor, ladder_options);
  if (workers > 1) RetryAloneAfterOutOfMemory(tasks, task_outputs, shared_monitor, ladder_options);
  for (const auto& output : task_outputs) {
    if (output && !output->ok()) return fail(output->status());
  }
  std::vector<TaskOutput> outputs(to_rewrite.size());  // in to_rewrite's order
  for (size_t t = 0; t < order.size(); ++t) outputs[order[t]] = std::move(task_outputs[t]);
  TaskOutput insert_output;
  if (inserts_beside) {
    insert_output = std::move(task_outputs.back());
  } else if (has_inserts) {
    perf->StartOp("inserts");
    insert_output = std::move(RunTasks({insert_task}, 1, shared_monitor, ladder_options).front());
    if (!insert_output->ok()) return fail(insert_output->status());
  }
  for (size_t i = 0; i < to_rewrite.size(); ++i) {
    const TargetFile& file = *to_rewrite[i];
    const std::vector<io::WrittenFile>& files = **outputs[i];  // all ran: none failed
    for (size_t part = 0; part < files.size(); ++part) {
      // The first part takes the file's place; a file grown past max_rows_per_file
      // continues in new files beside it.
      std::string final_path = part == 0 ? file.path
                                         : io::ParentPath(file.path) + "/" + Stem(file.path) + "-" +
                                               io::UniqueId() + "-" + std::to_string(part) + ".parquet";
      journal.moves.emplace_back(files[part].path, final_path);
      rewritten.emplace_back(final_path, files[part].row_count);
    }
  }
  if (insert_output) {
    for (const io::WrittenFile& file : **insert_output) {
      std::string relative = file.path.substr(insert_dir.size());
      relative.resize(relative.size() - std::string_view(io::kStagedSuffix).size());
      std::string final_path = dir + relative + ".parquet";
      auto existing = fs.GetFileInfo(final_path);
      if (!existing.ok()) return fail(existing.status());
      if (existing->type() != arrow::fs::FileType::NotFound) {
        return fail(arrow::Status::IOError("new file '", final_path,
                                           "' would replace an existing one; run the merge again"));
      }
      journal.moves.emplace_back(file.path, final_path);
      inserted.emplace_back(final_path, file.row_count);
      result.inserted += file.row_count;
    }
  }

  perf->StartOp("commit");
  if (auto status = CheckNotStopped(options.stop); !status.ok()) return fail(status);
  if (!journal.moves.empty()) {
    const bool durable = options.commit.durable;
    if (auto status = io::CommitJournal(fs, dir, journal, *lock, planned_files, "merge", durable);
        !status.ok()) {
      return fail(status);
    }
    // Committed: from here a failure (or a crash) is completed by the next Recover().
    if (auto status = io::ApplyJournal(fs, dir, journal, durable); !status.ok()) {
      return arrow::Status::IOError(
          "the merge is committed but its files could not all be moved into place (",
          status.message(), "); run recover on '", dir,
          "' (or any later merge) to complete it");
    }
  } else {
    (void)fs.DeleteDir(staging);
  }
  perf->EndOp();

  std::set<std::string> touched;
  int64_t total_bytes = 0;
  auto add = [&](const std::string& path, int64_t rows, const std::string& operation,
                 std::vector<std::string>& list) -> arrow::Status {
    ARROW_ASSIGN_OR_RAISE(auto info, fs.GetFileInfo(path));
    total_bytes += info.size();
    result.files.push_back({path, rows, info.size(), operation});
    list.push_back(path);
    touched.insert(path);
    return arrow::Status::OK();
  };
  for (const auto& [path, rows] : rewritten) {
    ARROW_RETURN_NOT_OK(add(path, rows, "rewritten", result.rewritten_files));
  }
  for (const auto& [path, rows] : inserted) {
    ARROW_RETURN_NOT_OK(add(path, rows, "inserted", result.inserted_files));
  }
  for (const TargetFile& file : plan.files) {
    if (touched.count(file.path)) continue;
    result.files.push_back({file.path, 0, std::nullopt, "preserved"});
    result.preserved_files.push_back(file.path);
  }
  result.target_count_after = result.target_count_before + result.inserted;
  result.metrics = perf->Metrics(result.target_count_before, result.target_count_after, total_bytes);
  result.metrics.dedup_efficiency =
      source.num_rows() == 0 ? 0.0
                             : static_cast<double>(source.num_rows() - keys->num_keys()) /
                                   static_cast<double>(source.num_rows());
  return result;
}

}  // namespace

arrow::Result<MergeResult> Merge(std::shared_ptr<arrow::RecordBatchReader> source_reader,
                                 const io::Location& location, const MergeOptions& options) {
  arrow::Result<MergeResult> result = RunMerge(std::move(source_reader), location, options);
  if (!result.ok()) return NameTheBudget(result.status());
  return result;
}

}  // namespace fsspeckit::merge
