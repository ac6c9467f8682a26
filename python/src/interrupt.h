// fsspeckit: Ctrl-C during a call that released the GIL, as a stop the C++ core polls.
#pragma once

#include <csignal>
#include <memory>
#include <string>

#include <arrow/status.h>
#include <arrow/util/cancel.h>

namespace fsspeckit::python {

/// Created and finished under the GIL around a call that releases it. On the main
/// thread, when Python handles SIGINT (its default handler or the caller's own), SIGINT
/// requests a stop on token() for the scope's life, at once (from the signal handler:
/// RequestStopFromSignal is async-signal-safe), instead of waiting unseen until the
/// call returns. Elsewhere, or nested in another scope, the token never stops.
class InterruptScope {
 public:
  InterruptScope();
  ~InterruptScope();
  InterruptScope(const InterruptScope&) = delete;
  InterruptScope& operator=(const InterruptScope&) = delete;

  arrow::StopToken token() const { return token_; }

  /// Ends the scope and hands a signal that arrived to Python's handler, as if it had
  /// arrived now: the default handler raises KeyboardInterrupt (thrown here as
  /// nanobind::python_error, with a note saying whether `operation` ("merge", "write")
  /// had committed, from `outcome`: OK means it had). A handler that does not raise
  /// leaves `outcome` to the caller (a cancelled operation still fails, with Cancelled).
  void Finish(const arrow::Status& outcome, const std::string& operation);

 private:
  void Unregister();
  std::unique_ptr<arrow::StopSource> source_;
  struct sigaction saved_ {};
  bool active_ = false;
  arrow::StopToken token_ = arrow::StopToken::Unstoppable();
};

}  // namespace fsspeckit::python
