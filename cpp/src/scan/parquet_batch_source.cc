// fsspeckit: a Parquet file or dataset folder read one row group at a time.
#include "fsspeckit/scan/parquet_batch_source.h"

#include <algorithm>
#include <deque>
#include <future>

#include <arrow/array/util.h>
#include <arrow/compute/cast.h>
#include <arrow/compute/expression.h>
#include <arrow/dataset/partition.h>
#include <arrow/table.h>
#include <parquet/arrow/reader.h>
#include <parquet/arrow/schema.h>
#include <parquet/file_reader.h>
#include <parquet/metadata.h>

#include "fsspeckit/io/dataset_files.h"

namespace fsspeckit::scan {
namespace {

namespace cp = arrow::compute;

struct FilePart {
  std::string path;
  std::shared_ptr<parquet::FileMetaData> metadata;
  std::vector<std::shared_ptr<arrow::Scalar>> partition_values;  // one per partition field
};

arrow::Status NameFile(const arrow::Status& status, const std::string& path) {
  if (status.ok()) return status;
  return arrow::Status::IOError("cannot read Parquet file '", path, "': ", status.message());
}

arrow::Result<std::shared_ptr<parquet::FileMetaData>> ReadFooter(arrow::fs::FileSystem& fs,
                                                                 const std::string& path) {
  auto read = [&]() -> arrow::Result<std::shared_ptr<parquet::FileMetaData>> {
    ARROW_ASSIGN_OR_RAISE(auto file, fs.OpenInputFile(path));
    std::shared_ptr<parquet::FileMetaData> metadata;
    // The parquet reader reports corrupt footers by throwing.
    PARQUET_CATCH_NOT_OK(metadata = parquet::ReadMetaData(file));
    return metadata;
  };
  auto result = read();
  if (!result.ok()) return NameFile(result.status(), path);
  return result;
}

arrow::Result<std::shared_ptr<arrow::Schema>> FileSchema(const parquet::FileMetaData& metadata,
                                                         const std::string& path) {
  std::shared_ptr<arrow::Schema> schema;
  ARROW_RETURN_NOT_OK(NameFile(parquet::arrow::FromParquetSchema(metadata.schema(),
                                                                 parquet::ArrowReaderProperties(),
                                                                 metadata.key_value_metadata(),
                                                                 &schema),
                               path));
  return schema;
}

// The value a hive partition expression fixes for `field`: a literal, null included.
arrow::Result<std::shared_ptr<arrow::Scalar>> PartitionValue(
    const cp::Expression& partition_expression, const arrow::Schema& schema,
    const arrow::Field& field) {
  ARROW_ASSIGN_OR_RAISE(cp::Expression ref, cp::field_ref(field.name()).Bind(schema));
  ARROW_ASSIGN_OR_RAISE(cp::Expression bound_guarantee, partition_expression.Bind(schema));
  ARROW_ASSIGN_OR_RAISE(cp::Expression value, cp::SimplifyWithGuarantee(ref, bound_guarantee));
  if (const arrow::Datum* literal = value.literal(); literal && literal->is_scalar()) {
    return literal->scalar();
  }
  return arrow::MakeNullScalar(field.type());
}

}  // namespace

struct ParquetBatchSource::State {
  std::shared_ptr<arrow::fs::FileSystem> fs;
  std::shared_ptr<arrow::Schema> schema;
  int num_file_fields = 0;  // schema = file fields, then partition fields
  std::vector<FilePart> parts;
  std::vector<std::pair<int, int>> work;  // (part, row group), in order
  int64_t total_rows = 0;
  ParquetBatchSourceOptions options;

  size_t next_work = 0;
  std::shared_ptr<arrow::Table> current;
  std::unique_ptr<arrow::TableBatchReader> current_batches;
  // Row groups decoding in the background, in order.
  std::deque<std::future<arrow::Result<std::shared_ptr<arrow::Table>>>> ahead;

