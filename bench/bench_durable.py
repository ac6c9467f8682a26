"""What durable commits cost: merges with durable=True against durable=False (issue 13).

Run with .venv/bin/python bench/bench_durable.py [--rounds N] [--cases dense,sparse,small]
after `make install`.
Three upserts on local disk, each on a fresh copy of its dataset, in its own process,
durable and not in interleaved rounds (3 by default); the time is the merge alone. The
copy is synced to disk before each merge, so a durable merge pays for its own files only
(ext4's ordered mode would otherwise make its first fsync flush the copy too).

- dense: 1,000,000 rows (500,000 updates over every file, 500,000 new) into 10,000,000
  rows in 20 files (bench_merge.py's dataset);
- sparse: 20,000 rows (10,000 updates inside one file) into the same dataset;
- small: 1,000 rows (500 updates over every file, 500 new) into 100,000 rows in 10 files,
  where the fsyncs weigh most.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from bench_merge import DATA, generate, make_source  # noqa: E402

MERGE = """
import sys, time, pyarrow.parquet as pq
from fsspeckit.datasets.pyarrow import PyarrowDatasetIO
target, source, durable = sys.argv[1], pq.read_table(sys.argv[2]), sys.argv[3] == "1"
start = time.perf_counter()
PyarrowDatasetIO().merge(source, target, "upsert", ["id"], durable=durable)
print(time.perf_counter() - start)
"""

CASES = {  # name: (dataset rows, files, updates, inserts, first update, step)
    "dense": (10_000_000, 20, 500_000, 500_000, 0, None),
    "sparse": (10_000_000, 20, 10_000, 10_000, 7 * 500_000, 7),
    "small": (100_000, 10, 500, 500, 0, None),
}


def run(dataset: Path, source: Path, durable: bool) -> float:
    work = dataset.parent / (dataset.name + "-durable-work")
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(dataset, work, ignore=shutil.ignore_patterns("_complete"))
    os.sync()
    out = subprocess.run([sys.executable, "-c", MERGE, str(work), str(source),
                          "1" if durable else "0"], capture_output=True, text=True, check=True)
    shutil.rmtree(work, ignore_errors=True)
    return float(out.stdout.split()[-1])


def main():
    rounds = int(sys.argv[sys.argv.index("--rounds") + 1]) if "--rounds" in sys.argv else 3
    only = sys.argv[sys.argv.index("--cases") + 1].split(",") if "--cases" in sys.argv else CASES
    print("| case | durable=False best s | durable=True best s | ratio (best) | "
          "median ratio of rounds | every round s (off / on) |")
    print("|---|---:|---:|---:|---:|---|")
    for name, (rows, files, updates, inserts, first, step) in CASES.items():
        if name not in only:
            continue
        dataset = DATA / f"merge_{rows // 1_000_000 or rows // 1000}{'m' if rows >= 10**6 else 'k'}"
        generate(dataset, rows, files)
        source = DATA / f"source-durable-{name}.parquet"
        make_source(source, rows, updates, inserts, first_update=first, step=step)
        off, on = [], []
        for _ in range(rounds):  # interleaved: drift in the machine hits both alike
            off.append(run(dataset, source, durable=False))
            on.append(run(dataset, source, durable=True))
        ratios = sorted(b / a for a, b in zip(off, on))
        every = ", ".join(f"{a:.3f} / {b:.3f}" for a, b in zip(off, on))
        print(f"| {name} | {min(off):.3f} | {min(on):.3f} | {min(on) / min(off):.3f} | "
              f"{ratios[len(ratios) // 2]:.3f} | {every} |", flush=True)


if __name__ == "__main__":
    main()
