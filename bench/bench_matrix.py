"""Upsert on many data shapes: fsspeckit against DuckDB, delta-rs, the original, plain
pyarrow and the rewrite ceiling, interleaved in one run.

Run with `make bench`, or after `make bench-env`:
    .venv/bin/python bench/bench_matrix.py [--quick] [--rounds N] [--scale F] [--shapes a,b] [--contenders a,b] [--large]
                                           [--baseline PYTHON]

By default each shape's dataset is at half the size listed in SHAPES (--scale 1 for all of
it) and two rounds run: about 6 minutes on a busy 2-core machine. --quick: a quarter of
the size, one round.

Each shape is a target dataset (keys ascending through its files, snappy) and a source
of updates and new keys. Every contender runs in its own process on a fresh copy of the
dataset; the time is the merge call alone (imports, the copy and the Delta log excluded),
the peak RSS is the process's (VmHWM, read by the process at its end). Rounds are interleaved: round 1 of every shape and
contender, then round 2, ... Each result is checked: row count, distinct keys, and the
number of rows carrying the source's values (column `v` is negative only in the source).

Contenders:
- fsspeckit: PyarrowDatasetIO.merge(source, path, "upsert", ["id"]), in a fresh process as
  a CLI call or a scheduled job runs it.
- fsspeckit warm: the same in a process that has already merged once (a service).
- DuckDB: read every file, anti-join the source, write the union (PER_THREAD_OUTPUT),
  memory_limit set to the same budget as fsspeckit's merge_max_memory_mb.
- delta-rs: DeltaTable.merge(...).when_matched_update_all().when_not_matched_insert_all();
  the dataset is converted in place to a Delta table (convert_to_deltalake) before timing.
- original fsspeckit 0.29.0, from bench/.venv-original (skipped, with the reason, when no
  Python >= 3.12 is on the machine).
- plain pyarrow: read everything, filter out the source's keys, write everything.
- rewrite ceiling: read and write back only the files holding updated keys, row group by
  row group on two threads, with the writer settings fsspeckit's rewrites use (snappy, the
  file's row group size, no dictionary for columns >= 9 in 10 distinct): what a rewrite
  that decodes and encodes every affected byte costs, without finding a single key.

--baseline PYTHON: also run fsspeckit from another build (the python of a venv where an
earlier checkout is installed), as the contender "fsspeckit@baseline", interleaved like the
others: an A/B of two builds on every shape.

--large: 130M rows / 52 files (3.1 GB), a 1M-row upsert over every file, 256 MiB budget,
one round; plain pyarrow and the original are left out (they hold the whole dataset).
"""

import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parent))
import peer_env  # noqa: E402

HERE = Path(__file__).resolve().parent
DATA = HERE / "data" / "matrix"

# ---------------------------------------------------------------- data shapes


def compressible(ids, rng, source):
    return {
        "v": pc.subtract(pc.multiply(ids, -3), 1) if source else pc.multiply(ids, 3),
        "name": pc.binary_join_element_wise("src-" if source else "row-", pc.cast(ids, pa.string()), ""),
        "amount": pc.multiply(pc.cast(ids, pa.float64()), 0.5 if source else 0.25),
        "category": pc.cast(pc.bit_wise_and(ids, 255), pa.int32()),
        "note": pc.binary_join_element_wise(
            "note for customer ", pc.cast(pc.bit_wise_and(ids, 65535), pa.string()), ""),
    }


def random_narrow(ids, rng, source):
    n = len(ids)
    v = rng.integers(0, 2**62, n)
    return {"v": pa.array(-v - 1 if source else v), "score": pa.array(rng.random(n))}


def unique_string(ids, rng, source):
    """Narrow, with one column of unique strings (user ids, urls): a dictionary saves nothing."""
    salt = pa.array(rng.integers(0, 1 << 40, len(ids)))
    return {"v": pc.negate(pc.add(ids, 1)) if source else ids,
            "uid": pc.binary_join_element_wise(
                "user-", pc.cast(ids, pa.string()), "-", pc.cast(salt, pa.string()), "")}


