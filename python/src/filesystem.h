// fsspeckit: the C++ filesystem (or dataset) inside a capsule from fsspeckit._fs_bridge.
#pragma once

#include <memory>

#include <arrow/dataset/dataset.h>
#include <arrow/filesystem/filesystem.h>
#include <nanobind/nanobind.h>

namespace fsspeckit::python {

/// None -> nullptr (the path decides: local or a URI); a capsule made by
/// fsspeckit._fs_bridge.filesystem_capsule -> the filesystem it holds.
std::shared_ptr<arrow::fs::FileSystem> FileSystemFromCapsule(nanobind::handle capsule);

/// A capsule made by fsspeckit._fs_bridge.dataset_capsule -> the dataset it holds.
std::shared_ptr<arrow::dataset::Dataset> DatasetFromCapsule(nanobind::handle capsule);

}  // namespace fsspeckit::python
