// fsspeckit: a small object read whole, in one request, and served from memory.
#pragma once

#include <cstdint>
#include <memory>

#include <arrow/io/interfaces.h>
#include <arrow/memory_pool.h>
#include <arrow/result.h>

namespace fsspeckit::io {

/// Objects up to this size are worth reading whole where each read is a round trip (an
/// object store): a footer, dictionary page headers and column chunks are then one GET,
/// not one each.
inline constexpr int64_t kWholeReadBytes = int64_t{8} << 20;

/// `input`, `size_bytes` long, read whole into a buffer from `pool` (so within a budget)
/// with one read, and served from memory. IOError "ended after N of M bytes" when the
/// object is shorter than `size_bytes` (it changed since it was listed).
arrow::Result<std::shared_ptr<arrow::io::RandomAccessFile>> ReadWhole(
    arrow::io::RandomAccessFile& input, int64_t size_bytes, arrow::MemoryPool* pool);

}  // namespace fsspeckit::io
