"""The memory timeline and the HTML report, from Python: monitors and real merges."""

import re
import sys
import time

import pyarrow as pa
import pytest

from fsspeckit.datasets.pyarrow import PyarrowDatasetIO
from fsspeckit.datasets.pyarrow.dataset import PerformanceMonitor


def _assert_self_contained(html):
    # The only URL allowed is the SVG namespace, which names and fetches nothing.
    rest = html.replace("xmlns='http://www.w3.org/2000/svg'", "")
    for fetch in ("http://", "https://", "src=", "href=", "@import", "url("):
        assert fetch not in rest, fetch


def _merge(tmp_path, budget_mb=64, min_available_mb=0):
    io = PyarrowDatasetIO()
    target = str(tmp_path / "data")
    io.write_dataset(pa.table({"id": list(range(3000)), "v": ["old"] * 3000}), target,
                     max_rows_per_file=1000, row_group_size=250)
    source = pa.table({"id": list(range(2500, 3500)), "v": ["new"] * 1000})
    return io.merge(source, target, "upsert", "id", merge_max_memory_mb=budget_mb,
                    merge_min_system_available_mb=min_available_mb)


def test_monitor_timeline_follows_checks_and_phases():
    monitor = PerformanceMonitor(max_pyarrow_mb=512, min_system_available_mb=64)
    monitor.start_op("load")
    held = []
    for _ in range(5):
        held.append(pa.allocate_buffer(4 * 2**20))
        monitor.track_memory()
    time.sleep(0.005)  # checks within a millisecond share a point: keep these apart
    monitor.start_op("process")
    monitor.track_memory()
    timeline = monitor.get_metrics(0, 0, 0)["timeline"]
    samples = timeline["samples"]
    times = samples["time_sec"]
    assert len(times) >= 2
    assert times == sorted(times) and len(set(times)) == len(times)
    assert max(samples["pool_mb"]) >= 20  # the five buffers, seen as they were allocated
    assert {"load", "process"} <= set(samples["phase"])
    assert set(samples["level"]) <= {"normal", "warning", "critical", "emergency"}
    assert [p["name"] for p in timeline["phases"]] == ["load", "process"]
    assert timeline["limits"] == {"max_pyarrow_mb": 512.0, "max_process_memory_mb": None,
                                  "min_system_available_mb": 64.0}
    assert timeline["checks"] >= 7
    del held


def test_monitor_write_report_is_self_contained(tmp_path):
    monitor = PerformanceMonitor(max_pyarrow_mb=300, max_process_memory_mb=4096)
    monitor.start_op("work")
    monitor.track_memory()
    path = tmp_path / "monitor.html"
    monitor.write_report(str(path))
    html = path.read_text()
    _assert_self_contained(html)
    assert "<svg" in html and "<polyline" in html
    assert "pool budget 300 MiB" in html and "RSS budget 4096 MiB" in html
    with pytest.raises(OSError, match="missing"):
        monitor.write_report(str(tmp_path / "missing" / "r.html"))


def test_merge_metrics_have_phase_times_and_a_timeline(tmp_path):
    result = _merge(tmp_path)
    breakdown = result.metrics["operation_breakdown"]
    assert list(breakdown)[:2] == ["key_index", "planning"]
    assert {"rewrites", "commit"} <= set(breakdown)
    assert all(seconds >= 0 for seconds in breakdown.values())
    timeline = result.metrics["timeline"]
    assert {p["name"] for p in timeline["phases"]} >= {"key_index", "planning", "rewrites", "commit"}
    phases = set(timeline["samples"]["phase"])
    assert any(p and p.startswith("rewrite part-") for p in phases), phases
    assert timeline["limits"]["max_pyarrow_mb"] == 64
    assert max(timeline["samples"]["pool_mb"]) == pytest.approx(result.metrics["memory_peak_mb"])

    path = tmp_path / "merge.html"
    result.write_report(str(path))
    html = path.read_text()
    _assert_self_contained(html)
    assert "fsspeckit merge: upsert into" in html
    assert re.search(r"rows inserted</th><td>500<", html)
    assert re.search(r"keys updated</th><td>500<", html)
    assert "pool budget 64 MiB" in html


def test_merge_under_pressure_shows_the_ladder_in_the_timeline(tmp_path):
    # The Arrow pool is process-wide: filling 78% of the budget puts the merge at WARNING
    # (over 70%) from its first row group, whatever else the machine does. The budget
    # leaves room for what earlier tests may have left in the pool.
    in_pool_mb = pa.total_allocated_bytes() / 2**20
    budget_mb = 64 + int(in_pool_mb / 0.78)
    held = pa.allocate_buffer(int((budget_mb * 0.78 - in_pool_mb) * 2**20))
    result = _merge(tmp_path, budget_mb=budget_mb)
    del held
    events = result.metrics["timeline"]["events"]
    kinds = {e["kind"] for e in events}
    assert {"collection", "pool_release"} <= kinds, events
    degradation = result.metrics["degradation"]
    assert sum(e["count"] for e in events if e["kind"] == "pool_release") == degradation["pool_releases"]
    assert all(e["phase"] for e in events)  # each names the phase or file it happened in
    assert "warning" in result.metrics["timeline"]["samples"]["level"]


def test_plot_returns_a_matplotlib_figure(tmp_path):
    import matplotlib  # the 'plot' extra, installed by requirements-dev.txt

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    result = _merge(tmp_path)
    assert isinstance(result.plot(), Figure)
    monitor = PerformanceMonitor()
    monitor.track_memory()
    assert isinstance(monitor.plot(), Figure)


def test_plot_without_matplotlib_names_the_extra(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    monitor = PerformanceMonitor()
    with pytest.raises(ImportError, match=r"fsspeckit\[plot\]"):
        monitor.plot()
