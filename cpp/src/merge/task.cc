// fsspeckit: the second step of a merge: one task (a rewrite or the inserts) into staging.
#include "fsspeckit/merge/task.h"

#include <algorithm>
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

#include "fsspeckit/io/location.h"
#include "io/unique_name_internal.h"
#include "io/view_types_internal.h"
#include "io/whole_read_internal.h"
#include "io/write_files_internal.h"
#include "fsspeckit/io/write_parquet.h"
#include "fsspeckit/memory/capped_pool.h"
#include "fsspeckit/memory/operation_pool.h"
#include "merge/dataset_schema_internal.h"
#include "merge/target_scan_internal.h"
#include "merge/planned_merge_internal.h"
#include "merge/rewrite_reader_internal.h"
#include "merge/task_internal.h"
#include "io/durable_sync_internal.h"
#include "io/parquet_footer_internal.h"
#include "io/row_group_copier_internal.h"
#include "io/write_parquet_internal.h"
#include "io/task_pace_internal.h"
#include "io/thread_edge_internal.h"
#include "merge/plain_columns_internal.h"
#include "merge/row_replacement_internal.h"

namespace fsspeckit::merge {
namespace {

namespace cp = arrow::compute;

// A rewritten file keeps its row groups (split at row_group_size), each written as it is
// read, straight to the file: joining them into row_group_size rows holds every column's
// pages in growing buffers until the group is full (a fifth of a rewrite's time on
// bench_matrix's random shapes). Several row groups under 64Ki rows on average are
// joined: few rows per group make slow scans, and a rewrite is the moment to mend that.
bool KeepsRowGroups(const parquet::FileMetaData& metadata) {
  return metadata.num_row_groups() <= 1 || metadata.num_rows() >= kSmallRows * metadata.num_row_groups();
}

int64_t LargestRowGroupRows(const parquet::FileMetaData& metadata) {
  int64_t rows = 0;
  for (int rg = 0; rg < metadata.num_row_groups(); ++rg) {
    rows = std::max(rows, metadata.RowGroup(rg)->num_rows());
  }
  return rows;
}

// A column chunk is read through a buffer this large at most: its whole length when
// shorter (a small file's chunks are a few KiB; 2,000 such files took 1 MiB each).
int64_t ReadBufferBytes(const parquet::FileMetaData& metadata) {
  constexpr int64_t kMaxBytes = int64_t{1} << 20, kMinBytes = int64_t{4} << 10;
  int64_t largest = kMinBytes;
  for (int rg = 0; rg < metadata.num_row_groups() && largest < kMaxBytes; ++rg) {
    auto row_group = metadata.RowGroup(rg);
    for (int c = 0; c < row_group->num_columns(); ++c) {
      largest = std::max(largest, row_group->ColumnChunk(c)->total_compressed_size());
    }
  }
  return std::min(largest, kMaxBytes);
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
  reader_properties.set_buffer_size(ReadBufferBytes(*file.metadata));
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
    if (!files.empty() && !leftover) {
      // A part ended exactly at the limit: the next starts only if rows are left (an
      // empty file written and deleted would cost requests, and on S3 a folder marker).
      do {
        ARROW_RETURN_NOT_OK(rows->ReadNext(&leftover));
      } while (leftover && leftover->num_rows() == 0);
      if (!leftover) break;
    }
    auto part = std::make_shared<LimitedReader>(*rows, leftover, limit);
    const std::string path = path_prefix + std::to_string(files.size()) + io::kStagedSuffix;
    ARROW_ASSIGN_OR_RAISE(int64_t size_bytes, io::WriteParquet(part, {fs, path}, parquet_options));
    files.push_back({path, part->rows(), size_bytes});
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
// `footer`: the footer the plan parsed (in the driver), else null: read again.
arrow::Result<TargetFile> OpenPlannedFile(arrow::fs::FileSystem& fs, const Plan& plan,
                                          const std::string& path, const std::vector<int>& row_groups,
                                          const PlannedFooter* footer,
                                          std::shared_ptr<arrow::io::RandomAccessFile>& input) {
  TargetFile file;
  file.path = path;
  file.matched_row_groups = row_groups;
  auto planned = std::find_if(plan.files.begin(), plan.files.end(),
                              [&](const PlannedFile& f) { return f.path == file.path; });
  if (planned != plan.files.end() && !io::IsLocalDisk(fs)) {
    // On an object store the size the plan listed saves a HEAD; a file changed since is
    // refused at the commit (its listing no longer matches the plan's).
    arrow::fs::FileInfo info(path, arrow::fs::FileType::File);
    info.set_size(planned->size_bytes);
    ARROW_ASSIGN_OR_RAISE(input, fs.OpenInputFile(info));
  } else {
    ARROW_ASSIGN_OR_RAISE(input, fs.OpenInputFile(file.path));
  }
  ARROW_ASSIGN_OR_RAISE(file.size_bytes, input->GetSize());
  if (planned == plan.files.end() || planned->size_bytes != file.size_bytes) {
    return arrow::Status::IOError("'", file.path, "' changed after the merge was planned; run "
                                  "the merge again");
  }
  if (footer && footer->metadata) {  // the same size as planned: the same file
    file.metadata = footer->metadata;
    file.schema = arrow::schema(plan.schema->fields(), footer->schema_metadata);
    return file;
  }
  ARROW_ASSIGN_OR_RAISE(file.metadata, io::ReadFooter(input, file.path));
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

// Batches of `first`, then of `second`: a rewritten file's rows, then the rows appended.
class ChainReader : public arrow::RecordBatchReader {
 public:
  ChainReader(std::shared_ptr<arrow::RecordBatchReader> first,
              std::shared_ptr<arrow::RecordBatchReader> second)
      : schema_(first->schema()), first_(std::move(first)), second_(std::move(second)) {}
  std::shared_ptr<arrow::Schema> schema() const override { return schema_; }
  arrow::Status ReadNext(std::shared_ptr<arrow::RecordBatch>* out) override {
    if (first_) {
      ARROW_RETURN_NOT_OK(first_->ReadNext(out));
      if (*out) return arrow::Status::OK();
      first_.reset();
    }
    return second_->ReadNext(out);
  }

 private:
  std::shared_ptr<arrow::Schema> schema_;
  std::shared_ptr<arrow::RecordBatchReader> first_, second_;  // first_: until it ends
};

// The rewritten file, one row group at a time, each as it was: one that holds no source
// key is copied raw (never decoded: io/row_group_copier), the others are read with their
// rows replaced and encoded again. Rows appended go after the file's, together with its
// last row group when that one is small, so that appending keeps row groups full.
arrow::Result<std::vector<io::WrittenFile>> RewriteCopying(
    TaskRun& run, const TargetFile& file, std::shared_ptr<arrow::io::RandomAccessFile> input,
    std::unique_ptr<parquet::arrow::FileReader> reader, std::map<int, PlannedKeys>* planned_keys,
    std::vector<std::string> plain_columns, std::shared_ptr<arrow::RecordBatchReader> appended) {
  const io::WriteDatasetOptions& write = run.plan.write;
  ARROW_ASSIGN_OR_RAISE(auto properties,
                        io::ParquetWriterProperties({write.compression, write.row_group_size,
                                                     std::move(plain_columns), false, &run.pool}));
  const std::string path = run.dir + "/part-0" + io::kStagedSuffix;
  if (io::NeedsFolders(*run.fs)) (void)run.fs->CreateDir(run.dir, /*recursive=*/true);
  ARROW_ASSIGN_OR_RAISE(auto out, run.fs->OpenOutputStream(path));
  io::RowGroupCopierOptions copier_options;
  copier_options.writer_properties = properties;
  copier_options.pool = &run.pool;
  ARROW_ASSIGN_OR_RAISE(auto copier, io::RowGroupCopier::Make(out, file.schema, copier_options));
  ARROW_ASSIGN_OR_RAISE(auto source, io::CopySource::Open(input, file.path, file.metadata));
  const parquet::FileMetaData& metadata = *file.metadata;
  const int last = metadata.num_row_groups() - 1;
  const std::set<int> matched(file.matched_row_groups.begin(), file.matched_row_groups.end());
  const bool join_last = appended && last >= 0 &&
                         metadata.RowGroup(last)->num_rows() < properties->max_row_group_length();
  std::set<int> copied;
  for (int rg = 0; rg <= last; ++rg) {
    if (!matched.count(rg) && !(join_last && rg == last) && copier->CanCopy(source, rg).ok()) {
      copied.insert(rg);
    }
  }
  ARROW_ASSIGN_OR_RAISE(auto rewrite,
                        MakeRewriteReader(std::move(reader), file, *run.source.keys,
                                          run.source.rows, run.ladder, run.advance, &run.pool,
                                          run.matched, planned_keys, copied,
                                          run.source.load_replacing));
  for (int rg = 0; rg <= last; ++rg) {
    const int64_t rows = metadata.RowGroup(rg)->num_rows();
    if (copied.count(rg)) {
      ARROW_RETURN_NOT_OK(copier->CopyRowGroup(source, rg));
      ARROW_RETURN_NOT_OK(run.advance(rows));
      continue;
    }
    arrow::RecordBatchVector batches;
    for (int64_t read = 0; read < rows;) {
      ARROW_ASSIGN_OR_RAISE(auto batch, rewrite->Next());
      if (!batch) return arrow::Status::IOError("'", file.path, "' ended inside row group ", rg);
      read += batch->num_rows();
      batches.push_back(std::move(batch));
    }
    if (join_last && rg == last) {
      ARROW_ASSIGN_OR_RAISE(auto more, appended->ToRecordBatches());
      batches.insert(batches.end(), more.begin(), more.end());
      appended.reset();
    }
    ARROW_ASSIGN_OR_RAISE(auto table, arrow::Table::FromRecordBatches(file.schema, batches));
    ARROW_RETURN_NOT_OK(copier->WriteTable(*table));
  }
  if (appended) {  // after a last row group that was copied, or in place of none
    ARROW_ASSIGN_OR_RAISE(auto table, appended->ToTable());
    ARROW_RETURN_NOT_OK(copier->WriteTable(*table));
  }
  ARROW_RETURN_NOT_OK(copier->Close());
  ARROW_RETURN_NOT_OK(out->Close());
  io::StartWriteback(*run.fs, path);  // as write_parquet does: the commit's rename won't wait
  return std::vector<io::WrittenFile>{{path, copier->num_rows(), 0}};
}

// A file of a rewrite task, opened: checked against the plan, its reader sized to the
// budget, the key columns the plan kept for it (when its row groups are read whole).
struct OpenedFile {
  TargetFile file;
  std::shared_ptr<arrow::io::RandomAccessFile> input;
  std::unique_ptr<parquet::arrow::FileReader> reader;
  bool whole_row_groups = true;
  std::map<int, PlannedKeys>* planned_keys = nullptr;
};

arrow::Result<std::unique_ptr<OpenedFile>> OpenForRewrite(TaskRun& run, const std::string& path,
                                                          const std::vector<int>& row_groups) {
  auto opened = std::make_unique<OpenedFile>();
  auto footer = run.source.planned_footers.find(path);
  ARROW_ASSIGN_OR_RAISE(
      opened->file,
      OpenPlannedFile(*run.fs, run.plan, path, row_groups,
                      footer == run.source.planned_footers.end() ? nullptr : &footer->second,
                      opened->input));
  // On an object store a small file is read whole, in one request: its dictionary page
  // headers (PlainColumns) and its row groups, decoded or copied raw, then come from
  // memory, where each would be a round trip. Within the budget: at most an eighth of
  // what is left.
  const int64_t size_bytes = opened->file.size_bytes;
  if (!io::IsLocalDisk(*run.fs) && size_bytes <= io::kWholeReadBytes &&
      size_bytes <= run.pool.available_bytes() / 8) {
    auto whole = io::ReadWhole(*opened->input, size_bytes, &run.pool);
    if (!whole.ok() && whole.status().IsIOError()) {
      return arrow::Status::IOError("'", path, "' changed after the merge was planned (it ",
                                    whole.status().message(), "); run the merge again");
    }
    ARROW_ASSIGN_OR_RAISE(opened->input, std::move(whole));
  }
  const int64_t rows_per_read = RowsPerRead(opened->file, run.plan.source_row_bytes, run.pool);
  ARROW_ASSIGN_OR_RAISE(opened->reader, OpenTarget(opened->input, opened->file, &run.pool,
                                                   rows_per_read, run.decode_in_parallel));
  // Where a tight budget has row groups read in slices, the slices are joined again (not
  // written one by one), and the keys are read again rather than the plan's used.
  opened->whole_row_groups = rows_per_read >= LargestRowGroupRows(*opened->file.metadata);
  auto planned = run.source.planned_keys.find(path);
  if (planned != run.source.planned_keys.end() && opened->whole_row_groups) {
    opened->planned_keys = &planned->second;
  }
  return opened;
}

// The planned keys of `path` not used by its rewrite, and its footer: freed.
void FreePlannedKeys(TaskRun& run, const std::string& path) {
  auto planned = run.source.planned_keys.find(path);
  if (planned != run.source.planned_keys.end()) planned->second.clear();
  auto footer = run.source.planned_footers.find(path);
  if (footer != run.source.planned_footers.end()) footer->second = PlannedFooter{};
}

// The rows of a task's files one after the other (its own, then the joined ones: see
// MergeTask::joined), each file opened when the one before it ends.
class JoinedFilesReader : public arrow::RecordBatchReader {
 public:
  JoinedFilesReader(TaskRun& run, std::unique_ptr<OpenedFile> first)
      : run_(run), schema_(first->file.schema), opened_(std::move(first)) {}
  std::shared_ptr<arrow::Schema> schema() const override { return schema_; }
  arrow::Status ReadNext(std::shared_ptr<arrow::RecordBatch>* out) override {
    while (true) {
      if (!rows_) {
        if (next_ > run_.task.joined.size()) {
          *out = nullptr;
          return arrow::Status::OK();
        }
        if (next_ > 0) {
          const JoinedFile& joined = run_.task.joined[next_ - 1];
          ARROW_ASSIGN_OR_RAISE(opened_, OpenForRewrite(run_, joined.path, joined.row_groups));
        }
        ++next_;
        ARROW_ASSIGN_OR_RAISE(rows_, MakeRewriteReader(std::move(opened_->reader), opened_->file,
                                                       *run_.source.keys, run_.source.rows,
                                                       run_.ladder, run_.advance, &run_.pool,
                                                       run_.matched, opened_->planned_keys, {},
                                                       run_.source.load_replacing));
      }
      ARROW_RETURN_NOT_OK(rows_->ReadNext(out));
      if (*out) {
        if (!(*out)->schema()->Equals(*schema_, /*check_metadata=*/false)) {
          return arrow::Status::Invalid("'", opened_->file.path, "' was read in another schema");
        }
        ARROW_ASSIGN_OR_RAISE(*out, (*out)->ReplaceSchema(schema_));  // the first file's metadata
        return arrow::Status::OK();
      }
      rows_.reset();  // before its file goes
      FreePlannedKeys(run_, opened_->file.path);
    }
  }

 private:
  TaskRun& run_;
  std::shared_ptr<arrow::Schema> schema_;
  std::unique_ptr<OpenedFile> opened_;  // the file rows_ reads
  std::shared_ptr<arrow::RecordBatchReader> rows_;
  size_t next_ = 0;  // 0: the task's own file, i: joined[i - 1]
};

arrow::Result<std::vector<io::WrittenFile>> Rewrite(TaskRun& run) {
  ARROW_ASSIGN_OR_RAISE(auto opened, OpenForRewrite(run, run.task.file, run.task.row_groups));
  const TargetFile& file = opened->file;
  const bool keep_row_groups = KeepsRowGroups(*file.metadata) && opened->whole_row_groups;
  std::vector<std::string> plain_columns =
      PlainColumns(*file.metadata, *opened->input, !io::IsLocalDisk(*run.fs));
  // Inserted rows this rewrite takes (MergeTask::appended_rows), after the files' own.
  const std::vector<int64_t>& appended_rows =
      run.source.routed ? run.source.appended_rows : run.task.appended_rows;
  std::shared_ptr<arrow::RecordBatchReader> appended;
  if (!appended_rows.empty()) {
    appended = std::make_shared<GatherReader>(run.source.rows, appended_rows, file.schema,
                                              run.plan.chunk_size_rows, &run.pool);
  }
  const io::WriteDatasetOptions& write = run.plan.write;
  const int64_t total_rows = file.num_rows() + static_cast<int64_t>(appended_rows.size());
  arrow::Result<std::vector<io::WrittenFile>> written;
  // Copying pays where a row group holds no source key; where all do, every row group is
  // encoded again and the copier's in-memory encoding would only add a copy of each.
  const bool untouched_row_group =
      static_cast<int>(file.matched_row_groups.size()) < file.metadata->num_row_groups();
  if (run.task.joined.empty() && keep_row_groups && untouched_row_group &&
      total_rows <= write.max_rows_per_file.value_or(total_rows) &&
      LargestRowGroupRows(*file.metadata) <= write.row_group_size.value_or(total_rows)) {
    const std::string path = file.path;
    written = RewriteCopying(run, file, opened->input, std::move(opened->reader),
                             opened->planned_keys, std::move(plain_columns), std::move(appended));
    FreePlannedKeys(run, path);
  } else {
    // Joined files are small: their row groups are joined too.
    const bool row_group_per_batch = keep_row_groups && run.task.joined.empty();
    std::shared_ptr<arrow::RecordBatchReader> rows =
        std::make_shared<JoinedFilesReader>(run, std::move(opened));
    if (appended) rows = std::make_shared<ChainReader>(std::move(rows), std::move(appended));
    written = WriteRewrite(rows, run.fs, run.dir + "/part-", write, std::move(plain_columns),
                           &run.pool, row_group_per_batch);
  }
  if (!appended_rows.empty() && written.ok()) {
    ARROW_RETURN_NOT_OK(run.advance(static_cast<int64_t>(appended_rows.size())));
  }
  return written;
}

// The inserted rows are written with the dictionary choices of the dataset's first file
// (unique ids and measurements plain): as a rewrite of it would be. None when it cannot
// be read: the choice only saves work. Opened at its planned size (no HEAD), with the
// footer the plan parsed where the driver kept it.
std::vector<std::string> DatasetPlainColumns(arrow::fs::FileSystem& fs, const Plan& plan,
                                             const TaskSource& source) {
  if (plan.files.empty()) return {};
  const PlannedFile& first = plan.files.front();
  arrow::fs::FileInfo info(first.path, arrow::fs::FileType::File);
  info.set_size(first.size_bytes);
  auto input = fs.OpenInputFile(info);
  if (!input.ok()) return {};
  auto footer = source.first_footer
                    ? arrow::Result<std::shared_ptr<parquet::FileMetaData>>(source.first_footer)
                    : io::ReadFooter(*input, first.path);
  // A damaged footer: its rewrite, if any, reports it.
  return footer.ok() ? PlainColumns(**footer, **input, !io::IsLocalDisk(fs))
                     : std::vector<std::string>{};
}

// The rows a spilled merge inserts, read a piece at a time and given the dataset's
// schema: never all in memory, however many they are.
class ConformingReader : public arrow::RecordBatchReader {
 public:
  ConformingReader(std::shared_ptr<arrow::RecordBatchReader> rows, std::shared_ptr<arrow::Schema> schema,
                   arrow::MemoryPool* pool)
      : rows_(std::move(rows)), schema_(std::move(schema)), pool_(pool) {}
  std::shared_ptr<arrow::Schema> schema() const override { return schema_; }
  arrow::Status ReadNext(std::shared_ptr<arrow::RecordBatch>* out) override {
    ARROW_RETURN_NOT_OK(rows_->ReadNext(out));
    if (*out) {
      ARROW_ASSIGN_OR_RAISE(*out, ConformTo(**out, *schema_, "the dataset", pool_));
    }
    return arrow::Status::OK();
  }

 private:
  std::shared_ptr<arrow::RecordBatchReader> rows_;
  std::shared_ptr<arrow::Schema> schema_;
  arrow::MemoryPool* pool_;
};

// The dataset's schema, then the partition folders' columns as the source has them.
std::shared_ptr<arrow::Schema> InsertedSchema(const Plan& plan, const arrow::Schema& source) {
  arrow::FieldVector fields = plan.schema->fields();
  for (const std::string& column : plan.partition_by) fields.push_back(source.GetFieldByName(column));
  return arrow::schema(std::move(fields), plan.schema->metadata());
}

arrow::Result<std::vector<io::WrittenFile>> Insert(TaskRun& run) {
  ARROW_RETURN_NOT_OK(run.ladder.Step());
  const Plan& plan = run.plan;
  std::shared_ptr<arrow::RecordBatchReader> spilled;
  if (!run.task.spilled_rows.empty()) {
    ARROW_ASSIGN_OR_RAISE(spilled, ReadSpilledRows(*run.fs, plan, run.task.spilled_rows, &run.pool));
  }
  auto schema = InsertedSchema(plan, spilled ? *spilled->schema() : *run.source.rows.table().schema());
  std::vector<int64_t> routed;  // read back elsewhere: the source holds just these rows
  if (run.source.routed && !spilled) {
    routed.resize(run.source.rows.num_rows());
    for (size_t i = 0; i < routed.size(); ++i) routed[i] = static_cast<int64_t>(i);
  }
  const std::vector<int64_t>& rows = run.source.routed ? routed : run.task.source_rows;
  // Arrow's dataset writer (partitioned inserts) frees what it was given on its own
  // threads after it returns, possibly after this merge and its capped pool are gone: its
  // rows come from the operation pool, which counts against the budget but is not capped.
  arrow::MemoryPool* pool = plan.partition_by.empty() ? static_cast<arrow::MemoryPool*>(&run.pool)
                                                      : memory::OperationPool();
  std::shared_ptr<arrow::RecordBatchReader> reader;
  const bool inserted_spilled = spilled != nullptr;
  int64_t inserted = static_cast<int64_t>(rows.size());
  if (spilled) {
    reader = std::make_shared<ConformingReader>(std::move(spilled), schema, pool);
    inserted = run.task.work_rows;
  } else {
    reader = std::make_shared<GatherReader>(run.source.rows, rows, schema, plan.chunk_size_rows, pool);
  }
  std::vector<io::WrittenFile> files;
  if (plan.partition_by.empty()) {
    ARROW_ASSIGN_OR_RAISE(files, WriteRewrite(reader, run.fs,
                                              run.dir + "/part-" + io::UniqueId() + "-",
                                              plan.write, DatasetPlainColumns(*run.fs, plan, run.source),
                                              &run.pool,
                                              // spilled rows come in batches sized to the
                                              // budget: each a row group, none buffered
                                              /*row_group_per_batch=*/inserted_spilled));
  } else {
    io::WriteDatasetOptions options = plan.write;
    options.partition_by = plan.partition_by;
    options.basename_template = "part-" + io::UniqueId() + "-{i}" + io::kStagedSuffix;
    ARROW_ASSIGN_OR_RAISE(files, io::WriteFiles(reader, run.fs, run.dir, options));
  }
  ARROW_RETURN_NOT_OK(run.advance(inserted));
  return files;
}

}  // namespace

std::string_view TaskKindName(TaskKind kind) {
  return kind == TaskKind::kRewrite ? "rewrite" : "insert";
}

std::string TaskDir(const Plan& plan, int64_t task, const std::string& attempt) {
  return plan.staging_dir + "/task-" + std::to_string(task) + "-" + attempt;
}

namespace {

arrow::Result<TaskResult> RunTaskUnchecked(const Plan& plan, int64_t task_index,
                                           const TaskInput& input,
                                           std::shared_ptr<arrow::fs::FileSystem> fs,
                                           const TaskOptions& options,
                                           const LocalTaskContext& local) {
  const MergeTask& task = plan.tasks[task_index];
  const auto start = std::chrono::steady_clock::now();
  TaskResult result;
  result.task = task_index;
  result.attempt = options.attempt.empty() ? io::UniqueId() : options.attempt;
  ARROW_ASSIGN_OR_RAISE(
      auto pace,
      io::TaskPace::Make({options.budget, options.limits, options.collect, local.perf, options.stop,
                          "merge", task.kind == TaskKind::kRewrite ? options.hooks.get() : nullptr,
                          options.advance}));
  auto advance = [&](int64_t rows) { return pace->Advance(rows); };
  TaskRun run{plan, task, *input.source, fs, TaskDir(plan, task_index, result.attempt),
              pace->ladder(), advance, *pace->budget().pool(), local.decode_in_parallel};
  ARROW_ASSIGN_OR_RAISE(result.staged,
                        task.kind == TaskKind::kRewrite ? Rewrite(run) : Insert(run));
  for (io::WrittenFile& file : result.staged) {
    if (file.size_bytes <= 0) {  // a writer that could not tell: the store can
      ARROW_ASSIGN_OR_RAISE(auto info, fs->GetFileInfo(file.path));
      file.size_bytes = info.size();
    }
    result.rows_written += file.row_count;
  }
  result.matched_keys = run.matched;
  result.memory_peak_bytes = pace->memory_peak_bytes();
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace

arrow::Result<TaskResult> RunTask(const Plan& plan, int64_t task_index, const TaskInput& input,
                                  std::shared_ptr<arrow::fs::FileSystem> fs,
                                  const TaskOptions& options, const LocalTaskContext& local) {
  if (task_index < 0 || task_index >= static_cast<int64_t>(plan.tasks.size())) {
    return arrow::Status::IndexError("the plan has no task ", task_index);
  }
  const MergeTask& task = plan.tasks[task_index];
  if (!input.source || (task.kind == TaskKind::kRewrite && !input.source->keys)) {
    return arrow::Status::Invalid("task ", task_index, " was given no source rows");
  }
  const std::string context = task.kind == TaskKind::kRewrite ? "rewriting '" + task.file + "'"
                                                              : "writing the inserted rows";
  arrow::Result<TaskResult> result = arrow::Status::UnknownError("not run");
  arrow::Status thrown = io::CatchAtEdge(context, [&] {
    if (!local.perf) {
      result = RunTaskUnchecked(plan, task_index, input, std::move(fs), options, local);
      return arrow::Status::OK();
    }
    auto timed = local.perf->StartTask(
        task.kind == TaskKind::kRewrite ? "rewrite " + PathInDataset(plan.dataset_dir, task.file)
                                        : "inserts",
        task.kind == TaskKind::kRewrite ? "" : local.insert_phase);
    result = RunTaskUnchecked(plan, task_index, input, std::move(fs), options, local);
    return arrow::Status::OK();
  });
  if (!thrown.ok()) result = thrown;
  if (!result.ok()) return NameTheBudget(result.status());
  return result;
}

arrow::Result<TaskResult> RunTask(const Plan& plan, int64_t task_index, const TaskInput& input,
                                  std::shared_ptr<arrow::fs::FileSystem> fs,
                                  const TaskOptions& options) {
  return RunTask(plan, task_index, input, std::move(fs), options, LocalTaskContext{});
}

}  // namespace fsspeckit::merge
