"""merge_upsert_pyarrow, merge_update_pyarrow and collect_dataset_stats_pyarrow
(REFERENCE.md 4.1-4.3), importable where the original had them."""

import inspect
import math

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from fsspeckit.datasets.pyarrow import MemoryMonitor, PyarrowDatasetIO
from fsspeckit.datasets.pyarrow.dataset import (
    collect_dataset_stats_pyarrow,
    merge_update_pyarrow,
    merge_upsert_pyarrow,
)

EXISTING = pa.table({"id": [1, 2, 3], "name": ["a", "b", "c"], "category": ["x", "x", "y"]})


@pytest.mark.parametrize("function", [merge_upsert_pyarrow, merge_update_pyarrow])
def test_signature_is_the_originals(function):
    parameters = inspect.signature(function).parameters
    assert list(parameters) == ["existing", "source", "key_columns", "chunk_size",
                                "max_memory_mb", "memory_monitor", "writer",
                                "progress_callback"]
    assert parameters["chunk_size"].default == 100_000
    assert parameters["max_memory_mb"].default == 1024


def test_upsert_keeps_unmatched_rows_in_order_then_source_rows():
    source = pa.table({"id": [3, 4], "name": ["C", "d"], "category": ["z", "z"]})
    result = merge_upsert_pyarrow(EXISTING, source, ["id"])
    assert result.to_pydict() == {"id": [1, 2, 3, 4], "name": ["a", "b", "C", "d"],
                                  "category": ["x", "x", "z", "z"]}


def test_update_ignores_new_keys():
    source = pa.table({"id": [3, 4], "name": ["C", "d"], "category": ["z", "z"]})
    result = merge_update_pyarrow(EXISTING, source, "id")
    assert result.to_pydict() == {"id": [1, 2, 3], "name": ["a", "b", "C"],
                                  "category": ["x", "x", "z"]}


def test_missing_source_columns_become_null_and_extra_ones_are_dropped():
    source = pa.table({"id": pa.array([2], pa.int32()), "name": ["B"], "extra": [1.5]})
    result = merge_upsert_pyarrow(EXISTING, source, ["id"])
    assert result.schema == EXISTING.schema
    assert result.to_pylist()[-1] == {"id": 2, "name": "B", "category": None}


def test_null_keys_match_null_keys_and_the_last_source_row_wins():
    existing = pa.table({"id": [1, None, 2], "v": ["a", "null-old", "b"]})
    source = pa.table({"id": [None, 5, None], "v": ["first", "new", "last"]})
    assert merge_upsert_pyarrow(existing, source, ["id"]).to_pydict() == {
        "id": [1, 2, 5, None], "v": ["a", "b", "new", "last"]}
    assert merge_update_pyarrow(existing, source, ["id"]).to_pydict() == {
        "id": [1, 2, None], "v": ["a", "b", "last"]}


def test_composite_keys_with_null_and_nan_components():
    existing = pa.table({"k1": [1, 1, None], "k2": [math.nan, 2.0, 3.0], "v": [10, 20, 30]})
    source = pa.table({"k1": [1, None], "k2": [math.nan, 3.0], "v": [11, 31]})
    result = merge_update_pyarrow(existing, source, ["k1", "k2"])
    assert result["v"].to_pylist() == [20, 11, 31]


def test_existing_dataset_is_read_in_chunks_under_the_monitor(tmp_path):
    pq.write_table(EXISTING, tmp_path / "a.parquet", row_group_size=1)
    progress = []
    source = pa.table({"id": [2], "name": ["B"], "category": ["q"]})
    result = merge_upsert_pyarrow(ds.dataset(str(tmp_path)), source, ["id"], chunk_size=1,
                                  memory_monitor=MemoryMonitor(max_pyarrow_mb=512),
                                  progress_callback=lambda done, total: progress.append(done))
    assert result["name"].to_pylist() == ["a", "c", "B"]
    assert progress[-1] == 3


def test_writer_receives_the_result_and_nothing_is_returned(tmp_path):
    out = tmp_path / "out.parquet"
    with pq.ParquetWriter(out, EXISTING.schema) as writer:
        returned = merge_upsert_pyarrow(EXISTING, pa.table({"id": [9], "name": ["n"]}), ["id"],
                                        writer=writer)
    assert returned is None
    assert pq.read_table(out)["id"].to_pylist() == [1, 2, 3, 9]


def test_key_missing_from_source_is_named():
    with pytest.raises(ValueError, match="Key column\\(s\\) missing from source: id"):
        merge_upsert_pyarrow(EXISTING, pa.table({"name": ["x"]}), ["id"])


def test_collect_dataset_stats(tmp_path):
    PyarrowDatasetIO().write_dataset(
        pa.table({"id": [1, 2, 3], "day": ["d1", "d1", "d2"]}), str(tmp_path / "ds"),
        partition_by="day")
    stats = collect_dataset_stats_pyarrow(str(tmp_path / "ds"))
    assert stats["total_rows"] == 3
    assert len(stats["files"]) == 2
    assert stats["total_bytes"] == sum(f["size_bytes"] for f in stats["files"]) > 0
    assert set(stats["files"][0]) == {"path", "size_bytes", "num_rows"}
    only_d2 = collect_dataset_stats_pyarrow(str(tmp_path / "ds"), partition_filter=["day=d2"])
    assert [f["num_rows"] for f in only_d2["files"]] == [1]
    with pytest.raises(FileNotFoundError):
        collect_dataset_stats_pyarrow(str(tmp_path / "ds"), partition_filter=["day=none"])
    with pytest.raises(FileNotFoundError):
        collect_dataset_stats_pyarrow(str(tmp_path / "missing"))
