// fsspeckit: which columns a rewrite writes without a dictionary.
#pragma once

#include <string>
#include <vector>

#include <arrow/io/interfaces.h>
#include <parquet/metadata.h>

namespace fsspeckit::merge {

/// Column paths a rewrite of `file` should write plain (no dictionary), judged from its
/// first row group: columns whose writer fell back to plain pages (the dictionary
/// outgrew its page limit), and columns whose dictionary holds nearly every value once
/// (unique ids, measurements), where it saves no space and building it is the most
/// expensive part of writing the column. Other columns keep their dictionary.
/// `at_once`: the dictionary pages' headers are read together (io::DictionaryPageEntries;
/// on an object store, where each read is a round trip).
std::vector<std::string> PlainColumns(const parquet::FileMetaData& metadata,
                                      arrow::io::RandomAccessFile& input, bool at_once = false);

}  // namespace fsspeckit::merge
