"""Filesystem arguments as C++ sees them: None, pyarrow.fs.FileSystem or fsspec."""

from __future__ import annotations

import os

import pyarrow.fs as pafs

from . import _fs_bridge


def arrow_filesystem(filesystem) -> pafs.FileSystem | None:
    """None stays None (local paths and URIs); fsspec filesystems are wrapped."""
    if filesystem is None or isinstance(filesystem, pafs.FileSystem):
        return filesystem
    try:
        from fsspec import AbstractFileSystem
    except ImportError:  # no fsspec installed: it cannot be an fsspec filesystem
        AbstractFileSystem = ()
    if isinstance(filesystem, AbstractFileSystem):
        from fsspec.implementations.local import LocalFileSystem
        if isinstance(filesystem, LocalFileSystem):
            # The same disk: Arrow's own local filesystem gets the flock and the fsyncs.
            return pafs.LocalFileSystem()
        return pafs.PyFileSystem(pafs.FSSpecHandler(filesystem))
    raise TypeError(
        "filesystem must be None, a pyarrow.fs.FileSystem or an fsspec filesystem, got "
        f"{type(filesystem).__name__}")


def resolve(filesystem, path) -> tuple[object, str]:
    """What fsspeckit._core takes: (None or a capsule holding the C++ filesystem, path).

    An fsspec filesystem's paths are spelled its way ("memory://x" and "x" both become
    "/x"); pyarrow's adapter passes paths through unchanged, so that happens here.
    """
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a str or os.PathLike, got {type(path).__name__}")
    path = os.fspath(path)
    if isinstance(path, bytes):
        raise TypeError("path must be a str or os.PathLike of str, got bytes")
    arrow_fs = arrow_filesystem(filesystem)
    if arrow_fs is None:
        return None, path
    if arrow_fs is not filesystem:
        path = filesystem._strip_protocol(path)
    return _fs_bridge.filesystem_capsule(arrow_fs), path
