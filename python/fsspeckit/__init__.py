"""fsspeckit: memory-aware Parquet dataset toolkit on a C++20 core (Arrow C++).

The native extension ``fsspeckit._core`` links the libarrow of the installed pyarrow, so
pyarrow is imported first (its libraries are then reused) and its version is checked
against the one fsspeckit was compiled with.
"""

import atexit
import logging

import pyarrow

from ._build_info import PYARROW_VERSION as _BUILT_WITH


def _major_minor(version: str) -> tuple[str, ...]:
    return tuple(version.split(".")[:2])


if _major_minor(pyarrow.__version__) != _major_minor(_BUILT_WITH):
    raise ImportError(
        f"fsspeckit was compiled against pyarrow {_BUILT_WITH} but pyarrow "
        f"{pyarrow.__version__} is installed; install "
        f"'pyarrow=={'.'.join(_major_minor(_BUILT_WITH))}.*' or rebuild fsspeckit "
        f"against this pyarrow (pip install --no-binary fsspeckit --force-reinstall fsspeckit)"
    )

from . import _core  # noqa: E402
from . import _signatures  # noqa: E402

_signatures.install(_core)

__version__ = "0.1.0"

_logger = logging.getLogger("fsspeckit")


def _forward_log(level: int, message: str) -> None:
    _logger.log(level, message)


def filesystem(protocol: str = "file", **storage_options):
    """An fsspec filesystem for ``protocol`` (``fsspec.filesystem``), as the original's
    ``fsspeckit.filesystem("file")`` gave code that passes it to PyarrowDatasetIO."""
    import fsspec

    return fsspec.filesystem(protocol, **storage_options)


# The original's maintenance methods on every fsspec filesystem (fs.compact_parquet_dataset).
from .core.ext import register as _register  # noqa: E402

_register.register()

_core.set_log_sink(_forward_log)
# The C++ sink holds a Python callable: drop it before the interpreter goes away.
atexit.register(_core.set_log_sink, None)
