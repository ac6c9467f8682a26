// fsspeckit: the second step of a merge: one task (a rewrite or the inserts) into staging.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <chrono>
#include <limits>
#include <map>
#include <optional>
#include <set>

#include <arrow/array/util.h>
#include <arrow/compute/cast.h>
#include <arrow/table.h>
#include <parquet/arrow/reader.h>
#include <parquet/arrow/schema.h>
#include <parquet/file_reader.h>
#include <parquet/metadata.h>
#include <parquet/exception.h>
#include <parquet/properties.h>

#include "io/unique_name_internal.h"
#include "io/view_types_internal.h"
#include "io/write_files_internal.h"
#include "fsspeckit/io/write_parquet.h"
#include "fsspeckit/memory/capped_pool.h"
#include "merge/dataset_schema_internal.h"
#include "merge/target_scan_internal.h"
#include "merge/planned_merge_internal.h"
#include "merge/plain_columns_internal.h"
#include "merge/row_replacement_internal.h"

namespace fsspeckit::merge {
namespace {

namespace cp = arrow::compute;

// One target file, row group by row group (in reads of the reader's batch size), with
// the rows whose key the source has replaced in place by the source's row. The ladder
// runs before every row group.
class RewriteReader : public arrow::RecordBatchReader {
 public:
  // `planned`: the key columns the plan read from this file, by row group (may be
  // nullptr); the row groups found there are read without their key columns.
  RewriteReader(std::unique_ptr<parquet::arrow::FileReader> reader, const TargetFile& file,
                KeyIndex& keys, const SourceRows& source, memory::DegradationLadder& ladder,
                std::function<arrow::Status(int64_t)> advance, arrow::MemoryPool* pool,
                int64_t& matched_rows, std::map<int, PlannedKeys>* planned)
      : reader_(std::move(reader)),
        file_(file),
        keys_(keys),
        source_(source),
        ladder_(ladder),
        advance_(std::move(advance)),
        pool_(pool),
        matched_rows_(matched_rows),
        matched_(file.matched_row_groups.begin(), file.matched_row_groups.end()),
        planned_(planned) {}

  // Which leaves to read where the key columns are planned, and where those go back.
  arrow::Status Init() {
    if (!planned_ || planned_->empty()) return arrow::Status::OK();
    ARROW_RETURN_NOT_OK(reader_->GetSchema(&read_schema_));
    const parquet::SchemaDescriptor& leaves = *file_.metadata->schema();
    std::vector<bool> key_leaf(leaves.num_columns(), false);
    const std::vector<std::string>& names = keys_.key_columns();
    for (size_t k = 0; k < names.size(); ++k) {
      const int leaf = leaves.ColumnIndex(names[k]), field = read_schema_->GetFieldIndex(names[k]);
      if (leaf < 0 || field < 0) {  // not plain top-level: read all
        planned_ = nullptr;
        return arrow::Status::OK();
      }
      key_leaf[leaf] = true;
      key_slots_.emplace_back(field, k);
    }
    std::sort(key_slots_.begin(), key_slots_.end());  // put back in field order
    for (int leaf = 0; leaf < leaves.num_columns(); ++leaf) {
      if (!key_leaf[leaf]) other_leaves_.push_back(leaf);
    }
    if (other_leaves_.empty()) planned_ = nullptr;  // keys only: nothing to save
    return arrow::Status::OK();
  }

  std::shared_ptr<arrow::Schema> schema() const override { return file_.schema; }

