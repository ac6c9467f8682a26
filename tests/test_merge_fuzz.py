"""Random merge sequences against the plain-Python model in merge_oracle.py (issue 13).

Each sequence is drawn from its own seed: key kind (int, string, composite, with null
keys), layout (flat or hive-partitioned), max_rows_per_file and row_group_size, then a
few merges of random strategy whose sources overlap the dataset and repeat keys. After
every merge the dataset must hold exactly the model's rows, and the counts must agree.
`make test` runs a few sequences; `make fuzz` runs many (FSSPECKIT_FUZZ_SEQUENCES).
A failure names its seed: rerun it with FSSPECKIT_FUZZ_SEED=<seed>.
"""

import os
import random

import pyarrow as pa
import pyarrow.dataset as ds
import pytest

from fsspeckit.datasets.pyarrow import PyarrowDatasetIO
from merge_oracle import expected_rows, key_of, sorted_rows

SEQUENCES = int(os.environ.get("FSSPECKIT_FUZZ_SEQUENCES", "100"))
SEEDS = ([int(os.environ["FSSPECKIT_FUZZ_SEED"])] if "FSSPECKIT_FUZZ_SEED" in os.environ
         else range(SEQUENCES))

KEY_KINDS = {
    "int": ([("id", pa.int64())], lambda rng: {"id": rng.choice([None] + list(range(16)))}),
    "string": ([("id", pa.string())],
               lambda rng: {"id": rng.choice([None] + [f"k{i}" for i in range(16)])}),
    "composite": ([("a", pa.int32()), ("b", pa.string())],
                  lambda rng: {"a": rng.choice([None, 0, 1, 2, 3]),
                               "b": rng.choice([None, "x", "y"])}),
}


def region_of(key_row):
    # A key never changes partition: the region follows from the key.
    return "east" if len(repr(sorted(key_row.items()))) % 2 else "west"


def draw_rows(rng, draw_key, hive, count, tag):
    out = []
    for i in range(count):
        row = draw_key(rng)
        if hive:
            row["region"] = region_of(row)
        row["value"] = rng.choice([None, rng.randint(-1000, 1000)])
        row["name"] = f"{tag}-{i}"
        out.append(row)
    return out


def read_rows(path, columns):
    if not os.path.isdir(path) or not any(p.endswith(".parquet") for _, _, files in os.walk(path)
                                          for p in files):
        return []
    table = ds.dataset(path, format="parquet", partitioning="hive").to_table()
    return sorted_rows([{c: r.get(c) for c in columns} for r in table.to_pylist()], columns)


@pytest.mark.parametrize("seed", SEEDS)
def test_random_merge_sequences_match_the_model(tmp_path, seed):
    rng = random.Random(seed)
    kind = rng.choice(sorted(KEY_KINDS))
    key_fields, draw_key = KEY_KINDS[kind]
    keys = [name for name, _ in key_fields]
    hive = rng.random() < 0.4
    fields = key_fields + ([("region", pa.string())] if hive else []) + [
        ("value", pa.int64()), ("name", pa.string())]
    schema = pa.schema(fields)
    columns = schema.names
    options = dict(max_rows_per_file=rng.choice([2, 3, 7, None]),
                   row_group_size=rng.choice([1, 2, 5, None]))
    partition = ["region"] if hive else None
    path = str(tmp_path / "ds")
    io = PyarrowDatasetIO()
    model = []
    if rng.random() < 0.6:  # a dataset written first, with unique keys
        initial, seen = [], set()
        for row in draw_rows(rng, draw_key, hive, rng.randint(1, 20), "init"):
            if key_of(row, keys) not in seen:
                seen.add(key_of(row, keys))
                initial.append(row)
        io.write_dataset(pa.Table.from_pylist(initial, schema=schema), path,
                         partition_by=partition, **options)
        model = initial
    for step in range(rng.randint(2, 5)):
        context = f"seed={seed} kind={kind} hive={hive} {options} step={step}"
        strategy = rng.choice(["insert", "update", "upsert"])
        source = draw_rows(rng, draw_key, hive, rng.randint(1, 12), f"s{step}")
        table = pa.Table.from_pylist(source, schema=schema)
        if strategy == "update" and not model and not os.path.isdir(path):
            with pytest.raises(ValueError, match="Cannot UPDATE a non-existent target"):
                io.merge(table, path, strategy, keys, partition_columns=partition, **options)
            continue
        result = io.merge(table, path, strategy, keys, partition_columns=partition, **options)
        expected = expected_rows(model, source, keys, strategy, columns)
        assert read_rows(path, columns) == expected, context
        target_keys = {key_of(row, keys) for row in model}
        source_keys = {key_of(row, keys) for row in source}
        matched = len(source_keys & target_keys)
        assert result.source_count == len(source_keys), context
        assert result.updated == (0 if strategy == "insert" else matched), context
        assert result.inserted == (0 if strategy == "update" else len(source_keys) - matched), context
        assert result.target_count_after == len(expected), context
        model = [dict(zip(columns, row)) for row in expected]
