// fsspeckit: byte counts as people read them, each format written once.
#include "fsspeckit/memory/byte_text.h"

#include <array>
#include <charconv>
#include <cmath>
#include <cstdio>

#include "fsspeckit/memory/memory_snapshot.h"

namespace fsspeckit::memory {
namespace {

double Mib(int64_t bytes) { return static_cast<double>(bytes) / static_cast<double>(kBytesInMiB); }

}  // namespace

std::string LimitMibText(int64_t bytes) {
  char buffer[64];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof(buffer), Mib(bytes), std::chars_format::fixed);
  return std::string(buffer, end);
}

std::string MibOneDecimalText(int64_t bytes) {
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), "%.1f", Mib(bytes));
  return buffer;
}

std::string MibText(int64_t bytes) {
  char buffer[64];
  const double mib = Mib(bytes);
  std::snprintf(buffer, sizeof(buffer), mib < 10 ? "%.1f MiB" : "%.0f MiB", mib);
  return buffer;
}

std::string ByteSizeText(int64_t bytes) {
  static constexpr std::array<const char*, 5> kUnits = {"B", "KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes);
  size_t unit = 0;
  while (std::fabs(value) >= 1024.0 && unit + 1 < kUnits.size()) {
    value /= 1024.0;
    ++unit;
  }
  char buffer[64];
  if (unit == 0) {
    std::snprintf(buffer, sizeof(buffer), "%lld B", static_cast<long long>(bytes));
  } else {
    std::snprintf(buffer, sizeof(buffer), value < 10 ? "%.2f %s" : "%.1f %s", value, kUnits[unit]);
  }
  return buffer;
}

}  // namespace fsspeckit::memory