  arrow::Status ReadNext(std::shared_ptr<arrow::RecordBatch>* out) override {
    *out = nullptr;
    std::shared_ptr<arrow::RecordBatch> batch;
    while (!batch) {
      if (!row_group_) {
        if (next_ >= file_.metadata->num_row_groups()) return arrow::Status::OK();
        ARROW_RETURN_NOT_OK(ladder_.Step());
        ARROW_RETURN_NOT_OK(StartRowGroup(next_++));
      }
      ARROW_RETURN_NOT_OK(NameFile(row_group_->ReadNext(&batch)));
      if (!batch) row_group_.reset();  // this row group is done: on to the next
    }
    std::shared_ptr<arrow::UInt32Array> ids;  // the planned ids of this batch's keys
    if (keys_here_) {
      ARROW_ASSIGN_OR_RAISE(batch, WithPlannedKeys(std::move(batch), ids));
    }
    ARROW_ASSIGN_OR_RAISE(batch, io::WithoutViewTypes(batch));  // file.schema has none
    if (!batch->schema()->Equals(*file_.schema, /*check_metadata=*/false)) {
      ARROW_ASSIGN_OR_RAISE(batch, ConformTo(*batch, *file_.schema, "'" + file_.path + "'", pool_));
    }
    if (matched_.count(rg_)) {
      ARROW_ASSIGN_OR_RAISE(batch, Replace(*batch, std::move(ids)));
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

  arrow::Status StartRowGroup(int rg) {
    rg_ = rg;
    keys_here_.reset();
    if (planned_) {
      if (auto planned = planned_->find(rg); planned != planned_->end()) {
        keys_here_ = std::move(planned->second);  // freed once this row group is written
        planned_->erase(planned);
        return NameFile(reader_->GetRecordBatchReader({rg}, other_leaves_).Value(&row_group_));
      }
    }
    return NameFile(reader_->GetRecordBatchReader({rg}).Value(&row_group_));
  }

  // `batch` (read without the key columns) with the planned ones put back in place; `ids`
  // set to the planned ids of its rows. Planned keys are used only where a row group is
  // read whole (Rewrite), so the batch is the row group.
  arrow::Result<std::shared_ptr<arrow::RecordBatch>> WithPlannedKeys(
      std::shared_ptr<arrow::RecordBatch> batch, std::shared_ptr<arrow::UInt32Array>& ids) {
    if (batch->num_rows() != keys_here_->ids->length()) {
      return arrow::Status::Invalid("row group ", rg_, " of '", file_.path, "' read ",
                                    batch->num_rows(), " rows where the plan read ",
                                    keys_here_->ids->length());
    }
    for (const auto& [field, k] : key_slots_) {
      ARROW_ASSIGN_OR_RAISE(batch, batch->AddColumn(field, read_schema_->field(field),
                                                    keys_here_->columns[k]));
    }
    ids = std::move(keys_here_->ids);
    keys_here_.reset();
    return batch;
  }

  arrow::Result<std::shared_ptr<arrow::RecordBatch>> Replace(const arrow::RecordBatch& batch,
                                                             std::shared_ptr<arrow::UInt32Array> ids) {
    if (!ids) {
      ARROW_ASSIGN_OR_RAISE(ids, keys_.Lookup(batch));
    }
    std::vector<int64_t> positions, source_rows;
    for (int64_t i = 0; i < batch.num_rows(); ++i) {
      if (!ids->IsValid(i)) continue;
      positions.push_back(i);
      source_rows.push_back(keys_.winning_rows()[ids->Value(i)]);
    }
    matched_rows_ += static_cast<int64_t>(positions.size());
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
  int64_t& matched_rows_;
  std::set<int> matched_;
  int next_ = 0;
  int rg_ = -1;  // the row group being read, by row_group_
  std::unique_ptr<arrow::RecordBatchReader> row_group_;
  std::map<int, PlannedKeys>* planned_;
  std::shared_ptr<arrow::Schema> read_schema_;  // the file's, as the reader reads it
  std::vector<std::pair<int, size_t>> key_slots_;  // (field in read_schema_, key), by field
  std::vector<int> other_leaves_;               // every leaf but the keys'
  std::optional<PlannedKeys> keys_here_;        // rg_'s, when planned, until read
};

// A rewritten file keeps its row groups (split at row_group_size), each written as it is
// read, straight to the file: joining them into row_group_size rows holds every column's
// pages in growing buffers until the group is full (a fifth of a rewrite's time on
// bench_matrix's random shapes). Several row groups under 64Ki rows on average are
// joined: few rows per group make slow scans, and a rewrite is the moment to mend that.
bool KeepsRowGroups(const parquet::FileMetaData& metadata) {
  constexpr int64_t kJoinedBelowRows = 64 * 1024;
  return metadata.num_row_groups() <= 1 ||
         metadata.num_rows() >= kJoinedBelowRows * metadata.num_row_groups();
}

int64_t LargestRowGroupRows(const parquet::FileMetaData& metadata) {
  int64_t rows = 0;
  for (int rg = 0; rg < metadata.num_row_groups(); ++rg) {
    rows = std::max(rows, metadata.RowGroup(rg)->num_rows());
  }
  return rows;
}

arrow::Result<std::unique_ptr<parquet::arrow::FileReader>> OpenTarget(
    std::shared_ptr<arrow::io::RandomAccessFile> input, const TargetFile& file,
    arrow::MemoryPool* pool, int64_t rows_per_read, bool use_threads) {
  parquet::ArrowReaderProperties properties;
  properties.set_pre_buffer(false);  // one row group at a time
  properties.set_use_threads(use_threads);
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
                                                         arrow::MemoryPool* pool,
                                                         bool row_group_per_batch) {
  const int64_t limit = options.max_rows_per_file.value_or(std::numeric_limits<int64_t>::max());
  io::WriteParquetOptions parquet_options{options.compression,
                                          std::min(limit, options.row_group_size.value_or(limit)),
                                          std::move(plain_columns), row_group_per_batch, pool};
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

// The file as the task finds it, checked against the plan: a file changed since the
// plan (another writer, without the lock) must not be rewritten from stale row groups.
arrow::Result<TargetFile> OpenPlannedFile(arrow::fs::FileSystem& fs, const Plan& plan,
                                          const MergeTask& task,
                                          std::shared_ptr<arrow::io::RandomAccessFile>& input) {
  TargetFile file;
  file.path = task.file;
  file.matched_row_groups = task.row_groups;
  ARROW_ASSIGN_OR_RAISE(input, fs.OpenInputFile(file.path));
  ARROW_ASSIGN_OR_RAISE(file.size_bytes, input->GetSize());
  auto planned = std::find_if(plan.files.begin(), plan.files.end(),
                              [&](const PlannedFile& f) { return f.path == file.path; });
  if (planned == plan.files.end() || planned->size_bytes != file.size_bytes) {
    return arrow::Status::IOError("'", file.path, "' changed after the merge was planned; run "
                                  "the merge again");
  }
  PARQUET_CATCH_NOT_OK(file.metadata = parquet::ReadMetaData(input));
  std::shared_ptr<arrow::Schema> stored;
  ARROW_RETURN_NOT_OK(parquet::arrow::FromParquetSchema(file.metadata->schema(),
                                                        parquet::ArrowReaderProperties(),
                                                        file.metadata->key_value_metadata(),
                                                        &stored));
  // Rewritten in the dataset's schema; the file keeps its own metadata.
  file.schema = arrow::schema(plan.schema->fields(), stored->metadata());
  return file;
}

// "date=1/part-0.parquet" for a file of the dataset at `dir`: how reports name it.
std::string PathInDataset(const std::string& dir, const std::string& path) {
  return path.starts_with(dir + "/") ? path.substr(dir.size() + 1) : path;
}

// Fault tests set FSSPECKIT_TEST_KILL_TASK_MARKER to a path: the first rewrite that gets
// to create that file (O_EXCL: once, across processes) kills its process after its first
// row group, so a retried attempt must run through. Unset, this is one getenv per process.
void KillOnceForTest(int64_t row_groups_done) {
  static const char* const marker = std::getenv("FSSPECKIT_TEST_KILL_TASK_MARKER");
  if (marker == nullptr || row_groups_done != 1) return;
  const int fd = ::open(marker, O_CREAT | O_EXCL | O_WRONLY, 0644);
  if (fd < 0) return;
  ::close(fd);
  ::raise(SIGKILL);
}

struct TaskRun {
  const Plan& plan;
  const MergeTask& task;
  TaskSource& source;
  std::shared_ptr<arrow::fs::FileSystem> fs;
  std::string dir;  // this attempt's folder
  memory::DegradationLadder& ladder;
  std::function<arrow::Status(int64_t)> advance;
  memory::CappedMemoryPool& pool;
  bool decode_in_parallel;
  int64_t matched = 0;
};

arrow::Result<std::vector<io::WrittenFile>> Rewrite(TaskRun& run) {
  std::shared_ptr<arrow::io::RandomAccessFile> input;
  ARROW_ASSIGN_OR_RAISE(TargetFile file, OpenPlannedFile(*run.fs, run.plan, run.task, input));
  const int64_t rows_per_read = RowsPerRead(file, run.plan.source_row_bytes, run.pool);
  ARROW_ASSIGN_OR_RAISE(auto reader,
                        OpenTarget(input, file, &run.pool, rows_per_read, run.decode_in_parallel));
  // Where a tight budget has row groups read in slices, the slices are joined again (not
  // written one by one), and the keys are read again rather than the plan's used.
  const bool whole_row_groups = rows_per_read >= LargestRowGroupRows(*file.metadata);
  const bool keep_row_groups = KeepsRowGroups(*file.metadata) && whole_row_groups;
  std::vector<std::string> plain_columns = PlainColumns(*file.metadata, *input);
  auto planned = run.source.planned_keys.find(file.path);
  std::map<int, PlannedKeys>* planned_keys =
      planned == run.source.planned_keys.end() || !whole_row_groups ? nullptr : &planned->second;
  auto rewrite = std::make_shared<RewriteReader>(std::move(reader), file, *run.source.keys,
                                                 run.source.rows, run.ladder, run.advance,
                                                 &run.pool, run.matched, planned_keys);
  ARROW_RETURN_NOT_OK(rewrite->Init());
  auto written = WriteRewrite(rewrite, run.fs, run.dir + "/part-", run.plan.write,
                              std::move(plain_columns), &run.pool, keep_row_groups);
  if (planned != run.source.planned_keys.end()) planned->second.clear();  // any not used
  return written;
}

// The inserted rows are written with the dictionary choices of the dataset's first file
// (unique ids and measurements plain): as a rewrite of it would be. None when it cannot
// be read: the choice only saves work.
std::vector<std::string> DatasetPlainColumns(arrow::fs::FileSystem& fs, const Plan& plan) {
  if (plan.files.empty()) return {};
  auto input = fs.OpenInputFile(plan.files.front().path);
  if (!input.ok()) return {};
  try {
    return PlainColumns(*parquet::ReadMetaData(*input), **input);
  } catch (const std::exception&) {  // a damaged footer: its rewrite, if any, reports it
    return {};
  }
}

arrow::Result<std::vector<io::WrittenFile>> Insert(TaskRun& run) {
  ARROW_RETURN_NOT_OK(run.ladder.Step());
  const Plan& plan = run.plan;
  arrow::FieldVector fields = plan.schema->fields();  // then the partition folders
  for (const std::string& column : plan.partition_by) {
    fields.push_back(run.source.rows.table().schema()->GetFieldByName(column));
  }
  auto schema = arrow::schema(std::move(fields), plan.schema->metadata());
  std::vector<int64_t> routed;  // read back elsewhere: the source holds just these rows
  if (run.source.routed) {
    routed.resize(run.source.rows.num_rows());
    for (size_t i = 0; i < routed.size(); ++i) routed[i] = static_cast<int64_t>(i);
  }
  const std::vector<int64_t>& rows = run.source.routed ? routed : run.task.source_rows;
  // Arrow's dataset writer (partitioned inserts) frees what it was given on its own
  // threads after it returns, possibly after this merge and its capped pool are gone: its
  // rows come from the default pool, which counts against the budget but is not capped.
  arrow::MemoryPool* pool =
      plan.partition_by.empty() ? static_cast<arrow::MemoryPool*>(&run.pool) : arrow::default_memory_pool();
  auto reader = std::make_shared<GatherReader>(run.source.rows, rows, schema,
                                               plan.chunk_size_rows, pool);
  std::vector<io::WrittenFile> files;
  if (plan.partition_by.empty()) {
    ARROW_ASSIGN_OR_RAISE(files, WriteRewrite(reader, run.fs,
                                              run.dir + "/part-" + io::UniqueId() + "-",
                                              plan.write, DatasetPlainColumns(*run.fs, plan),
                                              &run.pool, /*row_group_per_batch=*/false));
  } else {
    io::WriteDatasetOptions options = plan.write;
    options.partition_by = plan.partition_by;
    options.basename_template = "part-" + io::UniqueId() + "-{i}" + io::kStagedSuffix;
    ARROW_ASSIGN_OR_RAISE(files, io::WriteFiles(reader, run.fs, run.dir, options));
  }
  ARROW_RETURN_NOT_OK(run.advance(static_cast<int64_t>(rows.size())));
  return files;
}

// Rows `rows` (ascending) of the staged source, in that order, reading only the row
// groups that hold them: a task whose keys sit together in the source reads little of it.
arrow::Result<std::shared_ptr<arrow::Table>> ReadSourceRows(arrow::fs::FileSystem& fs,
                                                            const Plan& plan,
                                                            const std::vector<int64_t>& rows) {
  ARROW_ASSIGN_OR_RAISE(auto input, fs.OpenInputFile(plan.source_path));
  parquet::arrow::FileReaderBuilder builder;
  ARROW_RETURN_NOT_OK(builder.Open(input));
  ARROW_ASSIGN_OR_RAISE(auto reader, builder.Build());
  const auto metadata = reader->parquet_reader()->metadata();
  if (metadata->num_rows() != plan.source_rows) {
    return arrow::Status::IOError("the staged source '", plan.source_path, "' has ",
                                  metadata->num_rows(), " rows, the plan ", plan.source_rows);
  }
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
  ARROW_ASSIGN_OR_RAISE(auto batch, groups_read.Gather(positions));
  return arrow::Table::FromRecordBatches({batch});
}

}  // namespace

std::string_view TaskKindName(TaskKind kind) {
  return kind == TaskKind::kRewrite ? "rewrite" : "insert";
}

std::string TaskDir(const Plan& plan, int64_t task, const std::string& attempt) {
  return plan.staging_dir + "/task-" + std::to_string(task) + "-" + attempt;
}

arrow::Result<TaskInput> LoadTaskInput(const Plan& plan, int64_t task_index,
                                       std::shared_ptr<arrow::fs::FileSystem> fs) {
  if (task_index < 0 || task_index >= static_cast<int64_t>(plan.tasks.size())) {
    return arrow::Status::IndexError("the plan has no task ", task_index);
  }
  if (plan.source_path.empty()) {
    return arrow::Status::Invalid("the plan's source was not staged: plan with stage_source "
                                  "to run tasks outside the planning process");
  }
  const MergeTask& task = plan.tasks[task_index];
  ARROW_ASSIGN_OR_RAISE(auto rows, ReadSourceRows(*fs, plan, task.source_rows));
  auto source = std::make_shared<TaskSource>();
  source->routed = true;
  ARROW_ASSIGN_OR_RAISE(source->rows, SourceRows::Make(rows));
  if (task.kind == TaskKind::kRewrite) {
    // The rows replacing keys of this file: distinct keys, so the index is exact.
    ARROW_ASSIGN_OR_RAISE(source->keys, KeyIndex::Make(*rows, plan.key_columns));
  }
  return TaskInput{std::move(source)};
}

namespace {

arrow::Result<TaskResult> RunTaskUnchecked(const Plan& plan, int64_t task_index,
                                           const TaskInput& input,
                                           std::shared_ptr<arrow::fs::FileSystem> fs,
                                           const TaskOptions& options) {
  const MergeTask& task = plan.tasks[task_index];
  const auto start = std::chrono::steady_clock::now();
  TaskResult result;
  result.task = task_index;
  result.attempt = options.attempt.empty() ? io::UniqueId() : options.attempt;
  std::shared_ptr<memory::MemoryMonitor> monitor = options.monitor;
  if (!monitor) {
    ARROW_ASSIGN_OR_RAISE(monitor,
                          memory::MemoryMonitor::Make({options.limits, memory::kDefaultCacheTtlMs}));
  }
  // Elsewhere the task has its own capped pool: the merge's budget, in this process.
  std::optional<memory::CappedMemoryPool> own_pool;
  memory::CappedMemoryPool* pool = options.pool;
  if (!pool) {
    pool = &own_pool.emplace(arrow::default_memory_pool(), monitor->limits().max_pool_bytes,
                             kMergeLimitNames.pool);
  }
  memory::DegradationLadderOptions ladder_options;
  ladder_options.requested_chunk_size_rows = 1;
  ladder_options.collect = options.collect;
  ladder_options.observer = options.observer;
  ladder_options.limit_names = kMergeLimitNames;
  memory::DegradationLadder ladder(monitor, ladder_options);
  result.memory_peak_bytes = monitor->Snapshot().pool_bytes;
  int64_t row_groups_done = 0;
  auto advance = [&](int64_t rows) -> arrow::Status {
    ARROW_RETURN_NOT_OK(io::CheckNotStopped(options.stop, "merge"));  // at every row group
    if (task.kind == TaskKind::kRewrite) KillOnceForTest(++row_groups_done);
    // Sampled at every row group: the task's peak is what admission must plan for.
    result.memory_peak_bytes = std::max(result.memory_peak_bytes, monitor->Snapshot().pool_bytes);
    return options.advance ? options.advance(rows) : arrow::Status::OK();
  };
  TaskRun run{plan, task, *input.source, fs, TaskDir(plan, task_index, result.attempt), ladder,
              advance, *pool, options.decode_in_parallel};
  ARROW_ASSIGN_OR_RAISE(result.staged,
                        task.kind == TaskKind::kRewrite ? Rewrite(run) : Insert(run));
  for (io::WrittenFile& file : result.staged) {
    ARROW_ASSIGN_OR_RAISE(auto info, fs->GetFileInfo(file.path));
    file.size_bytes = info.size();
    result.rows_written += file.row_count;
  }
  result.matched_keys = run.matched;
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace

arrow::Result<TaskResult> RunTask(const Plan& plan, int64_t task_index, const TaskInput& input,
                                  std::shared_ptr<arrow::fs::FileSystem> fs,
                                  const TaskOptions& options) {
  if (task_index < 0 || task_index >= static_cast<int64_t>(plan.tasks.size())) {
    return arrow::Status::IndexError("the plan has no task ", task_index);
  }
  const MergeTask& task = plan.tasks[task_index];
  if (!input.source || (task.kind == TaskKind::kRewrite && !input.source->keys)) {
    return arrow::Status::Invalid("task ", task_index, " was given no source rows");
  }
  const std::string label = task.kind == TaskKind::kRewrite ? "rewriting '" + task.file + "'"
                                                            : "writing the inserted rows";
  arrow::Result<TaskResult> result = arrow::Status::UnknownError("not run");
  try {
    if (options.perf) {
      auto timed = options.perf->StartTask(
          task.kind == TaskKind::kRewrite ? "rewrite " + PathInDataset(plan.dataset_dir, task.file)
                                          : "inserts",
          task.kind == TaskKind::kRewrite ? "" : options.insert_phase);
      result = RunTaskUnchecked(plan, task_index, input, std::move(fs), options);
    } else {
      result = RunTaskUnchecked(plan, task_index, input, std::move(fs), options);
    }
  } catch (const parquet::ParquetStatusException& e) {  // e.g. out of memory: keep its kind
    result = e.status().WithMessage(label, ": ", e.status().message());
  } catch (const std::exception& e) {  // e.g. parquet::ParquetException: never escape a thread
    // Some Parquet paths rethrow a refused allocation as a plain message.
    result = arrow::Status(memory::IsCappedPoolRefusal(e.what()) ? arrow::StatusCode::OutOfMemory
                                                                 : arrow::StatusCode::UnknownError,
                           label + ": " + e.what());
  }
  if (!result.ok()) return NameTheBudget(result.status());
  return result;
}

}  // namespace fsspeckit::merge
