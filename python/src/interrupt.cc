// fsspeckit: Ctrl-C during a call that released the GIL, as a stop the C++ core polls.
#include "interrupt.h"

#include <atomic>

#include <arrow/util/io_util.h>
#include <nanobind/nanobind.h>
#include <nanobind/stl/string.h>

namespace nb = nanobind;

namespace fsspeckit::python {
namespace {

// The active scope's source; the handler only reads it (async-signal-safe).
std::atomic<arrow::StopSource*> active_source{nullptr};

void RequestStop(int signum) {
  if (arrow::StopSource* source = active_source.load()) source->RequestStopFromSignal(signum);
}

// SIGINT reaches Python code only on the main thread, and only when a Python handler
// is installed (not SIG_IGN or SIG_DFL).
bool PythonHandlesSigint() {
  nb::module_ threading = nb::module_::import_("threading");
  if (!threading.attr("current_thread")().is(threading.attr("main_thread")())) return false;
  nb::object handler = nb::module_::import_("signal").attr("getsignal")(SIGINT);
  return PyCallable_Check(handler.ptr()) != 0;
}

}  // namespace

InterruptScope::InterruptScope() {
  if (!PythonHandlesSigint()) return;
  source_ = std::make_unique<arrow::StopSource>();
  arrow::StopSource* none = nullptr;
  if (!active_source.compare_exchange_strong(none, source_.get())) return;  // nested
  struct sigaction action {};
  action.sa_handler = RequestStop;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;  // the core's I/O goes on; it polls the token instead
  if (sigaction(SIGINT, &action, &saved_) != 0) {
    active_source.store(nullptr);
    return;
  }
  active_ = true;
  token_ = source_->token();
}

InterruptScope::~InterruptScope() { Unregister(); }

void InterruptScope::Unregister() {
  if (!active_) return;
  active_ = false;
  sigaction(SIGINT, &saved_, nullptr);  // Python's own handler is back
  active_source.store(nullptr);
}

void InterruptScope::Finish(const arrow::Status& outcome, const std::string& operation) {
  Unregister();
  arrow::Status stop = token_.Poll();
  if (stop.ok()) return;
  int signum = arrow::internal::SignalFromStatus(stop);
  if (PyErr_SetInterruptEx(signum > 0 ? signum : SIGINT) != 0 || PyErr_CheckSignals() == 0) {
    return;  // the handler did not raise: the caller reports `outcome`
  }
  nb::python_error error;  // what the handler raised (KeyboardInterrupt by default)
  std::string note;
  if (outcome.ok()) {
    note = "fsspeckit: the " + operation +
           " had committed when the interrupt arrived: the dataset holds its result";
  } else if (outcome.IsCancelled()) {
    note = "fsspeckit: the " + operation +
           " was cancelled before its commit: the dataset is unchanged";
  }
  if (!note.empty() && nb::hasattr(error.value(), "add_note")) error.value().attr("add_note")(note);
  throw error;
}

}  // namespace fsspeckit::python
