// fsspeckit: gtest assertions for arrow::Status / arrow::Result (the wheel ships no
// libarrow_testing, so these mirror the names of Arrow's gtest_util.h).
#pragma once

#include <gtest/gtest.h>

#include <arrow/result.h>
#include <arrow/status.h>

namespace fsspeckit::testing {
inline const ::arrow::Status& ToStatus(const ::arrow::Status& st) { return st; }
template <typename T>
const ::arrow::Status& ToStatus(const ::arrow::Result<T>& result) {
  return result.status();
}
}  // namespace fsspeckit::testing

#define FSSPECKIT_CONCAT_INNER(a, b) a##b
#define FSSPECKIT_CONCAT(a, b) FSSPECKIT_CONCAT_INNER(a, b)

#define ASSERT_OK(expr)                                     \
  do {                                                      \
    const ::arrow::Status _st = ::fsspeckit::testing::ToStatus(expr); \
    ASSERT_TRUE(_st.ok()) << _st.ToString();                \
  } while (false)

#define ASSERT_OK_AND_ASSIGN_IMPL(result_name, lhs, rexpr) \
  auto result_name = (rexpr);                              \
  ASSERT_TRUE(result_name.ok()) << result_name.status().ToString(); \
  lhs = std::move(result_name).ValueUnsafe();

#define ASSERT_OK_AND_ASSIGN(lhs, rexpr) \
  ASSERT_OK_AND_ASSIGN_IMPL(FSSPECKIT_CONCAT(_result_, __COUNTER__), lhs, rexpr)

// ASSERT_RAISES(Invalid, expr): expr fails with StatusCode::Invalid.
#define ASSERT_RAISES(code, expr)                                             \
  do {                                                                        \
    const ::arrow::Status _st = ::fsspeckit::testing::ToStatus(expr);           \
    ASSERT_TRUE(_st.Is##code()) << "expected " #code ", got " << _st.ToString(); \
  } while (false)
