// fsspeckit: spilling a merge source in parts by a hash of its key (grace partitioning).
#include "merge/spilled_source_internal.h"

#include <algorithm>
#include <cstring>
#include <cstdio>
#include <functional>
#include <optional>
#include <string_view>

#include <arrow/array.h>
#include <arrow/array/builder_primitive.h>
#include <arrow/compute/api_vector.h>
#include <arrow/io/interfaces.h>
#include <arrow/ipc/reader.h>
#include <arrow/ipc/writer.h>
#include <arrow/util/byte_size.h>
#include <arrow/util/compression.h>

#include "fsspeckit/io/location.h"
#include "merge/key_index_internal.h"

namespace fsspeckit::merge {
namespace {

namespace cp = arrow::compute;

// A part is split this many ways at first; parts that grow past their size again.
constexpr int kFirstFanout = 16;
// Splitting a part again uses another hash; a key too common to split stays whole.
constexpr int kMaxSplitLevels = 4;

uint64_t Mix(uint64_t x) {  // MurmurHash3's finalizer: every input bit moves every output bit
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  return x ^ (x >> 33);
}

// Folds one key column (in its canonical type, so equal keys have equal bytes) into
// `hashes`, row by row.
void HashColumn(const arrow::Array& keys, std::vector<uint64_t>& hashes) {
  const arrow::DataType& type = *keys.type();
  for (int64_t i = 0; i < keys.length(); ++i) {
    uint64_t h = 0x9e3779b97f4a7c15ULL;  // null
    if (keys.IsValid(i)) {
      if (type.id() == arrow::Type::BOOL) {
        h = static_cast<const arrow::BooleanArray&>(keys).Value(i) ? 1 : 2;
      } else if (arrow::is_binary_like(type.id())) {
        h = std::hash<std::string_view>{}(static_cast<const arrow::BinaryArray&>(keys).GetView(i));
      } else {  // fixed width: int64, double, temporal, decimals
        const int width = type.byte_width();
        const uint8_t* value = keys.data()->GetValues<uint8_t>(1, 0) + (keys.offset() + i) * width;
        h = 0;
        for (int at = 0; at < width; at += 8) {
          uint64_t word = 0;
          std::memcpy(&word, value + at, std::min(8, width - at));
          h = Mix(h ^ word);
        }
      }
    }
    hashes[i] = Mix(hashes[i] * 31 + h);
  }
}

// Integer keys in their ordered form (uint64 with its top bit flipped), so one
// comparison serves both signs; nullopt for other types.
std::optional<int64_t> OrderedInteger(const arrow::Array& canonical, int64_t i) {
  if (canonical.type_id() == arrow::Type::INT64) {
    return static_cast<const arrow::Int64Array&>(canonical).Value(i);
  }
  if (canonical.type_id() == arrow::Type::UINT64) {
    return static_cast<int64_t>(static_cast<const arrow::UInt64Array&>(canonical).Value(i) ^
                                (uint64_t{1} << 63));
  }
  return std::nullopt;
}

// Which part each row goes to: by ranges of the first key column where it is an integer
// (equal keys, composite or not, share their first value; a pass of neighbouring ranges
// then finds few files' statistics in range, so its scan reads few key columns), else by
// a hash of every key column.
struct Partitioner {
  std::vector<std::string> key_columns;
  int fanout = 1;
  uint64_t seed = 0;
  std::vector<int64_t> splitters;  // ordered integers, ascending; empty: by hash

