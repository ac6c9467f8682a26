// fsspeckit: Plan and TaskResult as bytes, so tasks can run in other processes.
#include "fsspeckit/merge/plan.h"
#include "fsspeckit/merge/task.h"
#include "io/byte_codec_internal.h"

namespace fsspeckit::merge {
namespace {

using io::SchemaBytes;
using Writer = io::ByteWriter;
using Reader = io::ByteReader;

constexpr std::string_view kPlanTag = "fsspeckit merge plan v3";
constexpr std::string_view kResultTag = "fsspeckit merge task result v1";

}  // namespace

std::string Plan::Serialize() const {
  Writer w(kPlanTag);
  w.String(dataset_dir);
  w.String(staging_dir);
  w.String(source_path);
  w.Number(source_rows);
  w.Strings(spill_files);
  w.Number(spill.bytes);
  w.Number(spill.parts);
  w.Number(spill.passes);
  w.Number(spill.files_scanned);
  w.Number(strategy);
  w.Strings(key_columns);
  w.String(SchemaBytes(schema));
  w.Strings(partition_by);
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
      w.Number(rows.row_group);
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
  p.spill_files = r.Strings();
  p.spill.bytes = r.Number<int64_t>();
  p.spill.parts = r.Number<int64_t>();
  p.spill.passes = r.Number<int64_t>();
  p.spill.files_scanned = r.Number<int64_t>();
  p.strategy = r.Number<Strategy>();
  p.key_columns = r.Strings();
  const std::string schema = r.String();
  p.partition_by = r.Strings();
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
      rows.row_group = r.Number<int32_t>();
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
  ARROW_ASSIGN_OR_RAISE(p.schema, io::SchemaFromBytes(schema, "merge plan"));
  bool known = p.strategy <= Strategy::kUpsert;
  for (const MergeTask& t : p.tasks) known = known && t.kind <= TaskKind::kInsert;
  if (!known) return arrow::Status::Invalid("damaged merge plan (unknown strategy or task kind)");
  return p;
}

std::string TaskResult::Serialize() const {
  Writer w(kResultTag);
  w.Number(task);
  w.String(attempt);
  io::WriteStagedFiles(w, staged);
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
  t.staged = io::ReadStagedFiles(r);
  t.rows_written = r.Number<int64_t>();
  t.matched_keys = r.Number<int64_t>();
  t.memory_peak_bytes = r.Number<int64_t>();
  t.seconds = r.Number<double>();
  ARROW_RETURN_NOT_OK(r.Finish(tag, kResultTag));
  return t;
}

}  // namespace fsspeckit::merge
