"""Datasets as they are found (issue 13 cases 3-6 and 8, issue 11 case 4): the dataset's
schema and partitioning win, one file-discovery rule, hive nulls, symbolic links."""

import os

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.fs as pafs
import pyarrow.parquet as pq
import pytest

from fsspeckit.datasets.pyarrow import PyarrowDatasetIO
from fsspeckit.datasets.pyarrow.dataset import process_in_chunks


def data_files(path):
    """Every data file below `path` as a reader sees it (hidden names left out)."""
    out = []
    for root, dirs, files in os.walk(path):
        dirs[:] = [d for d in dirs if not d.startswith(("_", "."))]
        out += [os.path.join(root, f) for f in files if not f.startswith(("_", "."))]
    return sorted(out)


def snapshot(path):
    return {f: open(f, "rb").read() for f in data_files(path)}


def by_id(table):
    return sorted(table.to_pylist(), key=lambda r: r["id"])


# Case 3: the dataset's schema wins.

def test_a_source_column_of_another_kind_is_refused_before_anything_is_written(tmp_path):
    io = PyarrowDatasetIO()
    io.write_dataset(pa.table({"id": [1, 2], "s": ["a", "b"]}), str(tmp_path))
    before = snapshot(tmp_path)
    with pytest.raises(TypeError, match=r"source column 's' is int64, the dataset's is string"):
        io.merge(pa.table({"id": [2, 3], "s": [5, 6]}), str(tmp_path), "upsert", ["id"])
    assert snapshot(tmp_path) == before


def test_narrower_source_types_are_written_in_the_dataset_types(tmp_path):
    io = PyarrowDatasetIO()
    io.write_dataset(pa.table({"id": pa.array([1, 2], pa.int64()), "v": [1.5, 2.5]}), str(tmp_path))
    source = pa.table({"id": pa.array([2, 3], pa.int32()), "v": pa.array([7, 8], pa.int32())})
    result = io.merge(source, str(tmp_path), "upsert", ["id"])
    for path in data_files(tmp_path):
        assert pq.read_schema(path).field("id").type == pa.int64(), path
        assert pq.read_schema(path).field("v").type == pa.float64(), path
    assert result.inserted == 1 and result.updated == 1
    assert by_id(io.read_parquet(str(tmp_path))) == [
        {"id": 1, "v": 1.5}, {"id": 2, "v": 7.0}, {"id": 3, "v": 8.0}]


def test_a_value_that_does_not_fit_the_dataset_type_is_refused(tmp_path):
    io = PyarrowDatasetIO()
    io.write_dataset(pa.table({"id": pa.array([1], pa.int64()), "n": pa.array([1], pa.int8())}),
                     str(tmp_path))
    before = snapshot(tmp_path)
    with pytest.raises(TypeError, match=r"source column 'n' is int64, the dataset's is int8"):
        io.merge(pa.table({"id": [2], "n": [1000]}), str(tmp_path), "upsert", ["id"])
    assert snapshot(tmp_path) == before


def test_a_missing_column_is_null_in_the_source_rows_and_kept_elsewhere(tmp_path):
    io = PyarrowDatasetIO()
    io.write_dataset(pa.table({"id": [1, 2], "s": ["a", "b"], "v": [1.0, 2.0]}), str(tmp_path))
    io.merge(pa.table({"id": [2, 3], "s": ["B", "C"]}), str(tmp_path), "upsert", ["id"])
    for path in data_files(tmp_path):  # every file, inserted ones included, keeps the column
        assert pq.read_schema(path).names == ["id", "s", "v"], path
    assert by_id(io.read_parquet(str(tmp_path))) == [
        {"id": 1, "s": "a", "v": 1.0},      # untouched row keeps its value
        {"id": 2, "s": "B", "v": None},     # the source row replaces the whole row
        {"id": 3, "s": "C", "v": None}]


