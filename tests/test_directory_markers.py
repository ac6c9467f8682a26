"""Directory markers (zero-byte "dir/" keys, Hadoop's "*_$folder$" keys) are never data:
a dataset pyarrow's S3FileSystem wrote (it creates "region=eu/" markers, as the S3
console, Spark and Hadoop do) reads, scans, merges, appends and recovers through s3fs and
through pyarrow alike; so do datasets holding "_$folder$" keys, on S3 and on local disk."""

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.fs as pafs
import pytest

from fsspeckit.datasets.pyarrow import PyarrowDatasetIO
from fsspeckit.datasets.pyarrow.dataset import process_in_chunks


def rows(ids, name):
    ids = list(ids)
    return pa.table({"id": pa.array(ids, pa.int64()), "name": [name] * len(ids),
                     "region": ["eu" if i % 2 else "us" for i in ids]})


def state(table):
    return sorted(zip(table["id"].to_pylist(), table["name"].to_pylist(),
                      table["region"].to_pylist()))


def s3fs_for(endpoint):
    import s3fs
    return s3fs.S3FileSystem(key="testing", secret="testing", skip_instance_cache=True,
                             client_kwargs={"endpoint_url": f"http://{endpoint}",
                                            "region_name": "us-east-1"})


def keys(endpoint, bucket, prefix):
    """The bucket's keys as S3 stores them (markers included), via botocore."""
    import botocore.session
    client = botocore.session.get_session().create_client(
        "s3", endpoint_url=f"http://{endpoint}", aws_access_key_id="testing",
        aws_secret_access_key="testing", region_name="us-east-1")
    listed = client.list_objects_v2(Bucket=bucket, Prefix=prefix)
    return sorted(o["Key"] for o in listed.get("Contents", []))


def write_with_pyarrow(fs, path, table):
    ds.write_dataset(table, path, filesystem=fs, format="parquet", partitioning=["region"],
                     partitioning_flavor="hive", basename_template="part-{i}.parquet")


@pytest.mark.parametrize("client", ["s3fs", "pyarrow"])
def test_a_dataset_with_marker_objects_reads_and_merges_through_both_clients(
        s3, s3_endpoint, client):
    fs, bucket = s3
    path = f"{bucket}/marked-{client}"
    write_with_pyarrow(fs, path, rows(range(20), "old"))
    markers = [k for k in keys(s3_endpoint, bucket, f"marked-{client}") if k.endswith("/")]
    assert f"marked-{client}/region=eu/" in markers  # what the issue met
    io = PyarrowDatasetIO(s3fs_for(s3_endpoint) if client == "s3fs" else fs)

    expected = state(rows(range(20), "old"))
    assert state(io.read_parquet(path)) == expected
    result = io.merge(rows([1, 2, 100, 101], "new"), path, "upsert", "id")
    assert (result.updated, result.inserted) == (2, 2)
    expected = sorted({r[0]: r for r in expected + state(rows([1, 2, 100, 101], "new"))}.values())
    assert state(io.read_parquet(path)) == expected
    io.write_dataset(rows([200, 201], "appended"), path, partition_by="region")
    expected = sorted(expected + state(rows([200, 201], "appended")))
    assert state(io.read_parquet(path)) == expected
    assert io.recover(path) is False
    # pyarrow's own reader agrees (it sees the markers as folders)
    assert state(ds.dataset(path, filesystem=fs, partitioning="hive").to_table()) == expected


def test_hadoop_folder_keys_are_skipped_on_s3_by_every_operation(s3, s3_endpoint, monkeypatch):
    fs, bucket = s3
    path = f"{bucket}/hadoop"
    write_with_pyarrow(fs, path, rows(range(10), "old"))
    for marker in ("region=eu_$folder$", "region=us/nested_$folder$", "_$folder$"):
        with fs.open_output_stream(f"{path}/{marker}") as out:
            out.write(b"")
    with fs.open_output_stream(f"{bucket}/hadoop_$folder$") as out:  # beside the folder
        out.write(b"")
    expected = state(rows(range(10), "old"))
    for filesystem in (fs, s3fs_for(s3_endpoint)):
        assert state(PyarrowDatasetIO(filesystem).read_parquet(path)) == expected
    uri = (f"s3://{path}?endpoint_override={s3_endpoint}&scheme=http&region=us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    chunks = list(process_in_chunks(uri, chunk_size_rows=4, enable_progress=False))
    assert state(pa.concat_tables(chunks)) == expected
    for filesystem, new in ((fs, 50), (s3fs_for(s3_endpoint), 51)):
        io = PyarrowDatasetIO(filesystem)
        result = io.merge(rows([3, new], "new"), path, "upsert", "id")
        assert (result.updated, result.inserted) == (1, 1)
    expected = sorted({r[0]: r for r in expected + state(rows([3, 50, 51], "new"))}.values())
    assert state(PyarrowDatasetIO(fs).read_parquet(path)) == expected
    assert "hadoop/region=eu_$folder$" in keys(s3_endpoint, bucket, "hadoop")


def test_hadoop_folder_files_are_skipped_on_local_disk(tmp_path):
    io = PyarrowDatasetIO()
    io.write_dataset(rows(range(10), "old"), str(tmp_path), partition_by="region")
    (tmp_path / "region=eu_$folder$").write_bytes(b"")
    (tmp_path / "region=us" / "x_$folder$").write_bytes(b"")
    expected = state(rows(range(10), "old"))
    assert state(io.read_parquet(str(tmp_path))) == expected
    assert state(pa.concat_tables(process_in_chunks(str(tmp_path), enable_progress=False))) == expected
    io.merge(rows([4, 40], "new"), str(tmp_path), "upsert", "id")
    expected = sorted({r[0]: r for r in expected + state(rows([4, 40], "new"))}.values())
    assert state(io.read_parquet(str(tmp_path))) == expected
    io.write_dataset(rows([41], "more"), str(tmp_path), mode="overwrite", partition_by="region")
    assert state(io.read_parquet(str(tmp_path))) == state(rows([41], "more"))
    assert (tmp_path / "region=eu_$folder$").exists()  # never data, so never deleted either
