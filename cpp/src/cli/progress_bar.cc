// fsspeckit: the CLI's one-line progress bar.
#include "cli/progress_bar_internal.h"

#include <cstdio>
#include <string>

#include "fsspeckit/perf/html_report.h"

namespace fsspeckit::cli {

void ProgressBar::Update(int64_t done, int64_t total) {
  auto now = std::chrono::steady_clock::now();
  if (done < total && now - last_ < std::chrono::milliseconds(100)) return;
  last_ = now;
  constexpr int kWidth = 30;
  int filled = total > 0 ? static_cast<int>(kWidth * done / total) : kWidth;
  char line[160];
  std::snprintf(line, sizeof(line), "\r[%-*s] %3d%%  %s/%s rows  memory: %-9s", kWidth,
                std::string(filled, '#').c_str(),
                total > 0 ? static_cast<int>(100 * done / total) : 100,
                perf::WithThousands(done).c_str(), perf::WithThousands(total).c_str(),
                std::string(memory::PressureLevelName(monitor_.Level())).c_str());
  err_ << line << std::flush;
  drawn_ = true;
}

void ProgressBar::Finish() {
  if (drawn_) err_ << "\n";
}

std::function<arrow::Status(int64_t, int64_t)> ProgressBar::Callback(bool quiet) {
  if (quiet) return nullptr;
  return [this](int64_t done, int64_t total) {
    Update(done, total);
    return arrow::Status::OK();
  };
}

arrow::Result<std::shared_ptr<memory::MemoryMonitor>> WatchLimits(const memory::MemoryLimits& limits) {
  ARROW_RETURN_NOT_OK(limits.Validate());
  return memory::MemoryMonitor::Make({limits});
}

}  // namespace fsspeckit::cli
