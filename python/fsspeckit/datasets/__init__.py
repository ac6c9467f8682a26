"""Dataset tooling; the PyArrow backend lives in ``fsspeckit.datasets.pyarrow``."""

from .pyarrow.io import DatasetError, DatasetPathError, PyarrowDatasetIO
from .write_result import FileWriteMetadata, WriteDatasetResult

__all__ = ["DatasetError", "DatasetPathError", "FileWriteMetadata", "PyarrowDatasetIO",
           "WriteDatasetResult"]
