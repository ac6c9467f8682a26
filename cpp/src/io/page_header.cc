// fsspeckit: the few fields of a Parquet page header a rewrite needs, read without the page.
#include "io/page_header_internal.h"

#include <string>
#include <utility>

#include <arrow/buffer.h>
#include <arrow/io/interfaces.h>
#include <arrow/util/future.h>

namespace fsspeckit::io {
namespace {

// Thrift's compact protocol (the encoding of Parquet's page headers), enough of it to
// walk a PageHeader: varints, field headers, and skipping any value.
class CompactReader {
 public:
  CompactReader(const uint8_t* data, int64_t size) : data_(data), end_(data + size) {}

  arrow::Result<uint64_t> Varint() {
    uint64_t value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (data_ == end_) return Truncated();
      const uint8_t byte = *data_++;
      value |= static_cast<uint64_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) return value;
    }
    return arrow::Status::Invalid("a page header holds an overlong varint");
  }

  arrow::Result<int64_t> ZigZag() {
    ARROW_ASSIGN_OR_RAISE(uint64_t raw, Varint());
    return static_cast<int64_t>(raw >> 1) ^ -static_cast<int64_t>(raw & 1);
  }

  // The next field of the current struct as (id, type); type 0 ends the struct.
  arrow::Result<std::pair<int, int>> Field(int last_id) {
    if (data_ == end_) return Truncated();
    const uint8_t header = *data_++;
    const int type = header & 0x0f;
    if (type == kStop) return std::pair<int, int>{0, kStop};
    const int delta = header >> 4;
    if (delta != 0) return std::pair<int, int>{last_id + delta, type};
    ARROW_ASSIGN_OR_RAISE(int64_t id, ZigZag());
    return std::pair<int, int>{static_cast<int>(id), type};
  }

  arrow::Status Skip(int type, int depth = 0) {
    if (depth > 16) return arrow::Status::Invalid("a page header nests too deeply");
    switch (type) {
      case kTrue:
      case kFalse:
        return arrow::Status::OK();  // the value is in the type
      case kByte:
        return Advance(1);
      case kI16:
      case kI32:
      case kI64:
        return Varint().status();
      case kDouble:
        return Advance(8);
      case kBinary: {
        ARROW_ASSIGN_OR_RAISE(uint64_t length, Varint());
        return Advance(length);
      }
      case kList:
      case kSet: {
        if (data_ == end_) return Truncated();
        const uint8_t header = *data_++;
        uint64_t count = header >> 4;
        if (count == 15) {
          ARROW_ASSIGN_OR_RAISE(count, Varint());
        }
        for (uint64_t i = 0; i < count; ++i) ARROW_RETURN_NOT_OK(Skip(header & 0x0f, depth + 1));
        return arrow::Status::OK();
      }
      case kMap: {
        ARROW_ASSIGN_OR_RAISE(uint64_t count, Varint());
        if (count == 0) return arrow::Status::OK();
        if (data_ == end_) return Truncated();
        const uint8_t types = *data_++;
        for (uint64_t i = 0; i < count; ++i) {
          ARROW_RETURN_NOT_OK(Skip(types >> 4, depth + 1));
          ARROW_RETURN_NOT_OK(Skip(types & 0x0f, depth + 1));
        }
        return arrow::Status::OK();
      }
      case kStruct: {
        int id = 0;
        while (true) {
          ARROW_ASSIGN_OR_RAISE(auto field, Field(id));
          if (field.second == kStop) return arrow::Status::OK();
          id = field.first;
          ARROW_RETURN_NOT_OK(Skip(field.second, depth + 1));
        }
      }
      default:
        return arrow::Status::Invalid("a page header holds an unknown Thrift type ", type);
    }
  }

  static constexpr int kStop = 0, kTrue = 1, kFalse = 2, kByte = 3, kI16 = 4, kI32 = 5,
                       kI64 = 6, kDouble = 7, kBinary = 8, kList = 9, kSet = 10, kMap = 11,
                       kStruct = 12;

 private:
  arrow::Status Advance(uint64_t bytes) {
    if (bytes > static_cast<uint64_t>(end_ - data_)) return Truncated();
    data_ += bytes;
    return arrow::Status::OK();
  }
  static arrow::Status Truncated() { return arrow::Status::Invalid("a page header is truncated"); }

  const uint8_t* data_;
  const uint8_t* end_;
};

// PageHeader's field numbers (parquet.thrift).
constexpr int kPageType = 1;
constexpr int kDictionaryPageHeader = 7;
constexpr int kDictionaryPageType = 2;  // PageType.DICTIONARY_PAGE
constexpr int kNumValues = 1;           // DictionaryPageHeader.num_values

arrow::Result<int64_t> ParseDictionaryPageEntries(const arrow::Buffer& bytes) {
  CompactReader reader(bytes.data(), bytes.size());
  int id = 0;
  bool dictionary = false;
  while (true) {
    ARROW_ASSIGN_OR_RAISE(auto field, reader.Field(id));
    if (field.second == CompactReader::kStop) break;
    id = field.first;
    if (id == kPageType && field.second == CompactReader::kI32) {
      ARROW_ASSIGN_OR_RAISE(int64_t type, reader.ZigZag());
      dictionary = type == kDictionaryPageType;
    } else if (id == kDictionaryPageHeader && field.second == CompactReader::kStruct && dictionary) {
      ARROW_ASSIGN_OR_RAISE(auto inner, reader.Field(0));
      if (inner.first == kNumValues && inner.second == CompactReader::kI32) return reader.ZigZag();
      break;
    } else {
      ARROW_RETURN_NOT_OK(reader.Skip(field.second));
    }
  }
  return arrow::Status::Invalid("no dictionary page header there");
}

}  // namespace

std::vector<arrow::Result<int64_t>> DictionaryPageEntries(arrow::io::RandomAccessFile& file,
                                                          const std::vector<int64_t>& offsets,
                                                          bool at_once) {
  // A dictionary page's header is a few dozen bytes; 256 leave room for a CRC and more.
  constexpr int64_t kHeaderBytes = 256;
  std::vector<arrow::Future<std::shared_ptr<arrow::Buffer>>> reads;
  if (at_once) {
    for (int64_t offset : offsets) {
      reads.push_back(file.ReadAsync(arrow::io::default_io_context(), offset, kHeaderBytes));
    }
  }
  std::vector<arrow::Result<int64_t>> entries;
  for (size_t i = 0; i < offsets.size(); ++i) {
    arrow::Result<std::shared_ptr<arrow::Buffer>> bytes =
        at_once ? reads[i].result() : file.ReadAt(offsets[i], kHeaderBytes);
    entries.push_back(bytes.ok() ? ParseDictionaryPageEntries(**bytes) : bytes.status());
  }
  return entries;
}

}  // namespace fsspeckit::io
