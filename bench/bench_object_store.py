"""Merges and writes on an S3 that throttles: the long version of
tests/test_object_store_faults.py.

moto's S3 behind tests/s3_proxy.py answers `--fail-rate` of all requests with
`503 SlowDown` (seeded), optionally after `--latency-ms`; for each client (pyarrow's
S3FileSystem, s3fs) `--operations` upserts and appends run one after another, each
checked against an oracle (tests/fault_workload.py: the dataset is exactly the expected
one after a success, and the old or the new one after a failure; never a lost or a
duplicated row). Prints how many succeeded and the requests made, by kind.

    .venv/bin/python bench/bench_object_store.py [--operations 100] [--fail-rate 0.05]
        [--latency-ms 0] [--clients pyarrow,s3fs] [--seed 1]

`make bench-faults` runs the defaults. A success rate, not a time, is measured: the
machine may be busy.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import fault_workload  # noqa: E402
from s3_proxy import S3Proxy  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--operations", type=int, default=100)
    parser.add_argument("--fail-rate", type=float, default=0.05)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--clients", default="pyarrow,s3fs")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--initial-rows", type=int, default=2000)
    parser.add_argument("--files", type=int, default=8)
    args = parser.parse_args(argv)

    results = {}
    with S3Proxy.start() as proxy:
        for client in args.clients.split(","):
            bucket = proxy.make_bucket()
            report = fault_workload.run(
                proxy, bucket, client, operations=args.operations, fail_rate=args.fail_rate,
                seed=args.seed, initial_rows=args.initial_rows, files=args.files,
                latency_ms=args.latency_ms)
            results[client] = report
            print(f"{client}: {report.succeeded}/{report.operations} succeeded "
                  f"({100 * report.success_rate:.1f}%), {report.recovered} completed by "
                  f"recover, {report.seconds:.0f} s; requests {json.dumps(report.requests)}; "
                  f"answered 503: {json.dumps(report.failed_requests)}", flush=True)
            for failure in report.failures:
                print(f"  failed: {failure[:400]}")
    print(f"\n| client | operations | succeeded | requests | injected 503s |")
    print("|---|---|---|---|---|")
    for client, report in results.items():
        print(f"| {client} | {report.operations} | {report.succeeded} "
              f"({100 * report.success_rate:.1f}%) | {sum(report.requests.values())} | "
              f"{sum(report.failed_requests.values())} |")
    return 0 if all(r.success_rate >= 0.95 for r in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
