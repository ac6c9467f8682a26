"""Merges through the Ray executor on a local Ray cluster (one per test session): the
same results as the local executor, retries after a killed worker, clean failures,
driver crashes, S3, and a two-node cluster on this machine."""

import os
import random
import signal
import subprocess
import sys
import textwrap
import zlib

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from fsspeckit.datasets.pyarrow import PyarrowDatasetIO

ray = pytest.importorskip("ray")  # in requirements-dev.txt: make test always runs these

from fsspeckit.distributed import RayExecutor  # noqa: E402


def table_rows(path):
    table = ds.dataset(str(path), format="parquet", partitioning="hive").to_table()
    columns = sorted(table.column_names)
    return sorted(tuple(repr(v) for v in row) for row in
                  zip(*(table[c].to_pylist() for c in columns)))


def staging_left(path):
    return [p for p in os.listdir(path) if p.startswith("_fsspeckit-staging")
            or p == "_fsspeckit_merge_journal"]


KEY_KINDS = {
    "int": (["id"], lambda i: {"id": i}),
    "string": (["id"], lambda i: {"id": f"k{i:04d}"}),
    "composite": (["id", "sub"], lambda i: {"id": i // 3, "sub": f"s{i % 3}"}),
    "null": (["id"], lambda i: {"id": None if i == 7 else i}),
}


def make_case(rng, base, key_kind, partitioned):
    keys, key_of = KEY_KINDS[key_kind]
    target = [dict(key_of(i), value=float(i), part=i % 3, name="t")
              for i in rng.sample(range(120), 60)]
    source = [dict(key_of(i), value=-float(i), part=i % 3, name="s")
              for i in (rng.randrange(140) for _ in range(30))]
    io = PyarrowDatasetIO()
    for path in (base / "local", base / "ray"):
        io.write_dataset(pa.Table.from_pylist(target), str(path), max_rows_per_file=12,
                         row_group_size=4, partition_by=["part"] if partitioned else None)
    return keys, pa.Table.from_pylist(source)


@pytest.mark.parametrize("strategy,key_kind,partitioned", [
    ("upsert", "int", False), ("update", "string", False), ("insert", "composite", False),
    ("upsert", "null", False), ("upsert", "int", True), ("upsert", "composite", True),
])
def test_random_merges_are_identical_through_local_and_ray(ray_cluster, tmp_path, strategy,
                                                             key_kind, partitioned):
    # Not hash(): string hashes change per process, and a failure must be reproducible.
    rng = random.Random(zlib.crc32(f"{strategy}-{key_kind}-{partitioned}".encode()))
    keys, source = make_case(rng, tmp_path, key_kind, partitioned)
    if partitioned:
        source = source.drop_columns(["part"]).append_column(
            "part", pa.array([0] * source.num_rows))  # inserts go to one partition
        source = source.filter(pa.compute.invert(pa.compute.is_in(
            source["id"], pa.array([r["id"] for r in ds.dataset(
                str(tmp_path / "local"), partitioning="hive").to_table().to_pylist()
                if r["part"] != 0]))))
    io = PyarrowDatasetIO()
    options = dict(partition_columns=["part"] if partitioned else None,
                   max_rows_per_file=9, row_group_size=3)
    local = io.merge(source, str(tmp_path / "local"), strategy, keys, **options)
    remote = io.merge(source, str(tmp_path / "ray"), strategy, keys, executor="ray", **options)
    assert table_rows(tmp_path / "ray") == table_rows(tmp_path / "local")
    for field in ("source_count", "target_count_before", "target_count_after", "inserted",
                  "updated"):
        assert getattr(remote, field) == getattr(local, field), field
    assert len(remote.rewritten_files) == len(local.rewritten_files)
    assert remote.metrics["executor"] == "ray" and local.metrics["executor"] == "local"
    tasks = remote.metrics["tasks"]
    assert len(tasks) == len(local.metrics["tasks"])
    assert sum(t["kind"] == "rewrite" for t in tasks) == len(
        {t["file"] for t in tasks if t["kind"] == "rewrite"})
    assert all(t["pid"] != os.getpid() and t["node"] for t in tasks)
    assert staging_left(tmp_path / "ray") == []


def corrupt_column(path, column):
    """Overwrites the data pages of `column` in row group 0: footers and other columns
    stay readable, so planning (key columns) succeeds and the rewrite task fails."""
    meta = pq.ParquetFile(path).metadata
    names = [meta.schema.column(i).name for i in range(meta.num_columns)]
    chunk = meta.row_group(0).column(names.index(column))
    start = chunk.dictionary_page_offset or chunk.data_page_offset
    with open(path, "r+b") as f:
        f.seek(start)
        f.write(b"\xff" * chunk.total_compressed_size)


def test_an_error_inside_a_task_fails_cleanly(ray_cluster, tmp_path):
    io = PyarrowDatasetIO()
    target = pa.table({"id": list(range(40)), "name": [f"n{i}" for i in range(40)]})
    io.write_dataset(target, str(tmp_path), max_rows_per_file=10, compression=None)
    bad = sorted(p for p in os.listdir(tmp_path) if p.endswith(".parquet"))[0]
    corrupt_column(tmp_path / bad, "name")
    before = {p: (tmp_path / p).read_bytes() for p in os.listdir(tmp_path)}
    source = pa.table({"id": [1, 15, 100], "name": ["a", "b", "c"]})
    with pytest.raises(Exception) as raised:
        io.merge(source, str(tmp_path), "upsert", "id", executor="ray")
    assert bad in str(raised.value)  # the task's error names the file
    after = {p: (tmp_path / p).read_bytes() for p in os.listdir(tmp_path)}
    assert after == before  # nothing changed, no staging folder or journal left


def test_a_worker_killed_mid_rewrite_is_retried_and_the_result_exact(ray_cluster, tmp_path):
    io = PyarrowDatasetIO()
    io.write_dataset(pa.table({"id": list(range(60)), "name": ["old"] * 60}),
                     str(tmp_path / "local"), max_rows_per_file=20, row_group_size=5)
    io.write_dataset(pa.table({"id": list(range(60)), "name": ["old"] * 60}),
                     str(tmp_path / "ray"), max_rows_per_file=20, row_group_size=5)
    source = pa.table({"id": [3, 25, 47, 70], "name": ["new"] * 4})
    io.merge(source, str(tmp_path / "local"), "upsert", "id")
    marker = ray_cluster["marker"]
    marker.unlink()  # armed: the first rewrite to get past a row group kills its worker
    try:
        result = io.merge(source, str(tmp_path / "ray"), "upsert", "id",
                          executor=RayExecutor(max_retries=2))
    finally:
        assert marker.exists(), "no task was killed"
        marker.touch()
    assert table_rows(tmp_path / "ray") == table_rows(tmp_path / "local")
    assert (result.updated, result.inserted) == (3, 1)
    assert staging_left(tmp_path / "ray") == []


def test_merge_on_s3_through_ray(ray_cluster, s3):
    fs, bucket = s3
    io = PyarrowDatasetIO(filesystem=fs)
    path = f"{bucket}/orders"
    io.write_dataset(pa.table({"id": list(range(30)), "name": ["old"] * 30}), path,
                     max_rows_per_file=10)
    calls = []
    result = io.merge(pa.table({"id": [5, 25, 31], "name": ["new"] * 3}), path, "upsert", "id",
                      executor=RayExecutor(max_tasks_in_flight=1),
                      max_rows_per_file=10,  # the files are full: the new key is an insert task
                      merge_progress_callback=lambda done, total: calls.append((done, total)))
    assert (result.updated, result.inserted, len(result.rewritten_files)) == (2, 1, 2)
    assert calls == [(10, 21), (20, 21), (21, 21)]  # per finished task: two rewrites, the insert
    got = io.read_parquet(path)
    assert sorted(got.filter(pa.compute.equal(got["name"], "new"))["id"].to_pylist()) == [5, 25, 31]
    assert not [i.path for i in fs.get_file_info(pa.fs.FileSelector(path))
                if "staging" in i.path or "journal" in i.path]


DRIVER = textwrap.dedent(r"""
    import os, signal, sys
    import pyarrow as pa, ray
    from fsspeckit.datasets.pyarrow import PyarrowDatasetIO
    from fsspeckit.distributed import RayExecutor

    path, address, moment = sys.argv[1:4]
    if moment == "during":  # in the driver: SIGKILL after two renames of the commit
        from fsspeckit import _core
        _core._set_test_hooks(kill_after_moves=2)

    class KilledBeforeCommit(RayExecutor):
        def _run(self, *args, **kwargs):
            out = super()._run(*args, **kwargs)
            os.kill(os.getpid(), signal.SIGKILL)  # every task done, nothing committed
            return out

    ray.init(address=address, logging_level="ERROR", log_to_driver=False)
    executor = KilledBeforeCommit() if moment == "before" else RayExecutor()
    ids = list(range(0, 90, 3)) + [200, 201]
    # Files full (max_rows_per_file): a task and a move per file, the commit has moves to die in.
    PyarrowDatasetIO().merge(pa.table({"id": ids, "name": ["new"] * len(ids)}), path,
                             "upsert", "id", executor=executor, max_rows_per_file=15)
    print("done")
""")


@pytest.mark.parametrize("moment", ["before", "during"])
def test_the_driver_killed_before_or_during_the_commit_leaves_old_or_new(ray_cluster, tmp_path,
                                                                         moment):
    io = PyarrowDatasetIO()
    old = pa.table({"id": list(range(90)), "name": ["old"] * 90})
    io.write_dataset(old, str(tmp_path / "data"), max_rows_per_file=15)
    old_rows = table_rows(tmp_path / "data")
    proc = subprocess.run([sys.executable, "-c", DRIVER, str(tmp_path / "data"),
                           ray_cluster["address"], moment], capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-2000:]
    io.recover(str(tmp_path / "data"))
    got = table_rows(tmp_path / "data")
    ids = list(range(0, 90, 3)) + [200, 201]
    new = [{"id": i, "name": "new" if i in ids else "old"} for i in range(90)]
    new += [{"id": 200, "name": "new"}, {"id": 201, "name": "new"}]
    new_rows = sorted(tuple(repr(r[c]) for c in ("id", "name")) for r in new)
    assert got == (old_rows if moment == "before" else new_rows)
    assert staging_left(tmp_path / "data") == []


TWO_NODES = textwrap.dedent(r"""
    import json, sys
    import pyarrow as pa, ray
    from ray.cluster_utils import Cluster
    from fsspeckit.datasets.pyarrow import PyarrowDatasetIO
    from fsspeckit.distributed import RayExecutor

    base = sys.argv[1]
    cluster = Cluster(initialize_head=True,
                      head_node_args={"num_cpus": 1, "include_dashboard": False})
    second = cluster.add_node(num_cpus=1)
    ray.init(address=cluster.address, logging_level="ERROR", log_to_driver=False)
    cluster.wait_for_nodes()

    def warm():  # a worker up on every node, so placement is not decided by start-up times
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy
        ping = ray.remote(num_cpus=1)(lambda: None)
        ray.get([ping.options(scheduling_strategy=NodeAffinitySchedulingStrategy(
            node["NodeID"], soft=False)).remote() for node in ray.nodes() if node["Alive"]])

    warm()
    io = PyarrowDatasetIO()
    ids = list(range(0, 400, 7)) + [1000, 1001]
    source = pa.table({"id": ids, "name": ["new"] * len(ids)})
    out = {}
    for case in ("both", "removed"):
        path = f"{base}/{case}"
        io.write_dataset(pa.table({"id": list(range(400)), "name": ["old"] * 400}), path,
                         max_rows_per_file=25, row_group_size=5)
        progress = None
        if case == "removed":
            third = cluster.add_node(num_cpus=1)
            cluster.wait_for_nodes()
            warm()
            def progress(done, total, node=[third]):
                if node:  # the first task is done, others are in flight: lose a node
                    cluster.remove_node(node.pop())
        try:
            result = io.merge(source, path, "upsert", "id", merge_progress_callback=progress,
                              executor=RayExecutor(max_retries=3),
                              max_rows_per_file=25)  # files full: a task per file
            out[case] = {"nodes": len({t["node"] for t in result.metrics["tasks"]}),
                         "tasks": len(result.metrics["tasks"]), "error": None}
        except Exception as error:
            out[case] = {"error": repr(error)}
    print(json.dumps(out))
    ray.shutdown()
    cluster.shutdown()
""")


def test_a_two_node_cluster_uses_both_nodes_and_survives_losing_one(tmp_path):
    proc = subprocess.run([sys.executable, "-c", TWO_NODES, str(tmp_path)], capture_output=True,
                          text=True, timeout=400)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = __import__("json").loads(proc.stdout.strip().splitlines()[-1])
    assert out["both"]["error"] is None and out["both"]["nodes"] == 2, out
    ids = set(range(0, 400, 7)) | {1000, 1001}
    exact = sorted((repr(i), repr("new" if i in ids else "old"))
                   for i in sorted(set(range(400)) | ids))
    old = sorted((repr(i), repr("old")) for i in range(400))
    assert table_rows(tmp_path / "both") == exact
    # Losing a node mid-merge: its tasks are retried elsewhere (exact), or the merge
    # fails with the dataset unchanged (clean); never a mix.
    removed = table_rows(tmp_path / "removed")
    assert removed == (exact if out["removed"]["error"] is None else old), out
    assert staging_left(tmp_path / "removed") == [] and staging_left(tmp_path / "both") == []


def test_bad_executor_options_are_refused_and_the_dataset_unchanged(ray_cluster, tmp_path):
    with pytest.raises(ValueError, match="max_tasks_in_flight must be >= 1"):
        RayExecutor(max_tasks_in_flight=0)
    io = PyarrowDatasetIO()
    io.write_dataset(pa.table({"id": [1, 2], "name": ["a", "b"]}), str(tmp_path))
    before = sorted(os.listdir(tmp_path))
    with pytest.raises(ValueError, match="the largest node offers"):
        io.merge(pa.table({"id": [2], "name": ["c"]}), str(tmp_path), "upsert", "id",
                 executor=RayExecutor(task_memory_mb=1 << 30))  # a petabyte per task
    assert sorted(os.listdir(tmp_path)) == before
