// fsspeckit: memory readings from Linux procfs and cgroupfs through kept-open files.
#include "fsspeckit/memory/procfs_memory_source.h"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <mutex>

#include <arrow/memory_pool.h>

#include "memory/cgroup_internal.h"
#include "memory/psi_internal.h"
#include "fsspeckit/memory/steady_clock.h"
#include "fsspeckit/memory/operation_pool.h"
#include "proc_file_internal.h"

namespace fsspeckit::memory {

struct ProcfsMemorySource::Files {
  std::optional<ProcFile> statm;
  std::optional<ProcFile> meminfo;
  std::optional<ProcFile> psi;
  std::unique_ptr<CgroupMemoryReader> cgroup;
  int64_t page_bytes = 4096;

  std::mutex slow_mutex;  // guards the slow readings below
  std::optional<int64_t> slow_read_at_ns;
  std::optional<PsiReading> psi_reading;
  // The last MemAvailable read, with MemTotal, this process's RSS and the time then.
  struct Available {
    int64_t bytes = 0, total_bytes = 0, rss_bytes = 0, read_at_ns = 0;
  };
  std::optional<Available> available;
};

ProcfsMemorySource::ProcfsMemorySource(arrow::MemoryPool* pool, std::unique_ptr<Files> files,
                                       int64_t slow_refresh_ms)
    : pool_(pool), files_(std::move(files)), slow_refresh_ns_(slow_refresh_ms * 1'000'000) {}

ProcfsMemorySource::~ProcfsMemorySource() = default;

std::unique_ptr<ProcfsMemorySource> ProcfsMemorySource::Open(
    ProcfsMemorySourceOptions options) {
  auto files = std::make_unique<Files>();
  const std::string& proc = options.proc_root;
  files->statm = ProcFile::Open(proc + "/self/statm");
  files->meminfo = ProcFile::Open(proc + "/meminfo");
  files->psi = ProcFile::Open(proc + "/pressure/memory");
  std::optional<std::string> cgroup = ReadSmallFile(proc + "/self/cgroup");
  std::optional<std::string> mountinfo = ReadSmallFile(proc + "/self/mountinfo");
  if (cgroup && mountinfo) {
    files->cgroup = CgroupMemoryReader::Open(ResolveMemoryCgroupDirs(*cgroup, *mountinfo));
  }
  long page = ::sysconf(_SC_PAGESIZE);
  if (page > 0) files->page_bytes = page;
  arrow::MemoryPool* pool = options.pool ? options.pool : OperationPool();
  return std::unique_ptr<ProcfsMemorySource>(
      new ProcfsMemorySource(pool, std::move(files), options.slow_refresh_ms));
}

int64_t ProcfsMemorySource::ReadPoolBytes() { return pool_->bytes_allocated(); }

SystemReadings ProcfsMemorySource::ReadSystem() {
  SystemReadings readings;
  std::array<char, 4096> buffer;
  if (files_->statm) {
    // statm: size resident shared text lib data dt, in pages.
    if (std::optional<std::string_view> text = files_->statm->Read(buffer)) {
      size_t space = text->find(' ');
      if (space != std::string_view::npos) {
        if (std::optional<int64_t> pages = ParseInt(text->substr(space + 1))) {
          readings.rss_bytes = *pages * files_->page_bytes;
        }
      }
    }
  }
  int64_t now_ns = SteadyNowNs();
  std::lock_guard<std::mutex> lock(files_->slow_mutex);
  readings.mem_available_bytes = ReadAvailable(readings.rss_bytes, now_ns, buffer);
  bool refresh_slow =
      !files_->slow_read_at_ns || now_ns - *files_->slow_read_at_ns >= slow_refresh_ns_;
  if (refresh_slow) {
    files_->slow_read_at_ns = now_ns;
    if (files_->psi) {
      std::optional<std::string_view> text = files_->psi->Read(buffer);
      files_->psi_reading = text ? ParsePsi(*text) : std::nullopt;
    }
  }
  readings.psi = files_->psi_reading;
  if (files_->cgroup) readings.cgroup = files_->cgroup->Read(refresh_slow);
  return readings;
}

// /proc/meminfo costs about 50 us to generate cold (the kernel sums per-CPU counters),
// more than every other reading together. While more than half of MemTotal is
// available, MemAvailable is re-read on the slow cadence and meanwhile this process's own
// RSS growth since the read is subtracted from it; nearer the floor, every call re-reads.
std::optional<int64_t> ProcfsMemorySource::ReadAvailable(std::optional<int64_t> rss_bytes,
                                                         int64_t now_ns,
                                                         std::array<char, 4096>& buffer) {
  std::optional<Files::Available>& last = files_->available;
  if (last && rss_bytes && now_ns - last->read_at_ns < slow_refresh_ns_) {
    const int64_t estimate = last->bytes - std::max<int64_t>(0, *rss_bytes - last->rss_bytes);
    if (estimate > last->total_bytes / 2) return estimate;
  }
  last.reset();
  if (!files_->meminfo) return std::nullopt;
  std::optional<std::string_view> text = files_->meminfo->Read(buffer);
  if (!text) return std::nullopt;
  std::optional<int64_t> available_kib = FindField(*text, "MemAvailable");
  if (!available_kib) return std::nullopt;
  std::optional<int64_t> total_kib = FindField(*text, "MemTotal");
  if (total_kib && rss_bytes) {
    last = Files::Available{*available_kib * 1024, *total_kib * 1024, *rss_bytes, now_ns};
  }
  return *available_kib * 1024;
}

}  // namespace fsspeckit::memory
