// fsspeckit: compacting Parquet files into fewer files, by copying their row groups raw
// (RowGroupCopier) or by decoding and re-encoding them (Arrow's reader and writer).
// bench_copier.py drives it, one process per run.
//
//   fsspeckit_copier_bench copy|reencode OUT_DIR OUTPUTS CODEC INPUT...
//
// Writes OUT_DIR/part-<k>.parquet, k < OUTPUTS, each from a run of consecutive inputs
// (their rows in input order). CODEC is the output's ("auto": the first input's). In
// copy mode, a row group the copier refuses is decoded and written instead. Prints one
// line: "seconds <s> copied_row_groups <n> decoded_row_groups <m> pool_peak_bytes <b>".
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <arrow/io/file.h>
#include <arrow/memory_pool.h>
#include <arrow/table.h>
#include <arrow/util/compression.h>
#include <parquet/arrow/reader.h>
#include <parquet/arrow/writer.h>
#include <parquet/file_reader.h>
#include <parquet/properties.h>

#include "io/row_group_copier_internal.h"

namespace {

struct Counts {
  int copied = 0;
  int decoded = 0;
};

arrow::Result<std::unique_ptr<parquet::arrow::FileReader>> OpenReader(
    const std::shared_ptr<arrow::io::RandomAccessFile>& file, arrow::MemoryPool* pool) {
  return parquet::arrow::OpenFile(file, pool);
}

arrow::Status Run(const std::string& mode, const std::string& out_dir, int outputs,
                  const std::string& codec_name, const std::vector<std::string>& inputs,
                  Counts* counts) {
  arrow::MemoryPool* pool = arrow::default_memory_pool();
  ARROW_ASSIGN_OR_RAISE(auto first, arrow::io::ReadableFile::Open(inputs.front()));
  ARROW_ASSIGN_OR_RAISE(auto first_reader, OpenReader(first, pool));
  std::shared_ptr<arrow::Schema> schema;
  ARROW_RETURN_NOT_OK(first_reader->GetSchema(&schema));
  arrow::Compression::type codec;
  if (codec_name == "auto") {
    codec = first_reader->parquet_reader()->metadata()->RowGroup(0)->ColumnChunk(0)->compression();
  } else {
    ARROW_ASSIGN_OR_RAISE(codec, arrow::util::Codec::GetCompressionType(codec_name));
  }
  auto properties = parquet::WriterProperties::Builder().compression(codec)->memory_pool(pool)->build();
  auto arrow_properties = parquet::ArrowWriterProperties::Builder().store_schema()->build();

  const size_t per_output = (inputs.size() + outputs - 1) / outputs;
  for (int k = 0; k < outputs; ++k) {
    const size_t begin = k * per_output;
    const size_t end = std::min(inputs.size(), begin + per_output);
    if (begin >= end) break;
    const std::string path = out_dir + "/part-" + std::to_string(k) + ".parquet";
    ARROW_ASSIGN_OR_RAISE(auto sink, arrow::io::FileOutputStream::Open(path));
    if (mode == "copy") {
      fsspeckit::io::RowGroupCopierOptions options;
      options.writer_properties = properties;
      options.arrow_writer_properties = arrow_properties;
      options.pool = pool;
      ARROW_ASSIGN_OR_RAISE(auto copier, fsspeckit::io::RowGroupCopier::Make(sink, schema, options));
      for (size_t i = begin; i < end; ++i) {
        ARROW_ASSIGN_OR_RAISE(auto file, arrow::io::ReadableFile::Open(inputs[i]));
        ARROW_ASSIGN_OR_RAISE(auto source,
                              fsspeckit::io::CopySource::Open(file, inputs[i]));
        std::unique_ptr<parquet::arrow::FileReader> reader;  // opened on the first refusal
        for (int g = 0; g < source.metadata->num_row_groups(); ++g) {
          const arrow::Status refusal = copier->CanCopy(source, g);
          if (refusal.ok()) {
            ARROW_RETURN_NOT_OK(copier->CopyRowGroup(source, g));
            ++counts->copied;
            continue;
          }
          if (counts->decoded == 0) std::fprintf(stderr, "decoding: %s\n", refusal.message().c_str());
          if (!reader) {
            ARROW_ASSIGN_OR_RAISE(reader, OpenReader(file, pool));
          }
          ARROW_ASSIGN_OR_RAISE(auto table, reader->ReadRowGroup(g));
          ARROW_ASSIGN_OR_RAISE(table, table->CombineChunks(pool));
          ARROW_RETURN_NOT_OK(copier->WriteTable(*table));
          ++counts->decoded;
        }
      }
      ARROW_RETURN_NOT_OK(copier->Close());
    } else if (mode == "reencode") {
      ARROW_ASSIGN_OR_RAISE(auto writer, parquet::arrow::FileWriter::Open(
                                             *schema, pool, sink, properties, arrow_properties));
      for (size_t i = begin; i < end; ++i) {
        ARROW_ASSIGN_OR_RAISE(auto file, arrow::io::ReadableFile::Open(inputs[i]));
        ARROW_ASSIGN_OR_RAISE(auto reader, OpenReader(file, pool));
        for (int g = 0; g < reader->num_row_groups(); ++g) {
          ARROW_ASSIGN_OR_RAISE(auto table, reader->ReadRowGroup(g));
          ARROW_RETURN_NOT_OK(writer->WriteTable(*table, std::max<int64_t>(table->num_rows(), 1)));
          ++counts->decoded;
        }
      }
      ARROW_RETURN_NOT_OK(writer->Close());
    } else {
      return arrow::Status::Invalid("mode must be copy or reencode, got: ", mode);
    }
    ARROW_RETURN_NOT_OK(sink->Close());
  }
  return arrow::Status::OK();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 6) {
    std::fprintf(stderr, "usage: %s copy|reencode OUT_DIR OUTPUTS CODEC INPUT...\n", argv[0]);
    return 2;
  }
  const std::vector<std::string> inputs(argv + 5, argv + argc);
  Counts counts;
  const auto start = std::chrono::steady_clock::now();
  const arrow::Status status = Run(argv[1], argv[2], std::stoi(argv[3]), argv[4], inputs, &counts);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!status.ok()) {
    std::fprintf(stderr, "%s\n", status.ToString().c_str());
    return 1;
  }
  std::printf("seconds %.4f copied_row_groups %d decoded_row_groups %d pool_peak_bytes %lld\n",
              seconds, counts.copied, counts.decoded,
              static_cast<long long>(arrow::default_memory_pool()->max_memory()));
  return 0;
}
