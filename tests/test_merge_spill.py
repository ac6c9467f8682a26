"""A source larger than half the merge's budget is spilled (issue 20): split by a hash
of its key under the staging folder, matched pass by pass.
Tasks read the rows the passes wrote for them. The merge stays exact (the last row of a key wins, across batches and parts), within
its budget, and leaves nothing behind."""
import os
import shutil
import subprocess
import sys
import time

import numpy as np
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.fs  # noqa: F401  (pa.fs)
import pytest

from fsspeckit.datasets.pyarrow import PyarrowDatasetIO
from kill_points import kill_at_moments

BUDGET_MB = 16
ROWS_PER_BATCH = 20_000


def name(tag, key, start):
    """A source row's name: long enough that the strings (in the Arrow pool, unlike the
    numeric columns, which numpy holds) make the source more than half the budget."""
    return f"{tag}-{key}-{start}-" + "x" * 24


def source_batches(ids, tag, region=None, rows_per_batch=ROWS_PER_BATCH):
    """Batches made one at a time, as a stream's producer would: never all in memory."""
    for start in range(0, len(ids), rows_per_batch):
        chunk = ids[start:start + rows_per_batch]
        columns = {"id": pa.array(chunk, pa.int64()),
                   "name": pa.array([name(tag, i, start) for i in chunk]),
                   "value": pa.array(np.full(len(chunk), start, dtype=np.float64))}
        if region is not None:
            columns["region"] = pa.array([region(i) for i in chunk])
        yield pa.RecordBatch.from_pydict(columns)


def stream(ids, tag, region=None):
    first = next(source_batches(ids[:1], tag, region))
    return pa.RecordBatchReader.from_batches(first.schema, source_batches(ids, tag, region))


def expected(target_ids, ids, tag):
    """id -> name after an upsert of `ids` (the last occurrence wins) into `target_ids`."""
    rows = {int(i): f"old-{i}" for i in target_ids}
    for start in range(0, len(ids), ROWS_PER_BATCH):
        for i in ids[start:start + ROWS_PER_BATCH]:
            rows[int(i)] = name(tag, i, start)
    return rows


def read(path, columns=("id", "name")):
    table = ds.dataset(str(path), format="parquet", partitioning="hive").to_table()
    return table.select(list(columns))


def write_target(path, ids, partition_by=None, region=None):
    columns = {"id": pa.array(ids, pa.int64()), "name": [f"old-{i}" for i in ids],
               "value": pa.array(np.zeros(len(ids)))}
    if region is not None:
        columns["region"] = [region(i) for i in ids]
    PyarrowDatasetIO().write_dataset(pa.table(columns), str(path), partition_by=partition_by,
                                     max_rows_per_file=100_000, row_group_size=20_000)


def staging_left(path):
    return [name for name in os.listdir(path) if name.startswith("_fsspeckit")]


def test_a_stream_over_half_the_budget_spills_and_merges_exactly(tmp_path):
    target_ids = np.arange(0, 400_000, 2)
    write_target(tmp_path, target_ids)
    rng = np.random.default_rng(7)
    ids = np.concatenate([rng.choice(target_ids, 120_000, replace=False),
                          np.arange(1, 240_001, 2)])  # updates, then new odd keys
    rng.shuffle(ids)
    ids = np.concatenate([ids, ids[:30_000]])  # keys again in later batches: the last wins
    result = PyarrowDatasetIO().merge(stream(ids, "new"), str(tmp_path), "upsert", "id",
                                      merge_max_memory_mb=BUDGET_MB)
    spill = result.metrics["spill"]
    assert spill["parts"] >= 2 and spill["passes"] >= 2 and spill["bytes"] > 0
    # Parts are key ranges: a pass's statistics rule out the file of the other range
    # (by hash, every pass would read both files' keys).
    assert spill["files_scanned"] <= spill["passes"] + 1
    want = expected(target_ids, ids, "new")
    got = read(tmp_path)
    assert got.num_rows == len(want)
    assert dict(zip(got["id"].to_pylist(), got["name"].to_pylist())) == want
    assert (result.updated, result.inserted) == (120_000, 120_000)
    assert result.source_count == 240_000
    assert result.metrics["memory_peak_mb"] <= BUDGET_MB  # the Arrow pool
    assert staging_left(tmp_path) == []


