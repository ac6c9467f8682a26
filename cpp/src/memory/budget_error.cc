// fsspeckit: a budget failure as data: which limit, what is wrong, what else would help.
#include "fsspeckit/memory/budget_error.h"

namespace fsspeckit::memory {
namespace {

const std::string& NameOf(Limit limit, const LimitSpelling& names) {
  switch (limit) {
    case Limit::kPool: return names.pool;
    case Limit::kRss: return names.rss;
    case Limit::kSystem: return names.system;
  }
  return names.pool;
}

// "raise a or raise b or lower c (0 turns the check off) or <alternative>".
std::string Advice(const BudgetError& error, const LimitSpelling& names) {
  std::string advice;
  auto add = [&](const std::string& text) { advice += (advice.empty() ? "" : " or ") + text; };
  for (Limit limit : error.limits()) {
    add(limit == Limit::kSystem ? "lower " + NameOf(limit, names) + " (0 turns the check off)"
                                : "raise " + NameOf(limit, names));
  }
  if (!error.alternative().empty()) add(error.alternative());
  return advice;
}

const LimitSpelling kFieldNames{"max_pool_bytes", "max_rss_bytes", "min_system_available_bytes"};

}  // namespace

std::string_view LimitFieldName(Limit limit) { return NameOf(limit, kFieldNames); }

const char* BudgetError::type_id() const { return "fsspeckit::memory::BudgetError"; }

std::string BudgetError::ToString() const {
  return kind_ == Kind::kInvalidLimit ? std::string(LimitFieldName(limits_.at(0))) + " " + problem_
                                      : Advice(*this, kFieldNames);
}

const BudgetError* GetBudgetError(const arrow::Status& status) {
  return dynamic_cast<const BudgetError*>(status.detail().get());
}

arrow::Status InvalidLimit(Limit limit, std::string problem) {
  auto detail = std::make_shared<BudgetError>(BudgetError::Kind::kInvalidLimit,
                                              std::vector<Limit>{limit}, std::move(problem));
  return arrow::Status(arrow::StatusCode::Invalid, detail->ToString(), detail);
}

arrow::Status BudgetExceeded(std::string message, std::vector<Limit> limits,
                             std::string alternative) {
  return arrow::Status(arrow::StatusCode::OutOfMemory, std::move(message),
                       std::make_shared<BudgetError>(BudgetError::Kind::kExceeded,
                                                     std::move(limits), "",
                                                     std::move(alternative)));
}

arrow::Status AsPoolBudgetError(arrow::Status status, std::string alternative) {
  if (!status.IsOutOfMemory() || GetBudgetError(status)) return status;
  return BudgetExceeded(status.message(), {Limit::kPool}, std::move(alternative));
}

arrow::Status SpellBudgetError(const arrow::Status& status, const LimitSpelling& names) {
  const BudgetError* error = GetBudgetError(status);
  if (!error) return status;
  if (error->kind() == BudgetError::Kind::kInvalidLimit) {
    return arrow::Status(status.code(), NameOf(error->limits().at(0), names) + " " + error->problem());
  }
  const std::string advice = Advice(*error, names);
  return arrow::Status(status.code(),
                       status.message() + (advice.empty() ? "" : "; to go on, " + advice));
}

}  // namespace fsspeckit::memory
