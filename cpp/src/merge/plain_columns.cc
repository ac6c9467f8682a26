// fsspeckit: which columns a rewrite writes without a dictionary.
#include "merge/plain_columns_internal.h"

#include "io/page_header_internal.h"

#include <exception>

#include <parquet/metadata.h>
#include <parquet/statistics.h>

namespace fsspeckit::merge {
namespace {

// The original writer's dictionary pages stopped and plain data pages followed.
bool FellBack(const parquet::ColumnChunkMetaData& chunk) {
  if (!chunk.has_dictionary_page()) return true;
  for (const parquet::PageEncodingStats& stats : chunk.encoding_stats()) {
    if ((stats.page_type == parquet::PageType::DATA_PAGE ||
         stats.page_type == parquet::PageType::DATA_PAGE_V2) &&
        stats.encoding == parquet::Encoding::PLAIN) {
      return true;
    }
  }
  return false;
}

// Non-null values in the chunk; 0 when its statistics cannot be decoded (damaged).
int64_t NonNullValues(const parquet::ColumnChunkMetaData& chunk) {
  try {
    int64_t values = chunk.num_values();
    if (auto stats = chunk.statistics(); stats && stats->HasNullCount()) values -= stats->null_count();
    return values;
  } catch (const std::exception&) {
    return 0;
  }
}

}  // namespace

// A column is written plain when its writer fell back to plain pages, or when at least
// 9 in 10 values are distinct: dictionary + indices take as much room as the plain values
// (8-byte values with 17-bit indices break even near 3 in 4). The count comes from the
// dictionary pages' headers; where one cannot be read the dictionary
// is kept (the rewrite itself reports unreadable data).
std::vector<std::string> PlainColumns(const parquet::FileMetaData& metadata,
                                      arrow::io::RandomAccessFile& input, bool at_once) {
  std::vector<std::string> plain;
  if (metadata.num_row_groups() == 0) return plain;
  std::unique_ptr<parquet::RowGroupMetaData> first = metadata.RowGroup(0);
  std::vector<int> asked;  // columns whose dictionary size decides
  std::vector<int64_t> offsets;
  for (int c = 0; c < metadata.num_columns(); ++c) {
    std::unique_ptr<parquet::ColumnChunkMetaData> chunk = first->ColumnChunk(c);
    if (FellBack(*chunk)) {
      plain.push_back(metadata.schema()->Column(c)->path()->ToDotString());
    } else if (NonNullValues(*chunk) > 0) {
      asked.push_back(c);
      offsets.push_back(chunk->dictionary_page_offset());
    }
  }
  std::vector<arrow::Result<int64_t>> entries = io::DictionaryPageEntries(input, offsets, at_once);
  for (size_t i = 0; i < asked.size(); ++i) {
    const int64_t values = NonNullValues(*first->ColumnChunk(asked[i]));
    if (entries[i].ok() && *entries[i] * 10 >= values * 9) {
      plain.push_back(metadata.schema()->Column(asked[i])->path()->ToDotString());
    }
  }
  return plain;
}

}  // namespace fsspeckit::merge
