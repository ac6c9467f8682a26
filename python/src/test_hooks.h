// fsspeckit: the crash points and lease timing a test installs in this process
// (_core._set_test_hooks), handed to the core through options by the bindings.
#pragma once

#include <memory>

#include <nanobind/nanobind.h>

#include "fsspeckit/io/test_hooks.h"

namespace fsspeckit::python {

/// What _set_test_hooks installed; nullptr (production) until a test calls it.
std::shared_ptr<const io::TestHooks> InstalledTestHooks();

void InitTestHooks(nanobind::module_& m);

}  // namespace fsspeckit::python
