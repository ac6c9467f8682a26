"""Frames from polars and DuckDB, and Arrow view types, wherever a table goes."""

import duckdb
import polars as pl
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from fsspeckit.datasets.pyarrow import PyarrowDatasetIO


def _rows(path, columns=("id", "name")):
    table = ds.dataset(str(path)).to_table().sort_by("id")
    return list(zip(*(table[c].to_pylist() for c in columns)))


@pytest.fixture
def io():
    return PyarrowDatasetIO()


@pytest.fixture
def target(tmp_path, io):
    path = tmp_path / "ds"
    io.write_dataset(pa.table({"id": [1, 2, 3], "name": ["a", "b", "c"]}), str(path))
    return path


def test_polars_frame_is_a_merge_source(io, target):
    frame = pl.DataFrame({"id": [2, 5], "name": ["B", "x"]})
    sent = pa.RecordBatchReader.from_stream(frame).schema  # what polars sends
    assert sent.field("name").type == pa.string_view()
    result = io.merge(frame, str(target), "upsert", ["id"])
    assert (result.inserted, result.updated) == (1, 1)
    assert _rows(target) == [(1, "a"), (2, "B"), (3, "c"), (5, "x")]


def test_dataset_written_from_polars_is_mergeable(tmp_path, io):
    path = tmp_path / "from_polars"
    io.write_dataset(pl.DataFrame({"id": [1, 2], "name": ["a", "b"]}), str(path))
    io.merge(pl.DataFrame({"id": [2, 3], "name": ["B", "c"]}), str(path), "upsert", ["id"])
    io.merge(pa.table({"id": [1], "name": ["A"]}), str(path), "update", ["id"])
    assert _rows(path) == [(1, "A"), (2, "B"), (3, "c")]
    # Stored as plain strings: readers that lack view types read it too.
    assert ds.dataset(str(path)).schema.field("name").type == pa.string()


def test_target_file_carrying_view_types_is_rewritten(tmp_path, io):
    """A file written by another tool with string_view in its Arrow schema."""
    path = tmp_path / "views"
    path.mkdir()
    table = pa.table({"id": pa.array([1, 2], pa.int64()),
                      "name": pa.array(["a", "b"], pa.string_view()),
                      "tags": pa.array([[1], [2, 3]], pa.list_view(pa.int64()))})
    pq.write_table(table, path / "part-0.parquet")
    assert pq.read_schema(path / "part-0.parquet").field("name").type == pa.string_view()
    source = pa.table({"id": [2], "name": ["B"], "tags": pa.array([[9]], pa.list_view(pa.int64()))})
    result = io.merge(source, str(path), "upsert", ["id"])
    assert result.updated == 1
    assert _rows(path, ("id", "name", "tags")) == [(1, "a", [1]), (2, "B", [9])]


def test_polars_frame_is_a_write_source(tmp_path, io):
    frame = pl.DataFrame({"id": [1, 2], "name": ["a", "b"], "tags": [["x"], ["y", "z"]]})
    io.write_parquet(frame, str(tmp_path / "one.parquet"))
    back = io.read_parquet(str(tmp_path / "one.parquet"))
    assert back.to_pydict() == {"id": [1, 2], "name": ["a", "b"], "tags": [["x"], ["y", "z"]]}


def test_duckdb_results_are_merge_sources(io, target):
    relation = duckdb.sql("SELECT 3::BIGINT AS id, 'C' AS name UNION ALL SELECT 7, 'g'")
    io.merge(relation.arrow(), str(target), "upsert", ["id"])
    io.merge(duckdb.sql("SELECT 1::INTEGER AS id, 'A' AS name"), str(target), "update", ["id"])
    assert _rows(target) == [(1, "A"), (2, "b"), (3, "C"), (7, "g")]


def test_polars_source_in_memory_merge():
    from fsspeckit.datasets.pyarrow.dataset import merge_upsert_pyarrow

    existing = pa.table({"id": [1, 2], "name": ["a", "b"]})
    result = merge_upsert_pyarrow(existing, pl.DataFrame({"id": [2], "name": ["B"]}), ["id"])
    assert result.schema == existing.schema
    assert result.to_pydict() == {"id": [1, 2], "name": ["a", "B"]}
