"""Every Arrow type a Parquet file holds, as a merge key and as a column (issue 22).

Each case is a two-file dataset written by pyarrow and a source with updates, new keys, a
null key and a repeated key (the last wins), merged with upsert and checked row by row
against the plain-Python oracle (merge_oracle.py). A type that cannot be a key is refused,
naming the column and its type, before anything is written.
"""

import datetime as dt
import math
import os
import re
import uuid
from decimal import Decimal as D

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from fsspeckit.datasets.pyarrow import PyarrowDatasetIO
from fsspeckit.datasets.pyarrow.dataset import merge_upsert_pyarrow, process_in_chunks
from merge_oracle import expected_rows

I64_MIN, I64_MAX, U64_MAX = -(2**63), 2**63 - 1, 2**64 - 1


# ---- values: Arrow arrays from Python values, Python values from Arrow arrays ----------

def arr(values, t):
    """An array of type `t` from Python values (ints for temporal types given as ints)."""
    if pa.types.is_dictionary(t):
        return pc_cast(arr(values, t.value_type).dictionary_encode(), t)
    if isinstance(t, pa.ExtensionType):
        return pa.ExtensionArray.from_storage(t, arr(values, t.storage_type))
    if t == pa.null():
        return pa.nulls(len(values))
    ints = [v for v in values if v is not None]
    if ints and all(type(v) is int for v in ints) and (
            pa.types.is_timestamp(t) or pa.types.is_duration(t) or pa.types.is_time64(t)
            or pa.types.is_date64(t)):
        return pa.array(values, pa.int64()).cast(t)
    if ints and all(type(v) is int for v in ints) and (pa.types.is_time32(t) or pa.types.is_date32(t)):
        return pa.array(values, pa.int32()).cast(t)
    if pa.types.is_decimal(t):  # pyarrow infers a wrong precision after a leading None
        return pa.array([None if v is None else format(v, "f") for v in values], pa.string()).cast(t)
    return pa.array(values, t)


def pc_cast(array, t):
    return array if array.type == t else array.cast(t)


def py(array):
    """Python values of a column: timestamps, times and durations as nanosecond ints,
    everything else as pyarrow gives it."""
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    t = array.type
    if pa.types.is_dictionary(t):
        return py(array.cast(t.value_type))
    if pa.types.is_timestamp(t) or pa.types.is_duration(t) or pa.types.is_time(t):
        # As nanosecond ints (Python ints do not overflow): Python's datetime cannot
        # hold nanoseconds or years past 9999, and units compare by value.
        scale = {"s": 10**9, "ms": 10**6, "us": 10**3, "ns": 1}[t.unit]
        ints = array.cast(pa.int64() if t.bit_width == 64 else pa.int32())
        return [None if v is None else v * scale for v in ints.to_pylist()]
    return array.to_pylist()


def rows_of(table):
    columns = {name: py(table[name]) for name in table.column_names}
    return [dict(zip(columns, values)) for values in zip(*columns.values())]


def exact(value):
    """A value compared exactly: floats by repr (-0.0 is not 0.0, NaN equals NaN),
    containers element by element, everything else by ==."""
    if isinstance(value, float):
        return ("float", repr(value))
    if isinstance(value, (list, tuple)):
        return tuple(exact(v) for v in value)
    if isinstance(value, dict):
        return tuple((k, exact(v)) for k, v in value.items())
    return value


def normal(rows, columns):
    return sorted((tuple(exact(r[c]) for c in columns) for r in rows), key=repr)


def data_files(path):
    return sorted(os.path.join(d, f) for d, dirs, files in os.walk(path)
                  for f in files if not f.startswith(("_", ".")) and
                  not any(p.startswith(("_", ".")) for p in os.path.relpath(d, path).split(os.sep)
                          if p != "."))


def read_back(path):
    """Every data file read by pyarrow, on its own (no schema unification): rows, types."""
    rows, types = [], set()
    for file in data_files(path):
        table = pq.read_table(file)
        rows += rows_of(table)
        types.add(table.schema)
    return rows, types


