// fsspeckit: the CLI entry point for the `fsspeckit` console script.
#include <iostream>

#include <nanobind/nanobind.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include "fsspeckit/cli/cli.h"
#include "init.h"

namespace nb = nanobind;

namespace fsspeckit::python {

void InitCli(nb::module_& m) {
  m.def(
      "run_cli",
      [](const std::vector<std::string>& args) {
        return cli::RunCli(args, std::cout, std::cerr);
      },
      nb::arg("args"), nb::call_guard<nb::gil_scoped_release>(),
      "Runs `fsspeckit <args>` writing to the process's stdout/stderr; returns the exit "
      "code.");
}

}  // namespace fsspeckit::python
