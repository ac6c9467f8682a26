// fsspeckit: byte counts as people read them, each format written once.
#pragma once

#include <cstdint>
#include <string>

namespace fsspeckit::memory {

/// A limit in MiB as the user wrote it, no unit: 2048 MiB "2048", half a MiB "0.5".
std::string LimitMibText(int64_t bytes);

/// MiB with one decimal, no unit: "512.0" (the original's status strings).
std::string MibOneDecimalText(int64_t bytes);

/// MiB with a unit, as charts and messages show them: "216 MiB", "1.5 MiB" below 10.
std::string MibText(int64_t bytes);

/// The unit that keeps the number below 1024: "100 B", "512.0 MiB", "1.50 GiB".
std::string ByteSizeText(int64_t bytes);

}  // namespace fsspeckit::memory
