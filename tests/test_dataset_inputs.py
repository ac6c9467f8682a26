"""process_in_chunks over pyarrow.dataset.Dataset inputs: the budget-governed reader."""

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as csv
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from fsspeckit.datasets.pyarrow.dataset import process_in_chunks
from fsspeckit.datasets.pyarrow.memory import MemoryMonitor

FILES, FILE_ROWS = 6, 200_000


@pytest.fixture(scope="module")
def wide(tmp_path_factory):
    """Six files of 200k rows of about 610 decoded bytes each (30 MiB per row group)."""
    root = tmp_path_factory.mktemp("wide")
    for f in range(FILES):
        ids = pa.array(range(f * FILE_ROWS, (f + 1) * FILE_ROWS), pa.int64())
        payload = pc.binary_join_element_wise(pc.cast(ids, pa.string()), "x" * 600, "-")
        pq.write_table(pa.table({"id": ids, "payload": payload}), root / f"part-{f}.parquet",
                       row_group_size=50_000)
    return root


@pytest.mark.parametrize("as_dataset", [True, False])
def test_a_small_budget_holds_for_datasets_as_for_paths(wide, as_dataset):
    """The issue's case: 100 MB budget, 100k-row chunks. pyarrow's scanner had about
    170 MB in the pool at a check (MemoryError); the row-group reader sizes its
    read-ahead from the budget and stays within it."""
    source = ds.dataset(wide) if as_dataset else str(wide)
    monitor = MemoryMonitor(max_pyarrow_mb=100, min_system_available_mb=0)
    rows, peak_bytes = 0, 0
    for chunk in process_in_chunks(source, chunk_size_rows=100_000, memory_monitor=monitor,
                                   enable_progress=False):
        assert chunk.column("id")[0].as_py() == rows  # in order, every row once
        rows += chunk.num_rows
        peak_bytes = max(peak_bytes, pa.total_allocated_bytes())
    assert rows == FILES * FILE_ROWS
    assert peak_bytes < 100 * 2**20


@pytest.fixture(scope="module")
def hive(tmp_path_factory):
    root = tmp_path_factory.mktemp("hive")
    table = pa.table({"id": pa.array(range(1_000), pa.int64()),
                      "value": pa.array(range(1_000), pa.int32()),
                      "name": [f"n{i}" for i in range(1_000)],
                      "region": ["eu", "us"] * 500})
    pq.write_to_dataset(table, root, partition_cols=["region"], row_group_size=100)
    return root


def test_dataset_filter_schema_and_partitions_are_kept(hive):
    dataset = ds.dataset(hive, partitioning="hive").filter(
        (pc.field("id") >= 250) & (pc.field("region") == "us"))
    chunks = list(process_in_chunks(dataset, chunk_size_rows=64, enable_progress=False))
    result = pa.concat_tables(chunks)
    assert result.schema == dataset.schema
    assert all(c.num_rows <= 64 for c in chunks)
    assert result["id"].to_pylist() == dataset.to_table()["id"].to_pylist()
    assert set(result["region"].to_pylist()) == {"us"}
    assert result.num_rows == 375


def test_dataset_schema_projects_and_casts(hive):
    schema = pa.schema([("name", pa.string()), ("value", pa.int64()), ("region", pa.string())])
    dataset = ds.dataset(hive, schema=schema, partitioning="hive")
    result = pa.concat_tables(process_in_chunks(dataset, chunk_size_rows=300,
                                                enable_progress=False))
    assert result.schema == schema
    assert result.sort_by("value").to_pydict() == dataset.to_table().sort_by("value").to_pydict()