def _nulls(rng, array, fraction=0.1):
    return pc.if_else(pa.array(rng.random(len(array)) < fraction), pa.scalar(None, array.type), array)


def _words(rng, n, low, high, vocabulary=2000):
    words = pa.array([f"w{i:x}{'abcdefgh'[i % 8] * (i % 7)}" for i in range(vocabulary)])
    counts = rng.integers(low, high + 1, n)
    offsets = pa.array(np.concatenate([[0], np.cumsum(counts)]).astype(np.int32))
    chosen = words.take(pa.array(rng.integers(0, vocabulary, int(counts.sum()))))
    return pc.binary_join(pa.ListArray.from_arrays(offsets, chosen), " ")


def _pick(rng, values, n):
    return pa.array(values).take(pa.array(rng.integers(0, len(values), n)))


def wide(ids, rng, source):
    n = len(ids)
    start = np.datetime64("2020-01-01T00:00:00", "us")
    stamps = start + rng.integers(0, 5 * 365 * 86400, n).astype("timedelta64[s]")
    hexes = pc.utf8_slice_codeunits(pc.cast(pa.array(rng.integers(10**15, 10**18, n)), pa.string()), 0, 12)
    return {
        "v": pc.negate(pc.add(ids, 1)) if source else ids,
        "qty": pa.array(rng.integers(0, 1000, n), pa.int32()),
        "small": _nulls(rng, pa.array(rng.integers(0, 100, n), pa.int16())),
        "flag": _nulls(rng, pa.array(rng.random(n) < 0.5)),
        "price": _nulls(rng, pa.array(np.round(rng.random(n) * 1000, 2))),
        "ratio": pa.array(rng.random(n), pa.float32()),
        "score": pa.array(rng.random(n)),
        "created": pa.array(stamps, pa.timestamp("us", tz="UTC")),
        "day": _nulls(rng, pc.cast(pa.array(stamps.astype("datetime64[D]")), pa.date32())),
        "amount": _nulls(rng, pc.cast(pa.array(rng.integers(0, 10**8, n), pa.int32()), pa.decimal128(12, 2))),
        "status": _pick(rng, ["new", "paid", "shipped", "returned", "closed"], n),
        "country": _nulls(rng, _pick(rng, [f"C{i:02d}" for i in range(50)], n)),
        "code": _nulls(rng, hexes),
        "comment": _nulls(rng, _words(rng, n, 2, 8), 0.3),
        "seq": pc.multiply(ids, 7),
        "bucket": pc.cast(pc.bit_wise_and(ids, 1023), pa.int32()),
        "c_i64": _nulls(rng, pa.array(rng.integers(-2**40, 2**40, n))),
        "c_f64": _nulls(rng, pa.array(rng.standard_normal(n))),
        "c_i32": pa.array(rng.integers(-2**30, 2**30, n), pa.int32()),
        "region": _pick(rng, ["north", "south", "east", "west", "central", "islands"], n),
        "email": pc.binary_join_element_wise("user", pc.cast(ids, pa.string()), "@example.com", ""),
        "version": pa.array(rng.integers(0, 20, n), pa.int32()),
        "updated": _nulls(rng, pa.array(stamps + np.timedelta64(3600, "s"), pa.timestamp("us", tz="UTC"))),
    }


def strings(ids, rng, source):
    n = len(ids)
    return {
        "v": pc.negate(pc.add(ids, 1)) if source else ids,
        "token": pc.cast(pa.array(rng.integers(10**17, 10**18, n)), pa.string()),
        "title": _words(rng, n, 2, 6),
        "body": _words(rng, n, 10, 40),
        "tag": _pick(rng, [f"tag-{i}" for i in range(200)], n),
        "url": pc.binary_join_element_wise("https://example.com/item/", pc.cast(ids, pa.string()),
                                           "?ref=", _pick(rng, ["mail", "web", "app", "ad"], n), ""),
    }


