"""Merges on an object store that answers in 20 ms, as S3 does: moto's S3 behind
tests/s3_proxy.py (a fixed latency per request). Shapes (SHAPES): a 1% upsert whose
updates sit in 4 of 64 files of 50k rows (half updates, half new keys); updates spread
over every one of 16 files; new keys only into 64 files. Wall seconds and requests by
kind (at the server, and as the merge counted its calls in result.metrics["requests"]),
for this build, delta-rs's MERGE (the same files made a Delta table before the clock
starts: convert_to_deltalake) and, with --baseline PYTHON, another build's fsspeckit,
interleaved. Each merge runs on a fresh copy of the dataset in a fresh process ("fresh"),
then in the same process on a second fresh copy ("warm"). "ideal" is the round trips a
merge cannot avoid, one after another, times the latency (Shape.ideal_round_trips);
"ideal requests" makes those requests with a bare client, as concurrently as they can be,
on the same server (what the ideal costs on it: the server spends CPU on each request).

    .venv/bin/python bench/bench_latency.py [--rounds 3] [--latency-ms 20]
        [--shapes 4-of-64,all-16,inserts-64] [--baseline PYTHON]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from s3_proxy import S3Proxy  # noqa: E402

ROWS_PER_FILE = 50_000


@dataclass(frozen=True)
class Shape:
    files: int
    updated_files: range  # the files whose keys the updates hit
    updates: int
    new_keys: int
    # With every independent request in flight at once: take the lock, list, read the
    # footers, read the touched files, write (rewrites and new rows at once), write the
    # journal, move into place (copy, delete), delete the replaced files, delete the
    # journal, release the lock: 11; without rewrites neither the reads of touched files
    # nor the deletions of replaced ones: 9.
    ideal_round_trips: int


SHAPES = {
    "4-of-64": Shape(64, range(10, 14), 16_667, 16_000, 11),
    "all-16": Shape(16, range(0, 16), 4_000, 1_000, 11),
    "inserts-64": Shape(64, range(0), 0, 32_000, 9),
}


def source_table(shape: Shape):
    """The change set: `updates` keys spaced evenly over the updated files, then new keys
    past the last row; v = -id."""
    import numpy as np
    import pyarrow as pa

    first = shape.updated_files.start * ROWS_PER_FILE
    span = len(shape.updated_files) * ROWS_PER_FILE
    updates = (np.arange(first, first + span, span // shape.updates)[:shape.updates]
               if shape.updates else np.array([], np.int64))
    rows = shape.files * ROWS_PER_FILE
    ids = np.concatenate([updates, np.arange(rows, rows + shape.new_keys)]).astype(np.int64)
    return pa.table({"id": ids, "v": -ids})


# argv: proxy url, source file, then the dataset paths (the first fresh, the rest warm).
# Prints one JSON line per path; the server's counts of each merge are read before the next.
CHILD = r"""
import json, sys, time, urllib.request
import pyarrow.parquet as pq
url, source_path, paths = sys.argv[1], sys.argv[2], sys.argv[3:]
source = pq.read_table(source_path)

def proxy(command):
    data = b"{}" if command == "reset" else None
    with urllib.request.urlopen(urllib.request.Request(f"{url}/_proxy/{command}", data=data)) as r:
        return json.loads(r.read())

for path in paths:
    proxy("reset")
    start = time.perf_counter()
    out = MERGE(path)
    out["s"] = time.perf_counter() - start
    out["requests"] = proxy("counts")["requests"]
    print(json.dumps(out), flush=True)
"""

FSSPECKIT_MERGE = r"""
import pyarrow.fs as pafs
from fsspeckit.datasets.pyarrow import PyarrowDatasetIO
fs = pafs.S3FileSystem(access_key="testing", secret_key="testing", region="us-east-1",
                       endpoint_override=sys.argv[1])

def MERGE(path):
    result = PyarrowDatasetIO(fs).merge(source, path, "upsert", "id")
    return {"updated": result.updated, "inserted": result.inserted,
            "rewritten": len(result.rewritten_files),
            "counted": (result.metrics or {}).get("requests", {})}
