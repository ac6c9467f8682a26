// fsspeckit: the deduplication task: one row per key of a partition folder's files,
// within the budget (keys that do not fit are spilled by key hash to the staging folder).
//
// Two passes over the group's files, in dataset order (file path, then row):
//  1. the key and order columns only, numbered by row: the surviving row of every key
//     (KeyIndex, exact hashing: null equals null, NaN equals NaN). When they would not fit
//     in a quarter of what is left of the budget, they are first written to Parquet files
//     by key hash (every row of a key lands in the same one) and each file is resolved
//     alone, so memory holds one bucket's keys at a time;
//  2. every column, keeping the surviving rows (a bit per row), in dataset order; a large
//     row group in which every row survives is copied raw.
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>

#include <arrow/array.h>
#include <arrow/array/concatenate.h>
#include <arrow/buffer_builder.h>
#include <arrow/compute/api_vector.h>
#include <arrow/compute/cast.h>
#include <arrow/compute/row/grouper.h>
#include <arrow/compute/cast.h>
#include <arrow/compute/initialize.h>
#include <arrow/table.h>
#include <arrow/util/bit_util.h>
#include <parquet/arrow/schema.h>
#include <parquet/arrow/writer.h>

#include "fsspeckit/io/location.h"
#include "io/thread_edge_internal.h"
#include "maintenance/group_writer_internal.h"
#include "maintenance/plan_internal.h"
#include "maintenance/source_file_internal.h"
#include "maintenance/task_internal.h"
#include "merge/dataset_schema_internal.h"
#include "merge/key_index_internal.h"
#include "merge/plain_columns_internal.h"

