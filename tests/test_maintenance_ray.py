"""Dataset maintenance through the Ray executor on the local Ray cluster of the test
session (conftest.ray_cluster): the same datasets as the local executor, one Ray task per
group, a killed worker retried, failures reported with the dataset unchanged, S3."""

import os
import signal
import subprocess
import sys
import textwrap

import fsspec
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from fsspeckit.core.maintenance import MaintenancePlan
from fsspeckit.datasets.pyarrow import PyarrowDatasetIO

ray = pytest.importorskip("ray")  # in requirements-dev.txt: make test always runs these

from fsspeckit.distributed import RayExecutor  # noqa: E402


def hive_dataset(root, days=3, files=4, rows=30, row_group_rows=10):
    """day=<d>/part-<f>.parquet; each file repeats a third of the ids of the one before."""
    for day in range(days):
        os.makedirs(f"{root}/day={day}", exist_ok=True)
        for f in range(files):
            first = day * 1000 + f * 20
            pq.write_table(pa.table({"id": pa.array(range(first, first + rows), pa.int64()),
                                     "v": [f"v{(i * 7) % 5}" for i in range(rows)]}),
                           f"{root}/day={day}/part-{f}.parquet", row_group_size=row_group_rows)


def table_rows(root):
    table = ds.dataset(str(root), format="parquet", partitioning="hive").to_table()
    return sorted(tuple(repr(v) for v in row.values()) for row in table.to_pylist())


def everything(root):
    out = {}
    for folder, _, files in os.walk(root):
        for name in files:
            with open(os.path.join(folder, name), "rb") as f:
                out[os.path.relpath(os.path.join(folder, name), root)] = f.read()
    return out


def hidden(root):
    """Staging folders, journals: what a finished run must not leave behind."""
    return [name for name in os.listdir(root) if name.startswith("_fsspeckit")]


OPERATIONS = {
    "compact": lambda fs, p, **kw: fs.compact_parquet_dataset(p, target_rows_per_file=1000, **kw),
    "dedup": lambda fs, p, **kw: fs.deduplicate_parquet_dataset(
        p, key_columns="id", dedup_order_by="-v", **kw),
    "dedup_repartition": lambda fs, p, **kw: fs.deduplicate_and_repartition_parquet_dataset(
        p, partition_columns="v", key_columns="id", **kw),
}


@pytest.mark.parametrize("operation", sorted(OPERATIONS))
def test_every_operation_gives_through_ray_what_it_gives_locally(ray_cluster, tmp_path,
                                                                 operation):
    fs = fsspec.filesystem("file")
    hive_dataset(tmp_path / "local")
    hive_dataset(tmp_path / "ray")
    local = OPERATIONS[operation](fs, str(tmp_path / "local"))
    calls = []
    remote = OPERATIONS[operation](fs, str(tmp_path / "ray"), executor="ray",
                                   progress_callback=lambda done, total: calls.append(
                                       (done, total)))
    assert local.succeeded and remote.succeeded, remote.error
    assert table_rows(tmp_path / "ray") == table_rows(tmp_path / "local")
    for field in ("files_before", "files_after", "rows_before", "rows_after",
                  "row_groups_copied", "row_groups_encoded"):
        assert getattr(remote, field) == getattr(local, field), field
    assert [p.phase for p in remote.phase_outcomes] == [p.phase for p in local.phase_outcomes]
    tasks = remote.metrics["tasks"]
    assert remote.metrics["executor"] == "ray" and local.metrics["executor"] == "local"
    assert len(tasks) == len(local.metrics["tasks"]) >= 1
    assert all(t["pid"] != os.getpid() and t["node"] for t in tasks)
    assert len(calls) == len(tasks) and calls[-1][0] == calls[-1][1] == remote.rows_before
    assert hidden(tmp_path / "ray") == []


def test_a_worker_killed_mid_group_is_retried_and_the_result_exact(ray_cluster, tmp_path):
    fs = fsspec.filesystem("file")
    hive_dataset(tmp_path / "local")
    hive_dataset(tmp_path / "ray")
    fs.compact_parquet_dataset(str(tmp_path / "local"), target_rows_per_file=1000)
    marker = ray_cluster["marker"]
    marker.unlink()  # armed: the first task to get past a row group kills its worker
    try:
        result = fs.compact_parquet_dataset(str(tmp_path / "ray"), target_rows_per_file=1000,
                                            executor=RayExecutor(max_retries=2))
    finally:
        assert marker.exists(), "no task was killed"
        marker.touch()
    assert result.succeeded, result.error
    assert table_rows(tmp_path / "ray") == table_rows(tmp_path / "local")
    assert hidden(tmp_path / "ray") == []


def corrupt_column(path, column):
    """Overwrites the data pages of `column` in row group 0: the footer stays readable,
    so planning succeeds and the task decoding the file fails."""
    meta = pq.ParquetFile(path).metadata
    names = [meta.schema.column(i).name for i in range(meta.num_columns)]
    chunk = meta.row_group(0).column(names.index(column))
    start = chunk.dictionary_page_offset or chunk.data_page_offset
    with open(path, "r+b") as f:
        f.seek(start)
        f.write(b"\xff" * chunk.total_compressed_size)


