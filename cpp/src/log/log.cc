// fsspeckit: a process-wide log sink that the Python layer can redirect.
#include "fsspeckit/log/log.h"

#include <iostream>
#include <memory>
#include <mutex>

namespace fsspeckit::log {
namespace {

void StderrSink(LogLevel level, std::string_view message) {
  if (level < LogLevel::kWarning) return;
  std::cerr << "fsspeckit: " << (level == LogLevel::kError ? "error: " : "warning: ")
            << message << '\n';
}

// The sink is swapped rarely and read on every message: a shared_ptr copy under a
// mutex keeps a sink alive while a message is in flight on another thread.
std::mutex& SinkMutex() {
  static std::mutex mutex;
  return mutex;
}

std::shared_ptr<const LogSink>& CurrentSink() {
  static std::shared_ptr<const LogSink> sink = std::make_shared<const LogSink>(StderrSink);
  return sink;
}

}  // namespace

void SetLogSink(LogSink sink) {
  auto next = std::make_shared<const LogSink>(sink ? std::move(sink) : LogSink(StderrSink));
  std::lock_guard<std::mutex> lock(SinkMutex());
  CurrentSink() = std::move(next);
}

void Log(LogLevel level, std::string_view message) {
  std::shared_ptr<const LogSink> sink;
  {
    std::lock_guard<std::mutex> lock(SinkMutex());
    sink = CurrentSink();
  }
  (*sink)(level, message);
}

}  // namespace fsspeckit::log
