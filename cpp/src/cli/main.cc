// fsspeckit: the standalone `fsspeckit` binary (no Python needed).
#include <iostream>
#include <string>
#include <vector>

#include <arrow/compute/initialize.h>
#include <arrow/dataset/plan.h>

#include "fsspeckit/cli/cli.h"

int main(int argc, char** argv) {
  arrow::Status init = arrow::compute::Initialize();
  if (!init.ok()) {
    std::cerr << "fsspeckit: cannot initialise Arrow compute: " << init.ToString() << '\n';
    return 1;
  }
  arrow::dataset::internal::Initialize();
  std::vector<std::string> args(argv + 1, argv + argc);
  return fsspeckit::cli::RunCli(args, std::cout, std::cerr);
}
