// fsspeckit: the ordered compaction task: a partition folder's rows sorted, within the
// budget (an external merge sort spilling to the staging folder).
//
// When the folder's rows fit a share of the budget they are read, sorted (Arrow's sort is
// stable: ties keep dataset order) and written. Otherwise:
//  1. runs: rows are read in dataset order into buffers of that share, each sorted and
//     written as a Parquet file under the task's folder;
//  2. merge: every run is read through a window of a few thousand rows. Each round finds
//     the smallest last row ("fence") among the windows of runs that have more rows to
//     come: every row at or before it (in the order, ties by run then position) can be
//     written now, since nothing still unread sorts before it. Only windows whose first
//     row comes before the fence take part, so a round sorts just the rows that overlap
//     (on input already in order, one window at a time). Rows are compared by Arrow's
//     own sort (any orderable type, nulls and NaN placed as asked), on tables that carry
//     the run and the position as the last keys.
#include <algorithm>
#include <functional>
#include <limits>
#include <numeric>

#include <arrow/array.h>
#include <arrow/array/concatenate.h>
#include <arrow/compute/api_vector.h>
#include <arrow/compute/exec.h>
#include <arrow/compute/initialize.h>
#include <arrow/datum.h>
#include <arrow/table.h>
#include <arrow/util/byte_size.h>
#include <parquet/arrow/reader.h>
#include <parquet/arrow/writer.h>

#include "fsspeckit/io/location.h"
#include "maintenance/group_writer_internal.h"
#include "maintenance/source_file_internal.h"
#include "maintenance/task_internal.h"
#include "merge/plain_columns_internal.h"

namespace fsspeckit::maintenance {
namespace {

namespace cp = arrow::compute;

// Run files are read back many at once: small pages, row groups and read buffers keep
// what each open run holds small.
constexpr int64_t kRunPageBytes = 64 << 10;
constexpr int64_t kRunBufferBytes = 64 << 10;
constexpr int64_t kRunRowGroupRows = 8 * 1024;

std::vector<cp::SortKey> SortKeys(const MaintenancePlan& plan) {
  std::vector<cp::SortKey> keys;
  for (const SortColumn& key : plan.sort_keys) {
    keys.emplace_back(key.column, key.descending ? cp::SortOrder::Descending : cp::SortOrder::Ascending,
                      key.nulls_first ? cp::NullPlacement::AtStart : cp::NullPlacement::AtEnd);
  }
  return keys;
}

// A run file being merged: its reader and the rows of it in memory (the window).
struct Run {
  std::unique_ptr<parquet::arrow::FileReader> file;
  std::shared_ptr<arrow::RecordBatchReader> reader;
  std::vector<std::shared_ptr<arrow::RecordBatch>> window;  // in order, none empty
  int64_t rows = 0;                                         // in the window
  bool exhausted = false;                                   // the reader has nothing more
};

class OrderedCompaction {
 public:
  explicit OrderedCompaction(TaskRun& run) : run_(run), plan_(run.plan), group_(run.group),
                                             context_(&run.pool) {}

  arrow::Result<std::vector<io::WrittenFile>> Run() {
    ARROW_RETURN_NOT_OK(cp::Initialize());  // the sort kernels (idempotent, cheap)
    // Rows are sorted in memory a share of what is left of the budget at a time (a sort
    // holds the rows, their indices and a slice of the sorted copy).
    share_bytes_ = std::max<int64_t>(run_.pool.available_bytes() / 4, 1 << 20);
    GroupWriterOptions options;
    options.fs = run_.fs;
    options.path_prefix = run_.dir + "/part-";
    options.schema = group_.schema;
    options.codec = plan_.codec;
    options.max_rows_per_file = plan_.max_rows_per_file;
    options.row_group_rows = std::min(JoinedRows(plan_, group_, run_.pool), plan_.row_group_rows);
    options.copy_buffer_bytes = CopyBufferBytes(run_.pool);
    options.max_pending_bytes = MaxPendingBytes(run_.pool);
    options.dictionary_page_bytes = DictionaryPageBytes(run_.pool, *group_.schema);
    options.pool = &run_.pool;
    options.use_threads = run_.use_threads;
    options_ = options;
    ARROW_RETURN_NOT_OK(Sort());
    ARROW_RETURN_NOT_OK(EnsureWriter());
    ARROW_ASSIGN_OR_RAISE(auto files, writer_->Finish());
    run_.result.row_groups_encoded = writer_->encoded_row_groups();
    return files;
  }

