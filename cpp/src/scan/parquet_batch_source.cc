// fsspeckit: a Parquet file or dataset folder read one row group at a time.
#include "fsspeckit/scan/parquet_batch_source.h"

#include <algorithm>
#include <deque>
#include <functional>
#include <future>
#include <optional>

#include <arrow/array/util.h>
#include <arrow/compute/cast.h>
#include <arrow/compute/api_vector.h>
#include <arrow/compute/exec.h>
#include <arrow/compute/expression.h>
#include <arrow/dataset/file_base.h>
#include <arrow/dataset/file_parquet.h>
#include <arrow/dataset/partition.h>
#include <arrow/table.h>
#include <parquet/arrow/reader.h>
#include <parquet/arrow/schema.h>
#include <parquet/exception.h>
#include <parquet/file_reader.h>
#include <parquet/metadata.h>

#include "io/dataset_files_internal.h"
#include "io/parallel_for_internal.h"
#include "io/parquet_footer_internal.h"
#include "io/thread_edge_internal.h"

namespace fsspeckit::scan {
namespace {

namespace cp = arrow::compute;
namespace ds = arrow::dataset;

struct FilePart {
  std::string path;
  int64_t size_bytes = -1;  ///< as listed (opened without a HEAD), or -1: asked at open
  std::shared_ptr<parquet::FileMetaData> metadata;
  /// Per schema field: the value its partition folder fixes, or nullptr (read from the
  /// file; nulls when the file lacks the column).
  std::vector<std::shared_ptr<arrow::Scalar>> fixed_values;
  std::vector<int> row_groups;  // those to read, in order
};

arrow::Result<std::shared_ptr<arrow::Schema>> FileSchema(const parquet::FileMetaData& metadata,
                                                         const std::string& path) {
  std::shared_ptr<arrow::Schema> schema;
  ARROW_RETURN_NOT_OK(io::ParquetReadError(parquet::arrow::FromParquetSchema(metadata.schema(),
                                                                 parquet::ArrowReaderProperties(),
                                                                 metadata.key_value_metadata(),
                                                                 &schema),
                               path));
  return schema;
}

// Per field of `schema`: the value a partition expression fixes for it (a literal, null
// included), or nullptr.
arrow::Result<std::vector<std::shared_ptr<arrow::Scalar>>> PartitionValues(
    const cp::Expression& partition_expression, const arrow::Schema& schema) {
  std::vector<std::shared_ptr<arrow::Scalar>> values(schema.num_fields());
  if (partition_expression == cp::literal(true)) return values;
  ARROW_ASSIGN_OR_RAISE(cp::Expression bound_guarantee, partition_expression.Bind(schema));
  for (int i = 0; i < schema.num_fields(); ++i) {
    ARROW_ASSIGN_OR_RAISE(cp::Expression ref, cp::field_ref(schema.field(i)->name()).Bind(schema));
    ARROW_ASSIGN_OR_RAISE(cp::Expression value, cp::SimplifyWithGuarantee(ref, bound_guarantee));
    if (const arrow::Datum* literal = value.literal(); literal && literal->is_scalar()) {
      values[i] = literal->scalar();
    }
  }
  return values;
}

// The leaf columns of the file's top-level fields that `schema` names (nested fields
// have several), or nullopt when that is all of them.
std::optional<std::vector<int>> LeavesToRead(const parquet::arrow::SchemaManifest& manifest,
                                             const arrow::Schema& schema) {
  std::vector<int> leaves;
  bool all = true;
  std::function<void(const parquet::arrow::SchemaField&)> add =
      [&](const parquet::arrow::SchemaField& field) {
        if (field.children.empty()) leaves.push_back(field.column_index);
        for (const auto& child : field.children) add(child);
      };
  for (const auto& field : manifest.schema_fields) {
    if (schema.GetFieldIndex(field.field->name()) >= 0) {
      add(field);
    } else {
      all = false;
    }
  }
  if (all) return std::nullopt;
  return leaves;
}

// The rows of `table` for which `filter` (bound to its schema) is true.
arrow::Result<std::shared_ptr<arrow::Table>> FilterRows(const cp::Expression& filter,
                                                        const std::shared_ptr<arrow::Table>& table) {
  arrow::TableBatchReader batches(*table);
  arrow::RecordBatchVector kept;
  std::shared_ptr<arrow::RecordBatch> batch;
  while (true) {
    ARROW_RETURN_NOT_OK(batches.ReadNext(&batch));
    if (!batch) break;
    ARROW_ASSIGN_OR_RAISE(arrow::Datum mask, cp::ExecuteScalarExpression(filter, cp::ExecBatch(*batch)));
    if (mask.is_scalar()) {
      const auto& keep = static_cast<const arrow::BooleanScalar&>(*mask.scalar());
      if (keep.is_valid && keep.value) kept.push_back(std::move(batch));
      continue;
    }
    ARROW_ASSIGN_OR_RAISE(arrow::Datum rows, cp::Filter(batch, mask));
    kept.push_back(rows.record_batch());
  }
  return arrow::Table::FromRecordBatches(table->schema(), std::move(kept));
}

}  // namespace

struct ParquetBatchSource::State {
  std::shared_ptr<arrow::fs::FileSystem> fs;
  std::shared_ptr<arrow::Schema> schema;
  std::optional<cp::Expression> filter;  // bound to schema
  std::vector<FilePart> parts;
  std::vector<std::pair<int, int>> work;  // (part, row group), in order
  int64_t total_rows = 0;
  ParquetBatchSourceOptions options;

