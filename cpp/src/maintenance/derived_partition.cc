// fsspeckit: partition values derived from timestamps (derived_partition_columns).
#include "maintenance/derived_partition_internal.h"

#include <algorithm>

#include <arrow/array/builder_primitive.h>
#include <arrow/compute/api_scalar.h>
#include <arrow/compute/cast.h>
#include <arrow/compute/initialize.h>

namespace fsspeckit::maintenance {
namespace {

namespace cp = arrow::compute;

// strftime's format for each function; nullptr for an unknown one.
const char* FormatOf(const std::string& function) {
  if (function == "year") return "%Y";
  if (function == "month") return "%m";
  if (function == "day") return "%d";
  if (function == "date") return "%Y-%m-%d";
  return nullptr;
}

std::string TimestampColumns(const arrow::Schema& schema) {
  std::string names;
  for (const auto& field : schema.fields()) {
    if (field->type()->id() == arrow::Type::TIMESTAMP) {
      names += (names.empty() ? "'" : ", '") + field->name() + "'";
    }
  }
  return "[" + names + "]";
}

arrow::Status CheckOne(DerivedPartitionColumn& d, const arrow::Schema& schema,
                       const std::vector<std::string>& hive_keys,
                       const std::vector<std::string>& partition_columns) {
  const std::string entry = "derived_partition_columns['" + d.name + "']";
  if (d.name.empty()) return arrow::Status::Invalid("derived_partition_columns names an empty column");
  if (d.function != "strftime" && !FormatOf(d.function)) {
    return arrow::Status::Invalid(entry, ": unknown function '", d.function,
                                  "'; use 'year', 'month', 'day', 'date' or 'strftime'");
  }
  if (d.function == "strftime" && d.format.empty()) {
    return arrow::Status::Invalid(entry, ": 'strftime' needs a format, as in ('strftime', '",
                                  d.source, "', '%Y-%m')");
  }
  if (std::find(partition_columns.begin(), partition_columns.end(), d.name) == partition_columns.end()) {
    return arrow::Status::Invalid(entry, ": partition_columns lacks '", d.name,
                                  "'; add it there, in the folder order you want");
  }
  if (schema.GetFieldIndex(d.name) >= 0 ||
      std::find(hive_keys.begin(), hive_keys.end(), d.name) != hive_keys.end()) {
    return arrow::Status::Invalid(entry, ": the dataset has a column '", d.name,
                                  "' already; give the derived column another name");
  }
  if (d.source == "auto") {
    std::vector<std::string> candidates;
    for (const auto& field : schema.fields()) {
      if (field->type()->id() == arrow::Type::TIMESTAMP) candidates.push_back(field->name());
    }
    if (candidates.size() != 1) {
      return arrow::Status::Invalid("Timestamp source 'auto' requires exactly one timestamp column; "
                                    "candidates: ", TimestampColumns(schema),
                                    ": name the source column instead of 'auto'");
    }
    d.source = candidates[0];
  }
  const auto field = schema.GetFieldByName(d.source);
  if (!field || field->type()->id() != arrow::Type::TIMESTAMP) {
    return arrow::Status::Invalid(entry, ": the source '", d.source, "' is ",
                                  field ? "of type " + field->type()->ToString() : "no column of the files",
                                  "; name a timestamp column (the files have ", TimestampColumns(schema), ")");
  }
  return arrow::Status::OK();
}

}  // namespace

arrow::Result<std::vector<DerivedPartitionColumn>> ResolveDerivedColumns(
    std::vector<DerivedPartitionColumn> derived, const std::string& timezone,
    const arrow::Schema& schema, const std::vector<std::string>& hive_keys,
    const std::vector<std::string>& partition_columns) {
  // The time zone and strftime kernels: a planning process may have registered none.
  if (!derived.empty()) ARROW_RETURN_NOT_OK(cp::Initialize());
  for (size_t i = 0; i < derived.size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      if (derived[j].name == derived[i].name) {
        return arrow::Status::Invalid("derived_partition_columns names '", derived[i].name, "' twice");
      }
    }
    ARROW_RETURN_NOT_OK(CheckOne(derived[i], schema, hive_keys, partition_columns));
    // One value derived now: an unknown time zone or a bad format fails here, not mid-run.
    const auto type = schema.GetFieldByName(derived[i].source)->type();
    arrow::TimestampBuilder probe(type, arrow::default_memory_pool());
    ARROW_RETURN_NOT_OK(probe.Append(0));
    ARROW_ASSIGN_OR_RAISE(auto one, probe.Finish());
    cp::ExecContext context;
    auto tried = DeriveValues(*one, derived[i], timezone, &context);
    if (!tried.ok()) {
      return arrow::Status::Invalid("partition_timezone '", timezone, "' or derived_partition_columns['",
                                    derived[i].name, "'] cannot be used (", tried.status().message(),
                                    "); use an IANA time zone such as 'UTC' or 'Europe/Berlin'");
    }
  }
  return derived;
}

arrow::Result<std::shared_ptr<arrow::Array>> DeriveValues(const arrow::Array& timestamps,
                                                          const DerivedPartitionColumn& derived,
                                                          const std::string& timezone,
                                                          cp::ExecContext* context) {
  const auto& type = static_cast<const arrow::TimestampType&>(*timestamps.type());
  arrow::Datum zoned;
  if (type.timezone().empty()) {
    // Wall-clock times of the zone: the earlier of a repeated hour, a skipped one forward.
    cp::AssumeTimezoneOptions options(timezone, cp::AssumeTimezoneOptions::AMBIGUOUS_EARLIEST,
                                      cp::AssumeTimezoneOptions::NONEXISTENT_LATEST);
    ARROW_ASSIGN_OR_RAISE(zoned, cp::AssumeTimezone(timestamps, options, context));
  } else {
    ARROW_ASSIGN_OR_RAISE(zoned, cp::Cast(timestamps, arrow::timestamp(type.unit(), timezone),
                                          cp::CastOptions::Safe(), context));
  }
  const char* format = FormatOf(derived.function);
  cp::StrftimeOptions options(format ? format : derived.format, "C");
  ARROW_ASSIGN_OR_RAISE(arrow::Datum text, cp::Strftime(zoned, options, context));
  return text.make_array();
}

}  // namespace fsspeckit::maintenance
