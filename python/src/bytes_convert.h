// fsspeckit: serialized plans and task results between C++ strings and Python bytes.
#pragma once

#include <string>
#include <string_view>

#include <nanobind/nanobind.h>

namespace fsspeckit::python {

inline nanobind::bytes Bytes(const std::string& data) { return nanobind::bytes(data.data(), data.size()); }

inline std::string_view View(const nanobind::bytes& data) { return {data.c_str(), data.size()}; }

}  // namespace fsspeckit::python
