#include <gtest/gtest.h>

#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <set>

#include <arrow/filesystem/localfs.h>
#include <arrow/filesystem/mockfs.h>

#include "fsspeckit/io/atomic_object_store.h"
#include "fsspeckit/io/commit_options.h"
#include "io/commit_journal_internal.h"
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

// Arrow's in-memory filesystem as an object store ("s3": objects appear whole, no folder
// is needed), logging the changes it is asked for.
class ObjectStoreFileSystem : public arrow::fs::internal::MockFileSystem {
 public:
  ObjectStoreFileSystem() : MockFileSystem(arrow::fs::TimePoint{}) {}
  std::string type_name() const override { return "s3"; }

  arrow::Status CopyFile(const std::string& from, const std::string& to) override {
    Log("copy " + to);
    return MockFileSystem::CopyFile(from, to);
  }
  arrow::Status Move(const std::string& from, const std::string& to) override {
    Log("move " + to);
    return MockFileSystem::Move(from, to);
  }
  arrow::Status DeleteFile(const std::string& path) override {
    Log("DeleteFile " + path);
    return MockFileSystem::DeleteFile(path);
  }
  arrow::Status DeleteDir(const std::string& path) override {
    Log("DeleteDir " + path);
    return MockFileSystem::DeleteDir(path);
  }
  using MockFileSystem::GetFileInfo;
  arrow::Result<arrow::fs::FileInfoVector> GetFileInfo(
      const arrow::fs::FileSelector& selector) override {
    if (on_list) on_list(selector.base_dir);
    return MockFileSystem::GetFileInfo(selector);
  }

  void Log(const std::string& entry) {
    std::lock_guard<std::mutex> guard(mutex_);
    log_.push_back(entry);
  }
  std::vector<std::string> log() {
    std::lock_guard<std::mutex> guard(mutex_);
    return log_;
  }
  std::set<std::string> Files() {
    std::set<std::string> files;
    for (const auto& file : AllFiles()) files.insert(file.full_path);
    return files;
  }

  std::function<void(const std::string&)> on_list;  ///< called as a listing starts

 private:
  std::mutex mutex_;
  std::vector<std::string> log_;
};

// The lock's store for that filesystem: the lease in memory, and (when `deletes`) plain
// deletions of the filesystem's objects, logged as "Delete <path>". A name ending in "/"
// is a folder's marker: the in-memory filesystem's folders stand for them.
class LockStore : public AtomicObjectStore {
 public:
  LockStore(std::shared_ptr<ObjectStoreFileSystem> fs, bool deletes)
      : fs_(std::move(fs)), deletes_(deletes) {}

  arrow::Result<std::optional<StoredObject>> Read(const std::string& path) override {
    std::lock_guard<std::mutex> guard(mutex_);
    auto found = objects_.find(path);
    if (found == objects_.end()) return std::nullopt;
    return found->second;
  }
  arrow::Result<std::optional<std::string>> CreateIfAbsent(const std::string& path,
                                                           const std::string& body) override {
    std::lock_guard<std::mutex> guard(mutex_);
    if (objects_.count(path)) return std::nullopt;
    return Put(path, body);
  }
  arrow::Result<std::optional<std::string>> ReplaceIfMatch(const std::string& path,
                                                           const std::string& body,
                                                           const std::string& etag) override {
    if (on_renew) on_renew();
    std::lock_guard<std::mutex> guard(mutex_);
    auto found = objects_.find(path);
    if (found == objects_.end() || found->second.etag != etag) return std::nullopt;
    return Put(path, body);
  }
  arrow::Result<bool> DeleteIfMatch(const std::string& path, const std::string& etag) override {
    std::lock_guard<std::mutex> guard(mutex_);
    auto found = objects_.find(path);
    if (found == objects_.end() || found->second.etag != etag) return false;
    objects_.erase(found);
    return true;
  }
  arrow::Status Delete(const std::string& path) override {
    if (!deletes_) return AtomicObjectStore::Delete(path);
    fs_->Log("Delete " + path);
    if (path == fail_delete_of) return arrow::Status::IOError("the store refused '", path, "'");
    const bool marker = path.ends_with("/");
    const std::string name = marker ? path.substr(0, path.size() - 1) : path;
    ARROW_ASSIGN_OR_RAISE(auto info, fs_->GetFileInfo(name));
    if (info.type() == arrow::fs::FileType::NotFound) return arrow::Status::OK();
    arrow::Status deleted = marker ? fs_->MockFileSystem::DeleteDir(name)
                                   : fs_->MockFileSystem::DeleteFile(name);
    // Gone meanwhile with its folder's marker: a plain DELETE answers OK.
    ARROW_ASSIGN_OR_RAISE(info, fs_->GetFileInfo(name));
    return info.type() == arrow::fs::FileType::NotFound ? arrow::Status::OK() : deleted;
  }
  bool supports_delete() const override { return deletes_; }