  // Thread-safe: each decode opens its own reader (the footer is reused, so this costs
  // one file open), so several row groups can decode at once.
  arrow::Result<std::shared_ptr<arrow::Table>> Decode(int part_index, int row_group) {
    const FilePart& part = parts[part_index];
    std::unique_ptr<parquet::arrow::FileReader> reader;
    auto open = [&]() -> arrow::Status {
      ARROW_ASSIGN_OR_RAISE(auto file, fs->OpenInputFile(part.path));
      parquet::ReaderProperties properties;
      properties.enable_buffered_stream();
      properties.set_buffer_size(1 << 20);
      parquet::ArrowReaderProperties arrow_properties;
      arrow_properties.set_pre_buffer(false);  // pre-buffering holds whole files
      arrow_properties.set_use_threads(true);  // columns decode in parallel
      arrow_properties.set_batch_size(options.batch_size_rows);
      parquet::arrow::FileReaderBuilder builder;
      ARROW_RETURN_NOT_OK(builder.Open(std::move(file), properties, part.metadata));
      builder.properties(arrow_properties);
      ARROW_ASSIGN_OR_RAISE(reader, builder.Build());
      return arrow::Status::OK();
    };
    ARROW_RETURN_NOT_OK(NameFile(open(), part.path));
    auto decoded = reader->ReadRowGroup(row_group);
    if (!decoded.ok()) return NameFile(decoded.status(), part.path);
    std::shared_ptr<arrow::Table> table = *decoded;
    const int64_t num_rows = table->num_rows();

    // Conform to the dataset schema: files may order, miss or type columns differently.
    std::vector<std::shared_ptr<arrow::ChunkedArray>> columns;
    columns.reserve(schema->num_fields());
    for (int i = 0; i < num_file_fields; ++i) {
      const auto& field = schema->field(i);
      std::shared_ptr<arrow::ChunkedArray> column = table->GetColumnByName(field->name());
      if (!column) {
        ARROW_ASSIGN_OR_RAISE(auto nulls, arrow::MakeArrayOfNull(field->type(), num_rows));
        column = std::make_shared<arrow::ChunkedArray>(nulls);
      } else if (!column->type()->Equals(*field->type())) {
        ARROW_ASSIGN_OR_RAISE(arrow::Datum cast, cp::Cast(column, field->type()));
        column = cast.chunked_array();
      }
      columns.push_back(std::move(column));
    }
    for (const auto& value : part.partition_values) {
      ARROW_ASSIGN_OR_RAISE(auto array, arrow::MakeArrayFromScalar(*value, num_rows));
      columns.push_back(std::make_shared<arrow::ChunkedArray>(array));
    }
    return arrow::Table::Make(schema, std::move(columns), num_rows);
  }

  void StartReadahead() {
    const size_t depth = options.readahead ? std::max(options.readahead_row_groups, 0) : 0;
    while (ahead.size() < depth && next_work < work.size()) {
      auto [part, row_group] = work[next_work++];
      ahead.push_back(std::async(std::launch::async, [this, part = part, row_group = row_group] {
        return Decode(part, row_group);
      }));
    }
  }