namespace fsspeckit::maintenance {
namespace {

namespace cp = arrow::compute;

constexpr const char* kRowColumn = "__fsspeckit_row";

// The leaf columns of the file's fields named `names` (a field the file lacks is left
// out: ConformTo makes it null).
std::vector<int> LeafColumns(const parquet::arrow::SchemaManifest& manifest,
                             const std::vector<std::string>& names) {
  std::vector<int> leaves;
  std::function<void(const parquet::arrow::SchemaField&)> collect = [&](const auto& field) {
    if (field.is_leaf()) leaves.push_back(field.column_index);
    for (const auto& child : field.children) collect(child);
  };
  for (const auto& field : manifest.schema_fields) {
    if (std::find(names.begin(), names.end(), field.field->name()) != names.end()) collect(field);
  }
  return leaves;
}

// The fields of `schema` named by the plan's key and order columns, then the row number.
std::shared_ptr<arrow::Schema> KeySchema(const MaintenancePlan& plan, const arrow::Schema& schema) {
  arrow::FieldVector fields;
  auto add = [&](const std::string& name) {
    for (const auto& field : fields) {
      if (field->name() == name) return;
    }
    fields.push_back(schema.GetFieldByName(name));
  };
  for (const std::string& key : plan.key_columns) add(key);
  for (const OrderColumn& order : plan.order_by) add(order.column);
  fields.push_back(arrow::field(kRowColumn, arrow::int64(), /*nullable=*/false));
  return arrow::schema(std::move(fields));
}

// Splitmix64's finalizer: every input bit moves every output bit.
uint64_t Mix(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

uint64_t HashBytes(const uint8_t* data, int64_t length) {
  uint64_t h = 0xcbf29ce484222325ULL;  // FNV-1a
  for (int64_t i = 0; i < length; ++i) h = (h ^ data[i]) * 0x100000001b3ULL;
  return Mix(h);
}

// Adds each row's hash of `column` (canonical: equal keys hash equally) into `hashes`.
arrow::Status HashColumn(const std::shared_ptr<arrow::Array>& column, std::vector<uint64_t>& hashes) {
  ARROW_ASSIGN_OR_RAISE(auto canonical,
                        merge::CanonicalKeys(column, merge::CanonicalKeyType(column->type())));
  const arrow::Array& array = *canonical;
  const int64_t n = array.length();
  auto combine = [&](int64_t i, uint64_t h) { hashes[i] = Mix(hashes[i] * 31 + h); };
  constexpr uint64_t kNull = 0x6a09e667f3bcc909ULL;
  switch (array.type_id()) {
    case arrow::Type::STRING:
    case arrow::Type::BINARY: {
      const auto& binary = static_cast<const arrow::BinaryArray&>(array);
      for (int64_t i = 0; i < n; ++i) {
        if (binary.IsNull(i)) {
          combine(i, kNull);
        } else {
          std::string_view value = binary.GetView(i);
          combine(i, HashBytes(reinterpret_cast<const uint8_t*>(value.data()), value.size()));
        }
      }
      return arrow::Status::OK();
    }
    case arrow::Type::BOOL: {
      const auto& booleans = static_cast<const arrow::BooleanArray&>(array);
      for (int64_t i = 0; i < n; ++i) combine(i, booleans.IsNull(i) ? kNull : Mix(booleans.Value(i) + 1));
      return arrow::Status::OK();
    }
    default:
      break;
  }
  const auto* fixed = dynamic_cast<const arrow::FixedWidthType*>(array.type().get());
  if (fixed && fixed->bit_width() % 8 == 0 && array.data()->buffers.size() == 2) {
    const int64_t width = fixed->bit_width() / 8;
    const uint8_t* values = array.data()->buffers[1]->data() + array.offset() * width;
    for (int64_t i = 0; i < n; ++i) {
      combine(i, array.IsNull(i) ? kNull : HashBytes(values + i * width, width));
    }
    return arrow::Status::OK();
  }
  for (int64_t i = 0; i < n; ++i) {  // nested keys: rare, slow, correct
    ARROW_ASSIGN_OR_RAISE(auto scalar, array.GetScalar(i));
    combine(i, scalar->is_valid ? Mix(scalar->hash()) : kNull);
  }
  return arrow::Status::OK();
}

class Deduplication {
 public:
  explicit Deduplication(TaskRun& run)
      : run_(run), plan_(run.plan), group_(run.group),
        key_schema_(KeySchema(run.plan, *run.plan.schema)) {
    for (const std::string& key : plan_.key_columns) key_names_.push_back(key);
    for (const auto& field : key_schema_->fields()) {
      if (field->name() != kRowColumn) read_names_.push_back(field->name());
    }
  }

  arrow::Result<std::vector<io::WrittenFile>> Run() {
    ARROW_RETURN_NOT_OK(ResolveSurvivors());
    return WriteSurvivors();
  }

  // Pass 1 alone: per row of the group in dataset order, whether it survives.
  arrow::Status ResolveSurvivors() {
    survivors_.assign(group_.num_rows, false);
    const int64_t buckets = Buckets();
    if (buckets <= 1) {
      ARROW_ASSIGN_OR_RAISE(auto keys, ReadKeys());
      return Resolve(std::move(keys));
    }
    run_.result.spill_buckets = buckets;
    return SpillAndResolve(buckets);
  }

  std::vector<bool> TakeSurvivors() { return std::move(survivors_); }

 private:
  // How many hash buckets the keys are resolved in: 1 when the keys (read, indexed and
  // sorted: about four times their decoded size) fit a quarter of the budget left.
  int64_t Buckets() const {
    int64_t key_bytes = 0;
    for (int f : group_.files) {
      const PlannedFile& file = plan_.files[f];
      const int64_t row_bytes = file.num_rows > 0 ? file.uncompressed_bytes / file.num_rows : 0;
      // The footer's bytes per row, shared out by the columns read (a rough share).
      const int64_t columns = std::max(1, group_.schema->num_fields());
      key_bytes += file.num_rows * (8 + row_bytes * static_cast<int64_t>(read_names_.size()) / columns);
    }
    const int64_t share = std::max<int64_t>(run_.pool.available_bytes() / 4, 1 << 20);
    const int64_t needed = 4 * key_bytes;
    if (needed <= share) return 1;
    return std::min<int64_t>((needed + share - 1) / share, 4096);
  }

  arrow::Result<SourceFile> Open(int f, int64_t batch_rows) {
    return OpenSourceFile(*run_.fs, plan_.files[f], &run_.pool, batch_rows, run_.use_threads);
  }

  // Calls `each` with the key columns of every row group, numbered by row in the group.
  arrow::Status ForEachKeyBatch(const std::function<arrow::Status(std::shared_ptr<arrow::RecordBatch>)>& each) {
    int64_t row = 0;
    for (int f : group_.files) {
      ARROW_RETURN_NOT_OK(run_.ladder.Step());
      ARROW_ASSIGN_OR_RAISE(SourceFile source, Open(f, 64 * 1024));
      const std::vector<int> leaves = LeafColumns(source.reader->manifest(), read_names_);
      const int row_groups = source.copy.metadata->num_row_groups();
      for (int rg = 0; rg < row_groups; ++rg) {
        ARROW_ASSIGN_OR_RAISE(auto reader, source.reader->GetRecordBatchReader({rg}, leaves));
        while (true) {
          ARROW_ASSIGN_OR_RAISE(auto batch, reader->Next());
          if (!batch) break;
          ARROW_ASSIGN_OR_RAISE(auto rows, RowNumbers(row, batch->num_rows()));
          row += batch->num_rows();
          ARROW_ASSIGN_OR_RAISE(batch, batch->AddColumn(batch->num_columns(), kRowColumn, rows));
          ARROW_ASSIGN_OR_RAISE(batch, merge::ConformTo(*batch, *key_schema_, "the keys", &run_.pool));
          ARROW_RETURN_NOT_OK(each(std::move(batch)));
        }
        ARROW_RETURN_NOT_OK(run_.advance(0));  // the stop token, between row groups
      }
    }
    return arrow::Status::OK();
  }

  arrow::Result<std::shared_ptr<arrow::Array>> RowNumbers(int64_t first, int64_t count) {
    ARROW_ASSIGN_OR_RAISE(auto buffer, arrow::AllocateBuffer(count * 8, &run_.pool));
    auto* values = buffer->mutable_data_as<int64_t>();
    for (int64_t i = 0; i < count; ++i) values[i] = first + i;
    return std::make_shared<arrow::Int64Array>(count, std::move(buffer));
  }

  arrow::Result<std::shared_ptr<arrow::Table>> ReadKeys() {
    std::vector<std::shared_ptr<arrow::RecordBatch>> batches;
    ARROW_RETURN_NOT_OK(ForEachKeyBatch([&](std::shared_ptr<arrow::RecordBatch> batch) {
      batches.push_back(std::move(batch));
      return arrow::Status::OK();
    }));
    return arrow::Table::FromRecordBatches(key_schema_, std::move(batches));
  }

  // Marks the surviving row of every key of `keys` (rows numbered by kRowColumn).
  // One order column of numbers or times (the usual "-ts"): each key's best row in one
  // pass over the rows, numbered by a Grouper, instead of sorting every row. The rule
  // is the sort's: the greatest (descending) or least value wins, NaN after every
  // number, null last, ties to the first row in dataset order.
  static bool SingleNumericOrder(const MaintenancePlan& plan, const arrow::Schema& keys) {
    if (plan.order_by.size() != 1) return false;
    const auto field = keys.GetFieldByName(plan.order_by[0].column);
    if (!field) return false;
    const arrow::Type::type id = field->type()->id();
    return arrow::is_integer(id) || arrow::is_floating(id) || id == arrow::Type::TIMESTAMP ||
           id == arrow::Type::DATE32 || id == arrow::Type::DATE64 || id == arrow::Type::DURATION ||
           id == arrow::Type::TIME32 || id == arrow::Type::TIME64;
  }

  arrow::Status ResolveByOneColumn(const arrow::Table& keys) {
    cp::ExecContext context(&run_.pool);
    std::vector<arrow::TypeHolder> types;
    for (const std::string& key : key_names_) {
      types.emplace_back(merge::CanonicalKeyType(keys.GetColumnByName(key)->type()));
    }
    ARROW_ASSIGN_OR_RAISE(auto grouper, cp::Grouper::Make(types, &context));
    const OrderColumn& order = plan_.order_by[0];
    const auto& order_type = keys.GetColumnByName(order.column)->type();
    const bool floating = arrow::is_floating(order_type->id());
    const bool unsigned_64 = order_type->id() == arrow::Type::UINT64;
    // Values compared as double (floats, uint64 beyond int64) or int64 (the rest).
    const auto compare_as = floating || unsigned_64 ? arrow::float64() : arrow::int64();
    struct Best {
      int64_t row = -1;
      int rank = 3;  // 0 a number, 1 NaN, 2 null; 3 nothing yet
      double real = 0;
      int64_t integer = 0;
    };
    std::vector<Best> best;
    arrow::TableBatchReader reader(keys);
    std::shared_ptr<arrow::RecordBatch> batch;
    while (true) {
      ARROW_RETURN_NOT_OK(reader.ReadNext(&batch));
      if (!batch) break;
      std::vector<arrow::Datum> columns;
      for (const std::string& key : key_names_) {
        std::shared_ptr<arrow::Array> column = batch->GetColumnByName(key);
        ARROW_ASSIGN_OR_RAISE(auto canonical, merge::CanonicalKeys(column, merge::CanonicalKeyType(column->type())));
        columns.emplace_back(std::move(canonical));
      }
      cp::ExecBatch exec(std::move(columns), batch->num_rows());
      ARROW_ASSIGN_OR_RAISE(arrow::Datum ids_datum, grouper->Consume(cp::ExecSpan(exec)));
      const auto ids = std::static_pointer_cast<arrow::UInt32Array>(ids_datum.make_array());
      std::shared_ptr<arrow::Array> values = batch->GetColumnByName(order.column);
      if (values->type_id() == arrow::Type::DATE32 || values->type_id() == arrow::Type::TIME32) {
        ARROW_ASSIGN_OR_RAISE(arrow::Datum raw, cp::Cast(values, arrow::int32(), cp::CastOptions::Unsafe(), &context));
        values = raw.make_array();
      }
      ARROW_ASSIGN_OR_RAISE(arrow::Datum cast, cp::Cast(values, compare_as, cp::CastOptions::Unsafe(), &context));
      values = cast.make_array();
      const auto& rows = static_cast<const arrow::Int64Array&>(*batch->GetColumnByName(kRowColumn));
      best.resize(grouper->num_groups());
      for (int64_t i = 0; i < batch->num_rows(); ++i) {
        Best& current = best[ids->Value(i)];
        Best candidate;
        candidate.row = rows.Value(i);
        if (values->IsNull(i)) {
          candidate.rank = 2;
        } else if (compare_as->id() == arrow::Type::DOUBLE) {
          candidate.real = static_cast<const arrow::DoubleArray&>(*values).Value(i);
          candidate.rank = std::isnan(candidate.real) ? 1 : 0;
        } else {
          candidate.integer = static_cast<const arrow::Int64Array&>(*values).Value(i);
          candidate.rank = 0;
        }
        // Negative: the candidate comes first in the order; zero: equal.
        int cmp = candidate.rank - current.rank;
        if (cmp == 0 && candidate.rank == 0) {
          if (compare_as->id() == arrow::Type::DOUBLE) {
            cmp = candidate.real < current.real ? -1 : candidate.real > current.real ? 1 : 0;
          } else {
            cmp = candidate.integer < current.integer ? -1 : candidate.integer > current.integer ? 1 : 0;
          }
          if (order.descending) cmp = -cmp;
        }
        if (cmp < 0 || (cmp == 0 && candidate.row < current.row)) current = candidate;
      }
    }
    for (const Best& winner : best) {
      if (winner.row >= 0) survivors_[winner.row] = true;
    }
    return arrow::Status::OK();
  }

  arrow::Status Resolve(std::shared_ptr<arrow::Table> keys) {
    if (keys->num_rows() == 0) return arrow::Status::OK();
    ARROW_RETURN_NOT_OK(cp::Initialize());  // the sort and take kernels (idempotent, cheap)
    if (SingleNumericOrder(plan_, *keys->schema())) return ResolveByOneColumn(*keys);
    cp::ExecContext context(&run_.pool);
    std::shared_ptr<arrow::Table> ordered = std::move(keys);
    if (!plan_.order_by.empty()) {
      // The survivor is the first row in the order (ties: the first in dataset order);
      // KeyIndex keeps the last row of a key, so the rows go in in reverse.
      std::vector<cp::SortKey> sort_keys;
      for (const OrderColumn& order : plan_.order_by) {
        sort_keys.emplace_back(order.column,
                               order.descending ? cp::SortOrder::Descending : cp::SortOrder::Ascending,
                               cp::NullPlacement::AtEnd);
      }
      sort_keys.emplace_back(kRowColumn, cp::SortOrder::Ascending);
      cp::SortOptions options(sort_keys);
      ARROW_ASSIGN_OR_RAISE(auto indices, cp::SortIndices(arrow::Datum(ordered), options, &context));
      const auto& sorted = static_cast<const arrow::UInt64Array&>(*indices);
      ARROW_ASSIGN_OR_RAISE(auto buffer, arrow::AllocateBuffer(sorted.length() * 8, &run_.pool));
      auto* reversed = buffer->mutable_data_as<uint64_t>();
      for (int64_t i = 0; i < sorted.length(); ++i) reversed[i] = sorted.Value(sorted.length() - 1 - i);
      arrow::UInt64Array take(sorted.length(), std::move(buffer));
      ARROW_ASSIGN_OR_RAISE(arrow::Datum taken, cp::Take(arrow::Datum(ordered), arrow::Datum(take),
                                                          cp::TakeOptions::Defaults(), &context));
      ordered = taken.table();
    } else {
      // Without an order the survivor is the last row in dataset order: KeyIndex's rule.
      // Rows come sorted by number when read in one piece, not after a spill.
      ARROW_ASSIGN_OR_RAISE(ordered, SortedByRow(ordered, context));
    }
    ARROW_ASSIGN_OR_RAISE(auto index, merge::KeyIndex::Make(*ordered, key_names_, &run_.pool));
    ARROW_ASSIGN_OR_RAISE(auto row_numbers, arrow::Concatenate(
                                                ordered->GetColumnByName(kRowColumn)->chunks(), &run_.pool));
    const auto& numbers = static_cast<const arrow::Int64Array&>(*row_numbers);
    for (int64_t position : index->winning_rows()) survivors_[numbers.Value(position)] = true;
    return arrow::Status::OK();
  }

  arrow::Result<std::shared_ptr<arrow::Table>> SortedByRow(std::shared_ptr<arrow::Table> keys,
                                                           cp::ExecContext& context) {
    ARROW_ASSIGN_OR_RAISE(auto rows, arrow::Concatenate(keys->GetColumnByName(kRowColumn)->chunks(),
                                                        &run_.pool));
    const auto& numbers = static_cast<const arrow::Int64Array&>(*rows);
    bool ascending = true;
    for (int64_t i = 1; i < numbers.length() && ascending; ++i) {
      ascending = numbers.Value(i - 1) < numbers.Value(i);
    }
    if (ascending) return keys;
    cp::SortOptions options({cp::SortKey(kRowColumn)});
    ARROW_ASSIGN_OR_RAISE(auto indices, cp::SortIndices(arrow::Datum(keys), options, &context));
    ARROW_ASSIGN_OR_RAISE(arrow::Datum taken, cp::Take(arrow::Datum(keys), arrow::Datum(indices),
                                                        cp::TakeOptions::Defaults(), &context));
    return taken.table();
  }

  // Writes the keys to `buckets` Parquet files by key hash under the task's folder, then
  // resolves each file alone, deleting it after.
  arrow::Status SpillAndResolve(int64_t buckets) {
    const std::string dir = run_.dir + "/spill";
    if (io::NeedsFolders(*run_.fs)) ARROW_RETURN_NOT_OK(run_.fs->CreateDir(dir));
    std::vector<std::string> paths;
    std::vector<std::shared_ptr<arrow::io::OutputStream>> sinks;
    std::vector<std::unique_ptr<parquet::arrow::FileWriter>> writers;
    auto properties = parquet::WriterProperties::Builder()
                          .compression(arrow::Compression::LZ4)
                          ->memory_pool(&run_.pool)
                          ->build();
    for (int64_t b = 0; b < buckets; ++b) {
      paths.push_back(dir + "/bucket-" + std::to_string(b) + ".parquet");
      ARROW_ASSIGN_OR_RAISE(auto sink, run_.fs->OpenOutputStream(paths.back()));
      ARROW_ASSIGN_OR_RAISE(auto writer, parquet::arrow::FileWriter::Open(
                                             *key_schema_, &run_.pool, sink, properties));
      sinks.push_back(std::move(sink));
      writers.push_back(std::move(writer));
    }
    cp::ExecContext context(&run_.pool);
    ARROW_RETURN_NOT_OK(ForEachKeyBatch([&](std::shared_ptr<arrow::RecordBatch> batch) -> arrow::Status {
      std::vector<uint64_t> hashes(batch->num_rows(), 0);
      for (const std::string& key : key_names_) {
        ARROW_RETURN_NOT_OK(HashColumn(batch->GetColumnByName(key), hashes));
      }
      std::vector<std::vector<int32_t>> rows(buckets);
      for (int64_t i = 0; i < batch->num_rows(); ++i) {
        rows[hashes[i] % buckets].push_back(static_cast<int32_t>(i));
      }
      for (int64_t b = 0; b < buckets; ++b) {
        if (rows[b].empty()) continue;
        arrow::Int32Array take(static_cast<int64_t>(rows[b].size()),
                               arrow::Buffer::Wrap(rows[b].data(), rows[b].size()));
        ARROW_ASSIGN_OR_RAISE(arrow::Datum part, cp::Take(arrow::Datum(batch), arrow::Datum(take),
                                                           cp::TakeOptions::Defaults(), &context));
        // One row group per call: nothing stays buffered in the writers between batches.
        ARROW_ASSIGN_OR_RAISE(auto table, arrow::Table::FromRecordBatches({part.record_batch()}));
        ARROW_RETURN_NOT_OK(writers[b]->WriteTable(*table, table->num_rows()));
      }
      return arrow::Status::OK();
    }));
    for (int64_t b = 0; b < buckets; ++b) {
      ARROW_RETURN_NOT_OK(writers[b]->Close());
      ARROW_RETURN_NOT_OK(sinks[b]->Close());
    }
    writers.clear();
    for (const std::string& path : paths) {
      ARROW_RETURN_NOT_OK(run_.ladder.Step());
      ARROW_ASSIGN_OR_RAISE(auto input, run_.fs->OpenInputFile(path));
      parquet::ReaderProperties reader_properties(&run_.pool);
      parquet::arrow::FileReaderBuilder builder;
      ARROW_RETURN_NOT_OK(builder.Open(input, reader_properties));
      builder.memory_pool(&run_.pool);
      ARROW_ASSIGN_OR_RAISE(auto reader, builder.Build());
      std::shared_ptr<arrow::Table> keys;
      ARROW_RETURN_NOT_OK(reader->ReadTable(&keys));
      ARROW_ASSIGN_OR_RAISE(keys, keys->ReplaceSchemaMetadata(nullptr)->CombineChunks(&run_.pool));
      ARROW_RETURN_NOT_OK(Resolve(std::move(keys)));
      reader.reset();
      ARROW_RETURN_NOT_OK(run_.fs->DeleteFile(path));
    }
    return run_.fs->DeleteDir(dir);
  }

  // Pass 2: every column of the surviving rows, in dataset order.
  arrow::Result<std::vector<io::WrittenFile>> WriteSurvivors() {
    GroupWriterOptions options;
    options.fs = run_.fs;
    options.path_prefix = run_.dir + "/part-";
    options.schema = group_.schema;
    options.codec = plan_.codec;
    options.max_rows_per_file = plan_.max_rows_per_file;
    options.row_group_rows = std::min(JoinedRows(plan_, group_, run_.pool), plan_.row_group_rows);
    options.copy_buffer_bytes = CopyBufferBytes(run_.pool);
    options.max_pending_bytes = MaxPendingBytes(run_.pool);
    options.dictionary_page_bytes = DictionaryPageBytes(run_.pool, *group_.schema);
    options.pool = &run_.pool;
    options.use_threads = run_.use_threads;
    std::unique_ptr<GroupWriter> writer;
    cp::ExecContext context(&run_.pool);
    int64_t row = 0;
    for (int f : group_.files) {
      ARROW_RETURN_NOT_OK(run_.ladder.Step());
      ARROW_ASSIGN_OR_RAISE(SourceFile source, Open(f, std::min<int64_t>(options.row_group_rows, 64 * 1024)));
      if (!writer) {
        options.plain_columns = merge::PlainColumns(*source.copy.metadata, *source.copy.file);
        ARROW_ASSIGN_OR_RAISE(writer, GroupWriter::Make(options));
      }
      const int row_groups = source.copy.metadata->num_row_groups();
      for (int rg = 0; rg < row_groups; ++rg) {
        const int64_t rows = source.copy.metadata->RowGroup(rg)->num_rows();
        const int64_t kept = std::count(survivors_.begin() + row, survivors_.begin() + row + rows, true);
        if (kept == rows) {
          ARROW_ASSIGN_OR_RAISE(const bool copy, writer->CanCopy(source.copy, rg));
          if (copy) {
            ARROW_RETURN_NOT_OK(writer->Copy(source.copy, rg));
            row += rows;
            ARROW_RETURN_NOT_OK(run_.advance(rows));
            continue;
          }
        }
        if (kept > 0) {
          ARROW_RETURN_NOT_OK(ReadRowGroup(source, rg, *group_.schema, &run_.pool,
                                           [&](std::shared_ptr<arrow::RecordBatch> batch) -> arrow::Status {
            const int64_t n = batch->num_rows();
            arrow::TypedBufferBuilder<bool> mask(&run_.pool);
            ARROW_RETURN_NOT_OK(mask.Reserve(n));
            for (int64_t i = 0; i < n; ++i) mask.UnsafeAppend(survivors_[row + i]);
            ARROW_ASSIGN_OR_RAISE(auto bits, mask.Finish());
            arrow::BooleanArray keep(n, std::move(bits));
            row += n;
            ARROW_ASSIGN_OR_RAISE(arrow::Datum kept_rows,
                                  cp::Filter(arrow::Datum(batch), arrow::Datum(keep),
                                             cp::FilterOptions::Defaults(), &context));
            return writer->Append(kept_rows.record_batch());
          }));
        } else {
          row += rows;
        }
        ARROW_RETURN_NOT_OK(run_.advance(rows));
      }
    }
    run_.result.rows_read = row;
    ARROW_ASSIGN_OR_RAISE(auto files, writer->Finish());
    run_.result.row_groups_copied = writer->copied_row_groups();
    run_.result.row_groups_encoded = writer->encoded_row_groups();
    return files;
  }

  TaskRun& run_;
  const MaintenancePlan& plan_;
  const Group& group_;
  std::shared_ptr<arrow::Schema> key_schema_;
  std::vector<std::string> key_names_;
  std::vector<std::string> read_names_;  // key and order columns, once each
  std::vector<bool> survivors_;          // per row of the group, in dataset order
};

}  // namespace

arrow::Result<std::vector<io::WrittenFile>> Deduplicate(TaskRun& run) {
  Deduplication deduplication(run);
  return deduplication.Run();
}

arrow::Result<std::vector<bool>> Survivors(TaskRun& run) {
  Deduplication deduplication(run);
  ARROW_RETURN_NOT_OK(deduplication.ResolveSurvivors());
  return deduplication.TakeSurvivors();
}

}  // namespace fsspeckit::maintenance
