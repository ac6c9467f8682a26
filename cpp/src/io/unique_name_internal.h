// fsspeckit: random names for files and folders that must not collide.
#pragma once

#include <string>

namespace fsspeckit::io {

/// 16 random hex digits (64 bits): new file names never meet existing ones.
std::string UniqueId();

/// The parent of a '/'-separated path ("" for a bare name), and its last segment.
std::string ParentPath(const std::string& path);
std::string BaseName(const std::string& path);

/// A fresh path beside `path` for part `part` (0, 1, ...) of the file that replaces it:
/// `<stem>-<UniqueId>-<part>.parquet`, where the stem is the base name without
/// ".parquet" and without the `-<16 hex>-<digits>` an earlier replacement (or an
/// insert) added, so names do not grow with every rewrite. A rewritten file never takes
/// its old name: a reader that listed the old object never reads the new one's bytes.
std::string ReplacementPath(const std::string& path, size_t part);

}  // namespace fsspeckit::io