def without_views(table):
    """`table` as fsspeckit takes it in: view types as their plain equivalents (README).
    Lists are rebuilt from Python values: Arrow's cast from list_view builds invalid arrays."""
    plain = {pa.string_view(): pa.string(), pa.binary_view(): pa.binary()}
    columns = []
    for field in table.schema:
        column = table[field.name]
        if pa.types.is_list_view(field.type):
            column = pa.array(column.to_pylist(), pa.list_(field.type.value_field))
        elif field.type in plain:
            column = column.cast(plain[field.type])
        columns.append(column)
    return pa.table(columns, names=table.column_names)


def stored_type(t):
    """The type pyarrow reads back from a Parquet file written from type `t`."""
    table = pa.table({"c": arr([None], t)})
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink)
    return pq.read_table(pa.BufferReader(sink.getvalue())).schema.field("c").type


# ---- key types ------------------------------------------------------------------------

def signed(bits):
    lo, hi = -(2 ** (bits - 1)), 2 ** (bits - 1) - 1
    return [lo, hi, 0, -1, 1, lo + 1, hi - 1, 2, -2]


def unsigned(bits):
    hi = 2**bits - 1
    return [0, hi, 1, hi - 1, 2, hi // 2, hi // 2 + 1, hi - 2, 3]


INF = math.inf
S_MIN, S_MAX = -62135596800, 253402300799  # 0001-01-01, 9999-12-31T23:59:59
DATES = [dt.date(1970, 1, 1), dt.date(9999, 12, 31), dt.date(1, 1, 1), dt.date(2000, 2, 29),
         dt.date(1969, 12, 31), dt.date(2024, 1, 1), dt.date(1900, 3, 1), dt.date(2262, 4, 12),
         dt.date(1677, 9, 21)]


def timestamps(unit):
    scale = {"s": 1, "ms": 1000, "us": 10**6}.get(unit)
    if scale is None:  # ns: the whole int64 range
        return [0, I64_MAX, I64_MIN + 1, -1, 1, 1_700_000_000_123_456_789, I64_MAX - 1, 2, -2]
    return [0, S_MAX * scale + scale - 1, S_MIN * scale, -1, 1, 1_700_000_000 * scale + 7,
            S_MAX * scale - 1, 2, -2]


def key_types():
    """(id, [(column, type)], nine distinct keys as tuples, the null key, source aliases):
    aliases are other spellings the source uses for keys 1 and 5 (-0.0 for 0.0)."""
    cases = []

    def single(name, t, values, alias=None):
        cases.append((name, [("k", t)], [(v,) for v in values], (None,), alias or {}))

    for bits in (8, 16, 32, 64):
        single(f"int{bits}", getattr(pa, f"int{bits}")(), signed(bits))
        single(f"uint{bits}", getattr(pa, f"uint{bits}")(), unsigned(bits))
    single("float16", pa.float16(), [1.5, 0.0, -INF, INF, 2.5, math.nan, 6e-08, -2.5, 65504.0],
           {1: (-0.0,)})
    single("float32", pa.float32(), [1.5, 0.0, -INF, INF, 2.5, math.nan, 1e-45, -2.5, 3.4e38],
           {1: (-0.0,)})
    single("float64", pa.float64(),
           [1.5, 0.0, -INF, INF, 2.5, math.nan, 5e-324, -2.5, 1.7976931348623157e308],
           {1: (-0.0,)})
    single("date32", pa.date32(), DATES)
    single("date64", pa.date64(), DATES)
    for unit in ("s", "ms", "us", "ns"):
        for tz in (None, "UTC", "Asia/Kolkata"):
            single(f"timestamp[{unit},{tz}]", pa.timestamp(unit, tz), timestamps(unit))
        single(f"duration[{unit}]", pa.duration(unit), timestamps(unit))
    single("time32[s]", pa.time32("s"), [0, 86399, 1, 43200, 2, 3, 59, 3600, 86398])
    single("time32[ms]", pa.time32("ms"), [0, 86399999, 1, 43200000, 2, 3, 59, 3600, 86398999])
    single("time64[us]", pa.time64("us"), [0, 86399999999, 1, 43200, 2, 3, 59, 3600, 7])
    single("time64[ns]", pa.time64("ns"), [0, 86399999999999, 1, 43200, 2, 3, 59, 3600, 7])
    for t, p, s in ((pa.decimal32, 9, 2), (pa.decimal64, 18, 4), (pa.decimal128, 38, 10),
                    (pa.decimal256, 76, 20)):
        # Not by arithmetic: Python's decimal context rounds to 28 digits.
        top, bottom = D(f"{10**p - 1}E-{s}"), D(f"-{10**p - 1}E-{s}")
        single(f"decimal{t.__name__[7:]}({p},{s})", t(p, s),
               [bottom, top, D(0), D(f"1E-{s}"), D("1.5"), D("-1.5"), D(7), D(-7), D(2)])
    texts = ["", "a", "ünï", "long" * 50, " ", "A", "a\x00b", "\U0001F600", "z"]
    single("string", pa.string(), texts)
    single("large_string", pa.large_string(), texts)
    blobs = [b"", b"\x00", b"\xff" * 3, b"x" * 300, b"a", b"A", b"\x00\x00", b"\x7f", b"z"]
    single("binary", pa.binary(), blobs)
    single("large_binary", pa.large_binary(), blobs)
    single("fixed_size_binary", pa.binary(4),
           [b"\x00" * 4, b"\xff" * 4, b"abcd", b"abce", b"\x00\x00\x00\x01", b"ABCD",
            b"1234", b"zzzz", b"\x80\x00\x00\x00"])
    single("dictionary<string>", pa.dictionary(pa.int32(), pa.string()), texts)
    single("dictionary<int64>", pa.dictionary(pa.int8(), pa.int64()), signed(64))
    single("json", pa.json_(), ['""', '"a"', "1", "[]", "{}", "null", "true", '{"a": [1]}', "2.5"])
    single("uuid", pa.uuid(), [uuid.UUID(int=i).bytes for i in (0, 2**128 - 1, 1, 2, 3, 4, 5, 6, 7)])
    cases.append(("bool+int8", [("b", pa.bool_()), ("k", pa.int8())],
                  [(True, 0), (False, 0), (True, 1), (False, 1), (True, -128), (False, 127),
                   (True, 127), (False, -128), (True, 5)], (None, None), {}))
    cases.append(("uint64+string", [("k", pa.uint64()), ("s", pa.string())],
                  [(U64_MAX, "a"), (U64_MAX, "b"), (0, "a"), (2**63, "a"), (2**63, "b"),
                   (I64_MAX, "a"), (2**63 + 1, ""), (U64_MAX - 1, "a"), (5, "b")],
                  (2**63, None), {}))
    cases.append(("uint64+int64", [("k", pa.uint64()), ("j", pa.int64())],
                  [(U64_MAX, -1), (U64_MAX, I64_MAX), (0, I64_MIN), (2**63, 0), (2**63, -1),
                   (I64_MAX, I64_MAX), (1, 1), (U64_MAX - 1, I64_MIN), (5, 5)],
                  (None, I64_MIN), {}))
    return cases


KEY_TYPES = key_types()


def key_tables(fields, keys, null, alias):
    """Target files A and B and the source, each with a `v` column telling rows apart."""
    def table(key_rows, v):
        columns = {name: arr([k[i] if k is not None else null[i] for k in key_rows], t)
                   for i, (name, t) in enumerate(fields)}
        columns["v"] = pa.array(v, pa.int64())
        return pa.table(columns)

    source_keys = [alias.get(1, keys[1]), alias.get(5, keys[5]), keys[7], keys[8], None,
                   alias.get(1, keys[1])]
    return (table(keys[0:4] + [None], [0, 1, 2, 3, 4]), table(keys[4:7], [5, 6, 7]),
            table(source_keys, [100, 101, 102, 103, 104, 105]))


def write_target(path, *tables):
    os.makedirs(path, exist_ok=True)
    for i, table in enumerate(tables):
        pq.write_table(table, os.path.join(path, f"part-{i}.parquet"), row_group_size=2)


def check_merge(path, target_tables, source, keys, executor="local"):
    """Upserts `source` into the dataset at `path` (holding `target_tables`) and checks the
    rows against the oracle; returns the merge's result and the files' schemas."""
    columns = source.column_names
    target_rows = [r for t in target_tables for r in rows_of(t)]
    result = PyarrowDatasetIO().merge(source, str(path), "upsert", keys, executor=executor)
    got, schemas = read_back(path)
    want = expected_rows(target_rows, rows_of(source), keys, "upsert", columns)
    assert normal(got, columns) == normal([dict(zip(columns, r)) for r in want], columns)
    return result, schemas


@pytest.mark.parametrize("case", KEY_TYPES, ids=[c[0] for c in KEY_TYPES])
def test_every_key_type_merges_exactly(tmp_path, case):
    _, fields, keys, null, alias = case
    a, b, source = key_tables(fields, keys, null, alias)
    write_target(tmp_path, a, b)
    stored = pq.read_schema(tmp_path / "part-1.parquet")  # (the merge joins the two small files)
    result, schemas = check_merge(tmp_path, [a, b], source, [name for name, _ in fields])
    assert (result.updated, result.inserted) == (3, 2)  # keys 1 and 5 and null; 7 and 8
    # Every file written keeps the dataset's types, as pyarrow reads them back.
    assert schemas == {stored}
    # In memory: the same rows, the existing table's schema.
    existing = pa.concat_tables([a, b])
    merged = merge_upsert_pyarrow(existing, source, [name for name, _ in fields])
    columns = source.column_names
    want = expected_rows(rows_of(existing), rows_of(source), [n for n, _ in fields], "upsert",
                         columns)
    assert normal(rows_of(merged), columns) == normal([dict(zip(columns, r)) for r in want],
                                                      columns)
    assert merged.schema == existing.schema


def test_a_bool_key_alone(tmp_path):
    a = pa.table({"k": [True, None], "v": [1, 2]})
    b = pa.table({"k": [False], "v": [3]})
    source = pa.table({"k": [False, None, False], "v": [10, 11, 12]})
    write_target(tmp_path, a, b)
    result, _ = check_merge(tmp_path, [a, b], source, ["k"])
    assert (result.updated, result.inserted) == (2, 0)


# ---- column types ---------------------------------------------------------------------

def column_types():
    """(id, type, nine distinct non-null values, the type files hold when not the type)."""
    cases = [(f"scalar:{name}", fields[0][1], [k[0] for k in keys], None)
             for name, fields, keys, _, _ in KEY_TYPES if len(fields) == 1]
    cases += [
        ("bool", pa.bool_(), [True, False] * 4 + [True], None),
        ("null", pa.null(), [None] * 9, None),
        ("json", pa.json_(), ['{"a": 1}', "[]", "null", '"x"', "1", "{}", "true", "2", "3"], None),
        ("bool8", pa.bool8(), [1, 0] * 4 + [1], None),  # its storage: int8
        ("dictionary<int16,large_string>", pa.dictionary(pa.int16(), pa.large_string()),
         ["x", "y", "", "x", "ü", "y", "long" * 9, "z", "x"], None),
        ("dictionary<int32,binary>", pa.dictionary(pa.int32(), pa.binary()),
         [b"x", b"", b"\x00", b"x", b"y", b"z", b"\xff", b"w", b"v"], None),
        ("string_view", pa.string_view(), ["a", "", "long" * 9, "b", "c", "d", "e", "f", "g"],
         pa.string()),
        ("binary_view", pa.binary_view(), [b"a", b"", b"l" * 40, b"b", b"c", b"d", b"e", b"f",
                                           b"g"], pa.binary()),
    ]
    lists = [[], [1], [None], [1, 2, 3], [-1] * 5, [I64_MAX], [0], [5, 6], [7]]
    cases += [
        ("list<int64>", pa.list_(pa.int64()), lists, None),
        ("large_list<int64>", pa.large_list(pa.int64()), lists, None),
        ("list<string>", pa.list_(pa.string()),
         [[], ["a"], [None], ["a", "b"], [""], ["ü"] * 3, ["x"], ["y", None], ["z"]], None),
        ("fixed_size_list<float32,2>", pa.list_(pa.float32(), 2),
         [[1.5, 2.5], [0.0, -0.0], [math.nan, INF], [None, 1.0], [1.0, None], [3.0, 4.0],
          [-1.0, -2.0], [5.0, 6.0], [7.0, 8.0]], None),
        ("list_view<int32>", pa.list_view(pa.int32()), [[], [1], [None], [1, 2], [3], [4], [5],
                                                        [6], [7]],
         stored_type(pa.list_(pa.int32()))),
        ("struct<a:int32,b:string>", pa.struct([("a", pa.int32()), ("b", pa.string())]),
         [{"a": 1, "b": "x"}, {"a": None, "b": "y"}, {"a": 2, "b": None},
          {"a": None, "b": None}, {"a": 3, "b": ""}, {"a": -1, "b": "z"}, {"a": 4, "b": "w"},
          {"a": 5, "b": "v"}, {"a": 6, "b": "u"}], None),
        ("map<string,int64>", pa.map_(pa.string(), pa.int64()),
         [[], [("a", 1)], [("a", None)], [("a", 1), ("b", 2)], [("", 0)], [("x", -1)],
          [("y", 2)], [("z", 3)], [("w", 4)]], None),
        ("list<struct<x:list<int64>,m:map<string,float64>>>",
         pa.list_(pa.struct([("x", pa.list_(pa.int64())), ("m", pa.map_(pa.string(), pa.float64()))])),
         [[], [{"x": [1], "m": [("a", 1.5)]}], [{"x": None, "m": None}], [None],
          [{"x": [], "m": []}, {"x": [2, None], "m": [("b", math.nan)]}],
          [{"x": [3], "m": [("c", -0.0)]}], [{"x": [4], "m": []}], [{"x": [5], "m": []}],
          [{"x": [6], "m": []}]], None),
        ("struct<l:large_list<dictionary<string>>,t:timestamp[us,UTC]>",
         pa.struct([("l", pa.large_list(pa.dictionary(pa.int32(), pa.string()))),
                    ("t", pa.timestamp("us", "UTC"))]),
         [{"l": ["a"], "t": dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc)},
          {"l": [], "t": None}, {"l": None, "t": None}, {"l": ["b", None], "t": None},
          {"l": ["c"], "t": None}, {"l": ["d"], "t": None}, {"l": ["e"], "t": None},
          {"l": ["f"], "t": None}, {"l": ["g"], "t": None}], None),
        ("map<int32,list<string>>", pa.map_(pa.int32(), pa.list_(pa.string())),
         [[], [(1, ["a"])], [(2, None)], [(3, [])], [(4, ["b", None])], [(5, ["c"])],
          [(6, ["d"])], [(7, ["e"])], [(8, ["f"])]], None),
    ]
    return cases