def nested(ids, rng, source):
    n = len(ids)
    counts = rng.integers(0, 6, n)
    offsets = pa.array(np.concatenate([[0], np.cumsum(counts)]).astype(np.int32))
    tags = pa.ListArray.from_arrays(offsets, pa.array(rng.integers(0, 500, int(counts.sum())), pa.int32()))
    point = pa.StructArray.from_arrays(
        [pa.array(rng.random(n)), _pick(rng, ["a", "b", "c", "d"], n)], names=["x", "label"])
    return {"v": pc.negate(pc.add(ids, 1)) if source else ids, "tags": tags, "point": point}


@dataclass
class Dataset:
    name: str
    columns: object  # (ids, rng, source) -> {name: array}
    rows: int
    files: int
    row_group: int = 100_000


@dataclass
class Shape:
    name: str
    what: str
    dataset: Dataset
    updates: str  # "strided", "random", or "clustered:<first file>:<files>"
    update_fraction: float
    insert_fraction: float


COMPRESSIBLE = Dataset("compressible", compressible, 4_000_000, 8)
RANDOM = Dataset("random-narrow", random_narrow, 5_000_000, 10)
WIDE = Dataset("wide", wide, 1_000_000, 8)
STRINGS = Dataset("strings", strings, 1_500_000, 8)
NESTED = Dataset("nested", nested, 2_000_000, 8)
LARGE = Dataset("large", compressible, 130_000_000, 52)
UNIQUE = Dataset("unique-string", unique_string, 5_000_000, 10)
SMALL_FILES = Dataset("small-files", random_narrow, 5_000_000, 2000, row_group=2_500)

SHAPES = [
    Shape("compressible-strided-all", "6 compressible columns, 5% updates evenly strided over every file, 5% new",
          COMPRESSIBLE, "strided", 0.05, 0.05),
    Shape("random-narrow-all", "3 columns of random int64/float64, 5% updates at random positions over every file, 5% new",
          RANDOM, "random", 0.05, 0.05),
    Shape("compressible-one-file", "6 compressible columns, 20,000 updates clustered inside one file, as many new",
          COMPRESSIBLE, "clustered:3:1", 0.005, 0.005),
    Shape("wide-two-files", "24 mixed columns with nulls, 2.5% updates clustered over 2 files, 2.5% new",
          WIDE, "clustered:2:2", 0.025, 0.025),
    Shape("wide-random-all", "24 mixed columns with nulls, 2.5% updates at random positions over every file, 2.5% new",
          WIDE, "random", 0.025, 0.025),
    Shape("strings-random-all", "5 string columns (tokens, texts of 2-40 words, urls), 5% updates at random positions, 5% new",
          STRINGS, "random", 0.05, 0.05),
    Shape("nested-strided-all", "list<int32> and struct<x, label> columns, 5% updates evenly strided over every file, 5% new",
          NESTED, "strided", 0.05, 0.05),
    Shape("unique-string-random", "int64 + one unique-string column, 5% updates at random positions, 5% new",
          UNIQUE, "random", 0.05, 0.05),
    Shape("small-files-random", "2,000 files of 2,500 rows (3 narrow columns), 0.5% updates at random positions, 0.5% new",
          SMALL_FILES, "random", 0.005, 0.005),
]
LARGE_SHAPE = Shape("large-3GB-all", "130M rows / 52 files, 500,000 updates strided over every file, 500,000 new",
                    LARGE, "strided", 500_000 / 130_000_000, 500_000 / 130_000_000)


def table_for(dataset, ids, seed, source):
    ids = pa.array(ids, pa.int64())
    rng = np.random.default_rng(seed)
    return pa.table({"id": ids, **dataset.columns(ids, rng, source)})


def generate(dataset, scale):
    rows = int(dataset.rows * scale)
    root = DATA / f"{dataset.name}-{rows}"
    if (root / "_complete").exists():
        return root, rows
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    per_file = rows // dataset.files
    for f in range(dataset.files):
        writer = None
        for start in range(f * per_file, (f + 1) * per_file, 1_000_000):
            stop = min(start + 1_000_000, (f + 1) * per_file)
            table = table_for(dataset, np.arange(start, stop), seed=start, source=False)
            writer = writer or pq.ParquetWriter(root / f"part-{f:03d}.parquet", table.schema)
            writer.write_table(table, row_group_size=dataset.row_group)
        writer.close()
    (root / "_complete").touch()
    return root, rows


