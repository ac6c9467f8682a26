"""Change sets larger than the budget (issue 20): fsspeckit's spilled merge against DuckDB
with the same memory_limit and a temp directory, in fresh processes, interleaved.

    .venv/bin/python bench/bench_spill.py [--rounds N] [--shapes a,b] [--python PY]

Shapes: 4m-into-8m, 10x-budget (default), 20m-into-40m, tpch-sf10 (TPC-H SF10 lineitem,
60M rows in 8 files from tpchgen-cli, with 1.2M late corrections and new orders on the
composite key (l_orderkey, l_linenumber), 256 MiB; about 3 GB of disk).

Each shape is a target dataset of 8+ files (keys ascending through them) and a source
Parquet file (64Ki-row groups) of updates at random keys and new keys, handed over as a
path, so neither contender holds it whole. DuckDB reads every target file, anti-joins the
source and writes the union (its MERGE needs a table; a Parquet dataset is rewritten).
Reported per run: wall seconds of the merge call, fsspeckit's Arrow pool peak
(metrics["memory_peak_mb"]) and spill (bytes, parts, passes), the process's peak RSS
(VmHWM), and a check that both results hold the same rows (count and a checksum over
id and v, computed by DuckDB on each output).
"""
import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
DATA = HERE / "data" / "spill"

# name: (target rows, source rows, budget MiB, files, string bytes per row); tpch-sf10 apart
SHAPES = {
    "4m-into-8m": (8_000_000, 4_000_000, 64, 8, 8),
    # A source ten times the budget into a dataset of its size (files of 500k rows: a
    # rewrite holds every row replacing its file's keys, see README "Spilled merges").
    "10x-budget": (14_000_000, 14_000_000, 32, 28, 8),
    "20m-into-40m": (40_000_000, 20_000_000, 128, 40, 8),
    "tpch-sf10": (60_000_000, 1_200_000, 256, 8, 0),
}
KEYS = {"tpch-sf10": ["l_orderkey", "l_linenumber"]}

PEAK_RSS = """
def peak_rss_mb():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
"""

FSSPECKIT = PEAK_RSS + """
import json, sys, time
from fsspeckit.datasets.pyarrow import PyarrowDatasetIO
target, source, budget, keys = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4].split(",")
start = time.perf_counter()
r = PyarrowDatasetIO().merge(source, target, "upsert", keys, merge_max_memory_mb=budget)
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "pool_peak_mb": r.metrics["memory_peak_mb"],
                  "spill": r.metrics["spill"], "rss_mb": peak_rss_mb()}))
"""

DUCKDB = PEAK_RSS + """
import json, shutil, sys, time, duckdb
target, source, budget, keys = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4].split(",")
on = " AND ".join(f"t.{k} = s.{k}" for k in keys)
start = time.perf_counter()
con = duckdb.connect()
con.execute("SET enable_progress_bar = false")
con.execute(f"SET memory_limit = '{budget}MB'")
con.execute(f"SET temp_directory = '{target}.tmp'")
out = target + ".new"
con.execute(f'''COPY (SELECT t.* FROM read_parquet('{target}/**/*.parquet') t
                      ANTI JOIN read_parquet('{source}') s ON {on}
                      UNION ALL SELECT * FROM read_parquet('{source}'))
               TO '{out}' (FORMAT parquet, PER_THREAD_OUTPUT)''')
shutil.rmtree(target); shutil.move(out, target); shutil.rmtree(target + ".tmp", ignore_errors=True)
print(json.dumps({"seconds": time.perf_counter() - start, "rss_mb": peak_rss_mb()}))
"""

CHECKSUM = """
import duckdb, sys
con = duckdb.connect()
con.execute("SET enable_progress_bar = false")
rows = f"read_parquet('{sys.argv[1]}/**/*.parquet')"
columns = ", ".join(c for (c,) in con.execute(f"SELECT column_name FROM (DESCRIBE SELECT * FROM {rows})").fetchall())
print(con.execute(f"SELECT count(*), sum(hash({columns})) % 1000000007 FROM {rows}").fetchall())
"""


def make_tpch(folder):
    """lineitem at SF10 in 8 files; the source: 600k lines of existing orders corrected
    (quantity and price), 600k lines of new orders past the largest key."""
    import pyarrow.compute as pc
    if not (folder / "target").exists():
        subprocess.run([str(Path(sys.executable).parent / "tpchgen-cli"), "parquet", "-s", "10",
                        "--tables=lineitem", "--parts=8", f"--output-dir={folder}"], check=True)
        (folder / "lineitem").rename(folder / "target")

    def plain(table):  # tpchgen-cli writes string_view columns
        return table.cast(pa.schema([pa.field(f.name, pa.string() if f.type == pa.string_view()
                                              else f.type) for f in table.schema]))
    rng = np.random.default_rng(21)
    files = sorted((folder / "target").glob("*.parquet"))
    late = []
    for path in files:
        table = plain(pq.read_table(path))
        picked = table.take(pa.array(rng.choice(table.num_rows, 75_000, replace=False)))
        late.append(picked.set_column(picked.schema.get_field_index("l_quantity"), "l_quantity",
                                      pc.add(picked["l_quantity"], pa.scalar(1, picked["l_quantity"].type))))
    late = pa.concat_tables(late)
    top = pc.max(pq.read_table(files[-1], columns=["l_orderkey"])["l_orderkey"]).as_py()
    new = late.set_column(0, "l_orderkey", pc.add(late["l_orderkey"], pa.scalar(top, late["l_orderkey"].type)))
    source = pa.concat_tables([late, new])
    source = source.take(pa.array(rng.permutation(source.num_rows)))
    pq.write_table(source, folder / "source.parquet", row_group_size=64 * 1024)


