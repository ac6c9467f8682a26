// fsspeckit: the conditional writes of an object store, which a lock on it needs.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <arrow/filesystem/filesystem.h>
#include <arrow/result.h>

namespace fsspeckit::io {

struct StoredObject {
  std::string body;
  std::string etag;  ///< the store's version tag; only compared, never parsed
};

/// Single-object compare-and-swap on an object store (S3's If-None-Match / If-Match,
/// GCS's ifGenerationMatch). Arrow's filesystems have no such calls (apache/arrow
/// #44281), so they are supplied through the provider below: by the Python module
/// (botocore, s3fs, gcsfs) or, in the native CLI, by S3AtomicStoreFor (s3_atomic_store.h,
/// libcurl).
/// Paths are in the filesystem's own spelling ("bucket/key"). Every call is one request
/// and atomic on the store's side; a lost condition is a value, not an error.
/// A store may also offer a plain Delete, which a commit holding the lock deletes with.
class AtomicObjectStore {
 public:
  virtual ~AtomicObjectStore() = default;
  /// nullopt when there is no object at `path`.
  virtual arrow::Result<std::optional<StoredObject>> Read(const std::string& path) = 0;
  /// The new object's ETag; nullopt when an object exists at `path` already.
  virtual arrow::Result<std::optional<std::string>> CreateIfAbsent(const std::string& path,
                                                                   const std::string& body) = 0;
  /// The new ETag; nullopt when the object is gone or its ETag is no longer `etag`.
  virtual arrow::Result<std::optional<std::string>> ReplaceIfMatch(const std::string& path,
                                                                   const std::string& body,
                                                                   const std::string& etag) = 0;
  /// false when the object is gone or its ETag is no longer `etag`.
  virtual arrow::Result<bool> DeleteIfMatch(const std::string& path, const std::string& etag) = 0;

  /// Deletes the object at `path`, unconditionally, with one request; OK when there is
  /// none (a replayed commit deletes again). Unlike a filesystem's DeleteFile it asks
  /// nothing first and puts no folder marker back (Arrow's S3: a HEAD before the DELETE,
  /// a PUT of the parent's marker after). NotImplemented unless supports_delete().
  virtual arrow::Status Delete(const std::string& path);
  /// Whether Delete is offered; callers without it use the filesystem's DeleteFile.
  virtual bool supports_delete() const { return false; }
};

/// Returns the conditional writes for `fs`; nullptr when its kind has none; an error
/// when its kind has them but they cannot be made here (the error says why and how to
/// fix it, e.g. a missing libcurl), which a declared single writer may ignore.
using AtomicStoreProvider = std::function<arrow::Result<std::shared_ptr<AtomicObjectStore>>(
    const std::shared_ptr<arrow::fs::FileSystem>& fs)>;

/// Installs the process's provider (the Python module does, on import); replaces any
/// earlier one. Without a provider no filesystem has conditional writes.
void SetAtomicStoreProvider(AtomicStoreProvider provider);

/// The provider's answer for `fs`; nullptr when there is no provider.
arrow::Result<std::shared_ptr<AtomicObjectStore>> AtomicStoreFor(
    const std::shared_ptr<arrow::fs::FileSystem>& fs);

}  // namespace fsspeckit::io
