#include "fsspeckit/memory/procfs_memory_source.h"
#include "fsspeckit/memory/operation_pool.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <arrow/buffer.h>
#include <arrow/memory_pool.h>

#include "testing/fake_memory_source.h"
#include "testing/status_assertions.h"
#include "testing/temp_dir.h"

namespace fsspeckit::memory {
namespace {

using fsspeckit::testing::MiB;
using fsspeckit::testing::TempDir;

TEST(ProcfsMemorySourceTest, ReadsEverySignalFromAFixtureTree) {
  TempDir tmp;
  const std::string cg = tmp.path() + "/cgroup2";
  tmp.Write("proc/self/statm", "1000 256 10 1 0 100 0\n");
  tmp.Write("proc/meminfo",
            "MemTotal:       24000000 kB\nMemFree:        1000 kB\n"
            "MemAvailable:    2097152 kB\nBuffers: 1 kB\n");
  tmp.Write("proc/pressure/memory",
            "some avg10=3.50 avg60=0.00 avg300=0.00 total=10\n"
            "full avg10=1.00 avg60=0.00 avg300=0.00 total=5\n");
  tmp.Write("proc/self/cgroup", "0::/job\n");
  tmp.Write("proc/self/mountinfo", "41 31 0:38 / " + cg + " rw - cgroup2 cgroup2 rw\n");
  tmp.Write("cgroup2/job/memory.max", std::to_string(MiB(1024)) + "\n");
  tmp.Write("cgroup2/job/memory.high", "max\n");
  tmp.Write("cgroup2/job/memory.current", std::to_string(MiB(512)) + "\n");
  tmp.Write("cgroup2/job/memory.stat", "inactive_file " + std::to_string(MiB(128)) + "\n");

  auto source = ProcfsMemorySource::Open({nullptr, tmp.path() + "/proc", /*slow_refresh_ms=*/60'000});
  SystemReadings readings = source->ReadSystem();
  EXPECT_EQ(readings.rss_bytes, 256 * ::sysconf(_SC_PAGESIZE));
  EXPECT_EQ(readings.mem_available_bytes, MiB(2048));
  ASSERT_TRUE(readings.psi.has_value());
  EXPECT_DOUBLE_EQ(readings.psi->some_avg10, 3.5);
  EXPECT_DOUBLE_EQ(readings.psi->full_avg10, 1.0);
  ASSERT_TRUE(readings.cgroup.has_value());
  EXPECT_EQ(readings.cgroup->path, cg + "/job");
  EXPECT_EQ(readings.cgroup->headroom_bytes(), MiB(1024 - 512 + 128));
  // The container is tighter than MemAvailable.
  EXPECT_EQ(SystemAvailableBytes(readings), MiB(640));

  // Fast readings follow every change; PSI and limits wait for the slow refresh.
  tmp.Write("proc/self/statm", "1000 512 10 1 0 100 0\n");
  tmp.Write("proc/pressure/memory", "some avg10=9.00 avg60=0 avg300=0 total=1\n");
  tmp.Write("cgroup2/job/memory.max", std::to_string(MiB(2048)) + "\n");
  tmp.Write("cgroup2/job/memory.current", std::to_string(MiB(600)) + "\n");
  readings = source->ReadSystem();
  EXPECT_EQ(readings.rss_bytes, 512 * ::sysconf(_SC_PAGESIZE));
  EXPECT_EQ(readings.cgroup->usage_bytes, MiB(600));
  EXPECT_EQ(readings.cgroup->limit_bytes, MiB(1024));
  EXPECT_DOUBLE_EQ(readings.psi->some_avg10, 3.5);
  auto eager = ProcfsMemorySource::Open({nullptr, tmp.path() + "/proc", /*slow_refresh_ms=*/0});
  readings = eager->ReadSystem();
  EXPECT_EQ(readings.cgroup->limit_bytes, MiB(2048));
  EXPECT_DOUBLE_EQ(readings.psi->some_avg10, 9.0);
}

TEST(ProcfsMemorySourceTest, MemAvailableWaitsForTheSlowRefreshOnlyWhileMemoryIsPlentiful) {
  TempDir tmp;
  const int64_t page = ::sysconf(_SC_PAGESIZE);
  auto meminfo = [&](int64_t available_mib) {
    tmp.Write("proc/meminfo", "MemTotal: " + std::to_string(1024 * 1024) + " kB\nMemAvailable: " +
                                  std::to_string(available_mib * 1024) + " kB\n");
  };
  tmp.Write("proc/self/statm", "1000 256 10 1 0 100 0\n");
  meminfo(800);  // of 1024 MiB: plenty
  auto source = ProcfsMemorySource::Open({nullptr, tmp.path() + "/proc", /*slow_refresh_ms=*/60'000});
  EXPECT_EQ(source->ReadSystem().mem_available_bytes, MiB(800));

  // Plenty left: meminfo is not re-read, but this process's own growth is subtracted.
  meminfo(700);
  tmp.Write("proc/self/statm", "1000 " + std::to_string(256 + MiB(100) / page) + " 10 1 0 100 0\n");
  EXPECT_EQ(source->ReadSystem().mem_available_bytes, MiB(700));
  meminfo(650);
  EXPECT_EQ(source->ReadSystem().mem_available_bytes, MiB(700));

  // The estimate at or under half of MemTotal: every reading goes to the kernel.
  tmp.Write("proc/self/statm", "1000 " + std::to_string(256 + MiB(300) / page) + " 10 1 0 100 0\n");
  meminfo(400);
  EXPECT_EQ(source->ReadSystem().mem_available_bytes, MiB(400));
  meminfo(390);
  EXPECT_EQ(source->ReadSystem().mem_available_bytes, MiB(390));

  // Without the slow cadence every reading is fresh.
  auto eager = ProcfsMemorySource::Open({nullptr, tmp.path() + "/proc", /*slow_refresh_ms=*/0});
  meminfo(900);
  EXPECT_EQ(eager->ReadSystem().mem_available_bytes, MiB(900));
  meminfo(880);
  EXPECT_EQ(eager->ReadSystem().mem_available_bytes, MiB(880));
}

TEST(ProcfsMemorySourceTest, MissingFilesAreAbsentReadings) {
  TempDir tmp;
  auto source = ProcfsMemorySource::Open({nullptr, tmp.path()});
  SystemReadings readings = source->ReadSystem();
  EXPECT_FALSE(readings.rss_bytes.has_value());
  EXPECT_FALSE(readings.mem_available_bytes.has_value());
  EXPECT_FALSE(readings.psi.has_value());
  EXPECT_FALSE(readings.cgroup.has_value());
  EXPECT_FALSE(SystemAvailableBytes(readings).has_value());
}

TEST(ProcfsMemorySourceTest, RealProcfsTracksRealAllocations) {
  auto source = ProcfsMemorySource::Open();
  SystemReadings before = source->ReadSystem();
  ASSERT_TRUE(before.rss_bytes.has_value());
  ASSERT_TRUE(before.mem_available_bytes.has_value());
  EXPECT_GT(*before.rss_bytes, 0);
  EXPECT_GT(*before.mem_available_bytes, 0);

  const int64_t pool_before = source->ReadPoolBytes();
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<arrow::Buffer> buffer,
                       arrow::AllocateBuffer(MiB(64)));
  std::memset(buffer->mutable_data(), 1, buffer->size());  // touch every page
  EXPECT_EQ(source->ReadPoolBytes() - pool_before, MiB(64));
  EXPECT_EQ(source->ReadPoolBytes(), OperationPool()->bytes_allocated());
  SystemReadings after = source->ReadSystem();
  // RSS counters are batched per CPU, so allow slack; 64 MiB touched must show.
  EXPECT_GT(*after.rss_bytes - *before.rss_bytes, MiB(48));
}

}  // namespace
}  // namespace fsspeckit::memory
