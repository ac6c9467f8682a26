"""result.metrics["requests"]: the calls a merge made to the dataset's store, counted by
kind in C++ at the filesystem's edge, for every filesystem; checked against what the S3
server itself answered (tests/s3_proxy.py counts requests by HTTP method)."""

import os

import fsspec
import pyarrow as pa
import pyarrow.fs  # noqa: F401  (pa.fs)
import pyarrow.parquet as pq
import pytest

from fsspeckit.datasets.pyarrow import PyarrowDatasetIO

FILES, ROWS = 4, 100


def write_files(fs, path):
    for f in range(FILES):
        ids = pa.array(range(f * ROWS, (f + 1) * ROWS), pa.int64())
        pq.write_table(pa.table({"id": ids, "v": pa.array([0] * ROWS, pa.int64())}),
                       f"{path}/part-{f}.parquet", filesystem=fs)


def upsert(io, path):
    # One key in each of two files, and one new key.
    source = pa.table({"id": pa.array([1, ROWS + 1, 10 * ROWS], pa.int64()),
                       "v": pa.array([1, 1, 1], pa.int64())})
    return io.merge(source, path, "upsert", "id")


@pytest.mark.parametrize("client", ["pyarrow", "s3fs"])
def test_a_merge_on_s3_counts_what_the_server_answered(s3_proxy, client):
    proxy, bucket = s3_proxy
    path = f"{bucket}/ds"
    write_files(proxy.pyarrow_fs(), path)
    fs = proxy.pyarrow_fs() if client == "pyarrow" else proxy.s3fs()
    io = PyarrowDatasetIO(fs)
    proxy.reset()
    result = upsert(io, path)
    server = proxy.counts()["requests"]
    ours = result.metrics["requests"]
    print(client, "ours", ours, "server", server)
    assert result.updated == 2 and len(result.removed_files) >= 2
    # Every kind of work the merge did is there: it listed, read footers and keys, wrote
    # staged files, put them into place (through Arrow's S3 a copy, the staged files then
    # deleted one by one with the old ones through the lock's store; through s3fs a
    # move), deleted the old files, and took the S3 lock.
    for kind in ("list", "read", "write", "delete", "lock"):
        assert ours.get(kind, 0) > 0, (kind, ours)
    assert ours.get("copy" if client == "pyarrow" else "move", 0) > 0, ours
    assert set(ours) <= {"list", "info", "open", "read", "write", "delete", "move", "copy",
                         "mkdir", "lock"}
    if client == "s3fs":
        return  # s3fs caches blocks (a read may need no GET) and deletes in batches (POST)
    assert "mkdir" not in ours  # S3 needs no folders; Arrow would PUT a marker for each
    # The commit deletes with plain DELETEs (each counted): no bulk deletion after a
    # listing of the staging folder, no HEAD before each deletion.
    assert server["POST"] == 0 and server["HEAD"] <= ours.get("info", 0) + ours.get("open", 0)
    # Through Arrow's S3 client a call is at least one request: the server saw at least as
    # many GETs as we counted reads of files, and a DELETE per file deleted or moved (a
    # move on S3 is a copy and a delete).
    assert server["GET"] >= ours["read"]
    assert server["DELETE"] >= ours["delete"] + ours.get("move", 0) - ours.get("mkdir", 0)
    assert sum(server.values()) >= sum(ours.values()) - ours.get("mkdir", 0)


def test_every_filesystem_is_counted(tmp_path):
    for fs, path in [(None, str(tmp_path / "local")),
                     (fsspec.filesystem("file"), str(tmp_path / "fsspec-local")),
                     (fsspec.filesystem("memory"), "/counted")]:
        if path.startswith(str(tmp_path)):
            os.makedirs(path)
        write_files(None if fs is None else pa.fs.PyFileSystem(pa.fs.FSSpecHandler(fs)), path)
        result = upsert(PyarrowDatasetIO(fs), path)
        requests = result.metrics["requests"]
        assert requests["list"] >= 1 and requests["read"] >= 2 and requests["move"] >= 2, (
            fs, requests)
        assert requests["delete"] >= 2, requests  # the two rewritten files' old names


