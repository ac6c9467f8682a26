// fsspeckit: a procfs/cgroupfs file kept open and re-read with pread.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace fsspeckit::memory {

/// A kernel-generated file opened once. Re-reading at offset 0 refreshes its values,
/// which costs a fraction of open+read+close. Thread-safe: each read uses the caller's
/// buffer.
class ProcFile {
 public:
  /// nullopt when the file cannot be opened (absent on this platform).
  static std::optional<ProcFile> Open(const std::string& path);
  ProcFile(ProcFile&& other) noexcept;
  ProcFile& operator=(ProcFile&& other) noexcept;
  ProcFile(const ProcFile&) = delete;
  ProcFile& operator=(const ProcFile&) = delete;
  ~ProcFile();

  /// The file's content (up to buffer.size() bytes), or nullopt on a read error.
  std::optional<std::string_view> Read(std::span<char> buffer) const;

 private:
  explicit ProcFile(int fd) : fd_(fd) {}
  int fd_ = -1;
};

/// Reads a whole small file once (no fd kept); nullopt if it cannot be read.
std::optional<std::string> ReadSmallFile(const std::string& path);

/// The first line of `text` that starts with `prefix`.
std::optional<std::string_view> FindLine(std::string_view text, std::string_view prefix);

/// The integer after `key` in "key: 123 kB" (meminfo) or "key 123" (memory.stat) text,
/// where `key` starts a line. nullopt if absent or not a number.
std::optional<int64_t> FindField(std::string_view text, std::string_view key);

/// The leading integer of `text` (surrounding whitespace allowed).
std::optional<int64_t> ParseInt(std::string_view text);

}  // namespace fsspeckit::memory
