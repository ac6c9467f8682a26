// fsspeckit: a maintenance run's HTML report with its own facts.
#include "fsspeckit/maintenance/maintenance_report.h"

#include "fsspeckit/memory/byte_text.h"

namespace fsspeckit::maintenance {

perf::ReportContent MaintenanceReportContent(const MaintenanceResult& result,
                                             const std::string& dataset_path) {
  perf::ReportContent content;
  content.title = "fsspeckit " + std::string(OperationName(result.operation)) + ": " + dataset_path;
  auto arrow = [](int64_t before, int64_t after) {
    return perf::WithThousands(before) + " \u2192 " + perf::WithThousands(after);
  };
  content.facts = {
      {"outcome", result.succeeded ? "succeeded" : "failed in " + result.failed_phase},
      {"files", arrow(result.files_before, result.files_after)},
      {"bytes", memory::ByteSizeText(result.bytes_before) + " \u2192 " +
                    memory::ByteSizeText(result.bytes_after)},
      {"rows", arrow(result.rows_before, result.rows_after)},
      {"row groups copied raw", perf::WithThousands(result.row_groups_copied)},
      {"row groups encoded", perf::WithThousands(result.row_groups_encoded)},
  };
  if (!result.requests.empty()) {
    content.facts.emplace_back("store requests", perf::RequestCountsText(result.requests));
  }
  if (!result.succeeded) content.facts.emplace_back("error", result.status.message());
  content.metrics = result.metrics;
  return content;
}

arrow::Status WriteMaintenanceReport(const MaintenanceResult& result, const std::string& dataset_path,
                                     const std::string& report_path) {
  return perf::WriteHtmlReport(MaintenanceReportContent(result, dataset_path), report_path);
}

}  // namespace fsspeckit::maintenance