def test_a_column_the_dataset_lacks_is_refused(tmp_path):
    io = PyarrowDatasetIO()
    io.write_dataset(pa.table({"id": [1], "s": ["a"]}), str(tmp_path))
    before = snapshot(tmp_path)
    with pytest.raises(ValueError, match=r"source column\(s\) extra are not in the dataset, "
                                         r"whose columns are: id, s\. A merge writes"):
        io.merge(pa.table({"id": [2], "s": ["b"], "extra": [1]}), str(tmp_path), "upsert", "id")
    assert snapshot(tmp_path) == before


def test_files_that_drifted_are_rewritten_in_the_unified_schema(tmp_path):
    pq.write_table(pa.table({"id": pa.array([1, 2], pa.int32()), "s": ["a", "b"]}),
                   tmp_path / "a.parquet")
    pq.write_table(pa.table({"id": pa.array([3], pa.int64()), "s": ["c"]}), tmp_path / "b.parquet")
    result = PyarrowDatasetIO().merge(pa.table({"id": [1], "s": ["A"]}), str(tmp_path), "update",
                                      "id")
    [rewritten] = result.rewritten_files  # a.parquet's rows, under a new name
    assert pq.read_schema(rewritten).field("id").type == pa.int64()


def test_readers_see_the_same_unified_schema_as_merges(tmp_path):
    # Files left by an older merge: the first lacks `v` and holds int32 ids.
    pq.write_table(pa.table({"id": pa.array([1], pa.int32())}), tmp_path / "a.parquet")
    pq.write_table(pa.table({"id": pa.array([2], pa.int64()), "v": [2.0]}), tmp_path / "b.parquet")
    expected = pa.table({"id": pa.array([1, 2], pa.int64()), "v": [None, 2.0]})
    assert PyarrowDatasetIO().read_parquet(str(tmp_path)).sort_by("id").equals(expected)
    assert pa.concat_tables(process_in_chunks(str(tmp_path))).sort_by("id").equals(expected)


def test_files_that_disagree_beyond_a_safe_cast_are_refused(tmp_path):
    pq.write_table(pa.table({"id": [1], "s": ["a"]}), tmp_path / "a.parquet")
    pq.write_table(pa.table({"id": [2], "s": [5]}), tmp_path / "b.parquet")
    before = snapshot(tmp_path)
    with pytest.raises(ValueError, match=r"files disagree on column 's'"):
        PyarrowDatasetIO().merge(pa.table({"id": [1], "s": ["A"]}), str(tmp_path), "upsert", "id")
    assert snapshot(tmp_path) == before


# Case 4: the dataset's partitioning is detected.

def test_a_merge_without_partition_columns_follows_the_hive_folders(tmp_path):
    io = PyarrowDatasetIO()
    io.write_dataset(pa.table({"id": [1, 2], "region": ["eu", "us"]}), str(tmp_path),
                     partition_by="region")
    io.merge(pa.table({"id": [2, 3], "region": ["us", "eu"]}), str(tmp_path), "upsert", ["id"])
    assert all("region=" in os.path.relpath(p, tmp_path) for p in data_files(tmp_path))
    expected = [{"id": 1, "region": "eu"}, {"id": 2, "region": "us"}, {"id": 3, "region": "eu"}]
    assert by_id(io.read_parquet(str(tmp_path))) == expected
    assert by_id(pa.concat_tables(process_in_chunks(str(tmp_path)))) == expected
    io.merge(pa.table({"id": [4], "region": ["us"]}), str(tmp_path), "upsert", ["id"],
             partition_columns=["region"])  # still mergeable with the columns named
    assert len(io.read_parquet(str(tmp_path))) == 4


def test_a_detected_partition_is_checked_even_when_not_named(tmp_path):
    io = PyarrowDatasetIO()
    io.write_dataset(pa.table({"id": [1], "region": ["eu"]}), str(tmp_path), partition_by="region")
    before = snapshot(tmp_path)
    with pytest.raises(ValueError, match="partition column values cannot change"):
        io.merge(pa.table({"id": [1], "region": ["us"]}), str(tmp_path), "upsert", ["id"])
    with pytest.raises(ValueError, match="partitioned by 'region'.*which the source lacks"):
        io.merge(pa.table({"id": [1]}), str(tmp_path), "upsert", ["id"])
    assert snapshot(tmp_path) == before