COLUMN_TYPES = column_types()


def column_tables(t, values):
    def table(ids, vals):
        return pa.table({"id": pa.array(ids, pa.int64()), "c": arr(vals, t)})

    v = values
    return (table([0, 1, 2, 3, 4], [v[0], v[1], v[2], v[3], None]),
            table([5, 6, 7], [v[4], v[5], v[6]]),
            table([1, 5, 8, 9, None, 4], [v[7], v[8], None, v[0], v[1], v[2]]))


@pytest.mark.parametrize("case", COLUMN_TYPES, ids=[c[0] for c in COLUMN_TYPES])
def test_every_column_type_merges_exactly(tmp_path, case):
    _, t, values, plain = case
    a, b, source = column_tables(t, values)
    write_target(tmp_path, a, b)
    stored = pq.read_schema(tmp_path / "part-1.parquet")  # (the merge joins the two small files)
    result, schemas = check_merge(tmp_path, [a, b], source, ["id"])
    assert (result.updated, result.inserted) == (3, 3)  # ids 1, 4, 5; 8, 9 and null
    want = stored.field("c").type if plain is None else plain
    assert {s.field("c").type for s in schemas} == {want}


# ---- keys whose types differ between files or between the source and the dataset --------

MIXED = [
    # (id, file A's type, file B's type, the source's type, keys of A, of B, of the source)
    ("int32 and int64 files, int64 source", pa.int32(), pa.int64(), pa.int64(),
     [1, -2, 2**31 - 1], [5, 2**40], [-2, 2**40, 2**31 - 1, 9]),
    ("int64 files, int32 source", pa.int64(), pa.int64(), pa.int32(),
     [1, -2, 2**40], [5, -(2**31)], [-2, 5, -(2**31), 9]),
    ("uint64 dataset, int64 source", pa.uint64(), pa.uint64(), pa.int64(),
     [2**63, U64_MAX, 5], [I64_MAX, 0], [5, I64_MAX, 0, 7]),
    ("int64 dataset, uint64 source", pa.int64(), pa.int64(), pa.uint64(),
     [-1, I64_MAX, 5], [I64_MIN, 0], [5, I64_MAX, 0, 7]),
    ("uint64 and int64 files, int64 source", pa.uint64(), pa.int64(), pa.int64(),
     [3, I64_MAX, 0], [-5, 7], [3, -5, 9, I64_MAX]),
    ("uint8 and int8 files", pa.uint8(), pa.int8(), pa.int16(), [255, 0, 128], [-128, 127],
     [255, -128, 128, 3]),
    ("string and large_string files", pa.string(), pa.large_string(), pa.string(),
     ["a", "", "b"], ["c", "ü"], ["", "ü", "new"]),
    ("large_string dataset, string source", pa.large_string(), pa.large_string(), pa.string(),
     ["a", "", "b"], ["c", "ü"], ["", "ü", "new"]),
    ("dictionary and plain string files", pa.dictionary(pa.int32(), pa.string()), pa.string(),
     pa.string(), ["a", "", "b"], ["c", "ü"], ["", "ü", "new"]),
    ("string dataset, dictionary source", pa.string(), pa.string(),
     pa.dictionary(pa.int8(), pa.string()), ["a", "", "b"], ["c", "ü"], ["", "ü", "new"]),
    ("binary and fixed_size_binary files", pa.binary(), pa.binary(2), pa.binary(2),
     [b"ab", b"", b"xyz"], [b"cd", b"ab"], [b"ab", b"cd", b"zz"]),
    ("float32 and float64 files", pa.float32(), pa.float64(), pa.float64(),
     [1.5, math.nan, 0.0], [2.5, 0.1], [math.nan, -0.0, 2.5, 9.0]),
    ("date32 dataset, date64 source", pa.date32(), pa.date32(), pa.date64(),
     DATES[:3], DATES[3:5], [DATES[1], DATES[4], DATES[6]]),
    ("timestamp ms and us files, s source", pa.timestamp("ms"), pa.timestamp("us"),
     pa.timestamp("s"), [0, 1500, 2000], [3_000_000, 3_000_001], [0, 1, 2, 3]),
    ("timestamp ns dataset, us source", pa.timestamp("ns", "UTC"), pa.timestamp("ns", "UTC"),
     pa.timestamp("us", "UTC"), [0, 1_500, 2_000_000], [I64_MAX, 1000], [0, 1, 2000, 5]),
    ("time32 and time64 files", pa.time32("ms"), pa.time64("us"), pa.time32("ms"),
     [0, 1500, 86399999], [3_000_000, 3_000_001], [0, 1500, 3000, 5]),
    ("decimal(10,2) and decimal(12,3) files", pa.decimal128(10, 2), pa.decimal128(12, 3),
     pa.decimal128(10, 2), [D("1.50"), D("-2.00"), D("3.25")], [D("1.235"), D("4.100")],
     [D("1.50"), D("4.10"), D("9.99")]),
]




