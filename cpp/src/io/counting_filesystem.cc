// fsspeckit: a filesystem that counts the calls an operation makes through it, by kind.
#include "io/counting_filesystem_internal.h"

#include <arrow/buffer.h>
#include <arrow/io/interfaces.h>
#include <arrow/util/future.h>

namespace fsspeckit::io {
namespace {

// An open file whose reads are counted; everything else goes to the file it wraps.
class CountingFile : public arrow::io::RandomAccessFile {
 public:
  CountingFile(std::shared_ptr<arrow::io::RandomAccessFile> file, std::shared_ptr<RequestCounts> counts)
      : file_(std::move(file)), counts_(std::move(counts)) {}

  arrow::Status Close() override { return file_->Close(); }
  arrow::Status Abort() override { return file_->Abort(); }
  bool closed() const override { return file_->closed(); }
  bool supports_zero_copy() const override { return file_->supports_zero_copy(); }
  arrow::Result<int64_t> Tell() const override { return file_->Tell(); }
  arrow::Status Seek(int64_t position) override { return file_->Seek(position); }
  arrow::Result<int64_t> GetSize() override { return file_->GetSize(); }
  arrow::Result<std::shared_ptr<const arrow::KeyValueMetadata>> ReadMetadata() override {
    return file_->ReadMetadata();
  }
  arrow::Status WillNeed(const std::vector<arrow::io::ReadRange>& ranges) override {
    return file_->WillNeed(ranges);
  }
  arrow::Result<int64_t> Read(int64_t nbytes, void* out) override {
    counts_->Add(RequestKind::kRead);
    return file_->Read(nbytes, out);
  }
  arrow::Result<std::shared_ptr<arrow::Buffer>> Read(int64_t nbytes) override {
    counts_->Add(RequestKind::kRead);
    return file_->Read(nbytes);
  }
  arrow::Result<int64_t> ReadAt(int64_t position, int64_t nbytes, void* out) override {
    counts_->Add(RequestKind::kRead);
    return file_->ReadAt(position, nbytes, out);
  }
  arrow::Result<std::shared_ptr<arrow::Buffer>> ReadAt(int64_t position, int64_t nbytes) override {
    counts_->Add(RequestKind::kRead);
    return file_->ReadAt(position, nbytes);
  }
  arrow::Future<std::shared_ptr<arrow::Buffer>> ReadAsync(const arrow::io::IOContext& context,
                                                          int64_t position, int64_t nbytes) override {
    counts_->Add(RequestKind::kRead);
    return file_->ReadAsync(context, position, nbytes);
  }

 private:
  std::shared_ptr<arrow::io::RandomAccessFile> file_;
  std::shared_ptr<RequestCounts> counts_;
};

class CountingStore : public AtomicObjectStore {
 public:
  CountingStore(std::shared_ptr<AtomicObjectStore> store, std::shared_ptr<RequestCounts> counts)
      : store_(std::move(store)), counts_(std::move(counts)) {}
  arrow::Result<std::optional<StoredObject>> Read(const std::string& path) override {
    counts_->Add(RequestKind::kLock);
    return store_->Read(path);
  }
  arrow::Result<std::optional<std::string>> CreateIfAbsent(const std::string& path,
                                                           const std::string& body) override {
    counts_->Add(RequestKind::kLock);
    return store_->CreateIfAbsent(path, body);
  }
  arrow::Result<std::optional<std::string>> ReplaceIfMatch(const std::string& path,
                                                           const std::string& body,
                                                           const std::string& etag) override {
    counts_->Add(RequestKind::kLock);
    return store_->ReplaceIfMatch(path, body, etag);
  }
  arrow::Result<bool> DeleteIfMatch(const std::string& path, const std::string& etag) override {
    counts_->Add(RequestKind::kLock);
    return store_->DeleteIfMatch(path, etag);
  }
  // A deletion like the filesystem's (kDelete); none is counted when the store has none.
  arrow::Status Delete(const std::string& path) override {
    if (store_->supports_delete()) counts_->Add(RequestKind::kDelete);
    return store_->Delete(path);
  }
  bool supports_delete() const override { return store_->supports_delete(); }

