// fsspeckit: a small object read whole, in one request, and served from memory.
#include "io/whole_read_internal.h"

#include <arrow/buffer.h>
#include <arrow/io/memory.h>

namespace fsspeckit::io {

arrow::Result<std::shared_ptr<arrow::io::RandomAccessFile>> ReadWhole(
    arrow::io::RandomAccessFile& input, int64_t size_bytes, arrow::MemoryPool* pool) {
  ARROW_ASSIGN_OR_RAISE(std::shared_ptr<arrow::Buffer> bytes, arrow::AllocateBuffer(size_bytes, pool));
  ARROW_ASSIGN_OR_RAISE(const int64_t read, input.ReadAt(0, size_bytes, bytes->mutable_data_as<void>()));
  if (read != size_bytes) {
    return arrow::Status::IOError("ended after ", read, " of ", size_bytes, " bytes");
  }
  return std::make_shared<arrow::io::BufferReader>(std::move(bytes));
}

}  // namespace fsspeckit::io