  arrow::Result<std::vector<std::vector<int64_t>>> RowsByPart(const arrow::RecordBatch& batch) const {
    std::vector<std::shared_ptr<arrow::Array>> keys;
    for (const std::string& name : key_columns) {
      std::shared_ptr<arrow::Array> column = batch.GetColumnByName(name);
      if (!column) return arrow::Status::Invalid("key column '", name, "' is not in the source");
      ARROW_ASSIGN_OR_RAISE(keys.emplace_back(),
                            CanonicalKeys(column, CanonicalKeyType(column->type())));
    }
    std::vector<std::vector<int64_t>> rows(fanout);
    if (!splitters.empty()) {
      for (int64_t i = 0; i < batch.num_rows(); ++i) {
        const int part = keys[0]->IsNull(i) ? 0  // nulls equal each other: one part
                         : static_cast<int>(std::upper_bound(splitters.begin(), splitters.end(),
                                                             *OrderedInteger(*keys[0], i)) -
                                            splitters.begin());
        rows[part].push_back(i);
      }
      return rows;
    }
    std::vector<uint64_t> hashes(batch.num_rows(), seed);
    for (const auto& canonical : keys) HashColumn(*canonical, hashes);
    for (int64_t i = 0; i < batch.num_rows(); ++i) {
      rows[Mix(hashes[i] + seed) % static_cast<uint64_t>(fanout)].push_back(i);
    }
    return rows;
  }
};

// Range splitters for `fanout` parts from the head's first key column, when that is an
// integer with enough distinct values; empty otherwise (parts by hash). A head that saw
// only part of the keys (a source sorted by key) leaves the last part large: it is split
// again by hash.
arrow::Result<std::vector<int64_t>> RangeSplitters(
    const std::vector<std::shared_ptr<arrow::RecordBatch>>& head, const std::string& column,
    int fanout) {
  std::vector<int64_t> sample;
  for (const auto& batch : head) {
    std::shared_ptr<arrow::Array> keys = batch->GetColumnByName(column);
    if (!keys) return arrow::Status::Invalid("key column '", column, "' is not in the source");
    ARROW_ASSIGN_OR_RAISE(auto canonical, CanonicalKeys(keys, CanonicalKeyType(keys->type())));
    const int64_t step = std::max<int64_t>(1, canonical->length() / 4096);  // a sample suffices
    for (int64_t i = 0; i < canonical->length(); i += step) {
      if (canonical->IsNull(i)) continue;
      std::optional<int64_t> value = OrderedInteger(*canonical, i);
      if (!value) return std::vector<int64_t>{};
      sample.push_back(*value);
    }
  }
  std::sort(sample.begin(), sample.end());
  sample.erase(std::unique(sample.begin(), sample.end()), sample.end());
  if (static_cast<int>(sample.size()) < 4 * fanout) return std::vector<int64_t>{};
  std::vector<int64_t> splitters;
  for (int p = 1; p < fanout; ++p) splitters.push_back(sample[sample.size() * p / fanout]);
  return splitters;
}

// Parts being written: batches routed to each, buffered up to `flush_bytes` a part.
class PartWriters {
 public:
  PartWriters(arrow::fs::FileSystem& fs, std::string prefix, std::shared_ptr<arrow::Schema> schema,
              Partitioner partitioner, int64_t flush_bytes, arrow::MemoryPool* pool)
      : fs_(fs), dir_(prefix.substr(0, prefix.rfind('/'))), prefix_(std::move(prefix)), schema_(std::move(schema)),
        partitioner_(std::move(partitioner)), flush_bytes_(flush_bytes), pool_(pool),
        parts_(partitioner_.fanout) {
  }

  arrow::Status Add(const std::shared_ptr<arrow::RecordBatch>& batch) {
    ARROW_ASSIGN_OR_RAISE(auto rows, partitioner_.RowsByPart(*batch));
    cp::ExecContext context(pool_);
    for (size_t p = 0; p < parts_.size(); ++p) {
      if (rows[p].empty()) continue;
      arrow::Int64Builder indices(pool_);
      ARROW_RETURN_NOT_OK(indices.AppendValues(rows[p]));
      ARROW_ASSIGN_OR_RAISE(auto taken_indices, indices.Finish());
      ARROW_ASSIGN_OR_RAISE(arrow::Datum taken,
                            cp::Take(batch, taken_indices, cp::TakeOptions::NoBoundsCheck(), &context));
      Part& part = parts_[p];
      part.buffered.push_back(taken.record_batch());
      ARROW_ASSIGN_OR_RAISE(int64_t bytes, arrow::util::ReferencedBufferSize(*part.buffered.back()));
      part.buffered_bytes += bytes;
      part.info.rows += part.buffered.back()->num_rows();
      part.info.bytes += bytes;
      if (part.buffered_bytes >= flush_bytes_) ARROW_RETURN_NOT_OK(SpillWriteError(Flush(p), dir_));
    }
    return arrow::Status::OK();
  }

