// fsspeckit: the lease lock's state machine, on an in-memory store with a fake clock.
#include "io/lease_lock_internal.h"

#include <map>

#include <arrow/filesystem/mockfs.h>

#include "io/dataset_lock_internal.h"

#include <gtest/gtest.h>

#include "testing/status_assertions.h"

namespace fsspeckit::io {
namespace {

// Conditional writes as S3 makes them, in memory. `before_replace` runs once before the
// next ReplaceIfMatch (another writer getting in between a read and a write);
// `lose_create_response` stores a create but answers as if the object had been there
// (a request whose response was lost and whose retry then failed its condition).
class MemoryStore : public AtomicObjectStore {
 public:
  arrow::Result<std::optional<StoredObject>> Read(const std::string& path) override {
    auto found = objects_.find(path);
    if (found == objects_.end()) return std::nullopt;
    return found->second;
  }
  arrow::Result<std::optional<std::string>> CreateIfAbsent(const std::string& path,
                                                           const std::string& body) override {
    if (objects_.count(path)) return std::nullopt;
    std::string etag = Put(path, body);
    if (lose_create_response) {
      lose_create_response = false;
      return std::nullopt;
    }
    return etag;
  }
  arrow::Result<std::optional<std::string>> ReplaceIfMatch(const std::string& path,
                                                           const std::string& body,
                                                           const std::string& etag) override {
    if (auto hook = std::exchange(before_replace, nullptr)) hook();
    auto found = objects_.find(path);
    if (found == objects_.end() || found->second.etag != etag) return std::nullopt;
    return Put(path, body);
  }
  arrow::Result<bool> DeleteIfMatch(const std::string& path, const std::string& etag) override {
    auto found = objects_.find(path);
    if (found == objects_.end() || found->second.etag != etag) return false;
    objects_.erase(found);
    return true;
  }
  std::string Put(const std::string& path, const std::string& body) {
    std::string etag = "\"" + std::to_string(++version_) + "\"";
    objects_[path] = {body, etag};
    return etag;
  }

  std::map<std::string, StoredObject> objects_;
  std::function<void()> before_replace;
  bool lose_create_response = false;

 private:
  int version_ = 0;
};

constexpr const char* kPath = "bucket/ds/_fsspeckit_merge.lock";

class LeaseLockTest : public ::testing::Test {
 protected:
  LeaseOptions Options() {
    LeaseOptions options;
    options.lease_ms = 30'000;
    options.now_ms = [this] { return now_ms_; };
    options.renew_in_background = false;
    return options;
  }
  arrow::Result<std::unique_ptr<LeaseLock>> Take() { return LeaseLock::Acquire(store_, kPath, Options()); }

