"""PyarrowDatasetIO on real filesystems: local, pyarrow, fsspec (memory, local), S3 (moto)."""

import os
from pathlib import Path

import fsspec
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.fs as pafs
import pyarrow.parquet as pq
import pytest

import fsspeckit.datasets as datasets
from fsspeckit.datasets import FileWriteMetadata, WriteDatasetResult
from fsspeckit.datasets.pyarrow import DatasetPathError, PyarrowDatasetIO


def table(n=100, start=0):
    ids = list(range(start, start + n))
    return pa.table({"id": pa.array(ids, pa.int64()),
                     "value": pa.array([i * 1.5 for i in ids]),
                     "day": pa.array([f"2025-01-0{1 + i % 3}" for i in ids])})


def parquet_files(root):
    """Every file below root but the lock file writers keep (hidden, never data)."""
    return sorted(str(p.relative_to(root)) for p in Path(root).rglob("*")
                  if p.is_file() and p.name != "_fsspeckit_merge.lock")


def test_import_paths_and_context_manager():
    assert datasets.PyarrowDatasetIO is PyarrowDatasetIO
    with PyarrowDatasetIO() as io:
        assert io.filesystem is None
    local = pafs.LocalFileSystem()
    assert PyarrowDatasetIO(local).filesystem is local
    with pytest.raises(TypeError, match="filesystem must be None, a pyarrow.fs.FileSystem"):
        PyarrowDatasetIO(filesystem="s3")


def test_the_old_handler_name_is_a_deprecated_alias():
    with pytest.warns(DeprecationWarning, match="use PyarrowDatasetIO"):
        from fsspeckit.datasets import PyarrowDatasetHandler
    assert PyarrowDatasetHandler is PyarrowDatasetIO
    with pytest.raises(AttributeError, match="NoSuchThing"):
        datasets.NoSuchThing


def test_write_and_read_parquet_file(tmp_path):
    io = PyarrowDatasetIO()
    path = tmp_path / "nested" / "data.parquet"
    io.write_parquet(table(1000), str(path), compression="zstd", row_group_size=300)
    metadata = pq.ParquetFile(path).metadata
    assert metadata.num_row_groups == 4
    assert metadata.row_group(0).column(0).compression == "ZSTD"
    assert io.read_parquet(str(path)).equals(table(1000))
    assert io.read_parquet(str(path), columns=["value", "id"]).column_names == ["value", "id"]
    io.write_parquet(table(10), str(path), compression=None)
    assert pq.ParquetFile(path).metadata.row_group(0).column(0).compression == "UNCOMPRESSED"
    assert parquet_files(tmp_path) == ["nested/data.parquet"]  # no temporary files left


def test_filters_dnf_and_expressions(tmp_path):
    io = PyarrowDatasetIO()
    io.write_dataset(table(100), str(tmp_path / "ds"))
    read = lambda f: sorted(io.read_parquet(str(tmp_path / "ds"), filters=f)["id"].to_pylist())
    assert read([("id", ">=", 95)]) == [95, 96, 97, 98, 99]
    assert read([("id", "<", 3), ("day", "=", "2025-01-02")]) == [1]
    assert read([[("id", "==", 0)], [("id", "in", {98, 99})]]) == [0, 98, 99]
    assert read(pc.field("id") < 2) == [0, 1]
    with pytest.raises(ValueError, match="Unsupported filter operator: 'not in'"):
        read([("id", "not in", [1])])
    assert read("id > 97") == [98, 99]  # SQL text: tests/test_sql_filters.py


def test_write_dataset_append_never_overwrites(tmp_path):
    io = PyarrowDatasetIO()
    first = io.write_dataset(table(1000), str(tmp_path), max_rows_per_file=400, row_group_size=100)
    second = io.write_dataset(table(5, start=1000), str(tmp_path))
    assert isinstance(first, WriteDatasetResult) and first.mode == "append"
    assert first.total_rows == 1000 and [f.row_count for f in first.files] == [400, 400, 200]
    for f in first.files + second.files:
        assert isinstance(f, FileWriteMetadata)
        assert os.path.getsize(f.path) == f.size_bytes
        assert pq.ParquetFile(f.path).metadata.num_rows == f.row_count
    assert pq.ParquetFile(first.files[0].path).metadata.num_row_groups == 4
    in_file_order = [i for f in first.files for i in pq.read_table(f.path)["id"].to_pylist()]
    assert in_file_order == list(range(1000))  # row order kept across and within files
    assert len(parquet_files(tmp_path)) == 4
    assert io.read_parquet(str(tmp_path)).num_rows == 1005
    assert set(first.to_dict()) == {"files", "total_rows", "mode", "backend"}
    assert set(first.to_dict()["files"][0]) == {"path", "row_count", "size_bytes", "metadata"}

    io.write_dataset(table(1), str(tmp_path), basename_template="fixed-{i}.parquet")
    with pytest.raises(OSError, match="appends never overwrite"):
        io.write_dataset(table(1), str(tmp_path), basename_template="fixed-{i}.parquet")
    assert len(parquet_files(tmp_path)) == 5


