"""PyarrowDatasetIO.merge against an independent oracle, on real Parquet datasets."""

import math
import os
import random

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.fs as pafs
import pyarrow.parquet as pq
import pytest

from fsspeckit.core.incremental import MergeFileMetadata, MergeResult
from fsspeckit.datasets.pyarrow import PyarrowDatasetIO
from merge_oracle import expected_rows, sorted_rows


def read_rows(path, columns):
    table = ds.dataset(str(path), format="parquet", partitioning="hive").to_table()
    rows = table.to_pylist()
    return sorted_rows([{c: r.get(c) for c in columns} for r in rows], columns)


def make_target(path, rows, schema, partition_by=None, max_rows_per_file=4):
    io = PyarrowDatasetIO()
    io.write_dataset(pa.Table.from_pylist(rows, schema=schema), str(path),
                     partition_by=partition_by, max_rows_per_file=max_rows_per_file,
                     row_group_size=2)


SCHEMA = pa.schema([("id", pa.int64()), ("name", pa.string()), ("value", pa.float64())])
COLUMNS = ["id", "name", "value"]


def rows(ids, tag):
    return [{"id": i, "name": f"{tag}{i}", "value": float(i)} for i in ids]


@pytest.mark.parametrize("strategy", ["insert", "update", "upsert"])
def test_strategies_match_the_oracle(tmp_path, strategy):
    target = rows(range(0, 20), "old")
    source = rows([3, 7, 7, 25, 30, 19], "new")
    source[2]["name"] = "last-wins"
    make_target(tmp_path, target, SCHEMA)
    result = PyarrowDatasetIO().merge(pa.Table.from_pylist(source, schema=SCHEMA), str(tmp_path),
                                      strategy, ["id"])
    assert read_rows(tmp_path, COLUMNS) == expected_rows(target, source, ["id"], strategy, COLUMNS)
    assert isinstance(result, MergeResult) and result.strategy == strategy
    assert result.source_count == 5  # de-duplicated
    assert result.target_count_before == 20
    assert result.inserted == (2 if strategy != "update" else 0)
    assert result.updated == (3 if strategy != "insert" else 0)
    assert result.target_count_after == 20 + result.inserted
    assert all(isinstance(f, MergeFileMetadata) for f in result.files)
    if strategy == "insert":
        assert result.rewritten_files == []
    else:
        # Only files holding ids 3, 7 and 19 were rewritten (the two small ones side by side
        # holding 3 and 7 as one file); the others were not touched.
        assert len(result.rewritten_files) == 2
        assert len(result.preserved_files) == 2
    assert result.metrics["files_processed"] == len(result.rewritten_files)


def test_rewrites_keep_row_order_and_untouched_files(tmp_path):
    make_target(tmp_path, rows(range(12), "old"), SCHEMA)
    before = {p: os.stat(p).st_mtime_ns for p in map(str, tmp_path.rglob("*.parquet"))}
    result = PyarrowDatasetIO().merge(pa.Table.from_pylist(rows([5], "new"), schema=SCHEMA),
                                      str(tmp_path), "update", "id")
    [rewritten] = result.rewritten_files
    assert pq.read_table(rewritten)["id"].to_pylist() == [4, 5, 6, 7]  # in place, in order
    assert pq.read_table(rewritten)["name"].to_pylist() == ["old4", "new5", "old6", "old7"]
    for path in result.preserved_files:
        assert os.stat(path).st_mtime_ns == before[path]


def test_partitioned_upsert_writes_hive_inserts(tmp_path):
    schema = SCHEMA.append(pa.field("day", pa.string()))
    target = [dict(r, day=f"2025-01-0{1 + r['id'] % 2}") for r in rows(range(10), "old")]
    make_target(tmp_path, target, schema, partition_by="day")
    source = [dict(rows([2], "new")[0], day="2025-01-01"),
              dict(rows([100], "new")[0], day="2025-01-03")]
    result = PyarrowDatasetIO().merge(pa.Table.from_pylist(source, schema=schema), str(tmp_path),
                                      "upsert", ["id"], partition_columns=["day"])
    assert result.inserted == 1 and result.updated == 1
    assert [os.path.relpath(p, tmp_path).split(os.sep)[0] for p in result.inserted_files] == \
        ["day=2025-01-03"]
    cols = COLUMNS + ["day"]
    assert read_rows(tmp_path, cols) == expected_rows(target, source, ["id"], "upsert", cols)


