// fsspeckit: one self-contained HTML file telling what memory did during an operation.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <arrow/status.h>

#include "fsspeckit/perf/performance_monitor.h"

namespace fsspeckit::perf {

/// What a report shows: a title, the operation's own facts (a merge's inserted and
/// updated rows, its files), and the metrics with their timeline.
struct ReportContent {
  std::string title;  ///< e.g. "fsspeckit merge: upsert into /data/orders"
  /// Name and value rows shown first in the summary, in order.
  std::vector<std::pair<std::string, std::string>> facts;
  PerformanceMetrics metrics;
};

/// "1,234,567": counts as reports and the CLI print them.
std::string WithThousands(int64_t n);

/// "143 (delete 6, list 5, read 87, ...)": the store requests of an operation, by kind
/// (MergeResult::requests, MaintenanceResult::requests), as its report's fact.
std::string RequestCountsText(const std::map<std::string, int64_t>& requests);

/// The report as one HTML document: a headline (did the budget hold, where memory
/// peaked, what the ladder did), an inline SVG chart of the Arrow pool, process RSS and
/// available memory over time with the budget lines, pressure-level bands, phases shaded
/// and degradation events marked, then the summary tables. No scripts, fonts or images
/// are fetched: the file can be mailed or opened offline.
std::string RenderHtmlReport(const ReportContent& content);

/// RenderHtmlReport() written to a local file; IOError naming the path on failure.
arrow::Status WriteHtmlReport(const ReportContent& content, const std::string& path);

}  // namespace fsspeckit::perf
