// fsspeckit: the repartition task: every row of the dataset into the hive folder of its
// partition values, streamed (rows wait only to be joined into row groups).
//
// Rows are read in dataset order; the dataset's current hive values are added as string
// columns (so none is lost), and the partition values derived from timestamps; a Grouper numbers each distinct tuple of partition values
// and the batch is split by it, each part appended to its folder's GroupWriter (the
// partition columns leave the files). Memory: the rows waiting in all writers together
// stay within a share of the budget (the fullest writer's are written as a row group
// when they would pass it), and at most kMaxOpenWriters files are open at once (the
// least recently used writer finishes its file; its folder continues in a new one).
#include <algorithm>
#include <map>

#include <arrow/array.h>
#include <arrow/array/util.h>
#include <arrow/buffer_builder.h>
#include <arrow/compute/api_vector.h>
#include <arrow/compute/exec.h>
#include <arrow/compute/initialize.h>
#include <arrow/compute/row/grouper.h>
#include <arrow/scalar.h>
#include <arrow/table.h>
#include <arrow/util/uri.h>

#include "maintenance/derived_partition_internal.h"
#include "maintenance/group_writer_internal.h"
#include "maintenance/source_file_internal.h"
#include "maintenance/task_internal.h"
#include "merge/dataset_schema_internal.h"
#include "merge/plain_columns_internal.h"

namespace fsspeckit::maintenance {
namespace {

namespace cp = arrow::compute;

constexpr size_t kMaxOpenWriters = 128;

// A hive folder value as pyarrow writes it: null as __HIVE_DEFAULT_PARTITION__, the
// text URI-escaped ("a/b" as "a%2Fb").
std::string FolderValue(const arrow::Scalar& value) {
  if (!value.is_valid) return merge::kHiveNull;
  std::string text;
  if (arrow::is_base_binary_like(value.type->id())) {
    text = std::string(static_cast<const arrow::BaseBinaryScalar&>(value).view());
  } else {
    text = value.ToString();
  }
  return arrow::util::UriEscape(text);
}

struct Destination {
  std::string folder;  // "k=v/k2=v2"
  std::unique_ptr<GroupWriter> writer;
  int generation = 0;  // writers opened so far (one at a time)
  uint64_t last_used = 0;
  std::vector<io::WrittenFile> files;
};

class Repartition {
 public:
  explicit Repartition(TaskRun& run) : run_(run), plan_(run.plan), group_(run.group), context_(&run.pool) {}

  arrow::Result<std::vector<io::WrittenFile>> Run() {
    ARROW_RETURN_NOT_OK(cp::Initialize());
    // The rows as read: the files' columns, then the folders' hive keys.
    arrow::FieldVector fields = plan_.schema->fields();
    for (const std::string& key : plan_.hive_keys) fields.push_back(arrow::field(key, arrow::utf8()));
    for (const DerivedPartitionColumn& d : plan_.derived_columns) fields.push_back(arrow::field(d.name, arrow::utf8()));
    input_schema_ = arrow::schema(std::move(fields), plan_.schema->metadata());
    std::vector<arrow::TypeHolder> types;
    for (const std::string& column : plan_.partition_columns) {
      types.emplace_back(input_schema_->GetFieldByName(column)->type());
    }
    ARROW_ASSIGN_OR_RAISE(grouper_, cp::Grouper::Make(types, &context_));
    options_.fs = run_.fs;
    options_.schema = group_.schema;
    options_.codec = plan_.codec;
    options_.max_rows_per_file = plan_.max_rows_per_file;
    options_.row_group_rows = std::min(JoinedRows(plan_, group_, run_.pool), plan_.row_group_rows);
    options_.copy_buffer_bytes = 64 << 10;  // nothing is copied raw: rows change files
    options_.dictionary_page_bytes = DictionaryPageBytes(run_.pool, *group_.schema);
    options_.pool = &run_.pool;
    if (!plan_.key_columns.empty()) {
      // Deduplicate and repartition: the survivors first (keys spilled by hash when they
      // do not fit), then only they are routed.
      ARROW_ASSIGN_OR_RAISE(survivors_, Survivors(run_));
    }
    pending_cap_bytes_ = MaxPendingBytes(run_.pool);
    const int64_t batch_rows = std::min<int64_t>(options_.row_group_rows, 64 * 1024);
    for (int f : group_.files) {
      ARROW_RETURN_NOT_OK(run_.ladder.Step());
      const PlannedFile& file = plan_.files[f];
      ARROW_ASSIGN_OR_RAISE(SourceFile source,
                            OpenSourceFile(*run_.fs, file, &run_.pool, batch_rows, run_.use_threads));
      if (destinations_.empty()) {
        options_.plain_columns = merge::PlainColumns(*source.copy.metadata, *source.copy.file);
      }
      std::map<std::string, std::string> hive;
      for (const auto& [key, value] : merge::HiveSegments("", "/" + file.relative_path)) hive[key] = value;
      for (int rg = 0; rg < source.copy.metadata->num_row_groups(); ++rg) {
        const int64_t rows = source.copy.metadata->RowGroup(rg)->num_rows();
        ARROW_RETURN_NOT_OK(ReadRowGroup(source, rg, *plan_.schema, &run_.pool,
                                         [&](std::shared_ptr<arrow::RecordBatch> batch) {
                                           return Route(std::move(batch), hive);
                                         }));
        run_.result.rows_read += rows;
        ARROW_RETURN_NOT_OK(run_.advance(rows));
      }
    }
    std::vector<io::WrittenFile> files;
    for (Destination& destination : destinations_) {
      ARROW_RETURN_NOT_OK(Close(destination));
      files.insert(files.end(), destination.files.begin(), destination.files.end());
    }
    run_.result.row_groups_encoded = encoded_row_groups_;
    return files;
  }

