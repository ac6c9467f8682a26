"""The merge budget is strict (issue 13 case 11): the Arrow pool's peak during a merge
never passes merge_max_memory_mb; where the merge cannot fit, MemoryError before the
dataset changes.

The peak is measured honestly: each merge runs in a fresh interpreter, whose default
pool's max_memory() is its true high-water mark (every allocation counted, not samples
taken between row groups), and the source is built there below the budget first."""

import hashlib
import json
import subprocess
import sys

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from fsspeckit.datasets.pyarrow import PyarrowDatasetIO

MERGE_IN_A_FRESH_PROCESS = r"""
import json, sys
import pyarrow as pa
import pyarrow.parquet as pq
from fsspeckit.datasets.pyarrow import PyarrowDatasetIO
path, first, rows, payload, batches, budget = sys.argv[1:]
first, rows, payload, batches, budget = map(int, (first, rows, payload, batches, budget))
source = pa.table({"id": pa.array(range(first, first + rows), pa.int64()),
                   "payload": pa.array(["s" * payload] * rows)})
source = pa.Table.from_batches(source.to_batches(max_chunksize=-(-rows // batches)))
pool = pa.default_memory_pool()
out = {"before_peak_bytes": pool.max_memory()}
try:
    result = PyarrowDatasetIO().merge(source, path, "upsert", "id", merge_max_memory_mb=budget)
    out.update(updated=result.updated, inserted=result.inserted)
except MemoryError as e:
    out["memory_error"] = str(e)
out["peak_bytes"] = pool.max_memory()
print(json.dumps(out))
"""


def merge_in_fresh_process(path, first, rows, payload, batches, budget):
    done = subprocess.run([sys.executable, "-c", MERGE_IN_A_FRESH_PROCESS, str(path), str(first),
                           str(rows), str(payload), str(batches), str(budget)],
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def fingerprint(path):
    return sorted((str(p.relative_to(path)), hashlib.sha256(p.read_bytes()).hexdigest())
                  for p in path.rglob("*") if p.is_file() and p.name != "_fsspeckit_merge.lock")


def write_target(path, rows, payload, files):
    PyarrowDatasetIO().write_dataset(
        pa.table({"id": pa.array(range(rows), pa.int64()),
                  "payload": pa.array(["t" * payload] * rows)}), str(path),
        max_rows_per_file=rows // files, row_group_size=rows // files // 2)


@pytest.fixture(scope="module")
def target(tmp_path_factory):
    # 600,000 rows in 3 files of 2 row groups; a 100,000-row upsert, half new.
    path = tmp_path_factory.mktemp("budget") / "ds"
    write_target(path, 600_000, 40, 3)
    return path


@pytest.mark.parametrize("budget_mb", [11, 12, 13, 20, 30])
def test_the_pool_never_passes_the_budget(tmp_path, target, budget_mb):
    import shutil

    path = tmp_path / "ds"
    shutil.copytree(target, path)
    before = fingerprint(path)
    out = merge_in_fresh_process(path, 550_000, 100_000, 40, 1, budget_mb)
    assert out["before_peak_bytes"] < budget_mb * 2**20  # the source alone fits
    assert out["peak_bytes"] <= budget_mb * 2**20, out
    if "memory_error" in out:
        assert "merge_max_memory_mb" in out["memory_error"]
        assert fingerprint(path) == before
    else:
        assert (out["updated"], out["inserted"]) == (50_000, 50_000)
        # Row groups read in slices under a tight budget are joined again, never written
        # slice by slice: the rewritten files keep groups of 100,000 rows or more.
        for file in path.glob("*.parquet"):
            metadata = pq.ParquetFile(file).metadata
            if metadata.num_rows == 200_000:
                groups = [metadata.row_group(g).num_rows for g in range(metadata.num_row_groups)]
                assert min(groups) >= 100_000, (budget_mb, file.name, groups)
    if budget_mb == 30:
        # Room enough (about 25 MiB measured): the merge must not be refused.
        assert "memory_error" not in out, out


@pytest.mark.parametrize("batches", [1, 8])
def test_a_source_of_half_the_budget_merges_within_it(tmp_path, batches):
    # The source (29 MiB, as the caller's table in `batches` batches) is never copied
    # whole: held twice it would fill the 64 MiB budget before any file was read.
    n = 200_000
    PyarrowDatasetIO().write_dataset(pa.table({"id": pa.array(range(n), pa.int64()),
                                               "payload": pa.array(["t" * 140] * n)}),
                                     str(tmp_path), max_rows_per_file=50_000)
    out = merge_in_fresh_process(tmp_path, n // 2, n, 140, batches, 64)
    assert "memory_error" not in out, out
    assert (out["updated"], out["inserted"]) == (n // 2, n // 2)
    assert out["peak_bytes"] <= 64 * 2**20, out
    got = PyarrowDatasetIO().read_parquet(str(tmp_path)).sort_by("id")
    assert got.num_rows == n + n // 2
    assert got.column("payload").to_pylist()[n // 2 - 1:n // 2 + 1] == ["t" * 140, "s" * 140]