def test_partition_value_change_is_refused_and_nothing_changes(tmp_path):
    schema = SCHEMA.append(pa.field("day", pa.string()))
    target = [dict(r, day="2025-01-01") for r in rows(range(4), "old")]
    make_target(tmp_path, target, schema, partition_by="day")
    snapshot = read_rows(tmp_path, COLUMNS + ["day"])
    source = pa.Table.from_pylist([dict(rows([1], "new")[0], day="2025-01-02")], schema=schema)
    with pytest.raises(ValueError, match="partition column values cannot change"):
        PyarrowDatasetIO().merge(source, str(tmp_path), "upsert", "id", partition_columns="day")
    assert read_rows(tmp_path, COLUMNS + ["day"]) == snapshot


def test_a_hive_file_whose_keys_fall_back_after_1024_rows_merges_exactly(tmp_path):
    # An appended run after 1,025 ascending keys (as joined small files leave a file): the
    # plan looks such keys up in a hash table, whose ids once differed from the sorted
    # source's, and refused the merge as a partition change (keys of "us" seen as "eu").
    ids = list(range(0, 2049, 2)) + list(range(2020, 2219, 2))
    folder = tmp_path / "region=us"
    folder.mkdir()
    pq.write_table(pa.table({"id": pa.array(ids, pa.int64()), "value": [-i for i in ids]}),
                   folder / "part-0.parquet")
    source_ids = [1557, 603, 512, 1396, 469, 1548, 313, 916, 334, 1092, 1494, 1210, 2188, 468,
                  1875, 1135, 441, 187, 1211, 50, 59, 375, 1693, 471, 163, 2220, 2221]
    source = pa.table({"id": pa.array(source_ids, pa.int64()),
                       "region": ["us" if i % 2 == 0 else "eu" for i in source_ids],
                       "value": source_ids})
    target = [{"id": i, "region": "us", "value": -i} for i in ids]
    result = PyarrowDatasetIO().merge(source, str(tmp_path), "upsert", "id")
    cols = ["id", "region", "value"]
    assert read_rows(tmp_path, cols) == expected_rows(target, source.to_pylist(), ["id"],
                                                      "upsert", cols)
    assert (result.updated, result.inserted) == (11, 16)  # the even ids are the file's


def test_an_update_into_a_file_whose_keys_fall_back_after_1024_rows_replaces_the_right_rows(tmp_path):
    # The same layout unpartitioned, as an update: the wrong ids once replaced key 334's
    # row with source key 313's (not in the dataset) and lost 334's update (09c24f1 and
    # before: rows lost and keys written that the update must not insert).
    ids = list(range(0, 2049, 2)) + list(range(2020, 2219, 2))
    pq.write_table(pa.table({"id": pa.array(ids, pa.int64()), "value": [-i for i in ids]}),
                   tmp_path / "part-0.parquet")
    source_ids = [1557, 603, 512, 1396, 469, 1548, 313, 916, 334, 1092, 1494, 1210, 2188, 468,
                  1875, 1135, 441, 187, 1211, 50, 59, 375, 1693, 471, 163, 2220, 2221]
    source = pa.table({"id": pa.array(source_ids, pa.int64()), "value": source_ids})
    target = [{"id": i, "value": -i} for i in ids]
    result = PyarrowDatasetIO().merge(source, str(tmp_path), "update", "id")
    assert read_rows(tmp_path, ["id", "value"]) == expected_rows(target, source.to_pylist(),
                                                                 ["id"], "update", ["id", "value"])
    assert (result.updated, result.inserted) == (11, 0)


def test_an_upsert_beside_such_a_file_leaves_each_key_once(tmp_path):
    # A second file holds source keys 313 and 441: the wrong ids once wrote them into the
    # first file as well (09c24f1 and before: both keys twice after the upsert).
    ids = list(range(0, 2049, 2)) + list(range(1001, 1200, 2))  # then odd keys, lower
    pq.write_table(pa.table({"id": pa.array(ids, pa.int64()), "value": [-i for i in ids]}),
                   tmp_path / "a.parquet")
    pq.write_table(pa.table({"id": pa.array([313, 441], pa.int64()), "value": [-313, -441]}),
                   tmp_path / "b.parquet")
    source_ids = [1557, 603, 512, 1396, 469, 1548, 313, 916, 334, 1092, 1494, 1210, 2188, 468,
                  1875, 1135, 441, 187, 1211, 50, 59, 375, 1693, 471, 163, 2220, 2221]
    source = pa.table({"id": pa.array(source_ids, pa.int64()), "value": source_ids})
    target = [{"id": i, "value": -i} for i in ids + [313, 441]]
    PyarrowDatasetIO().merge(source, str(tmp_path), "upsert", "id")
    assert read_rows(tmp_path, ["id", "value"]) == expected_rows(target, source.to_pylist(),
                                                                 ["id"], "upsert", ["id", "value"])


