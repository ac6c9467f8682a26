// fsspeckit: Plan and TaskResult as bytes, so tasks can run in other processes.
#include <cstring>
#include <type_traits>

#include <arrow/buffer.h>
#include <arrow/io/memory.h>
#include <arrow/ipc/dictionary.h>
#include <arrow/ipc/reader.h>
#include <arrow/ipc/writer.h>

#include "fsspeckit/merge/plan.h"
#include "fsspeckit/merge/task.h"

namespace fsspeckit::merge {
namespace {

// Little-endian fixed-width numbers and length-prefixed strings and vectors, after a
// tag naming the format: a plan from another version is refused, never misread.
class Writer {
 public:
  explicit Writer(std::string_view tag) { String(tag); }
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

class Reader {
 public:
  Reader(std::string_view bytes, std::string_view what) : in_(bytes), what_(what) {}
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

// Schemas as Arrow IPC (types, nullability and metadata exactly); empty for none.
std::string SchemaBytes(const std::shared_ptr<arrow::Schema>& schema) {
  if (!schema) return {};
  auto buffer = arrow::ipc::SerializeSchema(*schema);
  return buffer.ok() ? (*buffer)->ToString() : std::string();
}

arrow::Result<std::shared_ptr<arrow::Schema>> SchemaFromBytes(const std::string& bytes) {
  if (bytes.empty()) return nullptr;
  arrow::io::BufferReader reader(arrow::Buffer::FromString(bytes));
  // A memo is needed even though no dictionary batches follow: without one, a schema
  // with a dictionary column crashes the reader.
  arrow::ipc::DictionaryMemo dictionaries;
  auto schema = arrow::ipc::ReadSchema(&reader, &dictionaries);
  if (!schema.ok()) return arrow::Status::Invalid("damaged merge plan (schema)");
  return schema;
}

constexpr std::string_view kPlanTag = "fsspeckit merge plan v3";
constexpr std::string_view kResultTag = "fsspeckit merge task result v1";

}  // namespace

std::string Plan::Serialize() const {
  Writer w(kPlanTag);
  w.String(dataset_dir);
  w.String(staging_dir);
  w.String(source_path);
  w.Number(source_rows);
  w.Vector(spill_files, [&](const std::string& s) { w.String(s); });
  w.Number(spill.bytes);
  w.Number(spill.parts);
  w.Number(spill.passes);
  w.Number(spill.files_scanned);
  w.Number(strategy);
  w.Vector(key_columns, [&](const std::string& s) { w.String(s); });
  w.String(SchemaBytes(schema));
  w.Vector(partition_by, [&](const std::string& s) { w.String(s); });
  w.Optional(write.compression);
  w.Optional(write.max_rows_per_file);
  w.Optional(write.row_group_size);
  w.Number(chunk_size_rows);
  w.Number(source_row_bytes);
  w.Vector(files, [&](const PlannedFile& f) {
    w.String(f.path);
    w.Number(f.size_bytes);
    w.Number(f.rows);
  });
  w.Vector(tasks, [&](const MergeTask& t) {
    w.Number(t.kind);
    w.String(t.file);
    w.Vector(t.row_groups, [&](int rg) { w.Number<int32_t>(rg); });
    w.Vector(t.source_rows, [&](int64_t row) { w.Number(row); });
    w.Vector(t.spilled_rows, [&](const SpilledRows& rows) {
      w.Number(rows.file);
      w.Number(rows.batch);
      w.Number(rows.rows);
    });
    w.Vector(t.appended_rows, [&](int64_t row) { w.Number(row); });
    w.Vector(t.joined, [&](const JoinedFile& f) {
      w.String(f.path);
      w.Vector(f.row_groups, [&](int rg) { w.Number<int32_t>(rg); });
    });
    w.Number(t.work_rows);
    w.Number(t.estimated_bytes);
  });
  w.Number(source_count);
  w.Number(target_rows);
  w.Number(updated);
  w.Number(keys_in_several_files);
  return w.Take();
}

arrow::Result<Plan> Plan::Deserialize(std::string_view bytes) {
  Reader r(bytes, "merge plan");
  Plan p;
  const std::string tag = r.String();
  if (tag != kPlanTag) return r.Finish(tag, kPlanTag);
  p.dataset_dir = r.String();
  p.staging_dir = r.String();
  p.source_path = r.String();
  p.source_rows = r.Number<int64_t>();
  p.spill_files = r.Vector<std::string>([&] { return r.String(); });
  p.spill.bytes = r.Number<int64_t>();
  p.spill.parts = r.Number<int64_t>();
  p.spill.passes = r.Number<int64_t>();
  p.spill.files_scanned = r.Number<int64_t>();
  p.strategy = r.Number<Strategy>();
  p.key_columns = r.Vector<std::string>([&] { return r.String(); });
  const std::string schema = r.String();
  p.partition_by = r.Vector<std::string>([&] { return r.String(); });
  p.write.compression = r.Optional<std::string>();
  p.write.max_rows_per_file = r.Optional<int64_t>();
  p.write.row_group_size = r.Optional<int64_t>();
  p.chunk_size_rows = r.Number<int64_t>();
  p.source_row_bytes = r.Number<int64_t>();
  p.files = r.Vector<PlannedFile>([&] {
    PlannedFile f;
    f.path = r.String();
    f.size_bytes = r.Number<int64_t>();
    f.rows = r.Number<int64_t>();
    return f;
  });
  p.tasks = r.Vector<MergeTask>([&] {
    MergeTask t;
    t.kind = r.Number<TaskKind>();
    t.file = r.String();
    t.row_groups = r.Vector<int>([&] { return static_cast<int>(r.Number<int32_t>()); });
    t.source_rows = r.Vector<int64_t>([&] { return r.Number<int64_t>(); });
    t.spilled_rows = r.Vector<SpilledRows>([&] {
      SpilledRows rows;
      rows.file = r.Number<int32_t>();
      rows.batch = r.Number<int32_t>();
      rows.rows = r.Number<int64_t>();
      return rows;
    });
    t.appended_rows = r.Vector<int64_t>([&] { return r.Number<int64_t>(); });
    t.joined = r.Vector<JoinedFile>([&] {
      JoinedFile f;
      f.path = r.String();
      f.row_groups = r.Vector<int>([&] { return static_cast<int>(r.Number<int32_t>()); });
      return f;
    });
    t.work_rows = r.Number<int64_t>();
    t.estimated_bytes = r.Number<int64_t>();
    return t;
  });
  p.source_count = r.Number<int64_t>();
  p.target_rows = r.Number<int64_t>();
  p.updated = r.Number<int64_t>();
  p.keys_in_several_files = r.Number<int64_t>();
  ARROW_RETURN_NOT_OK(r.Finish(tag, kPlanTag));
  ARROW_ASSIGN_OR_RAISE(p.schema, SchemaFromBytes(schema));
  bool known = p.strategy <= Strategy::kUpsert;
  for (const MergeTask& t : p.tasks) known = known && t.kind <= TaskKind::kInsert;
  if (!known) return arrow::Status::Invalid("damaged merge plan (unknown strategy or task kind)");
  return p;
}

std::string TaskResult::Serialize() const {
  Writer w(kResultTag);
  w.Number(task);
  w.String(attempt);
  w.Vector(staged, [&](const io::WrittenFile& f) {
    w.String(f.path);
    w.Number(f.row_count);
    w.Number(f.size_bytes);
  });
  w.Number(rows_written);
  w.Number(matched_keys);
  w.Number(memory_peak_bytes);
  w.Number(seconds);
  return w.Take();
}

arrow::Result<TaskResult> TaskResult::Deserialize(std::string_view bytes) {
  Reader r(bytes, "merge task result");
  TaskResult t;
  const std::string tag = r.String();
  if (tag != kResultTag) return r.Finish(tag, kResultTag);
  t.task = r.Number<int64_t>();
  t.attempt = r.String();
  t.staged = r.Vector<io::WrittenFile>([&] {
    io::WrittenFile f;
    f.path = r.String();
    f.row_count = r.Number<int64_t>();
    f.size_bytes = r.Number<int64_t>();
    return f;
  });
  t.rows_written = r.Number<int64_t>();
  t.matched_keys = r.Number<int64_t>();
  t.memory_peak_bytes = r.Number<int64_t>();
  t.seconds = r.Number<double>();
  ARROW_RETURN_NOT_OK(r.Finish(tag, kResultTag));
  return t;
}

}  // namespace fsspeckit::merge
