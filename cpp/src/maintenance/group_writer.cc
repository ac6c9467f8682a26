// fsspeckit: the files one maintenance task writes (copied and joined row groups).
#include "fsspeckit/io/location.h"
#include "maintenance/group_writer_internal.h"

#include <algorithm>
#include <limits>

#include <arrow/table.h>
#include <arrow/util/byte_size.h>
#include <arrow/util/compression.h>
#include <parquet/properties.h>

#include "io/commit_journal_internal.h"
#include "io/compression_internal.h"
#include "io/unique_name_internal.h"
#include "maintenance/plan_internal.h"

namespace fsspeckit::maintenance {

arrow::Result<std::unique_ptr<GroupWriter>> GroupWriter::Make(GroupWriterOptions options) {
  if (options.row_group_rows <= 0) return arrow::Status::Invalid("row_group_rows must be positive");
  ARROW_ASSIGN_OR_RAISE(auto codec, io::ParseCompression(options.codec));
  auto writer = std::unique_ptr<GroupWriter>(new GroupWriter(std::move(options)));
  parquet::WriterProperties::Builder builder;
  builder.compression(codec)
      ->memory_pool(writer->options_.pool)
      ->max_row_group_length(writer->options_.row_group_rows)
      ->dictionary_pagesize_limit(writer->options_.dictionary_page_bytes);
  for (const std::string& column : writer->options_.plain_columns) builder.disable_dictionary(column);
  writer->properties_ = builder.build();
  if (io::NeedsFolders(*writer->options_.fs)) {  // an object store's folder is a name prefix
    ARROW_RETURN_NOT_OK(writer->options_.fs->CreateDir(io::ParentPath(writer->options_.path_prefix)));
  }
  return writer;
}

GroupWriter::GroupWriter(GroupWriterOptions options) : options_(std::move(options)) {}

GroupWriter::~GroupWriter() = default;

int64_t GroupWriter::Room() const {
  return options_.max_rows_per_file.value_or(std::numeric_limits<int64_t>::max()) - file_rows_;
}

arrow::Status GroupWriter::EnsureOpen() {
  if (copier_) return arrow::Status::OK();
  path_ = options_.path_prefix + std::to_string(files_.size()) + io::kStagedSuffix;
  ARROW_ASSIGN_OR_RAISE(sink_, options_.fs->OpenOutputStream(path_));
  io::RowGroupCopierOptions copier_options;
  copier_options.writer_properties = properties_;
  copier_options.pool = options_.pool;
  copier_options.copy_buffer_bytes = options_.copy_buffer_bytes;
  copier_options.arrow_writer_properties = parquet::ArrowWriterProperties::Builder()
                                               .store_schema()
                                               ->set_use_threads(options_.use_threads)
                                               ->build();
  ARROW_ASSIGN_OR_RAISE(copier_, io::RowGroupCopier::Make(sink_, options_.schema, copier_options));
  file_rows_ = 0;
  return arrow::Status::OK();
}

arrow::Status GroupWriter::CloseFile() {
  if (!copier_) return arrow::Status::OK();
  ARROW_RETURN_NOT_OK(copier_->Close());
  ARROW_ASSIGN_OR_RAISE(const int64_t size_bytes, sink_->Tell());
  ARROW_RETURN_NOT_OK(sink_->Close());
  files_.push_back({path_, file_rows_, size_bytes});
  copier_.reset();
  sink_.reset();
  file_rows_ = 0;
  return arrow::Status::OK();
}

arrow::Result<bool> GroupWriter::CanCopy(const io::CopySource& source, int row_group) {
  const int64_t rows = source.metadata->RowGroup(row_group)->num_rows();
  if (rows < kMinCopiedRowGroupRows) return false;
  if (options_.max_rows_per_file && rows > *options_.max_rows_per_file) return false;
  ARROW_RETURN_NOT_OK(EnsureOpen());
  return copier_->CanCopy(source, row_group).ok();
}

arrow::Status GroupWriter::Copy(const io::CopySource& source, int row_group) {
  const int64_t rows = source.metadata->RowGroup(row_group)->num_rows();
  ARROW_RETURN_NOT_OK(Flush(/*all=*/true));
  if (file_rows_ > 0 && rows > Room()) ARROW_RETURN_NOT_OK(CloseFile());
  ARROW_RETURN_NOT_OK(EnsureOpen());
  ARROW_RETURN_NOT_OK(copier_->CopyRowGroup(source, row_group));
  file_rows_ += rows;
  ++copied_row_groups_;
  if (Room() == 0) ARROW_RETURN_NOT_OK(CloseFile());
  return arrow::Status::OK();
}

arrow::Status GroupWriter::Append(std::shared_ptr<arrow::RecordBatch> batch) {
  if (batch->num_rows() == 0) return arrow::Status::OK();
  pending_rows_ += batch->num_rows();
  pending_bytes_ += arrow::util::TotalBufferSize(*batch);
  pending_.push_back(std::move(batch));
  return Flush(/*all=*/false);
}

// Writes row groups of the waiting rows: full ones (row_group_rows, or what the file
// has room for), and with `all` the remainder too.
arrow::Status GroupWriter::Flush(bool all) {
  while (pending_rows_ > 0) {
    const int64_t want = std::min(options_.row_group_rows, Room());
    if (!all && pending_rows_ < want && pending_bytes_ < options_.max_pending_bytes) break;
    const int64_t take = std::min(want, pending_rows_);
    std::vector<std::shared_ptr<arrow::RecordBatch>> batches;
    int64_t taken = 0;
    size_t used = 0;
    while (taken < take) {
      std::shared_ptr<arrow::RecordBatch>& batch = pending_[used];
      const int64_t need = take - taken;
      if (batch->num_rows() <= need) {
        taken += batch->num_rows();
        batches.push_back(std::move(batch));
        ++used;
      } else {
        batches.push_back(batch->Slice(0, need));
        batch = batch->Slice(need);
        taken += need;
      }
    }
    pending_.erase(pending_.begin(), pending_.begin() + used);
    pending_rows_ -= take;
    pending_bytes_ = 0;
    for (const auto& batch : pending_) pending_bytes_ += arrow::util::TotalBufferSize(*batch);
    ARROW_ASSIGN_OR_RAISE(auto table, arrow::Table::FromRecordBatches(options_.schema, batches));
    batches.clear();
    ARROW_RETURN_NOT_OK(EnsureOpen());
    const int before = copier_->num_row_groups();
    ARROW_RETURN_NOT_OK(copier_->WriteTable(*table));
    encoded_row_groups_ += copier_->num_row_groups() - before;
    file_rows_ += take;
    if (Room() == 0) ARROW_RETURN_NOT_OK(CloseFile());
  }
  return arrow::Status::OK();
}

arrow::Result<std::vector<io::WrittenFile>> GroupWriter::Finish() {
  ARROW_RETURN_NOT_OK(Flush(/*all=*/true));
  if (copier_ && file_rows_ == 0) {
    // Opened to check a copy that did not happen, or nothing was given: not a file.
    ARROW_RETURN_NOT_OK(copier_->Close());
    ARROW_RETURN_NOT_OK(sink_->Close());
    copier_.reset();
    sink_.reset();
    ARROW_RETURN_NOT_OK(options_.fs->DeleteFile(path_));
  }
  ARROW_RETURN_NOT_OK(CloseFile());
  return std::move(files_);
}

}  // namespace fsspeckit::maintenance