 private:
  // `batch` with the file's hive values as string columns (null where it has none).
  arrow::Result<std::shared_ptr<arrow::RecordBatch>> WithHive(std::shared_ptr<arrow::RecordBatch> batch,
                                                              const std::map<std::string, std::string>& hive) {
    for (const std::string& key : plan_.hive_keys) {
      auto found = hive.find(key);
      std::shared_ptr<arrow::Scalar> value =
          found == hive.end() || found->second == merge::kHiveNull
              ? arrow::MakeNullScalar(arrow::utf8())
              : std::make_shared<arrow::StringScalar>(found->second);
      ARROW_ASSIGN_OR_RAISE(auto column, arrow::MakeArrayFromScalar(*value, batch->num_rows(), &run_.pool));
      ARROW_ASSIGN_OR_RAISE(batch, batch->AddColumn(batch->num_columns(), arrow::field(key, arrow::utf8()), column));
    }
    return batch;
  }

  arrow::Status Route(std::shared_ptr<arrow::RecordBatch> batch, const std::map<std::string, std::string>& hive) {
    const int64_t first_row = row_;
    row_ += batch->num_rows();
    if (!survivors_.empty()) {
      arrow::TypedBufferBuilder<bool> mask(&run_.pool);
      ARROW_RETURN_NOT_OK(mask.Reserve(batch->num_rows()));
      int64_t kept = 0;
      for (int64_t i = 0; i < batch->num_rows(); ++i) {
        mask.UnsafeAppend(survivors_[first_row + i]);
        kept += survivors_[first_row + i] ? 1 : 0;
      }
      if (kept == 0) return arrow::Status::OK();
      if (kept < batch->num_rows()) {
        ARROW_ASSIGN_OR_RAISE(auto bits, mask.Finish());
        arrow::BooleanArray keep(batch->num_rows(), std::move(bits));
        ARROW_ASSIGN_OR_RAISE(arrow::Datum filtered, cp::Filter(arrow::Datum(batch), arrow::Datum(keep),
                                                                 cp::FilterOptions::Defaults(), &context_));
        batch = filtered.record_batch();
      }
    }
    ARROW_ASSIGN_OR_RAISE(batch, WithHive(std::move(batch), hive));
    for (const DerivedPartitionColumn& d : plan_.derived_columns) {
      ARROW_ASSIGN_OR_RAISE(auto values, DeriveValues(*batch->GetColumnByName(d.source), d,
                                                      plan_.partition_timezone, &context_));
      ARROW_ASSIGN_OR_RAISE(batch, batch->AddColumn(batch->num_columns(), arrow::field(d.name, arrow::utf8()),
                                                    std::move(values)));
    }
    std::vector<arrow::Datum> keys;
    for (const std::string& column : plan_.partition_columns) keys.emplace_back(batch->GetColumnByName(column));
    cp::ExecBatch key_batch(std::move(keys), batch->num_rows());
    ARROW_ASSIGN_OR_RAISE(arrow::Datum ids, grouper_->Consume(cp::ExecSpan(key_batch)));
    ARROW_RETURN_NOT_OK(NameNewFolders());
    // The rows as the files hold them: without the partition columns.
    std::vector<int> kept;
    for (const auto& field : group_.schema->fields()) kept.push_back(batch->schema()->GetFieldIndex(field->name()));
    ARROW_ASSIGN_OR_RAISE(auto data, batch->SelectColumns(kept));
    ARROW_ASSIGN_OR_RAISE(data, data->ReplaceSchema(group_.schema));
    const auto& id_array = static_cast<const arrow::UInt32Array&>(*ids.make_array());
    // One folder for the whole batch (hive input, or sorted data) needs no split.
    bool one = id_array.length() > 0;
    for (int64_t i = 1; one && i < id_array.length(); ++i) one = id_array.Value(i) == id_array.Value(0);
    if (one) return Append(id_array.Value(0), std::move(data));
    ARROW_ASSIGN_OR_RAISE(auto groupings, cp::Grouper::MakeGroupings(id_array, grouper_->num_groups(), &context_));
    for (int64_t g = 0; g < groupings->length(); ++g) {
      auto rows = groupings->value_slice(g);
      if (rows->length() == 0) continue;
      ARROW_ASSIGN_OR_RAISE(arrow::Datum part, cp::Take(arrow::Datum(data), arrow::Datum(rows),
                                                         cp::TakeOptions::NoBoundsCheck(), &context_));
      ARROW_RETURN_NOT_OK(Append(static_cast<uint32_t>(g), part.record_batch()));
    }
    return arrow::Status::OK();
  }