def test_a_spilled_merge_into_hive_partitions_checks_every_pass(tmp_path):
    region = lambda i: "eu" if i % 3 else "us"  # noqa: E731
    target_ids = np.arange(0, 300_000)
    write_target(tmp_path, target_ids, partition_by="region", region=region)
    ids = np.arange(150_000, 450_000)
    result = PyarrowDatasetIO().merge(stream(ids, "new", region), str(tmp_path), "upsert", "id",
                                      merge_max_memory_mb=BUDGET_MB)
    assert result.metrics["spill"]["passes"] >= 2
    assert result.metrics["memory_peak_mb"] <= BUDGET_MB
    got = read(tmp_path, ("id", "name", "region")).sort_by("id")
    want = expected(target_ids, ids, "new")
    assert dict(zip(got["id"].to_pylist(), got["name"].to_pylist())) == want
    assert all(r == region(i) for i, r in zip(got["id"].to_pylist(), got["region"].to_pylist()))
    names_before = got["name"].to_pylist()
    del got  # the pool is the process's: what the test holds counts against the budget
    # A key that changes its partition is refused in whichever pass finds it; nothing changes.
    moved = lambda i: "us" if i == 299_999 else region(i)  # noqa: E731
    with pytest.raises(ValueError, match="partition column values cannot change"):
        PyarrowDatasetIO().merge(stream(np.arange(0, 300_000), "again", moved), str(tmp_path),
                                 "upsert", "id", merge_max_memory_mb=BUDGET_MB)
    assert read(tmp_path, ("id", "name")).sort_by("id")["name"].to_pylist() == names_before
    assert staging_left(tmp_path) == []


def test_a_spilled_update_and_insert_keep_their_strategies(tmp_path):
    target_ids = np.arange(0, 200_000)
    write_target(tmp_path, target_ids)
    ids = np.arange(100_000, 400_000)
    updated = PyarrowDatasetIO().merge(stream(ids, "u"), str(tmp_path), "update", "id",
                                       merge_max_memory_mb=BUDGET_MB)
    assert (updated.updated, updated.inserted) == (100_000, 0)
    assert updated.metrics["spill"]["parts"] > 0
    assert read(tmp_path).num_rows == 200_000
    inserted = PyarrowDatasetIO().merge(stream(ids, "i"), str(tmp_path), "insert", "id",
                                        merge_max_memory_mb=BUDGET_MB)
    assert (inserted.updated, inserted.inserted) == (0, 200_000)
    names = dict(zip(*[c.to_pylist() for c in read(tmp_path).columns]))
    assert len(names) == 400_000
    assert names[150_000].startswith("u-") and names[300_000].startswith("i-")
    assert staging_left(tmp_path) == []


def test_a_spilled_merge_runs_its_tasks_on_ray_with_the_same_result(ray_cluster, tmp_path):
    target_ids = np.arange(0, 300_000, 2)
    ids = np.concatenate([np.arange(0, 200_000, 2), np.arange(300_001, 700_001, 2)])
    for name in ("local", "ray"):
        write_target(tmp_path / name, target_ids)
    local = PyarrowDatasetIO().merge(stream(ids, "new"), str(tmp_path / "local"), "upsert", "id",
                                     merge_max_memory_mb=BUDGET_MB)
    on_ray = PyarrowDatasetIO().merge(stream(ids, "new"), str(tmp_path / "ray"), "upsert", "id",
                                      merge_max_memory_mb=BUDGET_MB, executor="ray")
    assert on_ray.metrics["spill"]["parts"] > 0 and on_ray.metrics["executor"] == "ray"
    assert (on_ray.updated, on_ray.inserted) == (local.updated, local.inserted) == (100_000, 200_000)
    assert read(tmp_path / "ray").sort_by("id").equals(read(tmp_path / "local").sort_by("id"))
    assert staging_left(tmp_path / "ray") == []


