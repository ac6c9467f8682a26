"""The `fsspeckit` command as an operator runs it."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

FSSPECKIT = shutil.which("fsspeckit", path=os.path.dirname(sys.executable))
REPO = Path(__file__).resolve().parent.parent


def run(*args, timeout=60):
    return subprocess.run([FSSPECKIT, *args], capture_output=True, text=True, timeout=timeout)


def test_console_script_is_installed():
    assert FSSPECKIT is not None


def test_status_report():
    result = run("status", "--max-pyarrow", "1GiB")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "fsspeckit memory status: NORMAL"
    text = result.stdout
    for label in ["Arrow pool", "Process RSS", "System available", "MemAvailable"]:
        assert label in text
    assert "of 1.00 GiB budget" in text


def test_status_watch_prints_a_line_per_sample():
    result = run("status", "--watch", "0.05", "--count", "3")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 3
    assert all(" pool " in line and "NORMAL" in line for line in lines)


def test_python_dash_m_works_too():
    result = subprocess.run([sys.executable, "-m", "fsspeckit", "status"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "fsspeckit memory status:" in result.stdout


@pytest.mark.parametrize("args, message", [
    ((), "usage: fsspeckit"),
    (("nope",), "unknown command 'nope'"),
    (("status", "--max-pyarrow", "lots"), "not a size: 'lots'"),
    (("status", "--watch", "0"), "--watch takes a positive number of seconds"),
    (("status", "--max-pyarrow", "0"), "--max-memory must be positive"),
])
def test_bad_usage_exits_2_with_a_reason(args, message):
    result = run(*args)
    assert result.returncode == 2
    assert message in result.stderr


def test_native_binary_runs_without_python():
    """The C++ CLI from the same build links no libpython and runs with an empty env."""
    binary = REPO / "build" / "py" / "cpp" / "src" / "cli" / "fsspeckit"
    if not binary.exists():
        pytest.fail(f"{binary} missing: build with `make install` first")
    needed = subprocess.run(["readelf", "-d", str(binary)], capture_output=True, text=True).stdout
    assert "libarrow.so" in needed
    assert "libpython" not in needed
    result = subprocess.run([str(binary), "status"], capture_output=True, text=True,
                            env={}, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "fsspeckit memory status:" in result.stdout


def test_merge_and_recover_take_the_commit_flags(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    source, target = tmp_path / "source.parquet", tmp_path / "target"
    pq.write_table(pa.table({"id": pa.array([1, 2], pa.int64())}), source)
    result = run("merge", str(source), str(target), "--key", "id", "--quiet", "--no-durable",
                 "--single-writer")
    assert result.returncode == 0, result.stderr
    assert "inserted          2 rows" in result.stdout
    result = run("recover", str(target), "--single-writer")
    assert result.returncode == 0, result.stderr
    assert "nothing to recover" in result.stdout


def test_recover_of_a_missing_path_fails_and_creates_nothing(tmp_path):
    result = run("recover", str(tmp_path / "typo" / "x"))
    assert result.returncode == 1
    assert "does not exist" in result.stderr
    assert not (tmp_path / "typo").exists()



def test_merge_of_a_source_folder_larger_than_the_budget_spills(tmp_path):
    import numpy as np
    import pyarrow as pa
    import pyarrow.dataset as ds
    import pyarrow.parquet as pq

    target, changes = tmp_path / "target", tmp_path / "changes"
    ids = np.arange(0, 600_000)
    target.mkdir()
    for start in range(0, 600_000, 200_000):  # files of 100,000 rows
        pq.write_table(pa.table({"id": ids[start:start + 200_000:2], "name": ["old"] * 100_000}),
                       target / f"t{start}.parquet", row_group_size=20_000)
    changes.mkdir()
    for start in range(0, 600_000, 100_000):  # every key: half of them updates
        chunk = ids[start:start + 100_000]
        pq.write_table(pa.table({"id": chunk, "name": [f"new-{i}" for i in chunk]}),
                       changes / f"{start:07d}.parquet", row_group_size=20_000)
    result = run("merge", str(changes), str(target), "--key", "id", "--max-memory", "16",
                 "--quiet")
    assert result.returncode == 0, result.stderr
    assert "source spilled" in result.stdout and "inserted          300,000 rows" in result.stdout
    table = ds.dataset(str(target)).to_table()
    assert sorted(table["id"].to_pylist()) == list(range(600_000))
    assert set(table["name"].to_pylist()) == {f"new-{i}" for i in range(600_000)}
