"""Upsert benchmark: fsspeckit vs the original fsspeckit 0.29.0, DuckDB and plain pyarrow.

Run with `make bench` (or .venv/bin/python bench/bench_merge.py [--sparse | --large] after
`make bench-env`, which installs DuckDB into .venv and the original into
bench/.venv-original). Upserts 1,000,000 rows (500,000 updates spread over every file, 500,000
new keys) into a 10,000,000-row, 20-file dataset (int64, string, float64, int32, string
columns). Every contender runs in its own process on a fresh copy of the dataset; the
time is the merge alone (imports and the copy excluded), the peak RSS is the process's.
Each result is checked: 10,500,000 rows, 10,500,000 distinct ids, 1,000,000 rows from
the source. Contenders run in interleaved rounds (3 by default, `--rounds N`); the table
shows each one's best round and every round's time.

--sparse: 10,000 updates inside one file and 10,000 new keys into the same 10M-row
dataset, the case where rewriting only affected files pays.

--executor ray: the same upsert through the local executor and the Ray executor (a
local 2-CPU Ray cluster started before the clock starts), one round by default, with each
Ray task's time and the per-task overhead; a scaling model from those task times follows
(see RESULTS.md). One machine: the overhead of Ray, never a scale-out figure.

--large: the same upsert with a 256 MiB budget into a 130,000,000-row dataset (over 3 GB on disk)
(fsspeckit only), reporting the Arrow pool peak against the budget.
"""

import json
import os
import shutil
from collections import defaultdict
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import peer_env  # noqa: E402

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
DETAILS = defaultdict(list)  # contender -> per round: plan/task/commit times (executors)

SETUP = """
import sys, time, pyarrow as pa, pyarrow.dataset as ds, pyarrow.parquet as pq
TARGET, SOURCE = sys.argv[1], sys.argv[2]
source = pq.read_table(SOURCE)
"""

RUNNERS = {
    "fsspeckit (this project)": (sys.executable, SETUP + """
from fsspeckit.datasets.pyarrow import PyarrowDatasetIO
start = time.perf_counter()
result = PyarrowDatasetIO().merge(source, TARGET, "upsert", ["id"], merge_max_memory_mb=BUDGET_MB)
elapsed = time.perf_counter() - start
print(elapsed, result.metrics["memory_peak_mb"])
"""),
    "original fsspeckit 0.29.0": ("ORIGINAL", SETUP + """
from loguru import logger
logger.remove()
from fsspeckit.datasets.pyarrow import PyarrowDatasetIO
start = time.perf_counter()
result = PyarrowDatasetIO().merge(source, TARGET, "upsert", ["id"], merge_max_memory_mb=BUDGET_MB)
elapsed = time.perf_counter() - start
print(elapsed, (result.metrics or {}).get("memory_peak_mb", float("nan")))
"""),
    "DuckDB (read, anti-join, write)": (sys.executable, SETUP + """
import duckdb, shutil
start = time.perf_counter()
con = duckdb.connect()
con.execute("SET enable_progress_bar = false")
con.register("src", source)
out = TARGET + ".new"
con.execute(f'''COPY (SELECT t.* FROM read_parquet('{TARGET}/**/*.parquet') t
                      ANTI JOIN src s ON t.id = s.id
                      UNION ALL SELECT * FROM src)
               TO '{out}' (FORMAT parquet, PER_THREAD_OUTPUT)''')
shutil.rmtree(TARGET); shutil.move(out, TARGET)
elapsed = time.perf_counter() - start
print(elapsed, float("nan"))
"""),
    "plain pyarrow (read all, join, write all)": (sys.executable, SETUP + """
import pyarrow.compute as pc, shutil
start = time.perf_counter()
target = ds.dataset(TARGET, format="parquet").to_table()
kept = target.filter(pc.invert(pc.is_in(target["id"], source["id"])))
merged = pa.concat_tables([kept, source.cast(kept.schema)])
out = TARGET + ".new"
ds.write_dataset(merged, out, format="parquet", max_rows_per_file=500_000, max_rows_per_group=100_000)
shutil.rmtree(TARGET); shutil.move(out, TARGET)
elapsed = time.perf_counter() - start
print(elapsed, pa.total_allocated_bytes() / 2**20)
"""),
}

