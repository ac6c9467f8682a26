// fsspeckit: a budget failure as data: which limit, what is wrong, what else would help.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <arrow/status.h>

namespace fsspeckit::memory {

/// The limits of a MemoryLimits, as a failure names them.
enum class Limit : uint8_t {
  kPool,    ///< MemoryLimits::max_pool_bytes (Python: max_pyarrow_mb, merge_max_memory_mb)
  kRss,     ///< MemoryLimits::max_rss_bytes
  kSystem,  ///< MemoryLimits::min_system_available_bytes
};

/// "max_pool_bytes", "max_rss_bytes", "min_system_available_bytes": the C++ names.
std::string_view LimitFieldName(Limit limit);

/// Carried by every Status a budget causes. The core never spells a front end's option:
/// each front end (the Python bindings, the CLI) names the limit its own way, through
/// SpellBudgetError() with its names.
class BudgetError : public arrow::StatusDetail {
 public:
  enum class Kind : uint8_t {
    kInvalidLimit,  ///< Invalid: `problem` says what is wrong with limits[0]'s value
    kExceeded,      ///< OutOfMemory: raising (or, for kSystem, lowering) `limits` would help
  };
  BudgetError(Kind kind, std::vector<Limit> limits, std::string problem = {},
              std::string alternative = {})
      : kind_(kind), limits_(std::move(limits)), problem_(std::move(problem)),
        alternative_(std::move(alternative)) {}

  const char* type_id() const override;
  /// The advice in C++ names ("raise max_pool_bytes").
  std::string ToString() const override;

  Kind kind() const { return kind_; }
  const std::vector<Limit>& limits() const { return limits_; }
  /// kInvalidLimit: the value's problem, without its name ("must be positive: ...").
  const std::string& problem() const { return problem_; }
  /// Another way out besides the limits ("merge the source in smaller parts"); may be empty.
  const std::string& alternative() const { return alternative_; }

 private:
  Kind kind_;
  std::vector<Limit> limits_;
  std::string problem_;
  std::string alternative_;
};

/// The status's BudgetError, or nullptr.
const BudgetError* GetBudgetError(const arrow::Status& status);

/// Invalid: "<name of limit> <problem>" once spelled; carries a kInvalidLimit BudgetError.
arrow::Status InvalidLimit(Limit limit, std::string problem);

/// OutOfMemory `message` carrying a kExceeded BudgetError for `limits`.
arrow::Status BudgetExceeded(std::string message, std::vector<Limit> limits,
                             std::string alternative = {});

/// An OutOfMemory that carries no BudgetError (an allocation refused by the capped pool
/// and rethrown by Parquet as a plain message, say) as the pool budget's, with
/// `alternative`; other statuses unchanged.
arrow::Status AsPoolBudgetError(arrow::Status status, std::string alternative = {});

/// A front end's names for the three limits.
struct LimitSpelling {
  std::string pool, rss, system;
};

/// `status` as the front end with `names` shows it: for kInvalidLimit "<name> <problem>";
/// for kExceeded the message with "; to go on, raise <name> or ... or <alternative>".
/// The detail is dropped (it has been said). Other statuses unchanged.
arrow::Status SpellBudgetError(const arrow::Status& status, const LimitSpelling& names);

}  // namespace fsspeckit::memory