CHILD = r"""
import sys
sys.path.insert(0, sys.argv[2])
import numpy as np
from test_merge_spill import stream, BUDGET_MB
from fsspeckit.datasets.pyarrow import PyarrowDatasetIO
ids = np.concatenate([np.arange(0, 300_000, 3), np.arange(300_000, 400_000)])
print("ready", flush=True)
PyarrowDatasetIO().merge(stream(ids, "new"), sys.argv[1], "upsert", "id",
                         merge_max_memory_mb=BUDGET_MB)
print("done", flush=True)
"""


def test_sigkill_at_any_moment_of_a_spilled_merge_leaves_old_or_new(tmp_path):
    pristine = tmp_path / "pristine"
    write_target(pristine, np.arange(0, 300_000))
    finished = tmp_path / "finished"
    shutil.copytree(pristine, finished)
    tests = os.path.dirname(__file__)
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(finished), tests],
                             stdout=subprocess.PIPE, text=True)
    assert child.stdout.readline().strip() == "ready"
    start = time.perf_counter()  # the merge alone, start-up excluded
    assert child.wait() == 0
    duration = time.perf_counter() - start
    old, new = sorted_names(pristine), sorted_names(finished)
    assert old != new
    outcomes = kill_at_moments(
        CHILD, pristine, tmp_path, [tests], duration, 6, sorted_names, [old, new],
        lambda work: [p for p in staging_left(work) if p != "_fsspeckit_merge.lock"])
    assert outcomes[0] > 0  # the kills landed during the merge


def sorted_names(path):
    table = read(path).sort_by("id")
    return table["name"].to_pylist()


def test_a_parquet_path_or_dataset_as_source_is_read_once_and_spilled(tmp_path):
    import pyarrow.parquet as pq
    target_ids = np.arange(0, 300_000, 2)
    ids = np.concatenate([np.arange(0, 300_000, 2), np.arange(300_001, 600_001, 2)])
    source_dir = tmp_path / "changes"
    source_dir.mkdir()
    for start in range(0, len(ids), 50_000):  # a folder of files, as a CDC job leaves them
        part = next(source_batches(ids[start:start + 50_000], f"p{start}", rows_per_batch=50_000))
        pq.write_table(pa.Table.from_batches([part]), source_dir / f"{start:07d}.parquet",
                       row_group_size=10_000)
    want = expected(target_ids, [], "x")
    for start in range(0, len(ids), 50_000):
        for i in ids[start:start + 50_000]:
            want[int(i)] = name(f"p{start}", i, 0)
    for kind, source in (("path", str(source_dir)), ("dataset", ds.dataset(str(source_dir)))):
        write_target(tmp_path / kind, target_ids)
        # 24 MiB: a rewrite holds all the rows replacing its file's keys (75,000 here).
        result = PyarrowDatasetIO().merge(source, str(tmp_path / kind), "upsert", "id",
                                          merge_max_memory_mb=24)
        assert result.metrics["spill"]["parts"] > 0, kind
        assert result.metrics["memory_peak_mb"] <= 24, kind
        got = read(tmp_path / kind)
        assert dict(zip(got["id"].to_pylist(), got["name"].to_pylist())) == want, kind
        del got  # the pool is the process's: a table the caller holds counts
    with pytest.raises(OSError, match="nowhere"):
        PyarrowDatasetIO().merge(str(tmp_path / "nowhere"), str(tmp_path / "path"), "upsert", "id")


FULL_DISK = r"""
import resource, signal, sys
sys.path.insert(0, sys.argv[2])
import numpy as np
from test_merge_spill import stream, BUDGET_MB
from fsspeckit.datasets.pyarrow import PyarrowDatasetIO
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails (EFBIG)
resource.setrlimit(resource.RLIMIT_FSIZE, (1 << 20, 1 << 20))  # as a disk that fills
try:
    PyarrowDatasetIO().merge(stream(np.arange(0, 400_000), "new"), sys.argv[1], "upsert", "id",
                             merge_max_memory_mb=BUDGET_MB)
except OSError as error:
    print("OSError:", error)
"""


