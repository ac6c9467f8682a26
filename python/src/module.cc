// fsspeckit: the private native module fsspeckit._core.
#include <arrow/compute/initialize.h>
#include <arrow/config.h>
#include <arrow/dataset/plan.h>
#include <arrow/util/config.h>
#include <nanobind/nanobind.h>

#include "fsspeckit/memory/operation_pool.h"

#include "arrow_stream.h"
#include "errors.h"
#include "init.h"

namespace nb = nanobind;

NB_MODULE(_core, m) {
  // The extension must share pyarrow's libarrow: a different major.minor at run time
  // would mean two Arrow copies (two pools, two registries).
  const arrow::BuildInfo& info = arrow::GetBuildInfo();
  if (info.version_major != ARROW_VERSION_MAJOR || info.version_minor != ARROW_VERSION_MINOR) {
    throw nb::import_error(
        ("fsspeckit._core was compiled against Arrow " ARROW_VERSION_STRING
         " but libarrow " + info.version_string +
         " is loaded; install pyarrow==" + std::to_string(ARROW_VERSION_MAJOR) + "." +
         std::to_string(ARROW_VERSION_MINOR) + ".* or rebuild fsspeckit")
            .c_str());
  }
  // Since Arrow 21 most kernels are registered only by this call.
  fsspeckit::python::ThrowIfError(arrow::compute::Initialize());
  arrow::dataset::internal::Initialize();
  // Chosen once, before any operation's threads run.
  (void)fsspeckit::memory::OperationPool();

  m.attr("ARROW_VERSION") = ARROW_VERSION_STRING;
  m.attr("PYARROW_BUILD_VERSION") = FSSPECKIT_PYARROW_VERSION;
  fsspeckit::python::InitErrors(m);
  fsspeckit::python::InitLog(m);
  fsspeckit::python::InitMemory(m);
  fsspeckit::python::InitPerf(m);
  fsspeckit::python::InitArrowStream(m);
  fsspeckit::python::InitScan(m);
  fsspeckit::python::InitIo(m);
  fsspeckit::python::InitMerge(m);
  fsspeckit::python::InitMaintenance(m);
  fsspeckit::python::InitMaintenanceTasks(m);
  fsspeckit::python::InitTableMerge(m);
  fsspeckit::python::InitCli(m);
  fsspeckit::python::InitAtomicStore(m);
  fsspeckit::python::InitSignatures(m);
  fsspeckit::python::InitTestHooks(m);
}
