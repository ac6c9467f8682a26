// fsspeckit: one Init function per bound area, called from module.cc.
#pragma once

#include <nanobind/nanobind.h>

namespace fsspeckit::python {

void InitAtomicStore(nanobind::module_& m);
void InitCli(nanobind::module_& m);
void InitIo(nanobind::module_& m);
void InitLog(nanobind::module_& m);
void InitMaintenance(nanobind::module_& m);
void InitMaintenanceTasks(nanobind::module_& m);
void InitMemory(nanobind::module_& m);
void InitMerge(nanobind::module_& m);
void InitPerf(nanobind::module_& m);
void InitScan(nanobind::module_& m);
void InitSignatures(nanobind::module_& m);
void InitTableMerge(nanobind::module_& m);
void InitTestHooks(nanobind::module_& m);

}  // namespace fsspeckit::python
