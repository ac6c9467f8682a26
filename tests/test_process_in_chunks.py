"""process_in_chunks from Python: inputs, order, progress, errors, real degradation."""

import logging

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from fsspeckit.datasets.pyarrow.dataset import process_in_chunks
from fsspeckit.datasets.pyarrow.memory import MemoryMonitor

ROWS = 50_000


@pytest.fixture(scope="module")
def table():
    return pa.table({
        "id": pa.array(range(ROWS), pa.int64()),
        "value": pa.array([i * 0.5 for i in range(ROWS)], pa.float64()),
        "name": pa.array([f"name-{i}" for i in range(ROWS)], pa.string()),
    })


@pytest.fixture(scope="module")
def dataset_dir(tmp_path_factory, table):
    root = tmp_path_factory.mktemp("chunks") / "ds"
    for part, (start, stop) in enumerate([(0, 20_000), (20_000, 35_000), (35_000, ROWS)]):
        folder = root / f"part={part}"
        folder.mkdir(parents=True)
        pq.write_table(table.slice(start, stop - start), folder / "data.parquet",
                       row_group_size=5_000)
    (root / "_staging").mkdir()
    pq.write_table(table.slice(0, 10), root / "_staging" / "leftover.parquet")
    return root


def ids_of(chunks):
    return [i for chunk in chunks for i in chunk.column("id").to_pylist()]


@pytest.mark.parametrize("kind", ["table", "path", "dataset", "reader"])
def test_every_row_once_in_order_for_every_input_kind(kind, table, dataset_dir):
    source = {
        "table": lambda: table,
        "path": lambda: str(dataset_dir),
        "dataset": lambda: ds.dataset(dataset_dir, partitioning="hive"),
        "reader": lambda: table.to_reader(max_chunksize=7_000),
    }[kind]()
    chunks = list(process_in_chunks(source, chunk_size_rows=12_000, enable_progress=False))
    assert all(isinstance(chunk, pa.Table) for chunk in chunks)
    assert all(chunk.num_rows <= 12_000 for chunk in chunks)
    assert [c.num_rows for c in chunks] == [12_000] * 4 + [2_000]
    assert ids_of(chunks) == list(range(ROWS))
    if kind == "path":
        assert chunks[0].schema.names == ["id", "value", "name", "part"]
        assert chunks[-1].column("part")[0].as_py() == 2


def test_pathlike_and_single_file(tmp_path, table):
    path = tmp_path / "one.parquet"
    pq.write_table(table, path, row_group_size=10_000)
    chunks = list(process_in_chunks(path, chunk_size_rows=30_000))
    assert [c.num_rows for c in chunks] == [30_000, 20_000]
    assert chunks[1].column("name")[0].as_py() == "name-30000"


def test_relative_paths_work(tmp_path, table, monkeypatch):
    pq.write_table(table, tmp_path / "rel.parquet")
    monkeypatch.chdir(tmp_path)
    assert sum(c.num_rows for c in process_in_chunks("rel.parquet")) == ROWS
    assert sum(c.num_rows for c in process_in_chunks(f"file://{tmp_path}/rel.parquet")) == ROWS


def test_progress_callback_after_each_chunk(table):
    calls = []
    gen = process_in_chunks(table, chunk_size_rows=20_000,
                            progress_callback=lambda done, total: calls.append((done, total)))
    next(gen)
    assert calls == []  # reported once the consumer is done with the chunk
    list(gen)
    assert calls == [(20_000, ROWS), (40_000, ROWS), (ROWS, ROWS)]


def test_progress_disabled_and_debug_log(table, caplog):
    calls = []
    list(process_in_chunks(table, chunk_size_rows=25_000, enable_progress=False,
                           progress_callback=lambda *a: calls.append(a)))
    assert calls == []
    with caplog.at_level(logging.DEBUG, logger="fsspeckit"):
        list(process_in_chunks(table, chunk_size_rows=25_000))
    messages = [r.getMessage() for r in caplog.records if r.name == "fsspeckit"]
    assert "Processed 25000/50000 rows (50.0%)" in messages
    assert "Processed 50000/50000 rows (100.0%)" in messages