def test_null_nan_and_composite_keys(tmp_path):
    schema = pa.schema([("a", pa.string()), ("b", pa.float64()), ("v", pa.int64())])
    target = [{"a": "x", "b": 1.0, "v": 1}, {"a": None, "b": 1.0, "v": 2},
              {"a": "x", "b": None, "v": 3}, {"a": None, "b": None, "v": 4},
              {"a": "y", "b": math.nan, "v": 5}, {"a": "x", "b": -0.0, "v": 6}]
    make_target(tmp_path, target, schema)
    source = [{"a": None, "b": 1.0, "v": 20}, {"a": None, "b": None, "v": 40},
              {"a": "y", "b": math.nan, "v": 50}, {"a": "x", "b": 0.0, "v": 60},
              {"a": "z", "b": None, "v": 70}]
    result = PyarrowDatasetIO().merge(pa.Table.from_pylist(source, schema=schema), str(tmp_path),
                                      "upsert", ["a", "b"])
    assert result.updated == 4 and result.inserted == 1
    values = sorted(r["v"] for r in ds.dataset(str(tmp_path)).to_table().to_pylist())
    assert values == [1, 3, 20, 40, 50, 60, 70]


def test_int32_source_keys_match_int64_target_keys(tmp_path):
    make_target(tmp_path, rows(range(6), "old"), SCHEMA)
    source = pa.table({"id": pa.array([2, 9], pa.int32()), "name": ["n2", "n9"],
                       "value": [0.5, 0.5]})
    result = PyarrowDatasetIO().merge(source, str(tmp_path), "upsert", "id")
    assert (result.updated, result.inserted) == (1, 1)
    ids = sorted(ds.dataset(str(tmp_path)).to_table()["id"].to_pylist())
    assert ids == [0, 1, 2, 3, 4, 5, 9]


def test_random_merges_against_the_oracle(tmp_path):
    rng = random.Random(1234)
    for case in range(12):
        path = tmp_path / f"case{case}"
        target = rows(rng.sample(range(200), rng.randint(0, 60)), "t")
        for r in target:
            if rng.random() < 0.1:
                r["value"] = None
        if target:
            make_target(path, target, SCHEMA, max_rows_per_file=rng.randint(3, 20))
        source = rows([rng.randrange(220) for _ in range(rng.randint(0, 40))], "s")
        strategy = rng.choice(["insert", "update", "upsert"])
        table = pa.Table.from_pylist(source, schema=SCHEMA)
        if not target and strategy == "update":
            with pytest.raises(ValueError, match="non-existent target"):
                PyarrowDatasetIO().merge(table, str(path), strategy, "id")
            continue
        PyarrowDatasetIO().merge(table, str(path), strategy, "id", max_rows_per_file=7,
                                 row_group_size=3)
        got = read_rows(path, COLUMNS) if path.exists() else []
        assert got == expected_rows(target, source, ["id"], strategy, COLUMNS), (case, strategy)


def test_every_parameter_applies_to_rewritten_files(tmp_path):
    make_target(tmp_path, rows(range(20), "old"), SCHEMA, max_rows_per_file=20)
    calls = []
    result = PyarrowDatasetIO().merge(
        pa.Table.from_pylist(rows([0, 100], "new"), schema=SCHEMA), str(tmp_path), "upsert", "id",
        compression="zstd", max_rows_per_file=8, row_group_size=3,
        merge_progress_callback=lambda done, total: calls.append((done, total)))
    assert calls and calls[-1][0] == calls[-1][1] == 21
    assert len(result.rewritten_files) == 3  # 20 rows split at 8 rows per file
    for path in result.rewritten_files:
        meta = pq.ParquetFile(path).metadata
        assert meta.num_rows <= 8
        assert all(meta.row_group(i).num_rows <= 3 for i in range(meta.num_row_groups))
        assert meta.row_group(0).column(0).compression == "ZSTD"
    PyarrowDatasetIO().merge(pa.Table.from_pylist(rows([1], "x"), schema=SCHEMA), str(tmp_path),
                             "update", "id", compression=None)
    uncompressed = [p for p in tmp_path.rglob("*.parquet")
                    if pq.ParquetFile(p).metadata.row_group(0).column(0).compression == "UNCOMPRESSED"]
    assert uncompressed


