"""process_in_chunks vs a raw pyarrow scan vs the original fsspeckit, side by side.

Run with `make bench` (or .venv/bin/python bench/bench_scan.py after `make install`).
Builds a multi-file Parquet dataset (5 million rows: int, float and string columns) in
bench/data/, then runs each contender in its own process, three rounds interleaved,
and reports the best wall time as rows/s and the peak RSS of that process. The
original implementation (fsspeckit==0.29.0) runs from bench/.venv-original (bench/peer_env.py
builds it; without a Python >= 3.12 on the machine it is skipped with a note).
"""

import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import peer_env  # noqa: E402

HERE = Path(__file__).resolve().parent
DATA = HERE / "data" / "scan_5m"
ROWS = 5_000_000
FILES = 10
PASSES = 3   # full scans per process, so start-up effects and noise weigh less
ROUNDS = 5

BASELINE = "baseline: python + pyarrow + fsspeckit imported, no scan"


def timed_scan(setup: str, batches: str) -> str:
    """A runner script: `setup`, then PASSES full passes over `batches`, printing the row
    count and the seconds the passes took."""
    return setup + f"""
import time
start = time.perf_counter()
n = 0
for _ in range(PASSES):
    for batch in {batches}:
        n += batch.num_rows
print(n, time.perf_counter() - start)
"""


OURS = "import pyarrow.dataset as ds\nfrom fsspeckit.datasets.pyarrow.dataset import process_in_chunks\n"
ORIGINAL_SETUP = ("import pyarrow.dataset as ds\nfrom loguru import logger\n"
                  "logger.remove()  # its per-chunk debug lines would otherwise go to stderr\n"
                  "from fsspeckit.datasets.pyarrow.dataset import process_in_chunks\n")
DATASET = 'ds.dataset(PATH, format="parquet")'
RUNNERS = {
    BASELINE: (sys.executable, OURS + "print(0, 0.0)\n"),
    "pyarrow dataset.to_batches() (raw)": (
        sys.executable, timed_scan("import pyarrow.dataset as ds\n", f"{DATASET}.to_batches()")),
    "fsspeckit process_in_chunks(path)": (
        sys.executable, timed_scan(OURS, "process_in_chunks(PATH, enable_progress=False)")),
    "fsspeckit process_in_chunks(ds.dataset(path))": (
        sys.executable,
        timed_scan(OURS, f"process_in_chunks({DATASET}, enable_progress=False)")),
    "original fsspeckit 0.29.0 process_in_chunks(ds.dataset(path))": (
        "ORIGINAL",  # bench/.venv-original's python, set in main()
        timed_scan(ORIGINAL_SETUP, f"process_in_chunks({DATASET}, enable_progress=False)")),
}


def make_dataset():
    if (DATA / "_complete").exists():
        return
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    DATA.mkdir(parents=True, exist_ok=True)
    per_file = ROWS // FILES
    for f in range(FILES):
        ids = pa.array(range(f * per_file, (f + 1) * per_file), pa.int64())
        table = pa.table({
            "id": ids,
            "amount": pc.multiply(pc.cast(ids, pa.float64()), 0.37),
            "category": pc.cast(pc.bit_wise_and(ids, 63), pa.int32()),
            "label": pc.binary_join_element_wise("item-", pc.cast(ids, pa.string()), ""),
        })
        pq.write_table(table, DATA / f"part-{f:02d}.parquet", row_group_size=125_000)
    (DATA / "_complete").touch()


def run_once(name, python, code):
    script = f"PATH = {str(DATA)!r}\nPASSES = {PASSES}\n" + code
    proc = subprocess.Popen([python, "-c", script], stdout=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(proc.pid, 0)
    out = proc.stdout.read().split()
    expected = 0 if name == BASELINE else ROWS * PASSES
    if os.waitstatus_to_exitcode(status) != 0 or int(out[0]) != expected:
        raise RuntimeError(f"runner failed or miscounted: {out!r}")
    return float(out[1]) / PASSES, usage.ru_maxrss / 1024  # s per pass; KiB -> MiB


def main():
    make_dataset()
    original = peer_env.original_python()
    for name, (python, code) in list(RUNNERS.items()):
        if python == "ORIGINAL":
            if original:
                RUNNERS[name] = (original, code)
            else:
                del RUNNERS[name]
    best = {name: (float("inf"), 0.0) for name in RUNNERS}
    for _ in range(ROUNDS):
        for name, (python, code) in RUNNERS.items():
            elapsed, rss_mb = run_once(name, python, code)
            if elapsed < best[name][0] or name == BASELINE:
                best[name] = (elapsed, rss_mb)
    raw_time, raw_rss = best["pyarrow dataset.to_batches() (raw)"]
    size_mb = sum(p.stat().st_size for p in DATA.glob("*.parquet")) / 2**20
    print(f"Dataset: {ROWS:,} rows in {FILES} files ({size_mb:.0f} MiB on disk), "
          "columns int64, float64, int32, string. Time: the scan loop inside each process "
          f"(imports excluded), per full pass, best of {ROUNDS} interleaved rounds of "
          f"{PASSES} passes each.\n")
    print("| contender | s per pass | rows/s | vs raw throughput | peak RSS MiB |")
    print("|---|---:|---:|---:|---:|")
    for name, (elapsed, rss_mb) in best.items():
        if name == BASELINE:
            print(f"| {name} | | | | {rss_mb:.0f} |")
            continue
        print(f"| {name} | {elapsed:.2f} | {ROWS / elapsed:,.0f} | "
              f"{raw_time / elapsed:.2f}x | {rss_mb:.0f} |")


if __name__ == "__main__":
    main()
