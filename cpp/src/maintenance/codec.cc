// fsspeckit: MaintenancePlan and TaskResult as bytes, so tasks can run in other
// processes and plans can be kept past the process that made them.
#include "fsspeckit/maintenance/plan.h"
#include "fsspeckit/maintenance/task.h"
#include "io/byte_codec_internal.h"

namespace fsspeckit::maintenance {
namespace {

constexpr std::string_view kPlanTag = "fsspeckit maintenance plan v1";
constexpr std::string_view kResultTag = "fsspeckit maintenance task result v1";
constexpr std::string_view kPlanWhat = "maintenance plan";

bool KnownEnums(const MaintenancePlan& plan) {
  return plan.operation <= Operation::kSchemaRewrite && plan.cast_policy <= CastPolicy::kLoose;
}

// Indices into the plan's files that exist: damaged bytes must not index past them.
bool FileIndicesInRange(const MaintenancePlan& plan) {
  const auto in_range = [&](int f) { return f >= 0 && f < static_cast<int>(plan.files.size()); };
  for (const Group& group : plan.groups) {
    for (int f : group.files) {
      if (!in_range(f)) return false;
    }
  }
  for (const SkippedFile& skipped : plan.skipped) {
    if (!in_range(skipped.file)) return false;
  }
  return true;
}

}  // namespace

std::string MaintenancePlan::Serialize() const {
  io::ByteWriter w(kPlanTag);
  w.Number(operation);
  w.String(dataset_dir);
  w.Number(atomic_rename);
  w.Vector(files, [&](const PlannedFile& f) {
    w.String(f.path);
    w.String(f.relative_path);
    w.Number(f.size_bytes);
    w.Number(f.num_rows);
    w.Number<int32_t>(f.num_row_groups);
    w.Number(f.largest_row_group_rows);
    w.Number(f.uncompressed_bytes);
    w.String(f.codec);
  });
  w.Vector(snapshot, [&](const SnapshotEntry& e) {
    w.String(e.path);
    w.Number(e.size_bytes);
    w.Number(e.mtime_ns);
  });
  w.Strings(partition_filter);
  w.Strings(partition_paths);
  w.String(io::SchemaBytes(schema));
  w.Number(schema_promoted);
  w.String(codec);
  w.Number(codec_given);
  w.Optional(max_rows_per_file);
  w.Optional(target_bytes);
  w.Number(row_group_rows);
  w.Vector(groups, [&](const Group& g) {
    w.String(g.partition);
    w.Vector(g.files, [&](int f) { w.Number<int32_t>(f); });
    w.String(io::SchemaBytes(g.schema));
    w.Number(g.num_rows);
    w.Number(g.size_bytes);
    w.Number(g.estimated_bytes);
  });
  w.Vector(skipped, [&](const SkippedFile& s) {
    w.Number<int32_t>(s.file);
    w.String(s.reason);
  });
  w.Strings(key_columns);
  w.Vector(order_by, [&](const OrderColumn& o) {
    w.String(o.column);
    w.Number(o.descending);
  });
  w.Vector(sort_keys, [&](const SortColumn& k) {
    w.String(k.column);
    w.Number(k.descending);
    w.Number(k.nulls_first);
  });
  w.Strings(partition_columns);
  w.Strings(hive_keys);
  w.Number(cast_policy);
  w.Strings(changed_fields);
  w.Vector(derived_columns, [&](const DerivedPartitionColumn& d) {
    w.String(d.name);
    w.String(d.function);
    w.String(d.source);
    w.String(d.format);
  });
  w.String(partition_timezone);
  return w.Take();
}

arrow::Result<MaintenancePlan> MaintenancePlan::Deserialize(std::string_view bytes) {
  io::ByteReader r(bytes, kPlanWhat);
  MaintenancePlan p;
  const std::string tag = r.String();
  if (tag != kPlanTag) return r.Finish(tag, kPlanTag);
  p.operation = r.Number<Operation>();
  p.dataset_dir = r.String();
  p.atomic_rename = r.Number<bool>();
  p.files = r.Vector<PlannedFile>([&] {
    PlannedFile f;
    f.path = r.String();
    f.relative_path = r.String();
    f.size_bytes = r.Number<int64_t>();
    f.num_rows = r.Number<int64_t>();
    f.num_row_groups = r.Number<int32_t>();
    f.largest_row_group_rows = r.Number<int64_t>();
    f.uncompressed_bytes = r.Number<int64_t>();
    f.codec = r.String();
    return f;
  });
  p.snapshot = r.Vector<SnapshotEntry>([&] {
    SnapshotEntry e;
    e.path = r.String();
    e.size_bytes = r.Number<int64_t>();
    e.mtime_ns = r.Number<int64_t>();
    return e;
  });
  p.partition_filter = r.Strings();
  p.partition_paths = r.Strings();
  const std::string schema = r.String();
  p.schema_promoted = r.Number<bool>();
  p.codec = r.String();
  p.codec_given = r.Number<bool>();
  p.max_rows_per_file = r.Optional<int64_t>();
  p.target_bytes = r.Optional<int64_t>();
  p.row_group_rows = r.Number<int64_t>();
  std::vector<std::string> group_schemas;
  p.groups = r.Vector<Group>([&] {
    Group g;
    g.partition = r.String();
    g.files = r.Vector<int>([&] { return static_cast<int>(r.Number<int32_t>()); });
    group_schemas.push_back(r.String());
    g.num_rows = r.Number<int64_t>();
    g.size_bytes = r.Number<int64_t>();
    g.estimated_bytes = r.Number<int64_t>();
    return g;
  });
  p.skipped = r.Vector<SkippedFile>([&] {
    SkippedFile s;
    s.file = r.Number<int32_t>();
    s.reason = r.String();
    return s;
  });
  p.key_columns = r.Strings();
  p.order_by = r.Vector<OrderColumn>([&] {
    OrderColumn o;
    o.column = r.String();
    o.descending = r.Number<bool>();
    return o;
  });
  p.sort_keys = r.Vector<SortColumn>([&] {
    SortColumn k;
    k.column = r.String();
    k.descending = r.Number<bool>();
    k.nulls_first = r.Number<bool>();
    return k;
  });
  p.partition_columns = r.Strings();
  p.hive_keys = r.Strings();
  p.cast_policy = r.Number<CastPolicy>();
  p.changed_fields = r.Strings();
  p.derived_columns = r.Vector<DerivedPartitionColumn>([&] {
    DerivedPartitionColumn d;
    d.name = r.String();
    d.function = r.String();
    d.source = r.String();
    d.format = r.String();
    return d;
  });
  p.partition_timezone = r.String();
  ARROW_RETURN_NOT_OK(r.Finish(tag, kPlanTag));
  ARROW_ASSIGN_OR_RAISE(p.schema, io::SchemaFromBytes(schema, kPlanWhat));
  for (size_t g = 0; g < p.groups.size(); ++g) {
    ARROW_ASSIGN_OR_RAISE(p.groups[g].schema, io::SchemaFromBytes(group_schemas[g], kPlanWhat));
  }
  if (!KnownEnums(p) || !FileIndicesInRange(p)) {
    return arrow::Status::Invalid("damaged maintenance plan (unknown operation or file index)");
  }
  return p;
}

std::string TaskResult::Serialize() const {
  io::ByteWriter w(kResultTag);
  w.Number(group);
  w.String(attempt);
  io::WriteStagedFiles(w, staged);
  w.Number(rows_read);
  w.Number(rows_written);
  w.Number(row_groups_copied);
  w.Number(row_groups_encoded);
  w.Number(spill_buckets);
  w.Number(memory_peak_bytes);
  w.Number(seconds);
  return w.Take();
}

arrow::Result<TaskResult> TaskResult::Deserialize(std::string_view bytes) {
  io::ByteReader r(bytes, "maintenance task result");
  TaskResult t;
  const std::string tag = r.String();
  if (tag != kResultTag) return r.Finish(tag, kResultTag);
  t.group = r.Number<int64_t>();
  t.attempt = r.String();
  t.staged = io::ReadStagedFiles(r);
  t.rows_read = r.Number<int64_t>();
  t.rows_written = r.Number<int64_t>();
  t.row_groups_copied = r.Number<int64_t>();
  t.row_groups_encoded = r.Number<int64_t>();
  t.spill_buckets = r.Number<int64_t>();
  t.memory_peak_bytes = r.Number<int64_t>();
  t.seconds = r.Number<double>();
  ARROW_RETURN_NOT_OK(r.Finish(tag, kResultTag));
  return t;
}

}  // namespace fsspeckit::maintenance
