// fsspeckit: random names for files and folders that must not collide.
#include "fsspeckit/io/unique_name.h"

#include <cstdio>
#include <mutex>
#include <random>

namespace fsspeckit::io {

std::string UniqueId() {
  static std::mutex mutex;
  static std::mt19937_64 generator(std::random_device{}());
  uint64_t value;
  {
    std::lock_guard<std::mutex> lock(mutex);
    value = generator();
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
