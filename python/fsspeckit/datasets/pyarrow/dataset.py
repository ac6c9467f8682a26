"""Dataset processing (the migration guide's ``fsspeckit.datasets.pyarrow.dataset``).

``process_in_chunks``, ``PerformanceMonitor``, the in-memory merges and the dataset
statistics are implemented in C++; this module only converts arguments.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Callable, Iterator

import pyarrow as pa
import pyarrow.dataset as ds

from fsspeckit import _core, _fs_bridge
from fsspeckit._core import DatasetPathError, PerformanceMonitor
from fsspeckit._filesystems import resolve

from .io import _filter_bytes
from .memory import MemoryMonitor

__all__ = ["PerformanceMonitor", "collect_dataset_stats_pyarrow", "merge_update_pyarrow",
           "merge_upsert_pyarrow", "process_in_chunks"]


def _chunks(dataset, chunk_size_rows: int, monitor: MemoryMonitor, progress, log_progress: bool):
    common = dict(chunk_size_rows=chunk_size_rows, monitor=monitor, progress=progress,
                  log_progress=log_progress, collect=gc.collect)
    if isinstance(dataset, (str, os.PathLike)):
        # C++ reads the Parquet file or hive folder itself, row group by row group.
        return _core.scan_parquet(os.fspath(dataset), None, **common)
    if isinstance(dataset, pa.Table):
        return _core.scan_stream(dataset, dataset.num_rows, **common)
    if isinstance(dataset, ds.Dataset):
        # Parquet row group by row group, other formats through Arrow's scanner: on the
        # dataset's own filesystem, schema and filter (Dataset.filter()), read ahead
        # within a quarter of the budget, and not at CRITICAL.
        return _core.scan_dataset(_fs_bridge.dataset_capsule(dataset),
                                  _filter_bytes(dataset._scan_options.get("filter")), **common)
    if hasattr(dataset, "__arrow_c_stream__"):
        return _core.scan_stream(dataset, -1, **common)
    raise TypeError(
        "process_in_chunks() needs a pyarrow.Table, a pyarrow.dataset.Dataset, a path to a "
        "Parquet file or dataset folder, or an object with __arrow_c_stream__; got "
        f"{type(dataset).__name__}")


def process_in_chunks(
    dataset,
    chunk_size_rows: int = 1_000_000,
    max_memory_mb: int = _core.DEFAULTS["max_pyarrow_mb"],
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


def collect_dataset_stats_pyarrow(path: str, filesystem=None,
                                  partition_filter: list[str] | None = None) -> dict:
    """``{"files": [{"path", "size_bytes", "num_rows"}, ...], "total_bytes", "total_rows"}``
    for the Parquet files under ``path`` (row counts from the footers).

    ``partition_filter``: prefixes of the files' paths relative to ``path``
    (``["day=2025-01-01"]``). FileNotFoundError when the path is missing or no file
    matches.
    """
    filesystem, path = resolve(filesystem, path)
    try:
        return _core.collect_dataset_stats(path, filesystem, list(partition_filter or []))
    except DatasetPathError as error:
        raise FileNotFoundError(str(error)) from None


def _merge_in_memory(strategy: str, existing, source, key_columns, chunk_size: int,
                     max_memory_mb: int, memory_monitor, writer, progress_callback):
    if isinstance(key_columns, str):
        key_columns = [key_columns]
    if isinstance(existing, (ds.Dataset, pa.Table)):
        schema = existing.schema
    else:
        raise TypeError("existing must be a pyarrow.Table or pyarrow.dataset.Dataset, got "
                        f"{type(existing).__name__}")
    merge = _core._TableMerge(source, schema, list(key_columns), strategy)
    if isinstance(existing, pa.Table) and existing.num_rows <= chunk_size and writer is None:
        chunks = [existing]  # small enough to filter at once, as the original does
    else:
        chunks = process_in_chunks(existing, chunk_size_rows=chunk_size,
                                   max_memory_mb=max_memory_mb,
                                   progress_callback=progress_callback,
                                   memory_monitor=memory_monitor)
    kept = []
    for chunk in chunks:
        rows = pa.table(merge.filter(chunk))
        if writer is not None:
            writer.write_table(rows)
        else:
            kept.append(rows)
    tail = pa.table(merge.tail())
    if writer is not None:
        writer.write_table(tail)
        return None
    return pa.concat_tables([*kept, tail])


def merge_upsert_pyarrow(existing, source, key_columns,
                         chunk_size: int = _core.DEFAULTS["merge_chunk_size_rows"],
                         max_memory_mb: int = _core.DEFAULTS["merge_max_memory_mb"],
                         memory_monitor: MemoryMonitor | None = None,
                         writer=None, progress_callback: Callable[[int, int], None] | None = None,
                         ) -> pa.Table | None:
    """``existing`` (Table or Dataset) with the rows whose key ``source`` has replaced by
    the source's rows: existing rows without a source key in order, then every source
    key's row (the last row of each key) in source order.

    Keys match null-safely (null equals null). The source is conformed to the existing
    schema: columns it lacks become nulls, extra columns are dropped. The existing data
    is read in chunks of ``chunk_size`` rows under ``memory_monitor`` (else a
    ``MemoryMonitor(max_pyarrow_mb=max_memory_mb)``). With ``writer`` (anything with
    ``write_table``, e.g. ``pyarrow.parquet.ParquetWriter``) the result is written
    chunk by chunk and None is returned.
    """
    return _merge_in_memory("upsert", existing, source, key_columns, chunk_size,
                            max_memory_mb, memory_monitor, writer, progress_callback)


def merge_update_pyarrow(existing, source, key_columns,
                         chunk_size: int = _core.DEFAULTS["merge_chunk_size_rows"],
                         max_memory_mb: int = _core.DEFAULTS["merge_max_memory_mb"],
                         memory_monitor: MemoryMonitor | None = None,
                         writer=None, progress_callback: Callable[[int, int], None] | None = None,
                         ) -> pa.Table | None:
    """As ``merge_upsert_pyarrow``, but only source rows whose key the existing data has
    are kept (they follow the existing rows without a source key); new keys are ignored.
    Existing rows sharing a key collapse into the one source row."""
    return _merge_in_memory("update", existing, source, key_columns, chunk_size,
                            max_memory_mb, memory_monitor, writer, progress_callback)
