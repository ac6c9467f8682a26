"""Code written for the original fsspeckit's dataset handler runs unchanged (the
behaviours its own handler tests rely on, REFERENCE.md 5.1-5.5)."""

import pyarrow as pa
import pyarrow.compute as pc

import fsspeckit
from fsspeckit.datasets.pyarrow import PyarrowDatasetIO


def test_filesystem_factory_feeds_the_handler(tmp_path):
    fs = fsspeckit.filesystem("file")
    io = PyarrowDatasetIO(filesystem=fs)
    assert io.filesystem is fs
    io.write_dataset(pa.table({"id": [1, 2, 3, 4, 5], "event_date": ["d1"] * 3 + ["d2"] * 2}),
                     str(tmp_path / "ds"), partition_by="event_date")
    assert (tmp_path / "ds" / "event_date=d1").is_dir()  # hive folders by default
    assert io.read_parquet(str(tmp_path / "ds"), filters="id > 2")["id"].to_pylist() == [3, 4, 5]
    assert sorted(io.read_parquet(str(tmp_path / "ds"),
                                  filters=pc.field("id") < 3)["id"].to_pylist()) == [1, 2]


def test_context_manager_and_removed_methods():
    with PyarrowDatasetIO() as io:
        assert isinstance(io, PyarrowDatasetIO)
    for removed in ["write_parquet_dataset", "merge_parquet_dataset", "insert_dataset",
                    "upsert_dataset", "update_dataset", "deduplicate_dataset"]:
        assert not hasattr(io, removed)