def test_dataset_on_s3(s3, hive):
    fs, bucket = s3
    table = ds.dataset(hive, partitioning="hive").to_table()
    ds.write_dataset(table, f"{bucket}/events", filesystem=fs, format="parquet",
                     max_rows_per_group=200, partitioning=["region"], partitioning_flavor="hive")
    dataset = ds.dataset(f"{bucket}/events", filesystem=fs, partitioning="hive")
    result = pa.concat_tables(process_in_chunks(dataset, chunk_size_rows=128,
                                                enable_progress=False))
    assert sorted(result["id"].to_pylist()) == list(range(1_000))
    assert result.schema == dataset.schema


def test_other_datasets_still_stream(tmp_path):
    csv.write_csv(pa.table({"id": list(range(500))}), tmp_path / "a.csv")
    dataset = ds.dataset(tmp_path / "a.csv", format="csv")
    chunks = list(process_in_chunks(dataset, chunk_size_rows=128, enable_progress=False))
    assert [c.num_rows for c in chunks] == [128, 128, 128, 116]


def test_other_datasets_keep_their_filter_in_rows_and_progress(tmp_path):
    csv.write_csv(pa.table({"id": list(range(500))}), tmp_path / "a.csv")
    dataset = ds.dataset(tmp_path / "a.csv", format="csv").filter(pc.field("id") < 100)
    seen = []
    chunks = list(process_in_chunks(dataset, chunk_size_rows=40,
                                    progress_callback=lambda done, total: seen.append(total)))
    assert pa.concat_tables(chunks)["id"].to_pylist() == list(range(100))
    assert set(seen) == {100}  # the filtered count, known up front


def test_other_datasets_degrade_under_real_pressure(tmp_path):
    """Real Arrow allocations fill 93% of the budget: chunks halve, read-ahead stops."""
    csv.write_csv(pa.table({"id": list(range(40_000))}), tmp_path / "a.csv")
    dataset = ds.dataset(tmp_path / "a.csv", format="csv")
    budget_mb = 200
    monitor = MemoryMonitor(max_pyarrow_mb=budget_mb, min_system_available_mb=0)
    ballast = pa.allocate_buffer(int(0.93 * budget_mb * 2**20) - pa.total_allocated_bytes())
    sizes, ids = [], []
    for chunk in process_in_chunks(dataset, chunk_size_rows=8_000, memory_monitor=monitor,
                                   enable_progress=False):
        sizes.append(chunk.num_rows)
        ids.extend(chunk.column("id").to_pylist())
    del ballast
    assert ids == list(range(40_000))
    assert sizes[0] == 4_000      # CRITICAL at the first chunk: halved
    assert min(sizes[:-1]) == 1_024  # down to the floor (the last chunk is what is left)


@pytest.mark.parametrize("file_format", ["parquet", "csv"])
def test_stopping_early_on_a_python_filesystem(file_format):
    """Row groups read ahead through fsspec need the GIL: dropping the iterator waits for
    them without it (this deadlocked). A CSV scanner dropped without being closed left
    reads running on fsspec's memory filesystem, which hands one file object to every
    open of a file: the next count read from a moved position ("Empty CSV file", about one
    run in fifteen with five rounds)."""
    import gc
    import io as bytes_io

    import fsspec

    fs = fsspec.filesystem("memory")
    root = f"/early-{file_format}"
    for i in range(4):
        part = pa.table({"id": pa.array(range(i * 10_000, (i + 1) * 10_000), pa.int64())})
        buffer = bytes_io.BytesIO()
        if file_format == "parquet":
            pq.write_table(part, buffer, row_group_size=1_000)
        else:
            csv.write_csv(part, buffer)
        fs.pipe(f"{root}/part-{i}.{file_format}", buffer.getvalue())
    dataset = ds.dataset(root, filesystem=fs, format=file_format)
    assert sum(c.num_rows for c in process_in_chunks(dataset, 3_000, enable_progress=False)) \
        == 40_000
    for _ in range(30):
        chunks = process_in_chunks(dataset, 1_500, enable_progress=False)
        assert next(chunks).column("id")[0].as_py() == 0
        next(chunks)
        del chunks
        gc.collect()
    fs.rm(root, recursive=True)
