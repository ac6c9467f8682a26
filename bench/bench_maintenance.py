"""Dataset maintenance benchmark (issue 19): fsspeckit vs the original fsspeckit 0.29.0,
delta-rs and DuckDB, side by side on four shapes.

Run after `make bench-env` (DuckDB and delta-rs into .venv, the original into
bench/.venv-original): `.venv/bin/python bench/bench_maintenance.py [--rounds N]
[--shapes a,b,c,d] [--ray]` (--ray adds the same operation through executor="ray").

  (a) 2,000 files x 2,500 rows, hive by day (20 days) -- compact to one file a day;
  (b) 40 files x 250,000 rows in one row group each -- compact to 8 files (the raw
      copier's case: nothing needs decoding);
  (c) 20 files, 1.05M rows, 5% of the keys repeated -- deduplicate on id, latest ts wins;
  (d) 5M rows -- sort by two columns under a 64 MiB budget.

Every contender runs in its own process on a fresh copy; the time is the operation alone
(imports and the copy excluded); the Arrow pool peak is pyarrow's max_memory() in that
process (DuckDB and delta-rs do not use it: blank). Each result is checked (rows, files,
distinct keys, order). delta-rs runs on the same files made a Delta table
(convert_to_deltalake) before the clock starts; it has no deduplication. DuckDB rewrites
the whole dataset (it has no in-place maintenance). Contenders run in interleaved rounds.
"""

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import peer_env  # noqa: E402

HERE = Path(__file__).resolve().parent
DATA = HERE / "data" / "maintenance"

# Each runner prints one JSON line: {"seconds": s, "cpu_seconds": s, "pool_mb": peak or
# null}. CPU seconds are every thread's, from the clock's start: on a machine shared with
# other work they tell more than wall seconds.
PRELUDE = """
import json, sys, time
PATH = sys.argv[1]
def begin():
    global CPU_AT_START
    CPU_AT_START = time.process_time()
    return time.perf_counter()
def done(start, pool=None):
    import pyarrow as pa
    peak = pa.default_memory_pool().max_memory() / 2**20 if pool else None
    print(json.dumps({"seconds": time.perf_counter() - start,
                      "cpu_seconds": time.process_time() - CPU_AT_START, "pool_mb": peak}))
"""

OURS = PRELUDE + """
import fsspec, fsspeckit
fs = fsspec.filesystem("file")
start = begin()
result = OPERATION
assert result.succeeded, result.error
done(start, pool=True)
"""

# The same operation through executor="ray" on a 2-CPU Ray cluster started in the
# process (untimed), its workers warmed by a small compaction first (untimed): a
# cluster that is already running.
OURS_RAY = PRELUDE + """
import fsspec, fsspeckit, ray, tempfile, pyarrow as pa, pyarrow.parquet as pq
ray.init(num_cpus=2, include_dashboard=False, logging_level="ERROR", log_to_driver=False)
fs = fsspec.filesystem("file")
warm = tempfile.mkdtemp()
for day in range(4):
    pq.write_table(pa.table({"id": [day]}), f"{warm}/part-{day}.parquet")
assert fs.compact_parquet_dataset(warm, target_rows_per_file=2, executor="ray").succeeded
start = begin()
result = OPERATION
assert result.succeeded, result.error
done(start)  # the pools are the workers': blank; CPU seconds are the driver's only
"""

ORIGINAL = PRELUDE + """
from loguru import logger
logger.remove()
import fsspec, fsspeckit
fs = fsspec.filesystem("file")
start = begin()
result = OPERATION
assert result.succeeded, result.error
done(start, pool=True)
"""

DELTA = PRELUDE + """
import pyarrow as pa
from deltalake import DeltaTable, convert_to_deltalake
convert_to_deltalake(PATH, PARTITIONING)  # the same files, made a Delta table
table = DeltaTable(PATH)
start = begin()
OPERATION
table.vacuum(retention_hours=0, enforce_retention_duration=False, dry_run=False)
done(start)
"""

