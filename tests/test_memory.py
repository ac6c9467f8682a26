"""The memory monitor seen from Python: names, defaults, keys, real allocations."""

import logging

import pyarrow as pa
import pytest

import fsspeckit.datasets.pyarrow as fpa
from fsspeckit.datasets.pyarrow import memory
from fsspeckit.datasets.pyarrow.memory import (
    BYTES_IN_MB,
    MemoryMonitor,
    MemoryPressureLevel,
    bytes_to_mb,
    max_pressure,
    mb_to_bytes,
)


def test_reexported_from_the_package():
    for name in ["MemoryMonitor", "MemoryPressureLevel", "max_pressure", "bytes_to_mb",
                 "mb_to_bytes", "BYTES_IN_MB"]:
        assert getattr(fpa, name) is getattr(memory, name)


def test_pressure_level_enum_values_and_order():
    assert [level.value for level in MemoryPressureLevel] == [
        "normal", "warning", "critical", "emergency"]
    assert MemoryPressureLevel("critical") is MemoryPressureLevel.CRITICAL
    N, W, C, E = (MemoryPressureLevel.NORMAL, MemoryPressureLevel.WARNING,
                  MemoryPressureLevel.CRITICAL, MemoryPressureLevel.EMERGENCY)
    assert max_pressure(N, W) is W
    assert max_pressure(E, C) is E
    assert max_pressure(C, C) is C


def test_unit_conversions():
    assert BYTES_IN_MB == 1024 * 1024
    assert bytes_to_mb(0) == 0.0
    assert bytes_to_mb(2**20) == 1.0
    assert mb_to_bytes(1024) == 2**30
    assert mb_to_bytes(0.5) == 2**19


def test_constructor_defaults_match_the_original():
    monitor = MemoryMonitor()
    assert monitor.max_pyarrow_mb == 2048
    assert monitor.max_process_memory_mb is None
    assert monitor.min_system_available_mb == 512
    assert monitor.cache_ttl_ms == 100
    positional = MemoryMonitor(1024, 4096, 256)
    assert (positional.max_pyarrow_mb, positional.max_process_memory_mb,
            positional.min_system_available_mb) == (1024, 4096, 256)
    keywords = MemoryMonitor(max_pyarrow_mb=1, max_process_memory_mb=2, min_system_available_mb=3)
    assert (keywords.max_pyarrow_mb, keywords.max_process_memory_mb,
            keywords.min_system_available_mb) == (1, 2, 3)


def test_status_keys_and_types():
    status = MemoryMonitor(max_pyarrow_mb=1024).get_memory_status()
    # procfs is there on Linux, so the psutil-era keys are all present without psutil
    for key in ["pyarrow_allocated_mb", "process_rss_mb", "system_available_mb",
                "host_available_mb"]:
        assert isinstance(status[key], float), key
    assert status["process_rss_mb"] > 1
    assert 0 < status["system_available_mb"] <= status["host_available_mb"]
    # every value is a float: nothing absent is reported as 0
    assert all(isinstance(v, float) for v in status.values())


def test_pyarrow_allocated_mb_tracks_real_allocations():
    monitor = MemoryMonitor()
    before = monitor.get_memory_status()["pyarrow_allocated_mb"]
    assert before == pytest.approx(pa.total_allocated_bytes() / 2**20)
    table = pa.table({"x": pa.array(range(25_000_000), pa.int64())})  # 200 MB
    during = monitor.get_memory_status()["pyarrow_allocated_mb"]
    assert during == pytest.approx(pa.total_allocated_bytes() / 2**20)
    assert during - before == pytest.approx(200_000_000 / 2**20, rel=0.02)
    del table
    after = monitor.get_memory_status()["pyarrow_allocated_mb"]
    assert after == pytest.approx(before, abs=1)


def test_levels_follow_real_allocations():
    monitor = MemoryMonitor(max_pyarrow_mb=100, min_system_available_mb=0)
    base = pa.total_allocated_bytes()
    assert base < 10 * 2**20
    held = []

    def hold_until_mb(total_mb):  # the pool may already hold a little
        held.append(pa.allocate_buffer(int(total_mb * 2**20) - pa.total_allocated_bytes()))

    assert monitor.check_memory_pressure() is MemoryPressureLevel.NORMAL
    hold_until_mb(75)
    assert monitor.check_memory_pressure() is MemoryPressureLevel.WARNING
    hold_until_mb(92)
    assert monitor.check_memory_pressure() is MemoryPressureLevel.CRITICAL
    hold_until_mb(101)
    assert monitor.check_memory_pressure() is MemoryPressureLevel.EMERGENCY
    held.clear()
    assert monitor.check_memory_pressure() is MemoryPressureLevel.NORMAL