 private:
  // The writer, with the first file's plain columns, once a file was opened.
  arrow::Status EnsureWriter() {
    if (writer_) return arrow::Status::OK();
    ARROW_ASSIGN_OR_RAISE(writer_, GroupWriter::Make(options_));
    return arrow::Status::OK();
  }

  // Calls `each` with every row of the group in dataset order, conformed to its schema.
  arrow::Status ForEachBatch(const std::function<arrow::Status(std::shared_ptr<arrow::RecordBatch>)>& each) {
    const int64_t batch_rows = std::min<int64_t>(options_.row_group_rows, 64 * 1024);
    for (int f : group_.files) {
      ARROW_RETURN_NOT_OK(run_.ladder.Step());
      ARROW_ASSIGN_OR_RAISE(SourceFile source, OpenSourceFile(*run_.fs, plan_.files[f], &run_.pool,
                                                              batch_rows, run_.use_threads));
      if (!writer_) {
        options_.plain_columns = merge::PlainColumns(*source.copy.metadata, *source.copy.file);
        ARROW_RETURN_NOT_OK(EnsureWriter());
      }
      for (int rg = 0; rg < source.copy.metadata->num_row_groups(); ++rg) {
        const int64_t rows = source.copy.metadata->RowGroup(rg)->num_rows();
        ARROW_RETURN_NOT_OK(ReadRowGroup(source, rg, *group_.schema, &run_.pool, each));
        run_.result.rows_read += rows;
        ARROW_RETURN_NOT_OK(run_.advance(rows));
      }
    }
    return arrow::Status::OK();
  }

  // Writes `table`'s rows in the order of `indices` (a slice at a time: the sorted copy
  // is never made whole).
  arrow::Status WriteSorted(const std::shared_ptr<arrow::Table>& table, const arrow::Array& indices,
                            const arrow::Schema& schema) {
    const int64_t step = std::max<int64_t>(1024, std::min<int64_t>(options_.row_group_rows, 64 * 1024));
    for (int64_t offset = 0; offset < indices.length(); offset += step) {
      auto slice = indices.Slice(offset, std::min(step, indices.length() - offset));
      ARROW_ASSIGN_OR_RAISE(arrow::Datum taken, cp::Take(arrow::Datum(table), arrow::Datum(slice),
                                                          cp::TakeOptions::NoBoundsCheck(), &context_));
      std::shared_ptr<arrow::Table> rows = taken.table();
      ARROW_ASSIGN_OR_RAISE(auto batch, rows->ReplaceSchemaMetadata(schema.metadata())
                                            ->CombineChunksToBatch(&run_.pool));
      ARROW_RETURN_NOT_OK(writer_->Append(std::move(batch)));
    }
    return arrow::Status::OK();
  }

