// fsspeckit: journals recovery may trust, idempotent replays, snapshots and syncs.
#include "io/commit_journal_internal.h"

#include <filesystem>
#include <set>

#include <arrow/filesystem/localfs.h>
#include <gtest/gtest.h>

#include "io/dataset_snapshot_internal.h"
#include "io/durable_sync_internal.h"
#include "testing/status_assertions.h"
#include "testing/temp_dir.h"

namespace fsspeckit::io {
namespace {

namespace fs = std::filesystem;
using fsspeckit::testing::TempDir;

std::set<std::string> Files(const std::string& dir) {
  std::set<std::string> files;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (entry.is_regular_file()) files.insert(fs::relative(entry.path(), dir).string());
  }
  return files;
}

class CommitJournalTest : public ::testing::Test {
 protected:
  arrow::fs::LocalFileSystem local_;
  TempDir dir_;
};

TEST_F(CommitJournalTest, RecoveryRefusesJournalsNamingAnythingButItsOwnStagingFolder) {
  dir_.Write("a.parquet", "data");
  dir_.Write("sub/b.parquet", "data");
  dir_.Write("_fsspeckit-staging-1/x.staged", "new");
  const std::string header = "fsspeckit merge journal v1\n";
  const std::vector<std::string> hostile = {
      "staging\t.\nend\n",                                   // the whole dataset
      "staging\tsub\nend\n",                                 // a data folder
      "staging\t_fsspeckit-staging-1/..\nend\n",             // out again
      "staging\tsub/_fsspeckit-staging-1\nend\n",            // not directly in the dataset
      "staging\t_fsspeckit-staging-\nend\n",                 // the bare prefix
      "staging\t_fsspeckit-staging-1\nmove\ta.parquet\tc.parquet\nend\n",  // not from staging
      "staging\t_fsspeckit-staging-1\nmove\t_fsspeckit-staging-1/./x.staged\tc.parquet\nend\n",
      "staging\t_fsspeckit-staging-1\nmove\t_fsspeckit-staging-1/x.staged\t_fsspeckit-staging-2/y\n"
      "end\n",
  };
  const std::set<std::string> before = Files(dir_.path());
  for (const std::string& body : hostile) {
    dir_.Write(kJournalName, header + body);
    auto recovered = Recover(local_, dir_.path());
    ASSERT_TRUE(recovered.status().IsIOError()) << body;
    EXPECT_NE(recovered.status().message().find("cannot be read"), std::string::npos);
    std::set<std::string> after = Files(dir_.path());
    after.erase(kJournalName);
    EXPECT_EQ(after, before) << body;
  }
}

TEST_F(CommitJournalTest, ATrustedJournalIsAppliedAndReplayingItAgainIsHarmless) {
  const std::string root = dir_.path();
  dir_.Write("old.parquet", "old");
  const std::string staged = dir_.Write("_fsspeckit-staging-7/part.staged", "new");
  Journal journal{root + "/_fsspeckit-staging-7", {{staged, root + "/p=1/new.parquet"}},
                  {root + "/old.parquet"}};
  ASSERT_OK(WriteJournal(local_, root, journal, /*durable=*/true));
  ASSERT_OK(ApplyJournal(local_, root, journal, /*durable=*/true));
  ASSERT_OK(ApplyJournal(local_, root, journal, /*durable=*/true));  // journal already gone
  EXPECT_EQ(Files(root), std::set<std::string>{"p=1/new.parquet"});
}

TEST_F(CommitJournalTest, AJournalIsNotWrittenOverAnotherCommitsJournal) {
  const std::string root = dir_.path();
  dir_.Write(kJournalName, "someone else's");
  const std::string staged = dir_.Write("_fsspeckit-staging-7/part.staged", "new");
  Journal journal{root + "/_fsspeckit-staging-7", {{staged, root + "/new.parquet"}}, {}};
  auto status = WriteJournal(local_, root, journal, /*durable=*/false);
  ASSERT_TRUE(status.IsIOError());
  EXPECT_NE(status.message().find("nothing was committed"), std::string::npos);
  EXPECT_FALSE(fs::exists(root + "/new.parquet"));
}

TEST_F(CommitJournalTest, SnapshotsSeeFilesThatAppearVanishOrChangeButNotOurOwn) {
  const std::string root = dir_.path();
  dir_.Write("a.parquet", "aaaa");
  dir_.Write("p=1/b.parquet", "bbbb");
  ASSERT_OK_AND_ASSIGN(DatasetSnapshot planned, TakeSnapshot(local_, root));
  EXPECT_EQ(planned.files.size(), 2u);
  dir_.Write("_fsspeckit-staging-1/x.staged", "ours");
  dir_.Write(".hidden", "not data");
  ASSERT_OK(CheckUnchanged(local_, root, planned, "merge"));
  dir_.Write("p=1/b.parquet", "bbbbbb");
  auto changed = CheckUnchanged(local_, root, planned, "merge");
  ASSERT_TRUE(changed.IsIOError());
  EXPECT_NE(changed.message().find("b.parquet' was rewritten"), std::string::npos);
  ASSERT_OK_AND_ASSIGN(planned, TakeSnapshot(local_, root));
  dir_.Write("c.parquet", "c");
  EXPECT_NE(CheckUnchanged(local_, root, planned, "write").message().find("appeared"),
            std::string::npos);
  fs::remove(root + "/c.parquet");
  fs::remove(root + "/a.parquet");
  EXPECT_NE(CheckUnchanged(local_, root, planned, "write").message().find("was removed"),
            std::string::npos);
}

// The commit writes its journal without asking for one first: the check's listing must
// have seen any (a writer that skipped the lock), and refuse.
TEST_F(CommitJournalTest, SnapshotsRefuseAJournalThatAppeared) {
  const std::string root = dir_.path();
  dir_.Write("a.parquet", "aaaa");
  ASSERT_OK_AND_ASSIGN(DatasetSnapshot planned, TakeSnapshot(local_, root));
  EXPECT_FALSE(planned.journal_listed);
  dir_.Write(kJournalName, "fsspeckit merge journal v1\n");
  auto appeared = CheckUnchanged(local_, root, planned, "merge");
  ASSERT_TRUE(appeared.IsIOError());
  EXPECT_NE(appeared.message().find("another commit's journal"), std::string::npos);
  EXPECT_NE(appeared.message().find("run recover"), std::string::npos);
}

// A merge plans from one listing: it must show what a dead writer left for Recover().
TEST_F(CommitJournalTest, SnapshotsSayWhenSomethingNeedsRecovering) {
  const std::string root = dir_.path();
  dir_.Write("a.parquet", "aaaa");
  dir_.Write("_SUCCESS", "");  // hidden, but nobody's leftover
  ASSERT_OK_AND_ASSIGN(DatasetSnapshot clean, TakeSnapshot(local_, root));
  EXPECT_FALSE(clean.NeedsRecovery());
  EXPECT_EQ(clean.listed.size(), 2u);  // the listing itself is kept for the plan
  const std::vector<std::string> leftovers = {
      std::string(kStagingPrefix) + "0123/task-0-ab/part-0.staged",
      std::string(kJournalName) + ".tmp-0123", kJournalName};
  for (const std::string& leftover : leftovers) {
    dir_.Write(leftover, "x");
    ASSERT_OK_AND_ASSIGN(DatasetSnapshot snapshot, TakeSnapshot(local_, root));
    EXPECT_TRUE(snapshot.NeedsRecovery()) << leftover;
    EXPECT_EQ(snapshot.files.size(), 1u) << leftover;  // never data
    fs::remove_all(root + "/" + leftover.substr(0, leftover.find('/')));
  }
}

TEST_F(CommitJournalTest, SyncsReachTheFilesAndEveryFolderUpToTheRoot) {
  const std::string root = dir_.path();
  const std::string file = dir_.Write("a=1/b=2/part.parquet", "x");
  ASSERT_OK(SyncFiles(local_, {file}));
  ASSERT_OK(SyncFolders(local_, root, {file, root + "/a=1/gone.parquet"}));
  auto missing = SyncFiles(local_, {root + "/nope.parquet"});
  ASSERT_TRUE(missing.IsIOError());
  EXPECT_NE(missing.message().find("nope.parquet"), std::string::npos);
  EXPECT_NE(missing.message().find("No such file"), std::string::npos);
}

}  // namespace
}  // namespace fsspeckit::io
