"""Memory monitoring (the migration guide's ``fsspeckit.datasets.pyarrow.memory``).

Everything here is implemented in C++; see ``fsspeckit._core``. psutil is not needed:
readings come from procfs/cgroupfs directly, and the container limit counts.
"""

from fsspeckit._core import (
    BYTES_IN_MB,
    MemoryMonitor,
    MemoryPressureLevel,
    bytes_to_mb,
    max_pressure,
    mb_to_bytes,
)

__all__ = [
    "BYTES_IN_MB",
    "MemoryMonitor",
    "MemoryPressureLevel",
    "bytes_to_mb",
    "max_pressure",
    "mb_to_bytes",
]
