"""The migration guide's scan snippets, verbatim inside the setup they assume."""

import pyarrow as pa
import pytest

from fsspeckit.datasets.pyarrow.dataset import process_in_chunks
from fsspeckit.datasets.pyarrow.memory import MemoryMonitor, MemoryPressureLevel

processed = []


def process_chunk(chunk):
    processed.append(chunk.num_rows)


@pytest.fixture(autouse=True)
def reset():
    processed.clear()


@pytest.fixture
def large_dataset():
    return pa.table({"id": range(250_000), "x": [1.5] * 250_000})


def test_step_2_basic_memory_monitoring(large_dataset, capsys):
    # Before (still works)
    from fsspeckit.datasets.pyarrow.dataset import process_in_chunks

    for chunk in process_in_chunks(
        dataset=large_dataset,
        chunk_size_rows=100_000,
        max_memory_mb=1024
    ):
        process_chunk(chunk)

    # After (enhanced monitoring)
    from fsspeckit.datasets.pyarrow.dataset import process_in_chunks
    from fsspeckit.datasets.pyarrow.memory import MemoryMonitor, MemoryPressureLevel

    # Create enhanced monitor
    monitor = MemoryMonitor(
        max_pyarrow_mb=1024,
        max_process_memory_mb=2048,      # NEW: Monitor total process memory
        min_system_available_mb=512      # NEW: Keep system responsive
    )

    for chunk in process_in_chunks(
        dataset=large_dataset,
        chunk_size_rows=100_000,
        max_memory_mb=1024,
        memory_monitor=monitor           # NEW: Pass enhanced monitor
    ):
        # Enhanced processing with memory awareness
        pressure = monitor.check_memory_pressure()
        
        if pressure == MemoryPressureLevel.WARNING:
            print("Memory usage is high")
            import gc
            gc.collect()
        
        process_chunk(chunk)

    assert processed == [100_000, 100_000, 50_000] * 2


def test_pattern_3_gradual_migration(large_dataset, capsys):
    dataset = large_dataset

    def migrate_gradual():
        """Gradually migrate to enhanced monitoring."""
        
        # Keep existing code as baseline
        existing_monitor = None  # Use default monitoring
        
        # Add enhanced monitoring for comparison
        enhanced_monitor = MemoryMonitor(
            max_pyarrow_mb=1024,
            max_process_memory_mb=2048,
            min_system_available_mb=512,
        )
        
        # Run both monitoring approaches
        for chunk in process_in_chunks(dataset, memory_monitor=enhanced_monitor):
            # Process with enhanced monitoring
            process_chunk(chunk)
            
            # Log enhanced metrics for analysis
            status = enhanced_monitor.get_memory_status()
            print(f"Enhanced monitoring: PyArrow={status['pyarrow_allocated_mb']:.1f}MB, "
                  f"Process={status.get('process_rss_mb', 'N/A')}MB")

    migrate_gradual()
    assert processed == [250_000]
    assert "Enhanced monitoring: PyArrow=" in capsys.readouterr().out


def test_troubleshooting_3_less_frequent_checks(large_dataset):
    dataset = large_dataset
    chunks_processed = 0
    checks = []

    # Use less frequent memory checks
    monitor = MemoryMonitor()

    # Check memory pressure every 20 chunks instead of every chunk
    for chunk in process_in_chunks(dataset, memory_monitor=monitor):
        chunks_processed += 1
        
        # Use should_check_memory to avoid excessive monitoring
        if monitor.should_check_memory(chunks_processed, check_interval=20):
            pressure = monitor.check_memory_pressure()
            # ... handle pressure ...
            checks.append(pressure)

    assert chunks_processed == 1
    assert checks == []  # 1 % 20 != 0