"""

DELTA_OPTIONS = r"""
OPTIONS = {"AWS_ENDPOINT_URL": sys.argv[1], "AWS_ACCESS_KEY_ID": "testing",
           "AWS_SECRET_ACCESS_KEY": "testing", "AWS_REGION": "us-east-1",
           "AWS_ALLOW_HTTP": "true", "AWS_S3_ALLOW_UNSAFE_RENAME": "true"}
"""

DELTA_MERGE = DELTA_OPTIONS + r"""
from deltalake import DeltaTable

def MERGE(path):
    metrics = (DeltaTable(f"s3://{path}", storage_options=OPTIONS)
               .merge(source, "t.id = s.id", source_alias="s", target_alias="t")
               .when_matched_update_all().when_not_matched_insert_all().execute())
    return {"updated": metrics["num_target_rows_updated"],
            "inserted": metrics["num_target_rows_inserted"],
            "rewritten": metrics["num_target_files_removed"], "counted": {}}
"""

DELTA_CONVERT = "import sys\n" + DELTA_OPTIONS + r"""
from deltalake import convert_to_deltalake
for path in sys.argv[2:]:
    convert_to_deltalake(f"s3://{path}", storage_options=OPTIONS)
"""


# The ideal's requests, made by a bare client (boto3, 64 connections) as concurrently as
# they can be, on the same server: what the computed ideal costs here, where the server
# (moto, one Python process on the machine's 2 cores) also spends CPU on each request.
# Not a merge: the touched files are read whole and written back under new names, the
# source file's bytes stand for the inserted rows.
IDEAL_REQUESTS = r"""
import concurrent.futures
import boto3, botocore.config
s3 = boto3.client("s3", endpoint_url=sys.argv[1], aws_access_key_id="testing",
                  aws_secret_access_key="testing", region_name="us-east-1",
                  config=botocore.config.Config(max_pool_connections=64))
pool = concurrent.futures.ThreadPoolExecutor(64)
inserted = open(source_path, "rb").read()

def at_once(call, items):
    return list(pool.map(call, items))

def MERGE(path):
    bucket, prefix = path.split("/", 1)
    put = lambda key, body=b"{}": s3.put_object(Bucket=bucket, Key=key, Body=body)
    put(prefix + "/_lock")
    listed = s3.list_objects_v2(Bucket=bucket, Prefix=prefix + "/")["Contents"]
    files = sorted(o["Key"] for o in listed if o["Key"].endswith(".parquet"))
    at_once(lambda key: s3.get_object(Bucket=bucket, Key=key, Range="bytes=-65536")["Body"].read(),
            files)
    touched = [files[i] for i in TOUCHED]
    bodies = at_once(lambda key: s3.get_object(Bucket=bucket, Key=key)["Body"].read(), touched)
    staged = [f"{prefix}/_staging/{i}" for i in range(len(bodies) + 1)]
    at_once(lambda i: put(staged[i], (bodies + [inserted])[i]), range(len(staged)))
    put(prefix + "/_journal")
    at_once(lambda i: s3.copy_object(Bucket=bucket, Key=f"{prefix}/new-{i}.parquet",
                                     CopySource={"Bucket": bucket, "Key": staged[i]}),
            range(len(staged)))
    at_once(lambda key: s3.delete_object(Bucket=bucket, Key=key), touched + staged)
    s3.delete_object(Bucket=bucket, Key=prefix + "/_journal")
    s3.delete_object(Bucket=bucket, Key=prefix + "/_lock")
    return {"updated": 0, "inserted": 0, "rewritten": len(touched), "counted": {}}