  // `batches` as one table of one chunk per column, each batch freed once copied: a sort
  // of one chunk is a plain sort (not a merge of chunks), and a take from it copies only
  // the rows taken (from many chunks Arrow joins every chunk of a string column first).
  arrow::Result<std::shared_ptr<arrow::Table>> Contiguous(std::vector<std::shared_ptr<arrow::RecordBatch>> batches) {
    std::shared_ptr<arrow::Schema> schema = batches.front()->schema();
    int64_t rows = 0;
    for (const auto& batch : batches) rows += batch->num_rows();
    // Last column first, each dropped from the batches once joined: the copy never
    // holds more than one column twice.
    std::vector<std::shared_ptr<arrow::Array>> columns(schema->num_fields());
    for (int c = schema->num_fields() - 1; c >= 0; --c) {
      arrow::ArrayVector pieces;
      for (const auto& batch : batches) pieces.push_back(batch->column(c));
      ARROW_ASSIGN_OR_RAISE(columns[c], arrow::Concatenate(pieces, &run_.pool));
      pieces.clear();
      for (auto& batch : batches) {
        ARROW_ASSIGN_OR_RAISE(batch, batch->RemoveColumn(c));
      }
    }
    batches.clear();
    return arrow::Table::Make(std::move(schema), std::move(columns), rows);
  }

  // Where sorted rows go: the output files, or a run file of the spill folder.
  using Sink = std::function<arrow::Status(const std::shared_ptr<arrow::Table>&)>;

  // A new run file, written in small pages and row groups without dictionaries, so that
  // reading many of them back at once takes little memory each.
  struct RunFile {
    std::string path;
    std::shared_ptr<arrow::io::OutputStream> sink;
    std::unique_ptr<parquet::arrow::FileWriter> writer;
  };

  arrow::Result<RunFile> OpenRun() {
    RunFile run;
    run.path = run_.dir + "/spill/run-" + std::to_string(next_run_++) + ".parquet";
    ARROW_ASSIGN_OR_RAISE(run.sink, run_.fs->OpenOutputStream(run.path));
    auto properties = parquet::WriterProperties::Builder()
                          .compression(arrow::Compression::LZ4)
                          ->memory_pool(&run_.pool)
                          ->disable_dictionary()
                          ->data_pagesize(kRunPageBytes)
                          ->build();
    auto arrow_properties = parquet::ArrowWriterProperties::Builder().store_schema()->build();
    ARROW_ASSIGN_OR_RAISE(run.writer, parquet::arrow::FileWriter::Open(*group_.schema, &run_.pool,
                                                                       run.sink, properties, arrow_properties));
    return run;
  }

  // Writes `table`'s rows in the order of `indices` to `run`, in row groups of a few
  // thousand rows (what a merge reads at once).
  arrow::Status WriteToRun(RunFile& run, const std::shared_ptr<arrow::Table>& table,
                           const arrow::Array& indices) {
    const int64_t step = kRunRowGroupRows;
    for (int64_t offset = 0; offset < indices.length(); offset += step) {
      auto slice = indices.Slice(offset, std::min(step, indices.length() - offset));
      ARROW_ASSIGN_OR_RAISE(arrow::Datum taken, cp::Take(arrow::Datum(table), arrow::Datum(slice),
                                                          cp::TakeOptions::NoBoundsCheck(), &context_));
      std::shared_ptr<arrow::Table> rows = taken.table();
      rows = rows->ReplaceSchemaMetadata(group_.schema->metadata());
      ARROW_RETURN_NOT_OK(run.writer->WriteTable(*rows, step));
    }
    return arrow::Status::OK();
  }

  arrow::Status CloseRun(RunFile& run) {
    ARROW_RETURN_NOT_OK(run.writer->Close());
    return run.sink->Close();
  }

  // Sorts `batches` and writes them as a new run file.
  arrow::Status WriteRun(std::vector<std::shared_ptr<arrow::RecordBatch>>& batches) {
    for (const auto& batch : batches) run_rows_ += batch->num_rows();
    ARROW_ASSIGN_OR_RAISE(auto table, Contiguous(std::move(batches)));
    batches.clear();
    cp::SortOptions options(SortKeys(plan_));
    ARROW_ASSIGN_OR_RAISE(auto indices, cp::SortIndices(arrow::Datum(table), options, &context_));
    ARROW_ASSIGN_OR_RAISE(RunFile run, OpenRun());
    ARROW_RETURN_NOT_OK(WriteToRun(run, table, *indices));
    ARROW_RETURN_NOT_OK(CloseRun(run));
    run_paths_.push_back(run.path);
    return arrow::Status::OK();
  }

