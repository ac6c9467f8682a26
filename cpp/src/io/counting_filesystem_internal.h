// fsspeckit: a filesystem that counts the calls an operation makes through it, by kind.
#pragma once

#include <array>
#include <atomic>
#include <map>
#include <memory>
#include <string>

#include <arrow/filesystem/filesystem.h>

#include "fsspeckit/io/atomic_object_store.h"

namespace fsspeckit::io {

/// What a call asks of the store. On an object store each is one request (a write larger
/// than the client's part size is a multipart upload, several); on a local disk each is
/// a system call or a few.
enum class RequestKind {
  kList,    ///< a listing (S3 LIST, per call; a long listing is several pages)
  kInfo,    ///< one path's metadata (S3 HEAD)
  kOpen,    ///< a file opened by path, so its size must be asked (S3 HEAD)
  kRead,    ///< one read of an open file (S3 ranged GET)
  kWrite,   ///< a file written (S3 PUT)
  kDelete,  ///< a file or folder removed (S3 DELETE)
  kMove,    ///< a rename (S3: a copy and a delete)
  kCopy,    ///< a copy (S3 COPY)
  kMkdir,   ///< a folder created (S3: a marker PUT, or nothing)
  kLock,    ///< a conditional request of the dataset lock (read, create, replace, delete)
};
inline constexpr int kNumRequestKinds = 10;

/// "list", "info", "open", "read", "write", "delete", "move", "copy", "mkdir", "lock".
const char* RequestKindName(RequestKind kind);

/// Calls counted by kind; shared by a CountingFileSystem, its open files and its lock
/// store, from any thread.
class RequestCounts {
 public:
  void Add(RequestKind kind, int64_t count = 1) {
    counts_[static_cast<int>(kind)].fetch_add(count, std::memory_order_relaxed);
  }
  int64_t count(RequestKind kind) const {
    return counts_[static_cast<int>(kind)].load(std::memory_order_relaxed);
  }
  /// The kinds counted at least once, by name.
  std::map<std::string, int64_t> ByName() const;

 private:
  std::array<std::atomic<int64_t>, kNumRequestKinds> counts_{};
};

/// `base` with every call counted in `counts` (the files it opens count their reads).
/// It is the same store: type_name() is base's, so code that asks which store it is
/// (IsLocalDisk) sees through it; a caller that needs base's own class (the lock's
/// conditional writes) takes base().
class CountingFileSystem : public arrow::fs::FileSystem {
 public:
  CountingFileSystem(std::shared_ptr<arrow::fs::FileSystem> base,
                     std::shared_ptr<RequestCounts> counts);

  const std::shared_ptr<arrow::fs::FileSystem>& base() const { return base_; }
  const std::shared_ptr<RequestCounts>& counts() const { return counts_; }
  /// `store` (base's conditional writes) with its requests counted as kLock, its plain
  /// deletions as kDelete.
  std::shared_ptr<AtomicObjectStore> Counted(std::shared_ptr<AtomicObjectStore> store) const;

  std::string type_name() const override { return base_->type_name(); }
  bool Equals(const arrow::fs::FileSystem& other) const override;
  arrow::Result<std::string> NormalizePath(std::string path) override;
  arrow::Result<std::string> PathFromUri(const std::string& uri_string) const override;

  using arrow::fs::FileSystem::CreateDir;
  using arrow::fs::FileSystem::DeleteDirContents;
  using arrow::fs::FileSystem::GetFileInfo;
  using arrow::fs::FileSystem::OpenAppendStream;
  using arrow::fs::FileSystem::OpenOutputStream;

  arrow::Result<arrow::fs::FileInfo> GetFileInfo(const std::string& path) override;
  arrow::Result<arrow::fs::FileInfoVector> GetFileInfo(const arrow::fs::FileSelector& select) override;
  arrow::Status CreateDir(const std::string& path, bool recursive) override;
  arrow::Status DeleteDir(const std::string& path) override;
  arrow::Status DeleteDirContents(const std::string& path, bool missing_dir_ok) override;
  arrow::Status DeleteRootDirContents() override;
  arrow::Status DeleteFile(const std::string& path) override;
  arrow::Status Move(const std::string& src, const std::string& dest) override;
  arrow::Status CopyFile(const std::string& src, const std::string& dest) override;
  arrow::Result<std::shared_ptr<arrow::io::InputStream>> OpenInputStream(
      const std::string& path) override;
  arrow::Result<std::shared_ptr<arrow::io::InputStream>> OpenInputStream(
      const arrow::fs::FileInfo& info) override;
  arrow::Result<std::shared_ptr<arrow::io::RandomAccessFile>> OpenInputFile(
      const std::string& path) override;
  arrow::Result<std::shared_ptr<arrow::io::RandomAccessFile>> OpenInputFile(
      const arrow::fs::FileInfo& info) override;
  arrow::Result<std::shared_ptr<arrow::io::OutputStream>> OpenOutputStream(
      const std::string& path,
      const std::shared_ptr<const arrow::KeyValueMetadata>& metadata) override;
  arrow::Result<std::shared_ptr<arrow::io::OutputStream>> OpenAppendStream(
      const std::string& path,
      const std::shared_ptr<const arrow::KeyValueMetadata>& metadata) override;

 private:
  std::shared_ptr<arrow::fs::FileSystem> base_;
  std::shared_ptr<RequestCounts> counts_;
};

/// `fs` counted into `counts`; a filesystem counted already (into any counts) is
/// unwrapped first, so no call is counted twice.
std::shared_ptr<arrow::fs::FileSystem> CountRequests(std::shared_ptr<arrow::fs::FileSystem> fs,
                                                     std::shared_ptr<RequestCounts> counts);

}  // namespace fsspeckit::io
