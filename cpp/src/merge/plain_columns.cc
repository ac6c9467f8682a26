// fsspeckit: which columns a rewrite writes without a dictionary.
#include "plain_columns.h"

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

// At least 9 in 10 values distinct: dictionary + indices take as much room as the plain
// values (8-byte values with 17-bit indices break even near 3 in 4). The count comes from
// the dictionary page's header, once per column and file; if it cannot be read the
// dictionary is kept (the rewrite itself reports unreadable data).
bool MostlyDistinct(arrow::io::RandomAccessFile& input, const parquet::ColumnChunkMetaData& chunk) {
  try {  // statistics are decoded here too, and may be damaged
    int64_t values = chunk.num_values();
    if (auto stats = chunk.statistics(); stats && stats->HasNullCount()) values -= stats->null_count();
    if (values <= 0) return false;
    arrow::Result<int64_t> entries = io::DictionaryPageEntries(input, chunk.dictionary_page_offset());
    return entries.ok() && *entries * 10 >= values * 9;
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace

std::vector<std::string> PlainColumns(const parquet::FileMetaData& metadata,
                                      arrow::io::RandomAccessFile& input) {
  std::vector<std::string> plain;
  if (metadata.num_row_groups() == 0) return plain;
  std::unique_ptr<parquet::RowGroupMetaData> first = metadata.RowGroup(0);
  for (int c = 0; c < metadata.num_columns(); ++c) {
    std::unique_ptr<parquet::ColumnChunkMetaData> chunk = first->ColumnChunk(c);
    if (FellBack(*chunk) || MostlyDistinct(input, *chunk)) {
      plain.push_back(metadata.schema()->Column(c)->path()->ToDotString());
    }
  }
  return plain;
}

}  // namespace fsspeckit::merge