  size_t next_work = 0;
  std::shared_ptr<arrow::Table> current;
  std::unique_ptr<arrow::TableBatchReader> current_batches;
  // Row groups decoding in the background, in order, and their decoded bytes.
  std::deque<std::future<arrow::Result<std::shared_ptr<arrow::Table>>>> ahead;
  std::deque<int64_t> ahead_bytes;

  int64_t DecodedBytes(const std::pair<int, int>& item) const {
    return parts[item.first].metadata->RowGroup(item.second)->total_byte_size();
  }

  // Thread-safe: each decode opens its own reader (the footer is reused, so this costs
  // one file open), so several row groups can decode at once.
  arrow::Result<std::shared_ptr<arrow::Table>> Decode(int part_index, int row_group) {
    const FilePart& part = parts[part_index];
    std::unique_ptr<parquet::arrow::FileReader> reader;
    auto open = [&]() -> arrow::Status {
      arrow::fs::FileInfo info(part.path, arrow::fs::FileType::File);
      info.set_size(part.size_bytes);
      ARROW_ASSIGN_OR_RAISE(auto file, part.size_bytes >= 0 ? fs->OpenInputFile(info)
                                                           : fs->OpenInputFile(part.path));
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
    ARROW_RETURN_NOT_OK(io::ParquetReadError(open(), part.path));
    // Only the columns the schema names (a dataset's schema may project).
    std::optional<std::vector<int>> leaves = LeavesToRead(reader->manifest(), *schema);
    auto decoded = leaves ? reader->ReadRowGroup(row_group, *leaves) : reader->ReadRowGroup(row_group);
    if (!decoded.ok()) return io::ParquetReadError(decoded.status(), part.path);
    std::shared_ptr<arrow::Table> table = *decoded;
    const int64_t num_rows = table->num_rows();

    // Conform to the dataset schema: files may order, miss or type columns differently;
    // partition values fill the columns their folders fix.
    std::vector<std::shared_ptr<arrow::ChunkedArray>> columns;
    columns.reserve(schema->num_fields());
    for (int i = 0; i < schema->num_fields(); ++i) {
      const auto& field = schema->field(i);
      std::shared_ptr<arrow::ChunkedArray> column = table->GetColumnByName(field->name());
      if (!column && part.fixed_values[i]) {
        ARROW_ASSIGN_OR_RAISE(auto array, arrow::MakeArrayFromScalar(*part.fixed_values[i], num_rows));
        column = std::make_shared<arrow::ChunkedArray>(array);
      } else if (!column) {
        ARROW_ASSIGN_OR_RAISE(auto nulls, arrow::MakeArrayOfNull(field->type(), num_rows));
        column = std::make_shared<arrow::ChunkedArray>(nulls);
      }
      if (!column->type()->Equals(*field->type())) {
        ARROW_ASSIGN_OR_RAISE(arrow::Datum cast, cp::Cast(column, field->type()));
        column = cast.chunked_array();
      }
      columns.push_back(std::move(column));
    }
    auto conformed = arrow::Table::Make(schema, std::move(columns), num_rows);
    if (!filter) return conformed;
    return FilterRows(*filter, conformed);
  }

  void StartReadahead() {
    const size_t depth = options.readahead ? std::max(options.readahead_row_groups, 0) : 0;
    int64_t held = 0;
    for (int64_t bytes : ahead_bytes) held += bytes;
    while (ahead.size() < depth && next_work < work.size() &&
           held + DecodedBytes(work[next_work]) <= options.readahead_bytes) {
      held += DecodedBytes(work[next_work]);
      ahead_bytes.push_back(DecodedBytes(work[next_work]));
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
      ahead_bytes.pop_front();
      return next.get();
    }
    if (next_work >= work.size()) return nullptr;
    auto [part, row_group] = work[next_work++];
    return Decode(part, row_group);
  }
};

ParquetBatchSourceOptions OptionsForBudget(int64_t max_pool_bytes) {
  ParquetBatchSourceOptions options;
  options.readahead_bytes = max_pool_bytes / 4;
  return options;
}

ParquetBatchSourceOptions OptionsForSourceOf(int64_t max_pool_bytes) {
  // The source's share is half the merge's budget (memory::Budget::source_bytes()).
  return OptionsForBudget(max_pool_bytes / 2);
}

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
  ARROW_ASSIGN_OR_RAISE(io::DatasetPath found, io::ListDatasetPath(*filesystem, path));
  if (found.is_file) {
    FilePart part{path, found.files[0].size(), nullptr, {}, {}};
    ARROW_ASSIGN_OR_RAISE(part.metadata, io::ReadFooter(*filesystem, path));
    ARROW_ASSIGN_OR_RAISE(state->schema, FileSchema(*part.metadata, path));
    part.fixed_values.resize(state->schema->num_fields());
    state->parts.push_back(std::move(part));
  } else {
    // The files every reader and writer of the folder sees (io/dataset_files_internal.h); their
    // schemas unified as a merge unifies them (each column in the type all its files
    // widen to), then hive partitions inferred from the directories alone, so file
    // columns and partition keys never mix.
    const std::vector<arrow::fs::FileInfo>& listed = found.files;
    auto footers = io::ReadFooters(*filesystem, listed);  // many at once on an object store
    std::vector<std::string> files;
    std::vector<std::shared_ptr<arrow::Schema>> file_schemas;
    for (size_t i = 0; i < listed.size(); ++i) {
      FilePart part{listed[i].path(), listed[i].size(), nullptr, {}, {}};
      ARROW_ASSIGN_OR_RAISE(part.metadata, std::move(footers[i]));
      ARROW_ASSIGN_OR_RAISE(file_schemas.emplace_back(), FileSchema(*part.metadata, part.path));
      files.push_back(part.path);
      state->parts.push_back(std::move(part));
    }
    auto unified = io::UnifyDataSchemas(file_schemas);
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
      ARROW_ASSIGN_OR_RAISE(state->parts[i].fixed_values, PartitionValues(keys, *state->schema));
    }
  }

