// fsspeckit: random names for files and folders that must not collide.
#include "io/unique_name_internal.h"

#include <sys/random.h>

#include <cstdint>
#include <cstdio>
#include <random>
#include <string_view>

namespace fsspeckit::io {

std::string UniqueId() {
  // 64 bits straight from the kernel on every call: no seed to share with a forked child
  // or to collide between processes.
  uint64_t value = 0;
  ssize_t got = ::getrandom(&value, sizeof(value), 0);
  if (got != static_cast<ssize_t>(sizeof(value))) {
    std::random_device device;  // /dev/urandom
    value = (static_cast<uint64_t>(device()) << 32) ^ device();
  }
  char buffer[17];
  std::snprintf(buffer, sizeof(buffer), "%016llx", static_cast<unsigned long long>(value));
  return buffer;
}

std::string ParentPath(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return "";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::string BaseName(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

namespace {

bool AllOf(std::string_view text, bool (*accept)(char)) {
  for (char c : text) {
    if (!accept(c)) return false;
  }
  return true;
}

// "name-<16 hex>-<digits>" -> "name"; anything else unchanged.
std::string WithoutGeneration(const std::string& stem) {
  const size_t part_dash = stem.rfind('-');
  if (part_dash == std::string::npos || part_dash + 1 == stem.size() || part_dash < 18) return stem;
  const std::string_view part(stem.data() + part_dash + 1, stem.size() - part_dash - 1);
  const std::string_view id(stem.data() + part_dash - 16, 16);
  const bool is_digit_part = AllOf(part, [](char c) { return c >= '0' && c <= '9'; });
  const bool is_hex_id = AllOf(id, [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
  if (!is_digit_part || !is_hex_id || stem[part_dash - 17] != '-') return stem;
  return stem.substr(0, part_dash - 17);
}

}  // namespace

std::string ReplacementPath(const std::string& path, size_t part) {
  std::string stem = BaseName(path);
  if (stem.ends_with(".parquet")) stem.resize(stem.size() - 8);
  stem = WithoutGeneration(stem);
  const std::string parent = ParentPath(path);
  return (parent.empty() ? "" : parent + "/") + stem + "-" + UniqueId() + "-" +
         std::to_string(part) + ".parquet";
}

}  // namespace fsspeckit::io