def test_maintenance_on_s3_counts_its_requests_too(s3_proxy):
    proxy, bucket = s3_proxy
    path = f"{bucket}/ds"
    fs = proxy.pyarrow_fs()
    write_files(fs, path)
    result = PyarrowDatasetIO(fs).compact_parquet_dataset(path, target_rows_per_file=10_000)
    assert result.succeeded and result.files_after == 1
    requests = result.metrics["requests"]
    # 4 files listed and read, replaced by 1 written and moved in; the 4 old ones deleted.
    assert requests["list"] >= 1 and requests["read"] >= 4 and requests["write"] >= 1
    assert requests["delete"] >= 4 and requests["lock"] >= 2, requests


def overlapping(requests) -> int:
    """The most of `requests` ([start_ms, end_ms, ...]) in flight at one time."""
    edges = sorted([(r[0], 1) for r in requests] + [(r[1], -1) for r in requests],
                   key=lambda edge: (edge[0], edge[1]))
    most = now = 0
    for _, step in edges:
        now += step
        most = max(most, now)
    return most


def test_maintenance_on_s3_plans_from_one_listing_and_reads_files_at_once(s3_proxy):
    """Planning: one LIST and the footers, no HEAD; the compaction then reads its group's
    files many at once (each a GET, a round trip), not one after another."""
    proxy, bucket = s3_proxy
    path = f"{bucket}/ds"
    fs = proxy.pyarrow_fs()
    write_files(fs, path)
    proxy.configure(latency_ms=20)  # every GET lasts 20 ms: started together, they overlap
    result = PyarrowDatasetIO(fs).compact_parquet_dataset(path, target_rows_per_file=10_000)
    assert result.succeeded and result.files_after == 1
    trace = sorted(proxy.trace(), key=lambda request: request[0])
    lock = next(i for i, r in enumerate(trace) if r[4].endswith("/_fsspeckit_merge.lock"))
    planning = [r[2] for r in trace[:lock]]
    assert planning.count("LIST") == 1 and "HEAD" not in planning, planning
    staged = next(i for i, r in enumerate(trace) if r[2] == "PUT" and ".staged" in r[4])
    reads = [r for r in trace[lock:staged] if r[2] == "GET" and "/part-" in r[4]]
    assert len(reads) == FILES and overlapping(reads) >= 2, reads


def test_a_merge_on_s3_plans_from_one_listing(s3_proxy):
    """Before reading a file, a merge takes the lock and lists the dataset once: that one
    listing says whether anything needs recovering, what the commit checks for changes,
    and which files to scan. No HEAD before the commit (sizes come from the listing)."""
    proxy, bucket = s3_proxy
    path = f"{bucket}/ds"
    write_files(proxy.pyarrow_fs(), path)
    proxy.reset()
    upsert(PyarrowDatasetIO(proxy.pyarrow_fs()), path)
    trace = sorted(proxy.trace(), key=lambda request: request[0])  # by start time
    first_read = next(i for i, request in enumerate(trace) if request[2] == "GET")
    assert [request[2] for request in trace[:first_read]] == ["PUT", "LIST"], trace[:first_read]
    assert trace[0][4].endswith("/_fsspeckit_merge.lock")
    staged = next(i for i, request in enumerate(trace) if "_fsspeckit-staging-" in request[4])
    planning = [request[2] for request in trace[:staged]]
    assert planning.count("LIST") == 1 and "HEAD" not in planning, trace[:staged]