  // Folder names of the partition tuples seen for the first time.
  arrow::Status NameNewFolders() {
    const uint32_t groups = grouper_->num_groups();
    if (groups == destinations_.size()) return arrow::Status::OK();
    ARROW_ASSIGN_OR_RAISE(cp::ExecBatch uniques, grouper_->GetUniques());
    for (uint32_t g = static_cast<uint32_t>(destinations_.size()); g < groups; ++g) {
      Destination destination;
      for (size_t c = 0; c < plan_.partition_columns.size(); ++c) {
        ARROW_ASSIGN_OR_RAISE(auto value, uniques.values[c].make_array()->GetScalar(g));
        destination.folder += (c == 0 ? "" : "/") + plan_.partition_columns[c] + "=" + FolderValue(*value);
      }
      destinations_.push_back(std::move(destination));
    }
    return arrow::Status::OK();
  }

  arrow::Status Append(uint32_t id, std::shared_ptr<arrow::RecordBatch> rows) {
    Destination& destination = destinations_[id];
    if (!destination.writer) {
      if (++open_writers_ > kMaxOpenWriters) ARROW_RETURN_NOT_OK(CloseLeastRecentlyUsed());
      GroupWriterOptions options = options_;
      options.path_prefix = run_.dir + "/" + destination.folder + "/part-" +
                            std::to_string(destination.generation++) + "-";
      ARROW_ASSIGN_OR_RAISE(destination.writer, GroupWriter::Make(std::move(options)));
    }
    destination.last_used = ++clock_;
    const int64_t before = destination.writer->pending_bytes();
    ARROW_RETURN_NOT_OK(destination.writer->Append(std::move(rows)));
    pending_bytes_ += destination.writer->pending_bytes() - before;
    // Together the writers hold at most the share: the fullest writes a row group.
    while (pending_bytes_ > pending_cap_bytes_) {
      Destination* fullest = nullptr;
      for (Destination& candidate : destinations_) {
        if (candidate.writer && (!fullest || candidate.writer->pending_bytes() > fullest->writer->pending_bytes())) {
          fullest = &candidate;
        }
      }
      if (!fullest || fullest->writer->pending_bytes() == 0) break;
      pending_bytes_ -= fullest->writer->pending_bytes();
      ARROW_RETURN_NOT_OK(fullest->writer->FlushPending());
    }
    return arrow::Status::OK();
  }

  arrow::Status Close(Destination& destination) {
    if (!destination.writer) return arrow::Status::OK();
    pending_bytes_ -= destination.writer->pending_bytes();
    ARROW_ASSIGN_OR_RAISE(auto files, destination.writer->Finish());
    encoded_row_groups_ += destination.writer->encoded_row_groups();
    destination.files.insert(destination.files.end(), files.begin(), files.end());
    destination.writer.reset();
    --open_writers_;
    return arrow::Status::OK();
  }

  arrow::Status CloseLeastRecentlyUsed() {
    Destination* oldest = nullptr;
    for (Destination& candidate : destinations_) {
      if (candidate.writer && (!oldest || candidate.last_used < oldest->last_used)) oldest = &candidate;
    }
    return oldest ? Close(*oldest) : arrow::Status::OK();
  }

  TaskRun& run_;
  const MaintenancePlan& plan_;
  const Group& group_;
  cp::ExecContext context_;
  std::shared_ptr<arrow::Schema> input_schema_;
  std::unique_ptr<cp::Grouper> grouper_;
  GroupWriterOptions options_;
  std::vector<Destination> destinations_;  // by group id
  size_t open_writers_ = 0;
  uint64_t clock_ = 0;
  int64_t pending_bytes_ = 0;
  int64_t pending_cap_bytes_ = 0;
  int64_t encoded_row_groups_ = 0;
  std::vector<bool> survivors_;  // deduplicate and repartition: per row, in dataset order
  int64_t row_ = 0;              // rows routed so far
};

}  // namespace

arrow::Result<std::vector<io::WrittenFile>> RepartitionGroup(TaskRun& run) {
  Repartition repartition(run);
  return repartition.Run();
}

}  // namespace fsspeckit::maintenance