def test_empty_source_is_a_no_op(tmp_path):
    make_target(tmp_path, rows(range(5), "old"), SCHEMA)
    result = PyarrowDatasetIO().merge(SCHEMA.empty_table(), str(tmp_path), "upsert", "id")
    assert (result.inserted, result.updated, result.source_count) == (0, 0, 0)
    assert len(result.preserved_files) == len(result.files) == 2
    with pytest.raises(ValueError, match="non-existent target"):
        PyarrowDatasetIO().merge(SCHEMA.empty_table(), str(tmp_path / "none"), "update", "id")


def test_missing_target_insert_writes_everything(tmp_path):
    result = PyarrowDatasetIO().merge(pa.Table.from_pylist(rows([1, 2, 2], "n"), schema=SCHEMA),
                                      str(tmp_path / "new"), "insert", "id")
    assert result.inserted == 2 and result.target_count_before == 0
    assert sorted(ds.dataset(str(tmp_path / "new")).to_table()["id"].to_pylist()) == [1, 2]


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(strategy="merge"), ValueError, "strategy must be one of: insert, update, upsert, got: merge"),
    (dict(strategy="full_merge"), ValueError, "strategy must be one of"),
    (dict(key_columns="nope"), ValueError, "Key column\\(s\\) missing from source: nope. Available columns: id, name, value"),
    (dict(key_columns=""), ValueError, "key_columns cannot be empty string"),
    (dict(key_columns=[]), ValueError, "key_columns cannot be empty"),
    (dict(key_columns=["id", " "]), ValueError, "key_columns cannot contain empty strings"),
    (dict(partition_columns="day"), ValueError, "Partition column\\(s\\) not found in source: day"),
    (dict(compression="rar"), ValueError, "Invalid compression codec: 'rar'"),
    (dict(merge_max_memory_mb=0), ValueError, "merge_max_memory_mb must be positive"),
    # Issue 13 case 12: each error names the parameter as the caller spelled it.
    (dict(merge_chunk_size_rows="x"), TypeError, "merge_chunk_size_rows must be an int, got str"),
    (dict(merge_chunk_size_rows=0), ValueError, "merge_chunk_size_rows must be a positive number"),
    (dict(merge_max_memory_mb="big"), TypeError, "merge_max_memory_mb must be a number, got str"),
    (dict(merge_max_memory_mb=float("nan")), ValueError, "merge_max_memory_mb must be a number of MiB"),
    (dict(merge_max_process_memory_mb=-1), ValueError,
     "merge_max_process_memory_mb must be positive, or 0 or None .*got -1$"),
    (dict(merge_min_system_available_mb=-2.5), ValueError,
     "merge_min_system_available_mb must be 0 or more .*got -2.5$"),
    (dict(max_rows_per_file=1.5), TypeError, "max_rows_per_file must be an int or None, got float"),
    (dict(row_group_size="10"), TypeError, "row_group_size must be an int or None, got str"),
    (dict(compression=5), TypeError, "compression must be a str or None, got int"),
    (dict(strategy=None), TypeError, "strategy must be a str, got NoneType"),
    (dict(merge_progress_callback=5), TypeError, "merge_progress_callback must be callable"),
])
def test_bad_input_is_refused_and_the_dataset_unchanged(tmp_path, kwargs, error, message):
    make_target(tmp_path, rows(range(5), "old"), SCHEMA)
    snapshot = sorted(map(str, tmp_path.rglob("*")))
    args = dict(strategy="upsert", key_columns="id") | kwargs
    strategy, keys = args.pop("strategy"), args.pop("key_columns")
    with pytest.raises(error, match=message):
        PyarrowDatasetIO().merge(pa.Table.from_pylist(rows([1], "n"), schema=SCHEMA),
                                 str(tmp_path), strategy, keys, **args)
    assert sorted(map(str, tmp_path.rglob("*"))) == snapshot


