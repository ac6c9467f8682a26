"""PyarrowDatasetIO: reading and writing Parquet datasets (I/O in C++).

This module only converts arguments (filesystems, filters, data) for fsspeckit._core.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds

from fsspeckit._executors import resolve_executor
from fsspeckit import _core, _fs_bridge
from fsspeckit._core import DEFAULTS as _DEFAULTS, DatasetError, DatasetPathError
import gc
import os

from fsspeckit._filesystems import arrow_filesystem, resolve
from fsspeckit.core.incremental import MergeFileMetadata, MergeResult
from fsspeckit.datasets.write_result import FileWriteMetadata, WriteDatasetResult

from .maintenance import MaintenanceMethods
from .sql_filter import sql_to_expression

__all__ = ["DatasetError", "DatasetPathError", "PyarrowDatasetIO"]

_OPERATORS = {
    "==": lambda f, v: f == v, "=": lambda f, v: f == v,
    "!=": lambda f, v: f != v, "<>": lambda f, v: f != v,
    "<": lambda f, v: f < v, "<=": lambda f, v: f <= v,
    ">": lambda f, v: f > v, ">=": lambda f, v: f >= v,
    "in": lambda f, v: f.isin(list(v)),
}


def _conjunction(terms) -> pc.Expression:
    expression = None
    for column, op, value in terms:
        if op not in _OPERATORS:
            raise ValueError(f"Unsupported filter operator: {op!r}")
        term = _OPERATORS[op](pc.field(column), value)
        expression = term if expression is None else expression & term
    if expression is None:
        raise ValueError("filters must not be empty: give (column, op, value) tuples")
    return expression


def _filter_bytes(filters, schema=None) -> bytes | None:
    """DNF tuples, SQL WHERE text (translated against ``schema()``) or a pyarrow
    Expression, serialized for C++ (pyarrow's own format)."""
    if filters is None:
        return None
    if isinstance(filters, str):
        expression = sql_to_expression(filters, schema())
    elif isinstance(filters, (list, tuple)):
        if not filters:
            raise ValueError("filters must not be empty: give (column, op, value) tuples")
        if isinstance(filters[0], list):  # OR of ANDs
            expression = _conjunction(filters[0])
            for conjunction in filters[1:]:
                expression = expression | _conjunction(conjunction)
        else:
            expression = _conjunction(filters)
    elif isinstance(filters, pc.Expression):
        expression = filters
    else:
        raise TypeError(f"filters must be DNF tuples or a pyarrow Expression, got "
                        f"{type(filters).__name__}")
    _, (buffer,) = expression.__reduce__()
    return buffer.to_pybytes()


def _key_list(columns, name: str) -> list[str]:
    """A column name or a list of them, as the original accepted."""
    if columns is None:
        return []
    if isinstance(columns, str):
        if not columns.strip():
            raise ValueError(f"{name} cannot be empty string")
        return [columns.strip()]
    return list(columns)


def _stream(data):
    """Arrow data for C++: tables and readers as they are; lists of tables joined
    without copying (permissive schema promotion, as the original)."""
    if isinstance(data, list):
        if not data:
            raise ValueError("data is an empty list: give at least one table")
        data = pa.concat_tables(data, promote_options="permissive")
    return data


def _merge_source(data, filesystem, max_memory_mb):
    """A merge's source for C++: a path (on the dataset's filesystem) or a Parquet
    dataset is read by C++ once, row group by row group, within the merge's budget; any
    other dataset through its scanner without read-ahead; the rest as _stream gives it."""
    if isinstance(data, (str, os.PathLike)):
        capsule, source_path = resolve(filesystem, os.fspath(data))
        return _core.parquet_source(source_path, capsule, max_memory_mb)
    if isinstance(data, ds.FileSystemDataset) and isinstance(data.format, ds.ParquetFileFormat):
        return _core.parquet_dataset_source(_fs_bridge.dataset_capsule(data),
                                            _filter_bytes(data._scan_options.get("filter")),
                                            max_memory_mb)
    if isinstance(data, ds.Dataset):
        return data.scanner(batch_readahead=0, fragment_readahead=0).to_reader()
    return _stream(data)


def _merge_result(raw: dict) -> MergeResult:
    files = [MergeFileMetadata(path=p, row_count=n, operation=op, size_bytes=size)
             for p, n, op, size in raw.pop("files")]
    report = raw.pop("_report")
    result = MergeResult(files=files, **raw)
    result._report = report  # write_report() renders it
    return result


class PyarrowDatasetIO(MaintenanceMethods):
    """Reads and writes Parquet files and datasets on local disk, S3 and fsspec; merges;
    compacts and deduplicates (MaintenanceMethods)."""

    def __init__(self, filesystem=None):
        arrow_filesystem(filesystem)  # reject unsupported kinds now, not at first use
        self._filesystem = filesystem

    @property
    def filesystem(self):
        return self._filesystem

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return None


    def read_parquet(self, path: str, columns: list[str] | None = None, filters=None,
                     use_threads: bool = True) -> pa.Table:
        """A Parquet file, or a dataset folder (hive folders become columns).

        ``filters``: DNF tuples (``[("id", ">", 5)]``; a list of lists is an OR of
        ANDs), a ``pyarrow.compute`` expression, or SQL WHERE text
        (``"id > 5 AND region = 'eu'"``, see ``sql_filter.sql_to_expression``)."""
        filesystem, path = resolve(self._filesystem, path)

        def schema():
            return pa.table(_core.read_parquet_schema(path, filesystem)).schema

        return pa.table(_core.read_parquet(path, filesystem, columns,
                                           _filter_bytes(filters, schema), use_threads))

    def write_parquet(self, data, path: str, compression: str | None = "snappy",
                      row_group_size: int | None = None, use_threads: bool = False) -> None:
        """One file, written completely or not at all. (use_threads is accepted for
        compatibility; the writer streams batch by batch.)"""
        filesystem, path = resolve(self._filesystem, path)
        _core.write_parquet(_stream(data), path, filesystem, compression, row_group_size)

    def write_dataset(self, data, path: str, *, mode: str = "append",
                      basename_template: str | None = None, schema: pa.Schema | None = None,
                      partition_by: str | list[str] | None = None,
                      partitioning_flavor: str | None = None,
                      compression: str | None = "snappy",
                      max_rows_per_file: int | None = _DEFAULTS["max_rows_per_file"],
                      row_group_size: int | None = _DEFAULTS["row_group_size"], single_writer: bool = False,
                      durable: bool = False) -> WriteDatasetResult:
        """Files under ``path``; "append" never overwrites, "overwrite" replaces the old
        files only once the new ones are complete. ``single_writer`` and ``durable``: as
        for :meth:`merge`."""
        if isinstance(partition_by, str):
            partition_by = [partition_by]
        filesystem, path = resolve(self._filesystem, path)
        files = _core.write_dataset(
            _stream(data), path, filesystem, mode, basename_template, schema,
            list(partition_by or []), partitioning_flavor or "hive", compression,
            max_rows_per_file, row_group_size, single_writer, durable)
        return WriteDatasetResult(
            files=[FileWriteMetadata(path=p, row_count=n, size_bytes=size) for p, n, size in files],
            total_rows=sum(n for _, n, _ in files), mode=mode)

    def merge(self, data, path: str, strategy: str, key_columns: list[str] | str, *,
              partition_columns: list[str] | str | None = None,
              schema: pa.Schema | None = None, compression: str | None = "snappy",
              max_rows_per_file: int | None = _DEFAULTS["max_rows_per_file"], row_group_size: int | None = _DEFAULTS["row_group_size"],
              merge_chunk_size_rows: int = _DEFAULTS["merge_chunk_size_rows"], enable_streaming_merge: bool = True,
              merge_max_memory_mb: int = _DEFAULTS["merge_max_memory_mb"], merge_max_process_memory_mb: int | None = None,
              merge_min_system_available_mb: int = _DEFAULTS["min_system_available_mb"], merge_progress_callback=None,
              use_merge: bool | None = None, single_writer: bool = False,
              durable: bool = False, executor="local") -> MergeResult:
        """Insert, update or upsert ``data`` into the dataset at ``path`` on ``key_columns``.

        Only files holding a source key are rewritten (row order kept); new keys go to
        new files. Every file written has the dataset's schema and follows its hive
        partitioning (detected from its folders; ``partition_columns`` partitions a new
        dataset and names more columns existing keys may not change). The commit is all or
        nothing, even if the process is killed (a later merge or ``recover`` completes
        or rolls back). ``merge_chunk_size_rows``, ``enable_streaming_merge`` and
        ``use_merge`` are accepted for compatibility: rewrites always stream row group
        by row group.

        Concurrent writers are excluded by a lock: an flock on local disks, a leased lock
        object written conditionally on S3 (pyarrow's S3FileSystem or s3fs) and on GCS
        through gcsfs (generation preconditions), the same lock under an in-process mutex
        on fsspec's memory filesystem. Where no lock can be taken atomically (Arrow's own
        GcsFileSystem, Azure, other fsspec filesystems...) the merge is refused
        unless ``single_writer=True`` declares that nothing else writes the dataset.
        ``durable=True`` (local disks) fsyncs the commit so it survives a power loss, not
        only the process dying; it adds about 0.1 s per commit (bench/RESULTS.md).

        ``data``: a pyarrow Table or RecordBatchReader, any object with
        ``__arrow_c_stream__`` (polars, DuckDB), a ``pyarrow.dataset`` or the path of a
        Parquet file or folder (read once, row group by row group). A source larger than
        half of ``merge_max_memory_mb`` is spilled under the dataset's staging folder in
        parts by a hash of the key and matched part by part (``result.metrics["spill"]``):
        its size is bounded by the disk, not the budget. A table already in memory stays
        in the Arrow pool and counts against the budget; hand large sources over as a
        stream, a dataset or a path.

        ``executor``: "local" (threads of this process), "ray" (Ray Core tasks on the
        current Ray connection, or a local cluster), or a
        ``fsspeckit.distributed.RayExecutor`` for its options. Either way the result is
        the same; ``result.metrics["tasks"]`` lists what each task did and where.
        """
        # One set of arguments, by the merge's own names, for whichever executor runs it.
        arguments = dict(
            strategy=strategy, key_columns=_key_list(key_columns, "key_columns"),
            partition_columns=_key_list(partition_columns, "partition_columns"), schema=schema,
            compression=compression, max_rows_per_file=max_rows_per_file,
            row_group_size=row_group_size, merge_chunk_size_rows=merge_chunk_size_rows,
            merge_max_memory_mb=merge_max_memory_mb,
            merge_max_process_memory_mb=merge_max_process_memory_mb,
            merge_min_system_available_mb=merge_min_system_available_mb, collect=gc.collect,
            single_writer=single_writer, durable=durable)
        runner = resolve_executor(executor, "merge")
        if runner is not None:
            source = _merge_source(data, self._filesystem, merge_max_memory_mb)
            raw = runner.merge(source, path, self._filesystem, arguments,
                               progress=merge_progress_callback)
            return _merge_result(raw)
        source = _merge_source(data, self._filesystem, merge_max_memory_mb)
        filesystem, path = resolve(self._filesystem, path)
        raw = _core.merge(source, path, filesystem, merge_progress_callback, **arguments)
        raw["metrics"]["executor"] = "local"
        for record in raw["metrics"]["tasks"]:
            record.update(pid=os.getpid(), node="local")
        return _merge_result(raw)

    def recover(self, path: str, *, single_writer: bool = False) -> bool:
        """Completes (if it had committed) or rolls back an interrupted merge at ``path``.
        Returns whether there was one. Merges do this themselves before they start.
        ``single_writer``: as for :meth:`merge`."""
        filesystem, path = resolve(self._filesystem, path)
        return _core.recover(path, filesystem, single_writer)
