"""Dataset maintenance as the original's users call it: fs.compact_parquet_dataset(...) on
any fsspec filesystem after ``import fsspeckit``, the plan_* + execute_maintenance_plan
pair, and the same methods on PyarrowDatasetIO; locally, on S3 (moto) and on fsspec's
memory filesystem. The algorithms are tested in C++ (cpp/src/maintenance/*_test.cc)."""

import os

import fsspec
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

import fsspeckit
from fsspeckit.core.maintenance import (CompactionPlan, MaintenanceOperation, MaintenanceResult,
                                        PartitionLocalDeduplicationPlan)
from fsspeckit.datasets.pyarrow import PyarrowDatasetIO


def hive_dataset(root, days=3, files=4, rows=100):
    """day=<d>/part-<f>.parquet with ids ascending in path order."""
    n = 0
    for day in range(days):
        os.makedirs(f"{root}/day={day}", exist_ok=True)
        for f in range(files):
            pq.write_table(pa.table({"id": pa.array(range(n, n + rows), pa.int64()),
                                     "v": [f"v{i % 5}" for i in range(rows)]}),
                           f"{root}/day={day}/part-{f}.parquet")
            n += rows
    return n


def read(root):
    return ds.dataset(str(root), format="parquet", partitioning="hive").to_table()


def visible(root):
    return sorted(os.path.relpath(os.path.join(d, f), root) for d, _, fs in os.walk(root)
                  for f in fs if not f.startswith((".", "_")) and "/_" not in d[len(str(root)):])


def test_import_adds_the_methods_to_every_fsspec_filesystem():
    for fs in (fsspec.filesystem("file"), fsspec.filesystem("memory")):
        for name in ("compact_parquet_dataset", "plan_parquet_compaction",
                     "deduplicate_parquet_dataset", "plan_parquet_partition_local_deduplication",
                     "execute_maintenance_plan"):
            assert callable(getattr(fs, name))
    assert fsspeckit.filesystem("file").compact_parquet_dataset