@pytest.mark.parametrize("case", MIXED, ids=[c[0] for c in MIXED])
def test_keys_of_different_types_match_by_value(tmp_path, case):
    _, type_a, type_b, type_s, keys_a, keys_b, keys_s = case
    a = pa.table({"k": arr(keys_a, type_a), "v": list(range(len(keys_a)))})
    b = pa.table({"k": arr(keys_b, type_b), "v": list(range(10, 10 + len(keys_b)))})
    source = pa.table({"k": arr(keys_s, type_s), "v": list(range(100, 100 + len(keys_s)))})
    write_target(tmp_path, a, b)
    check_merge(tmp_path, [a, b], source, ["k"])
    # Reads and scans see the rows the merge wrote, in the files' unified schema.
    got, _ = read_back(tmp_path)
    read = PyarrowDatasetIO().read_parquet(str(tmp_path))
    scanned = pa.concat_tables(process_in_chunks(str(tmp_path), enable_progress=False))
    assert read.schema == scanned.schema
    for table in (read, scanned):
        assert normal(rows_of(table), ["k", "v"]) == normal(got, ["k", "v"])


def test_uint64_values_past_int64_beside_int64_files_are_refused_by_name(tmp_path):
    # The files unify to int64 (as pyarrow's): a uint64 file holding 2^63 cannot be
    # rewritten in it. The merge fails before its commit, naming the column and types.
    a = pa.table({"k": pa.array([2**63, U64_MAX, 5], pa.uint64()), "v": [1, 2, 3]})
    b = pa.table({"k": pa.array([-1, 7], pa.int64()), "v": [4, 5]})
    write_target(tmp_path, a, b)
    before = listing(tmp_path)
    with pytest.raises(TypeError, match=r"cannot write column 'k' \(uint64\) into .*part-0.parquet"
                                        r"', where it is int64: Integer value 9223372036854775808"):
        PyarrowDatasetIO().merge(pa.table({"k": [5, 7], "v": [10, 11]}), str(tmp_path), "upsert",
                                 ["k"])
    assert listing(tmp_path) == before


