// fsspeckit: a merge's HTML report (perf/html_report.h) with the merge's own facts.
#pragma once

#include <string>

#include <arrow/status.h>

#include "fsspeckit/merge/merge.h"
#include "fsspeckit/perf/html_report.h"

namespace fsspeckit::merge {

/// The report of `result`, a merge into the dataset at `dataset_path`: rows inserted
/// and updated, files rewritten, inserted and untouched, above the memory story.
perf::ReportContent MergeReportContent(const MergeResult& result, const std::string& dataset_path);

/// MergeReportContent() written as HTML to the local file `report_path`.
arrow::Status WriteMergeReport(const MergeResult& result, const std::string& dataset_path,
                               const std::string& report_path);

}  // namespace fsspeckit::merge
