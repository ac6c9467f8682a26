// fsspeckit: parsing Linux pressure stall information for memory.
#include "fsspeckit/memory/psi.h"

#include <cstdlib>
#include <string>

namespace fsspeckit::memory {
namespace {

// The avg10 value of the line starting with `kind` ("some" or "full").
std::optional<double> Avg10(std::string_view text, std::string_view kind) {
  size_t pos = 0;
  while (pos < text.size()) {
    size_t eol = text.find('\n', pos);
    if (eol == std::string_view::npos) eol = text.size();
    std::string_view line = text.substr(pos, eol - pos);
    pos = eol + 1;
    if (!line.starts_with(kind)) continue;
    size_t at = line.find("avg10=");
    if (at == std::string_view::npos) return std::nullopt;
    std::string number(line.substr(at + 6, line.find(' ', at) - at - 6));
    char* end = nullptr;
    double value = std::strtod(number.c_str(), &end);
    if (end == number.c_str()) return std::nullopt;
    return value;
  }
  return std::nullopt;
}

}  // namespace

std::optional<PsiReading> ParsePsi(std::string_view text) {
  std::optional<double> some = Avg10(text, "some ");
  if (!some) return std::nullopt;
  return PsiReading{*some, Avg10(text, "full ").value_or(0.0)};
}

}  // namespace fsspeckit::memory
