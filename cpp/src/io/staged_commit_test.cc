#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <arrow/filesystem/localfs.h>

#include "io/commit_journal_internal.h"
#include "fsspeckit/io/commit_options.h"
#include "io/staged_commit_internal.h"
#include "testing/status_assertions.h"
#include "testing/temp_dir.h"

namespace fsspeckit::io {
namespace {

namespace fs = std::filesystem;

class StagedCommitTest : public ::testing::Test {
 protected:
  void Write(const std::string& path, const std::string& text) {
    fs::create_directories(fs::path(path).parent_path());
    std::ofstream(path) << text;
  }
  std::string Read(const std::string& path) {
    std::ifstream in(path);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  std::shared_ptr<arrow::fs::FileSystem> fs_ = std::make_shared<arrow::fs::LocalFileSystem>();
  testing::TempDir tmp_;
};

TEST_F(StagedCommitTest, CommitMovesReplacesAndDeletesThenLeavesNoTrace) {
  const std::string dir = tmp_.path();
  Write(dir + "/old.parquet", "old");
  Write(dir + "/gone.parquet", "gone");
  ASSERT_OK_AND_ASSIGN(auto lock, DatasetLock::Acquire(fs_, dir, CommitOptions{}));
  ASSERT_OK_AND_ASSIGN(DatasetSnapshot planned, TakeSnapshot(*fs_, dir));
  StagedCommit commit(fs_, dir);
  EXPECT_TRUE(commit.dir().starts_with(dir + "/" + kStagingPrefix));
  Write(commit.dir() + "/a.staged", "new a");
  Write(commit.dir() + "/b.staged", "replacing old");
  ASSERT_OK(commit.AddNew(commit.dir() + "/a.staged", dir + "/k=1/a.parquet", "pick another name"));
  commit.AddMove(commit.dir() + "/b.staged", dir + "/old.parquet");
  commit.AddDelete(dir + "/gone.parquet");
  ASSERT_OK(commit.Commit("write", *lock, planned, CommitOptions{}));
  EXPECT_EQ(Read(dir + "/k=1/a.parquet"), "new a");
  EXPECT_EQ(Read(dir + "/old.parquet"), "replacing old");
  EXPECT_FALSE(fs::exists(dir + "/gone.parquet"));
  EXPECT_FALSE(fs::exists(commit.dir()));
  EXPECT_FALSE(fs::exists(dir + "/" + kJournalName));
}

TEST_F(StagedCommitTest, AFileChangedSincePlanningStopsTheCommitAndNothingMoves) {
  const std::string dir = tmp_.path();
  Write(dir + "/a.parquet", "planned");
  ASSERT_OK_AND_ASSIGN(auto lock, DatasetLock::Acquire(fs_, dir, CommitOptions{}));
  ASSERT_OK_AND_ASSIGN(DatasetSnapshot planned, TakeSnapshot(*fs_, dir));
  std::string staging;
  {
    StagedCommit commit(fs_, dir);
    staging = commit.dir();
    Write(staging + "/a.staged", "new");
    commit.AddMove(staging + "/a.staged", dir + "/a.parquet");
    Write(dir + "/b.parquet", "another writer");
    ASSERT_RAISES(IOError, commit.Commit("write", *lock, planned, CommitOptions{}));
  }
  EXPECT_EQ(Read(dir + "/a.parquet"), "planned");
  EXPECT_FALSE(fs::exists(staging));
  EXPECT_FALSE(fs::exists(dir + "/" + kJournalName));
}

TEST_F(StagedCommitTest, ANewFileNeverReplacesAnExistingOne) {
  Write(tmp_.path() + "/a.parquet", "keep");
  StagedCommit commit(fs_, tmp_.path());
  Write(commit.dir() + "/a.staged", "new");
  arrow::Status st = commit.AddNew(commit.dir() + "/a.staged", tmp_.path() + "/a.parquet",
                                   "use another name");
  ASSERT_RAISES(IOError, st);
  EXPECT_NE(st.message().find("a.parquet' already exists; use another name"), std::string::npos);
  EXPECT_EQ(Read(tmp_.path() + "/a.parquet"), "keep");
}

TEST_F(StagedCommitTest, DroppedUncommittedItRemovesOnlyItsStaging) {
  Write(tmp_.path() + "/a.parquet", "keep");
  std::string staging;
  {
    StagedCommit commit(fs_, tmp_.path());
    staging = commit.dir();
    Write(staging + "/a.staged", "new");
    commit.AddMove(staging + "/a.staged", tmp_.path() + "/a.parquet");
  }
  EXPECT_FALSE(fs::exists(staging));
  EXPECT_EQ(Read(tmp_.path() + "/a.parquet"), "keep");
  EXPECT_FALSE(fs::exists(tmp_.path() + "/" + kJournalName));
}

}  // namespace
}  // namespace fsspeckit::io