def test_a_merge_on_s3_removes_what_a_dead_writer_left(s3_proxy):
    """The one listing shows a dead writer's staging folder and half-written journal:
    they are recovered (removed) before the merge plans."""
    proxy, bucket = s3_proxy
    fs = proxy.pyarrow_fs()
    path = f"{bucket}/ds"
    write_files(fs, path)
    leftovers = [f"{path}/_fsspeckit-staging-0123456789abcdef/task-0-ab/part-0.staged",
                 f"{path}/_fsspeckit_merge_journal.tmp-0123"]
    for leftover in leftovers:
        with fs.open_output_stream(leftover) as out:
            out.write(b"left by a writer that died")
    result = upsert(PyarrowDatasetIO(fs), path)
    assert result.updated == 2 and result.inserted == 1
    for leftover in leftovers:
        assert fs.get_file_info(leftover).type == pa.fs.FileType.NotFound, leftover
    assert pq.read_table(path, filesystem=fs).num_rows == FILES * ROWS + 1


@pytest.mark.parametrize("operation", ["read_parquet", "collect_dataset_stats", "scan"])
def test_a_read_on_s3_lists_once_and_asks_no_head(s3_proxy, operation):
    """Reads on an object store: one listing (sizes included, so no HEAD per file and
    none for the folder), footers read many at once, then the data."""
    import pyarrow.dataset as ds

    from fsspeckit.datasets.pyarrow.dataset import (collect_dataset_stats_pyarrow,
                                                    process_in_chunks)

    proxy, bucket = s3_proxy
    path = f"{bucket}/ds"
    write_files(proxy.pyarrow_fs(), path)
    fs = proxy.pyarrow_fs()
    dataset = ds.dataset(path, filesystem=fs)  # pyarrow's discovery: not ours to count
    proxy.reset()
    if operation == "read_parquet":
        rows = PyarrowDatasetIO(fs).read_parquet(path).num_rows
    elif operation == "collect_dataset_stats":
        rows = collect_dataset_stats_pyarrow(path, fs)["total_rows"]
    else:
        rows = sum(chunk.num_rows for chunk in process_in_chunks(dataset, enable_progress=False))
    assert rows == FILES * ROWS
    trace = sorted(proxy.trace(), key=lambda request: request[0])
    kinds = [request[2] for request in trace]
    # (A pyarrow dataset comes listed.)
    assert kinds.count("LIST") == (operation != "scan") and "HEAD" not in kinds, kinds
    # At most: a footer for the schema, the footer again and the columns for the scan.
    assert kinds.count("GET") <= 3 * FILES, kinds


def test_a_merge_on_s3_stages_no_empty_part_and_no_folder_marker(s3_proxy):
    """A rewrite that ends exactly at max_rows_per_file starts no further (empty) part,
    and partitioned inserts create no folders: no file is written only to be deleted, and
    no folder marker (a key ending in "/", which Arrow's S3 puts for a created folder or
    after a delete) is ever put."""
    proxy, bucket = s3_proxy
    fs = proxy.pyarrow_fs()
    flat, hive = f"{bucket}/flat", f"{bucket}/hive"
    pq.write_table(pa.table({"id": pa.array(range(100), pa.int64()), "v": [0] * 100}),
                   f"{flat}/part-0.parquet", filesystem=fs)
    pq.write_table(pa.table({"id": pa.array([1], pa.int64()), "v": [0]}),
                   f"{hive}/day=1/part-0.parquet", filesystem=fs)
    io = PyarrowDatasetIO(fs)
    proxy.reset()
    every_row = pa.table({"id": pa.array(range(100), pa.int64()), "v": [1] * 100})
    result = io.merge(every_row, flat, "upsert", "id", max_rows_per_file=50)
    new_days = pa.table({"id": pa.array([2, 3], pa.int64()), "v": [0, 0], "day": [2, 3]})
    io.merge(new_days, hive, "insert", "id", partition_columns=["day"])
    trace = proxy.trace()
    staged = [r[4] for r in trace if r[2] == "PUT" and r[4].endswith(".staged")]
    assert sorted(f.row_count for f in result.files) == [50, 50]
    assert len([s for s in staged if "/flat/" in s]) == 2, staged  # two parts, no third
    assert not [r for r in trace if r[2] == "PUT" and r[4].endswith("/")], trace
    assert pq.read_table(hive, filesystem=fs).num_rows == 3
