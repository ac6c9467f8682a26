// fsspeckit: a process-wide log sink that the Python layer can redirect.
#pragma once

#include <functional>
#include <string>
#include <string_view>

namespace fsspeckit::log {

enum class LogLevel : int { kDebug = 10, kInfo = 20, kWarning = 30, kError = 40 };

/// Receives every message at or above the sink's own filtering. Must be thread-safe:
/// it is called from whichever thread logs (scan and merge threads included).
using LogSink = std::function<void(LogLevel level, std::string_view message)>;

/// Replaces the sink. The default writes kWarning and above to stderr, so a C++ program
/// sees problems without configuring anything. Passing nullptr restores the default.
/// The Python package installs a sink that forwards to the `logging` module.
void SetLogSink(LogSink sink);

/// Sends one message to the current sink.
void Log(LogLevel level, std::string_view message);

}  // namespace fsspeckit::log
