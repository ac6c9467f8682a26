"""Dataset processing (the migration guide's ``fsspeckit.datasets.pyarrow.dataset``).

``process_in_chunks`` and ``PerformanceMonitor`` are implemented in C++; this module
only turns the ``dataset`` argument into something C++ can read.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Callable, Iterator

import pyarrow as pa
import pyarrow.dataset as ds

from fsspeckit import _core
from fsspeckit._core import PerformanceMonitor

from .memory import MemoryMonitor

__all__ = ["PerformanceMonitor", "process_in_chunks"]


def _chunks(dataset, chunk_size_rows: int, monitor: MemoryMonitor, progress, log_progress: bool):
    common = dict(chunk_size_rows=chunk_size_rows, monitor=monitor, progress=progress,
                  log_progress=log_progress, collect=gc.collect)
    if isinstance(dataset, (str, os.PathLike)):
        # C++ reads the Parquet file or hive folder itself, row group by row group.
        return _core.scan_parquet(os.fspath(dataset), None, **common)
    if isinstance(dataset, pa.Table):
        return _core.scan_stream(dataset, dataset.num_rows, **common)
    if isinstance(dataset, ds.Dataset):
        # Bounded read-ahead; Parquet pre-buffering would hold whole files.
        options = {}
        if isinstance(dataset, ds.FileSystemDataset) and isinstance(dataset.format,
                                                                    ds.ParquetFileFormat):
            options["fragment_scan_options"] = ds.ParquetFragmentScanOptions(pre_buffer=False)
        scanner = dataset.scanner(batch_size=min(chunk_size_rows, 1 << 17), batch_readahead=4,
                                  fragment_readahead=2, **options)
        return _core.scan_stream(scanner.to_reader(), dataset.count_rows(), **common)
    if hasattr(dataset, "__arrow_c_stream__"):
        return _core.scan_stream(dataset, -1, **common)
    raise TypeError(
        "process_in_chunks() needs a pyarrow.Table, a pyarrow.dataset.Dataset, a path to a "
        "Parquet file or dataset folder, or an object with __arrow_c_stream__; got "
        f"{type(dataset).__name__}")


def process_in_chunks(
    dataset,
    chunk_size_rows: int = 1_000_000,
    max_memory_mb: int = 2048,
    enable_progress: bool = True,
    progress_callback: Callable[[int, int], None] | None = None,
    memory_monitor: MemoryMonitor | None = None,
) -> Iterator[pa.Table]:
    """Yields ``dataset`` as tables of at most ``chunk_size_rows`` rows, in order.

    Between chunks, memory pressure is checked (``memory_monitor``, or a
    ``MemoryMonitor(max_pyarrow_mb=max_memory_mb)``) and the scan degrades gracefully:
    WARNING runs ``gc.collect()`` and returns unused pool memory to the OS; CRITICAL
    also halves the chunk size and stops reading ahead; EMERGENCY does all that and
    re-checks at once, raising ``MemoryError`` only if the emergency persists. After a
    few normal readings the chunk size grows back. ``progress_callback(rows_processed,
    total_rows)`` runs when the consumer asks for the next chunk.
    """
    monitor = memory_monitor if memory_monitor is not None else MemoryMonitor(
        max_pyarrow_mb=max_memory_mb)
    progress = progress_callback if enable_progress else None
    log_progress = enable_progress and progress_callback is None
    for stream in _chunks(dataset, chunk_size_rows, monitor, progress, log_progress):
        yield pa.table(stream)