  std::shared_ptr<MemoryStore> store_ = std::make_shared<MemoryStore>();
  int64_t now_ms_ = 1'000'000;
};

TEST_F(LeaseLockTest, TheFirstTakerHoldsItAndOthersAreToldWhoAndForHowLong) {
  ASSERT_OK_AND_ASSIGN(auto held, Take());
  EXPECT_FALSE(held->took_over());
  EXPECT_NE(store_->objects_.at(kPath).body.find("expires_ms\t1030000"), std::string::npos);
  now_ms_ += 29'000;
  auto second = Take();
  ASSERT_TRUE(second.status().IsIOError());
  EXPECT_NE(second.status().message().find(held->owner()), std::string::npos);
  EXPECT_NE(second.status().message().find("for 1 s more"), std::string::npos);
}

TEST_F(LeaseLockTest, ReleasingDeletesTheLockSoTheNextTakerCreatesIt) {
  { ASSERT_OK_AND_ASSIGN(auto held, Take()); }
  EXPECT_TRUE(store_->objects_.empty());
  ASSERT_OK_AND_ASSIGN(auto next, Take());
  EXPECT_FALSE(next->took_over());
}

TEST_F(LeaseLockTest, RenewalKeepsTheLockBeyondOneLease) {
  ASSERT_OK_AND_ASSIGN(auto held, Take());
  for (int i = 0; i < 3; ++i) {
    now_ms_ += 20'000;
    ASSERT_OK(held->Renew());
  }
  now_ms_ += 20'000;  // 80 s after taking it, 20 s after the last renewal
  EXPECT_TRUE(Take().status().IsIOError());
  ASSERT_OK(held->CheckHeld());
}

TEST_F(LeaseLockTest, AnExpiredLeaseIsTakenOverAndItsHolderCannotCommitOrDeleteIt) {
  ASSERT_OK_AND_ASSIGN(auto stalled, Take());
  now_ms_ += 30'001;  // its holder was killed, or stalled past the lease
  ASSERT_OK_AND_ASSIGN(auto next, Take());
  EXPECT_TRUE(next->took_over());
  auto check = stalled->CheckHeld();
  ASSERT_TRUE(check.IsIOError());
  EXPECT_NE(check.message().find("lost the dataset lock"), std::string::npos);
  stalled.reset();  // must not delete the new holder's lock
  ASSERT_EQ(store_->objects_.count(kPath), 1u);
  EXPECT_NE(store_->objects_.at(kPath).body.find(next->owner()), std::string::npos);
  ASSERT_OK(next->CheckHeld());
}

TEST_F(LeaseLockTest, OfTwoTakersOfOneExpiredLeaseExactlyOneWins) {
  ASSERT_OK_AND_ASSIGN(auto dead, Take());
  now_ms_ += 60'000;
  std::unique_ptr<LeaseLock> winner;
  store_->before_replace = [&] {  // the other taker's whole takeover, between our read and write
    auto taken = Take();
    ASSERT_TRUE(taken.ok()) << taken.status().ToString();
    winner = std::move(*taken);
  };
  auto loser = Take();
  ASSERT_TRUE(loser.status().IsIOError());
  EXPECT_NE(loser.status().message().find("at the same moment"), std::string::npos);
  ASSERT_TRUE(winner);
  ASSERT_OK(winner->CheckHeld());
}

TEST_F(LeaseLockTest, ALockObjectWithoutALeaseIsTakenOver) {
  store_->Put(kPath, "");  // an empty lock file, as older fsspeckit versions left them
  ASSERT_OK_AND_ASSIGN(auto held, Take());
  EXPECT_TRUE(held->took_over());
}

TEST_F(LeaseLockTest, ACreateWhoseResponseWasLostIsRecognisedAsOurs) {
  store_->lose_create_response = true;
  ASSERT_OK_AND_ASSIGN(auto held, Take());
  EXPECT_FALSE(held->took_over());
  ASSERT_OK(held->CheckHeld());
}

TEST_F(LeaseLockTest, ALeaseMustBePositive) {
  LeaseOptions options = Options();
  options.lease_ms = 0;
  EXPECT_TRUE(LeaseLock::Acquire(store_, kPath, options).status().IsInvalid());
}

// Installs a store provider for one test; the process-wide default comes back however
// the test ends (a failed ASSERT returns early).
class ScopedStoreProvider {
 public:
  explicit ScopedStoreProvider(AtomicStoreProvider provider) {
    SetAtomicStoreProvider(std::move(provider));
  }
  ~ScopedStoreProvider() { SetAtomicStoreProvider(nullptr); }
};

// DatasetLock on a filesystem that is neither local nor served by a store provider.
TEST(DatasetLockTest, AFilesystemWithoutAtomicCreateNeedsADeclaredSingleWriter) {
  auto mock = std::make_shared<arrow::fs::internal::MockFileSystem>(arrow::fs::TimePoint{});
  ScopedStoreProvider no_store(nullptr);
  auto refused = DatasetLock::Acquire(mock, "ds");
  ASSERT_TRUE(refused.status().IsInvalid());
  EXPECT_NE(refused.status().message().find("single_writer=True"), std::string::npos);
  CommitOptions single;
  single.single_writer = true;
  ASSERT_OK_AND_ASSIGN(auto lock, DatasetLock::Acquire(mock, "ds", single));
  ASSERT_OK(lock->CheckHeld());
}

// A store the filesystem has but this process cannot reach (the native CLI without
// libcurl): the lock says why and how to fix it; a declared single writer goes on unlocked.
TEST(DatasetLockTest, AStoreThatCannotBeMadeIsReportedUnlessASingleWriterIsDeclared) {
  auto mock = std::make_shared<arrow::fs::internal::MockFileSystem>(arrow::fs::TimePoint{});
  ScopedStoreProvider unreachable([](const std::shared_ptr<arrow::fs::FileSystem>&)
                                      -> arrow::Result<std::shared_ptr<AtomicObjectStore>> {
    return arrow::Status::IOError("cannot load libcurl.so.4: install libcurl4");
  });
  auto refused = DatasetLock::Acquire(mock, "ds");
  ASSERT_TRUE(refused.status().IsInvalid());
  EXPECT_NE(refused.status().message().find("cannot lock 'ds': cannot load libcurl.so.4: install libcurl4"),
            std::string::npos)
      << refused.status().message();
  CommitOptions single;
  single.single_writer = true;
  ASSERT_OK_AND_ASSIGN(auto lock, DatasetLock::Acquire(mock, "ds", single));
  ASSERT_OK(lock->CheckHeld());
}

TEST(DatasetLockTest, AFilesystemWithAStoreIsLockedThroughItsLease) {
  auto mock = std::make_shared<arrow::fs::internal::MockFileSystem>(arrow::fs::TimePoint{});
  auto store = std::make_shared<MemoryStore>();
  ScopedStoreProvider provider([&](const std::shared_ptr<arrow::fs::FileSystem>& fs) {
    return fs == mock ? store : nullptr;
  });
  {
    CommitOptions single;  // the store's lock is taken even so
    single.single_writer = true;
    ASSERT_OK_AND_ASSIGN(auto lock, DatasetLock::Acquire(mock, "ds", single));
    ASSERT_EQ(store->objects_.count(std::string("ds/") + kLockName), 1u);
    EXPECT_TRUE(DatasetLock::Acquire(mock, "ds").status().IsIOError());
    ASSERT_OK(lock->CheckHeld());
  }
  EXPECT_TRUE(store->objects_.empty());  // released
}

}  // namespace
}  // namespace fsspeckit::io