 private:
  std::shared_ptr<AtomicObjectStore> store_;
  std::shared_ptr<RequestCounts> counts_;
};

}  // namespace

const char* RequestKindName(RequestKind kind) {
  switch (kind) {
    case RequestKind::kList: return "list";
    case RequestKind::kInfo: return "info";
    case RequestKind::kOpen: return "open";
    case RequestKind::kRead: return "read";
    case RequestKind::kWrite: return "write";
    case RequestKind::kDelete: return "delete";
    case RequestKind::kMove: return "move";
    case RequestKind::kCopy: return "copy";
    case RequestKind::kMkdir: return "mkdir";
    case RequestKind::kLock: return "lock";
  }
  return "unknown";
}

std::map<std::string, int64_t> RequestCounts::ByName() const {
  std::map<std::string, int64_t> out;
  for (int k = 0; k < kNumRequestKinds; ++k) {
    const int64_t n = count(static_cast<RequestKind>(k));
    if (n > 0) out[RequestKindName(static_cast<RequestKind>(k))] = n;
  }
  return out;
}

CountingFileSystem::CountingFileSystem(std::shared_ptr<arrow::fs::FileSystem> base,
                                       std::shared_ptr<RequestCounts> counts)
    : arrow::fs::FileSystem(base->io_context()), base_(std::move(base)), counts_(std::move(counts)) {}

std::shared_ptr<AtomicObjectStore> CountingFileSystem::Counted(
    std::shared_ptr<AtomicObjectStore> store) const {
  return store ? std::make_shared<CountingStore>(std::move(store), counts_) : nullptr;
}

bool CountingFileSystem::Equals(const arrow::fs::FileSystem& other) const {
  const auto* counting = dynamic_cast<const CountingFileSystem*>(&other);
  return base_->Equals(counting ? *counting->base_ : other);
}

arrow::Result<std::string> CountingFileSystem::NormalizePath(std::string path) {
  return base_->NormalizePath(std::move(path));
}

arrow::Result<std::string> CountingFileSystem::PathFromUri(const std::string& uri_string) const {
  return base_->PathFromUri(uri_string);
}

arrow::Result<arrow::fs::FileInfo> CountingFileSystem::GetFileInfo(const std::string& path) {
  counts_->Add(RequestKind::kInfo);
  return base_->GetFileInfo(path);
}

arrow::Result<arrow::fs::FileInfoVector> CountingFileSystem::GetFileInfo(
    const arrow::fs::FileSelector& select) {
  counts_->Add(RequestKind::kList);
  return base_->GetFileInfo(select);
}

arrow::Status CountingFileSystem::CreateDir(const std::string& path, bool recursive) {
  counts_->Add(RequestKind::kMkdir);
  return base_->CreateDir(path, recursive);
}

arrow::Status CountingFileSystem::DeleteDir(const std::string& path) {
  counts_->Add(RequestKind::kDelete);
  return base_->DeleteDir(path);
}

arrow::Status CountingFileSystem::DeleteDirContents(const std::string& path, bool missing_dir_ok) {
  counts_->Add(RequestKind::kDelete);
  return base_->DeleteDirContents(path, missing_dir_ok);
}

arrow::Status CountingFileSystem::DeleteRootDirContents() {
  counts_->Add(RequestKind::kDelete);
  return base_->DeleteRootDirContents();
}

arrow::Status CountingFileSystem::DeleteFile(const std::string& path) {
  counts_->Add(RequestKind::kDelete);
  return base_->DeleteFile(path);
}

arrow::Status CountingFileSystem::Move(const std::string& src, const std::string& dest) {
  counts_->Add(RequestKind::kMove);
  return base_->Move(src, dest);
}

arrow::Status CountingFileSystem::CopyFile(const std::string& src, const std::string& dest) {
  counts_->Add(RequestKind::kCopy);
  return base_->CopyFile(src, dest);
}

arrow::Result<std::shared_ptr<arrow::io::InputStream>> CountingFileSystem::OpenInputStream(
    const std::string& path) {
  counts_->Add(RequestKind::kOpen);
  counts_->Add(RequestKind::kRead);  // streams are read whole: counted as one read
  return base_->OpenInputStream(path);
}

arrow::Result<std::shared_ptr<arrow::io::InputStream>> CountingFileSystem::OpenInputStream(
    const arrow::fs::FileInfo& info) {
  counts_->Add(RequestKind::kRead);
  return base_->OpenInputStream(info);
}

arrow::Result<std::shared_ptr<arrow::io::RandomAccessFile>> CountingFileSystem::OpenInputFile(
    const std::string& path) {
  counts_->Add(RequestKind::kOpen);
  ARROW_ASSIGN_OR_RAISE(auto file, base_->OpenInputFile(path));
  return std::make_shared<CountingFile>(std::move(file), counts_);
}

arrow::Result<std::shared_ptr<arrow::io::RandomAccessFile>> CountingFileSystem::OpenInputFile(
    const arrow::fs::FileInfo& info) {
  ARROW_ASSIGN_OR_RAISE(auto file, base_->OpenInputFile(info));
  return std::make_shared<CountingFile>(std::move(file), counts_);
}

arrow::Result<std::shared_ptr<arrow::io::OutputStream>> CountingFileSystem::OpenOutputStream(
    const std::string& path, const std::shared_ptr<const arrow::KeyValueMetadata>& metadata) {
  counts_->Add(RequestKind::kWrite);
  return base_->OpenOutputStream(path, metadata);
}

arrow::Result<std::shared_ptr<arrow::io::OutputStream>> CountingFileSystem::OpenAppendStream(
    const std::string& path, const std::shared_ptr<const arrow::KeyValueMetadata>& metadata) {
  counts_->Add(RequestKind::kWrite);
  return base_->OpenAppendStream(path, metadata);
}

std::shared_ptr<arrow::fs::FileSystem> CountRequests(std::shared_ptr<arrow::fs::FileSystem> fs,
                                                     std::shared_ptr<RequestCounts> counts) {
  if (auto counting = std::dynamic_pointer_cast<CountingFileSystem>(fs)) fs = counting->base();
  return std::make_shared<CountingFileSystem>(std::move(fs), std::move(counts));
}

}  // namespace fsspeckit::io
