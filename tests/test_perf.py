"""PerformanceMonitor from Python, including the guide's Step 4 snippet."""

import time

import pyarrow as pa
import pytest

from fsspeckit.datasets.pyarrow.dataset import PerformanceMonitor

METRIC_KEYS = {
    "total_process_time_sec", "memory_peak_mb", "process_memory_peak_mb",
    "throughput_mb_sec", "rows_per_sec", "files_processed", "chunks_processed",
    "dedup_efficiency", "operation_breakdown", "system_available_mb",
    "memory_pressure_stats", "degradation", "timeline",
}


def test_guide_step_4_runs_verbatim(capsys):
    rows_before, rows_after, total_bytes = 1000, 900, 1024 * 1024
    # Before
    from fsspeckit.datasets.pyarrow.dataset import PerformanceMonitor

    monitor = PerformanceMonitor()  # Basic monitoring
    monitor.start_op("processing")
    # ... operations ...
    monitor.end_op()

    metrics = monitor.get_metrics(rows_before, rows_after, total_bytes)
    print(f"Peak memory: {metrics['memory_peak_mb']} MB")

    # After
    from fsspeckit.datasets.pyarrow.dataset import PerformanceMonitor

    monitor = PerformanceMonitor(
        max_pyarrow_mb=1024,
        max_process_memory_mb=2048,
        min_system_available_mb=512,
    )  # Enhanced monitoring

    monitor.start_op("processing")
    # ... operations ...
    monitor.end_op()

    metrics = monitor.get_metrics(rows_before, rows_after, total_bytes)

    # Enhanced metrics available
    print(f"PyArrow peak: {metrics['memory_peak_mb']} MB")
    print(f"Process peak: {metrics['process_memory_peak_mb']} MB")           # NEW
    print(f"System available: {metrics['system_available_mb']} MB")           # NEW
    print(f"Pressure stats: {metrics['memory_pressure_stats']}")              # NEW
    out = capsys.readouterr().out
    assert "Pressure stats: {'normal': " in out


def test_metrics_keys_and_values():
    monitor = PerformanceMonitor(max_pyarrow_mb=512, max_process_memory_mb=1024)
    monitor.start_op("test_op")
    time.sleep(0.1)
    monitor.end_op()
    monitor.start_op("test_op_2")
    time.sleep(0.05)
    monitor.end_op()
    metrics = monitor.get_metrics(1000, 900, 10 * 2**20)
    assert set(metrics) == METRIC_KEYS
    assert metrics["operation_breakdown"]["test_op"] >= 0.1
    assert metrics["operation_breakdown"]["test_op_2"] >= 0.05
    assert list(metrics["operation_breakdown"]) == ["test_op", "test_op_2"]
    assert metrics["total_process_time_sec"] >= 0.15
    assert metrics["dedup_efficiency"] == pytest.approx(0.1)
    assert metrics["rows_per_sec"] == pytest.approx(1000 / metrics["total_process_time_sec"], rel=0.05)
    assert metrics["throughput_mb_sec"] == pytest.approx(10 / metrics["total_process_time_sec"], rel=0.05)
    stats = metrics["memory_pressure_stats"]
    assert list(stats) == ["normal", "warning", "critical", "emergency"]  # zeros included
    assert sum(stats.values()) >= 1
    assert metrics["process_memory_peak_mb"] > 1
    assert metrics["degradation"] == {"collections": 0, "pool_releases": 0,
                                      "chunk_size_reductions": 0,
                                      "smallest_chunk_size_rows": None}


def test_peak_sees_an_allocation_between_ops():
    monitor = PerformanceMonitor(max_pyarrow_mb=100, min_system_available_mb=0)
    monitor.start_op("alloc")
    buffer = pa.allocate_buffer(80 * 2**20)
    monitor.track_memory()
    del buffer
    monitor.end_op()
    metrics = monitor.get_metrics(0, 0, 0)
    assert metrics["memory_peak_mb"] >= 80
    assert metrics["memory_pressure_stats"]["warning"] + metrics["memory_pressure_stats"]["critical"] + \
        metrics["memory_pressure_stats"]["emergency"] >= 1
    assert monitor.memory_peak_mb >= 80


def test_counters_are_assignable_attributes():
    monitor = PerformanceMonitor()
    monitor.files_processed += 3
    monitor.chunks_processed = 7
    monitor.total_rows_processed = 70
    monitor.total_bytes_processed = 1 << 20
    metrics = monitor.get_metrics(0, 0, 0)
    assert metrics["files_processed"] == 3
    assert metrics["chunks_processed"] == 7
    assert monitor.total_rows_processed == 70
    assert monitor.current_op is None
    monitor.start_op("x")
    assert monitor.current_op == "x"


def test_bad_limits_raise():
    with pytest.raises(ValueError, match="max_pyarrow_mb"):
        PerformanceMonitor(max_pyarrow_mb=-3)