  for (FilePart& part : state->parts) {
    for (int rg = 0; rg < part.metadata->num_row_groups(); ++rg) part.row_groups.push_back(rg);
  }
  return Finish(std::move(state));
}

arrow::Result<std::unique_ptr<ParquetBatchSource>> ParquetBatchSource::Open(
    const std::shared_ptr<ds::Dataset>& dataset, std::optional<cp::Expression> filter,
    ParquetBatchSourceOptions options) {
  if (options.batch_size_rows <= 0) {
    return arrow::Status::Invalid("batch_size_rows must be positive, got: ",
                                  options.batch_size_rows);
  }
  auto files = std::dynamic_pointer_cast<ds::FileSystemDataset>(dataset);
  if (!files || files->format()->type_name() != "parquet") {
    return arrow::Status::TypeError("not a Parquet file system dataset: ",
                                    dataset->type_name());
  }
  auto state = std::make_unique<State>();
  state->fs = files->filesystem();
  state->options = options;
  state->schema = dataset->schema();
  cp::Expression predicate = cp::literal(true);
  if (filter) {
    ARROW_ASSIGN_OR_RAISE(predicate, filter->Bind(*state->schema));
    state->filter = predicate;
  }
  // Fragments whose partition cannot match are skipped; of the others, the row groups
  // whose statistics cannot match.
  ARROW_ASSIGN_OR_RAISE(auto fragment_iterator, dataset->GetFragments(predicate));
  ARROW_ASSIGN_OR_RAISE(auto fragments, fragment_iterator.ToVector());
  // Footers read many at once on an object store (a round trip each).
  auto parquet = [&](size_t i) {
    return std::static_pointer_cast<ds::ParquetFileFragment>(fragments[i]);
  };
  ARROW_RETURN_NOT_OK(io::ParallelForEach(fragments.size(), io::WorkersFor(*state->fs, 1), [&](size_t i) {
    return io::ParquetReadError(parquet(i)->EnsureCompleteMetadata(), parquet(i)->source().path());
  }));
  for (size_t i = 0; i < fragments.size(); ++i) {
    const std::shared_ptr<ds::Fragment>& fragment = fragments[i];
    auto parquet_fragment = parquet(i);
    FilePart part{parquet_fragment->source().path(), parquet_fragment->source().Size(), nullptr,
                  {}, {}};
    part.metadata = parquet_fragment->metadata();
    ARROW_ASSIGN_OR_RAISE(part.fixed_values,
                          PartitionValues(fragment->partition_expression(), *state->schema));
    if (filter) {
      ARROW_ASSIGN_OR_RAISE(auto subset, parquet_fragment->Subset(predicate));
      part.row_groups = std::static_pointer_cast<ds::ParquetFileFragment>(subset)->row_groups();
    } else if (!parquet_fragment->row_groups().empty()) {
      part.row_groups = parquet_fragment->row_groups();
    } else {
      for (int rg = 0; rg < part.metadata->num_row_groups(); ++rg) part.row_groups.push_back(rg);
    }
    state->parts.push_back(std::move(part));
  }
  auto source = Finish(std::move(state));
  // Rows the filter keeps are not known before reading; -1 says so.
  if (source.ok() && filter) (*source)->state_->total_rows = -1;
  return source;
}

arrow::Result<std::unique_ptr<ParquetBatchSource>> ParquetBatchSource::Finish(
    std::unique_ptr<State> state) {
  for (int p = 0; p < static_cast<int>(state->parts.size()); ++p) {
    const FilePart& part = state->parts[p];
    for (int rg : part.row_groups) {
      state->total_rows += part.metadata->RowGroup(rg)->num_rows();
      state->work.emplace_back(p, rg);
    }
  }
  return std::unique_ptr<ParquetBatchSource>(new ParquetBatchSource(std::move(state)));
}

std::shared_ptr<arrow::Schema> ParquetBatchSource::schema() const { return state_->schema; }

int64_t ParquetBatchSource::total_rows() const { return state_->total_rows; }

int64_t ParquetBatchSource::num_files() const {
  return static_cast<int64_t>(state_->parts.size());
}

void ParquetBatchSource::SetReadahead(bool enabled) { state_->options.readahead = enabled; }

void ParquetBatchSource::Close() {
  state_->options.readahead = false;
  for (auto& decoding : state_->ahead) decoding.wait();
  state_->ahead.clear();
  state_->ahead_bytes.clear();
}

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