DUCKDB = PRELUDE + """
import duckdb, shutil, os
start = begin()
con = duckdb.connect()
con.execute("SET enable_progress_bar = false")
SETTINGS
out = PATH + ".new"
con.execute(f"COPY (QUERY) TO '{out}' (FORMAT parquet, OPTIONS)")
shutil.rmtree(PATH)
if os.path.isdir(out):
    shutil.move(out, PATH)
else:  # one file
    os.makedirs(PATH); shutil.move(out, PATH + "/data_0.parquet")
shutil.rmtree(PATH + ".spill", ignore_errors=True)
done(start)
"""

SHAPES = {
    "a": {
        "what": "2,000 files x 2,500 rows, hive by day (20 days): compact",
        "runners": {
            "fsspeckit (this project)": (OURS, "fs.compact_parquet_dataset(PATH, target_mb_per_file=128)"),
            "original fsspeckit 0.29.0": (ORIGINAL, "fs.compact_parquet_dataset(PATH, target_mb_per_file=128)"),
            "delta-rs optimize.compact()": (DELTA, "table.optimize.compact(target_size=128 * 2**20)"),
            "DuckDB COPY (full rewrite)": (DUCKDB, {
                "QUERY": "SELECT * FROM read_parquet('{PATH}/*/*.parquet', hive_partitioning=true)",
                "OPTIONS": "PARTITION_BY (day)"}),
        },
        "partitioning": ("partition_by=__import__('deltalake').Schema.from_arrow(pa.schema([('day', pa.string())])), "
                         "partition_strategy='hive'"),
    },
    "b": {
        "what": "40 files x 250,000 rows, large row groups: compact to 8 files",
        "runners": {
            "fsspeckit (this project)": (OURS, "fs.compact_parquet_dataset(PATH, target_rows_per_file=1_250_000)"),
            "original fsspeckit 0.29.0": (ORIGINAL, "fs.compact_parquet_dataset(PATH, target_rows_per_file=1_250_000)"),
            "delta-rs optimize.compact()": (DELTA, "table.optimize.compact(target_size=TARGET_SIZE)"),
            "DuckDB COPY (full rewrite)": (DUCKDB, {
                "QUERY": "SELECT * FROM read_parquet('{PATH}/*.parquet')",
                "OPTIONS": "FILE_SIZE_BYTES TARGET_SIZE, ROW_GROUP_SIZE 250000"}),
        },
        "partitioning": "",
    },
    "c": {
        "what": "20 files, 1.05M rows, 5% of the keys repeated: deduplicate on id, latest ts wins",
        "runners": {
            "fsspeckit (this project)": (OURS, "fs.deduplicate_parquet_dataset(PATH, key_columns=['id'], dedup_order_by=['-ts'])"),
            "original fsspeckit 0.29.0": (ORIGINAL, "fs.deduplicate_parquet_dataset(PATH, key_columns=['id'], dedup_order_by=['-ts'])"),
            "DuckDB COPY (full rewrite)": (DUCKDB, {
                "QUERY": "SELECT * FROM read_parquet('{PATH}/*.parquet') QUALIFY row_number() OVER (PARTITION BY id ORDER BY ts DESC) = 1",
                "OPTIONS": "PER_THREAD_OUTPUT"}),
        },
        "partitioning": "",
    },
    "d": {
        "what": "5M rows: sort by (category, amount desc) under a 64 MiB budget",
        "runners": {
            "fsspeckit (this project)": (OURS, "fs.ordered_compact_parquet_dataset(PATH, sort_keys=['category', '-amount'], target_rows_per_file=5_000_000, memory_budget_mb=64)"),
            "original fsspeckit 0.29.0": (ORIGINAL, "fs.ordered_compact_parquet_dataset(PATH, sort_keys=['category', '-amount'], target_rows_per_file=5_000_000, memory_budget_mb=64, spill_directory=PATH + '/../spill')"),
            "delta-rs optimize.z_order()": (DELTA, "table.optimize.z_order(['category', 'amount'], max_spill_size=64 * 2**20)"),
            "DuckDB COPY ... ORDER BY (64 MB)": (DUCKDB, {
                "QUERY": "SELECT * FROM read_parquet('{PATH}/*.parquet') ORDER BY category, amount DESC",
                # Its default row groups: 500,000-row ones do not fit 64 MB.
                "OPTIONS": "ROW_GROUP_SIZE 122880",
                "SETTINGS": "con.execute(\"SET memory_limit = '64MB'\"); "
                            "con.execute(f\"SET temp_directory = '{PATH}.spill'\")"}),
        },
        "partitioning": "",
    },
}


