"""PyarrowDatasetIO.write_dataset / read_parquet vs the same pyarrow calls, side by side.

Run with `make bench` (or .venv/bin/python bench/bench_io.py after `make install`).
One process, interleaved rounds, best of 5; the data is 5 million rows (int64, float64,
int32, string) held in memory, written to a fresh folder each round.
"""

import shutil
import tempfile
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from fsspeckit.datasets.pyarrow import PyarrowDatasetIO

ROWS = 5_000_000
ROUNDS = 5


def make_table() -> pa.Table:
    ids = pa.array(range(ROWS), pa.int64())
    return pa.table({
        "id": ids,
        "amount": pc.multiply(pc.cast(ids, pa.float64()), 0.37),
        "category": pc.cast(pc.bit_wise_and(ids, 63), pa.int32()),
        "label": pc.binary_join_element_wise("item-", pc.cast(ids, pa.string()), ""),
    })


def timed(fn):
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main():
    table = make_table()
    io = PyarrowDatasetIO()
    root = Path(tempfile.mkdtemp(prefix="fsspeckit-bench-io-"))
    options = ds.ParquetFileFormat().make_write_options(compression="snappy")
    write = {"fsspeckit write_dataset": [], "pyarrow ds.write_dataset": []}
    read = {"fsspeckit read_parquet": [], "pyarrow ds.dataset().to_table()": []}
    try:
        for r in range(ROUNDS):
            a, b = root / f"a{r}", root / f"b{r}"
            write["fsspeckit write_dataset"].append(timed(lambda: io.write_dataset(
                table, str(a), max_rows_per_file=1_000_000, row_group_size=250_000)))
            write["pyarrow ds.write_dataset"].append(timed(lambda: ds.write_dataset(
                table, b, format="parquet", file_options=options, max_rows_per_file=1_000_000,
                max_rows_per_group=250_000, min_rows_per_group=250_000,
                basename_template="part-{i}.parquet")))
            read["fsspeckit read_parquet"].append(timed(lambda: io.read_parquet(str(a))))
            read["pyarrow ds.dataset().to_table()"].append(
                timed(lambda: ds.dataset(b, format="parquet").to_table()))
            assert io.read_parquet(str(a)).num_rows == ROWS
            assert pq.ParquetDataset(b).read().num_rows == ROWS
            shutil.rmtree(a)
            shutil.rmtree(b)
    finally:
        shutil.rmtree(root, ignore_errors=True)

    print(f"Data: {ROWS:,} rows in memory (int64, float64, int32, string), snappy, 1M rows per "
          f"file, 250k-row row groups; best of {ROUNDS} interleaved rounds.\n")
    print("| operation | fsspeckit s | pyarrow s | fsspeckit / pyarrow time |")
    print("|---|---:|---:|---:|")
    for label, group in (("write_dataset", write), ("read_parquet", read)):
        ours, theirs = (min(v) for v in group.values())
        print(f"| {label} | {ours:.3f} | {theirs:.3f} | {ours / theirs:.2f}x |")


if __name__ == "__main__":
    main()
