// fsspeckit: parsing Linux pressure stall information for memory.
#include "memory/psi_internal.h"

#include <cstdlib>
#include <string>

#include "proc_file_internal.h"

namespace fsspeckit::memory {
namespace {

// The avg10 value of the line starting with `kind` ("some " or "full ").
std::optional<double> Avg10(std::string_view text, std::string_view kind) {
  std::optional<std::string_view> line = FindLine(text, kind);
  if (!line) return std::nullopt;
  size_t at = line->find("avg10=");
  if (at == std::string_view::npos) return std::nullopt;
  std::string number(line->substr(at + 6, line->find(' ', at) - at - 6));
  char* end = nullptr;
  double value = std::strtod(number.c_str(), &end);
  if (end == number.c_str()) return std::nullopt;
  return value;
}

}  // namespace

std::optional<PsiReading> ParsePsi(std::string_view text) {
  std::optional<double> some = Avg10(text, "some ");
  if (!some) return std::nullopt;
  return PsiReading{*some, Avg10(text, "full ").value_or(0.0)};
}

}  // namespace fsspeckit::memory
