// fsspeckit: plain data as bytes, so plans and task results can cross processes:
// little-endian fixed-width numbers and length-prefixed strings and vectors, after a tag
// naming the format, so that bytes of another version are refused, never misread.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <arrow/buffer.h>
#include <arrow/io/memory.h>
#include <arrow/ipc/dictionary.h>
#include <arrow/ipc/reader.h>
#include <arrow/ipc/writer.h>
#include <arrow/result.h>
#include <arrow/type.h>

#include "fsspeckit/io/write_dataset.h"

namespace fsspeckit::io {

/// Writes the bytes: the tag first, then the fields in the order the reader reads them.
class ByteWriter {
 public:
  explicit ByteWriter(std::string_view tag) { String(tag); }
  template <typename T>
  void Number(T value) {
    static_assert(std::is_arithmetic_v<T> || std::is_enum_v<T>);
    char bytes[sizeof(T)];
    std::memcpy(bytes, &value, sizeof(T));
    out_.append(bytes, sizeof(T));
  }
  void String(std::string_view text) {
    Number<uint64_t>(text.size());
    out_.append(text);
  }
  template <typename T, typename F>
  void Vector(const std::vector<T>& items, F each) {
    Number<uint64_t>(items.size());
    for (const T& item : items) each(item);
  }
  void Strings(const std::vector<std::string>& items) {
    Vector(items, [&](const std::string& item) { String(item); });
  }
  template <typename T>
  void Optional(const std::optional<T>& value) {
    Number<uint8_t>(value.has_value());
    if constexpr (std::is_same_v<T, std::string>) {
      if (value) String(*value);
    } else {
      if (value) Number(*value);
    }
  }
  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
};

/// Reads what ByteWriter wrote, field by field; a short or long input or another tag is
/// reported by Finish (the fields read before it are then meaningless).
class ByteReader {
 public:
  ByteReader(std::string_view bytes, std::string_view what) : in_(bytes), what_(what) {}
  template <typename T>
  T Number() {
    T value{};
    if (!Need(sizeof(T))) return value;
    std::memcpy(&value, in_.data(), sizeof(T));
    in_.remove_prefix(sizeof(T));
    return value;
  }
  std::string String() {
    const uint64_t size = Number<uint64_t>();
    if (!Need(size)) return {};
    std::string text(in_.substr(0, size));
    in_.remove_prefix(size);
    return text;
  }
  template <typename T, typename F>
  std::vector<T> Vector(F each) {
    const uint64_t size = Number<uint64_t>();
    std::vector<T> items;
    for (uint64_t i = 0; i < size && ok_; ++i) items.push_back(each());
    return items;
  }
  std::vector<std::string> Strings() {
    return Vector<std::string>([&] { return String(); });
  }
  template <typename T>
  std::optional<T> Optional() {
    if (!Number<uint8_t>()) return std::nullopt;
    if constexpr (std::is_same_v<T, std::string>) {
      return String();
    } else {
      return Number<T>();
    }
  }
  arrow::Status Finish(std::string_view tag_read, std::string_view tag) const {
    if (tag_read != tag) return arrow::Status::Invalid("not a ", what_, " of this fsspeckit version");
    if (!ok_ || !in_.empty()) return arrow::Status::Invalid("damaged ", what_, " (bad length)");
    return arrow::Status::OK();
  }

 private:
  bool Need(uint64_t size) {
    if (in_.size() < size) ok_ = false;
    return ok_;
  }
  std::string_view in_;
  std::string_view what_;
  bool ok_ = true;
};

/// The files a task staged, as merge and maintenance results carry them.
inline void WriteStagedFiles(ByteWriter& w, const std::vector<WrittenFile>& files) {
  w.Vector(files, [&](const WrittenFile& f) {
    w.String(f.path);
    w.Number(f.row_count);
    w.Number(f.size_bytes);
  });
}

inline std::vector<WrittenFile> ReadStagedFiles(ByteReader& r) {
  return r.Vector<WrittenFile>([&] {
    WrittenFile f;
    f.path = r.String();
    f.row_count = r.Number<int64_t>();
    f.size_bytes = r.Number<int64_t>();
    return f;
  });
}

/// Schemas as Arrow IPC (types, nullability and metadata exactly); empty for none.
inline std::string SchemaBytes(const std::shared_ptr<arrow::Schema>& schema) {
  if (!schema) return {};
  auto buffer = arrow::ipc::SerializeSchema(*schema);
  return buffer.ok() ? (*buffer)->ToString() : std::string();
}

inline arrow::Result<std::shared_ptr<arrow::Schema>> SchemaFromBytes(const std::string& bytes,
                                                                     std::string_view what) {
  if (bytes.empty()) return nullptr;
  arrow::io::BufferReader reader(arrow::Buffer::FromString(bytes));
  // A memo is needed even though no dictionary batches follow: without one, a schema
  // with a dictionary column crashes the reader.
  arrow::ipc::DictionaryMemo dictionaries;
  auto schema = arrow::ipc::ReadSchema(&reader, &dictionaries);
  if (!schema.ok()) return arrow::Status::Invalid("damaged ", what, " (schema)");
  return schema;
}

}  // namespace fsspeckit::io
