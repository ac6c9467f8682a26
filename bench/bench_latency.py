"""A merge on an object store that answers in 20 ms, as S3 does: moto's S3 behind
tests/s3_proxy.py (a fixed latency per request), 64 files x 50k rows, a 1% upsert whose
updates sit in 4 files (half updates, half new keys). Wall seconds and requests by kind
(at the server, and as the merge counted its calls in result.metrics["requests"]),
for this build, delta-rs's MERGE (the same files made a Delta table before the clock
starts: convert_to_deltalake) and, with --baseline PYTHON, another build's fsspeckit,
interleaved; each merge on a fresh copy of the dataset, in a fresh process. "ideal" is
the round trips a merge cannot avoid, one after another, times the latency (see IDEAL).

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

# The round trips on the critical path of this merge with every independent request in
# flight at once: take the lock (1), list the dataset (1), read the footers (1), read the
# 4 touched files (1), write the 4 rewritten files and the new rows (1), write the
# journal (1), move the new files into place (copy 1, delete 1), delete the old files (1),
# delete the journal (1), release the lock (1).
IDEAL_ROUND_TRIPS = 11

DELTA_MERGE = r"""
import json, sys, time
import numpy as np, pyarrow as pa
from deltalake import DeltaTable
url, path, rows, per_file = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
options = {"AWS_ENDPOINT_URL": url, "AWS_ACCESS_KEY_ID": "testing",
           "AWS_SECRET_ACCESS_KEY": "testing", "AWS_REGION": "us-east-1",
           "AWS_ALLOW_HTTP": "true", "AWS_S3_ALLOW_UNSAFE_RENAME": "true"}
changes = rows // 100
updates = np.arange(10 * per_file, 14 * per_file, 4 * per_file // (changes // 2))
ids = np.concatenate([updates, np.arange(rows, rows + changes // 2)])
source = pa.table({"id": pa.array(ids, pa.int64()), "v": pa.array(-ids, pa.int64())})
start = time.perf_counter()
metrics = (DeltaTable(f"s3://{path}", storage_options=options)
           .merge(source, "t.id = s.id", source_alias="s", target_alias="t")
           .when_matched_update_all().when_not_matched_insert_all().execute())
print(json.dumps({"s": time.perf_counter() - start, "updated": metrics["num_target_rows_updated"],
                  "inserted": metrics["num_target_rows_inserted"],
                  "rewritten": metrics["num_target_files_removed"], "counted": {}}))
"""

DELTA_CONVERT = r"""
import sys
from deltalake import convert_to_deltalake
url, path = sys.argv[1], sys.argv[2]
convert_to_deltalake(f"s3://{path}", storage_options={
    "AWS_ENDPOINT_URL": url, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_REGION": "us-east-1", "AWS_ALLOW_HTTP": "true", "AWS_S3_ALLOW_UNSAFE_RENAME": "true"})
"""

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
    builds = {"fsspeckit": sys.executable, "delta-rs": sys.executable}
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
                if name == "delta-rs":
                    subprocess.run([python, "-c", DELTA_CONVERT, proxy.url, path], check=True)
                proxy.configure(latency_ms=args.latency_ms)
                proxy.reset()
                script = DELTA_MERGE if name == "delta-rs" else MERGE
                out = subprocess.run([python, "-c", script, proxy.url, path,
                                      str(FILES * ROWS_PER_FILE), str(ROWS_PER_FILE)],
                                     capture_output=True, text=True)
                if out.returncode != 0:
                    raise SystemExit(f"{name}: {out.stderr[-2000:]}")
                run = json.loads(out.stdout.strip().splitlines()[-1])
                run["requests"] = proxy.counts()["requests"]
                results[name].append(run)
                print(f"round {r + 1}: {name}: {run['s']:.2f} s, {sum(run['requests'].values())} "
                      f"requests {run['requests']}", file=sys.stderr, flush=True)
    ideal_s = IDEAL_ROUND_TRIPS * args.latency_ms / 1000
    print(f"ideal: {IDEAL_ROUND_TRIPS} round trips x {args.latency_ms:g} ms = {ideal_s:.2f} s")
    print(f"| build | best s | x ideal | requests at the server (kinds) | calls counted by the "
          f"merge (metrics['requests']) | updated / inserted / rewritten files |")
    print("|---|---:|---:|---|---|---|")
    for name, runs in results.items():
        best = min(runs, key=lambda run: run["s"])
        kinds = ", ".join(f"{k} {v}" for k, v in sorted(best["requests"].items()))
        counted = ", ".join(f"{k} {v}" for k, v in sorted(best.get("counted", {}).items()))
        print(f"| {name} | {best['s']:.2f} | {best['s'] / ideal_s:.1f} | "
              f"{sum(best['requests'].values())} ({kinds}) | "
              f"{sum(best.get('counted', {}).values())} ({counted or 'not counted'}) | "
              f"{best['updated']} / {best['inserted']} / {best['rewritten']} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
