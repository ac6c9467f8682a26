// fsspeckit: which columns a rewrite writes without a dictionary.
#include "plain_columns.h"

#include <exception>

#include <parquet/column_page.h>
#include <parquet/column_reader.h>
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
// values (8-byte values with 17-bit indices break even near 3 in 4). Reading the count
// means reading the dictionary page, once per column and file; if it cannot be read the
// dictionary is kept (the rewrite itself reports unreadable data).
bool MostlyDistinct(parquet::RowGroupReader& row_group, const parquet::ColumnChunkMetaData& chunk,
                    int column) {
  try {  // statistics are decoded here too, and may be damaged
    int64_t values = chunk.num_values();
    if (auto stats = chunk.statistics(); stats && stats->HasNullCount()) values -= stats->null_count();
    if (values <= 0) return false;
    std::shared_ptr<parquet::Page> page = row_group.GetColumnPageReader(column)->NextPage();
    if (!page || page->type() != parquet::PageType::DICTIONARY_PAGE) return false;
    const int64_t entries = static_cast<const parquet::DictionaryPage&>(*page).num_values();
    return entries * 10 >= values * 9;
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace

std::vector<std::string> PlainColumns(parquet::ParquetFileReader& file) {
  std::vector<std::string> plain;
  std::shared_ptr<parquet::FileMetaData> metadata = file.metadata();
  if (metadata->num_row_groups() == 0) return plain;
  std::unique_ptr<parquet::RowGroupMetaData> first = metadata->RowGroup(0);
  std::shared_ptr<parquet::RowGroupReader> row_group;
  for (int c = 0; c < metadata->num_columns(); ++c) {
    std::unique_ptr<parquet::ColumnChunkMetaData> chunk = first->ColumnChunk(c);
    bool write_plain = FellBack(*chunk);
    if (!write_plain) {
      if (!row_group) row_group = file.RowGroup(0);
      write_plain = MostlyDistinct(*row_group, *chunk, c);
    }
    if (write_plain) plain.push_back(metadata->schema()->Column(c)->path()->ToDotString());
  }
  return plain;
}

}  // namespace fsspeckit::merge
