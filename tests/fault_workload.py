"""Merges and writes against an S3 that throttles (tests/s3_proxy.py), each checked
against an oracle: shared by tests/test_object_store_faults.py and
bench/bench_object_store.py.

Every operation either succeeds, and the dataset is then exactly the oracle's new state,
or fails, and the dataset is then (after `recover`, which a later operation would also
run) exactly the old or the new state: never a lost or a duplicated row.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.fs as pafs

from merge_oracle import expected_rows, sorted_rows

COLUMNS = ["id", "region", "value"]


@dataclass
class FaultRunReport:
    operations: int = 0
    succeeded: int = 0
    failures: list[str] = field(default_factory=list)  # "operation: error"
    recovered: int = 0          # failed operations a recover completed (rolled forward)
    seconds: float = 0.0
    requests: dict = field(default_factory=dict)
    failed_requests: dict = field(default_factory=dict)

    @property
    def success_rate(self) -> float:
        return self.succeeded / self.operations if self.operations else 1.0


def _table(rows):
    return pa.table({"id": pa.array([r["id"] for r in rows], pa.int64()),
                     "region": pa.array([r["region"] for r in rows], pa.string()),
                     "value": pa.array([r["value"] for r in rows], pa.int64())})


def _rows(table):
    return [dict(zip(COLUMNS, values)) for values in
            zip(*(table[c].to_pylist() for c in COLUMNS))]


def filesystem_for(proxy, client: str):
    """The filesystem a user would pass: pyarrow's S3FileSystem or s3fs."""
    if client == "pyarrow":
        return proxy.pyarrow_fs()
    if client == "s3fs":
        return proxy.s3fs(skip_instance_cache=True)
    raise ValueError(f"client must be 'pyarrow' or 's3fs', got {client!r}")


def run(proxy, bucket: str, client: str, *, operations: int, fail_rate: float, seed: int,
        initial_rows: int = 2000, files: int = 8, latency_ms: float = 0.0,
        fail_status: int = 503, io_factory=None) -> FaultRunReport:
    """`operations` upserts and appends on a fresh hive-partitioned dataset through
    `client`, with `fail_rate` of the proxy's requests answered `fail_status` (503
    SlowDown; s3_proxy.RESET drops the connection instead)."""
    from fsspeckit.datasets.pyarrow import PyarrowDatasetIO

    rng = random.Random(seed)
    fs = filesystem_for(proxy, client)
    io = io_factory(fs) if io_factory else PyarrowDatasetIO(fs)
    checker = PyarrowDatasetIO(proxy.pyarrow_fs())  # reads with faults off
    path = f"{bucket}/faults-{client}-{seed}"

    def region(i):
        return "eu" if i % 2 else "us"

    state = [{"id": i, "region": region(i), "value": 0} for i in range(initial_rows)]
    io.write_dataset(_table(state), path, partition_by="region",
                     max_rows_per_file=max(1, initial_rows // files))
    next_id = initial_rows
    report = FaultRunReport()
    started = time.monotonic()
    for n in range(operations):
        if n % 3 == 2:  # an append of new rows
            kind = "write"
            source = [{"id": next_id + i, "region": region(next_id + i), "value": n}
                      for i in range(50)]
            next_id += 50
            new_state = sorted_rows(state + source, COLUMNS)
            call = lambda: io.write_dataset(_table(source), path, partition_by="region",
                                            mode="append")
        else:  # an upsert: some existing keys, some new ones
            kind = "merge"
            ids = rng.sample(range(next_id), 40) + list(range(next_id, next_id + 10))
            next_id += 10
            source = [{"id": i, "region": region(i), "value": n} for i in ids]
            new_state = expected_rows(state, source, ["id"], "upsert", COLUMNS)
            call = lambda: io.merge(_table(source), path, "upsert", "id")
        report.operations += 1
        proxy.configure(fail_rate=fail_rate, seed=seed * 1000 + n, latency_ms=latency_ms,
                        fail_status=fail_status)
        proxy.reset()
        try:
            call()
            report.succeeded += 1
            failed = None
        except Exception as error:  # noqa: BLE001 - every failure is reported
            failed = f"{kind}: {type(error).__name__}: {error}"
            report.failures.append(failed)
        counts = proxy.counts()
        for name, key in (("requests", "requests"), ("failed", "failed_requests")):
            total = getattr(report, key)
            for k, v in counts[name].items():
                total[k] = total.get(k, 0) + v
        proxy.configure()  # check with faults off
        if failed:
            if checker.recover(path):
                report.recovered += 1
        got = sorted_rows(_rows(checker.read_parquet(path)), COLUMNS)
        old = sorted_rows(state, COLUMNS)
        if failed is None and got != new_state:
            raise AssertionError(f"operation {n} ({kind}) succeeded but the dataset is not "
                                 f"its result: {len(got)} rows, expected {len(new_state)}")
        if failed and got not in (old, new_state):
            raise AssertionError(f"operation {n} failed ({failed}) and left neither the old "
                                 f"nor the new dataset: {len(got)} rows")
        ids = [row[0] for row in got]
        assert len(ids) == len(set(ids)), f"operation {n}: duplicated keys"
        state = [dict(zip(COLUMNS, row)) for row in got]
        listed = checker.filesystem.get_file_info(pafs.FileSelector(path, recursive=True))
        leftovers = [i.path for i in listed if "_fsspeckit" in i.path]
        assert not leftovers, f"operation {n}: left {leftovers}"
    report.seconds = time.monotonic() - started
    return report