def test_system_floor_and_rss_budget_raise_the_level():
    huge_floor = MemoryMonitor(min_system_available_mb=10_000_000)
    assert huge_floor.check_memory_pressure() is MemoryPressureLevel.EMERGENCY
    tiny_rss = MemoryMonitor(max_process_memory_mb=1, min_system_available_mb=0)
    assert tiny_rss.check_memory_pressure() is MemoryPressureLevel.EMERGENCY
    off = MemoryMonitor(max_process_memory_mb=0, min_system_available_mb=0)
    assert off.check_memory_pressure() is MemoryPressureLevel.NORMAL


def test_non_normal_check_logs_a_warning_with_the_detailed_status(caplog):
    monitor = MemoryMonitor(min_system_available_mb=10_000_000)
    with caplog.at_level(logging.WARNING, logger="fsspeckit"):
        level = monitor.check_memory_pressure()
    assert level is MemoryPressureLevel.EMERGENCY
    messages = [r.getMessage() for r in caplog.records if r.name == "fsspeckit"]
    assert len(messages) == 1
    assert messages[0].startswith("Memory pressure detected: emergency. PyArrow: ")
    assert "(min: 10000000 MB)" in messages[0]


def test_detailed_status_format():
    monitor = MemoryMonitor(max_pyarrow_mb=1024, max_process_memory_mb=4096)
    text = monitor.get_detailed_status()
    parts = text.split(" | ")
    assert parts[0].startswith("PyArrow: ") and parts[0].endswith("/1024 MB")
    assert parts[1].startswith("Process RSS: ") and parts[1].endswith("/4096 MB")
    assert parts[2].startswith("System Available: ") and parts[2].endswith("(min: 512 MB)")


def test_should_check_memory():
    monitor = MemoryMonitor()
    assert [monitor.should_check_memory(n) for n in (0, 5, 10, 20)] == [True, False, True, True]
    assert monitor.should_check_memory(40, check_interval=20)
    assert not monitor.should_check_memory(41, check_interval=20)
    with pytest.raises(ValueError, match="check_interval must be a positive"):
        monitor.should_check_memory(3, check_interval=0)


def test_bad_limits_are_value_errors_naming_the_parameter():
    with pytest.raises(ValueError, match="max_pyarrow_mb must be positive"):
        MemoryMonitor(max_pyarrow_mb=0)
    with pytest.raises(ValueError, match="max_process_memory_mb"):
        MemoryMonitor(max_process_memory_mb=-1)
    with pytest.raises(ValueError, match="min_system_available_mb"):
        MemoryMonitor(min_system_available_mb=-5)
    monitor = MemoryMonitor(max_pyarrow_mb=300)
    with pytest.raises(ValueError):
        monitor.max_pyarrow_mb = -1
    assert monitor.max_pyarrow_mb == 300  # unchanged after the failed assignment


def test_limit_messages_say_what_is_accepted():
    # Issue 13 case 12: 0 turns the RSS check off (as in the original), and the message
    # for a bad value says so instead of "positive" alone.
    assert "max_process_memory_mb=0" in repr(MemoryMonitor(max_process_memory_mb=0))
    with pytest.raises(ValueError, match="must be positive, or 0 or None to not watch the "
                                         "process RSS, got -1$"):
        MemoryMonitor(max_process_memory_mb=-1)
    with pytest.raises(ValueError, match="max_pyarrow_mb must be a number of MiB, got nan"):
        MemoryMonitor(max_pyarrow_mb=float("nan"))
    huge = MemoryMonitor(max_pyarrow_mb=1e300)  # beyond int64 bytes: no limit, no overflow
    assert huge.max_pyarrow_mb > 8e12
    assert huge.check_memory_pressure().value == "normal"


def test_limits_can_be_changed_and_keep_their_unit():
    monitor = MemoryMonitor()
    monitor.max_pyarrow_mb = 0.5
    monitor.max_process_memory_mb = 4096
    assert monitor.max_pyarrow_mb == 0.5
    assert monitor.max_process_memory_mb == 4096
    monitor.max_process_memory_mb = None
    assert monitor.max_process_memory_mb is None
    assert "max_pyarrow_mb=0.5" in repr(monitor)


def test_cache_keeps_system_readings_but_not_the_pool():
    monitor = MemoryMonitor(cache_ttl_ms=60_000)
    first = monitor.get_memory_status()
    buffer = pa.allocate_buffer(64 * 2**20)
    second = monitor.get_memory_status()
    assert second["process_rss_mb"] == first["process_rss_mb"]  # cached
    assert second["pyarrow_allocated_mb"] - first["pyarrow_allocated_mb"] == pytest.approx(64)
    del buffer
    uncached = MemoryMonitor(cache_ttl_ms=0)
    assert uncached.cache_ttl_ms == 0
    with pytest.raises(ValueError, match="cache_ttl_ms"):
        MemoryMonitor(cache_ttl_ms=-1)
