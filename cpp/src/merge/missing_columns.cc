// fsspeckit: the one error for columns a caller named that a schema lacks.
#include "merge/missing_columns_internal.h"

#include <algorithm>

namespace fsspeckit::merge {
namespace {

std::string Joined(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& name : names) out += (out.empty() ? "" : ", ") + name;
  return out;
}

}  // namespace

arrow::Status CheckColumns(const arrow::Schema& schema, const std::vector<std::string>& wanted,
                           const std::string& what) {
  std::vector<std::string> missing;
  for (const auto& name : wanted) {
    if (!schema.GetFieldByName(name)) missing.push_back(name);
  }
  if (missing.empty()) return arrow::Status::OK();
  std::vector<std::string> available = schema.field_names();
  std::sort(available.begin(), available.end());
  return arrow::Status::Invalid(what, Joined(missing), ". Available columns: ", Joined(available));
}

}  // namespace fsspeckit::merge