  std::function<void()> on_renew;  ///< called as a renewal (the commit's lock check) starts
  std::string fail_delete_of;      ///< a path whose Delete fails

 private:
  std::string Put(const std::string& path, const std::string& body) {
    std::string etag = "\"" + std::to_string(++version_) + "\"";
    objects_[path] = StoredObject{body, etag};
    return etag;
  }

  std::shared_ptr<ObjectStoreFileSystem> fs_;
  const bool deletes_;
  std::mutex mutex_;
  std::map<std::string, StoredObject> objects_;
  int64_t version_ = 0;
};

// Installs a store provider for one test; none is installed after it, however it ends.
class ScopedStoreProvider {
 public:
  explicit ScopedStoreProvider(std::shared_ptr<AtomicObjectStore> store) {
    SetAtomicStoreProvider([store](const std::shared_ptr<arrow::fs::FileSystem>&) { return store; });
  }
  ~ScopedStoreProvider() { SetAtomicStoreProvider(nullptr); }
};

// A dataset "ds" on an object store with two files a commit replaces and one it keeps,
// and a commit staging two files plus one of an earlier attempt it never names.
class ObjectStoreCommitTest : public ::testing::Test {
 protected:
  void Stage(StagedCommit& commit) {
    ASSERT_OK(fs_->CreateFile(commit.dir() + "/task-0-a/part.staged", "new"));
    ASSERT_OK(fs_->CreateFile(commit.dir() + "/task-1-b/part.staged", "inserted"));
    ASSERT_OK(fs_->CreateFile(commit.dir() + "/task-0-earlier/part.staged", "abandoned"));
    commit.AddMove(commit.dir() + "/task-0-a/part.staged", "ds/old-2.parquet");
    commit.AddMove(commit.dir() + "/task-1-b/part.staged", "ds/new.parquet");
    commit.AddDelete("ds/old.parquet");
  }
  void SetUp() override {
    ASSERT_OK(fs_->CreateFile("ds/old.parquet", "old"));
    ASSERT_OK(fs_->CreateFile("ds/kept.parquet", "kept"));
  }
  // The dataset as the commit must leave it, whichever way it deleted.
  void ExpectCommitted() {
    EXPECT_EQ(fs_->Files(), (std::set<std::string>{"ds/kept.parquet", "ds/new.parquet",
                                                   "ds/old-2.parquet"}));
  }
  std::vector<std::string> Logged(const std::string& prefix) {
    std::vector<std::string> found;
    for (const std::string& entry : fs_->log()) {
      if (entry.starts_with(prefix)) found.push_back(entry.substr(prefix.size()));
    }
    return found;
  }

  // The dataset locked through a store of its own (plain deletes or not) and snapshotted,
  // as a commit's caller holds it.
  void Lock(bool deletes) {
    store_ = std::make_shared<LockStore>(fs_, deletes);
    provider_.emplace(store_);
    ASSERT_OK_AND_ASSIGN(lock_, DatasetLock::Acquire(fs_, "ds", CommitOptions{}));
    ASSERT_OK_AND_ASSIGN(planned_, TakeSnapshot(*fs_, "ds"));
  }

  std::shared_ptr<ObjectStoreFileSystem> fs_ = std::make_shared<ObjectStoreFileSystem>();
  // After fs_: gone before it (releasing the lock deletes its object there).
  std::shared_ptr<LockStore> store_;
  std::optional<ScopedStoreProvider> provider_;
  std::unique_ptr<DatasetLock> lock_;
  DatasetSnapshot planned_;
};

TEST_F(ObjectStoreCommitTest, AStoreThatDeletesDeletesEverythingAfterTheCopiesThenTheJournal) {
  ASSERT_NO_FATAL_FAILURE(Lock(/*deletes=*/true));
  ASSERT_EQ(lock_->store(), store_.get());
  StagedCommit commit(fs_, "ds");
  Stage(commit);
  ASSERT_OK(commit.Commit("write", *lock_, planned_, CommitOptions{}));
  ExpectCommitted();
  // No DeleteFile (a HEAD, a DELETE, a marker PUT on Arrow's S3), no DeleteDir (seven).
  EXPECT_TRUE(Logged("DeleteFile ").empty() && Logged("DeleteDir ").empty()) << ::testing::PrintToString(fs_->log());
  const std::vector<std::string> log = fs_->log();
  ASSERT_EQ(log.size(), 2u + 9u);  // two copies, then nine deletions
  EXPECT_EQ(std::set<std::string>(log.begin(), log.begin() + 2),
            (std::set<std::string>{"copy ds/old-2.parquet", "copy ds/new.parquet"}));
  const std::string staged = "Delete " + commit.dir();
  EXPECT_EQ(std::set<std::string>(log.begin() + 2, log.end() - 1),
            (std::set<std::string>{"Delete ds/old.parquet", staged + "/task-0-a/part.staged",
                                   staged + "/task-1-b/part.staged",
                                   staged + "/task-0-earlier/part.staged",
                                   // the folders' markers, which a listing cannot tell apart
                                   // from folders only implied by their files
                                   staged + "/task-0-a/", staged + "/task-1-b/",
                                   staged + "/task-0-earlier/", staged + "/"}));
  EXPECT_EQ(log.back(), std::string("Delete ds/") + kJournalName);  // last, after all of them
  EXPECT_EQ(fs_->AllDirs().size(), 1u);  // "ds": the staging folder's markers are gone
}