  // Rows that fit the share are sorted in memory and written; more become sorted runs
  // that are merged.
  arrow::Status Sort() {
    std::vector<std::shared_ptr<arrow::RecordBatch>> batches;
    int64_t buffered_bytes = 0;
    ARROW_RETURN_NOT_OK(ForEachBatch([&](std::shared_ptr<arrow::RecordBatch> batch) -> arrow::Status {
      const int64_t bytes = arrow::util::TotalBufferSize(*batch);
      buffered_bytes += bytes;
      run_bytes_ += bytes;
      batches.push_back(std::move(batch));
      if (buffered_bytes >= share_bytes_) {
        if (run_paths_.empty() && io::NeedsFolders(*run_.fs)) {
          ARROW_RETURN_NOT_OK(run_.fs->CreateDir(run_.dir + "/spill"));
        }
        ARROW_RETURN_NOT_OK(WriteRun(batches));
        buffered_bytes = 0;
      }
      return arrow::Status::OK();
    }));
    if (run_paths_.empty()) {
      if (batches.empty()) return arrow::Status::OK();
      ARROW_ASSIGN_OR_RAISE(auto table, Contiguous(std::move(batches)));
      cp::SortOptions options(SortKeys(plan_));
      ARROW_ASSIGN_OR_RAISE(auto indices, cp::SortIndices(arrow::Datum(table), options, &context_));
      return WriteSorted(table, *indices, *group_.schema);
    }
    if (!batches.empty()) ARROW_RETURN_NOT_OK(WriteRun(batches));
    run_.result.spill_buckets = static_cast<int64_t>(run_paths_.size());
    // As many runs are merged at once as fit; more are first merged into longer runs,
    // consecutive ones together (ties keep their order).
    const int64_t fan_in = FanIn();
    std::vector<std::string> runs = std::move(run_paths_);
    while (static_cast<int64_t>(runs.size()) > fan_in) {
      std::vector<std::string> longer;
      for (size_t first = 0; first < runs.size(); first += fan_in) {
        std::vector<std::string> part(runs.begin() + first,
                                      runs.begin() + std::min(runs.size(), first + fan_in));
        if (part.size() == 1) {
          longer.push_back(part[0]);
          continue;
        }
        ARROW_ASSIGN_OR_RAISE(RunFile merged, OpenRun());
        ARROW_RETURN_NOT_OK(Merge(part, [&](const std::shared_ptr<arrow::Table>& rows) {
          return merged.writer->WriteTable(*rows, kRunRowGroupRows);
        }));
        ARROW_RETURN_NOT_OK(CloseRun(merged));
        for (const std::string& path : part) ARROW_RETURN_NOT_OK(run_.fs->DeleteFile(path));
        longer.push_back(merged.path);
      }
      runs = std::move(longer);
    }
    ARROW_RETURN_NOT_OK(Merge(runs, [&](const std::shared_ptr<arrow::Table>& rows) {
      arrow::TableBatchReader batches(*rows);
      batches.set_chunksize(64 * 1024);
      std::shared_ptr<arrow::RecordBatch> batch;
      while (true) {
        ARROW_RETURN_NOT_OK(batches.ReadNext(&batch));
        if (!batch) return arrow::Status::OK();
        ARROW_RETURN_NOT_OK(writer_->Append(std::move(batch)));
      }
    }));
    for (const std::string& path : runs) ARROW_RETURN_NOT_OK(run_.fs->DeleteFile(path));
    return run_.fs->DeleteDir(run_.dir + "/spill");
  }

  // What reading one run back costs besides its window: the buffered stream and a page
  // of every column, compressed and not.
  int64_t RunReaderBytes() const {
    return kRunBufferBytes + 2 * kRunPageBytes * std::max(1, group_.schema->num_fields());
  }

  int64_t RowBytes() const { return std::max<int64_t>(1, run_bytes_ / std::max<int64_t>(1, run_rows_)); }

