// fsspeckit: a merge's HTML report (perf/html_report.h) with the merge's own facts.
#include "fsspeckit/merge/merge_report.h"

namespace fsspeckit::merge {
perf::ReportContent MergeReportContent(const MergeResult& result, const std::string& dataset_path) {
  perf::ReportContent content;
  content.title = "fsspeckit merge: " + std::string(StrategyName(result.strategy)) + " into " + dataset_path;
  content.facts = {
      {"source rows", perf::WithThousands(result.source_count)},
      {"rows inserted", perf::WithThousands(result.inserted)},
      {"keys updated", perf::WithThousands(result.updated)},
      {"files rewritten", perf::WithThousands(static_cast<int64_t>(result.rewritten_files.size()))},
      {"files inserted", perf::WithThousands(static_cast<int64_t>(result.inserted_files.size()))},
      {"files untouched", perf::WithThousands(static_cast<int64_t>(result.preserved_files.size()))},
      {"dataset rows", perf::WithThousands(result.target_count_before) + " \u2192 " +
                           perf::WithThousands(result.target_count_after)},
  };
  if (result.keys_in_several_files > 0) {
    content.facts.emplace_back("keys found in several files", perf::WithThousands(result.keys_in_several_files));
  }
  if (!result.requests.empty()) {
    content.facts.emplace_back("store requests", perf::RequestCountsText(result.requests));
  }
  content.metrics = result.metrics;
  return content;
}

arrow::Status WriteMergeReport(const MergeResult& result, const std::string& dataset_path,
                               const std::string& report_path) {
  return perf::WriteHtmlReport(MergeReportContent(result, dataset_path), report_path);
}

}  // namespace fsspeckit::merge
