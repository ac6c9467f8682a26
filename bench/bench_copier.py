"""Compaction by raw row-group copy (RowGroupCopier) vs decode/re-encode (Arrow's reader
and writer), side by side, and a check that pyarrow and DuckDB read the copies exactly.

Run with `.venv/bin/python bench/bench_copier.py` after `make install` (the C++ bench
binary is built with the tests). Shape (b) of issue 19: 40 files x 250k rows, one row
group each, compacted into 8 files. Each run is a fresh process (the binary); the two
contenders take turns, round by round, so load from other processes hits them alike;
best of --rounds. Before timing, --check copies files pyarrow and DuckDB wrote (every
codec, data page v1 and v2, nested columns, time zones, dictionaries, large strings,
nulls) and compares what both readers read from the copies with the sources.
"""

import argparse
import shutil
import subprocess
import sys
import tempfile
from decimal import Decimal
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

REPO = Path(__file__).resolve().parent.parent
BINARY = REPO / "build" / "py" / "bench" / "fsspeckit_copier_bench"


def run(mode, out_dir, outputs, codec, inputs):
    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)
    done = subprocess.run([str(BINARY), mode, str(out_dir), str(outputs), codec, *map(str, inputs)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"{mode} failed: {done.stderr.strip()}")
    words = done.stdout.split()
    result = dict(zip(words[::2], words[1::2]))
    return {"seconds": float(result["seconds"]), "copied": int(result["copied_row_groups"]),
            "decoded": int(result["decoded_row_groups"]),
            "pool_peak_mb": int(result["pool_peak_bytes"]) / 2**20}


def outputs_of(out_dir):
    return sorted(out_dir.glob("part-*.parquet"), key=lambda p: int(p.stem.split("-")[1]))


def same_rows_pyarrow(inputs, outputs):
    expected = pa.concat_tables([pq.read_table(p) for p in inputs])
    actual = pa.concat_tables([pq.read_table(p) for p in outputs])
    if not actual.schema.equals(expected.schema):
        return f"schema {actual.schema} != {expected.schema}"
    return None if actual.equals(expected) else "rows differ"


def same_rows_duckdb(inputs, outputs):
    import duckdb

    def rows(paths):
        listed = ", ".join(f"'{p}'" for p in paths)
        result = duckdb.sql(f"SELECT * FROM read_parquet([{listed}])").arrow()
        return result.read_all() if hasattr(result, "read_all") else result  # a reader in 1.4+

    expected, actual = rows(inputs), rows(outputs)
    return None if actual.equals(expected) else "rows differ"


def rich_table(first, rows):
    i = np.arange(first, first + rows)
    mask = lambda k: pa.array(i % k == 0)  # noqa: E731
    return pa.table({
        "id": pa.array(i, pa.int64()),
        "name": pc.if_else(mask(7), None, pa.array([f"name-{v % 50}" for v in i])),
        "big": pa.array([f"value number {v}" for v in i], pa.large_string()),
        "ts": pc.if_else(mask(11), None, pa.array(1_700_000_000_000_000 + i * 1_000_003,
                                                    pa.timestamp("us", tz="Europe/Paris"))),
        "cat": pa.array([["red", "green", "blue"][v % 3] for v in i]).dictionary_encode(),
        "tags": pa.array([None if v % 9 == 0 else [int(v), None, int(v * 3 % 1000)] for v in i],
                         pa.list_(pa.int32())),
        "point": pa.array([None if v % 17 == 0 else {"x": v + 0.5, "label": f"p{v % 40}"}
                           for v in i], pa.struct([("x", pa.float64()), ("label", pa.string())])),
        "attrs": pa.array([None if v % 6 == 0 else [(f"k{v % 4}", int(v)), ("z", None)] for v in i],
                          pa.map_(pa.string(), pa.int64())),
        "price": pa.array([None if v % 8 == 0 else Decimal(int(v) * 25) / 100 for v in i],
                          pa.decimal128(14, 2)),
        "flag": pc.if_else(mask(5), None, pa.array(i % 2 == 1)),
        "day": pa.array((19000 + i % 400).astype("int32"), pa.date32()),
    })


def check(root):
    """Copies of files pyarrow and DuckDB wrote read back exactly, in both readers."""
    import duckdb

    failures = []
    cases = []
    for codec in ["none", "snappy", "gzip", "zstd", "lz4"]:
        for version in ["1.0", "2.0"]:
            folder = root / f"check-{codec}-v{version}"
            folder.mkdir(parents=True)
            paths = []
            for k in range(3):
                path = folder / f"in-{k}.parquet"
                pq.write_table(rich_table(k * 5000, 4000 + k * 500), path, row_group_size=1500,
                               compression=codec, data_page_version=version,
                               write_page_index=k != 1, write_statistics=True,
                               data_page_size=8192)
                paths.append(path)
            cases.append((f"pyarrow {codec} page v{version}", paths))
    folder = root / "check-duckdb"
    folder.mkdir(parents=True)
    paths = []
    for k in range(3):
        path = folder / f"in-{k}.parquet"
        duckdb.sql(f"""COPY (SELECT i AS id, 'name-' || (i % 50) AS name,
                             CASE WHEN i % 7 = 0 THEN NULL ELSE i * 0.5 END::DOUBLE AS amount,
                             [i, i + 1] AS tags, {{'x': i, 'y': 'p' || (i % 3)}} AS point,
                             TIMESTAMPTZ '2024-01-01 00:00:00+00' + to_seconds(i) AS ts
                      FROM range({k * 100000}, {k * 100000 + 60000 + k * 7000}) t(i))
                      TO '{path}' (FORMAT parquet, ROW_GROUP_SIZE 20000)""")
        paths.append(path)
    cases.append(("duckdb", paths))

    for name, paths in cases:
        out = paths[0].parent / "out"
        result = run("copy", out, 1, "auto", paths)
        outputs = outputs_of(out)
        problems = [p for p in (same_rows_pyarrow(paths, outputs), same_rows_duckdb(paths, outputs)) if p]
        if result["decoded"]:
            problems.append(f"{result['decoded']} row groups were decoded, not copied")
        status = "ok" if not problems else "FAILED: " + "; ".join(problems)
        print(f"  {name:<28} {result['copied']:>3} row groups copied  {status}")
        if problems:
            failures.append(name)
    return failures


def make_shape_b(folder, files, rows):
    """Shape (b): `files` files of `rows` rows each, one large row group per file."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    rng = np.random.default_rng(1)
    for k in range(files):
        path = folder / f"part-{k:03d}.parquet"
        paths.append(path)
        if path.exists():
            continue
        ids = np.arange(k * rows, (k + 1) * rows, dtype=np.int64)
        table = pa.table({
            "id": ids,
            "user": rng.integers(0, 1_000_000, rows, dtype=np.int32),
            "amount": rng.random(rows) * 1000,
            "category": pa.array(np.array(["books", "games", "music", "tools", "food"])[ids % 5]),
            "comment": pc.binary_join_element_wise(
                "note ", pc.cast(pa.array(rng.integers(0, 10_000_000, rows)), pa.string()), ""),
            "ts": pa.array(1_700_000_000_000_000 + ids * 997, pa.timestamp("us", tz="UTC")),
        })
        pq.write_table(table, path, row_group_size=rows, compression="snappy",
                       write_page_index=True)
    return paths


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--files", type=int, default=40)
    parser.add_argument("--rows", type=int, default=250_000)
    parser.add_argument("--outputs", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-check", action="store_true")
    parser.add_argument("--data", type=Path, help="where to keep the generated inputs")
    args = parser.parse_args()
    if not BINARY.exists():
        sys.exit(f"{BINARY} is missing: run `make install` first")

    root = Path(tempfile.mkdtemp(prefix="fsspeckit-bench-copier-"))
    try:
        if not args.no_check:
            print("Copies read back exactly (pyarrow.parquet.read_table and DuckDB):")
            failures = check(root / "check")
            if failures:
                sys.exit(f"check failed: {', '.join(failures)}")
        data = args.data or root / "shape-b"
        inputs = make_shape_b(data, args.files, args.rows)
        input_mb = sum(p.stat().st_size for p in inputs) / 2**20
        best = {"copy": None, "reencode": None}
        for _ in range(args.rounds):
            for mode in best:
                result = run(mode, root / f"out-{mode}", args.outputs, "snappy", inputs)
                if best[mode] is None or result["seconds"] < best[mode]["seconds"]:
                    best[mode] = result
        for mode in best:
            outputs = outputs_of(root / f"out-{mode}")
            problem = same_rows_pyarrow(inputs, outputs)
            if problem:
                sys.exit(f"{mode}: {problem}")
        copy, reencode = best["copy"], best["reencode"]
        print(f"\nCompacting {args.files} files x {args.rows:,} rows ({input_mb:.0f} MiB, snappy) "
              f"into {args.outputs} files, best of {args.rounds} interleaved rounds, a fresh "
              "process per run:\n")
        print("| contender | seconds | row groups copied / decoded | Arrow pool peak |")
        print("|---|---:|---:|---:|")
        for name, r in [("raw row-group copy", copy), ("decode + re-encode (Arrow)", reencode)]:
            print(f"| {name} | {r['seconds']:.3f} | {r['copied']} / {r['decoded']} "
                  f"| {r['pool_peak_mb']:.1f} MiB |")
        print(f"\nraw copy is {reencode['seconds'] / copy['seconds']:.1f}x faster")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
