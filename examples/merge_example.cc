// Writes a small orders dataset, upserts changes into it under a 64 MiB budget, and
// prints what the merge did: the public C++ API end to end.
//   merge_example <dataset folder>
#include <iostream>

#include <arrow/api.h>
#include <arrow/compute/initialize.h>
#include <arrow/dataset/plan.h>

#include "fsspeckit/io/location.h"
#include "fsspeckit/io/read_parquet.h"
#include "fsspeckit/io/write_dataset.h"
#include "fsspeckit/merge/merge.h"

namespace {

arrow::Result<std::shared_ptr<arrow::RecordBatchReader>> Orders(int64_t first_id, int64_t rows,
                                                                const std::string& status) {
  arrow::Int64Builder ids;
  arrow::StringBuilder statuses;
  for (int64_t i = 0; i < rows; ++i) {
    ARROW_RETURN_NOT_OK(ids.Append(first_id + i));
    ARROW_RETURN_NOT_OK(statuses.Append(status));
  }
  ARROW_ASSIGN_OR_RAISE(auto id_array, ids.Finish());
  ARROW_ASSIGN_OR_RAISE(auto status_array, statuses.Finish());
  auto schema = arrow::schema({arrow::field("id", arrow::int64()), arrow::field("status", arrow::utf8())});
  auto batch = arrow::RecordBatch::Make(schema, rows, {id_array, status_array});
  return arrow::RecordBatchReader::Make({batch}, schema);
}

arrow::Status Run(const std::string& folder) {
  ARROW_ASSIGN_OR_RAISE(auto location, fsspeckit::io::ResolveLocation(nullptr, folder));
  fsspeckit::io::WriteDatasetOptions write;
  write.mode = "overwrite";
  ARROW_ASSIGN_OR_RAISE(auto orders, Orders(0, 100'000, "open"));
  ARROW_RETURN_NOT_OK(fsspeckit::io::WriteDataset(orders, location, write).status());

  // 1,000 existing orders shipped, 500 new ones.
  ARROW_ASSIGN_OR_RAISE(auto changes, Orders(99'000, 1'500, "shipped"));
  fsspeckit::merge::MergeOptions options;
  options.strategy = fsspeckit::merge::Strategy::kUpsert;
  options.key_columns = {"id"};
  options.limits.max_pool_bytes = int64_t{64} << 20;
  ARROW_ASSIGN_OR_RAISE(auto result, fsspeckit::merge::Merge(changes, location, options));

  ARROW_ASSIGN_OR_RAISE(auto table, fsspeckit::io::ReadParquet(location));
  std::cout << "inserted " << result.inserted << ", updated " << result.updated << ", rows "
            << table->num_rows() << ", files rewritten " << result.rewritten_files.size() << "\n";
  if (result.inserted != 500 || result.updated != 1'000 || table->num_rows() != 100'500) {
    return arrow::Status::Invalid("unexpected merge result");
  }
  return arrow::Status::OK();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: merge_example <dataset folder>\n";
    return 2;
  }
  // Arrow's compute kernels and dataset writer register themselves once per program.
  arrow::Status status = arrow::compute::Initialize();
  arrow::dataset::internal::Initialize();
  if (status.ok()) status = Run(argv[1]);
  if (!status.ok()) {
    std::cerr << "merge_example: " << status.ToString() << "\n";
    return 1;
  }
  return 0;
}