def generate(shape: str) -> Path:
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    root = DATA / shape
    if (root / "_complete").exists():
        return root
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    rng = np.random.default_rng(19)

    def rows(first, n, ids=None):
        ids = pa.array(np.arange(first, first + n) if ids is None else ids, pa.int64())
        return pa.table({
            "id": ids,
            "name": pc.binary_join_element_wise("name-", pc.cast(pc.bit_wise_and(ids, 1023), pa.string()), ""),
            "amount": pa.array(rng.random(n) * 1000),
            "category": pa.array(rng.integers(0, 200, n).astype("int32")),
            "ts": pa.array(rng.integers(0, 1_000_000, n)),
        })

    if shape == "a":
        for day in range(20):
            folder = root / f"day=2026-01-{day + 1:02d}"
            folder.mkdir()
            for f in range(100):
                pq.write_table(rows((day * 100 + f) * 2500, 2500), folder / f"part-{f:04d}.parquet")
    elif shape == "b":
        for f in range(40):
            pq.write_table(rows(f * 250_000, 250_000), root / f"part-{f:04d}.parquet",
                           row_group_size=250_000)
    elif shape == "c":
        unique = 1_000_000
        repeated = rng.choice(unique, 50_000, replace=False)  # 5% of the keys twice
        ids = rng.permutation(np.concatenate([np.arange(unique), repeated]))
        for f in range(20):
            part = ids[f * 52_500:(f + 1) * 52_500]
            pq.write_table(rows(0, len(part), ids=part), root / f"part-{f:04d}.parquet")
    else:
        for f in range(10):
            pq.write_table(rows(f * 500_000, 500_000), root / f"part-{f:04d}.parquet",
                           row_group_size=100_000)
    (root / "_complete").touch()
    return root


CHECK = """
import json, sys, pyarrow.dataset as ds, pyarrow.compute as pc, os
path = sys.argv[1]
files = [f for d, _, fs in os.walk(path) for f in fs if f.endswith(".parquet") and "/_" not in d[len(path):] and "/." not in d[len(path):]]
t = ds.dataset(path, format="parquet", partitioning="hive", exclude_invalid_files=True).to_table(columns=["id", "category", "amount"])
order = t.num_rows < 2 or (pc.all(pc.less_equal(t["category"][:-1], t["category"][1:])).as_py())
print(json.dumps({"rows": t.num_rows, "distinct": len(pc.unique(t["id"])), "files": len(files), "sorted": order}))
"""


def clean(folder: Path, shape: str):
    """Removes a work copy and what contenders leave beside it (the original's workspaces
    and spill folder, DuckDB's)."""
    for leftover in folder.glob(f".maintenance_{shape}-work_*"):
        shutil.rmtree(leftover, ignore_errors=True)
    for name in (f"{shape}-work", f"{shape}-work.new", f"{shape}-work.spill", "spill"):
        path = folder / name
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        elif path.exists():
            path.unlink()


