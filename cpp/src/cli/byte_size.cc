// fsspeckit: human byte sizes ("512MiB", "1.5GB", "2048") at the CLI edge.
#include "cli/byte_size_internal.h"

#include <array>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace fsspeckit::cli {

arrow::Result<int64_t> ParseByteSize(std::string_view text) {
  auto invalid = [&] {
    return arrow::Status::Invalid("not a size: '", text,
                                  "'; write a number with a unit, e.g. 512MiB, 1.5GiB, "
                                  "or a bare number of MiB");
  };
  std::string number_text;
  size_t i = 0;
  while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) {
    number_text.push_back(text[i++]);
  }
  if (number_text.empty()) return invalid();
  char* end = nullptr;
  double number = std::strtod(number_text.c_str(), &end);
  if (*end != '\0') return invalid();
  while (i < text.size() && text[i] == ' ') ++i;
  std::string unit;
  for (; i < text.size(); ++i) unit.push_back(std::tolower(static_cast<unsigned char>(text[i])));

  double multiplier;
  if (unit.empty()) {
    multiplier = double(1 << 20);
  } else if (unit == "b") {
    multiplier = 1;
  } else {
    static constexpr std::array<char, 4> kPrefixes = {'k', 'm', 'g', 't'};
    multiplier = 0;
    for (size_t p = 0; p < kPrefixes.size(); ++p) {
      if (unit[0] != kPrefixes[p]) continue;
      std::string_view rest = std::string_view(unit).substr(1);
      if (rest.empty() || rest == "b" || rest == "ib") multiplier = std::pow(1024.0, p + 1);
    }
    if (multiplier == 0) return invalid();
  }
  double bytes = number * multiplier;
  if (bytes > 9.0e18) return invalid();
  return static_cast<int64_t>(std::llround(bytes));
}

}  // namespace fsspeckit::cli
