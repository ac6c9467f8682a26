// fsspeckit: Python arguments converted with errors that name the caller's parameter.
#pragma once

#include <optional>
#include <string>

#include <nanobind/nanobind.h>

namespace fsspeckit::python {

/// `value` as T, or TypeError "<name> must be <expected>, got <type>" (nanobind's own
/// error lists the internal signature, not the parameter the caller got wrong).
/// Booleans are refused where a number is expected.
template <typename T>
T Argument(nanobind::handle value, const char* name, const char* expected) {
  T out{};
  if (!PyBool_Check(value.ptr()) && nanobind::try_cast<T>(value, out)) return out;
  throw nanobind::type_error((std::string(name) + " must be " + expected + ", got " +
                              nanobind::cast<std::string>(value.type().attr("__name__")))
                                 .c_str());
}

/// The same where None is allowed.
template <typename T>
std::optional<T> OptionalArgument(nanobind::handle value, const char* name, const char* expected) {
  if (value.is_none()) return std::nullopt;
  return Argument<T>(value, name, expected);
}

}  // namespace fsspeckit::python