"""

IDEAL = "ideal requests"


def child_script(name: str, shape: Shape) -> str:
    if name == IDEAL:
        merge = IDEAL_REQUESTS.replace("TOUCHED", repr(list(shape.updated_files)))
    else:
        merge = DELTA_MERGE if name == "delta-rs" else FSSPECKIT_MERGE
    head, _, tail = CHILD.partition("\nfor path in paths:")
    return head + merge + "\nfor path in paths:" + tail


def run_shape(proxy, fs, bucket, shape_name: str, shape: Shape, builds: dict, rounds: int,
              latency_ms: float, workdir: Path) -> dict:
    import pyarrow as pa
    import pyarrow.fs as pafs
    import pyarrow.parquet as pq

    pristine = f"{bucket}/{shape_name}/pristine"
    proxy.configure()
    for f in range(shape.files):
        ids = pa.array(range(f * ROWS_PER_FILE, (f + 1) * ROWS_PER_FILE), pa.int64())
        pq.write_table(pa.table({"id": ids, "v": ids}), f"{pristine}/part-{f:03d}.parquet",
                       filesystem=fs)
    source_file = workdir / f"{shape_name}.parquet"
    pq.write_table(source_table(shape), source_file)
    results = {name: {"fresh": [], "warm": []} for name in builds}
    for r in range(rounds):
        for name, python in builds.items():
            paths = [f"{bucket}/{shape_name}/run-{r}-{name.replace('@', '-')}-{k}" for k in (0, 1)]
            proxy.configure()
            for path in paths:
                pafs.copy_files(pristine, path, source_filesystem=fs, destination_filesystem=fs)
            if name == "delta-rs":
                subprocess.run([python, "-c", DELTA_CONVERT, proxy.url, *paths], check=True)
            proxy.configure(latency_ms=latency_ms)
            out = subprocess.run([python, "-c", child_script(name, shape), proxy.url, str(source_file),
                                  *paths], capture_output=True, text=True)
            if out.returncode != 0:
                raise SystemExit(f"{shape_name} {name}: {out.stderr[-2000:]}")
            fresh, warm = (json.loads(line) for line in out.stdout.strip().splitlines()[-2:])
            results[name]["fresh"].append(fresh)
            results[name]["warm"].append(warm)
            print(f"{shape_name} round {r + 1}: {name}: fresh {fresh['s']:.2f} s, warm "
                  f"{warm['s']:.2f} s, {sum(fresh['requests'].values())} requests",
                  file=sys.stderr, flush=True)
    return results


def print_table(shape_name: str, shape: Shape, results: dict, latency_ms: float) -> None:
    ideal_s = shape.ideal_round_trips * latency_ms / 1000
    print(f"\n{shape_name}: ideal {shape.ideal_round_trips} round trips x {latency_ms:g} ms "
          f"= {ideal_s:.2f} s")
    measured_s = min(run["s"] for run in results[IDEAL]["warm"]) if IDEAL in results else None
    print("| build | fresh s | warm s | fresh x ideal | warm x ideal requests | requests at the "
          "server (kinds) | calls counted by the merge | updated / inserted / rewritten files |")
    print("|---|---:|---:|---:|---:|---|---|---|")
    for name, runs in results.items():
        best = min(runs["fresh"], key=lambda run: run["s"])
        warm_s = min(run["s"] for run in runs["warm"])
        kinds = ", ".join(f"{k} {v}" for k, v in sorted(best["requests"].items()) if v)
        counted = ", ".join(f"{k} {v}" for k, v in sorted(best.get("counted", {}).items()))
        versus_measured = f"{warm_s / measured_s:.1f}" if measured_s else "-"
        print(f"| {name} | {best['s']:.2f} | {warm_s:.2f} | {best['s'] / ideal_s:.1f} | "
              f"{versus_measured} | "
              f"{sum(best['requests'].values())} ({kinds}) | "
              f"{sum(best['counted'].values())} ({counted or 'not counted'}) | "
              f"{best['updated']} / {best['inserted']} / {best['rewritten']} |")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--shapes", default=",".join(SHAPES))
    parser.add_argument("--baseline")
    args = parser.parse_args(argv)
    builds = {"fsspeckit": sys.executable, "delta-rs": sys.executable, IDEAL: sys.executable}
    if args.baseline:
        builds["fsspeckit@baseline"] = args.baseline
    with S3Proxy.start() as proxy, tempfile.TemporaryDirectory() as workdir:
        bucket = proxy.make_bucket()
        fs = proxy.pyarrow_fs()
        for shape_name in args.shapes.split(","):
            shape = SHAPES[shape_name]
            results = run_shape(proxy, fs, bucket, shape_name, shape, builds, args.rounds,
                                args.latency_ms, Path(workdir))
            print_table(shape_name, shape, results, args.latency_ms)
    return 0


if __name__ == "__main__":
    sys.exit(main())
