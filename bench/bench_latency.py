"""A merge on an object store that answers in 20 ms, as S3 does: moto's S3 behind
tests/s3_proxy.py (a fixed latency per request), 64 files x 50k rows, a 1% upsert whose
updates sit in 4 files (half updates, half new keys). Wall seconds and requests by kind
(at the server, and as the merge counted its calls in result.metrics["requests"]),
for this build and, with --baseline PYTHON, another build's fsspeckit, interleaved; each
merge on a fresh copy of the dataset, in a fresh process.

    .venv/bin/python bench/bench_latency.py [--rounds 3] [--latency-ms 20] [--baseline PYTHON]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from s3_proxy import S3Proxy  # noqa: E402

FILES, ROWS_PER_FILE = 64, 50_000

MERGE = r"""
import json, sys, time
import numpy as np, pyarrow as pa, pyarrow.fs as pafs
from fsspeckit.datasets.pyarrow import PyarrowDatasetIO
url, path, rows, per_file = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
fs = pafs.S3FileSystem(access_key="testing", secret_key="testing", region="us-east-1",
                       endpoint_override=url)
changes = rows // 100  # 1%: half of it updates spread over files 10-13, half new keys
updates = np.arange(10 * per_file, 14 * per_file, 4 * per_file // (changes // 2))
ids = np.concatenate([updates, np.arange(rows, rows + changes // 2)])
source = pa.table({"id": pa.array(ids, pa.int64()), "v": pa.array(-ids, pa.int64())})
start = time.perf_counter()
result = PyarrowDatasetIO(fs).merge(source, path, "upsert", "id")
print(json.dumps({"s": time.perf_counter() - start, "updated": result.updated,
                  "inserted": result.inserted, "rewritten": len(result.rewritten_files),
                  "counted": (result.metrics or {}).get("requests", {})}))
"""


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--baseline")
    args = parser.parse_args(argv)
    builds = {"fsspeckit": sys.executable}
    if args.baseline:
        builds["fsspeckit@baseline"] = args.baseline
    import pyarrow as pa
    import pyarrow.fs as pafs
    import pyarrow.parquet as pq

    results = {name: [] for name in builds}
    with S3Proxy.start() as proxy:
        bucket = proxy.make_bucket()
        fs = proxy.pyarrow_fs()
        for f in range(FILES):
            ids = pa.array(range(f * ROWS_PER_FILE, (f + 1) * ROWS_PER_FILE), pa.int64())
            pq.write_table(pa.table({"id": ids, "v": ids}), f"{bucket}/pristine/part-{f:03d}.parquet",
                           filesystem=fs)
        for r in range(args.rounds):
            for name, python in builds.items():
                path = f"{bucket}/run-{r}-{name.replace('@', '-')}"
                proxy.configure()
                pafs.copy_files(f"{bucket}/pristine", path, source_filesystem=fs,
                                destination_filesystem=fs)
                proxy.configure(latency_ms=args.latency_ms)
                proxy.reset()
                out = subprocess.run([python, "-c", MERGE, proxy.url, path,
                                      str(FILES * ROWS_PER_FILE), str(ROWS_PER_FILE)],
                                     capture_output=True, text=True)
                if out.returncode != 0:
                    raise SystemExit(f"{name}: {out.stderr[-2000:]}")
                run = json.loads(out.stdout.strip().splitlines()[-1])
                run["requests"] = proxy.counts()["requests"]
                results[name].append(run)
                print(f"round {r + 1}: {name}: {run['s']:.2f} s, {sum(run['requests'].values())} "
                      f"requests {run['requests']}", file=sys.stderr, flush=True)
    print(f"| build | best s | requests at the server (kinds) | calls counted by the merge "
          f"(metrics['requests']) | updated / inserted / rewritten files |")
    print("|---|---:|---|---|---|")
    for name, runs in results.items():
        best = min(runs, key=lambda run: run["s"])
        kinds = ", ".join(f"{k} {v}" for k, v in sorted(best["requests"].items()))
        counted = ", ".join(f"{k} {v}" for k, v in sorted(best.get("counted", {}).items()))
        print(f"| {name} | {best['s']:.2f} | {sum(best['requests'].values())} ({kinds}) | "
              f"{sum(best.get('counted', {}).values())} ({counted or 'not counted'}) | "
              f"{best['updated']} / {best['inserted']} / {best['rewritten']} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