# ---- types that cannot be keys ----------------------------------------------------------

NOT_KEYS = [  # named as Arrow spells the type
    ("list<item: string>", pa.list_(pa.string()), [["a"], ["b"]]),
    ("large_list<item: int64>", pa.large_list(pa.int64()), [[1], [2]]),
    ("fixed_size_list<item: int32>[2]", pa.list_(pa.int32(), 2), [[1, 2], [3, 4]]),
    ("struct<a: int64>", pa.struct([("a", pa.int64())]), [{"a": 1}, {"a": 2}]),
    ("map<string, int64>", pa.map_(pa.string(), pa.int64()), [[("a", 1)], [("b", 2)]]),
    ("null", pa.null(), [None, None]),
]


def listing(path):
    return {os.path.relpath(os.path.join(d, f), path): open(os.path.join(d, f), "rb").read()
            for d, _, files in os.walk(path) for f in files}


@pytest.mark.parametrize("case", NOT_KEYS, ids=[c[0] for c in NOT_KEYS])
def test_a_type_that_cannot_be_a_key_is_refused_by_name(tmp_path, case):
    name, t, values = case
    table = pa.table({"id": [1, 2], "tags": arr(values, t)})
    write_target(tmp_path / "ds", table)
    before = listing(tmp_path / "ds")
    message = f"key column 'tags' is {name}: a key must be a scalar type (integer, float, "
    with pytest.raises(TypeError, match=re.escape(message)):
        PyarrowDatasetIO().merge(table, str(tmp_path / "ds"), "upsert", ["id", "tags"])
    assert listing(tmp_path / "ds") == before  # no staging folder, journal or lock file left
    with pytest.raises(TypeError, match="key column 'tags' is "):
        PyarrowDatasetIO().merge(table, str(tmp_path / "new"), "upsert", ["tags"])
    assert not (tmp_path / "new").exists()
    with pytest.raises(TypeError, match="key column 'tags' is "):
        merge_upsert_pyarrow(table, table, ["tags"])