def test_compaction_keeps_hive_values_rows_and_order(tmp_path):
    root = tmp_path / "ds"
    total = hive_dataset(root)
    fs = fsspec.filesystem("file")
    plan = fs.plan_parquet_compaction(str(root), target_rows_per_file=10_000)
    assert isinstance(plan, CompactionPlan)
    assert plan.operation is MaintenanceOperation.COMPACTION
    assert plan.selected_backend == "pyarrow" and plan.selected_codec == "snappy"
    assert plan.guarantee_level.value == "atomic_local"
    assert plan.max_rows_per_file == 10_000 and plan.target_byte_size is None
    assert [g.file_count for g in plan.compaction_groups] == [4, 4, 4]
    assert plan.compaction_groups[0].total_rows == 400
    assert plan.source_snapshot.total_rows == total
    assert plan.partition_scope.partition_paths == ("day=0", "day=1", "day=2")
    assert plan.schema == pa.schema([("id", pa.int64()), ("v", pa.string())])
    assert len(visible(root)) == 12  # planning wrote nothing

    result = fs.execute_maintenance_plan(plan)
    assert isinstance(result, MaintenanceResult)
    assert result.succeeded and result.error is None
    assert [p.phase for p in result.phase_outcomes] == [
        "lock", "drift_check", "stage", "write", "validate", "publish", "cleanup"]
    assert result.validation.staged_row_count == result.validation.expected_row_count == total
    assert len(result.publication.published_files) == 3
    assert len(result.publication.removed_source_files) == 12
    assert result.actual_metrics.row_count == total and result.actual_metrics.file_count == 3
    assert (result.files_before, result.files_after) == (12, 3)
    assert result.recovery.workspace_path is None
    table = read(root)
    assert table["id"].to_pylist() == list(range(total))
    assert table["day"].to_pylist() == [i // 400 for i in range(total)]
    assert [f.split("/")[0] for f in visible(root)] == ["day=0", "day=1", "day=2"]
    assert not [p for p in os.listdir(root) if p.startswith("_fsspeckit-staging")]

    again = fs.compact_parquet_dataset(str(root), target_rows_per_file=10_000)
    assert again.succeeded
    assert [p.phase for p in again.phase_outcomes] == ["write"]  # a no-op, as the original's
    assert again.plan.compaction_groups == ()
    assert {s.reason for s in again.plan.skipped_files} == {"singleton_partition"}


def test_the_dataset_handler_has_the_same_methods(tmp_path):
    root = tmp_path / "ds"
    total = hive_dataset(root, days=1)
    io = PyarrowDatasetIO()
    result = io.compact_parquet_dataset(str(root), target_mb_per_file=64)
    assert result.succeeded and result.files_after == 1
    assert result.plan.target_byte_size == 64 * 2**20
    assert io.read_parquet(str(root))["id"].to_pylist() == list(range(total))
    plan = io.plan_parquet_partition_local_deduplication(str(root), key_columns=["v"])
    assert isinstance(plan, PartitionLocalDeduplicationPlan)
    assert plan.dedup_key_columns == ("v",)
    assert io.execute_maintenance_plan(plan).rows_after == 5


def test_a_dataset_changed_since_the_plan_is_refused_before_any_write(tmp_path):
    root = tmp_path / "ds"
    hive_dataset(root)
    fs = fsspec.filesystem("file")
    plan = fs.plan_parquet_compaction(str(root), target_rows_per_file=10_000)
    pq.write_table(pa.table({"id": [1], "v": ["late"]}), f"{root}/day=0/late.parquet")
    before = visible(root)
    result = fs.execute_maintenance_plan(plan)
    assert not result.succeeded
    assert result.error.startswith("Drift check phase failed: the dataset changed since")
    assert "late.parquet" in result.error
    assert result.phase_outcomes[-1].phase == "drift_check"
    assert visible(root) == before
    assert not [p for p in os.listdir(root) if p.startswith("_fsspeckit-staging")]


def test_bad_input_is_refused_naming_the_argument(tmp_path):
    root = tmp_path / "ds"
    hive_dataset(root, days=1)
    fs = fsspec.filesystem("file")
    with pytest.raises(ValueError, match="Must provide at least one of target_mb_per_file or "
                                         "target_rows_per_file"):
        fs.compact_parquet_dataset(str(root))
    with pytest.raises(ValueError, match="target_rows_per_file must be > 0, got 0"):
        fs.compact_parquet_dataset(str(root), target_rows_per_file=0)
    with pytest.raises(ValueError, match="target_mb_per_file must be > 0"):
        fs.compact_parquet_dataset(str(root), target_mb_per_file=-5)
    with pytest.raises(TypeError, match="target_rows_per_file must be an int or None, got str"):
        fs.compact_parquet_dataset(str(root), target_rows_per_file="10")
    with pytest.raises(ValueError, match="Invalid compression codec: 'foo'"):
        fs.compact_parquet_dataset(str(root), target_rows_per_file=10, compression="foo")
    with pytest.raises(ValueError, match="key_columns names a column the dataset lacks: 'nope'"):
        fs.deduplicate_parquet_dataset(str(root), key_columns=["nope"])
    with pytest.raises(ValueError, match="dedup_order_by names a column the dataset lacks"):
        fs.deduplicate_parquet_dataset(str(root), key_columns="id", dedup_order_by="-nope")
    with pytest.raises(ValueError, match="key_columns cannot be empty"):
        fs.deduplicate_parquet_dataset(str(root), key_columns=[])
    with pytest.raises(ValueError, match="memory_budget_mb must be positive"):
        fs.compact_parquet_dataset(str(root), target_rows_per_file=10, memory_budget_mb=0)
    with pytest.raises(FileNotFoundError if False else OSError, match="does not exist"):
        fs.compact_parquet_dataset(str(tmp_path / "nope"), target_rows_per_file=10)
    (tmp_path / "empty").mkdir()
    with pytest.raises(OSError, match="No Parquet files found under"):
        fs.compact_parquet_dataset(str(tmp_path / "empty"), target_rows_per_file=10)
    with pytest.raises(OSError, match="No Parquet files found under .* in partition_filter"):
        fs.compact_parquet_dataset(str(root), target_rows_per_file=10, partition_filter="day=9")
    (root / "notes.csv").write_text("a,b\n")
    with pytest.raises(ValueError, match="'notes.csv' in the dataset is not a Parquet file"):
        fs.compact_parquet_dataset(str(root), target_rows_per_file=10)
    os.remove(root / "notes.csv")
    assert len(visible(root)) == 4 and not [p for p in os.listdir(root) if p.startswith("_fsspeckit")]


def test_hidden_files_are_not_data_and_partition_filter_takes_whole_folders(tmp_path):
    root = tmp_path / "ds"
    hive_dataset(root, days=2)
    pq.write_table(pa.table({"id": [-1], "v": ["hidden"]}), f"{root}/_old.parquet")
    os.makedirs(root / "day=0-old")
    pq.write_table(pa.table({"id": [-2], "v": ["x"]}), f"{root}/day=0-old/a.parquet")
    pq.write_table(pa.table({"id": [-3], "v": ["y"]}), f"{root}/day=0-old/b.parquet")
    result = fsspec.filesystem("file").compact_parquet_dataset(
        str(root), target_rows_per_file=10_000, partition_filter="day=0")  # a str is one folder
    assert result.succeeded
    assert [g.file_count for g in result.plan.compaction_groups] == [4]
    assert os.path.exists(root / "_old.parquet")
    assert sorted(os.listdir(root / "day=0-old")) == ["a.parquet", "b.parquet"]


def test_deduplication_survivors_are_deterministic(tmp_path):
    root = tmp_path / "ds"
    root.mkdir()
    pq.write_table(pa.table({"k": [1, 2, None, 1], "ts": [10, 20, 30, 11]}), root / "a.parquet")
    pq.write_table(pa.table({"k": [2, None, 3], "ts": [5, 31, 40]}), root / "b.parquet")
    fs = fsspec.filesystem("file")
    plan = fs.plan_parquet_partition_local_deduplication(str(root), key_columns="k")
    result = fs.execute_maintenance_plan(plan)
    assert result.succeeded and (result.rows_before, result.rows_after) == (7, 4)
    # The last row of each key in dataset order (file path, then row); null keys are one key.
    assert read(root).to_pydict() == {"k": [1, 2, None, 3], "ts": [11, 5, 31, 40]}


def test_deduplication_by_order_keeps_the_first_in_it(tmp_path):
    root = tmp_path / "ds"
    root.mkdir()
    pq.write_table(pa.table({"k": [1, 1, 2, 2, 2], "ts": [5, None, 7, 9, 9]}), root / "a.parquet")
    result = fsspec.filesystem("file").deduplicate_parquet_dataset(
        str(root), key_columns=["k"], dedup_order_by="-ts")
    assert result.succeeded
    assert read(root).to_pydict() == {"k": [1, 2], "ts": [5, 9]}  # nulls last, ties: first row
    assert result.plan.dedup_order_by == ("-ts",)


def test_fsspec_memory_filesystem_is_locked_and_others_need_a_declared_single_writer():
    from fsspec.implementations.dirfs import DirFileSystem

    fs = fsspec.filesystem("memory")
    for i in range(3):
        with fs.open(f"/maint-mem/part-{i}.parquet", "wb") as f:
            pq.write_table(pa.table({"id": [i, i + 10]}), f)
    # fsspeckit knows no atomic create for fsspec's dir: wrapper: refused unless declared.
    wrapped = DirFileSystem(path="/", fs=fs)
    refused = wrapped.compact_parquet_dataset("maint-mem", target_rows_per_file=100)
    assert not refused.succeeded  # failures are reported, as the original reports them
    assert refused.error.startswith("Lock phase failed") and "single_writer=True" in refused.error
    # The memory filesystem itself is locked inside the process (it lives there).
    result = fs.compact_parquet_dataset("memory://maint-mem", target_rows_per_file=100)
    assert result.succeeded and result.files_after == 1
    assert result.plan.guarantee_level.value == "best_effort_object_store"
    assert [p for p in fs.ls("/maint-mem", detail=False) if "compacted_" in p]
    fs.rm("/maint-mem", recursive=True)


@pytest.mark.parametrize("client", ["pyarrow", "s3fs"])
def test_compaction_and_dedup_on_s3(s3, s3_endpoint, client):
    arrow_fs, bucket = s3
    for day in range(2):
        for f in range(3):
            with arrow_fs.open_output_stream(f"{bucket}/ds/day={day}/part-{f}.parquet") as out:
                pq.write_table(pa.table({"id": pa.array([day * 10 + f, 99], pa.int64())}), out)
    if client == "pyarrow":
        io = PyarrowDatasetIO(arrow_fs)
        compact, dedup = io.compact_parquet_dataset, io.deduplicate_parquet_dataset
    else:
        import s3fs
        fs = s3fs.S3FileSystem(key="testing", secret="testing",
                               client_kwargs={"endpoint_url": f"http://{s3_endpoint}",
                                              "region_name": "us-east-1"})
        compact, dedup = fs.compact_parquet_dataset, fs.deduplicate_parquet_dataset
    result = compact(f"{bucket}/ds", target_rows_per_file=1000)
    assert result.succeeded, result.error
    assert (result.files_before, result.files_after) == (6, 2)
    result = dedup(f"s3://{bucket}/ds", key_columns="id")
    assert result.succeeded, result.error
    assert result.rows_after == 8  # 99 once per day folder
    table = ds.dataset(f"{bucket}/ds", filesystem=arrow_fs, partitioning="hive").to_table()
    assert sorted(table["id"].to_pylist()) == [0, 1, 2, 10, 11, 12, 99, 99]
    names = [i.path for i in arrow_fs.get_file_info(pa.fs.FileSelector(f"{bucket}/ds", recursive=True))]
    assert not [n for n in names if "_fsspeckit-staging" in n]


def test_the_report_and_metrics(tmp_path):
    root = tmp_path / "ds"
    hive_dataset(root, days=1)
    result = fsspec.filesystem("file").compact_parquet_dataset(str(root), target_rows_per_file=1000)
    assert set(result.metrics["operation_breakdown"]) >= {"lock", "write", "publish"}
    assert result.metrics["tasks"][0]["rows_read"] == 400
    result.write_report(tmp_path / "report.html")
    assert "fsspeckit compaction" in (tmp_path / "report.html").read_text()


def test_ordered_compaction_as_the_original_spells_its_keys(tmp_path):
    from fsspeckit.core.maintenance import OrderedCompactionPlan, OrderedCompactionResult, SortKey

    root = tmp_path / "ds"
    root.mkdir()
    pq.write_table(pa.table({"a": [3, None, 1, 2], "b": [0, 1, 2, 3]}), root / "x.parquet")
    pq.write_table(pa.table({"a": [2, None, 5, 1], "b": [4, 5, 6, 7]}), root / "y.parquet")
    fs = fsspec.filesystem("file")
    plan = fs.plan_parquet_ordered_compaction(str(root), sort_keys=["a"])
    assert isinstance(plan, OrderedCompactionPlan)
    assert plan.sort_keys == (SortKey("a"),) and plan.sort_memory_budget_mb == 1024
    result = fs.execute_maintenance_plan(plan)
    assert isinstance(result, OrderedCompactionResult) and result.succeeded
    assert read(root).to_pydict() == {"a": [1, 1, 2, 2, 3, 5, None, None],
                                      "b": [2, 7, 3, 4, 0, 6, 1, 5]}  # ties: dataset order
    fs.ordered_compact_parquet_dataset(str(root), sort_keys="-a")  # one key, not "-", "a"
    assert read(root)["a"].to_pylist() == [None, None, 5, 3, 2, 2, 1, 1]
    PyarrowDatasetIO().ordered_compact_parquet_dataset(
        str(root), sort_keys=[SortKey("a", descending=True)])
    assert read(root)["a"].to_pylist() == [5, 3, 2, 2, 1, 1, None, None]
    with pytest.raises(ValueError, match="sort_keys must name|lacks: 'nope'"):
        fs.ordered_compact_parquet_dataset(str(root), sort_keys=["nope"])
    with pytest.raises(ValueError, match="sort_keys items must be SortKey instances"):
        fs.ordered_compact_parquet_dataset(str(root), sort_keys=[1])
    with pytest.raises(ValueError, match="duplicate: 'a'"):
        fs.ordered_compact_parquet_dataset(str(root), sort_keys=["a", "-a"])


def test_optimize_deduplicates_with_keys_and_compacts_without(tmp_path):
    from fsspeckit.core.maintenance import CoordinatedOptimizationResult

    root = tmp_path / "ds"
    root.mkdir()
    pq.write_table(pa.table({"k": [1, 2, 1], "v": [10, 20, 30]}), root / "a.parquet")
    pq.write_table(pa.table({"k": [2, 3], "v": [40, 50]}), root / "b.parquet")
    fs = fsspec.filesystem("file")
    with pytest.raises(ValueError, match="Must provide at least one of target_mb_per_file"):
        fs.optimize_parquet_dataset(str(root))
    result = fs.optimize_parquet_dataset(str(root), deduplicate_key_columns="k",
                                         dedup_order_by="-v")
    assert isinstance(result, CoordinatedOptimizationResult) and result.succeeded
    assert result.dedup_phase_executed and result.dedup_rows_removed == 2
    assert read(root).to_pydict() == {"k": [1, 2, 3], "v": [30, 40, 50]}
    assert all("optimized_" in p for p in result.publication.published_files)
    pq.write_table(pa.table({"k": [4], "v": [60]}), root / "c.parquet")
    again = PyarrowDatasetIO().optimize_parquet_dataset(str(root), target_rows_per_file=100)
    assert again.succeeded and not again.dedup_phase_executed and again.dedup_rows_removed is None
    assert again.files_after == 1 and again.rows_after == 4


def test_repartition_keeps_every_value(tmp_path):
    from fsspeckit.core.maintenance import RepartitionPlan, RepartitionResult

    root = tmp_path / "ds"
    for region, ids, cats in (("emea", [1, 2, 3], ["a", "b/c", None]), ("us", [4, 5], ["a", "b/c"])):
        os.makedirs(root / f"region={region}")
        pq.write_table(pa.table({"id": ids, "cat": cats}), root / f"region={region}" / "f.parquet")
    fs = fsspec.filesystem("file")
    plan = fs.plan_parquet_repartition(str(root), partition_columns="cat")
    assert isinstance(plan, RepartitionPlan) and plan.partition_columns == ("cat",)
    assert plan.partition_scope.scope_type.value == "repartition"
    result = fs.execute_maintenance_plan(plan)
    assert isinstance(result, RepartitionResult) and result.succeeded
    assert sorted(os.listdir(root)) == ["cat=__HIVE_DEFAULT_PARTITION__", "cat=a", "cat=b%2Fc"]
    table = read(root).sort_by("id")
    assert table["cat"].to_pylist() == ["a", "b/c", None, "a", "b/c"]
    assert table["region"].to_pylist() == ["emea", "emea", "emea", "us", "us"]  # not lost
    back = PyarrowDatasetIO().repartition_parquet_dataset(str(root), partition_columns=["region"])
    assert back.succeeded and sorted(os.listdir(root)) == ["region=emea", "region=us"]
    with pytest.raises(ValueError, match="partition_columns names a column the dataset lacks"):
        fs.repartition_parquet_dataset(str(root), partition_columns=["nope"])
    with pytest.raises(ValueError, match="Timestamp source 'auto' requires exactly one "
                                         r"timestamp column; candidates: \[\]"):
        fs.repartition_parquet_dataset(str(root), partition_columns=["region", "y"],
                                       derived_partition_columns={"y": ("year", "auto")})


def test_repartition_by_columns_derived_from_a_timestamp(tmp_path):
    """The original's example: naive times are New York wall-clock times."""
    from datetime import datetime

    root = tmp_path / "ds"
    root.mkdir()
    times = [datetime(2024, 12, 31, 23, 30), datetime(2025, 1, 1, 0, 30), None]
    pq.write_table(pa.table({"id": [1, 2, 3], "ts": pa.array(times, pa.timestamp("us"))}),
                   root / "a.parquet")
    fs = fsspec.filesystem("file")
    plan = fs.plan_parquet_repartition(
        str(root), partition_columns=["y", "m"], partition_timezone="America/New_York",
        derived_partition_columns={"y": ("year", "auto"), "m": ("strftime", "ts", "%m")})
    assert plan.derived_partition_keys == (("y", "year", "ts", ""), ("m", "strftime", "ts", "%m"))
    result = fs.execute_maintenance_plan(plan)
    assert result.succeeded, result.error
    assert sorted(os.path.relpath(d, root) for d, _, files in os.walk(root) if files) == [
        "y=2024/m=12", "y=2025/m=01",
        "y=__HIVE_DEFAULT_PARTITION__/m=__HIVE_DEFAULT_PARTITION__"]
    table = read(root).sort_by("id")
    assert table["ts"].to_pylist() == times  # the timestamps stay in the files
    with pytest.raises(ValueError, match="partition_timezone 'Nowhere/Else'"):
        fs.plan_parquet_repartition(str(root), partition_columns=["d"],
                                    partition_timezone="Nowhere/Else",
                                    derived_partition_columns={"d": ("date", "ts")})
    with pytest.raises(ValueError, match=r"derived_partition_columns\['d'\] must be"):
        fs.plan_parquet_repartition(str(root), partition_columns=["d"],
                                    derived_partition_columns={"d": "date"})


def test_deduplicate_and_repartition_over_the_whole_dataset(tmp_path):
    from fsspeckit.core.maintenance import GlobalRepartitionDeduplicationPlan

    root = tmp_path / "ds"
    for region, ids, ts in (("eu", [1, 2, 3], [5, 6, 7]), ("us", [1, 4], [9, 1])):
        os.makedirs(root / f"region={region}")
        pq.write_table(pa.table({"id": ids, "ts": ts, "cat": ["x"] * len(ids)}),
                       root / f"region={region}" / "f.parquet")
    fs = fsspec.filesystem("file")
    plan = fs.plan_parquet_global_repartition_deduplication(
        str(root), partition_columns="cat", key_columns="id", dedup_order_by="ts")
    assert isinstance(plan, GlobalRepartitionDeduplicationPlan)
    result = fs.execute_maintenance_plan(plan)
    assert result.succeeded and (result.rows_before, result.rows_after) == (5, 4)
    table = read(root).sort_by("id")
    assert table["id"].to_pylist() == [1, 2, 3, 4]
    assert table["ts"].to_pylist() == [5, 6, 7, 1]  # id 1: the smallest ts, in eu
    assert table["region"].to_pylist() == ["eu", "eu", "eu", "us"]
    assert os.listdir(root) == ["cat=x"]


def test_schema_rewrite_casts_as_the_policy_says(tmp_path):
    from fsspeckit.core.maintenance import CastPolicy, SchemaRewritePlan, SchemaRewriteResult

    root = tmp_path / "ds"
    root.mkdir()
    for name in ("a", "b"):
        pq.write_table(pa.table({"i": pa.array([1, 300, None], pa.int64()),
                                 "s": ["1", "2", "3"]}), root / f"{name}.parquet")
    fs = fsspec.filesystem("file")
    narrow = pa.schema([("s", pa.string()), ("i", pa.int8())])
    with pytest.raises(ValueError, match="STRICT cast_policy requires value-preserving promotions; "
                                         "field 'i' changes int64"):
        fs.schema_rewrite_parquet_dataset(str(root), target_schema=narrow, cast_policy="strict")
    refused = fs.schema_rewrite_parquet_dataset(str(root), target_schema=narrow)
    assert not refused.succeeded and "300" in refused.error
    with pytest.raises(ValueError, match="Unknown cast_policy: 'bogus'"):
        fs.schema_rewrite_parquet_dataset(str(root), target_schema=narrow, cast_policy="bogus")
    with pytest.raises(ValueError, match="target_schema must be a pyarrow.Schema"):
        fs.schema_rewrite_parquet_dataset(str(root), target_schema={"i": "int8"})
    target = pa.schema([("s", pa.large_string()), ("i", pa.int64())])
    plan = fs.plan_parquet_schema_rewrite(str(root), target_schema=target,
                                          cast_policy=CastPolicy.STRICT)
    assert isinstance(plan, SchemaRewritePlan) and plan.changed_fields == ("s",)
    result = fs.execute_maintenance_plan(plan)
    assert isinstance(result, SchemaRewriteResult) and result.succeeded and result.files_after == 1
    assert read(root).schema == target  # reordered, widened, joined
