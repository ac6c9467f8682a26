"""The PyArrow backend: memory monitoring, chunked processing, dataset I/O."""

from .dataset import PerformanceMonitor, process_in_chunks
from .io import DatasetError, DatasetPathError, PyarrowDatasetIO
from .memory import (
    BYTES_IN_MB,
    MemoryMonitor,
    MemoryPressureLevel,
    bytes_to_mb,
    max_pressure,
    mb_to_bytes,
)

__all__ = [
    "DatasetError",
    "DatasetPathError",
    "PyarrowDatasetIO",
    "BYTES_IN_MB",
    "MemoryMonitor",
    "MemoryPressureLevel",
    "PerformanceMonitor",
    "bytes_to_mb",
    "max_pressure",
    "mb_to_bytes",
    "process_in_chunks",
]