def test_write_dataset_overwrite_is_safe(tmp_path):
    io = PyarrowDatasetIO()
    io.write_dataset(table(30), str(tmp_path))
    (tmp_path / "_SUCCESS").write_text("")

    def failing_batches():
        yield from table(10).to_batches()
        raise RuntimeError("source failed midway")

    reader = pa.RecordBatchReader.from_batches(table(1).schema, failing_batches())
    with pytest.raises(Exception, match="source failed midway"):
        io.write_dataset(reader, str(tmp_path), mode="overwrite")
    assert io.read_parquet(str(tmp_path)).num_rows == 30  # old data intact
    assert len(parquet_files(tmp_path)) == 2  # old file + _SUCCESS; no staging left behind
    result = io.write_dataset(table(7, start=500), str(tmp_path), mode="overwrite")
    assert result.mode == "overwrite"
    assert sorted(io.read_parquet(str(tmp_path))["id"].to_pylist()) == list(range(500, 507))
    assert "_SUCCESS" in parquet_files(tmp_path)  # non-parquet files are kept


def test_partitioning_and_schema(tmp_path):
    io = PyarrowDatasetIO()
    io.write_dataset(table(9), str(tmp_path / "hive"), partition_by="day")
    assert sorted(os.listdir(tmp_path / "hive")) == ["day=2025-01-01", "day=2025-01-02",
                                                      "day=2025-01-03"]
    back = io.read_parquet(str(tmp_path / "hive"))
    assert sorted(back["day"].to_pylist()) == sorted(table(9)["day"].to_pylist())
    io.write_dataset(table(9), str(tmp_path / "dir"), partition_by=["day"],
                     partitioning_flavor="directory")
    assert "2025-01-01" in os.listdir(tmp_path / "dir")

    schema = pa.schema([("id", pa.float64()), ("extra", pa.string())])
    io.write_dataset(table(3), str(tmp_path / "cast"), schema=schema)
    cast = io.read_parquet(str(tmp_path / "cast"))
    assert cast.schema.field("id").type == pa.float64()
    assert cast["extra"].null_count == 3
    with pytest.raises(TypeError, match="cannot cast column 'day'"):
        io.write_dataset(table(3), str(tmp_path / "bad"),
                         schema=pa.schema([("day", pa.list_(pa.int32()))]))
    with pytest.raises(ValueError, match="cannot cast column 'day' from string to int64"):
        io.write_dataset(table(3), str(tmp_path / "bad2"), schema=pa.schema([("day", pa.int64())]))
    assert not (tmp_path / "bad2").exists() or parquet_files(tmp_path / "bad2") == []


def test_every_input_kind_streams(tmp_path):
    io = PyarrowDatasetIO()

    class Producer:  # any object with __arrow_c_stream__, as polars and pandas offer
        def __arrow_c_stream__(self, requested_schema=None):
            return table(4).__arrow_c_stream__(requested_schema)

    inputs = [table(4), [table(2), table(2, start=2)], table(4).to_reader(), Producer()]
    for i, data in enumerate(inputs):
        result = io.write_dataset(data, str(tmp_path / str(i)))
        assert result.total_rows == 4
        assert sorted(io.read_parquet(str(tmp_path / str(i)))["id"].to_pylist()) == [0, 1, 2, 3]
    with pytest.raises(TypeError, match="expected Arrow data"):
        io.write_dataset({"id": [1]}, str(tmp_path / "dict"))