  // Every part written and closed; the parts that received rows.
  arrow::Result<std::vector<SourcePart>> Finish(int64_t& bytes_written) {
    auto parts = FinishWriting(bytes_written);
    ARROW_RETURN_NOT_OK(SpillWriteError(parts.status(), dir_));
    return parts;
  }

 private:
  arrow::Result<std::vector<SourcePart>> FinishWriting(int64_t& bytes_written) {
    std::vector<SourcePart> out;
    for (size_t p = 0; p < parts_.size(); ++p) {
      ARROW_RETURN_NOT_OK(Flush(p));
      Part& part = parts_[p];
      if (part.writer) {
        ARROW_ASSIGN_OR_RAISE(int64_t written, part.writer->Close());
        part.written_bytes += written;
      }
      bytes_written += part.written_bytes;
      if (!part.info.files.empty()) out.push_back(part.info);
    }
    return out;
  }

  struct Part {
    SourcePart info;
    std::optional<SpillFileWriter> writer;  // a local disk's one file, open until Finish
    std::vector<std::shared_ptr<arrow::RecordBatch>> buffered;
    int64_t buffered_bytes = 0;
    int64_t written_bytes = 0;  // of closed files
  };

  arrow::Status Flush(size_t p) {
    Part& part = parts_[p];
    if (part.buffered.empty()) return arrow::Status::OK();
    if (part.info.name.empty()) {
      char number[16];  // zero-padded: names sort as the parts' ranges do
      std::snprintf(number, sizeof(number), "%03zu", p);
      part.info.name = prefix_ + number;
    }
    // Written as one batch: parts read back in few chunks.
    ARROW_ASSIGN_OR_RAISE(auto table, arrow::Table::FromRecordBatches(schema_, part.buffered));
    ARROW_ASSIGN_OR_RAISE(auto batch, table->CombineChunksToBatch(pool_));
    part.buffered.clear();
    part.buffered_bytes = 0;
    if (!io::IsLocalDisk(fs_)) {  // an object of its own, written whole
      const std::string path = part.info.name + "." + std::to_string(part.info.files.size()) + ".arrow";
      ARROW_ASSIGN_OR_RAISE(SpillFileWriter file, SpillFileWriter::Open(fs_, path, schema_, pool_));
      ARROW_RETURN_NOT_OK(file.Write(*batch).status());
      ARROW_ASSIGN_OR_RAISE(int64_t written, file.Close());
      part.written_bytes += written;
      part.info.files.push_back(path);
      return arrow::Status::OK();
    }
    if (!part.writer) {
      part.info.files.push_back(part.info.name + ".arrow");
      ARROW_ASSIGN_OR_RAISE(part.writer, SpillFileWriter::Open(fs_, part.info.files.back(), schema_, pool_));
    }
    return part.writer->Write(*batch).status();
  }

