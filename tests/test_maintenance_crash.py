"""SIGKILL a compacting process: afterwards (recover) the dataset is exactly the old files
or exactly the compacted ones, never both and never neither (rows lost or doubled)."""

import collections
import os
import shutil
import signal
import subprocess
import sys
import time

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from fsspeckit.datasets.pyarrow import PyarrowDatasetIO

POINTS = int(os.environ.get("FSSPECKIT_CRASH_POINTS", "6"))

CHILD = r"""
import sys, fsspec, fsspeckit
from fsspeckit import _core
path = sys.argv[1]
if len(sys.argv) > 2:  # SIGKILL after that many of the commit's moves
    _core._set_test_hooks(kill_after_moves=int(sys.argv[2]))
print("ready", flush=True)
result = fsspec.filesystem("file").compact_parquet_dataset(path, target_rows_per_file=100_000)
print("done" if result.succeeded else result.error, flush=True)
"""


def state(path):
    """(multiset of rows, the data files' names)."""
    table = ds.dataset(str(path), format="parquet", partitioning="hive").to_table()
    rows = collections.Counter(zip(table["id"].to_pylist(), table["day"].to_pylist()))
    files = sorted(str(p.relative_to(path)) for p in path.rglob("*.parquet")
                   if not any(part.startswith(("_", ".")) for part in p.relative_to(path).parts))
    return rows, files


@pytest.fixture(scope="module")
def pristine(tmp_path_factory):
    root = tmp_path_factory.mktemp("maint-crash")
    path = root / "pristine"
    n = 0
    for day in range(4):
        os.makedirs(path / f"day={day}")
        for f in range(25):
            pq.write_table(pa.table({"id": pa.array(range(n, n + 400), pa.int64())}),
                           path / f"day={day}" / f"part-{f:02d}.parquet")
            n += 400
    finished = root / "finished"
    shutil.copytree(path, finished)
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(finished)],
                             stdout=subprocess.PIPE, text=True)
    assert child.stdout.readline().strip() == "ready"
    start = time.perf_counter()  # the compaction alone, as the kills are timed from "ready"
    assert child.stdout.readline().strip() == "done"
    duration = time.perf_counter() - start
    assert child.wait() == 0
    old_rows, old_files = state(path)
    new_rows, new_files = state(finished)
    assert old_rows == new_rows and len(old_files) == 100 and len(new_files) == 4
    return path, old_rows, old_files, duration


def test_sigkill_between_the_moves_of_the_commit_rolls_forward(pristine, tmp_path):
    path, rows, old_files, _ = pristine
    for moves_done in (0, 1, 3):
        work = tmp_path / f"commit{moves_done}"
        shutil.copytree(path, work)
        child = subprocess.run([sys.executable, "-c", CHILD, str(work), str(moves_done)],
                               capture_output=True, text=True)
        assert child.returncode == -signal.SIGKILL
        assert (work / "_fsspeckit_merge_journal").exists()  # committed, not applied
        assert PyarrowDatasetIO().recover(str(work)) is True
        now_rows, now_files = state(work)
        assert now_rows == rows
        assert len(now_files) == 4 and all("compacted_" in f for f in now_files)


def test_sigkill_at_any_moment_leaves_old_or_new(pristine, tmp_path):
    path, rows, old_files, duration = pristine
    outcomes = collections.Counter()
    for point in range(POINTS):
        work = tmp_path / f"run{point}"
        shutil.copytree(path, work)
        child = subprocess.Popen([sys.executable, "-c", CHILD, str(work)],
                                 stdout=subprocess.PIPE, text=True)
        assert child.stdout.readline().strip() == "ready"
        time.sleep(duration * 1.2 * point / max(POINTS - 1, 1))
        child.send_signal(signal.SIGKILL)
        child.wait()
        PyarrowDatasetIO().recover(str(work))
        now_rows, now_files = state(work)
        assert now_rows == rows, f"kill point {point}: rows lost or doubled"
        assert now_files == old_files or (len(now_files) == 4 and
                                          all("compacted_" in f for f in now_files)), now_files
        outcomes["old" if now_files == old_files else "new"] += 1
        assert not [p for p in os.listdir(work) if p.startswith("_fsspeckit-staging")]
        shutil.rmtree(work)
    assert outcomes["old"] > 0
    print(f"crash outcomes over {POINTS} kill points: {dict(outcomes)}")


OPERATION_CHILD = r"""
import sys, fsspec, fsspeckit
from fsspeckit import _core
path, operation = sys.argv[1], sys.argv[2]
_core._set_test_hooks(kill_after_moves=1)
fs = fsspec.filesystem("file")
if operation == "dedup":
    fs.deduplicate_parquet_dataset(path, key_columns="id")
elif operation == "sort":
    fs.ordered_compact_parquet_dataset(path, sort_keys="-id", target_rows_per_file=100_000)
else:
    fs.repartition_parquet_dataset(path, partition_columns="bucket")
"""


@pytest.mark.parametrize("operation", ["dedup", "sort", "repartition"])
def test_every_operation_killed_mid_commit_rolls_forward(tmp_path, operation):
    """The same journal for every operation: killed after its first move, recover
    completes it, and the rows are the operation's result, no more and no fewer."""
    path = tmp_path / "ds"
    for day in range(3):
        os.makedirs(path / f"day={day}")
        for f in range(4):
            ids = pa.array(range(f * 100, f * 100 + 150), pa.int64())  # 50 ids repeat
            pq.write_table(pa.table({"id": ids, "bucket": pa.array([i % 3 for i in range(150)])}),
                           path / f"day={day}" / f"part-{f}.parquet")
    child = subprocess.run([sys.executable, "-c", OPERATION_CHILD, str(path), operation],
                           capture_output=True, text=True)
    assert child.returncode == -signal.SIGKILL, child.stderr
    assert (path / "_fsspeckit_merge_journal").exists()
    assert PyarrowDatasetIO().recover(str(path)) is True
    table = ds.dataset(str(path), format="parquet", partitioning="hive").to_table()
    expected = {"dedup": 3 * 450, "sort": 3 * 600, "repartition": 3 * 600}[operation]
    assert table.num_rows == expected
    if operation == "dedup":
        assert len(set(zip(table["id"].to_pylist(), table["day"].to_pylist()))) == expected
    assert not [p for p in os.listdir(path) if p.startswith("_fsspeckit-staging")]