  // Runs merged at once: each open run costs its reader and a window of at least 1,024
  // rows (held twice: read, and sorted in a round), within a third of what is left.
  int64_t FanIn() const {
    const int64_t per_run = RunReaderBytes() + 3 * 1024 * RowBytes();
    return std::max<int64_t>(2, std::max<int64_t>(run_.pool.available_bytes(), 0) / 3 / per_run);
  }

  // Reads `run`'s next rows into its window (after what it still holds), without copying.
  arrow::Status Refill(struct Run& run) {
    while (!run.exhausted && run.rows < window_rows_ / 2) {
      ARROW_ASSIGN_OR_RAISE(auto next, run.reader->Next());
      if (!next) {
        run.exhausted = true;
        break;
      }
      if (next->num_rows() == 0) continue;
      ARROW_ASSIGN_OR_RAISE(next, next->ReplaceSchema(group_.schema));
      run.rows += next->num_rows();
      run.window.push_back(std::move(next));
    }
    return arrow::Status::OK();
  }

  // Drops the first `rows` rows of `run`'s window.
  static void Consume(struct Run& run, int64_t rows) {
    run.rows -= rows;
    size_t used = 0;
    while (rows > 0 && rows >= run.window[used]->num_rows()) rows -= run.window[used++]->num_rows();
    run.window.erase(run.window.begin(), run.window.begin() + used);
    if (rows > 0) run.window.front() = run.window.front()->Slice(rows);
  }

