#include "fsspeckit/memory/cgroup.h"

#include <gtest/gtest.h>

#include "testing/fake_memory_source.h"
#include "testing/temp_dir.h"

namespace fsspeckit::memory {
namespace {

using fsspeckit::testing::MiB;
using fsspeckit::testing::TempDir;

std::string Mountinfo(const std::string& v1_memory_mount, const std::string& v2_mount,
                      const std::string& v1_root = "/") {
  std::string text = "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n";
  text += "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n";
  if (!v1_memory_mount.empty()) {
    text += "35 31 0:32 " + v1_root + " " + v1_memory_mount +
            " rw,relatime shared:9 - cgroup cgroup rw,memory\n";
  }
  if (!v2_mount.empty()) {
    text += "41 31 0:38 / " + v2_mount + " rw,relatime - cgroup2 cgroup2 rw\n";
  }
  return text;
}

TEST(ResolveCgroupTest, HybridV1MemoryControllerWinsAndWalksToTheRoot) {
  auto dirs = ResolveMemoryCgroupDirs(
      "9:name=systemd:/\n4:memory:/process_api/abc\n0::/\n",
      Mountinfo("/sys/fs/cgroup/memory", "/sys/fs/cgroup/unified"));
  ASSERT_EQ(dirs.size(), 3u);
  EXPECT_EQ(dirs[0].version, 1);
  EXPECT_EQ(dirs[0].path, "/sys/fs/cgroup/memory/process_api/abc");
  EXPECT_EQ(dirs[1].path, "/sys/fs/cgroup/memory/process_api");
  EXPECT_EQ(dirs[2].path, "/sys/fs/cgroup/memory");
}

TEST(ResolveCgroupTest, PureV2UsesTheUnifiedHierarchy) {
  auto dirs = ResolveMemoryCgroupDirs("0::/user.slice/app.scope\n",
                                      Mountinfo("", "/sys/fs/cgroup"));
  ASSERT_EQ(dirs.size(), 3u);
  EXPECT_EQ(dirs[0].version, 2);
  EXPECT_EQ(dirs[0].path, "/sys/fs/cgroup/user.slice/app.scope");
  EXPECT_EQ(dirs[2].path, "/sys/fs/cgroup");
}

TEST(ResolveCgroupTest, ContainerMountOfASubtreeStripsTheMountRoot) {
  // Docker without a cgroup namespace: the container's own cgroup is mounted as root.
  auto dirs = ResolveMemoryCgroupDirs("4:memory:/docker/f00\n",
                                      Mountinfo("/sys/fs/cgroup/memory", "", "/docker/f00"));
  ASSERT_EQ(dirs.size(), 1u);
  EXPECT_EQ(dirs[0].path, "/sys/fs/cgroup/memory");
}

TEST(ResolveCgroupTest, EscapedMountPointsAreDecoded) {
  auto dirs = ResolveMemoryCgroupDirs("0::/a\n", Mountinfo("", "/tmp/my\\040cgroup"));
  ASSERT_EQ(dirs.size(), 2u);
  EXPECT_EQ(dirs[0].path, "/tmp/my cgroup/a");
}

TEST(ResolveCgroupTest, NoMemoryControllerMeansNoDirs) {
  EXPECT_TRUE(ResolveMemoryCgroupDirs("4:memory:/x\n", Mountinfo("", "")).empty());
  EXPECT_TRUE(ResolveMemoryCgroupDirs("", Mountinfo("/sys/fs/cgroup/memory", "")).empty());
  // Our cgroup is outside the mounted subtree.
  EXPECT_TRUE(ResolveMemoryCgroupDirs("4:memory:/other\n",
                                      Mountinfo("/m", "", "/docker/f00"))
                  .empty());
}

TEST(CgroupLimitTest, UnlimitedSpellings) {
  EXPECT_FALSE(ParseCgroupLimit("max\n").has_value());
  EXPECT_FALSE(ParseCgroupLimit("9223372036854771712\n").has_value());
  EXPECT_FALSE(ParseCgroupLimit("").has_value());
  EXPECT_EQ(ParseCgroupLimit("1073741824\n"), int64_t{1} << 30);
}

class CgroupReaderTest : public ::testing::Test {
 protected:
  TempDir tmp_;
  std::string Dir(const std::string& relative) { return tmp_.path() + "/" + relative; }
};

TEST_F(CgroupReaderTest, V2NestedLimitsReportTheTightestLevel) {
  // parent: 4 GiB limit, 3.5 GiB used of which 1 GiB inactive cache -> 1.5 GiB headroom
  tmp_.Write("parent/memory.max", std::to_string(MiB(4096)) + "\n");
  tmp_.Write("parent/memory.high", "max\n");
  tmp_.Write("parent/memory.current", std::to_string(MiB(3584)) + "\n");
  tmp_.Write("parent/memory.stat", "anon 1\nfile 2\ninactive_file " +
                                       std::to_string(MiB(1024)) + "\nactive_file 5\n");
  // leaf: unlimited max but memory.high 8 GiB with little use -> big headroom
  tmp_.Write("parent/leaf/memory.max", "max\n");
  tmp_.Write("parent/leaf/memory.high", std::to_string(MiB(8192)) + "\n");
  tmp_.Write("parent/leaf/memory.current", std::to_string(MiB(100)) + "\n");
  tmp_.Write("parent/leaf/memory.stat", "inactive_file 0\n");
  auto reader = CgroupMemoryReader::Open({{2, Dir("parent/leaf")}, {2, Dir("parent")}});
  ASSERT_NE(reader, nullptr);
  CgroupReading reading = reader->Read();
  EXPECT_EQ(reading.version, 2);
  EXPECT_EQ(reading.path, Dir("parent"));
  EXPECT_EQ(reading.limit_bytes, MiB(4096));
  EXPECT_EQ(reading.usage_bytes, MiB(3584));
  EXPECT_EQ(reading.reclaimable_bytes, MiB(1024));
  EXPECT_EQ(reading.headroom_bytes(), MiB(1536));

  // The files are kept open and re-read: usage changes show up on every Read(), limit
  // changes when the limits are refreshed.
  tmp_.Write("parent/memory.current", std::to_string(MiB(3600)) + "\n");
  tmp_.Write("parent/leaf/memory.high", std::to_string(MiB(200)) + "\n");
  reading = reader->Read(/*refresh_limits=*/false);
  EXPECT_EQ(reading.path, Dir("parent"));
  EXPECT_EQ(reading.usage_bytes, MiB(3600));
  reading = reader->Read(/*refresh_limits=*/true);
  EXPECT_EQ(reading.path, Dir("parent/leaf"));
  EXPECT_EQ(reading.headroom_bytes(), MiB(100));
}

TEST_F(CgroupReaderTest, V1UsesHierarchicalInactiveFile) {
  tmp_.Write("memory.limit_in_bytes", "9223372036854771712\n");
  tmp_.Write("memory.usage_in_bytes", "1\n");
  tmp_.Write("box/memory.limit_in_bytes", std::to_string(MiB(1024)) + "\n");
  tmp_.Write("box/memory.usage_in_bytes", std::to_string(MiB(900)) + "\n");
  tmp_.Write("box/memory.stat", "cache 1\nrss 2\ninactive_file 7\ntotal_inactive_file " +
                                    std::to_string(MiB(300)) + "\n");
  auto reader = CgroupMemoryReader::Open({{1, Dir("box")}, {1, tmp_.path()}});
  ASSERT_NE(reader, nullptr);
  CgroupReading reading = reader->Read();
  EXPECT_EQ(reading.version, 1);
  EXPECT_EQ(reading.limit_bytes, MiB(1024));
  EXPECT_EQ(reading.headroom_bytes(), MiB(1024) - MiB(600));
}

TEST_F(CgroupReaderTest, UnlimitedPathReportsOwnUsageWithoutLimit) {
  tmp_.Write("memory.limit_in_bytes", "9223372036854771712\n");
  tmp_.Write("memory.usage_in_bytes", "5\n");
  tmp_.Write("me/memory.limit_in_bytes", "9223372036854771712\n");
  tmp_.Write("me/memory.usage_in_bytes", std::to_string(MiB(42)) + "\n");
  auto reader = CgroupMemoryReader::Open({{1, Dir("me")}, {1, tmp_.path()}});
  ASSERT_NE(reader, nullptr);
  CgroupReading reading = reader->Read();
  EXPECT_FALSE(reading.limit_bytes.has_value());
  EXPECT_FALSE(reading.headroom_bytes().has_value());
  EXPECT_EQ(reading.usage_bytes, MiB(42));
  EXPECT_EQ(reading.path, Dir("me"));
  // Informational only: re-read with the limits, not on every call.
  tmp_.Write("me/memory.usage_in_bytes", std::to_string(MiB(43)) + "\n");
  EXPECT_EQ(reader->Read(/*refresh_limits=*/false).usage_bytes, MiB(42));
  EXPECT_EQ(reader->Read(/*refresh_limits=*/true).usage_bytes, MiB(43));
}

TEST_F(CgroupReaderTest, MissingOwnUsageFileMeansNoReader) {
  tmp_.Write("memory.max", "max\n");
  EXPECT_EQ(CgroupMemoryReader::Open({{2, Dir("gone")}, {2, tmp_.path()}}), nullptr);
  EXPECT_EQ(CgroupMemoryReader::Open({}), nullptr);
}

}  // namespace
}  // namespace fsspeckit::memory