TEST_F(ObjectStoreCommitTest, AStoreWithoutPlainDeletesLeavesThemToTheFilesystem) {
  ASSERT_NO_FATAL_FAILURE(Lock(/*deletes=*/false));
  StagedCommit commit(fs_, "ds");
  Stage(commit);
  ASSERT_OK(commit.Commit("write", *lock_, planned_, CommitOptions{}));
  ExpectCommitted();
  EXPECT_TRUE(Logged("Delete ").empty());
  EXPECT_EQ(Logged("DeleteDir "), std::vector<std::string>{commit.dir()});
  EXPECT_EQ(Logged("DeleteFile "), (std::vector<std::string>{"ds/old.parquet",
                                                             std::string("ds/") + kJournalName}));
}

TEST_F(ObjectStoreCommitTest, AFailedPlainDeletionKeepsTheJournalForRecoverToComplete) {
  ASSERT_NO_FATAL_FAILURE(Lock(/*deletes=*/true));
  {
    StagedCommit commit(fs_, "ds");
    Stage(commit);
    store_->fail_delete_of = "ds/old.parquet";
    arrow::Status status = commit.Commit("write", *lock_, planned_, CommitOptions{});
    ASSERT_RAISES(IOError, status);
    EXPECT_NE(status.message().find("is committed but"), std::string::npos) << status.message();
  }
  EXPECT_TRUE(fs_->Files().count(std::string("ds/") + kJournalName));
  EXPECT_TRUE(Logged(std::string("Delete ds/") + kJournalName).empty());
  ASSERT_OK_AND_ASSIGN(RecoveryReport report, Recover(*fs_, "ds"));  // the filesystem's way
  EXPECT_TRUE(report.rolled_forward);
  ExpectCommitted();
}

// The checks before the journal (the caller's, the lock's, the dataset's listing) wait
// for one another here: run one after another, the first would wait in vain.
TEST_F(ObjectStoreCommitTest, TheChecksBeforeTheJournalRunAtOnce) {
  ASSERT_NO_FATAL_FAILURE(Lock(/*deletes=*/true));
  StagedCommit commit(fs_, "ds");
  Stage(commit);
  std::mutex mutex;
  std::condition_variable all_in;
  int arrived = 0;
  bool waited_in_vain = false;
  auto meet = [&] {
    std::unique_lock<std::mutex> guard(mutex);
    ++arrived;
    all_in.notify_all();
    if (!all_in.wait_for(guard, std::chrono::seconds(10), [&] { return arrived >= 3; })) {
      waited_in_vain = true;
    }
  };
  store_->on_renew = meet;
  fs_->on_list = [&](const std::string& dir) {
    if (dir == "ds") meet();
  };
  ASSERT_OK(commit.Commit("write", *lock_, planned_, CommitOptions{}, [&] {
    meet();
    arrow::fs::FileSelector staging;
    staging.base_dir = commit.dir();
    staging.recursive = true;
    ARROW_ASSIGN_OR_RAISE(auto listed, fs_->MockFileSystem::GetFileInfo(staging));
    commit.SetStagedListing(listed);
    return arrow::Status::OK();
  }));
  store_->on_renew = nullptr;
  fs_->on_list = nullptr;
  EXPECT_EQ(arrived, 3);
  EXPECT_FALSE(waited_in_vain);
  ExpectCommitted();
}

TEST_F(ObjectStoreCommitTest, StagedFilesHandedOverMustLieInTheStagingFolder) {
  ASSERT_NO_FATAL_FAILURE(Lock(/*deletes=*/true));
  {
    StagedCommit commit(fs_, "ds");
    Stage(commit);
    commit.SetStagedListing({arrow::fs::FileInfo(commit.dir() + "/task-0-a/part.staged",
                                                 arrow::fs::FileType::File),
                             arrow::fs::FileInfo("ds/kept.parquet", arrow::fs::FileType::File)});
    ASSERT_RAISES(Invalid, commit.Commit("write", *lock_, planned_, CommitOptions{}));
  }
  EXPECT_EQ(fs_->Files(), (std::set<std::string>{"ds/kept.parquet", "ds/old.parquet"}));
}

}  // namespace
}  // namespace fsspeckit::io
