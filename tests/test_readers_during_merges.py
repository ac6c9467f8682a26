"""Readers beside merges on S3 (tests/s3_proxy.py, 20 ms per request): a merge never
replaces an object in place, so no reader reads an object that changed under it; the
project's own reader sees the old or the new dataset, never a mix, and never fails.

A read that meets a file a commit removed reads again (up to 4 times in all), which
succeeds once no further commit removes files meanwhile: so each merge here starts only
once a read begun after the previous one has finished. Merges back to back with no such
pause would starve a reader slower than a merge, whatever the machine's load.

What a plain pyarrow reader may see meanwhile is in the README ("Readers during a merge")."""

import threading
import time

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from fsspeckit.datasets.pyarrow import PyarrowDatasetIO

FILES, ROWS, MERGES = 8, 500, 5


def merge_source(merge):
    """Merge `merge` (1, 2, ...) sets v=merge on one row in every other file."""
    ids = [f * ROWS + merge for f in range(0, FILES, 2)]
    return pa.table({"id": pa.array(ids, pa.int64()), "v": pa.array([merge] * len(ids), pa.int64())})


def states():
    """The dataset after 0, 1, ... MERGES merges, as a sorted list of (id, v)."""
    rows = {i: 0 for i in range(FILES * ROWS)}
    out = [sorted(rows.items())]
    for merge in range(1, MERGES + 1):
        for i in merge_source(merge)["id"].to_pylist():
            rows[i] = merge
        out.append(sorted(rows.items()))
    return out


def test_readers_beside_merges_on_s3_never_read_a_changed_object(s3_proxy):
    proxy, bucket = s3_proxy
    fs = proxy.pyarrow_fs()
    path = f"{bucket}/ds"
    for f in range(FILES):
        ids = pa.array(range(f * ROWS, (f + 1) * ROWS), pa.int64())
        pq.write_table(pa.table({"id": ids, "v": pa.array([0] * ROWS, pa.int64())}),
                       f"{path}/part-{f:02d}.parquet", filesystem=fs)
    proxy.configure(latency_ms=20)
    expected = states()
    stop = threading.Event()
    own_reads, own_errors, own_mixed = [], [], []
    plain_reads, plain_errors = [], []
    reads_done = threading.Condition()
    read_times = []  # (start, end) of each finished read of the own reader
    merge_times = []  # (start, end) of each merge

    def own_reader():
        io = PyarrowDatasetIO(proxy.pyarrow_fs())
        while not stop.is_set():
            started = time.monotonic()
            try:
                table = io.read_parquet(path)
            except Exception as error:  # noqa: BLE001 - every failure is counted
                own_errors.append(repr(error))
            else:
                rows = sorted(zip(table["id"].to_pylist(), table["v"].to_pylist()))
                (own_reads if rows in expected else own_mixed).append(len(rows))
            with reads_done:
                read_times.append((started, time.monotonic()))
                reads_done.notify_all()

    def wait_for_a_read_begun_after(moment):
        with reads_done:
            assert reads_done.wait_for(lambda: any(s >= moment for s, _ in read_times),
                                       timeout=120), "the reader stopped"

    def plain_reader():
        reader_fs = proxy.pyarrow_fs()
        while not stop.is_set():
            try:
                plain_reads.append(ds.dataset(path, filesystem=reader_fs,
                                              format="parquet").to_table().num_rows)
            except Exception as error:  # noqa: BLE001
                plain_errors.append(repr(error))

    readers = [threading.Thread(target=own_reader), threading.Thread(target=plain_reader)]
    for reader in readers:
        reader.start()
    try:
        io = PyarrowDatasetIO(fs)
        merged = time.monotonic()
        for merge in range(1, MERGES + 1):
            wait_for_a_read_begun_after(merged)
            started = time.monotonic()
            result = io.merge(merge_source(merge), path, "upsert", "id")
            merged = time.monotonic()
            merge_times.append((started, merged))
            assert result.updated == FILES // 2
            assert set(result.removed_files).isdisjoint(result.rewritten_files)
    finally:
        stop.set()
        for reader in readers:
            reader.join()
    proxy.configure()
    final = PyarrowDatasetIO(fs).read_parquet(path)
    assert sorted(zip(final["id"].to_pylist(), final["v"].to_pylist())) == expected[-1]
    print(f"own reader: {len(own_reads)} reads, {len(own_errors)} failed, {len(own_mixed)} mixed; "
          f"pyarrow reader: {len(plain_reads)} reads, {len(plain_errors)} failed, "
          f"{sum(n != FILES * ROWS for n in plain_reads)} with rows twice "
          f"{sorted(set(plain_errors))[:3]} own errors: {own_errors[:2]}")
    # The reader reads on while a merge runs (it never waits for one): reads ran beside
    # the merges, not only between them.
    assert any(start < merge_end and end > merge_start
               for start, end in read_times for merge_start, merge_end in merge_times)
    assert own_errors == [] and own_mixed == []
    # A plain reader lists once and reads later: it never reads an object that changed
    # under it ("magic bytes not found" when S3 objects were replaced in place). It can
    # still meet a file removed since it listed (NotFound): the README says so.
    assert [e for e in plain_errors if "NO_SUCH_KEY" not in e and "RESOURCE_NOT_FOUND" not in e
            and "does not exist" not in e] == []