def make_source(shape, rows, path):
    dataset = shape.dataset
    updates, inserts = int(rows * shape.update_fraction), int(rows * shape.insert_fraction)
    rng = np.random.default_rng(7)
    if shape.updates == "strided":
        update_ids = np.arange(0, rows, rows // updates)[:updates]
    elif shape.updates == "random":
        update_ids = rng.choice(rows, updates, replace=False)
    else:  # one contiguous run of keys starting inside the given file
        _, first_file, files = shape.updates.split(":")
        per_file = rows // dataset.files
        middle = (int(first_file) + int(files) / 2) * per_file
        update_ids = np.arange(int(middle - updates / 2), int(middle - updates / 2) + updates)
    ids = np.concatenate([update_ids, np.arange(rows, rows + inserts)])
    source = table_for(dataset, ids, seed=11, source=True)
    pq.write_table(source, path)
    return updates, inserts, set(np.unique(update_ids // (rows // dataset.files)).tolist())


def plain_columns(path):
    """Leaf columns fsspeckit's rewrites write without a dictionary (>= 9 in 10 distinct)."""
    file = pq.ParquetFile(path)
    plain = []
    for c in range(file.metadata.num_columns):
        leaf = file.schema.column(c).path
        column = file.read_row_group(0, columns=[leaf.split(".")[0]]).column(0).combine_chunks()
        while True:  # down to the leaf values
            if isinstance(column, pa.StructArray):
                column = column.field(leaf.split(".")[-1] if len(leaf.split(".")) == 2 else 0)
            elif isinstance(column, (pa.ListArray, pa.LargeListArray)):
                column = column.flatten()
            else:
                break
        values = len(column) - column.null_count
        if values and pc.count_distinct(column).as_py() * 10 >= values * 9:
            plain.append(leaf)
    return plain

# ---------------------------------------------------------------- contenders

SETUP = """
import json, os, sys, time, pyarrow as pa, pyarrow.dataset as ds, pyarrow.parquet as pq
TARGET, SOURCE, BUDGET_MB = sys.argv[1], sys.argv[2], int(sys.argv[3])
EXTRA = json.loads(sys.argv[4])
source = pq.read_table(SOURCE)

import resource

def begin():
    global cpu_start, faults_start
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu_start = usage.ru_utime + usage.ru_stime
    faults_start = usage.ru_minflt
    return time.perf_counter()

def report(seconds, pool_mb=float("nan")):
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu_s = usage.ru_utime + usage.ru_stime - cpu_start  # on a busy machine, steadier than wall time
    # The peak RSS from this process's own memory map: wait4's ru_maxrss would count the
    # benchmark's process as well, whose image the child starts from until exec.
    with open("/proc/self/status") as status:
        hwm_kib = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
    # Pages first touched (or touched again after an allocator gave them back): a fresh
    # process's cost that the load of other processes does not change.
    print(seconds, pool_mb, hwm_kib / 1024, cpu_s, usage.ru_minflt - faults_start)
"""

OURS = SETUP + """
from fsspeckit.datasets.pyarrow import PyarrowDatasetIO
start = begin()
result = PyarrowDatasetIO().merge(source, TARGET, "upsert", ["id"], merge_max_memory_mb=BUDGET_MB)
report(time.perf_counter() - start, result.metrics["memory_peak_mb"])
"""

# The same merge in a process that has merged before (a long-running service): a warm-up
# merge into a copy of the dataset first, untimed.
OURS_WARM = SETUP + """
import shutil
from fsspeckit.datasets.pyarrow import PyarrowDatasetIO
warm = TARGET.rstrip("/") + "-warm-up"
shutil.copytree(TARGET, warm)
PyarrowDatasetIO().merge(source, warm, "upsert", ["id"], merge_max_memory_mb=BUDGET_MB)
shutil.rmtree(warm)
start = begin()
result = PyarrowDatasetIO().merge(source, TARGET, "upsert", ["id"], merge_max_memory_mb=BUDGET_MB)
report(time.perf_counter() - start, result.metrics["memory_peak_mb"])
"""

ORIGINAL = SETUP + """
from loguru import logger
logger.remove()
from fsspeckit.datasets.pyarrow import PyarrowDatasetIO
start = begin()
result = PyarrowDatasetIO().merge(source, TARGET, "upsert", ["id"], merge_max_memory_mb=BUDGET_MB)
report(time.perf_counter() - start, (result.metrics or {}).get("memory_peak_mb", float("nan")))
"""

DUCKDB = SETUP + """
import duckdb, shutil
start = begin()
con = duckdb.connect()
con.execute("SET enable_progress_bar = false")
con.execute(f"SET memory_limit = '{BUDGET_MB}MB'")
con.register("src", source)
out = TARGET + ".new"
con.execute(f'''COPY (SELECT t.* FROM read_parquet('{TARGET}/*.parquet') t
                      ANTI JOIN src s ON t.id = s.id
                      UNION ALL SELECT * FROM src)
               TO '{out}' (FORMAT parquet, PER_THREAD_OUTPUT)''')
shutil.rmtree(TARGET); shutil.move(out, TARGET)
report(time.perf_counter() - start)
"""

DELTA = SETUP + """
from deltalake import DeltaTable
table = DeltaTable(TARGET)
start = begin()
(table.merge(source, predicate="t.id = s.id", source_alias="s", target_alias="t")
      .when_matched_update_all().when_not_matched_insert_all().execute())
report(time.perf_counter() - start)
"""

PYARROW = SETUP + """
import pyarrow.compute as pc, shutil
start = begin()
target = ds.dataset(TARGET, format="parquet").to_table()
kept = target.filter(pc.invert(pc.is_in(target["id"], source["id"])))
merged = pa.concat_tables([kept, source.cast(kept.schema)])
out = TARGET + ".new"
ds.write_dataset(merged, out, format="parquet", max_rows_per_file=EXTRA["rows_per_file"],
                 max_rows_per_group=EXTRA["row_group"], min_rows_per_group=EXTRA["row_group"])
shutil.rmtree(TARGET); shutil.move(out, TARGET)
report(time.perf_counter() - start)
"""

CEILING = SETUP + """
from concurrent.futures import ThreadPoolExecutor
files, plain = EXTRA["affected"], set(EXTRA["plain"])
one = len(files) == 1  # one file: its columns decode on both cores instead

def rewrite(name):
    path = os.path.join(TARGET, name)
    file = pq.ParquetFile(path)
    leaves = [file.schema.column(c).path for c in range(file.metadata.num_columns)]
    with pq.ParquetWriter(path + ".tmp", file.schema_arrow, compression="snappy",
                          use_dictionary=[c for c in leaves if c not in plain]) as writer:
        for rg in range(file.num_row_groups):
            writer.write_table(file.read_row_group(rg, use_threads=one), row_group_size=EXTRA["row_group"])
    os.replace(path + ".tmp", path)

start = begin()
with ThreadPoolExecutor(2) as pool:
    list(pool.map(rewrite, files))
report(time.perf_counter() - start)
"""

CHECK = """
import sys, pyarrow.dataset as ds, pyarrow.compute as pc
path = sys.argv[1]
if sys.argv[2] == "delta":
    from deltalake import DeltaTable
    dataset = DeltaTable(path).to_pyarrow_dataset()
else:
    dataset = ds.dataset(path, format="parquet")
t = dataset.to_table(columns=["id", "v"])
print(t.num_rows, len(pc.unique(t["id"])), pc.sum(pc.less(t["v"], 0)).as_py() or 0)
"""

OURS_NAME = "fsspeckit"


def contenders(large):
    original = peer_env.original_python()
    peers = {
        OURS_NAME: (sys.executable, OURS),
        OURS_NAME + " warm": (sys.executable, OURS_WARM),
        "DuckDB": (sys.executable, DUCKDB),
        "delta-rs": (sys.executable, DELTA),
        "original 0.29.0": (original, ORIGINAL),
        "pyarrow": (sys.executable, PYARROW),
        "ceiling": (sys.executable, CEILING),
    }
    if large:
        del peers["original 0.29.0"], peers["pyarrow"]
    for name, module in (("DuckDB", "duckdb"), ("delta-rs", "deltalake")):
        try:
            __import__(module)
        except ImportError:
            print(f"note: {module} is not installed (make bench-env installs it): {name} skipped", file=sys.stderr)
            del peers[name]
    return {name: peer for name, peer in peers.items() if peer[0]}


def run(name, python, code, dataset, source, budget_mb, extra):
    work = dataset.parent / (dataset.name + "-work")
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(dataset, work, ignore=shutil.ignore_patterns("_complete"))
    kind = "parquet"
    if name == "delta-rs":
        from deltalake import convert_to_deltalake
        convert_to_deltalake(str(work))
        kind = "delta"
    proc = subprocess.Popen([python, "-c", code, str(work), str(source), str(budget_mb), json.dumps(extra)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = proc.communicate()
    if proc.returncode != 0:
        shutil.rmtree(work, ignore_errors=True)
        return {"error": (err.strip().splitlines() or ["exit " + str(status)])[-1][:200]}
    seconds, pool_mb, rss_mb, cpu_s, faults = out.strip().splitlines()[-1].split()
    check = subprocess.run([sys.executable, "-c", CHECK, str(work), kind], capture_output=True,
                           text=True, check=True).stdout.split()
    shutil.rmtree(work, ignore_errors=True)
    return {"s": float(seconds), "pool_mb": float(pool_mb), "rss_mb": float(rss_mb), "cpu_s": float(cpu_s), "faults": int(faults),
            "check": [int(c) for c in check]}

# ---------------------------------------------------------------- the run


def prepare(shape, scale):
    root, rows = generate(shape.dataset, scale)
    source = DATA / f"source-{shape.name}-{rows}.parquet"
    updates, inserts, affected_files = make_source(shape, rows, source)
    names = sorted(p.name for p in root.glob("*.parquet"))
    per_file = rows // shape.dataset.files
    extra = {"affected": [names[f] for f in sorted(affected_files)], "plain": plain_columns(root / names[0]),
             "rows_per_file": per_file, "row_group": min(shape.dataset.row_group, per_file)}
    expected = [rows + inserts, rows + inserts, updates + inserts]
    return root, source, extra, expected, rows


def expected_for(name, expected, rows):
    """The check's expected figures: the ceiling rewrites the dataset unchanged."""
    return [rows, rows, 0] if name == "ceiling" else expected


def metric_table(shapes, prepared, results, names, key, digits):
    """One row per shape: each contender's least `key` over its rounds, with its ratio to
    fsspeckit's; a result that failed the check is marked WRONG."""
    print("| shape | rows / files (affected) | " + " | ".join(names) + " |")
    print("|---|---|" + "---:|" * len(names))
    for shape in shapes:
        _, _, extra, expected, rows = prepared[shape.name]
        ours = [r[key] for r in results[(shape.name, OURS_NAME)] if key in r]
        cells = []
        for name in names:
            runs = results[(shape.name, name)]
            done = [r for r in runs if key in r]
            if not done:
                cells.append("failed" if runs else "")
                continue
            least = min(r[key] for r in done)
            cell = f"{least:.{digits}f}"
            if name != OURS_NAME and ours and min(ours) > 0:
                cell += f" ({least / min(ours):.2f}x)"
            wrong = any(r["check"] != expected_for(name, expected, rows) for r in done)
            cells.append(cell + (" WRONG" if wrong else ""))
        print(f"| {shape.name} | {rows:,} / {shape.dataset.files} ({len(extra['affected'])}) | "
              + " | ".join(cells) + " |")


def report(shapes, prepared, results, names, rounds, command):
    print(f"\nCommand: `{command}`; best of {rounds} interleaved round(s); "
          f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}.\n")
    print("Wall seconds of the merge call, best round (in brackets: that contender's / "
          "fsspeckit's; above 1.00x fsspeckit is faster):\n")
    metric_table(shapes, prepared, results, names, "s", 2)
    print("\nCPU seconds (user + sys, all threads) of the merge call, least over the rounds "
          "(steadier than wall time on a busy machine):\n")
    metric_table(shapes, prepared, results, names, "cpu_s", 2)
    print("\nPeak RSS MiB of the contender's process (VmHWM; fsspeckit's Arrow pool peak in brackets), "
          "most over the rounds:\n")
    print("| shape | " + " | ".join(names) + " |")
    print("|---|" + "---:|" * len(names))
    for shape in shapes:
        cells = []
        for name in names:
            done = [r for r in results[(shape.name, name)] if "s" in r]
            if not done:
                cells.append("")
                continue
            cell = f"{max(r['rss_mb'] for r in done):.0f}"
            if name == OURS_NAME:
                cell += f" ({max(r['pool_mb'] for r in done):.0f})"
            cells.append(cell)
        print(f"| {shape.name} | " + " | ".join(cells) + " |")
    print("\nEvery round, wall seconds:\n")
    for shape in shapes:
        parts = []
        for name in names:
            runs = results[(shape.name, name)]
            parts.append(name + " " + ", ".join(f"{r['s']:.2f}" if "s" in r else "failed" for r in runs))
        print(f"- {shape.name}: " + "; ".join(parts))
    for (shape, name), runs in results.items():
        expected = expected_for(name, prepared[shape][3], prepared[shape][4])
        for r in runs:
            if "error" in r:
                print(f"- failure, {shape} / {name}: {r['error']}")
            elif r["check"] != expected:
                print(f"- WRONG result, {shape} / {name}: rows, distinct ids, source rows = "
                      f"{r['check']}, expected {expected}")
    print("\nShapes:\n")
    for shape in shapes:
        print(f"- {shape.name}: {shape.what}")


def main():
    args = sys.argv[1:]
    if "--help" in args or "-h" in args:
        print(__doc__)
        return
    large = "--large" in args
    quick = "--quick" in args
    rounds = int(args[args.index("--rounds") + 1]) if "--rounds" in args else (1 if quick or large else 2)
    shapes = [LARGE_SHAPE] if large else SHAPES
    if "--shapes" in args:
        wanted = args[args.index("--shapes") + 1].split(",")
        shapes = [s for s in shapes if s.name in wanted]
    scale = float(args[args.index("--scale") + 1]) if "--scale" in args else (0.25 if quick else 0.5)
    scale = 1.0 if large else scale  # the 3 GB case is the point of --large
    budget_mb = 256 if large else 1024
    peers = contenders(large)
    if "--baseline" in args:
        peers[OURS_NAME + "@baseline"] = (args[args.index("--baseline") + 1], OURS)
    if "--contenders" in args:  # for iterating on one contender: e.g. fsspeckit,DuckDB,ceiling
        wanted = args[args.index("--contenders") + 1].split(",")
        peers = {name: peer for name, peer in peers.items() if name in wanted}
    names = list(peers)
    DATA.mkdir(parents=True, exist_ok=True)
    prepared = {}
    for shape in shapes:
        print(f"preparing {shape.name}", file=sys.stderr, flush=True)
        prepared[shape.name] = prepare(shape, scale)
    results = {(s.name, n): [] for s in shapes for n in names}
    for r in range(rounds):
        for shape in shapes:
            root, source, extra, _, _ = prepared[shape.name]
            order = names[r % len(names):] + names[:r % len(names)]  # who goes first rotates
            for name in order:
                python, code = peers[name]
                print(f"round {r + 1}: {shape.name} / {name}", file=sys.stderr, flush=True)
                results[(shape.name, name)].append(run(name, python, code, root, source, budget_mb, extra))
    command = ".venv/bin/python bench/bench_matrix.py " + " ".join(args)
    report(shapes, prepared, results, names, rounds, command.strip())


if __name__ == "__main__":
    main()
