// fsspeckit: where a dataset lives: a filesystem and a path on it.
#pragma once

#include <memory>
#include <string>

#include <arrow/filesystem/filesystem.h>
#include <arrow/result.h>
#include <arrow/status.h>

namespace fsspeckit::io {

struct Location {
  std::shared_ptr<arrow::fs::FileSystem> filesystem;
  std::string path;  ///< in `filesystem`'s own spelling (absolute for local, bucket/key for S3)
};

/// Resolves a user's path. Without a filesystem: a local path (relative ones become
/// absolute) or a URI with a scheme Arrow serves (file, s3, gs, gcs, abfs, abfss, hdfs).
/// With a filesystem: a leading "scheme://" is dropped, the rest is that filesystem's
/// path (relative local paths become absolute). Empty paths, control characters and
/// other schemes fail with a path error (see IsPathError).
arrow::Result<Location> ResolveLocation(std::shared_ptr<arrow::fs::FileSystem> filesystem,
                                        const std::string& uri_or_path);

/// A failure about the dataset path itself (missing, unsupported protocol, malformed):
/// an ordinary Status with a detail the Python layer maps to DatasetPathError.
arrow::Status PathError(arrow::StatusCode code, std::string message);
bool IsPathError(const arrow::Status& status);

/// IOError path error "Dataset path does not exist: <path>" unless `path` exists.
arrow::Status CheckExists(const Location& location);

/// Whether `fs` is this machine's own disk (Arrow's LocalFileSystem): renames are atomic
/// and cheap, folders exist, links may lead out; everything else is an object store or
/// a store behind Python (fsspec), where each call is a request.
inline bool IsLocalDisk(const arrow::fs::FileSystem& fs) { return fs.type_name() == "local"; }

/// Whether a file can be created only inside an existing folder: false for Arrow's own
/// object stores (S3, GCS, Azure), where a folder is a prefix of names and creating one
/// costs requests for nothing (on S3 two HEADs and a marker PUT); true elsewhere (local
/// disks, fsspec filesystems, HDFS), where creating it first is needed.
inline bool NeedsFolders(const arrow::fs::FileSystem& fs) {
  const std::string type = fs.type_name();
  return type != "s3" && type != "gcs" && type != "abfs";
}

/// Whether a file written to `fs` appears only once whole (Arrow's S3, GCS and Azure: an
/// object exists once its upload completes), so that writing it under a temporary name
/// and renaming it (on those stores a copy and a delete, three round trips with the
/// folder marker Arrow puts back) adds nothing. False for local disks and fsspec's.
inline bool WritesWholeObjects(const arrow::fs::FileSystem& fs) { return !NeedsFolders(fs); }

}  // namespace fsspeckit::io
