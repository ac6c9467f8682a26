"""SQL WHERE text as read_parquet filters (REFERENCE.md 5.3)."""

import datetime

import pyarrow as pa
import pytest

from fsspeckit.datasets.pyarrow import PyarrowDatasetIO


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    path = tmp_path_factory.mktemp("sql") / "ds"
    table = pa.table({
        "id": pa.array(range(10), pa.int32()),
        "name": ["alice", "Bob", "carol", None, "dave", "eve", "Frank", "gina", "hal", "ivy"],
        "score": [1.5, 2.5, None, 4.0, 5.5, 6.0, 7.5, 8.0, 9.5, 10.0],
        "day": [datetime.date(2025, 1, 1 + i % 3) for i in range(10)],
        "region": ["eu", "us"] * 5,
    })
    PyarrowDatasetIO().write_dataset(table, str(path), partition_by="region")
    return str(path)


def ids(dataset, where):
    table = PyarrowDatasetIO().read_parquet(dataset, filters=where)
    return sorted(table["id"].to_pylist())


@pytest.mark.parametrize("where, expected", [
    ("id > 5 AND region = 'eu'", [6, 8]),
    ("id >= 8 OR id < 1", [0, 8, 9]),
    ("NOT (id <> 3)", [3]),
    ("5 < id", [6, 7, 8, 9]),
    ("id IN (1, 4, 7)", [1, 4, 7]),
    ("id NOT IN (1, 2, 3, 4, 5, 6, 7, 8)", [0, 9]),
    ("id BETWEEN 2 AND 4", [2, 3, 4]),
    ("id NOT BETWEEN 1 AND 8", [0, 9]),
    ("name IS NULL", [3]),
    ("score IS NOT NULL AND score < 3", [0, 1]),
    ("name LIKE 'e%'", [5]),
    ("name NOT LIKE '%a%'", [1, 5, 9]),
    ("name ILIKE 'f%'", [6]),
    ("day = '2025-01-02'", [1, 4, 7]),        # string literal cast to the date column
    ("day = DATE '2025-01-02'", [1, 4, 7]),
    ("day >= CAST('2025-01-03' AS DATE)", [2, 5, 8]),
    ("score > 9", [8, 9]),
    ("score = 8", [7]),                       # integer literal against a float column
    ("id > 2.5 AND id < 4", [3]),             # float literal against an integer column
    ("id = -1", []),
    ("(region = 'us') AND TRUE", [1, 3, 5, 7, 9]),
])
def test_where_clause(dataset, where, expected):
    assert ids(dataset, where) == expected


def test_single_file(tmp_path):
    path = str(tmp_path / "one.parquet")
    PyarrowDatasetIO().write_parquet(pa.table({"x": [1, 2, 3]}), path)
    assert PyarrowDatasetIO().read_parquet(path, filters="x > 1")["x"].to_pylist() == [2, 3]


@pytest.mark.parametrize("where, construct", [
    ("id + 1 > 5", "ADD"),
    ("upper(name) = 'BOB'", "UPPER"),
    ("id IN (SELECT 1)", "IN"),
    ("name LIKE 'a!%' ESCAPE '!'", "ESCAPE"),
])
def test_unsupported_construct_is_named(dataset, where, construct):
    with pytest.raises(ValueError, match=f"not supported: {construct}"):
        ids(dataset, where)


@pytest.mark.parametrize("where, message", [
    ("missing = 1", "column 'missing', which is not in the dataset"),
    ("id = 'abc'", "cannot be compared with a int32 column"),
    ("id = NULL", "write 'id IS NULL'"),
    ("id >", "cannot parse SQL filter"),
    ("   ", "SQL filter is empty"),
])
def test_bad_filters_say_what_is_wrong(dataset, where, message):
    with pytest.raises(ValueError, match=message):
        ids(dataset, where)