def test_incomparable_and_uncastable_types_are_clear(tmp_path):
    make_target(tmp_path, rows(range(5), "old"), SCHEMA)
    string_keys = pa.table({"id": ["1"], "name": ["x"], "value": [1.0]})
    with pytest.raises(TypeError, match="key column 'id' cannot be compared: the source has string"):
        PyarrowDatasetIO().merge(string_keys, str(tmp_path), "upsert", "id")
    bad_value = pa.table({"id": [1], "name": ["x"], "value": ["not a number"]})
    with pytest.raises(TypeError, match="source column 'value' is string, the dataset's is double"):
        PyarrowDatasetIO().merge(bad_value, str(tmp_path), "update", "id")
    assert sorted(ds.dataset(str(tmp_path)).to_table()["name"].to_pylist()) == \
        [f"old{i}" for i in range(5)]
    assert not any(p.name.startswith("_fsspeckit") and p.name != "_fsspeckit_merge.lock"
                   for p in tmp_path.iterdir())


def test_corrupt_target_file_is_named(tmp_path):
    make_target(tmp_path, rows(range(5), "old"), SCHEMA)
    (tmp_path / "broken.parquet").write_bytes(b"PAR1 garbage")
    with pytest.raises(OSError, match="broken.parquet"):
        PyarrowDatasetIO().merge(pa.Table.from_pylist(rows([1], "n"), schema=SCHEMA),
                                 str(tmp_path), "upsert", "id")