def make_shape(name):
    target_rows, source_rows, _, files, text_bytes = SHAPES[name]
    folder = DATA / name
    if (folder / "done").exists():
        return folder
    if name == "tpch-sf10":
        folder.mkdir(parents=True, exist_ok=True)
        make_tpch(folder)
        (folder / "done").touch()
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    (folder / "target").mkdir(parents=True)
    rng = np.random.default_rng(20)
    per_file = target_rows // files
    pad = "x" * max(0, text_bytes - 8)
    for f in range(files):
        ids = np.arange(f * per_file, (f + 1) * per_file, dtype=np.int64)
        pq.write_table(pa.table({"id": ids, "v": rng.random(len(ids)),
                                 "s": pa.array([f"{i % 10_000_000:08d}{pad}" for i in ids])}),
                       folder / "target" / f"part-{f:03d}.parquet", row_group_size=128 * 1024)
    updates = rng.choice(target_rows, source_rows // 2, replace=False)
    new = np.arange(target_rows, target_rows + source_rows - len(updates), dtype=np.int64)
    ids = np.concatenate([updates, new])
    rng.shuffle(ids)
    writer = None
    for start in range(0, len(ids), 1 << 20):
        chunk = ids[start:start + (1 << 20)]
        table = pa.table({"id": chunk, "v": -rng.random(len(chunk)),
                          "s": pa.array([f"new{i % 100_000:05d}{pad}" for i in chunk])})
        writer = writer or pq.ParquetWriter(folder / "source.parquet", table.schema)
        writer.write_table(table, row_group_size=64 * 1024)
    writer.close()
    (folder / "done").touch()
    return folder


def run(python, code, work, source, budget, keys):
    proc = subprocess.run([python, "-X", "faulthandler", "-c", code, str(work), str(source), str(budget), ",".join(keys)],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        lines = proc.stderr.strip().splitlines()
        said = [line for line in lines if "Error" in line] or lines
        return {"error": said[-1] if said else f"exit status {proc.returncode}"}
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    out["checksum"] = subprocess.run([sys.executable, "-c", CHECKSUM, str(work)],
                                     capture_output=True, text=True).stdout.strip()
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--shapes", default="4m-into-8m,10x-budget")
    parser.add_argument("--python", default=sys.executable, help="fsspeckit's interpreter")
    args = parser.parse_args()
    results = {}
    for round_ in range(args.rounds):
        for name in args.shapes.split(","):
            folder = make_shape(name)
            budget = SHAPES[name][2]
            for contender, python, code in (("fsspeckit", args.python, FSSPECKIT),
                                            ("DuckDB", sys.executable, DUCKDB)):
                work = folder / f"work-{contender}"
                shutil.rmtree(work, ignore_errors=True)
                shutil.copytree(folder / "target", work)
                out = run(python, code, work, folder / "source.parquet", budget,
                          KEYS.get(name, ["id"]))
                shutil.rmtree(work, ignore_errors=True)
                results.setdefault((name, contender), []).append(out)
                print(f"round {round_ + 1} {name:16s} {contender:9s} {json.dumps(out)}", flush=True)
    print("\n| shape | budget | fsspeckit s (best) | DuckDB s (best) | ratio | pool peak MiB | "
          "spill | RSS MiB fsspeckit / DuckDB | same rows |")
    print("|---|---:|---:|---:|---:|---:|---|---:|---|")
    for name in args.shapes.split(","):
        ours, theirs = results[(name, "fsspeckit")], results[(name, "DuckDB")]
        ok = [o for o in ours if "seconds" in o]
        duck = [o for o in theirs if "seconds" in o]
        if not ok:
            print(f"| {name} | failed: {ours[-1]['error']} |")
            continue
        best = min(ok, key=lambda o: o["seconds"])
        spill = best["spill"]
        if duck:
            duck_best = min(duck, key=lambda o: o["seconds"])
            same = "yes" if duck[0]["checksum"] and all(o["checksum"] == duck[0]["checksum"] for o in ok + duck) else "NO"
            duck_text = f"{duck_best['seconds']:.2f} | {duck_best['seconds'] / best['seconds']:.2f}x"
            duck_rss = f"{duck_best['rss_mb']:.0f}"
        else:  # DuckDB could not do it within the same memory_limit
            same, duck_text, duck_rss = "-", f"failed: {theirs[-1]['error'][:60]} | -", "-"
        print(f"| {name} | {SHAPES[name][2]} MiB | {best['seconds']:.2f} | {duck_text} | "
              f"{max(o['pool_peak_mb'] for o in ok):.1f} | {spill['bytes'] / 2**20:.0f} MiB, "
              f"{spill['parts']} parts, {spill['passes']} passes | "
              f"{best['rss_mb']:.0f} / {duck_rss} | {same} |")

if __name__ == "__main__":
    main()
