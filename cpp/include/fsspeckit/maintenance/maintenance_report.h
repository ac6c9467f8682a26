// fsspeckit: a maintenance run's HTML report (perf/html_report.h) with its own facts.
#pragma once

#include <string>

#include <arrow/status.h>

#include "fsspeckit/maintenance/maintenance.h"
#include "fsspeckit/perf/html_report.h"

namespace fsspeckit::maintenance {

/// The report of `result`, a run on the dataset at `dataset_path`: files, bytes and rows
/// before and after, row groups copied and encoded, above the memory story.
perf::ReportContent MaintenanceReportContent(const MaintenanceResult& result,
                                             const std::string& dataset_path);

/// MaintenanceReportContent() written as HTML to the local file `report_path`.
arrow::Status WriteMaintenanceReport(const MaintenanceResult& result, const std::string& dataset_path,
                                     const std::string& report_path);

}  // namespace fsspeckit::maintenance
