"""make demo: upsert a batch of changes into a realistic dataset under a tight budget.

1. Generates an orders dataset: 3,000,000 rows, hive-partitioned by day (6 days),
   in demo/data/orders (kept between runs; delete it to start over).
2. Builds a batch of changes: 40,000 updates spread over every day and file, and
   10,000 new orders.
3. Runs `fsspeckit merge` (the CLI) with a 256 MiB Arrow budget: progress, live memory
   pressure, summary.
4. Checks the result against the changes and shows a few rows.
5. Writes the merge's HTML report (memory over time against the budget, phases,
   degradation steps) to demo/data/merge-report.html and prints its path.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds

from fsspeckit.datasets.pyarrow import PyarrowDatasetIO

ROOT = Path(__file__).resolve().parent / "data"
DATASET = ROOT / "orders"
CHANGES = ROOT / "changes.parquet"
REPORT = ROOT / "merge-report.html"
ROWS = 3_000_000
DAYS = [f"2025-06-0{d}" for d in range(1, 7)]


def orders(first: int, count: int, status: str) -> pa.Table:
    ids = pa.array(range(first, first + count), pa.int64())
    day_index = pc.cast(pc.divide(pc.subtract(ids, first), max(count // len(DAYS), 1)), pa.int64())
    days = pc.take(pa.array(DAYS), pc.min_element_wise(day_index, len(DAYS) - 1))
    return pa.table({
        "order_id": ids,
        "customer": pc.binary_join_element_wise("customer-", pc.cast(pc.bit_wise_and(ids, 4095), pa.string()), ""),
        "amount": pc.round(pc.multiply(pc.cast(pc.bit_wise_and(ids, 1023), pa.float64()), 1.37), 2),
        "status": pa.array([status] * count),
        "day": days,
    })


def main() -> None:
    io = PyarrowDatasetIO()
    if not DATASET.exists():
        print(f"Generating {ROWS:,} orders in {DATASET} ...")
        io.write_dataset(orders(0, ROWS, "placed"), str(DATASET), partition_by="day",
                         max_rows_per_file=250_000, row_group_size=50_000, mode="overwrite")
    before = ds.dataset(str(DATASET), partitioning="hive").count_rows()
    files = len(list(DATASET.rglob("*.parquet")))
    print(f"Dataset: {before:,} rows in {files} files over {len(DAYS)} days.\n")

    # Updates: every 75th existing order is shipped (they sit in every file); plus new orders
    # on the last day.
    updates = orders(0, ROWS, "shipped").take(pa.array(range(0, ROWS, 75)))  # id == row
    inserts = orders(ROWS, 10_000, "placed")
    inserts = inserts.set_column(4, "day", pa.array([DAYS[-1]] * 10_000))
    changes = pa.concat_tables([updates, inserts])
    ROOT.mkdir(exist_ok=True)
    io.write_parquet(changes, str(CHANGES))
    print(f"Changes: {updates.num_rows:,} updates spread over every file, "
          f"{inserts.num_rows:,} new orders -> {CHANGES.name}\n")

    fsspeckit = shutil.which("fsspeckit", path=os.path.dirname(sys.executable))
    command = [fsspeckit, "merge", os.path.relpath(CHANGES), os.path.relpath(DATASET), "--key",
               "order_id", "--partition", "day", "--max-memory", "256MiB", "--report",
               os.path.relpath(REPORT)]
    print("$ " + " ".join(command))
    subprocess.run(command, check=True)

    table = ds.dataset(str(DATASET), partitioning="hive").to_table()
    shipped = pc.sum(pc.equal(table["status"], "shipped")).as_py()
    print(f"\nCheck: {table.num_rows:,} rows (expected {before + inserts.num_rows:,} on a "
          f"fresh dataset), {shipped:,} shipped (expected {updates.num_rows:,}), "
          f"{len(pc.unique(table['order_id'])):,} distinct order ids.")
    sample = table.filter(pc.is_in(table["order_id"], pa.array([0, 1, 75, ROWS], pa.int64())))
    for row in sorted(sample.select(["order_id", "status", "day"]).to_pylist(),
                      key=lambda r: r["order_id"]):
        print(f"  order {row['order_id']:>9,}  {row['status']:<8} {row['day']}")
    print("\n$ fsspeckit status --max-pyarrow 256MiB")
    subprocess.run([fsspeckit, "status", "--max-pyarrow", "256MiB"], check=True)
    print(f"\nThe merge's memory report (open it in a browser): {REPORT}")


if __name__ == "__main__":
    main()