# The executors side by side; each prints a JSON line of plan/task/commit times first.
EXECUTOR_TIMES = """
import json
breakdown = result.metrics["operation_breakdown"]
print(json.dumps({"plan_s": breakdown.get("key_index", 0) + breakdown.get("planning", 0),
                  "commit_s": breakdown.get("commit", 0),
                  "tasks": [[t["kind"], t["seconds"], t["rows"], t.get("load_seconds", 0)]
                            for t in result.metrics["tasks"]]}))
"""
EXECUTORS = {
    "fsspeckit, local executor": (sys.executable, SETUP + """
from fsspeckit.datasets.pyarrow import PyarrowDatasetIO
start = time.perf_counter()
result = PyarrowDatasetIO().merge(source, TARGET, "upsert", ["id"], merge_max_memory_mb=BUDGET_MB)
elapsed = time.perf_counter() - start
""" + EXECUTOR_TIMES + """
print(elapsed, result.metrics["memory_peak_mb"])
"""),
    "fsspeckit, Ray executor (local cluster, 2 CPUs)": (sys.executable, SETUP + """
import ray
from fsspeckit.datasets.pyarrow import PyarrowDatasetIO
ray.init(num_cpus=2, include_dashboard=False, logging_level="ERROR", log_to_driver=False)
ray.get([ray.remote(lambda: None).remote() for _ in range(2)])  # workers up before the clock
start = time.perf_counter()
result = PyarrowDatasetIO().merge(source, TARGET, "upsert", ["id"], merge_max_memory_mb=BUDGET_MB,
                                  executor="ray")
elapsed = time.perf_counter() - start
""" + EXECUTOR_TIMES + """
print(elapsed, result.metrics["memory_peak_mb"])
"""),
}

CHECK = """
import sys, pyarrow.dataset as ds, pyarrow.compute as pc
t = ds.dataset(sys.argv[1], format="parquet").to_table(columns=["id", "name"])
print(t.num_rows, len(pc.unique(t["id"])), pc.sum(pc.starts_with(t["name"], "src-")).as_py())
"""


def generate(root: Path, rows: int, files: int) -> None:
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    if (root / "_complete").exists():
        return
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    per_file = rows // files
    for f in range(files):
        first = f * per_file
        for_file = []
        for start in range(first, first + per_file, 1_000_000):
            n = min(1_000_000, first + per_file - start)
            ids = pa.array(range(start, start + n), pa.int64())
            for_file.append(pa.table({
                "id": ids,
                "name": pc.binary_join_element_wise("row-", pc.cast(ids, pa.string()), ""),
                "amount": pc.multiply(pc.cast(ids, pa.float64()), 0.25),
                "category": pc.cast(pc.bit_wise_and(ids, 255), pa.int32()),
                "note": pc.binary_join_element_wise(
                    "note for customer ", pc.cast(pc.bit_wise_and(ids, 65535), pa.string()), ""),
            }))
        with pq.ParquetWriter(root / f"part-{f:03d}.parquet", for_file[0].schema) as writer:
            for table in for_file:
                writer.write_table(table, row_group_size=100_000)
    (root / "_complete").touch()


def make_source(path: Path, target_rows: int, updates: int, inserts: int,
                first_update: int = 0, step: int | None = None) -> None:
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    step = step or target_rows // updates
    update_ids = range(first_update, target_rows, step)[:updates]
    ids = pa.concat_arrays([pa.array(update_ids, pa.int64()),
                            pa.array(range(target_rows, target_rows + inserts), pa.int64())])
    pq.write_table(pa.table({
        "id": ids,
        "name": pc.binary_join_element_wise("src-", pc.cast(ids, pa.string()), ""),
        "amount": pc.multiply(pc.cast(ids, pa.float64()), 0.5),
        "category": pc.cast(pc.bit_wise_and(ids, 255), pa.int32()),
        "note": pa.array(["updated"] * len(ids)),
    }), path)


