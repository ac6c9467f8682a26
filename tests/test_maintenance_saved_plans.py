"""Maintenance plans that outlive the process that made them: to_json/from_json (and
to_dict/from_dict, and pickle) give back the plan the plan_* method returned; executing
one later, in another process, works while the dataset is as planned and is refused,
with nothing written, once it changed."""

import os
import pickle
import subprocess
import sys
import textwrap

import fsspec
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from fsspeckit.core.maintenance import MaintenancePlan, SortKey


def hive_dataset(root, days=2, files=3, rows=40):
    """day=<d>/part-<f>.parquet; each file repeats half the ids of the one before it."""
    for day in range(days):
        os.makedirs(f"{root}/day={day}", exist_ok=True)
        for f in range(files):
            first = day * 1000 + f * rows // 2
            pq.write_table(pa.table({"id": pa.array(range(first, first + rows), pa.int64()),
                                     "v": [f"v{i % 5}" for i in range(rows)]}),
                           f"{root}/day={day}/part-{f}.parquet")


def rows(root):
    table = ds.dataset(str(root), format="parquet", partitioning="hive").to_table()
    return sorted(zip(table["day"].to_pylist(), table["id"].to_pylist(), table["v"].to_pylist()))


def everything(root):
    """Every file below root (staging, journal and lock files included) with its bytes."""
    out = {}
    for folder, _, files in os.walk(root):
        for name in files:
            path = os.path.join(folder, name)
            with open(path, "rb") as f:
                out[os.path.relpath(path, root)] = f.read()
    return out


PLANS = {
    "compaction": lambda fs, p: fs.plan_parquet_compaction(p, target_rows_per_file=1000),
    "dedup": lambda fs, p: fs.plan_parquet_partition_local_deduplication(
        p, key_columns="id", dedup_order_by=["-v"], compression="zstd"),
    "ordered": lambda fs, p: fs.plan_parquet_ordered_compaction(
        p, sort_keys=[SortKey("v", descending=True), "id"], memory_budget_mb=64,
        spill_directory="/tmp/x"),
    "repartition": lambda fs, p: fs.plan_parquet_repartition(p, partition_columns="v"),
    "schema": lambda fs, p: fs.plan_parquet_schema_rewrite(
        p, target_schema=pa.schema([("id", pa.int64()), ("v", pa.large_string())]),
        cast_policy="strict"),
}


@pytest.mark.parametrize("kind", sorted(PLANS))
def test_a_saved_plan_comes_back_as_it_was_and_executes_as_the_original(tmp_path, kind):
    fs = fsspec.filesystem("file")
    hive_dataset(tmp_path / "a")
    hive_dataset(tmp_path / "b")
    plan = PLANS[kind](fs, str(tmp_path / "a"))
    text = plan.to_json()
    back = MaintenancePlan.from_json(text)
    assert type(back) is type(plan)
    assert back == plan  # every dataclass field, the snapshot's captured_at included
    assert back.to_json() == text
    assert pickle.loads(pickle.dumps(plan)) == plan

    direct = fs.execute_maintenance_plan(plan)
    # The same plan for b, saved and read back, does what the direct plan did to a.
    saved = MaintenancePlan.from_json(PLANS[kind](fs, str(tmp_path / "b")).to_json())
    later = fs.execute_maintenance_plan(saved)
    assert direct.succeeded and later.succeeded, later.error
    assert (later.files_after, later.rows_after) == (direct.files_after, direct.rows_after)
    a, b = (ds.dataset(str(tmp_path / n), format="parquet", partitioning="hive").to_table()
            for n in "ab")
    assert sorted(b.to_pylist(), key=repr) == sorted(a.to_pylist(), key=repr)


def test_a_plan_saved_by_one_process_is_executed_by_another(tmp_path):
    root = tmp_path / "ds"
    hive_dataset(root)
    before = rows(root)
    plan = fsspec.filesystem("file").plan_parquet_compaction(str(root), target_rows_per_file=1000)
    (tmp_path / "plan.json").write_text(plan.to_json())
    script = textwrap.dedent(f"""
        import fsspec
        from fsspeckit.core.maintenance import MaintenancePlan
        plan = MaintenancePlan.from_json(open({str(tmp_path / "plan.json")!r}).read())
        result = fsspec.filesystem("file").execute_maintenance_plan(plan)
        assert result.succeeded, result.error
        print(result.files_before, result.files_after)
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["6", "2"]
    assert rows(root) == before


CHANGES = {
    "a file appended": lambda root: pq.write_table(
        pa.table({"id": pa.array([7], pa.int64()), "v": ["new"]}), f"{root}/day=1/late.parquet"),
    "a file rewritten": lambda root: pq.write_table(
        pa.table({"id": pa.array([1, 2], pa.int64()), "v": ["x", "y"]}),
        f"{root}/day=0/part-1.parquet"),
    "a file removed": lambda root: os.remove(f"{root}/day=0/part-2.parquet"),
    "a file touched": lambda root: os.utime(f"{root}/day=1/part-0.parquet",
                                            ns=(1, 1_000_000_000)),
}


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_a_saved_plan_is_refused_once_the_dataset_changed(tmp_path, change):
    root = tmp_path / "ds"
    hive_dataset(root)
    fs = fsspec.filesystem("file")
    text = fs.plan_parquet_partition_local_deduplication(str(root), key_columns="id").to_json()
    CHANGES[change](root)
    before = everything(root)
    result = fs.execute_maintenance_plan(MaintenancePlan.from_json(text))
    assert not result.succeeded
    assert "the dataset changed since" in result.error, result.error
    assert result.publication is None  # refused before any write
    assert everything(root) == before  # nothing written, no staging folder left


def test_a_saved_plan_executed_twice_is_refused_the_second_time(tmp_path):
    root = tmp_path / "ds"
    hive_dataset(root)
    fs = fsspec.filesystem("file")
    text = fs.plan_parquet_compaction(str(root), target_rows_per_file=1000).to_json()
    assert fs.execute_maintenance_plan(MaintenancePlan.from_json(text)).succeeded
    after = everything(root)
    again = fs.execute_maintenance_plan(MaintenancePlan.from_json(text))
    assert not again.succeeded
    assert everything(root) == after


def test_what_is_not_a_saved_plan_is_refused_naming_the_fix(tmp_path):
    hive_dataset(tmp_path)
    data = fsspec.filesystem("file").plan_parquet_compaction(
        str(tmp_path), target_rows_per_file=1000).to_dict()
    with pytest.raises(ValueError, match="not JSON"):
        MaintenancePlan.from_json("{not json")
    with pytest.raises(ValueError, match="plan again"):
        MaintenancePlan.from_dict({"format": "something else"})
    with pytest.raises(ValueError, match="version 99.*plan again"):
        MaintenancePlan.from_dict(dict(data, version=99))
    with pytest.raises(ValueError, match=r"it lacks durable\); plan again"):
        MaintenancePlan.from_dict({k: v for k, v in data.items() if k != "durable"})
    with pytest.raises(ValueError, match="base64"):
        MaintenancePlan.from_dict(dict(data, plan="%%%"))
    damaged = bytearray(__import__("base64").b64decode(data["plan"]))
    damaged[-3] ^= 0xFF
    damaged = damaged[:-1]
    with pytest.raises(ValueError, match="damaged maintenance plan"):
        MaintenancePlan.from_dict(dict(data, plan=__import__("base64").b64encode(
            bytes(damaged)).decode()))
