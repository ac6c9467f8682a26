// fsspeckit: the standalone `fsspeckit` binary (no Python needed).
#include <iostream>
#include <string>
#include <vector>

#include <arrow/compute/initialize.h>
#include <arrow/dataset/plan.h>
#include <arrow/filesystem/s3fs.h>

#include "fsspeckit/cli/cli.h"
#include "fsspeckit/io/atomic_object_store.h"
#include "fsspeckit/io/s3_atomic_store.h"
#include "fsspeckit/memory/operation_pool.h"

int main(int argc, char** argv) {
  arrow::Status init = arrow::compute::Initialize();
  if (!init.ok()) {
    std::cerr << "fsspeckit: cannot initialise Arrow compute: " << init.ToString() << '\n';
    return 1;
  }
  arrow::dataset::internal::Initialize();
  (void)fsspeckit::memory::OperationPool();  // chosen before any thread runs
  // The S3 dataset lock's conditional requests, made with libcurl (the Python module
  // installs botocore's instead); libcurl is loaded only when an S3 dataset is locked.
  fsspeckit::io::SetAtomicStoreProvider(fsspeckit::io::S3AtomicStoreFor);
  std::vector<std::string> args(argv + 1, argv + argc);
  const int code = fsspeckit::cli::RunCli(args, std::cout, std::cerr);
  // s3:// URIs (libarrow_s3 registered itself when loaded): the AWS SDK must be shut
  // down before static destructors run.
  (void)arrow::fs::EnsureS3Finalized();
  return code;
}
