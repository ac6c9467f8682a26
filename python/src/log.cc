// fsspeckit: forwards the C++ log sink to a Python callable (the logging module).
#include <memory>

#include <nanobind/nanobind.h>

#include "fsspeckit/log/log.h"
#include "init.h"
#include "py_object.h"

namespace nb = nanobind;

namespace fsspeckit::python {

void InitLog(nb::module_& m) {
  m.def(
      "set_log_sink",
      [](nb::object sink) {
        if (sink.is_none()) {
          log::SetLogSink(nullptr);
          return;
        }
        // The C++ sink may run on any thread: take the GIL for the call, and never
        // touch Python once the interpreter is finalising.
        std::shared_ptr<nb::object> holder = ShareWithThreads(std::move(sink));
        log::SetLogSink([holder](log::LogLevel level, std::string_view message) {
          if (!Py_IsInitialized()) return;
          nb::gil_scoped_acquire gil;
          try {
            (*holder)(static_cast<int>(level), nb::str(message.data(), message.size()));
          } catch (nb::python_error& e) {
            e.discard_as_unraisable("fsspeckit log sink");
          }
        });
      },
      nb::arg("sink").none(),
      "Routes fsspeckit's C++ log messages to sink(level: int, message: str) (levels are "
      "the logging module's); None restores the default (warnings to stderr).");
}

}  // namespace fsspeckit::python