@pytest.mark.parametrize("call, message", [
    (lambda io, p: io.write_dataset(table(1), p, mode="replace"),
     "mode must be 'append' or 'overwrite', got: replace"),
    (lambda io, p: io.write_dataset(table(1), p, max_rows_per_file=0), "max_rows_per_file must be > 0"),
    (lambda io, p: io.write_dataset(table(1), p, row_group_size=-1), "row_group_size must be > 0"),
    (lambda io, p: io.write_dataset(table(1), p, compression="rar"),
     "Invalid compression codec: 'rar'. Must be one of: brotli, gzip, lz4, snappy, uncompressed, zstd"),
    (lambda io, p: io.write_parquet(table(1), p + "/f.parquet", compression=""),
     "Compression codec must be a non-empty string"),
    (lambda io, p: io.write_dataset(table(1), p, partition_by="nope"),
     "partition_by column 'nope' is not in the data"),
    (lambda io, p: io.write_dataset([], p), "data is an empty list"),
])
def test_bad_arguments_are_value_errors(tmp_path, call, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        call(PyarrowDatasetIO(), str(tmp_path / "x"))
    assert not (tmp_path / "x").exists() or parquet_files(tmp_path / "x") == []


def test_path_errors(tmp_path):
    io = PyarrowDatasetIO()
    with pytest.raises(DatasetPathError, match="Dataset path does not exist: .*missing"):
        io.read_parquet(str(tmp_path / "missing"))
    with pytest.raises(OSError):  # DatasetPathError is an OSError too
        io.read_parquet(str(tmp_path / "missing"))
    with pytest.raises(DatasetPathError, match="Unsupported protocol: ftp"):
        io.read_parquet("ftp://example/data")
    with pytest.raises(DatasetPathError, match="Path cannot be empty"):
        io.read_parquet("  ")
    with pytest.raises(KeyError, match="column 'nope' is not in the dataset"):
        io.write_parquet(table(1), str(tmp_path / "f.parquet"))
        io.read_parquet(str(tmp_path / "f.parquet"), columns=["nope"])
    corrupt = tmp_path / "ds" / "corrupt.parquet"
    corrupt.parent.mkdir()
    corrupt.write_bytes(b"PAR1 not really")
    with pytest.raises(OSError, match="corrupt.parquet"):
        io.read_parquet(str(tmp_path / "ds"))


def test_relative_paths_and_file_uris(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    io = PyarrowDatasetIO()
    io.write_dataset(table(3), "rel")
    assert io.read_parquet("rel").num_rows == 3
    assert io.read_parquet(f"file://{tmp_path}/rel").num_rows == 3


@pytest.mark.parametrize("make_fs", [
    lambda: pafs.LocalFileSystem(),
    lambda: fsspec.filesystem("file"),
], ids=["pyarrow-local", "fsspec-local"])
def test_local_filesystem_objects(tmp_path, make_fs):
    io = PyarrowDatasetIO(make_fs())
    io.write_dataset(table(10), str(tmp_path / "ds"), partition_by="day")
    io.write_parquet(table(5), str(tmp_path / "one.parquet"))
    assert io.read_parquet(str(tmp_path / "ds")).num_rows == 10
    assert io.read_parquet(str(tmp_path / "one.parquet"), filters=[("id", ">", 2)]).num_rows == 2


def test_fsspec_memory_filesystem():
    memory = fsspec.filesystem("memory")
    io = PyarrowDatasetIO(memory)
    # No atomic create there: writes declare that nothing else writes the dataset.
    result = io.write_dataset(table(50), "/bench/ds", partition_by="day", max_rows_per_file=10,
                              single_writer=True)
    assert result.total_rows == 50
    assert all(memory.exists(f.path) for f in result.files)
    assert not any("staging" in p for p in memory.find("/bench"))
    assert io.read_parquet("memory://bench/ds").num_rows == 50
    io.write_dataset(table(5), "/bench/ds", mode="overwrite", single_writer=True)
    assert io.read_parquet("/bench/ds").num_rows == 5


def test_s3_through_a_real_s3_server(s3, s3_endpoint):
    fs, bucket = s3
    io = PyarrowDatasetIO(fs)
    result = io.write_dataset(table(60), f"s3://{bucket}/ds", partition_by="day",
                              max_rows_per_file=15)
    assert result.total_rows == 60
    listed = [i.path for i in fs.get_file_info(pafs.FileSelector(f"{bucket}/ds", recursive=True))
              if i.type == pafs.FileType.File]
    assert sorted(listed) == sorted(f.path for f in result.files)
    assert io.read_parquet(f"{bucket}/ds").num_rows == 60
    io.write_parquet(table(6), f"{bucket}/one.parquet", compression="gzip")
    assert io.read_parquet(f"s3://{bucket}/one.parquet", columns=["id"]).num_rows == 6
    io.write_dataset(table(3), f"{bucket}/ds", mode="overwrite")
    assert io.read_parquet(f"{bucket}/ds").num_rows == 3
    # A URI alone (no filesystem object), with the endpoint in its query.
    uri = f"s3://{bucket}/one.parquet?endpoint_override={s3_endpoint}&scheme=http&region=us-east-1"
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    assert PyarrowDatasetIO().read_parquet(uri).num_rows == 6


def test_s3fs_filesystem_through_a_real_s3_server(s3, s3_endpoint):
    """An fsspec S3 filesystem (s3fs) against the same loopback S3 server."""
    import s3fs

    _, bucket = s3
    fs = s3fs.S3FileSystem(key="testing", secret="testing",
                           client_kwargs={"endpoint_url": f"http://{s3_endpoint}",
                                          "region_name": "us-east-1"})
    io = PyarrowDatasetIO(fs)
    result = io.write_dataset(table(30), f"s3://{bucket}/viafsspec", partition_by="day")
    assert result.total_rows == 30
    fs.invalidate_cache()
    assert io.read_parquet(f"{bucket}/viafsspec").num_rows == 30
    merged = io.merge(table(2, start=100), f"s3://{bucket}/viafsspec", "upsert", "id",
                      partition_columns="day")
    assert merged.inserted == 2
    fs.invalidate_cache()
    assert io.read_parquet(f"s3://{bucket}/viafsspec").num_rows == 32
