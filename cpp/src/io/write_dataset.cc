// fsspeckit: writing a Parquet dataset folder (append or overwrite), all or nothing.
#include "fsspeckit/io/write_dataset.h"
#include "fsspeckit/memory/operation_pool.h"
#include "io/write_files_internal.h"

#include <algorithm>
#include <mutex>
#include <set>

#include <arrow/array/util.h>
#include <arrow/compute/cast.h>
#include <arrow/dataset/file_base.h>
#include <arrow/dataset/file_parquet.h>
#include <arrow/dataset/partition.h>
#include <arrow/dataset/scanner.h>
#include <parquet/arrow/writer.h>
#include <parquet/file_writer.h>
#include <parquet/metadata.h>
#include <parquet/properties.h>

#include "io/commit_journal_internal.h"
#include "io/compression_internal.h"
#include "io/dataset_files_internal.h"
#include "io/dataset_lock_internal.h"
#include "io/dataset_snapshot_internal.h"
#include "io/durable_sync_internal.h"
#include "io/unique_name_internal.h"
#include "io/view_types_internal.h"
#include "mapped_reader.h"
#include "staged_commit_internal.h"

namespace fsspeckit::io {
namespace {

namespace ds = arrow::dataset;
namespace cp = arrow::compute;

// `batch`'s columns in `schema`'s order and types; a column it lacks becomes nulls.
arrow::Result<std::shared_ptr<arrow::RecordBatch>> CastBatch(const arrow::RecordBatch& batch,
                                                             const std::shared_ptr<arrow::Schema>& schema) {
  std::vector<std::shared_ptr<arrow::Array>> columns;
  for (const auto& field : schema->fields()) {
    std::shared_ptr<arrow::Array> column = batch.GetColumnByName(field->name());
    if (!column) {
      ARROW_ASSIGN_OR_RAISE(column, arrow::MakeArrayOfNull(field->type(), batch.num_rows()));
    } else if (!column->type()->Equals(*field->type())) {
      auto cast = cp::Cast(*column, field->type());
      if (!cast.ok()) {
        return arrow::Status::Invalid("cannot cast column '", field->name(), "' from ",
                                      column->type()->ToString(), " to ",
                                      field->type()->ToString(), ": ", cast.status().message());
      }
      column = *cast;
    }
    columns.push_back(std::move(column));
  }
  return arrow::RecordBatch::Make(schema, batch.num_rows(), std::move(columns));
}

}  // namespace

arrow::Status ValidateWriteOptions(const WriteDatasetOptions& options) {
  if (options.mode != "append" && options.mode != "overwrite") {
    return arrow::Status::Invalid("mode must be 'append' or 'overwrite', got: ", options.mode);
  }
  if (options.max_rows_per_file && *options.max_rows_per_file <= 0) {
    return arrow::Status::Invalid("max_rows_per_file must be > 0");
  }
  if (options.row_group_size && *options.row_group_size <= 0) {
    return arrow::Status::Invalid("row_group_size must be > 0");
  }
  if (options.basename_template &&
      options.basename_template->find("{i}") == std::string::npos) {
    return arrow::Status::Invalid("basename_template must contain '{i}' (the file counter), got: ",
                                  *options.basename_template);
  }
  if (options.partitioning_flavor != "hive" && options.partitioning_flavor != "directory") {
    return arrow::Status::Invalid("partitioning_flavor must be 'hive' or 'directory', got: ",
                                  options.partitioning_flavor);
  }
  return ParseCompression(options.compression).status();
}

namespace {

// Checks what can be checked on the data's schema alone, before anything is created.
arrow::Status ValidateFor(const arrow::Schema& data, const WriteDatasetOptions& options) {
  ARROW_RETURN_NOT_OK(ValidateWriteOptions(options));
  ARROW_RETURN_NOT_OK(CheckParquetStores(*WithoutViewTypes(std::make_shared<arrow::Schema>(data))));
  for (const std::string& column : options.partition_by) {
    if (!data.GetFieldByName(column) &&
        !(options.schema && options.schema->GetFieldByName(column))) {
      return arrow::Status::Invalid("partition_by column '", column,
                                    "' is not in the data; it has: ", data.ToString());
    }
  }
  return arrow::Status::OK();
}


}  // namespace

arrow::Result<std::shared_ptr<arrow::RecordBatchReader>> CastToSchema(
    std::shared_ptr<arrow::RecordBatchReader> data, std::shared_ptr<arrow::Schema> schema) {
  const auto& source = *data->schema();
  arrow::FieldVector fields = schema->fields();
  for (const auto& field : schema->fields()) {
    auto existing = source.GetFieldByName(field->name());
    if (!existing) {
      if (!field->nullable()) {
        return arrow::Status::Invalid("column '", field->name(),
                                      "' is required by the schema (not nullable) but missing "
                                      "from the data");
      }
    } else if (!existing->type()->Equals(*field->type()) &&  // CanCast(halffloat, halffloat) is false
               !cp::CanCast(*existing->type(), *field->type())) {
      return arrow::Status::TypeError("cannot cast column '", field->name(), "' from ",
                                      existing->type()->ToString(), " to ",
                                      field->type()->ToString());
    }
  }
  for (const auto& field : source.fields()) {
    if (!schema->GetFieldByName(field->name())) fields.push_back(field);
  }
  auto target = arrow::schema(std::move(fields));
  return std::make_shared<MappedReader>(
      std::move(data), target,
      [target](const std::shared_ptr<arrow::RecordBatch>& batch) { return CastBatch(*batch, target); });
}

arrow::Result<std::vector<WrittenFile>> WriteFiles(std::shared_ptr<arrow::RecordBatchReader> data,
                                                   std::shared_ptr<arrow::fs::FileSystem> fs,
                                                   const std::string& dir,
                                                   const WriteDatasetOptions& options) {
  ARROW_RETURN_NOT_OK(ValidateFor(*data->schema(), options));
  ARROW_ASSIGN_OR_RAISE(data, WithoutViewTypes(std::move(data)));
  ARROW_ASSIGN_OR_RAISE(arrow::Compression::type codec, ParseCompression(options.compression));
  if (options.schema) {
    ARROW_ASSIGN_OR_RAISE(data, CastToSchema(std::move(data), options.schema));
  }
  arrow::FieldVector partition_fields;
  for (const std::string& column : options.partition_by) {
    partition_fields.push_back(data->schema()->GetFieldByName(column));
  }

  auto format = std::make_shared<ds::ParquetFileFormat>();
  auto file_options = std::static_pointer_cast<ds::ParquetFileWriteOptions>(
      format->DefaultWriteOptions());
  int64_t row_group_rows = options.row_group_size.value_or(kDefaultRowGroupSize);
  if (options.max_rows_per_file) row_group_rows = std::min(row_group_rows, *options.max_rows_per_file);
  // Always a pool that lives as long as the process: Arrow's dataset writer destroys its
  // file writers (and frees their buffers) in callbacks on its own threads after Write()
  // has returned, so a pool owned by the caller (a merge's capped pool) could be gone by
  // then (seen: a segfault in PoolBuffer::~PoolBuffer on an Arrow thread, in a later,
  // unrelated read).
  arrow::MemoryPool* pool = memory::OperationPool();
  file_options->writer_properties = parquet::WriterProperties::Builder()
                                        .memory_pool(pool)
                                        ->compression(codec)
                                        ->max_row_group_length(row_group_rows)
                                        ->build();
  file_options->arrow_writer_properties =
      parquet::ArrowWriterProperties::Builder().store_schema()->build();

  ds::FileSystemDatasetWriteOptions write;
  write.file_write_options = file_options;
  write.filesystem = fs;
  write.base_dir = dir;
  if (partition_fields.empty()) {
    write.partitioning = ds::Partitioning::Default();
  } else if (options.partitioning_flavor == "hive") {
    write.partitioning = std::make_shared<ds::HivePartitioning>(arrow::schema(partition_fields));
  } else {
    write.partitioning = std::make_shared<ds::DirectoryPartitioning>(arrow::schema(partition_fields));
  }
  write.basename_template =
      options.basename_template.value_or("part-" + UniqueId() + "-{i}.parquet");
  write.max_rows_per_file = options.max_rows_per_file.value_or(0);
  write.max_rows_per_group = row_group_rows;
  write.min_rows_per_group = row_group_rows;  // full row groups, not one per input batch
  write.existing_data_behavior = ds::ExistingDataBehavior::kOverwriteOrIgnore;
  write.preserve_order = true;
  // An object store's folders are name prefixes: a created one is a marker object (on S3
  // two HEADs and a PUT) that nothing needs and a commit would have to delete.
  write.create_dir = NeedsFolders(*fs);

  std::mutex mutex;
  std::vector<WrittenFile> files;
  write.writer_post_finish = [&](ds::FileWriter* writer) {
    auto* parquet_writer = static_cast<ds::ParquetFileWriter*>(writer);
    WrittenFile file{writer->destination().path,
                     parquet_writer->parquet_writer()->metadata()->num_rows(),
                     writer->GetBytesWritten().ValueOr(0)};
    StartWriteback(*fs, file.path);  // see WriteParquet
    std::lock_guard<std::mutex> lock(mutex);
    files.push_back(std::move(file));
    return arrow::Status::OK();
  };
  std::shared_ptr<ds::ScannerBuilder> builder = ds::ScannerBuilder::FromRecordBatchReader(data);
  ARROW_RETURN_NOT_OK(builder->UseThreads(true));  // encode files in parallel
  ARROW_RETURN_NOT_OK(builder->Pool(pool));
  ARROW_ASSIGN_OR_RAISE(auto scanner, builder->Finish());
  ARROW_RETURN_NOT_OK(ds::FileSystemDataset::Write(write, scanner));
  std::sort(files.begin(), files.end(),
            [](const WrittenFile& a, const WrittenFile& b) { return a.path < b.path; });
  return files;
}

namespace {

// The input, polling the stop token before every batch.
class StoppableReader : public arrow::RecordBatchReader {
 public:
  StoppableReader(std::shared_ptr<arrow::RecordBatchReader> input, arrow::StopToken stop)
      : input_(std::move(input)), stop_(std::move(stop)) {}
  std::shared_ptr<arrow::Schema> schema() const override { return input_->schema(); }
  arrow::Status ReadNext(std::shared_ptr<arrow::RecordBatch>* out) override {
    ARROW_RETURN_NOT_OK(CheckNotStopped(stop_, "write"));
    return input_->ReadNext(out);
  }

