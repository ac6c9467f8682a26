"""Maintenance under a budget ten times smaller than the dataset: the Arrow pools' peak
(their max_memory() in a fresh interpreter: every allocation counted; the operation pool's
jemalloc and the default pool, summed, so at least the true peak) stays within
memory_budget_mb, and the result is right. Deduplication spills its keys by hash; sorting
spills sorted runs and merges them."""

import json
import subprocess
import sys

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

RUN_IN_A_FRESH_PROCESS = r"""
import json, sys
import fsspec, fsspeckit
import pyarrow as pa
operation, path, budget = sys.argv[1], sys.argv[2], int(sys.argv[3])
fs = fsspec.filesystem("file")

def peak_bytes():
    peak = pa.default_memory_pool().max_memory()
    try:
        jemalloc = pa.jemalloc_memory_pool()
    except NotImplementedError:  # a libarrow without it: operations use the default pool
        return peak
    return peak + jemalloc.max_memory()
if operation == "compact":
    result = fs.compact_parquet_dataset(path, target_rows_per_file=1_000_000, memory_budget_mb=budget)
elif operation == "sort":
    result = fs.ordered_compact_parquet_dataset(path, sort_keys=["-id"], target_rows_per_file=1_000_000,
                                                memory_budget_mb=budget)
else:
    result = fs.deduplicate_parquet_dataset(path, key_columns="id", memory_budget_mb=budget)
print(json.dumps({"succeeded": result.succeeded, "error": result.error,
                  "rows_after": result.rows_after, "files_after": result.files_after,
                  "spill_buckets": [t["spill_buckets"] for t in result.metrics.get("tasks", [])],
                  "peak_bytes": peak_bytes()}))
"""

BUDGET_MB = 8
ROWS_PER_FILE = 100_000
FILES = 20


def run(operation, path):
    done = subprocess.run([sys.executable, "-c", RUN_IN_A_FRESH_PROCESS, operation, str(path),
                           str(BUDGET_MB)], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture
def dataset(tmp_path):
    """2M rows (ids repeat every 500k), 40-byte strings: about 100 MB decoded, twelve times
    the budget; row groups of 20k rows, so every row is decoded and joined."""
    path = tmp_path / "ds"
    path.mkdir()
    payload = pa.array(["p" * 40] * ROWS_PER_FILE)
    for f in range(FILES):
        first = (f * ROWS_PER_FILE) % 500_000
        table = pa.table({"id": pa.array(range(first, first + ROWS_PER_FILE), pa.int64()),
                          "payload": payload})
        pq.write_table(table, path / f"part-{f:02d}.parquet", row_group_size=20_000)
    decoded = FILES * ROWS_PER_FILE * (8 + 4 + 40)
    assert decoded >= 10 * BUDGET_MB * 2**20
    return path


def test_compaction_stays_within_a_budget_ten_times_smaller(dataset):
    out = run("compact", dataset)
    assert out["succeeded"], out["error"]
    assert out["peak_bytes"] <= BUDGET_MB * 2**20, out
    assert out["files_after"] == 2 and out["rows_after"] == FILES * ROWS_PER_FILE
    assert ds.dataset(str(dataset)).count_rows() == FILES * ROWS_PER_FILE


def test_deduplication_spills_its_keys_and_stays_within_the_budget(dataset):
    out = run("dedup", dataset)
    assert out["succeeded"], out["error"]
    assert out["peak_bytes"] <= BUDGET_MB * 2**20, out
    assert out["spill_buckets"][0] > 1
    assert out["rows_after"] == 500_000
    ids = ds.dataset(str(dataset)).to_table(columns=["id"])["id"]
    assert len(ids) == 500_000 and len(set(ids.to_pylist())) == 500_000


def test_sorting_spills_runs_and_stays_within_the_budget(dataset):
    out = run("sort", dataset)
    assert out["succeeded"], out["error"]
    assert out["peak_bytes"] <= BUDGET_MB * 2**20, out
    assert out["spill_buckets"][0] > 2  # sorted runs merged
    ids = ds.dataset(str(dataset)).to_table(columns=["id"])["id"].to_pylist()
    assert len(ids) == FILES * ROWS_PER_FILE and ids == sorted(ids, reverse=True)
