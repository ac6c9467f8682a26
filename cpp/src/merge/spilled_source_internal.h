// fsspeckit: a merge source larger than its share of the budget, spilled to the dataset's
// staging folder in parts by ranges of an integer first key column (else by a hash of the
// key), so equal keys share a part.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <arrow/filesystem/filesystem.h>
#include <arrow/ipc/reader.h>
#include <arrow/ipc/writer.h>
#include <arrow/memory_pool.h>
#include <arrow/record_batch.h>
#include <arrow/result.h>
#include <arrow/table.h>

#include "fsspeckit/memory/capped_pool.h"

namespace fsspeckit::merge {

/// The source's first batches, read until the Arrow pool grows by more than
/// `in_memory_bytes` or half the room it has left (a producer's batches and read-ahead
/// land there; what others hold stays), or the batches reference more than the whole
/// budget (a caller's table is already in the pool: keeping it costs nothing), or the
/// source ends (`complete`): a source that fits is never written anywhere.
struct SourceHead {
  std::vector<std::shared_ptr<arrow::RecordBatch>> batches;
  int64_t bytes = 0;
  bool complete = false;
};
arrow::Result<SourceHead> ReadSourceHead(arrow::RecordBatchReader& reader, int64_t in_memory_bytes,
                                         const memory::CappedMemoryPool& pool);

/// One part of a spilled source (Arrow IPC files): its rows keep the source's order, so
/// within a part, as in the whole source, the last row of a key wins. On an object store
/// each flush is an object of its own, written whole: a stream left open there would
/// buffer its upload in memory (Arrow's S3 output stream), one per part.
struct SourcePart {
  std::string name;                ///< `<dir>/part-NNN[-NNN...]`: sorts as the ranges do
  std::vector<std::string> files;  ///< one on a local disk; on an object store one a flush
  int64_t rows = 0;
  int64_t bytes = 0;  ///< in memory, as read back
};

struct SpilledSource {
  std::shared_ptr<arrow::Schema> schema;
  std::vector<SourcePart> parts;  ///< each at most the part size asked for
  int64_t rows = 0;
  int64_t bytes_written = 0;      ///< spilled to disk, re-splits included
};

/// Writes `head` and the rest of `reader` to parts under `dir`, by ranges of the first
/// key column when it is an integer (splitters from the head) or else by a hash of
/// `key_columns` (equal keys, in any storage, share a part); a part that grows past
/// `part_bytes` is split again by a hash. Parts come out in path order, ranges ascending. Buffers at most about `part_bytes` / 4
/// per pass in `pool`.
arrow::Result<SpilledSource> SpillSource(SourceHead head, arrow::RecordBatchReader& reader,
                                         arrow::fs::FileSystem& fs, const std::string& dir,
                                         const std::vector<std::string>& key_columns,
                                         int64_t part_bytes, arrow::MemoryPool* pool);

/// An Arrow IPC file of spilled rows being written (LZ4 where a round trip costs more
/// than compressing: off a local disk).
class SpillFileWriter {
 public:
  static arrow::Result<SpillFileWriter> Open(arrow::fs::FileSystem& fs, const std::string& path,
                                             const std::shared_ptr<arrow::Schema>& schema,
                                             arrow::MemoryPool* pool);
  /// The batch's number in the file.
  arrow::Result<int> Write(const arrow::RecordBatch& batch);
  /// The bytes written.
  arrow::Result<int64_t> Close();

 private:
  std::shared_ptr<arrow::io::OutputStream> out_;
  std::shared_ptr<arrow::ipc::RecordBatchWriter> writer_;
  int batches_ = 0;
};

/// A spilled file read back, its buffers in `pool`.
arrow::Result<std::shared_ptr<arrow::ipc::RecordBatchFileReader>> OpenSpillFile(
    arrow::fs::FileSystem& fs, const std::string& path, arrow::MemoryPool* pool);

/// A write to the spill folder `dir` that failed (a full disk, a quota) said as such,
/// with the folder and what to do; other statuses as they are.
arrow::Status SpillWriteError(const arrow::Status& status, const std::string& dir);

/// The parts' files removed (a part no longer needed).
arrow::Status DeleteParts(arrow::fs::FileSystem& fs, const std::vector<SourcePart>& parts);

/// The parts' rows, one after the other, as one table in `pool`.
arrow::Result<std::shared_ptr<arrow::Table>> ReadParts(arrow::fs::FileSystem& fs,
                                                       const std::vector<SourcePart>& parts,
                                                       arrow::MemoryPool* pool);

}  // namespace fsspeckit::merge
