"""make demo: the memory monitor watching real Arrow allocations.

Allocates Arrow tables in steps against a 512 MiB budget and shows, after each step,
what `fsspeckit status` reports for this process (the CLI runs in-process, so it sees
the same Arrow pool), then frees everything and shows the level fall back.
"""

import pyarrow as pa

from fsspeckit.cli import main as fsspeckit_cli
from fsspeckit.datasets.pyarrow.memory import MemoryMonitor

BUDGET_MB = 512
STEPS_MB = [0, 300, 100, 80, 60]  # cumulative: 0, 300, 400, 480, 540 MiB


def table_of_mb(mb: int) -> pa.Table:
    rows = mb * 2**20 // 8
    return pa.table({"value": pa.array(range(rows), pa.int64())})


def main() -> None:
    monitor = MemoryMonitor(max_pyarrow_mb=BUDGET_MB, min_system_available_mb=512)
    held = []
    print(f"Arrow budget: {BUDGET_MB} MiB. Allocating tables step by step.\n")
    for step_mb in STEPS_MB:
        if step_mb:
            held.append(table_of_mb(step_mb))
        total = sum(t.nbytes for t in held) / 2**20
        level = monitor.check_memory_pressure()
        print(f"--- holding {total:.0f} MiB of tables: check_memory_pressure() -> {level.name}")
        fsspeckit_cli(["status", "--max-pyarrow", f"{BUDGET_MB}MiB"])
        print()
    held.clear()
    print("--- tables freed")
    print(f"check_memory_pressure() -> {monitor.check_memory_pressure().name}")
    print(monitor.get_detailed_status())


if __name__ == "__main__":
    main()
