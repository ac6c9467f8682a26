// fsspeckit: a procfs/cgroupfs file kept open and re-read with pread.
#include "proc_file_internal.h"

#include <fcntl.h>
#include <unistd.h>

#include <charconv>
#include <fstream>
#include <sstream>

namespace fsspeckit::memory {

std::optional<ProcFile> ProcFile::Open(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  return ProcFile(fd);
}

ProcFile::ProcFile(ProcFile&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }

ProcFile& ProcFile::operator=(ProcFile&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.fd_;
    other.fd_ = -1;
  }
  return *this;
}

ProcFile::~ProcFile() {
  if (fd_ >= 0) ::close(fd_);
}

std::optional<std::string_view> ProcFile::Read(std::span<char> buffer) const {
  ssize_t n = ::pread(fd_, buffer.data(), buffer.size(), 0);
  if (n < 0) return std::nullopt;
  return std::string_view(buffer.data(), static_cast<size_t>(n));
}

std::optional<std::string> ReadSmallFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::optional<int64_t> ParseInt(std::string_view text) {
  size_t begin = text.find_first_not_of(" \t\n");
  if (begin == std::string_view::npos) return std::nullopt;
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data() + begin, text.data() + text.size(), value);
  if (ec != std::errc()) return std::nullopt;
  return value;
}

std::optional<std::string_view> FindLine(std::string_view text, std::string_view prefix) {
  size_t pos = 0;
  while (pos < text.size()) {
    size_t eol = text.find('\n', pos);
    if (eol == std::string_view::npos) eol = text.size();
    std::string_view line = text.substr(pos, eol - pos);
    if (line.starts_with(prefix)) return line;
    pos = eol + 1;
  }
  return std::nullopt;
}

std::optional<int64_t> FindField(std::string_view text, std::string_view key) {
  // "key:" (meminfo) or "key " (memory.stat); the separator keeps "file" from matching
  // "file_mapped".
  for (char separator : {':', ' '}) {
    std::string prefix(key);
    prefix.push_back(separator);
    if (std::optional<std::string_view> line = FindLine(text, prefix)) {
      return ParseInt(line->substr(prefix.size()));
    }
  }
  return std::nullopt;
}

}  // namespace fsspeckit::memory