@pytest.mark.parametrize("chunks", [1, 8])
def test_a_source_table_larger_than_the_budget_is_refused_up_front(tmp_path, chunks):
    # 300,000 rows, about 10 MiB, against a 4 MiB budget; in 8 chunks each is 1.2 MiB, and
    # the whole must count, not one chunk.
    big = pa.table({"id": pa.array(range(300_000), pa.int64()),
                    "name": pa.array(["x" * 20] * 300_000)})
    big = pa.Table.from_batches(big.to_batches(max_chunksize=300_000 // chunks))
    assert big.column("id").num_chunks == chunks
    # Handed over in memory, it stays in the Arrow pool: no room is left to spill it.
    with pytest.raises(MemoryError, match="Arrow pool .* budget of 4.0 MiB.*raise merge_max_memory_mb"):
        PyarrowDatasetIO().merge(big, str(tmp_path), "upsert", "id", merge_max_memory_mb=4)
    assert not tmp_path.joinpath("_fsspeckit_merge.lock").exists()


def test_keys_in_several_files_are_counted_and_all_updated(tmp_path):
    io = PyarrowDatasetIO()
    io.write_dataset(pa.Table.from_pylist(rows([1, 2], "a"), schema=SCHEMA), str(tmp_path))
    io.write_dataset(pa.Table.from_pylist(rows([2, 3], "b"), schema=SCHEMA), str(tmp_path))
    result = io.merge(pa.Table.from_pylist(rows([2], "new"), schema=SCHEMA), str(tmp_path),
                      "update", "id")
    assert result.keys_in_several_files == 1
    names = sorted(ds.dataset(str(tmp_path)).to_table()["name"].to_pylist())
    assert names == ["a1", "b3", "new2", "new2"]


def test_guide_merge_snippets(tmp_path):
    source_table = pa.Table.from_pylist(rows([1, 99], "new"), schema=SCHEMA)
    target_path = str(tmp_path)
    make_target(tmp_path, rows(range(10), "old"), SCHEMA)

    # This code continues to work exactly as before
    from fsspeckit.datasets.pyarrow.io import PyarrowDatasetIO

    handler = PyarrowDatasetIO()
    result = handler.merge(
        data=source_table,
        path=target_path,
        strategy="upsert",
        key_columns=["id"],
        merge_max_memory_mb=1024  # This still works
    )
    assert result.inserted == 1

    # After (enhanced with new parameters)
    handler = PyarrowDatasetIO()
    result = handler.merge(
        data=source_table,
        path=target_path,
        strategy="upsert",
        key_columns=["id"],
        
        # Existing parameter (unchanged)
        merge_max_memory_mb=1024,
        
        # NEW enhanced parameters
        merge_max_process_memory_mb=2048,      # Monitor total process memory
        merge_min_system_available_mb=512,     # Keep system responsive
    )
    assert (result.updated, result.inserted) == (2, 0)
    assert set(result.metrics["memory_pressure_stats"]) == {"normal", "warning", "critical",
                                                             "emergency"}


def test_rewrites_keep_a_dictionary_only_where_it_pays(tmp_path):
    # name repeats (a dictionary pays), id is unique (its dictionary saves nothing),
    # value was written plain: only name keeps its dictionary in the rewrite.
    table = pa.Table.from_pylist([{"id": i, "name": f"n{i % 5}", "value": float(i)}
                                  for i in range(50)], schema=SCHEMA)
    pq.write_table(table, tmp_path / "data.parquet", use_dictionary=["name", "id"])
    before = pq.ParquetFile(tmp_path / "data.parquet").metadata.row_group(0)
    assert "RLE_DICTIONARY" in before.column(0).encodings  # the original writer built one
    # Key 3 is updated, keys 100-139 are new: the inserted file follows the same choices
    # (the file is full at max_rows_per_file=50, so the new keys get a file of their own).
    result = PyarrowDatasetIO().merge(pa.Table.from_pylist(rows([3, *range(100, 140)], "new"),
                                                           schema=SCHEMA),
                                      str(tmp_path), "upsert", "id", max_rows_per_file=50)
    assert len(result.rewritten_files) == 1 and len(result.inserted_files) == 1
    for written in (result.rewritten_files[0], result.inserted_files[0]):
        meta = pq.ParquetFile(written).metadata.row_group(0)
        encodings = {meta.column(i).path_in_schema: meta.column(i).encodings
                     for i in range(meta.num_columns)}
        assert "RLE_DICTIONARY" in encodings["name"], written
        assert "RLE_DICTIONARY" not in encodings["id"], written
        assert "RLE_DICTIONARY" not in encodings["value"], written
    assert pq.read_table(result.rewritten_files[0]).column("name").to_pylist()[3] == "new3"


def test_merge_on_s3_through_a_real_s3_server(s3):
    fs, bucket = s3
    io = PyarrowDatasetIO(fs)
    target = rows(range(30), "old")
    io.write_dataset(pa.Table.from_pylist(target, schema=SCHEMA), f"{bucket}/ds",
                     max_rows_per_file=10)
    source = rows([5, 25, 99], "new")
    result = io.merge(pa.Table.from_pylist(source, schema=SCHEMA), f"s3://{bucket}/ds", "upsert",
                      "id")
    assert (result.updated, result.inserted, len(result.rewritten_files)) == (2, 1, 2)
    got = sorted_rows(io.read_parquet(f"{bucket}/ds").to_pylist(), COLUMNS)
    assert got == expected_rows(target, source, ["id"], "upsert", COLUMNS)
    leftovers = [i.path for i in fs.get_file_info(pafs.FileSelector(f"{bucket}/ds", recursive=True))
                 if "_fsspeckit" in i.path]
    assert leftovers == []


def test_merge_on_an_fsspec_memory_filesystem():
    import fsspec

    io = PyarrowDatasetIO(fsspec.filesystem("memory"))
    target = rows(range(10), "old")
    io.write_dataset(pa.Table.from_pylist(target, schema=SCHEMA), "/merge-mem/ds",
                     single_writer=True)
    source = rows([1, 50], "new")
    result = io.merge(pa.Table.from_pylist(source, schema=SCHEMA), "memory://merge-mem/ds",
                      "upsert", "id", single_writer=True)
    assert (result.updated, result.inserted) == (1, 1)
    got = sorted_rows(io.read_parquet("/merge-mem/ds").to_pylist(), COLUMNS)
    assert got == expected_rows(target, source, ["id"], "upsert", COLUMNS)


def test_a_raising_progress_callback_aborts_cleanly(tmp_path):
    make_target(tmp_path, rows(range(40), "old"), SCHEMA)
    snapshot = read_rows(tmp_path, COLUMNS)

    def progress(done, total):
        raise ValueError("stop here")

    with pytest.raises(ValueError, match="^stop here$"):  # the callback's own exception
        PyarrowDatasetIO().merge(pa.Table.from_pylist(rows([1, 30, 99], "new"), schema=SCHEMA),
                                 str(tmp_path), "upsert", "id", merge_progress_callback=progress)
    assert read_rows(tmp_path, COLUMNS) == snapshot


def test_url_encoded_partition_values_match(tmp_path):
    schema = SCHEMA.append(pa.field("city", pa.string()))
    io = PyarrowDatasetIO()
    first = [dict(rows([1], "a")[0], city="New York")]
    io.merge(pa.Table.from_pylist(first, schema=schema), str(tmp_path), "upsert", "id",
             partition_columns="city")
    assert any("%20" in p.name or " " in p.name for p in tmp_path.iterdir())
    again = [dict(rows([1], "b")[0], city="New York")]
    result = io.merge(pa.Table.from_pylist(again, schema=schema), str(tmp_path), "upsert", "id",
                      partition_columns="city")
    assert (result.updated, result.inserted) == (1, 0)


def test_rewrites_keep_file_metadata(tmp_path):
    table = pa.Table.from_pylist(rows(range(5), "old"), schema=SCHEMA)
    table = table.replace_schema_metadata({"owner": "team-a"})
    pq.write_table(table, tmp_path / "data.parquet")
    result = PyarrowDatasetIO().merge(pa.Table.from_pylist(rows([2], "new"), schema=SCHEMA),
                                      str(tmp_path), "update", "id")
    assert pq.read_schema(result.rewritten_files[0]).metadata[b"owner"] == b"team-a"


@pytest.mark.parametrize("executor,error,message", [
    ("dask", ValueError, "executor must be 'local', 'ray' or an executor object"),
    (42, TypeError, "executor object with a merge"),
])
def test_an_unknown_executor_is_refused(tmp_path, executor, error, message):
    with pytest.raises(error, match=message):
        PyarrowDatasetIO().merge(pa.table({"id": [1]}), str(tmp_path), "upsert", "id",
                                 executor=executor)


def test_the_local_executor_reports_its_tasks(tmp_path):
    io = PyarrowDatasetIO()
    io.write_dataset(pa.table({"id": list(range(20)), "name": ["old"] * 20}), str(tmp_path),
                     max_rows_per_file=10)
    result = io.merge(pa.table({"id": [1, 15, 30], "name": ["new"] * 3}), str(tmp_path),
                      "upsert", "id", max_rows_per_file=10)  # files full: an insert task
    assert result.metrics["executor"] == "local"
    tasks = result.metrics["tasks"]
    assert sorted(t["kind"] for t in tasks) == ["insert", "rewrite", "rewrite"]
    # A task names the file it rewrote, which the merge removed (the rows live on in a
    # rewritten file of a new name).
    assert sorted(t["file"] for t in tasks if t["kind"] == "rewrite") == sorted(
        result.removed_files)
    assert not set(result.removed_files) & set(result.rewritten_files)
    assert sorted(t["rows"] for t in tasks) == [1, 10, 10]
    assert all(t["pid"] == os.getpid() and t["seconds"] >= 0 for t in tasks)


def test_path_none_is_refused_not_written_to_a_folder_named_none(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    table = pa.Table.from_pylist(rows([1], "n"), schema=SCHEMA)
    with pytest.raises(TypeError, match="path must be a str or os.PathLike, got NoneType"):
        PyarrowDatasetIO().merge(table, None, "upsert", "id")
    with pytest.raises(TypeError, match="path must be a str or os.PathLike, got NoneType"):
        PyarrowDatasetIO().write_dataset(table, None)
    assert list(tmp_path.iterdir()) == []


def test_a_budget_beyond_int64_is_no_limit_not_an_overflow(tmp_path):
    make_target(tmp_path, rows(range(5), "old"), SCHEMA)
    result = PyarrowDatasetIO().merge(pa.Table.from_pylist(rows([1, 9], "n"), schema=SCHEMA),
                                      str(tmp_path), "upsert", "id", merge_max_memory_mb=1e300)
    assert (result.updated, result.inserted) == (1, 1)


def test_dedup_efficiency_is_the_share_of_duplicate_source_rows(tmp_path):
    make_target(tmp_path, rows(range(5), "old"), SCHEMA)
    io = PyarrowDatasetIO()
    added = io.merge(pa.Table.from_pylist(rows([10, 11], "n"), schema=SCHEMA), str(tmp_path),
                     "upsert", "id")
    assert added.metrics["dedup_efficiency"] == 0.0  # rows were added: nothing deduplicated
    repeated = io.merge(pa.Table.from_pylist(rows([1, 1, 1, 2], "n"), schema=SCHEMA),
                        str(tmp_path), "upsert", "id")
    assert repeated.metrics["dedup_efficiency"] == pytest.approx(0.5)  # 4 rows, 2 keys


def test_a_memory_error_names_the_option_to_change(tmp_path):
    # As in a 600 MiB container with the default 512 MiB minimum: here the minimum is
    # set above any machine's memory, so the headroom check fails on every host.
    make_target(tmp_path, rows(range(20), "old"), SCHEMA)
    before = read_rows(tmp_path, COLUMNS)
    with pytest.raises(MemoryError, match="lower merge_min_system_available_mb"):
        PyarrowDatasetIO().merge(pa.Table.from_pylist(rows([1, 99], "n"), schema=SCHEMA),
                                 str(tmp_path), "upsert", "id",
                                 merge_min_system_available_mb=2**40)
    assert read_rows(tmp_path, COLUMNS) == before


@pytest.mark.parametrize("budget_mb", [16, 1024])
def test_rewrites_reuse_the_keys_the_plan_read(tmp_path, budget_mb):
    # The plan keeps the key columns it read (a sixteenth of the budget) and the rewrites
    # read the other columns only, putting the keys back where the schema has them: here
    # keys given in the reverse of their schema order, around a nested column. Each file's
    # first row group has no source key (no planned keys: its own are read). At 16 MiB
    # only some of the matched row groups are kept (1 MiB of keys).
    n = 120_000
    schema = pa.schema([("b", pa.int64()), ("tags", pa.list_(pa.int32())), ("a", pa.string()),
                        ("v", pa.float64())])
    target = [{"b": i // 2, "tags": [i, i + 1] if i % 3 else None, "a": f"k{i % 2}", "v": float(i)}
              for i in range(n)]
    table = pa.Table.from_pylist(target, schema=schema)
    for f in range(2):
        pq.write_table(table.slice(f * n // 2, n // 2), tmp_path / f"part-{f}.parquet",
                       row_group_size=20_000)
    del table  # the caller's tables count against the budget
    rng = random.Random(5)
    picked = rng.sample([i for i in range(n) if i % (n // 2) >= 20_000], 600)
    source = [{"b": target[i]["b"], "tags": [-1], "a": target[i]["a"], "v": -float(i)} for i in picked]
    source += [{"b": n + i, "tags": [], "a": "new", "v": -1.0} for i in range(50)]
    result = PyarrowDatasetIO().merge(pa.Table.from_pylist(source, schema=schema), str(tmp_path),
                                      "upsert", ["a", "b"], merge_max_memory_mb=budget_mb)
    assert (result.updated, result.inserted) == (600, 50)
    columns = ["b", "tags", "a", "v"]
    got = sorted_rows(ds.dataset(str(tmp_path)).to_table().to_pylist(), columns)
    assert got == expected_rows(target, source, ["a", "b"], "upsert", columns)


def test_a_dataset_merged_every_day_keeps_its_file_count(tmp_path):
    """Upserts of a few updates and new keys add no small file each: the new keys go into a
    file rewritten anyway (issue 21: 60 such merges used to leave 60 files of 5 KiB)."""
    io = PyarrowDatasetIO()
    n = 8 * 1000
    io.write_dataset(pa.table({"id": pa.array(range(n), pa.int64()), "name": ["old"] * n}),
                     str(tmp_path), max_rows_per_file=1000)
    files_before = len(list(tmp_path.glob("*.parquet")))
    expected = {i: "old" for i in range(n)}
    next_id = n
    for day in range(10):
        updates = list(range(day * 13 % n, n, 997))[:8]
        new = list(range(next_id, next_id + 20))
        next_id += 20
        ids = updates + new
        result = io.merge(pa.table({"id": pa.array(ids, pa.int64()), "name": [f"d{day}"] * len(ids)}),
                          str(tmp_path), "upsert", "id")
        assert (result.updated, result.inserted) == (len(updates), len(new))
        assert result.inserted_files == []
        expected.update({i: f"d{day}" for i in ids})
    # The small files touched together were joined; no merge added one.
    assert 1 <= len(list(tmp_path.glob("*.parquet"))) <= files_before
    table = pq.read_table(str(tmp_path))
    assert dict(zip(table["id"].to_pylist(), table["name"].to_pylist())) == expected
