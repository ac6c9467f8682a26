// fsspeckit: random names for files and folders that must not collide.
#pragma once

#include <string>

namespace fsspeckit::io {

/// 16 random hex digits (64 bits): new file names never meet existing ones.
std::string UniqueId();

/// The parent of a '/'-separated path ("" for a bare name), and its last segment.
std::string ParentPath(const std::string& path);
std::string BaseName(const std::string& path);

}  // namespace fsspeckit::io
