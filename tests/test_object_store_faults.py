"""An S3 that throttles (tests/s3_proxy.py answers a share of requests 503 SlowDown):
merges and writes are retried through it and never lose or duplicate a row; permanent
answers fail at once with their cause; retries are configurable.

The longer run is `make bench-faults` (bench/bench_object_store.py)."""

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import fsspeckit
import fault_workload
from fsspeckit.datasets.pyarrow import PyarrowDatasetIO


@pytest.fixture
def retries():
    """Restores the process's retry options after the test."""
    saved = fsspeckit.configure_retries()
    yield
    fsspeckit.configure_retries(**saved)


@pytest.mark.parametrize("client", ["pyarrow", "s3fs"])
def test_merges_and_writes_succeed_at_5_percent_throttling_and_match_the_oracle(
        s3_proxy, client):
    proxy, bucket = s3_proxy
    report = fault_workload.run(proxy, bucket, client, operations=6, fail_rate=0.05, seed=5,
                                initial_rows=600, files=4)
    print(f"{client}: {report.succeeded}/{report.operations} in {report.seconds:.1f} s, "
          f"requests {report.requests}, failed {report.failed_requests}")
    assert sum(report.failed_requests.values()) > 0, "no fault was injected"
    # fault_workload.run checked every operation against the oracle (and recover after a
    # failure); here: all of them succeeded.
    assert report.failures == []


def test_dropped_connections_are_retried(s3_proxy):
    from s3_proxy import RESET

    proxy, bucket = s3_proxy
    report = fault_workload.run(proxy, bucket, "pyarrow", operations=3, fail_rate=0.05,
                                seed=9, initial_rows=300, files=2, fail_status=RESET)
    assert sum(report.failed_requests.values()) > 0, "no connection was dropped"
    assert report.failures == []


def test_a_permanent_error_fails_at_once_with_its_cause(s3_proxy):
    proxy, bucket = s3_proxy
    fs = proxy.pyarrow_fs()
    pq.write_table(pa.table({"id": [1, 2]}), f"{bucket}/t.parquet", filesystem=fs)
    proxy.configure(fail_rate=1.0, fail_status=403)
    proxy.reset()
    with pytest.raises(OSError, match="ACCESS_DENIED|AccessDenied|403"):
        PyarrowDatasetIO(fs).read_parquet(f"{bucket}/t.parquet")
    counts = proxy.counts()
    assert sum(counts["requests"].values()) == 1, counts["requests"]  # never retried


def test_retries_are_configurable(s3_proxy, retries):
    proxy, bucket = s3_proxy
    fs = proxy.pyarrow_fs()
    pq.write_table(pa.table({"id": [1, 2]}), f"{bucket}/t.parquet", filesystem=fs)
    io = PyarrowDatasetIO(fs)

    proxy.configure(fail_next=2, fail_kinds=["HEAD"])
    assert io.read_parquet(f"{bucket}/t.parquet").num_rows == 2  # third time lucky
    assert proxy.counts()["failed"]["HEAD"] == 2

    assert fsspeckit.configure_retries(max_attempts=1)["max_attempts"] == 1
    proxy.configure(fail_next=1, fail_kinds=["HEAD"])
    with pytest.raises(OSError, match="503"):
        io.read_parquet(f"{bucket}/t.parquet")

    assert fsspeckit.configure_retries(max_attempts=2, max_delay_ms=50) == {
        "max_attempts": 2, "base_delay_ms": fsspeckit.configure_retries()["base_delay_ms"],
        "max_delay_ms": 50}
    proxy.configure(fail_next=1, fail_kinds=["HEAD"])
    assert io.read_parquet(f"{bucket}/t.parquet").num_rows == 2

    with pytest.raises(ValueError, match="max_attempts must be at least 1"):
        fsspeckit.configure_retries(max_attempts=0)
    with pytest.raises(TypeError, match="base_delay_ms must be an int"):
        fsspeckit.configure_retries(base_delay_ms=0.5)
