"""Dataset processing (the migration guide's ``fsspeckit.datasets.pyarrow.dataset``)."""

from fsspeckit._core import PerformanceMonitor

__all__ = ["PerformanceMonitor"]
