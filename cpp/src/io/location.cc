// fsspeckit: where a dataset lives: a filesystem and a path on it.
#include "fsspeckit/io/location.h"

#include <array>
#include <cstdio>
#include <filesystem>

#include <arrow/filesystem/localfs.h>
#include <arrow/io/interfaces.h>

#include "fsspeckit/memory/operation_pool.h"
#include "io/retry_internal.h"

namespace fsspeckit::io {
namespace {

constexpr const char* kPathErrorTypeId = "fsspeckit::io::PathError";

class PathErrorDetail : public arrow::StatusDetail {
 public:
  const char* type_id() const override { return kPathErrorTypeId; }
  std::string ToString() const override { return "dataset path"; }
};

constexpr std::array<std::string_view, 7> kArrowSchemes = {"file", "s3",    "gs",  "gcs",
                                                           "abfs", "abfss", "hdfs"};

arrow::Result<std::string> AbsoluteLocal(const std::string& path) {
  std::error_code error;
  std::filesystem::path absolute = std::filesystem::absolute(path, error);
  if (error) return PathError(arrow::StatusCode::IOError, "invalid path '" + path + "': " + error.message());
  std::string normal = absolute.lexically_normal().string();
  while (normal.size() > 1 && normal.back() == '/') normal.pop_back();
  return normal;
}

}  // namespace

arrow::Status PathError(arrow::StatusCode code, std::string message) {
  return arrow::Status(code, std::move(message), std::make_shared<PathErrorDetail>());
}

bool IsPathError(const arrow::Status& status) {
  return status.detail() && std::string_view(status.detail()->type_id()) == kPathErrorTypeId;
}

arrow::Result<Location> ResolveLocation(std::shared_ptr<arrow::fs::FileSystem> filesystem,
                                        const std::string& uri_or_path) {
  if (uri_or_path.find_first_not_of(" \t\r\n") == std::string::npos) {
    return PathError(arrow::StatusCode::Invalid, "Path cannot be empty or whitespace-only");
  }
  for (unsigned char c : uri_or_path) {
    if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') {
      char escaped[8];
      std::snprintf(escaped, sizeof(escaped), "\\x%02x", c);
      return PathError(arrow::StatusCode::Invalid,
                       std::string("Path contains forbidden control character: '") + escaped + "'");
    }
  }
  const size_t scheme_end = uri_or_path.find("://");
  const std::string scheme = scheme_end == std::string::npos ? "" : uri_or_path.substr(0, scheme_end);

  if (filesystem) {
    std::string path = scheme.empty() ? uri_or_path : uri_or_path.substr(scheme_end + 3);
    if (IsLocalDisk(*filesystem)) {
      ARROW_ASSIGN_OR_RAISE(path, AbsoluteLocal(path));
    }
    // The filesystem's own spelling (fsspec's memory filesystem roots paths at "/").
    auto normal = filesystem->NormalizePath(path);
    if (!normal.ok()) {
      return PathError(normal.status().code(),
                       "invalid path '" + uri_or_path + "': " + normal.status().message());
    }
    ARROW_ASSIGN_OR_RAISE(filesystem, WithRetries(std::move(filesystem)));
    return Location{std::move(filesystem), std::move(*normal)};
  }
  if (scheme.empty()) {
    ARROW_ASSIGN_OR_RAISE(std::string path, AbsoluteLocal(uri_or_path));
    // Files read from the operation pool: their bytes count with the operation's.
    return Location{std::make_shared<arrow::fs::LocalFileSystem>(
                        arrow::fs::LocalFileSystemOptions::Defaults(),
                        arrow::io::IOContext(memory::OperationPool())),
                    std::move(path)};
  }
  if (std::find(kArrowSchemes.begin(), kArrowSchemes.end(), scheme) == kArrowSchemes.end()) {
    return PathError(arrow::StatusCode::Invalid,
                     "Unsupported protocol: " + scheme +
                         " (without a filesystem object fsspeckit reads file://, s3://, gs://, "
                         "abfs:// and hdfs:// URIs; pass filesystem= for others)");
  }
  Location location;
  auto resolved = arrow::fs::FileSystemFromUri(uri_or_path, &location.path);
  if (!resolved.ok()) {
    return PathError(resolved.status().code(),
                     "cannot open '" + uri_or_path + "': " + resolved.status().message());
  }
  ARROW_ASSIGN_OR_RAISE(location.filesystem, WithRetries(*resolved));
  return location;
}

arrow::Status CheckExists(const Location& location) {
  ARROW_ASSIGN_OR_RAISE(arrow::fs::FileInfo info, location.filesystem->GetFileInfo(location.path));
  if (info.type() == arrow::fs::FileType::NotFound) {
    return PathError(arrow::StatusCode::IOError, "Dataset path does not exist: " + location.path);
  }
  return arrow::Status::OK();
}

}  // namespace fsspeckit::io