 private:
  std::shared_ptr<arrow::RecordBatchReader> input_;
  arrow::StopToken stop_;
};

}  // namespace

arrow::Result<WriteDatasetResult> WriteDataset(std::shared_ptr<arrow::RecordBatchReader> data,
                                               const Location& location,
                                               const WriteDatasetOptions& options) {
  ARROW_RETURN_NOT_OK(ValidateFor(*data->schema(), options));
  arrow::fs::FileSystem& fs = *location.filesystem;
  const std::string& base = location.path;
  (void)fs.CreateDir(base, /*recursive=*/true);  // object stores may not need it
  // One writer at a time, and an interrupted merge or write is settled first: an
  // overwrite must not be undone by a journal replayed later.
  ARROW_ASSIGN_OR_RAISE(auto lock, DatasetLock::Acquire(location.filesystem, base, options.commit));
  ARROW_RETURN_NOT_OK(Recover(fs, base).status());
  ARROW_ASSIGN_OR_RAISE(DatasetSnapshot planned, TakeSnapshot(fs, base));
  const HiddenFiles replaced = options.mode == "overwrite" ? HiddenFiles::kInclude : HiddenFiles::kSkip;
  ARROW_RETURN_NOT_OK(CheckNoLinkOutside(fs, base, replaced));
  std::vector<std::string> old_files;
  if (options.mode == "overwrite") {
    ARROW_ASSIGN_OR_RAISE(old_files, ListDataFiles(fs, base, replaced));
  }
  StagedCommit commit(location.filesystem, base);
  WriteDatasetOptions staged_options = options;
  staged_options.basename_template =
      options.basename_template.value_or("part-" + UniqueId() + "-{i}.parquet") + kStagedSuffix;
  auto stoppable = std::make_shared<StoppableReader>(std::move(data), options.stop);
  ARROW_ASSIGN_OR_RAISE(auto staged, WriteFiles(std::move(stoppable), location.filesystem,
                                                commit.dir(), staged_options));

  WriteDatasetResult result;
  std::set<std::string> new_paths;
  for (const WrittenFile& file : staged) {
    std::string final_path = base + file.path.substr(commit.dir().size());
    final_path.resize(final_path.size() - std::string_view(kStagedSuffix).size());
    if (options.mode == "append") {
      ARROW_RETURN_NOT_OK(commit.AddNew(
          file.path, final_path,
          "appends never overwrite; use a basename_template that differs from the existing "
          "files, or mode='overwrite'"));
    } else {
      commit.AddMove(file.path, final_path);
    }
    new_paths.insert(final_path);
    result.total_rows += file.row_count;
    result.files.push_back({final_path, file.row_count, 0});
  }
  for (const std::string& old : old_files) {
    if (!new_paths.count(old)) commit.AddDelete(old);
  }
  // Everything new is complete: commit, then change the dataset.
  ARROW_RETURN_NOT_OK(CheckNotStopped(options.stop, "write"));
  ARROW_RETURN_NOT_OK(commit.Commit("write", *lock, planned, options.commit));
  for (WrittenFile& file : result.files) {
    ARROW_ASSIGN_OR_RAISE(auto info, fs.GetFileInfo(file.path));
    file.size_bytes = info.size();
  }
  return result;
}

}  // namespace fsspeckit::io
