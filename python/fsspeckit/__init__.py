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


def configure_retries(*, max_attempts: int | None = None, base_delay_ms: int | None = None,
                      max_delay_ms: int | None = None) -> dict:
    """How transient answers of object stores (503 SlowDown, 500, 429, timeouts, broken
    connections) are tried again; returns the settings now in force.

    ``max_attempts`` counts the first attempt (1 turns retries off); before attempt n+1
    fsspeckit waits a random time up to ``min(max_delay_ms, base_delay_ms * 2**(n-1))``.
    Defaults: 10 attempts, 100 ms, 5000 ms (or the environment's
    ``FSSPECKIT_RETRY_MAX_ATTEMPTS``, ``FSSPECKIT_RETRY_BASE_DELAY_MS``,
    ``FSSPECKIT_RETRY_MAX_DELAY_MS``). They apply to every S3 request (s3:// URIs and
    pyarrow ``S3FileSystem`` objects, which fsspeckit uses through a copy carrying this
    strategy), to the dataset lock's requests, and to a commit's moves after its commit
    point. Options not given keep their value; operations started afterwards use them.
    """
    current = _core.retry_options()
    for name, value, least in (("max_attempts", max_attempts, 1),
                               ("base_delay_ms", base_delay_ms, 0),
                               ("max_delay_ms", max_delay_ms, 0)):
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"{name} must be an int, got {type(value).__name__}")
        if value < least:
            raise ValueError(f"{name} must be at least {least}, got {value}")
        current[name] = value
    _core.set_retry_options(current["max_attempts"], current["base_delay_ms"],
                            current["max_delay_ms"])
    return _core.retry_options()


# The original's maintenance methods on every fsspec filesystem (fs.compact_parquet_dataset).
from .core.ext import register as _register  # noqa: E402

_register.register()

_core.set_log_sink(_forward_log)
# The C++ sink holds a Python callable: drop it before the interpreter goes away.
atexit.register(_core.set_log_sink, None)
