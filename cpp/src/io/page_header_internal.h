// fsspeckit: the few fields of a Parquet page header a rewrite needs, read without the page.
#pragma once

#include <cstdint>

#include <arrow/io/interfaces.h>
#include <arrow/result.h>

namespace fsspeckit::io {

/// The number of entries of the dictionary page whose header starts at `offset` (a
/// column chunk's dictionary_page_offset), from the header alone: Arrow's page reader
/// would read and decompress the whole page to tell. Invalid if no dictionary page
/// header is there.
arrow::Result<int64_t> DictionaryPageEntries(arrow::io::RandomAccessFile& file, int64_t offset);

}  // namespace fsspeckit::io
