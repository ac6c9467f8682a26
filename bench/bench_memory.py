"""Cost per call of memory readings: fsspeckit vs the psutil-based original, and C++.

Run with `make bench` (or .venv/bin/python bench/bench_memory.py after `make install`).
Prints a Markdown table for bench/RESULTS.md. Every figure is the best of 5 rounds.
"""

import os
import platform
import statistics
import subprocess
import time
import timeit
from pathlib import Path

import psutil
import pyarrow as pa

from fsspeckit.datasets.pyarrow.dataset import PerformanceMonitor
from fsspeckit.datasets.pyarrow.memory import MemoryMonitor

REPO = Path(__file__).resolve().parent.parent
CPP_BENCH = REPO / "build" / "py" / "bench" / "fsspeckit_memory_bench"


def us_per_call(fn, number):
    return min(timeit.repeat(fn, number=number, repeat=5)) / number * 1e6


def psutil_equivalent():
    """What the original MemoryMonitor.get_memory_status() does per call."""
    process = psutil.Process(os.getpid())  # created once, as the original does

    def status():
        return {
            "pyarrow_allocated_mb": pa.total_allocated_bytes() / 2**20,
            "process_rss_mb": process.memory_info().rss / 2**20,
            "system_available_mb": psutil.virtual_memory().available / 2**20,
        }

    return status


def interleaved_us(calls, number, rounds=7):
    """Best cost per call of each of `calls`, the calls taking turns round by round, so
    that load from other processes (this machine is shared) hits them alike."""
    best = [float("inf")] * len(calls)
    for _ in range(rounds):
        for i, call in enumerate(calls):
            best[i] = min(best[i], timeit.timeit(call, number=number) / number * 1e6)
    return best


def cold_us(calls, rounds=40, gap_sec=0.11):
    """Median cost of each of `calls` made once every gap_sec, as a 100 ms cache sees
    them: CPU caches, the kernel's and the interpreter's, have gone cold in between.
    The calls take turns, so machine drift hits them alike."""
    times = [[] for _ in calls]
    for _ in range(rounds):
        for i, call in enumerate(calls):
            time.sleep(gap_sec)
            start = time.perf_counter_ns()
            call()
            times[i].append(time.perf_counter_ns() - start)
    return [statistics.median(t) / 1000 for t in times]


def main():
    held = pa.allocate_buffer(256 * 2**20)  # something in the pool, as in real use
    uncached = MemoryMonitor(max_process_memory_mb=8192, cache_ttl_ms=0)
    cached = MemoryMonitor(max_process_memory_mb=8192, cache_ttl_ms=60_000)
    baseline = psutil_equivalent()

    rows = []
    psutil_us, status_uncached, check_uncached = interleaved_us(
        [baseline, uncached.get_memory_status, uncached.check_memory_pressure], 5_000)
    rows.append(("psutil equivalent (memory_info + virtual_memory + pool)", psutil_us))
    rows.append(("get_memory_status(), uncached", status_uncached))
    rows.append(("check_memory_pressure(), uncached", check_uncached))
    rows.append(("get_memory_status(), cached", us_per_call(cached.get_memory_status, 200_000)))
    check_cached = us_per_call(cached.check_memory_pressure, 500_000)
    rows.append(("check_memory_pressure(), cached", check_cached))
    rows.append(("(reference) empty Python method call: pa.total_allocated_bytes()",
                 us_per_call(pa.total_allocated_bytes, 500_000)))
    # The timeline is recorded inside track_memory(): its cost is this row's.
    perf = PerformanceMonitor(max_process_memory_mb=8192)
    rows.append(("PerformanceMonitor.track_memory() (records a timeline sample), cached",
                 us_per_call(perf.track_memory, 200_000)))
    cold_default = MemoryMonitor(max_process_memory_mb=8192)  # the default 100 ms cache
    cold_psutil, cold_status, cold_check, cold_floor = cold_us(
        [baseline, cold_default.get_memory_status, cold_default.check_memory_pressure,
         lambda: None])

    cpp = {}
    if CPP_BENCH.exists():
        out = subprocess.run([str(CPP_BENCH)], capture_output=True, text=True, check=True).stdout
        cpp = {name: float(ns) for name, ns in (line.split() for line in out.splitlines())}

    print(f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}, pyarrow {pa.__version__}, psutil {psutil.__version__}\n")
    print("| call (from Python) | us per call | vs psutil equivalent |")
    print("|---|---:|---:|")
    for name, us in rows:
        print(f"| {name} | {us:.3f} | {psutil_us / us:.1f}x cheaper |")
    print()
    print("Cold: one call every 110 ms (median of 40, taking turns), as the default 100 ms "
          "cache sees them:\n")
    print("| call (from Python), cold | us per call | vs psutil equivalent |")
    print("|---|---:|---:|")
    for name, us in [("psutil equivalent", cold_psutil), ("get_memory_status()", cold_status),
                     ("check_memory_pressure()", cold_check),
                     ("(reference) empty lambda: the timer's and the call's own cold cost",
                      cold_floor)]:
        print(f"| {name} | {us:.1f} | {cold_psutil / us:.1f}x cheaper |")
    print()
    print("| call (C++) | ns per call |")
    print("|---|---:|")
    for name, ns in cpp.items():
        print(f"| {name} | {ns:.1f} |")
    print()
    print("Targets: uncached reading from Python >= 5x cheaper than psutil: "
          f"{psutil_us / status_uncached:.1f}x (cold: {cold_psutil / cold_status:.1f}x); cached check from Python < 1 us: "
          f"{check_cached:.3f} us; cached check in C++ < 100 ns: "
          f"{cpp.get('cpp_level_cached', float('nan')):.1f} ns (Level), "
          f"{cpp.get('cpp_check_pressure_cached', float('nan')):.1f} ns (CheckPressure)")
    del held


if __name__ == "__main__":
    main()
