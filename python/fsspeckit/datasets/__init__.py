"""Dataset tooling; the PyArrow backend lives in ``fsspeckit.datasets.pyarrow``."""

from .pyarrow.io import DatasetError, DatasetPathError, PyarrowDatasetIO
from .write_result import FileWriteMetadata, WriteDatasetResult

__all__ = ["DatasetError", "DatasetPathError", "FileWriteMetadata", "PyarrowDatasetIO",
           "WriteDatasetResult"]


def __getattr__(name: str):
    # The separate handler class was folded into PyarrowDatasetIO; the old name stays
    # importable for old code, with a warning that names the replacement.
    if name == "PyarrowDatasetHandler":
        import warnings

        warnings.warn("PyarrowDatasetHandler is deprecated; use PyarrowDatasetIO",
                      DeprecationWarning, stacklevel=2)
        return PyarrowDatasetIO
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