@pytest.mark.parametrize("t", [pa.month_day_nano_interval(),
                               pa.dense_union([pa.field("i", pa.int64())])],
                         ids=["month_day_nano_interval", "dense_union"])
def test_a_column_parquet_cannot_store_is_refused_by_name_before_anything_is_written(tmp_path, t):
    column = pa.nulls(2, t) if not pa.types.is_union(t) else pa.UnionArray.from_dense(
        pa.array([0, 0], pa.int8()), pa.array([0, 1], pa.int32()), [pa.array([1, 2])], ["i"])
    table = pa.table({"id": [1, 2], "iv": column})
    message = f"column 'iv' is {t}, which Parquet cannot store"
    io = PyarrowDatasetIO()
    for write in (lambda: io.merge(table, str(tmp_path / "m"), "upsert", ["id"]),
                  lambda: io.write_dataset(table, str(tmp_path / "w")),
                  lambda: io.write_parquet(table, str(tmp_path / "p.parquet"))):
        with pytest.raises(TypeError, match=re.escape(message)):
            write()
    assert os.listdir(tmp_path) == []
    # In memory nothing is written: such columns merge.
    merged = merge_upsert_pyarrow(table, table.slice(1), ["id"])
    assert merged.num_rows == 2 and merged.schema == table.schema