def test_a_failing_task_or_a_changed_dataset_is_reported_and_nothing_changes(ray_cluster,
                                                                            tmp_path):
    fs = fsspec.filesystem("file")
    hive_dataset(tmp_path, row_group_rows=30)
    corrupt_column(tmp_path / "day=1" / "part-2.parquet", "v")
    before = everything(tmp_path)
    result = fs.compact_parquet_dataset(str(tmp_path), target_rows_per_file=1000,
                                        executor="ray")
    assert not result.succeeded
    assert result.error.startswith("Write phase failed") and "part-2.parquet" in result.error
    assert everything(tmp_path) == before  # no staging folder, no journal, nothing moved

    os.remove(tmp_path / "day=1" / "part-2.parquet")
    saved = fs.plan_parquet_compaction(str(tmp_path), target_rows_per_file=1000).to_json()
    pq.write_table(pa.table({"id": pa.array([1], pa.int64()), "v": ["late"]}),
                   tmp_path / "day=0" / "late.parquet")
    before = everything(tmp_path)
    refused = fs.execute_maintenance_plan(MaintenancePlan.from_json(saved), executor="ray")
    assert not refused.succeeded and "the dataset changed since" in refused.error
    assert everything(tmp_path) == before


def test_compaction_on_s3_through_ray(ray_cluster, s3):
    fs, bucket = s3
    io = PyarrowDatasetIO(filesystem=fs)
    path = f"{bucket}/events"
    io.write_dataset(pa.table({"id": list(range(60)), "day": [i % 2 for i in range(60)]}), path,
                     max_rows_per_file=10, partition_by=["day"])
    before = sorted(io.read_parquet(path)["id"].to_pylist())
    result = io.compact_parquet_dataset(path, target_rows_per_file=1000,
                                        executor=RayExecutor(max_tasks_in_flight=1))
    assert result.succeeded, result.error
    assert (result.files_before, result.files_after) == (6, 2)
    assert sorted(io.read_parquet(path)["id"].to_pylist()) == before
    assert not [i.path for i in fs.get_file_info(pa.fs.FileSelector(path, recursive=True))
                if "staging" in i.path or "journal" in i.path]


def test_bad_executors_are_refused_before_anything_runs(tmp_path):
    fs = fsspec.filesystem("file")
    hive_dataset(tmp_path)
    plan = fs.plan_parquet_compaction(str(tmp_path), target_rows_per_file=1000)
    before = everything(tmp_path)
    with pytest.raises(ValueError, match="executor must be 'local', 'ray'"):
        fs.execute_maintenance_plan(plan, executor="dask")
    with pytest.raises(TypeError, match="maintain"):
        fs.execute_maintenance_plan(plan, executor=object())
    assert everything(tmp_path) == before
    memory = fsspec.filesystem("memory")
    with memory.open("/ds/a.parquet", "wb") as f:
        pq.write_table(pa.table({"id": [1]}), f)
    with memory.open("/ds/b.parquet", "wb") as f:
        pq.write_table(pa.table({"id": [2]}), f)
    with pytest.raises(ValueError, match="memory filesystem lives in this process only"):
        memory.compact_parquet_dataset("/ds", target_rows_per_file=10, executor="ray")
    assert sorted(memory.ls("/ds", detail=False)) == ["/ds/a.parquet", "/ds/b.parquet"]


DRIVER = textwrap.dedent(r"""
    import os, signal, sys
    import fsspec, fsspeckit, ray
    from fsspeckit.distributed import RayExecutor

    path, address, moment = sys.argv[1:4]
    if moment == "during":  # in the driver: SIGKILL after two moves of the commit
        from fsspeckit import _core
        _core._set_test_hooks(kill_after_moves=2)

    class KilledBeforeCommit(RayExecutor):
        def run_remote(self, *args, **kwargs):
            out = super().run_remote(*args, **kwargs)
            os.kill(os.getpid(), signal.SIGKILL)  # every task done, nothing committed
            return out

    ray.init(address=address, logging_level="ERROR", log_to_driver=False)
    executor = KilledBeforeCommit() if moment == "before" else RayExecutor()
    fsspec.filesystem("file").compact_parquet_dataset(path, target_rows_per_file=1000,
                                                      executor=executor)
    print("done")
""")


@pytest.mark.parametrize("moment", ["before", "during"])
def test_the_driver_killed_before_or_during_the_commit_leaves_old_or_new(ray_cluster, tmp_path,
                                                                         moment):
    hive_dataset(tmp_path / "data")
    old_rows = table_rows(tmp_path / "data")
    old_files = sorted(p for p in everything(tmp_path / "data") if not p.startswith("_"))
    proc = subprocess.run([sys.executable, "-c", DRIVER, str(tmp_path / "data"),
                           ray_cluster["address"], moment], capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-2000:]
    PyarrowDatasetIO().recover(str(tmp_path / "data"))
    assert table_rows(tmp_path / "data") == old_rows  # every row, once, either way
    files = sorted(p for p in everything(tmp_path / "data") if not p.startswith("_"))
    if moment == "before":
        assert files == old_files  # not committed: the old dataset
    else:
        assert len(files) == 3 and all("compacted_" in f for f in files)  # rolled forward
    assert hidden(tmp_path / "data") == []
