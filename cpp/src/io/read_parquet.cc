// fsspeckit: reading a Parquet file or dataset folder into a table.
#include "fsspeckit/io/read_parquet.h"

#include <arrow/dataset/discovery.h>
#include <arrow/dataset/file_parquet.h>
#include <arrow/dataset/partition.h>
#include <arrow/dataset/scanner.h>

#include "io/dataset_files_internal.h"

namespace fsspeckit::io {

namespace ds = arrow::dataset;

namespace {

arrow::Status Unreadable(const Location& location, const arrow::Status& status) {
  return arrow::Status::IOError("cannot read Parquet dataset '", location.path,
                                "': ", status.message());
}

// A folder read again whose files changed meanwhile (a commit removed one the read
// had listed) is read again, up to this many times in all.
constexpr int kReadsOfAChangingDataset = 4;

// The file, or the folder's data files with hive folders as columns (`listed`: those
// files; empty for a file). Discovery fails on unreadable files (IOError naming the file).
arrow::Result<std::shared_ptr<ds::Dataset>> OpenDataset(const Location& location,
                                                        std::vector<std::string>* listed = nullptr) {
  ARROW_ASSIGN_OR_RAISE(arrow::fs::FileInfo info,
                        location.filesystem->GetFileInfo(location.path));
  if (info.type() == arrow::fs::FileType::NotFound) {
    return PathError(arrow::StatusCode::IOError, "Dataset path does not exist: " + location.path);
  }
  auto format = std::make_shared<ds::ParquetFileFormat>();
  ds::FileSystemFactoryOptions factory_options;
  arrow::Result<std::shared_ptr<ds::DatasetFactory>> factory;
  if (info.type() == arrow::fs::FileType::File) {
    factory = ds::FileSystemDatasetFactory::Make(location.filesystem, {location.path}, format,
                                                 factory_options);
  } else {
    // The files a merge or scan of this folder sees (io/dataset_files_internal.h), not Arrow's own
    // discovery: one rule everywhere.
    // Opened by what the listing said of them (their sizes): no HEAD per file and read.
    ARROW_ASSIGN_OR_RAISE(std::vector<arrow::fs::FileInfo> files,
                          ListDataFileInfos(*location.filesystem, location.path));
    if (listed) {
      listed->clear();
      for (const auto& file : files) listed->push_back(file.path());
    }
    factory_options.partitioning = HivePartitioningFactory();
    factory_options.partition_base_dir = location.path;
    factory = ds::FileSystemDatasetFactory::Make(location.filesystem, files, format,
                                                 factory_options);
  }
  if (!factory.ok()) return Unreadable(location, factory.status());
  // Every file's schema, unified as merges and scans unify them (a column in the type all
  // its files widen to; a column some files lack is null in them), not the first file's.
  ds::FinishOptions finish;
  finish.inspect_options.fragments = ds::InspectOptions::kInspectAllFragments;
  finish.inspect_options.field_merge_options = arrow::Field::MergeOptions::Permissive();
  auto schemas = (*factory)->InspectSchemas(finish.inspect_options);  // partitions' last
  if (!schemas.ok()) return Unreadable(location, schemas.status());
  auto unified = UnifyDataSchemas(*schemas);  // a dictionary column beside a plain one too
  if (!unified.ok()) return Unreadable(location, unified.status());
  finish.schema = *unified;
  auto dataset = (*factory)->Finish(finish);
  if (!dataset.ok()) return Unreadable(location, dataset.status());
  return dataset;
}

}  // namespace

arrow::Result<std::shared_ptr<arrow::Schema>> ReadParquetSchema(const Location& location) {
  ARROW_ASSIGN_OR_RAISE(auto dataset, OpenDataset(location));
  return dataset->schema();
}

namespace {

arrow::Result<std::shared_ptr<arrow::Table>> ReadOnce(const Location& location,
                                                      const ReadParquetOptions& options,
                                                      std::vector<std::string>& listed) {
  // Bad columns and filters are the caller's (KeyError, Invalid, TypeError as they come).
  ARROW_ASSIGN_OR_RAISE(auto dataset, OpenDataset(location, &listed));
  const auto& schema = dataset->schema();
  ARROW_ASSIGN_OR_RAISE(auto builder, dataset->NewScan());
  if (options.columns) {
    for (const std::string& column : *options.columns) {
      if (!schema->GetFieldByName(column)) {
        return arrow::Status::KeyError("column '", column, "' is not in the dataset; it has: ",
                                       schema->ToString());
      }
    }
    ARROW_RETURN_NOT_OK(builder->Project(*options.columns));
  }
  if (options.filter) ARROW_RETURN_NOT_OK(builder->Filter(*options.filter));
  ARROW_RETURN_NOT_OK(builder->UseThreads(options.use_threads));
  ARROW_ASSIGN_OR_RAISE(auto scanner, builder->Finish());
  auto table = scanner->ToTable();
  if (!table.ok()) return Unreadable(location, table.status());
  return table;
}

}  // namespace

arrow::Result<std::shared_ptr<arrow::Table>> ReadParquet(const Location& location,
                                                         const ReadParquetOptions& options) {
  // A commit that ran while the folder was read may have removed a file the read had
  // listed (files are replaced under new names and the old ones removed, never changed):
  // the read is then of a dataset that no longer exists, and starts again.
  for (int read = 1;; ++read) {
    std::vector<std::string> listed;
    auto table = ReadOnce(location, options, listed);
    if (table.ok() || listed.empty() || read == kReadsOfAChangingDataset) return table;
    auto now = ListDataFiles(*location.filesystem, location.path);
    if (!now.ok() || *now == listed) return table;  // the same files: a real failure
  }
}

}  // namespace fsspeckit::io