  arrow::fs::FileSystem& fs_;
  std::string dir_;     // the spill folder, for errors
  std::string prefix_;
  std::shared_ptr<arrow::Schema> schema_;
  Partitioner partitioner_;
  int64_t flush_bytes_;
  arrow::MemoryPool* pool_;
  std::vector<Part> parts_;
};

int64_t FlushBytes(int64_t part_bytes, int fanout) {
  return std::max<int64_t>(int64_t{64} << 10, part_bytes / (4 * fanout));
}

}  // namespace

arrow::Result<SpillFileWriter> SpillFileWriter::Open(arrow::fs::FileSystem& fs, const std::string& path,
                                                     const std::shared_ptr<arrow::Schema>& schema,
                                                     arrow::MemoryPool* pool) {
  auto options = arrow::ipc::IpcWriteOptions::Defaults();
  options.memory_pool = pool;
  if (!io::IsLocalDisk(fs)) {  // a round trip costs more than compressing
    ARROW_ASSIGN_OR_RAISE(options.codec, arrow::util::Codec::Create(arrow::Compression::LZ4_FRAME));
  }
  SpillFileWriter writer;
  ARROW_ASSIGN_OR_RAISE(writer.out_, fs.OpenOutputStream(path));
  ARROW_ASSIGN_OR_RAISE(writer.writer_, arrow::ipc::MakeFileWriter(writer.out_, schema, options));
  return writer;
}

arrow::Result<int> SpillFileWriter::Write(const arrow::RecordBatch& batch) {
  ARROW_RETURN_NOT_OK(writer_->WriteRecordBatch(batch));
  return batches_++;
}

arrow::Result<int64_t> SpillFileWriter::Close() {
  ARROW_RETURN_NOT_OK(writer_->Close());
  ARROW_ASSIGN_OR_RAISE(int64_t bytes, out_->Tell());
  ARROW_RETURN_NOT_OK(out_->Close());
  return bytes;
}

arrow::Result<std::shared_ptr<arrow::ipc::RecordBatchFileReader>> OpenSpillFile(
    arrow::fs::FileSystem& fs, const std::string& path, arrow::MemoryPool* pool) {
  ARROW_ASSIGN_OR_RAISE(auto file, fs.OpenInputFile(path));
  auto options = arrow::ipc::IpcReadOptions::Defaults();
  options.memory_pool = pool;
  return arrow::ipc::RecordBatchFileReader::Open(file, options);
}

arrow::Status SpillWriteError(const arrow::Status& status, const std::string& dir) {
  if (status.ok() || !status.IsIOError()) return status;
  return arrow::Status::IOError("cannot spill the merge's source to '", dir, "': ",
                                status.message(), "; free space there (a spill takes about "
                                "twice the source's size) or raise the memory budget: the "
                                "dataset is unchanged");
}

arrow::Result<SourceHead> ReadSourceHead(arrow::RecordBatchReader& reader, int64_t in_memory_bytes,
                                         const memory::CappedMemoryPool& pool) {
  SourceHead head;
  auto pool_bytes = [&] { return pool.limit_bytes() - pool.available_bytes(); };
  const int64_t pool_before = pool_bytes();  // what others hold is not the source's
  // The head may grow the pool by half the room left (the other half indexes it, or
  // spills it). Batches already in the pool (a caller's table) cost nothing to keep, up
  // to the whole budget; a producer allocating elsewhere is held to the same.
  const int64_t growth_bytes = std::min(in_memory_bytes, pool.available_bytes() / 2);
  while (head.bytes <= pool.limit_bytes() && pool_bytes() - pool_before <= growth_bytes) {
    std::shared_ptr<arrow::RecordBatch> batch;
    ARROW_RETURN_NOT_OK(reader.ReadNext(&batch));
    if (!batch) {
      head.complete = true;
      break;
    }
    // Referenced bytes: a C-stream import's batches share buffers other counts merge.
    ARROW_ASSIGN_OR_RAISE(int64_t bytes, arrow::util::ReferencedBufferSize(*batch));
    head.bytes += bytes;
    head.batches.push_back(std::move(batch));
  }
  return head;
}

arrow::Result<SpilledSource> SpillSource(SourceHead head, arrow::RecordBatchReader& reader,
                                         arrow::fs::FileSystem& fs, const std::string& dir,
                                         const std::vector<std::string>& key_columns,
                                         int64_t part_bytes, arrow::MemoryPool* pool) {
  SpilledSource spilled;
  spilled.schema = reader.schema();
  ARROW_RETURN_NOT_OK(SpillWriteError(fs.CreateDir(dir, /*recursive=*/true), dir));
  ARROW_ASSIGN_OR_RAISE(std::vector<int64_t> splitters,
                        RangeSplitters(head.batches, key_columns[0], kFirstFanout));
  PartWriters first(fs, dir + "/part-", spilled.schema,
                    Partitioner{key_columns, kFirstFanout, 0, std::move(splitters)},
                    FlushBytes(part_bytes, kFirstFanout), pool);
  for (auto& batch : head.batches) {
    spilled.rows += batch->num_rows();
    ARROW_RETURN_NOT_OK(first.Add(batch));
    batch.reset();  // the head is released as it is written
  }
  while (true) {
    std::shared_ptr<arrow::RecordBatch> batch;
    ARROW_RETURN_NOT_OK(reader.ReadNext(&batch));
    if (!batch) break;
    spilled.rows += batch->num_rows();
    ARROW_RETURN_NOT_OK(first.Add(batch));
  }
  ARROW_ASSIGN_OR_RAISE(std::vector<SourcePart> parts, first.Finish(spilled.bytes_written));
  // Parts too large for a pass are split again, each with a hash of its own level.
  std::vector<std::pair<SourcePart, int>> pending;
  for (SourcePart& part : parts) pending.emplace_back(std::move(part), 1);
  while (!pending.empty()) {
    auto [part, level] = std::move(pending.back());
    pending.pop_back();
    if (part.bytes <= part_bytes || level > kMaxSplitLevels) {
      spilled.parts.push_back(std::move(part));
      continue;
    }
    const int fanout = static_cast<int>(std::clamp<int64_t>(2 * (part.bytes / part_bytes + 1), 2, 64));
    std::string prefix = part.name + "-";
    PartWriters again(fs, prefix, spilled.schema,
                      Partitioner{key_columns, fanout, static_cast<uint64_t>(level), {}},
                      FlushBytes(part_bytes, fanout), pool);
    for (const std::string& path : part.files) {
      ARROW_ASSIGN_OR_RAISE(auto reader_of_part, OpenSpillFile(fs, path, pool));
      for (int b = 0; b < reader_of_part->num_record_batches(); ++b) {
        ARROW_ASSIGN_OR_RAISE(auto batch, reader_of_part->ReadRecordBatch(b));
        ARROW_RETURN_NOT_OK(again.Add(batch));
      }
    }
    ARROW_ASSIGN_OR_RAISE(std::vector<SourcePart> split, again.Finish(spilled.bytes_written));
    ARROW_RETURN_NOT_OK(DeleteParts(fs, {part}));
    for (SourcePart& piece : split) pending.emplace_back(std::move(piece), level + 1);
  }
  // In the order written, so passes and their files come out the same every time.
  std::sort(spilled.parts.begin(), spilled.parts.end(),
            [](const SourcePart& a, const SourcePart& b) { return a.name < b.name; });
  return spilled;
}

arrow::Result<std::shared_ptr<arrow::Table>> ReadParts(arrow::fs::FileSystem& fs,
                                                       const std::vector<SourcePart>& parts,
                                                       arrow::MemoryPool* pool) {
  std::shared_ptr<arrow::Schema> schema;
  std::vector<std::shared_ptr<arrow::RecordBatch>> batches;
  for (const SourcePart& part : parts) {
    for (const std::string& path : part.files) {
      ARROW_ASSIGN_OR_RAISE(auto reader, OpenSpillFile(fs, path, pool));
      schema = reader->schema();
      for (int b = 0; b < reader->num_record_batches(); ++b) {
        ARROW_ASSIGN_OR_RAISE(batches.emplace_back(), reader->ReadRecordBatch(b));
      }
    }
  }
  return arrow::Table::FromRecordBatches(schema, std::move(batches));
}

arrow::Status DeleteParts(arrow::fs::FileSystem& fs, const std::vector<SourcePart>& parts) {
  for (const SourcePart& part : parts) {
    for (const std::string& path : part.files) ARROW_RETURN_NOT_OK(fs.DeleteFile(path));
  }
  return arrow::Status::OK();
}

}  // namespace fsspeckit::merge
