// fsspeckit: the dataset's schema and partitioning, which every file a merge writes follows.
#include "merge/dataset_schema_internal.h"

#include <algorithm>
#include <cctype>

#include <arrow/array/util.h>
#include <arrow/compute/cast.h>
#include <arrow/compute/exec.h>

namespace fsspeckit::merge {
namespace {

namespace cp = arrow::compute;

// Hive folder values are URI-encoded by writers ("New%20York"), as Arrow's partitioning
// decodes them.
std::string UriDecode(const std::string& text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() &&
        std::isxdigit(static_cast<unsigned char>(text[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(text[i + 2]))) {
      out.push_back(static_cast<char>(std::stoi(text.substr(i + 1, 2), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

std::string Names(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& name : names) out += (out.empty() ? "" : ", ") + name;
  return out.empty() ? "none" : out;
}

enum class Kind { kNull, kNumber, kString, kBinary, kBool, kTimestamp, kDate, kTime, kDuration, kOther };

Kind KindOf(const arrow::DataType& type) {
  if (type.id() == arrow::Type::DICTIONARY) {
    return KindOf(*static_cast<const arrow::DictionaryType&>(type).value_type());
  }
  if (type.id() == arrow::Type::NA) return Kind::kNull;
  if (arrow::is_integer(type.id()) || arrow::is_floating(type.id()) || arrow::is_decimal(type.id())) {
    return Kind::kNumber;
  }
  if (arrow::is_string(type.id()) || type.id() == arrow::Type::STRING_VIEW) return Kind::kString;
  if (arrow::is_binary(type.id()) || type.id() == arrow::Type::BINARY_VIEW ||
      type.id() == arrow::Type::FIXED_SIZE_BINARY) {
    return Kind::kBinary;
  }
  switch (type.id()) {
    case arrow::Type::BOOL: return Kind::kBool;
    case arrow::Type::TIMESTAMP: return Kind::kTimestamp;
    case arrow::Type::DATE32: case arrow::Type::DATE64: return Kind::kDate;
    case arrow::Type::TIME32: case arrow::Type::TIME64: return Kind::kTime;
    case arrow::Type::DURATION: return Kind::kDuration;
    default: return Kind::kOther;
  }
}

// Dictionary encoding is how a file stores a column, not what it holds.
std::shared_ptr<arrow::Field> WithoutDictionary(const std::shared_ptr<arrow::Field>& field) {
  if (field->type()->id() != arrow::Type::DICTIONARY) return field;
  return field->WithType(static_cast<const arrow::DictionaryType&>(*field->type()).value_type());
}

}  // namespace

std::vector<std::pair<std::string, std::string>> HiveSegments(const std::string& dir,
                                                              const std::string& path) {
  std::vector<std::pair<std::string, std::string>> segments;
  const std::string relative = path.substr(std::min(path.size(), dir.size() + 1));
  size_t start = 0;
  for (size_t slash; (slash = relative.find('/', start)) != std::string::npos; start = slash + 1) {
    const std::string segment = relative.substr(start, slash - start);  // the last is the file
    const size_t eq = segment.find('=');
    if (eq != std::string::npos) {
      segments.emplace_back(UriDecode(segment.substr(0, eq)), UriDecode(segment.substr(eq + 1)));
    }
  }
  return segments;
}

arrow::Result<std::vector<std::string>> HivePartitionKeys(const std::string& dir,
                                                          const std::vector<std::string>& paths) {
  std::vector<std::string> keys;
  for (size_t i = 0; i < paths.size(); ++i) {
    std::vector<std::string> file_keys;
    for (const auto& [key, value] : HiveSegments(dir, paths[i])) file_keys.push_back(key);
    if (i == 0) {
      keys = std::move(file_keys);
    } else if (file_keys != keys) {
      return arrow::Status::Invalid(
          "the dataset '", dir, "' has no one partitioning: '", paths[0],
          "' is partitioned by [", Names(keys), "], '", paths[i], "' by [", Names(file_keys),
          "]; move the files so that all follow one layout before merging into it");
    }
  }
  return keys;
}

arrow::Result<std::shared_ptr<arrow::Schema>> UnifyFileSchemas(
    const std::vector<std::string>& paths, const std::vector<std::shared_ptr<arrow::Schema>>& schemas) {
  arrow::FieldVector fields;
  std::vector<size_t> first_file;  // per field: the file it was first seen in
  for (size_t f = 0; f < schemas.size(); ++f) {
    for (const auto& field : schemas[f]->fields()) {
      auto it = std::find_if(fields.begin(), fields.end(),
                             [&](const auto& seen) { return seen->name() == field->name(); });
      if (it == fields.end()) {
        fields.push_back(field);
        first_file.push_back(f);
        continue;
      }
      auto merged = (*it)->MergeWith(*field, arrow::Field::MergeOptions::Permissive());
      if (!merged.ok()) {
        // A dictionary column in one file and a plain one in another (Arrow merges only
        // dictionaries with dictionaries): one column of the values' type.
        merged = WithoutDictionary(*it)->MergeWith(*WithoutDictionary(field),
                                                   arrow::Field::MergeOptions::Permissive());
      }
      if (!merged.ok()) {
        const size_t other = first_file[it - fields.begin()];
        return arrow::Status::Invalid(
            "the dataset's files disagree on column '", field->name(), "': ",
            (*it)->type()->ToString(), " in '", paths[other], "', ", field->type()->ToString(),
            " in '", paths[f], "'; rewrite one of them in the other's type before merging");
      }
      *it = *merged;
    }
  }
  return arrow::schema(std::move(fields), schemas.empty() ? nullptr : schemas[0]->metadata());
}

bool IsSafeCast(const arrow::DataType& from, const arrow::DataType& to) {
  if (from.Equals(to)) return true;
  const Kind from_kind = KindOf(from), to_kind = KindOf(to);
  if (from_kind == Kind::kNull) return true;
  if (from_kind == Kind::kOther || to_kind == Kind::kOther) {
    // Lists: element by element; other nested types only as they are.
    const bool lists = (from.id() == arrow::Type::LIST || from.id() == arrow::Type::LARGE_LIST) &&
                       (to.id() == arrow::Type::LIST || to.id() == arrow::Type::LARGE_LIST);
    return lists && IsSafeCast(*from.field(0)->type(), *to.field(0)->type());
  }
  return from_kind == to_kind && cp::CanCast(from, to);
}

arrow::Status CheckSourceFits(const arrow::Table& source, const arrow::Schema& dataset,
                              const std::vector<std::string>& partition_keys) {
  std::vector<std::string> extra;
  for (const auto& field : source.schema()->fields()) {
    const bool partition =
        std::count(partition_keys.begin(), partition_keys.end(), field->name()) != 0;
    if (!partition && !dataset.GetFieldByName(field->name())) extra.push_back(field->name());
  }
  if (!extra.empty()) {
    const std::string partitioned =
        partition_keys.empty() ? "" : " (partitioned by " + Names(partition_keys) + ")";
    return arrow::Status::Invalid(
        "source column(s) ", Names(extra), " are not in the dataset, whose columns are: ",
        Names(dataset.field_names()), partitioned,
        ". A merge writes the dataset's schema: drop them from the source, or add them to "
        "the dataset first (write_dataset with mode='overwrite')");
  }
  for (const auto& field : dataset.fields()) {
    auto column = source.GetColumnByName(field->name());
    if (!column) {
      if (!field->nullable()) {
        return arrow::Status::Invalid("the source lacks column '", field->name(),
                                      "', which the dataset requires (not nullable): add it");
      }
      continue;  // null in the rows the source writes
    }
    if (column->type()->Equals(*field->type())) continue;
    const std::string types = "source column '" + field->name() + "' is " +
                              column->type()->ToString() + ", the dataset's is " +
                              field->type()->ToString();
    if (!IsSafeCast(*column->type(), *field->type())) {
      return arrow::Status::TypeError(types, ": not a safe cast; convert the source column to ",
                                      field->type()->ToString(), " first");
    }
    for (const auto& chunk : column->chunks()) {  // every value, before anything is written
      auto cast = cp::Cast(*chunk, field->type(), cp::CastOptions::Safe());
      if (!cast.ok()) return arrow::Status::TypeError(types, ": ", cast.status().message());
    }
  }
  return arrow::Status::OK();
}

arrow::Result<std::shared_ptr<arrow::RecordBatch>> ConformTo(const arrow::RecordBatch& batch,
                                                             const arrow::Schema& schema,
                                                             const std::string& where,
                                                             arrow::MemoryPool* pool) {
  cp::ExecContext context(pool);
  std::vector<std::shared_ptr<arrow::Array>> columns;
  for (const auto& field : schema.fields()) {
    std::shared_ptr<arrow::Array> column = batch.GetColumnByName(field->name());
    if (!column) {
      ARROW_ASSIGN_OR_RAISE(column, arrow::MakeArrayOfNull(field->type(), batch.num_rows(), pool));
    } else if (!column->type()->Equals(*field->type())) {
      auto cast = cp::Cast(*column, field->type(), cp::CastOptions::Safe(), &context);
      if (!cast.ok()) {
        return arrow::Status::TypeError("cannot write column '", field->name(), "' (",
                                        column->type()->ToString(), ") into ", where,
                                        ", where it is ", field->type()->ToString(), ": ",
                                        cast.status().message());
      }
      column = *cast;
    }
    columns.push_back(std::move(column));
  }
  return arrow::RecordBatch::Make(arrow::schema(schema.fields(), schema.metadata()),
                                  batch.num_rows(), std::move(columns));
}

}  // namespace fsspeckit::merge