def test_a_dataset_broken_by_a_root_insert_is_refused_not_broken_further(tmp_path):
    # What the old merge left: new rows at the root with `region` inside the file.
    os.makedirs(tmp_path / "region=eu")
    pq.write_table(pa.table({"id": [1]}), tmp_path / "region=eu" / "a.parquet")
    pq.write_table(pa.table({"id": [2], "region": ["us"]}), tmp_path / "b.parquet")
    before = snapshot(tmp_path)
    for partition_columns in (None, ["region"]):
        with pytest.raises(ValueError, match="has no one partitioning"):
            PyarrowDatasetIO().merge(pa.table({"id": [3], "region": ["eu"]}), str(tmp_path),
                                     "upsert", ["id"], partition_columns=partition_columns)
    assert snapshot(tmp_path) == before


def test_partition_columns_that_contradict_the_dataset_are_refused(tmp_path):
    io = PyarrowDatasetIO()
    io.write_dataset(pa.table({"id": [1], "region": ["eu"], "day": ["d1"]}), str(tmp_path),
                     partition_by="region")
    before = snapshot(tmp_path)
    with pytest.raises(ValueError, match="partition_columns names 'shard', which is neither"):
        io.merge(pa.table({"id": [2], "region": ["eu"], "day": ["d2"], "shard": [1]}),
                 str(tmp_path), "insert", ["id"], partition_columns=["shard"])
    assert snapshot(tmp_path) == before


# Issue 11 case 4: partition columns stored in the files.

def test_partition_columns_stored_in_the_files_are_checked_by_the_same_rule(tmp_path):
    io = PyarrowDatasetIO()
    io.write_dataset(pa.table({"id": [1, 2], "region": ["eu", "us"]}), str(tmp_path))
    io.merge(pa.table({"id": [2, 3], "region": ["us", "eu"]}), str(tmp_path), "upsert", ["id"],
             partition_columns=["region"])
    assert not any("region=" in p for p in data_files(tmp_path))  # the flat layout is kept
    assert by_id(io.read_parquet(str(tmp_path))) == [
        {"id": 1, "region": "eu"}, {"id": 2, "region": "us"}, {"id": 3, "region": "eu"}]
    before = snapshot(tmp_path)
    with pytest.raises(ValueError, match="partition column values cannot change.*region"):
        io.merge(pa.table({"id": [1], "region": ["us"]}), str(tmp_path), "upsert", ["id"],
                 partition_columns=["region"])
    assert snapshot(tmp_path) == before


# Case 5: one file-discovery rule.

def test_files_without_a_parquet_extension_are_merged_into(tmp_path):
    pq.write_table(pa.table({"id": [1, 2], "s": ["a", "b"]}), tmp_path / "part-00000")
    (tmp_path / "_SUCCESS").write_text("")
    io = PyarrowDatasetIO()
    assert len(io.read_parquet(str(tmp_path))) == 2
    result = io.merge(pa.table({"id": [2], "s": ["B"]}), str(tmp_path), "upsert", ["id"])
    assert result.updated == 1 and result.inserted == 0
    assert by_id(io.read_parquet(str(tmp_path))) == [{"id": 1, "s": "a"}, {"id": 2, "s": "B"}]
    assert by_id(pa.concat_tables(process_in_chunks(str(tmp_path)))) == [
        {"id": 1, "s": "a"}, {"id": 2, "s": "B"}]


def test_an_overwrite_replaces_files_without_an_extension(tmp_path):
    pq.write_table(pa.table({"id": [1]}), tmp_path / "part-00000")
    io = PyarrowDatasetIO()
    io.write_dataset(pa.table({"id": [7]}), str(tmp_path), mode="overwrite")
    assert io.read_parquet(str(tmp_path)).to_pylist() == [{"id": 7}]


# Case 6: hive null and empty values round-trip as pyarrow's reader and writer have them.