def test_a_spill_that_cannot_be_written_fails_cleanly_and_changes_nothing(tmp_path):
    write_target(tmp_path, np.arange(0, 200_000))
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    out = subprocess.run([sys.executable, "-c", FULL_DISK, str(tmp_path), os.path.dirname(__file__)],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "OSError:" in out.stdout and "_fsspeckit-staging" in out.stdout, out.stdout
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


def test_spilled_new_rows_stream_into_full_files_within_the_budget(tmp_path):
    # 300,000 new rows at 16 MiB: one insert task reads them a batch at a time, so the
    # files are as full as max_rows_per_file allows, not one per budget's worth of rows.
    result = PyarrowDatasetIO().merge(stream(np.arange(0, 300_000), "n"), str(tmp_path / "new"),
                                      "upsert", "id", merge_max_memory_mb=BUDGET_MB,
                                      max_rows_per_file=200_000)
    assert result.metrics["spill"]["parts"] > 0 and result.inserted == 300_000
    assert result.metrics["memory_peak_mb"] <= BUDGET_MB
    assert len(result.inserted_files) == 2
    assert sorted(read(tmp_path / "new")["id"].to_pylist()) == list(range(300_000))


def test_a_file_whose_replacing_rows_exceed_the_budget_is_rewritten_row_group_by_row_group(tmp_path):
    # Every key of one 400,000-row file updated: its replacing rows (about 20 MiB) are more
    # than the 16 MiB budget, so its rewrite loads them one row group's worth at a time.
    ids = np.arange(0, 400_000)
    PyarrowDatasetIO().write_dataset(
        pa.table({"id": pa.array(ids, pa.int64()), "name": [f"old-{i}" for i in ids],
                  "value": pa.array(np.zeros(len(ids)))}),
        str(tmp_path), max_rows_per_file=400_000, row_group_size=20_000)
    result = PyarrowDatasetIO().merge(stream(ids[::-1].copy(), "new"), str(tmp_path), "upsert",
                                      "id", merge_max_memory_mb=BUDGET_MB)
    assert result.metrics["spill"]["parts"] > 0 and result.updated == 400_000
    assert result.metrics["memory_peak_mb"] <= BUDGET_MB
    got = read(tmp_path)
    assert dict(zip(got["id"].to_pylist(), got["name"].to_pylist())) == expected([], ids[::-1], "new")


def test_a_spilled_merge_on_s3_behind_latency_and_throttling_is_exact(s3_proxy):
    # Parts, pass files and per-row-group reads all go through the store: 5 ms a request
    # and 5% of them answered 503 SlowDown (retried), with nothing left in the bucket.
    # 48 MiB: a rewrite on S3 holds its file's upload and ranged reads (about 35 MiB for
    # these 50,000-row files, spilled or not).
    proxy, bucket = s3_proxy
    fs = proxy.pyarrow_fs()
    io = PyarrowDatasetIO(filesystem=fs)
    path = f"{bucket}/spilled"
    target_ids = np.arange(0, 200_000, 2)
    io.write_dataset(pa.table({"id": pa.array(target_ids, pa.int64()),
                               "name": [f"old-{i}" for i in target_ids],
                               "value": pa.array(np.zeros(len(target_ids)))}),
                     path, max_rows_per_file=50_000, row_group_size=10_000)
    ids = np.concatenate([np.arange(0, 200_000, 4), np.arange(200_001, 1_400_001, 2)])
    proxy.configure(latency_ms=5, fail_rate=0.05, seed=11)
    result = io.merge(stream(ids, "new"), path, "upsert", "id", merge_max_memory_mb=48)
    proxy.configure()
    assert result.metrics["spill"]["parts"] > 0
    assert result.metrics["memory_peak_mb"] <= 48
    assert (result.updated, result.inserted) == (50_000, 600_000)
    got = io.read_parquet(path)
    assert dict(zip(got["id"].to_pylist(), got["name"].to_pylist())) == expected(target_ids, ids, "new")
    assert not [i.path for i in fs.get_file_info(pa.fs.FileSelector(path, recursive=True))
                if "staging" in i.path or "journal" in i.path]