# ---- one wide table through every path --------------------------------------------------

def wide_tables():
    """The column matrix side by side: target files A and B and the source."""
    parts = [{}, {}, {}]
    for name, t, values, _ in COLUMN_TYPES:
        for part, table in zip(parts, column_tables(t, values)):
            part.setdefault("id", table["id"])
            part[f"c_{name}"] = table["c"]
    return [pa.table(p) for p in parts]


def test_write_dataset_and_process_in_chunks_round_trip_every_type(tmp_path):
    a, b, _ = wide_tables()
    table = pa.concat_tables([a, b])
    PyarrowDatasetIO().write_dataset(table, str(tmp_path / "ds"), max_rows_per_file=3)
    pq.write_table(without_views(table), tmp_path / "plain.parquet")
    want = pq.read_table(tmp_path / "plain.parquet")  # the types Parquet gives back
    got = pa.concat_tables(pq.read_table(f) for f in data_files(tmp_path / "ds"))
    assert got.schema == want.schema
    assert normal(rows_of(got), want.column_names) == normal(rows_of(want), want.column_names)
    chunks = list(process_in_chunks(str(tmp_path / "ds"), chunk_size_rows=2,
                                    enable_progress=False))
    scanned = pa.concat_tables(chunks)
    assert scanned.schema == want.schema
    assert normal(rows_of(scanned), want.column_names) == normal(rows_of(want), want.column_names)
    chunks = list(process_in_chunks(table, chunk_size_rows=3, enable_progress=False))
    scanned = pa.concat_tables(chunks)  # a table's chunks keep its types, views too
    assert scanned.schema == table.schema
    assert [exact(r) for r in rows_of(scanned)] == [exact(r) for r in rows_of(table)]  # in order


def test_merge_upsert_pyarrow_keeps_every_column_type(tmp_path):
    a, b, source = wide_tables()
    existing = pa.concat_tables([a, b])
    merged = merge_upsert_pyarrow(existing, source, ["id"])
    assert merged.schema == without_views(existing).schema
    columns = existing.column_names
    want = expected_rows(rows_of(existing), rows_of(source), ["id"], "upsert", columns)
    assert normal(rows_of(merged), columns) == normal([dict(zip(columns, r)) for r in want],
                                                      columns)


@pytest.mark.parametrize("keys", [["id"], ["c_scalar:uint64"],
                                  ["c_scalar:timestamp[ns,Asia/Kolkata]", "c_scalar:string"],
                                  ["c_scalar:decimal256(76,20)"]])
def test_a_wide_table_merges_exactly_through_ray(ray_cluster, tmp_path, keys):
    a, b, source = wide_tables()
    write_target(tmp_path, a, b)
    result, _ = check_merge(tmp_path, [a, b], source, keys, executor="ray")
    assert result.metrics["executor"] == "ray"
    assert not [p for p in os.listdir(tmp_path) if p.startswith("_fsspeckit")]