def test_hive_null_and_empty_values_round_trip_like_pyarrow(tmp_path):
    io = PyarrowDatasetIO()
    table = pa.table({"id": [1, 2, 3], "region": ["a", "", None]})
    io.write_dataset(table, str(tmp_path / "ours"), partition_by="region")
    pq.write_to_dataset(table, str(tmp_path / "theirs"), partition_cols=["region"])
    folders = lambda p: sorted(os.listdir(p))
    assert folders(tmp_path / "ours") == folders(tmp_path / "theirs")
    expected = by_id(ds.dataset(str(tmp_path / "theirs"), partitioning="hive").to_table())
    assert expected == [{"id": 1, "region": "a"}, {"id": 2, "region": ""},
                        {"id": 3, "region": None}]
    for folder in ("ours", "theirs"):
        path = str(tmp_path / folder)
        assert by_id(io.read_parquet(path)) == expected
        assert by_id(pa.concat_tables(process_in_chunks(path))) == expected
    # Keys in the '' and null partitions are found and stay there; new ones land beside them.
    path = str(tmp_path / "theirs")
    result = io.merge(pa.table({"id": [2, 3, 4, 5], "region": ["", None, "", None]}), path,
                      "upsert", ["id"])
    assert result.updated == 2 and result.inserted == 2
    assert folders(path) == folders(tmp_path / "ours")
    assert by_id(ds.dataset(path, partitioning="hive").to_table()) == [
        {"id": 1, "region": "a"}, {"id": 2, "region": ""}, {"id": 3, "region": None},
        {"id": 4, "region": ""}, {"id": 5, "region": None}]


# Case 8: writes never leave the dataset root.

def test_a_symlink_out_of_the_dataset_is_refused_by_writers(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    pq.write_table(pa.table({"id": [1], "s": ["a"]}), outside / "x.parquet")
    dataset = tmp_path / "ds"
    dataset.mkdir()
    pq.write_table(pa.table({"id": [2], "s": ["b"]}), dataset / "y.parquet")
    os.symlink(outside, dataset / "linked")
    io = PyarrowDatasetIO()
    assert len(io.read_parquet(str(dataset))) == 2  # reads follow links, as pyarrow does
    before = (outside / "x.parquet").read_bytes()
    with pytest.raises(ValueError, match="symbolic link .* outside the dataset"):
        io.merge(pa.table({"id": [1], "s": ["A"]}), str(dataset), "upsert", ["id"])
    with pytest.raises(ValueError, match="symbolic link .* outside the dataset"):
        io.write_dataset(pa.table({"id": [3], "s": ["c"]}), str(dataset), mode="overwrite")
    assert (outside / "x.parquet").read_bytes() == before
    assert sorted(os.listdir(outside)) == ["x.parquet"]


# The same rules on an object store (loopback S3 server).

def test_partitioning_schema_and_discovery_on_s3(s3):
    fs, bucket = s3
    io = PyarrowDatasetIO(fs)
    io.write_dataset(pa.table({"id": pa.array([1, 2], pa.int64()), "region": ["eu", ""],
                               "v": [1.0, 2.0]}), f"{bucket}/ds", partition_by="region")
    pq.write_table(pa.table({"id": pa.array([3], pa.int64()), "v": [3.0]}),
                   f"{bucket}/ds/region=eu/part-00000", filesystem=fs)
    source = pa.table({"id": pa.array([3, 4], pa.int32()), "region": ["eu", ""]})  # no `v`
    result = io.merge(source, f"s3://{bucket}/ds", "upsert", "id")
    assert (result.updated, result.inserted) == (1, 1)
    files = [i.path for i in fs.get_file_info(pafs.FileSelector(f"{bucket}/ds", recursive=True))
             if i.is_file and "/_" not in i.path]
    assert all("/region=" in path for path in files)
    for path in files:
        assert pq.read_schema(path, filesystem=fs).names == ["id", "v"], path
        assert pq.read_schema(path, filesystem=fs).field("id").type == pa.int64(), path
    assert by_id(io.read_parquet(f"{bucket}/ds")) == [
        {"id": 1, "v": 1.0, "region": "eu"}, {"id": 2, "v": 2.0, "region": ""},
        {"id": 3, "v": None, "region": "eu"}, {"id": 4, "v": None, "region": ""}]
