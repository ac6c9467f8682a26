"""SIGKILL a merging process at many moments: afterwards the dataset is exactly the old
or exactly the new state, never a mix. FSSPECKIT_CRASH_POINTS sets how many moments
(make test: 12; make soak: 200)."""

import os
import shutil
import signal
import subprocess
import sys
import time

import pyarrow as pa
import pyarrow.dataset as ds
import pytest

from fsspeckit.datasets.pyarrow import PyarrowDatasetIO
from kill_points import kill_at_moments

POINTS = int(os.environ.get("FSSPECKIT_CRASH_POINTS", "12"))

CHILD = r"""
import sys, pyarrow as pa
from fsspeckit import _core
from fsspeckit.datasets.pyarrow import PyarrowDatasetIO
path = sys.argv[1]
if len(sys.argv) > 2:  # a crash point: SIGKILL after that many of the commit's moves
    _core._set_test_hooks(kill_after_moves=int(sys.argv[2]))
ids = list(range(0, 40_000, 3)) + list(range(40_000, 45_000))
source = pa.table({"id": pa.array(ids, pa.int64()), "name": ["new"] * len(ids),
                   "value": [1.0] * len(ids)})
print("ready", flush=True)
PyarrowDatasetIO().merge(source, path, "upsert", "id", max_rows_per_file=2_000,
                         row_group_size=500)
print("done", flush=True)
"""


def rows(path):
    table = ds.dataset(str(path), format="parquet").to_table()
    return sorted(zip(table["id"].to_pylist(), table["name"].to_pylist()))


@pytest.fixture(scope="module")
def pristine(tmp_path_factory):
    root = tmp_path_factory.mktemp("crash")
    path = root / "pristine"
    table = pa.table({"id": pa.array(range(40_000), pa.int64()), "name": ["old"] * 40_000,
                      "value": [0.0] * 40_000})
    PyarrowDatasetIO().write_dataset(table, str(path), max_rows_per_file=2_000,
                                     row_group_size=500)
    finished = root / "finished"
    shutil.copytree(path, finished)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", CHILD, str(finished)], check=True,
                   stdout=subprocess.DEVNULL)
    return path, rows(path), rows(finished), time.perf_counter() - start


def test_sigkill_at_any_moment_leaves_old_or_new(pristine, tmp_path):
    path, old, new, duration = pristine
    assert old != new
    outcomes = kill_at_moments(
        CHILD, path, tmp_path, [], duration, POINTS, rows, [old, new],
        lambda work: [p.name for p in work.iterdir()
                      if p.name.startswith("_fsspeckit") and p.name != "_fsspeckit_merge.lock"])
    outcomes = {"old": outcomes[0], "new": outcomes[1]}
    assert outcomes["old"] > 0  # the kills did land during merges
    print(f"crash outcomes over {POINTS} kill points: {outcomes}")


def killed_mid_commit(pristine_path, work, moves_done):
    """A copy of the dataset whose merge was SIGKILLed after `moves_done` commit moves."""
    shutil.copytree(pristine_path, work)
    child = subprocess.run([sys.executable, "-c", CHILD, str(work), str(moves_done)],
                           stdout=subprocess.PIPE, text=True)
    assert child.returncode == -signal.SIGKILL
    assert (work / "_fsspeckit_merge_journal").exists()  # committed, not applied
    return work


def test_sigkill_between_the_moves_of_a_commit_rolls_forward(pristine, tmp_path):
    """Deterministic: the process dies after k of the commit's moves (a test hook)."""
    path, old, new, _ = pristine
    for moves_done in (0, 1, 7, 19):
        work = killed_mid_commit(path, tmp_path / f"commit{moves_done}", moves_done)
        assert PyarrowDatasetIO().recover(str(work)) is True
        assert rows(work) == new
        assert PyarrowDatasetIO().recover(str(work)) is False  # nothing left to do


def test_a_later_merge_recovers_an_interrupted_one(pristine, tmp_path):
    path, old, new, duration = pristine
    work = tmp_path / "later"
    shutil.copytree(path, work)
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(work)],
                             stdout=subprocess.PIPE, text=True)
    assert child.stdout.readline().strip() == "ready"
    time.sleep(duration * 0.3)
    child.send_signal(signal.SIGKILL)
    child.wait()
    # No explicit recover: the next merge finds the stale lock and the leftovers itself.
    one = pa.table({"id": pa.array([0], pa.int64()), "name": ["again"], "value": [2.0]})
    PyarrowDatasetIO().merge(one, str(work), "update", "id")
    state = dict(rows(work))
    assert state[0] == "again"
    assert len(state) in (len(old), len(new))


def test_staged_files_are_invisible_to_readers_while_a_merge_runs(pristine, tmp_path):
    """Kill after the journal is written: staged files exist but no reader lists them."""
    path, old, new, _ = pristine
    work = killed_mid_commit(path, tmp_path / "visible", 0)
    staged = [p for p in work.rglob("*") if p.is_file() and "_fsspeckit-staging-" in str(p)]
    assert staged and not any(p.name.endswith(".parquet") for p in staged)
    assert rows(work) == old  # pyarrow: the journal's moves have not happened yet
    import glob
    assert not [p for p in glob.glob(f"{work}/**/*.parquet", recursive=True) if "_fsspeckit" in p]


def test_an_overwrite_after_an_interrupted_commit_is_final(pristine, tmp_path):
    """The interrupted merge is completed before the overwrite, never replayed after it."""
    path, _, _, _ = pristine
    work = killed_mid_commit(path, tmp_path / "overwrite", 1)
    io = PyarrowDatasetIO()
    io.write_dataset(pa.table({"id": pa.array([7], pa.int64()), "name": ["only"],
                               "value": [0.0]}), str(work), mode="overwrite")
    assert rows(work) == [(7, "only")]
    assert io.recover(str(work)) is False
    assert rows(work) == [(7, "only")]


def test_a_second_concurrent_merge_is_refused(tmp_path):
    import fcntl

    io = PyarrowDatasetIO()
    io.write_dataset(pa.table({"id": [1, 2]}), str(tmp_path))
    with open(tmp_path / "_fsspeckit_merge.lock", "w") as held:  # as a running merge holds it
        fcntl.flock(held, fcntl.LOCK_EX)
        with pytest.raises(OSError, match="another merge is running on this dataset"):
            io.merge(pa.table({"id": [3]}), str(tmp_path), "insert", "id")
    assert sorted(ds.dataset(str(tmp_path)).to_table()["id"].to_pylist()) == [1, 2]
    io.merge(pa.table({"id": [3]}), str(tmp_path), "insert", "id")  # released: it runs
    assert sorted(ds.dataset(str(tmp_path)).to_table()["id"].to_pylist()) == [1, 2, 3]