def run(python, template, operation, shape, source):
    work = source.parent / (shape + "-work")
    clean(source.parent, shape)
    shutil.copytree(source, work, ignore=shutil.ignore_patterns("_complete"))
    total_bytes = sum(p.stat().st_size for p in work.rglob("*.parquet"))
    if isinstance(operation, dict):
        script = template
        for key in ("QUERY", "OPTIONS", "SETTINGS"):
            script = script.replace(key, operation.get(key, ""))
        # {PATH} in a query is an expression of the script's f-string.
    else:
        script = template.replace("OPERATION", operation)
    script = script.replace("TARGET_SIZE", str(total_bytes // 8)).replace(
        "PARTITIONING", SHAPES[shape]["partitioning"])
    proc = subprocess.run([python, "-c", script, str(work)], capture_output=True, text=True)
    if proc.returncode != 0:
        clean(source.parent, shape)
        return {"error": (proc.stderr.strip().splitlines() or ["?"])[-1][:160]}
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    check = subprocess.run([sys.executable, "-c", CHECK, str(work)], capture_output=True, text=True)
    out.update(json.loads(check.stdout) if check.returncode == 0 else {"check": check.stderr[-200:]})
    clean(source.parent, shape)
    return out


def expected(shape):
    rows = {"a": 5_000_000, "b": 10_000_000, "c": 1_000_000, "d": 5_000_000}[shape]
    return rows


def main():
    rounds = int(sys.argv[sys.argv.index("--rounds") + 1]) if "--rounds" in sys.argv else 1
    shapes = (sys.argv[sys.argv.index("--shapes") + 1].split(",") if "--shapes" in sys.argv
              else list(SHAPES))
    original = peer_env.original_python()
    try:
        import deltalake  # noqa: F401
        import duckdb  # noqa: F401
        peers = True
    except ImportError:
        print("note: duckdb/deltalake missing (make bench-env): their contenders are skipped",
              file=sys.stderr)
        peers = False
    load = os.getloadavg()
    print(f"Load average before: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} "
          f"({os.cpu_count()} cores); {rounds} round(s), best shown.\n")
    for shape in shapes:
        spec = SHAPES[shape]
        source = generate(shape)
        runners = {}
        contenders = dict(spec["runners"])
        if "--ray" in sys.argv:
            template, operation = contenders["fsspeckit (this project)"]
            contenders["fsspeckit on Ray (warm 2-CPU cluster)"] = (
                OURS_RAY, operation[:-1] + ", executor='ray')")
        for name, (template, operation) in contenders.items():
            if template is ORIGINAL:
                if original:
                    runners[name] = (original, template, operation)
            elif template in (DELTA, DUCKDB):
                if peers:
                    runners[name] = (sys.executable, template, operation)
            else:
                runners[name] = (sys.executable, template, operation)
        results = {name: [] for name in runners}
        for _ in range(rounds):
            for name, (python, template, operation) in runners.items():
                results[name].append(run(python, template, operation, shape, source))
        print(f"### ({shape}) {spec['what']}\n")
        print("| contender | best s | CPU s | Arrow pool peak MiB | rows | distinct ids | files "
              "| every round s |")
        print("|---|---:|---:|---:|---:|---:|---:|---|")
        times, cpus = {}, {}
        for name, outs in results.items():
            good = [o for o in outs if "seconds" in o]
            if not good:
                print(f"| {name} | failed: {outs[0].get('error', '?')} | | | | | | |")
                continue
            best = min(good, key=lambda o: o["seconds"])
            times[name] = best["seconds"]
            cpus[name] = min(o["cpu_seconds"] for o in good)
            pool = "" if best.get("pool_mb") is None else f"{best['pool_mb']:.0f}"
            every = ", ".join(f"{o['seconds']:.2f}" for o in good)
            cpu = min(o["cpu_seconds"] for o in good)
            print(f"| {name} | {best['seconds']:.2f} | {cpu:.2f} | {pool} | {best.get('rows', '?'):,} | "
                  f"{best.get('distinct', '?'):,} | {best.get('files', '?')} | {every} |")
        ours = times.get("fsspeckit (this project)")
        if ours:
            print()
            for name, t in times.items():
                if name != "fsspeckit (this project)":
                    print(f"- fsspeckit: {t / ours:.2f}x the speed of {name} "
                          f"({cpus[name] / cpus['fsspeckit (this project)']:.2f}x in CPU seconds)")
        print()
    load = os.getloadavg()
    print(f"Load average after: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")


if __name__ == "__main__":
    main()
