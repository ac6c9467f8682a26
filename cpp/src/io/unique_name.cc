// fsspeckit: random names for files and folders that must not collide.
#include "io/unique_name_internal.h"

#include <sys/random.h>

#include <cstdint>
#include <cstdio>
#include <random>

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

}  // namespace fsspeckit::io
