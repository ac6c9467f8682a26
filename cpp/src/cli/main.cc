// fsspeckit: the standalone `fsspeckit` binary (no Python needed).
#include <iostream>
#include <string>
#include <vector>

#include <arrow/compute/initialize.h>
#include <arrow/dataset/plan.h>
#include <arrow/filesystem/s3fs.h>

#include "fsspeckit/cli/cli.h"
#include "fsspeckit/memory/operation_pool.h"

int main(int argc, char** argv) {
  arrow::Status init = arrow::compute::Initialize();
  if (!init.ok()) {
    std::cerr << "fsspeckit: cannot initialise Arrow compute: " << init.ToString() << '\n';
    return 1;
  }
  arrow::dataset::internal::Initialize();
  (void)fsspeckit::memory::OperationPool();  // chosen before any thread runs
  std::vector<std::string> args(argv + 1, argv + argc);
  const int code = fsspeckit::cli::RunCli(args, std::cout, std::cerr);
  // s3:// URIs (libarrow_s3 registered itself when loaded): the AWS SDK must be shut
  // down before static destructors run.
  (void)arrow::fs::EnsureS3Finalized();
  return code;
}
