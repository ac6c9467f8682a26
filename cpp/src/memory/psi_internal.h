// fsspeckit: parsing Linux pressure stall information for memory.
#pragma once

#include <optional>
#include <string_view>

#include "fsspeckit/memory/memory_snapshot.h"

namespace fsspeckit::memory {

/// Parses /proc/pressure/memory ("some avg10=0.12 avg60=... total=..." and a "full"
/// line). Absent if the "some" line is missing or malformed; a missing "full" line (old
/// kernels) reads as 0.
std::optional<PsiReading> ParsePsi(std::string_view text);

}  // namespace fsspeckit::memory
