// fsspeckit: a data file a maintenance task reads.
#include "maintenance/source_file_internal.h"

#include <algorithm>

#include <arrow/array/util.h>
#include <arrow/buffer.h>
#include <arrow/compute/cast.h>
#include <arrow/compute/exec.h>
#include <arrow/io/memory.h>

#include "io/parquet_footer_internal.h"
#include "io/whole_read_internal.h"
#include "maintenance/plan_internal.h"
#include "merge/dataset_schema_internal.h"

namespace fsspeckit::maintenance {

arrow::Result<SourceFile> OpenSourceFile(arrow::fs::FileSystem& fs, const PlannedFile& file,
                                         arrow::MemoryPool* pool, int64_t batch_rows,
                                         bool use_threads) {
  arrow::fs::FileInfo info(file.path, arrow::fs::FileType::File);
  info.set_size(file.size_bytes);  // object stores skip a HEAD request
  std::shared_ptr<arrow::io::RandomAccessFile> input;
  auto opened = fs.OpenInputFile(info);
  int64_t size_bytes = -1;
  if (opened.ok()) {
    input = *opened;
    ARROW_ASSIGN_OR_RAISE(size_bytes, input->GetSize());
  }
  if (!opened.ok() || size_bytes != file.size_bytes) {
    return arrow::Status::IOError("'", file.relative_path, "' changed since the maintenance was "
                                  "planned (", opened.ok() ? "its size differs" : opened.status().message(),
                                  "): plan again");
  }
  if (size_bytes <= io::kWholeReadBytes) {
    auto whole = io::ReadWhole(*input, size_bytes, pool);
    if (!whole.ok() && whole.status().IsIOError()) {
      return arrow::Status::IOError("'", file.relative_path, "' ", whole.status().message(),
                                    ": it changed since the maintenance was planned; plan again");
    }
    ARROW_ASSIGN_OR_RAISE(input, std::move(whole));
  }
  SourceFile source;
  ARROW_ASSIGN_OR_RAISE(auto footer, io::ReadFooter(input, file.path));
  ARROW_ASSIGN_OR_RAISE(source.copy, io::CopySource::Open(input, file.path, footer));
  parquet::ReaderProperties reader_properties(pool);
  if (size_bytes > io::kWholeReadBytes) {
    // Column chunks through a buffered stream from `pool`: read whole, they would be
    // allocated by the file, outside the budget.
    reader_properties.enable_buffered_stream();
    reader_properties.set_buffer_size(int64_t{1} << 20);
  }
  parquet::ArrowReaderProperties properties;
  properties.set_pre_buffer(false);
  properties.set_use_threads(use_threads);
  properties.set_batch_size(batch_rows);
  parquet::arrow::FileReaderBuilder builder;
  ARROW_RETURN_NOT_OK(builder.Open(input, reader_properties, footer));
  builder.memory_pool(pool);
  builder.properties(properties);
  ARROW_ASSIGN_OR_RAISE(source.reader, builder.Build());
  return source;
}

namespace {

// `batch` as `schema` has it, cast unsafely, refusing what the loose policy refuses.
arrow::Result<std::shared_ptr<arrow::RecordBatch>> LooseConform(const arrow::RecordBatch& batch,
                                                                const arrow::Schema& schema,
                                                                arrow::MemoryPool* pool) {
  namespace cp = arrow::compute;
  cp::ExecContext context(pool);
  std::vector<std::shared_ptr<arrow::Array>> columns;
  for (const auto& field : schema.fields()) {
    std::shared_ptr<arrow::Array> column = batch.GetColumnByName(field->name());
    if (!column) {
      ARROW_ASSIGN_OR_RAISE(column, arrow::MakeArrayOfNull(field->type(), batch.num_rows(), pool));
    } else if (!column->type()->Equals(*field->type())) {
      ARROW_ASSIGN_OR_RAISE(arrow::Datum cast, cp::Cast(column, field->type(), cp::CastOptions::Unsafe(), &context));
      std::shared_ptr<arrow::Array> out = cast.make_array();
      bool lost = out->null_count() > column->null_count();
      if (!lost && arrow::is_integer(field->type()->id()) && arrow::is_integer(column->type()->id())) {
        ARROW_ASSIGN_OR_RAISE(arrow::Datum back, cp::Cast(out, column->type(), cp::CastOptions::Unsafe(), &context));
        lost = !back.make_array()->Equals(*column);
      }
      if (lost) {
        return arrow::Status::Invalid("LOOSE cast of field '", field->name(), "' from ",
                                      column->type()->ToString(), " to ", field->type()->ToString(),
                                      " would overflow or lose values; aborting before publication");
      }
      column = std::move(out);
    }
    columns.push_back(std::move(column));
  }
  return arrow::RecordBatch::Make(arrow::schema(schema.fields(), schema.metadata()), batch.num_rows(),
                                  std::move(columns));
}

}  // namespace

SourceFiles::SourceFiles(arrow::fs::FileSystem& fs, const MaintenancePlan& plan,
                         const std::vector<int>& files, arrow::MemoryPool* pool, int64_t batch_rows,
                         bool use_threads, int ahead, int64_t ahead_bytes)
    : fs_(fs), plan_(plan), files_(files), pool_(pool), batch_rows_(batch_rows),
      use_threads_(use_threads), ahead_(static_cast<size_t>(std::max(ahead, 0))),
      ahead_bytes_(ahead_bytes) {}

SourceFiles::~SourceFiles() {
  for (auto& [bytes, file] : opening_) file.wait();
}

void SourceFiles::OpenAhead() {
  int64_t pending_bytes = 0;
  for (const auto& [bytes, file] : opening_) pending_bytes += bytes;
  while (next_ < files_.size() && opening_.size() < ahead_) {
    const PlannedFile& file = plan_.files[files_[next_]];
    // A small file is read whole when opened; a large one only its footer.
    const int64_t bytes = std::min(file.size_bytes, io::kWholeReadBytes);
    if (!opening_.empty() && pending_bytes + bytes > ahead_bytes_) break;
    opening_.emplace_back(bytes, std::async(std::launch::async, [this, &file] {
      return OpenSourceFile(fs_, file, pool_, batch_rows_, use_threads_);
    }));
    pending_bytes += bytes;
    ++next_;
  }
}

arrow::Result<SourceFile> SourceFiles::Next() {
  if (ahead_ == 0) {
    if (next_ >= files_.size()) return arrow::Status::IndexError("no file left in the group");
    return OpenSourceFile(fs_, plan_.files[files_[next_++]], pool_, batch_rows_, use_threads_);
  }
  OpenAhead();
  if (opening_.empty()) return arrow::Status::IndexError("no file left in the group");
  arrow::Result<SourceFile> file = opening_.front().second.get();
  opening_.pop_front();
  OpenAhead();  // the next ones start while the caller works on this one
  return file;
}

arrow::Status ReadRowGroup(SourceFile& source, int row_group, const arrow::Schema& schema,
                           arrow::MemoryPool* pool,
                           const std::function<arrow::Status(std::shared_ptr<arrow::RecordBatch>)>& each,
                           bool loose) {
  // A file that cannot be decoded is named (its code and any budget detail kept).
  auto in_file = [&](const arrow::Status& status) {
    return status.WithMessage("cannot read row group ", row_group, " of '", source.copy.path,
                              "': ", status.message());
  };
  auto opened = source.reader->GetRecordBatchReader({row_group});
  if (!opened.ok()) return in_file(opened.status());
  std::unique_ptr<arrow::RecordBatchReader> reader = std::move(*opened);
  const std::string where = "'" + source.copy.path + "'s rewrite";
  while (true) {
    auto next = reader->Next();
    if (!next.ok()) return in_file(next.status());
    std::shared_ptr<arrow::RecordBatch> batch = std::move(*next);
    if (!batch) break;
    if (batch->schema()->Equals(schema, /*check_metadata=*/false)) {
      ARROW_RETURN_NOT_OK(each(std::move(batch)));
    } else if (loose) {
      ARROW_ASSIGN_OR_RAISE(auto conformed, LooseConform(*batch, schema, pool));
      ARROW_RETURN_NOT_OK(each(std::move(conformed)));
    } else {
      ARROW_ASSIGN_OR_RAISE(auto conformed, merge::ConformTo(*batch, schema, where, pool));
      ARROW_RETURN_NOT_OK(each(std::move(conformed)));
    }
  }
  return arrow::Status::OK();
}

}  // namespace fsspeckit::maintenance
