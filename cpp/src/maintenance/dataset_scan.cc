// fsspeckit: what a maintenance plan starts from: data files, footers, schemas, snapshot.
#include "maintenance/dataset_scan_internal.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <set>

#include <arrow/util/compression.h>
#include <parquet/arrow/schema.h>
#include <parquet/metadata.h>
#include <parquet/size_statistics.h>

#include "io/dataset_files_internal.h"
#include "io/dataset_snapshot_internal.h"
#include "io/parquet_footer_internal.h"
#include "io/thread_edge_internal.h"
#include "merge/dataset_schema_internal.h"
#include "io/parallel_for_internal.h"

namespace fsspeckit::maintenance {
namespace {

std::string CodecName(arrow::Compression::type codec) {
  return arrow::util::Codec::GetCodecAsString(codec);
}

// What a column chunk takes decoded, as near as the footer tells: strings by their
// unencoded bytes (size statistics, written by Arrow since 15) plus offsets, not by their
// dictionary-encoded pages, which can be a hundredth of it.
int64_t DecodedBytes(const parquet::ColumnChunkMetaData& chunk, int64_t rows) {
  auto sizes = chunk.size_statistics();
  if (sizes && sizes->unencoded_byte_array_data_bytes) {
    return *sizes->unencoded_byte_array_data_bytes + 4 * rows;
  }
  return chunk.total_uncompressed_size();
}

// One file's facts from its footer; Invalid saying it is not Parquet when it has none.
arrow::Status ReadFacts(arrow::fs::FileSystem& fs, PlannedFile& file,
                        std::shared_ptr<arrow::Schema>& schema) {
  arrow::fs::FileInfo listed(file.path, arrow::fs::FileType::File);
  listed.set_size(file.size_bytes > 0 ? file.size_bytes : -1);  // as listed: no HEAD
  auto footer = io::ReadFooter(fs, listed);
  if (!footer.ok()) {
    if (footer.status().IsOutOfMemory()) return footer.status();
    return arrow::Status::Invalid(
        "'", file.relative_path, "' in the dataset is not a Parquet file (",
        footer.status().message(), "): every file of a dataset folder is data unless a name "
        "on its path starts with '_' or '.'; move it out of the dataset or rename it with a "
        "leading '_'");
  }
  const parquet::FileMetaData& metadata = **footer;
  file.num_rows = metadata.num_rows();
  file.num_row_groups = metadata.num_row_groups();
  std::set<std::string> codecs;
  for (int rg = 0; rg < metadata.num_row_groups(); ++rg) {
    auto row_group = metadata.RowGroup(rg);
    file.largest_row_group_rows = std::max(file.largest_row_group_rows, row_group->num_rows());
    for (int c = 0; c < row_group->num_columns(); ++c) {
      auto chunk = row_group->ColumnChunk(c);
      codecs.insert(CodecName(chunk->compression()));
      file.uncompressed_bytes += DecodedBytes(*chunk, row_group->num_rows());
    }
  }
  file.codec = codecs.size() == 1 ? *codecs.begin() : codecs.empty() ? kDefaultCodec : "mixed";
  return parquet::arrow::FromParquetSchema(metadata.schema(), parquet::ArrowReaderProperties(),
                                           metadata.key_value_metadata(), &schema);
}

std::string Relative(const std::string& dir, const std::string& path) {
  return path.substr(std::min(path.size(), dir.size() + 1));
}

}  // namespace

arrow::Result<std::vector<std::string>> NormalizePartitionFilter(std::vector<std::string> filter) {
  for (std::string& entry : filter) {
    const size_t first = entry.find_first_not_of(" /");
    const size_t last = entry.find_last_not_of(" /");
    if (first == std::string::npos) {
      return arrow::Status::Invalid(
          "partition_filter entries must name partition folders (\"region=eu\" or "
          "\"region=eu/day=1\"), got an empty one");
    }
    entry = entry.substr(first, last - first + 1);
  }
  std::sort(filter.begin(), filter.end());
  filter.erase(std::unique(filter.begin(), filter.end()), filter.end());
  return filter;
}

bool InPartitionFilter(const std::string& relative_path, const std::vector<std::string>& filter) {
  if (filter.empty()) return true;
  return std::any_of(filter.begin(), filter.end(), [&](const std::string& folder) {
    return relative_path.size() > folder.size() && relative_path.starts_with(folder) &&
           relative_path[folder.size()] == '/';
  });
}

arrow::Result<ScannedDataset> ScanDataset(const io::Location& location,
                                          const std::vector<std::string>& filter) {
  arrow::fs::FileSystem& fs = *location.filesystem;
  const std::string& dir = location.path;
  auto check_folder = [&]() -> arrow::Status {
    ARROW_RETURN_NOT_OK(io::CheckExists(location));
    ARROW_ASSIGN_OR_RAISE(auto info, fs.GetFileInfo(dir));
    if (!info.IsFile()) return arrow::Status::OK();
    return io::PathError(arrow::StatusCode::Invalid,
                         "'" + dir + "' is a file: maintenance works on a dataset folder; give "
                         "the folder that holds it");
  };
  // On an object store one listing serves (the folder's own HEAD and LIST are asked only
  // when it lists nothing); a local folder is checked first (listing a file fails there).
  const bool object_store = io::WritesWholeObjects(fs);
  if (!object_store) ARROW_RETURN_NOT_OK(check_folder());
  ScannedDataset scanned;
  ARROW_ASSIGN_OR_RAISE(io::DatasetSnapshot snapshot, io::TakeSnapshot(fs, dir));
  if (object_store && snapshot.listed.empty()) ARROW_RETURN_NOT_OK(check_folder());
  for (const auto& [path, entry] : snapshot.files) {
    scanned.snapshot.push_back({path, entry.size_bytes, entry.mtime_ns});
  }
  // While a commit runs, the files of one state (ListDataFiles reads its journal).
  std::vector<std::string> paths;
  if (snapshot.journal_listed) {
    ARROW_ASSIGN_OR_RAISE(paths, io::ListDataFiles(fs, dir));
  } else {
    for (const auto& info : io::DataFilesIn(dir, std::move(snapshot.listed))) paths.push_back(info.path());
  }
  for (const std::string& path : paths) {
    PlannedFile file;
    file.path = path;
    file.relative_path = Relative(dir, path);
    if (!InPartitionFilter(file.relative_path, filter)) continue;
    auto found = snapshot.files.find(path);
    file.size_bytes = found == snapshot.files.end() ? 0 : found->second.size_bytes;
    scanned.files.push_back(std::move(file));
  }
  if (scanned.files.empty()) {
    std::string which;
    for (const std::string& folder : filter) which += (which.empty() ? "" : ", ") + folder;
    return io::PathError(arrow::StatusCode::IOError,
                         "No Parquet files found under '" + dir + "'" +
                             (filter.empty() ? "" : " in partition_filter [" + which + "]") +
                             ": there is nothing to maintain (names starting with '_' or '.' "
                             "are not data)");
  }
  scanned.schemas.resize(scanned.files.size());
  // Footers are small reads: a few at once hide a local disk's latency, many an object
  // store's.
  ARROW_RETURN_NOT_OK(io::ParallelForEach(scanned.files.size(), io::WorkersFor(fs, 4), [&](size_t f) {
    return io::CatchAtEdge("reading a footer",
                           [&] { return ReadFacts(fs, scanned.files[f], scanned.schemas[f]); });
  }));
  std::vector<int> all(scanned.files.size());
  for (size_t f = 0; f < all.size(); ++f) all[f] = static_cast<int>(f);
  ARROW_ASSIGN_OR_RAISE(scanned.schema, GroupSchema(scanned, all));
  for (const auto& schema : scanned.schemas) {
    if (!schema->Equals(*scanned.schema, /*check_metadata=*/false)) scanned.schema_promoted = true;
  }
  return scanned;
}

arrow::Result<std::shared_ptr<arrow::Schema>> GroupSchema(const ScannedDataset& scanned,
                                                          const std::vector<int>& indices) {
  std::vector<std::string> paths;
  std::vector<std::shared_ptr<arrow::Schema>> schemas;
  for (int f : indices) {
    paths.push_back(scanned.files[f].relative_path);
    schemas.push_back(scanned.schemas[f]);
  }
  return merge::UnifyFileSchemas(paths, schemas);
}

}  // namespace fsspeckit::maintenance