  // Merges the sorted run files `paths` into `sink`, which receives the rows in order.
  // Rows are compared by Arrow's sort of a table whose chunks are the windows in run
  // order: the sort is stable, so ties keep run order, then position.
  arrow::Status Merge(const std::vector<std::string>& paths, const Sink& sink) {
    const int64_t runs = static_cast<int64_t>(paths.size());
    // The windows take what is left of a third of the budget beside the readers; a
    // round holds them, the indices and the rows taken out of them.
    const int64_t room = std::max<int64_t>(run_.pool.available_bytes(), 0) / 3 / runs - RunReaderBytes();
    window_rows_ = std::clamp<int64_t>(room / (3 * RowBytes()), 1024, 64 * 1024);
    std::vector<struct Run> open(runs);
    for (int64_t r = 0; r < runs; ++r) {
      ARROW_ASSIGN_OR_RAISE(auto input, run_.fs->OpenInputFile(paths[r]));
      parquet::ReaderProperties reader_properties(&run_.pool);
      reader_properties.enable_buffered_stream();
      reader_properties.set_buffer_size(kRunBufferBytes);
      parquet::ArrowReaderProperties properties;
      properties.set_batch_size(std::max<int64_t>(window_rows_ / 4, 256));
      properties.set_pre_buffer(false);
      parquet::arrow::FileReaderBuilder builder;
      ARROW_RETURN_NOT_OK(builder.Open(input, reader_properties));
      builder.memory_pool(&run_.pool);
      builder.properties(properties);
      ARROW_ASSIGN_OR_RAISE(open[r].file, builder.Build());
      ARROW_ASSIGN_OR_RAISE(open[r].reader, open[r].file->GetRecordBatchReader());
      ARROW_RETURN_NOT_OK(Refill(open[r]));
    }
    cp::SortOptions options(SortKeys(plan_));
    while (true) {
      ARROW_RETURN_NOT_OK(run_.advance(0));  // the stop token, between rounds
      // The boundary rows, in run order: each window's first row, then its last when
      // more rows follow (the fence).
      std::vector<std::shared_ptr<arrow::RecordBatch>> boundary;
      std::vector<std::pair<int64_t, bool>> what;  // (run, is a fence)
      for (int64_t r = 0; r < runs; ++r) {
        if (open[r].rows == 0) continue;
        boundary.push_back(open[r].window.front()->Slice(0, 1));
        what.emplace_back(r, false);
        if (!open[r].exhausted) {
          const auto& last = open[r].window.back();
          boundary.push_back(last->Slice(last->num_rows() - 1, 1));
          what.emplace_back(r, true);
        }
      }
      if (boundary.empty()) break;
      ARROW_ASSIGN_OR_RAISE(auto bounds, arrow::Table::FromRecordBatches(std::move(boundary)));
      ARROW_ASSIGN_OR_RAISE(auto order, cp::SortIndices(arrow::Datum(bounds), options, &context_));
      const auto& sorted = static_cast<const arrow::UInt64Array&>(*order);
      // Runs whose first row comes before the smallest fence take part; the fence's run
      // is one of them. No fence: every run is at its end, all of it goes.
      std::vector<int64_t> taking;
      int64_t fence_run = -1;
      for (int64_t i = 0; i < sorted.length(); ++i) {
        const auto& [r, fence] = what[sorted.Value(i)];
        if (fence) {
          fence_run = r;
          break;
        }
        taking.push_back(r);
      }
      std::sort(taking.begin(), taking.end());  // chunks in run order: ties by run
      std::vector<std::shared_ptr<arrow::RecordBatch>> windows;
      std::vector<int64_t> ends;  // per taking run: where its rows end in the round
      int64_t fence_row = -1;
      for (int64_t r : taking) {
        windows.insert(windows.end(), open[r].window.begin(), open[r].window.end());
        ends.push_back((ends.empty() ? 0 : ends.back()) + open[r].rows);
        if (r == fence_run) fence_row = ends.back() - 1;
      }
      ARROW_ASSIGN_OR_RAISE(auto table, arrow::Table::FromRecordBatches(group_.schema, std::move(windows)));
      ARROW_ASSIGN_OR_RAISE(auto indices, cp::SortIndices(arrow::Datum(table), options, &context_));
      const auto& positions = static_cast<const arrow::UInt64Array&>(*indices);
      int64_t emit = positions.length();
      if (fence_run >= 0) {
        for (int64_t i = 0; i < positions.length(); ++i) {
          if (static_cast<int64_t>(positions.Value(i)) == fence_row) {
            emit = i + 1;
            break;
          }
        }
      }
      // Each run's emitted rows are a prefix of its window (the order agrees with it).
      std::vector<int64_t> consumed(taking.size(), 0);
      for (int64_t i = 0; i < emit; ++i) {
        const int64_t p = static_cast<int64_t>(positions.Value(i));
        consumed[std::upper_bound(ends.begin(), ends.end(), p) - ends.begin()] += 1;
      }
      // One take for the round: from many chunks, Arrow joins a string column's chunks
      // on every call.
      ARROW_ASSIGN_OR_RAISE(arrow::Datum rows, cp::Take(arrow::Datum(table), arrow::Datum(indices->Slice(0, emit)),
                                                         cp::TakeOptions::NoBoundsCheck(), &context_));
      table.reset();
      ARROW_RETURN_NOT_OK(sink(rows.table()));
      for (size_t t = 0; t < taking.size(); ++t) {
        Consume(open[taking[t]], consumed[t]);
        ARROW_RETURN_NOT_OK(Refill(open[taking[t]]));
      }
    }
    return arrow::Status::OK();
  }

  TaskRun& run_;
  const MaintenancePlan& plan_;
  const Group& group_;
  cp::ExecContext context_;
  GroupWriterOptions options_;
  std::unique_ptr<GroupWriter> writer_;
  int64_t share_bytes_ = 0;
  int64_t window_rows_ = 0;
  std::vector<std::string> run_paths_;
  int next_run_ = 0;
  int64_t run_bytes_ = 0, run_rows_ = 0;  // decoded rows sorted into runs: their size
};

}  // namespace

arrow::Result<std::vector<io::WrittenFile>> SortGroup(TaskRun& run) {
  OrderedCompaction ordered(run);
  return ordered.Run();
}

}  // namespace fsspeckit::maintenance
