// fsspeckit: tests of the filesystem that counts calls by kind.
#include "io/counting_filesystem_internal.h"

#include <gtest/gtest.h>

#include <arrow/filesystem/localfs.h>
#include <arrow/buffer.h>
#include <arrow/io/interfaces.h>
#include <arrow/util/future.h>

#include "fsspeckit/io/location.h"
#include "testing/status_assertions.h"
#include "testing/temp_dir.h"

namespace fsspeckit::io {
namespace {

TEST(CountingFileSystemTest, EveryCallIsCountedByKind) {
  testing::TempDir tmp;
  auto counts = std::make_shared<RequestCounts>();
  auto fs = CountRequests(std::make_shared<arrow::fs::LocalFileSystem>(), counts);
  EXPECT_TRUE(IsLocalDisk(*fs));  // the same store, seen through
  const std::string path = tmp.path() + "/a.bin";
  ASSERT_OK_AND_ASSIGN(auto out, fs->OpenOutputStream(path));
  ASSERT_OK(out->Write("0123456789", 10));
  ASSERT_OK(out->Close());
  arrow::fs::FileSelector selector;
  selector.base_dir = tmp.path();
  ASSERT_OK_AND_ASSIGN(auto listed, fs->GetFileInfo(selector));
  ASSERT_EQ(listed.size(), 1u);
  ASSERT_OK_AND_ASSIGN(auto file, fs->OpenInputFile(listed[0]));  // size known: no request
  ASSERT_OK_AND_ASSIGN(auto head, file->ReadAt(0, 4));
  EXPECT_EQ(head->ToString(), "0123");
  ASSERT_OK_AND_ASSIGN(auto tail, file->ReadAsync(arrow::io::default_io_context(), 6, 4).result());
  EXPECT_EQ(tail->ToString(), "6789");
  ASSERT_OK_AND_ASSIGN(auto by_path, fs->OpenInputFile(path));  // must ask the size
  ASSERT_OK_AND_ASSIGN(auto info, fs->GetFileInfo(path));
  ASSERT_OK(fs->Move(path, tmp.path() + "/b.bin"));
  ASSERT_OK(fs->DeleteFile(tmp.path() + "/b.bin"));
  EXPECT_EQ(counts->ByName(), (std::map<std::string, int64_t>{
                                  {"delete", 1}, {"info", 1}, {"list", 1}, {"move", 1},
                                  {"open", 1}, {"read", 2}, {"write", 1}}));
}

TEST(CountingFileSystemTest, CountingACountedFilesystemCountsEachCallOnce) {
  testing::TempDir tmp;
  auto first = std::make_shared<RequestCounts>();
  auto second = std::make_shared<RequestCounts>();
  auto fs = CountRequests(CountRequests(std::make_shared<arrow::fs::LocalFileSystem>(), first),
                          second);
  ASSERT_OK(fs->GetFileInfo(tmp.path()).status());
  EXPECT_EQ(first->count(RequestKind::kInfo), 0);
  EXPECT_EQ(second->count(RequestKind::kInfo), 1);
  EXPECT_TRUE(fs->Equals(arrow::fs::LocalFileSystem()));
}

// A lock store's requests: conditional ones count as "lock", plain deletions as "delete"
// (as the filesystem's DeleteFile would), and a deletion the store does not offer as none.
class DeletingStore : public AtomicObjectStore {
 public:
  explicit DeletingStore(bool deletes) : deletes_(deletes) {}
  arrow::Result<std::optional<StoredObject>> Read(const std::string&) override {
    return std::nullopt;
  }
  arrow::Result<std::optional<std::string>> CreateIfAbsent(const std::string&,
                                                           const std::string&) override {
    return std::string("\"1\"");
  }
  arrow::Result<std::optional<std::string>> ReplaceIfMatch(const std::string&, const std::string&,
                                                           const std::string&) override {
    return std::nullopt;
  }
  arrow::Result<bool> DeleteIfMatch(const std::string&, const std::string&) override { return true; }
  arrow::Status Delete(const std::string& path) override {
    return deletes_ ? arrow::Status::OK() : AtomicObjectStore::Delete(path);
  }
  bool supports_delete() const override { return deletes_; }

 private:
  const bool deletes_;
};

TEST(CountingFileSystemTest, ALockStoresPlainDeletionsCountAsDeletions) {
  auto counts = std::make_shared<RequestCounts>();
  auto fs = std::make_shared<CountingFileSystem>(std::make_shared<arrow::fs::LocalFileSystem>(),
                                                 counts);
  auto store = fs->Counted(std::make_shared<DeletingStore>(/*deletes=*/true));
  ASSERT_TRUE(store->supports_delete());
  ASSERT_OK(store->CreateIfAbsent("b/lock", "me").status());
  ASSERT_OK(store->Delete("b/a"));
  ASSERT_OK(store->Delete("b/c"));
  auto without = fs->Counted(std::make_shared<DeletingStore>(/*deletes=*/false));
  EXPECT_FALSE(without->supports_delete());
  ASSERT_RAISES(NotImplemented, without->Delete("b/a"));
  EXPECT_EQ(counts->ByName(), (std::map<std::string, int64_t>{{"delete", 2}, {"lock", 1}}));
}

}  // namespace
}  // namespace fsspeckit::io