  // The next decoded row group: the oldest one decoding ahead, or decoded now.
  arrow::Result<std::shared_ptr<arrow::Table>> NextTable() {
    if (!ahead.empty()) {
      auto next = std::move(ahead.front());
      ahead.pop_front();
      return next.get();
    }
    if (next_work >= work.size()) return nullptr;
    auto [part, row_group] = work[next_work++];
    return Decode(part, row_group);
  }
};

ParquetBatchSource::ParquetBatchSource(std::unique_ptr<State> state) : state_(std::move(state)) {}

ParquetBatchSource::~ParquetBatchSource() {
  if (!state_) return;
  for (auto& decoding : state_->ahead) decoding.wait();
}

arrow::Result<std::unique_ptr<ParquetBatchSource>> ParquetBatchSource::Open(
    std::shared_ptr<arrow::fs::FileSystem> filesystem, const std::string& path,
    ParquetBatchSourceOptions options) {
  if (options.batch_size_rows <= 0) {
    return arrow::Status::Invalid("batch_size_rows must be positive, got: ",
                                  options.batch_size_rows);
  }
  auto state = std::make_unique<State>();
  state->fs = filesystem;
  state->options = options;
  ARROW_ASSIGN_OR_RAISE(arrow::fs::FileInfo info, filesystem->GetFileInfo(path));
  if (info.type() == arrow::fs::FileType::NotFound) {
    return arrow::Status::IOError("dataset path does not exist: '", path, "'");
  }

  if (info.type() == arrow::fs::FileType::File) {
    FilePart part{path, nullptr, {}};
    ARROW_ASSIGN_OR_RAISE(part.metadata, ReadFooter(*filesystem, path));
    ARROW_ASSIGN_OR_RAISE(state->schema, FileSchema(*part.metadata, path));
    state->num_file_fields = state->schema->num_fields();
    state->parts.push_back(std::move(part));
  } else {
    // The files every reader and writer of the folder sees (dataset_files.h); their
    // schemas unified as a merge unifies them (each column in the type all its files
    // widen to), then hive partitions inferred from the directories alone, so file
    // columns and partition keys never mix.
    ARROW_ASSIGN_OR_RAISE(std::vector<std::string> files, io::ListDataFiles(*filesystem, path));
    std::vector<std::shared_ptr<arrow::Schema>> file_schemas;
    for (const std::string& file : files) {
      FilePart part{file, nullptr, {}};
      ARROW_ASSIGN_OR_RAISE(part.metadata, ReadFooter(*filesystem, file));
      ARROW_ASSIGN_OR_RAISE(file_schemas.emplace_back(), FileSchema(*part.metadata, file));
      state->parts.push_back(std::move(part));
    }
    auto unified = arrow::UnifySchemas(file_schemas, arrow::Field::MergeOptions::Permissive());
    if (!unified.ok()) {
      return arrow::Status::IOError("cannot open Parquet dataset '", path,
                                    "': ", unified.status().message());
    }
    const std::shared_ptr<arrow::Schema> file_schema =
        files.empty() ? arrow::schema(arrow::FieldVector{}) : *unified;
    std::vector<std::string> relative_dirs;
    for (const std::string& file : files) {
      std::string_view relative(file);
      relative.remove_prefix(std::min(relative.size(), path.size()));
      while (!relative.empty() && relative.front() == '/') relative.remove_prefix(1);
      size_t slash = relative.rfind('/');
      // Keep the trailing '/': Parse() treats the last segment as a file name.
      relative_dirs.emplace_back(slash == std::string_view::npos ? std::string_view()
                                                                 : relative.substr(0, slash + 1));
    }
    auto partitioning_factory = io::HivePartitioningFactory();
    ARROW_ASSIGN_OR_RAISE(auto partition_schema, partitioning_factory->Inspect(relative_dirs));
    ARROW_ASSIGN_OR_RAISE(auto partitioning, partitioning_factory->Finish(partition_schema));

    arrow::FieldVector fields = file_schema->fields();
    state->num_file_fields = static_cast<int>(fields.size());
    for (const auto& field : partition_schema->fields()) {
      if (file_schema->GetFieldByName(field->name())) {
        return arrow::Status::Invalid("dataset '", path, "' has a column and a partition key both named '",
                                      field->name(), "'");
      }
      fields.push_back(field);
    }
    state->schema = arrow::schema(std::move(fields));
    for (size_t i = 0; i < files.size(); ++i) {
      ARROW_ASSIGN_OR_RAISE(cp::Expression keys, partitioning->Parse(relative_dirs[i]));
      for (const auto& field : partition_schema->fields()) {
        ARROW_ASSIGN_OR_RAISE(auto value, PartitionValue(keys, *state->schema, *field));
        state->parts[i].partition_values.push_back(std::move(value));
      }
    }
  }

  for (int p = 0; p < static_cast<int>(state->parts.size()); ++p) {
    const auto& metadata = *state->parts[p].metadata;
    state->total_rows += metadata.num_rows();
    for (int rg = 0; rg < metadata.num_row_groups(); ++rg) state->work.emplace_back(p, rg);
  }
  return std::unique_ptr<ParquetBatchSource>(new ParquetBatchSource(std::move(state)));
}

std::shared_ptr<arrow::Schema> ParquetBatchSource::schema() const { return state_->schema; }

int64_t ParquetBatchSource::total_rows() const { return state_->total_rows; }

int64_t ParquetBatchSource::num_files() const {
  return static_cast<int64_t>(state_->parts.size());
}

void ParquetBatchSource::SetReadahead(bool enabled) { state_->options.readahead = enabled; }

arrow::Result<std::shared_ptr<arrow::RecordBatch>> ParquetBatchSource::Next() {
  State& s = *state_;
  while (true) {
    if (s.current_batches) {
      std::shared_ptr<arrow::RecordBatch> batch;
      ARROW_RETURN_NOT_OK(s.current_batches->ReadNext(&batch));
      if (batch) return batch;
      s.current_batches.reset();
      s.current.reset();  // release the consumed row group before decoding more
    }
    ARROW_ASSIGN_OR_RAISE(s.current, s.NextTable());
    if (!s.current) return nullptr;
    s.current_batches = std::make_unique<arrow::TableBatchReader>(*s.current);
    s.current_batches->set_chunksize(s.options.batch_size_rows);
    s.StartReadahead();
  }
}

}  // namespace fsspeckit::scan