def test_is_a_lazy_generator_and_errors_are_clear(tmp_path, table):
    gen = process_in_chunks(str(tmp_path / "missing"))  # nothing happens yet
    with pytest.raises(OSError, match="does not exist.*missing"):
        next(gen)
    with pytest.raises(ValueError, match="chunk_size_rows must be a positive"):
        next(process_in_chunks(table, chunk_size_rows=0))
    with pytest.raises(TypeError, match="process_in_chunks\\(\\) needs a pyarrow.Table"):
        next(process_in_chunks(42))
    corrupt = tmp_path / "corrupt.parquet"
    corrupt.write_bytes(b"PAR1 definitely not parquet")
    with pytest.raises(OSError, match="corrupt.parquet"):
        next(process_in_chunks(str(corrupt)))


def test_impossible_limit_raises_memory_error(table):
    with pytest.raises(MemoryError, match="^Peak memory usage exceeded limit: PyArrow: "):
        next(process_in_chunks(table, max_memory_mb=0.001))


def test_user_monitor_wins_over_max_memory_mb(table):
    tight = MemoryMonitor(max_pyarrow_mb=0.001, min_system_available_mb=0)
    with pytest.raises(MemoryError):
        next(process_in_chunks(table, max_memory_mb=100_000, memory_monitor=tight))
    roomy = MemoryMonitor(max_pyarrow_mb=100_000, min_system_available_mb=0)
    assert sum(c.num_rows for c in process_in_chunks(table, max_memory_mb=0.001,
                                                      memory_monitor=roomy)) == ROWS


def test_real_pressure_shrinks_chunks_then_they_grow_back(dataset_dir):
    """Real Arrow allocations push the pool past 90%: chunks halve, the scan completes."""
    budget_mb = 200
    monitor = MemoryMonitor(max_pyarrow_mb=budget_mb, min_system_available_mb=0)
    ballast = [pa.allocate_buffer(int(0.93 * budget_mb * 2**20) - pa.total_allocated_bytes())]
    sizes, ids = [], []
    for chunk in process_in_chunks(str(dataset_dir), chunk_size_rows=8_000,
                                   memory_monitor=monitor, enable_progress=False):
        sizes.append(chunk.num_rows)
        ids.extend(chunk.column("id").to_pylist())
        if len(sizes) == 6:
            ballast.clear()  # pressure gone: the chunk size recovers
    assert ids == list(range(ROWS))
    assert sizes[0] == 4_000                      # CRITICAL at the first chunk: halved
    assert min(sizes) == 1_024                    # down to the floor
    assert max(sizes[6:]) == 8_000                # grew back to the requested size
    assert sizes.index(1_024) < sizes.index(8_000)


def test_warning_runs_the_garbage_collector(table, monkeypatch):
    import gc

    calls = []
    monkeypatch.setattr(gc, "collect", lambda *a: calls.append(1) or 0)
    budget_mb = 200
    monitor = MemoryMonitor(max_pyarrow_mb=budget_mb, min_system_available_mb=0)
    ballast = pa.allocate_buffer(int(0.8 * budget_mb * 2**20) - pa.total_allocated_bytes())
    sizes = [c.num_rows for c in process_in_chunks(table, chunk_size_rows=10_000,
                                                   memory_monitor=monitor)]
    del ballast
    assert calls, "WARNING should have run gc.collect"
    assert sizes == [10_000] * 5  # WARNING alone does not shrink chunks


def test_a_scan_never_raises_after_delivering_its_last_row(tmp_path):
    # Issue 13 case 10: one chunk of every row (about 23 MiB) against a 20 MiB budget; the
    # consumer holds it while asking for the next, which must end the scan, not raise.
    n = 1_000_000
    path = tmp_path / "one.parquet"
    pq.write_table(pa.table({"id": pa.array(range(n), pa.int64()),
                             "value": pa.array(range(n), pa.float64()),
                             "flag": pa.array([i % 3 for i in range(n)], pa.int64())}), path)
    monitor = MemoryMonitor(max_pyarrow_mb=20, min_system_available_mb=0)
    rows = 0
    for chunk in process_in_chunks(str(path), chunk_size_rows=n, memory_monitor=monitor):
        rows += chunk.num_rows
    assert rows == n


@pytest.mark.parametrize("kwargs, message", [
    (dict(chunk_size_rows="x"), "chunk_size_rows must be an int, got str"),
    (dict(chunk_size_rows=2.5), "chunk_size_rows must be an int, got float"),
    (dict(memory_monitor="x"), "memory_monitor must be a MemoryMonitor or None, got str"),
    (dict(progress_callback=5), "progress_callback must be callable or None"),
])
def test_wrong_argument_types_name_the_parameter(table, kwargs, message):
    with pytest.raises(TypeError, match=message):
        next(process_in_chunks(table, **kwargs))