def run(name, python, code, dataset, source, budget_mb):
    work = dataset.parent / (dataset.name + "-work")
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(dataset, work, ignore=shutil.ignore_patterns("_complete"))
    script = code.replace("BUDGET_MB", str(budget_mb))
    proc = subprocess.Popen([python, "-c", script, str(work), str(source)],
                            stdout=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(proc.pid, 0)
    lines = proc.stdout.read().strip().splitlines()
    if os.waitstatus_to_exitcode(status) != 0:
        return None
    out = lines[-1].split()  # the last line: "seconds pool_mb"
    DETAILS[name].append(next((json.loads(l) for l in lines if l.startswith("{")), None))
    check = subprocess.run([sys.executable, "-c", CHECK, str(work)], capture_output=True,
                           text=True, check=True).stdout.split()
    shutil.rmtree(work, ignore_errors=True)
    return float(out[0]), float(out[1]), usage.ru_maxrss / 1024, [int(c) for c in check]


def lpt_makespan(seconds, workers):
    """Longest-processing-time-first: the busiest worker's sum of task times."""
    loads = [0.0] * workers
    for s in sorted(seconds, reverse=True):
        loads[loads.index(min(loads))] += s
    return max(loads)


def report_executors(times):
    """Ray's overhead beside the local executor, and a scaling model from task times."""
    local_name, ray_name = list(EXECUTORS)
    if local_name not in times or ray_name not in times:
        return
    local, remote = DETAILS[local_name][-1], DETAILS[ray_name][-1]
    ray_tasks = [t[1] for t in remote["tasks"]]
    local_tasks = [t[1] for t in local["tasks"]]
    # What a Ray task slot spent outside the C++ task: scheduling, worker hand-off, the
    # staged source read, result transfer (2 slots busy over the writing phase).
    ray_write_s = times[ray_name] - remote["plan_s"] - remote["commit_s"]
    overhead_ms = (2 * ray_write_s - sum(ray_tasks)) / len(ray_tasks) * 1000
    load_ms = sum(t[3] for t in remote["tasks"]) / len(ray_tasks) * 1000
    print(f"\n- Ray / local wall time: {times[ray_name] / times[local_name]:.2f}x "
          f"({times[ray_name]:.2f} s vs {times[local_name]:.2f} s)")
    print(f"- tasks: {len(ray_tasks)}; per-task overhead of Ray: {overhead_ms:.0f} ms "
          f"(2 slots x {ray_write_s:.2f} s writing phase - {sum(ray_tasks):.2f} s inside tasks), "
          f"of which {load_ms:.0f} ms reading the plan and the staged source")
    print(f"- driver: plan {remote['plan_s']:.2f} s, commit {remote['commit_s']:.2f} s; "
          f"task seconds in Ray: sum {sum(ray_tasks):.2f}, longest {max(ray_tasks):.2f}; "
          f"locally: sum {sum(local_tasks):.2f}")
    print("\nScaling model (plan + busiest worker's tasks + per-task overhead + commit), from "
          "the Ray run's task times:\n")
    print("| workers | model s | of which driver (plan + commit) |")
    print("|---:|---:|---:|")
    for n in (1, 2, 4, 8, 16, 32):
        busiest = lpt_makespan([t + overhead_ms / 1000 for t in ray_tasks], n)
        model = remote["plan_s"] + busiest + remote["commit_s"]
        print(f"| {n} | {model:.2f} | {remote['plan_s'] + remote['commit_s']:.2f} |")


def main():
    large = "--large" in sys.argv
    sparse = "--sparse" in sys.argv
    if large:
        dataset, rows, files, budget = DATA / "merge_130m", 130_000_000, 52, 256
        runners = {k: v for k, v in RUNNERS.items() if k.startswith("fsspeckit")}
    else:
        dataset, rows, files, budget = DATA / "merge_10m", 10_000_000, 20, 1024
        runners = dict(RUNNERS)
        original = peer_env.original_python()  # None: skipped, with the reason printed
        for name, (python, code) in RUNNERS.items():
            if python == "ORIGINAL":
                if original:
                    runners[name] = (original, code)
                else:
                    del runners[name]
    executors = "--executor" in sys.argv
    if executors:
        runners = EXECUTORS
    generate(dataset, rows, files)
    if sparse:  # 10,000 updates inside one file (the 8th), 10,000 new keys
        updates, inserts = 10_000, 10_000
        source = DATA / f"source-{dataset.name}-sparse.parquet"
        make_source(source, rows, updates, inserts, first_update=7 * (rows // files), step=7)
        what = f"{updates:,} updates inside one file, {inserts:,} new"
    else:
        updates, inserts = 500_000, 500_000
        source = DATA / f"source-{dataset.name}.parquet"
        make_source(source, rows, updates, inserts)
        what = f"{updates:,} updates over every file, {inserts:,} new"
    source_rows = updates + inserts
    size_gb = sum(p.stat().st_size for p in dataset.glob("*.parquet")) / 1e9
    expected = [rows + inserts, rows + inserts, source_rows]
    print(f"Target: {rows:,} rows in {files} files ({size_gb:.2f} GB on disk); source: "
          f"{source_rows:,} rows ({what}); budget merge_max_memory_mb={budget}.\n")
    rounds = int(sys.argv[sys.argv.index("--rounds") + 1]) if "--rounds" in sys.argv else (
        1 if executors else 3)
    results = {name: [] for name in runners}
    for _ in range(rounds):
        for name, (python, code) in runners.items():
            results[name].append(run(name, python, code, dataset, source, budget))
    print("| contender | best merge s | source rows/s | peak RSS MiB | Arrow pool peak MiB | result | every round s |")
    print("|---|---:|---:|---:|---:|---|---|")
    times = {}
    for name, runs in results.items():
        done = [r for r in runs if r is not None]
        if len(done) < len(runs):
            print(f"| {name} | failed {len(runs) - len(done)} of {len(runs)} rounds | | | | | |")
            continue
        elapsed, pool_mb, rss_mb, _ = min(done, key=lambda r: r[0])
        times[name] = elapsed
        wrong = [r[3] for r in done if r[3] != expected]
        ok = "correct" if not wrong else f"WRONG {wrong[0]}"
        pool = "" if pool_mb != pool_mb else f"{pool_mb:.0f}"
        every = ", ".join(f"{r[0]:.2f}" for r in done)
        print(f"| {name} | {elapsed:.2f} | {source_rows / elapsed:,.0f} | {rss_mb:.0f} | {pool} | {ok} | {every} |")
    if executors:
        report_executors(times)
        return
    ours = times.get("fsspeckit (this project)")
    if ours:
        print()
        for name, t in times.items():
            if name != "fsspeckit (this project)":
                print(f"- fsspeckit is {t / ours:.1f}x faster than {name}")


if __name__ == "__main__":
    main()
