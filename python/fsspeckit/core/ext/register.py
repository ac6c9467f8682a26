"""``import fsspeckit`` adds the maintenance methods to every fsspec filesystem, as the
original's ``core/ext/register.py`` does (``fs.compact_parquet_dataset(path, ...)``).

Each method only converts: the filesystem is ``self``; the work is in C++.
"""

from __future__ import annotations

from fsspeckit.core import maintenance as _m


def plan_parquet_compaction(self, path: str, *, target_mb_per_file: float | None = None,
                            target_rows_per_file: int | None = None,
                            partition_filter: list[str] | str | None = None,
                            compression: str | None = None, memory_budget_mb: float | None = None,
                            single_writer: bool = False, durable: bool = False):
    """Plans a compaction of the Parquet dataset at ``path``; writes nothing.

    Within each partition folder, files under ``target_mb_per_file`` (and any over
    ``target_rows_per_file``) are packed, smallest first, into groups within both
    targets; each group becomes one file (cut at ``target_rows_per_file`` rows).
    Execute it with :meth:`execute_maintenance_plan`."""
    return _m.plan_parquet_compaction(
        self, path, target_mb_per_file=target_mb_per_file,
        target_rows_per_file=target_rows_per_file, partition_filter=partition_filter,
        compression=compression, memory_budget_mb=memory_budget_mb,
        single_writer=single_writer, durable=durable)


def plan_parquet_partition_local_deduplication(
        self, path: str, *, key_columns: list[str] | str | None = None,
        dedup_order_by: list[str] | str | None = None, target_mb_per_file: float | None = None,
        target_rows_per_file: int | None = None, partition_filter: list[str] | str | None = None,
        compression: str | None = None, memory_budget_mb: float | None = None,
        single_writer: bool = False, durable: bool = False):
    """Plans keeping one row per key inside each partition folder; writes nothing.

    ``key_columns`` None means whole rows. The row that survives is the first by
    ``dedup_order_by`` ("-col" descending, nulls last, ties in dataset order), or without
    it the last row in dataset order (file path, then row)."""
    return _m.plan_parquet_partition_local_deduplication(
        self, path, key_columns=key_columns, dedup_order_by=dedup_order_by,
        target_mb_per_file=target_mb_per_file, target_rows_per_file=target_rows_per_file,
        partition_filter=partition_filter, compression=compression,
        memory_budget_mb=memory_budget_mb, single_writer=single_writer, durable=durable)


def plan_parquet_ordered_compaction(self, path: str, *, sort_keys,
                                    target_mb_per_file: float | None = None,
                                    target_rows_per_file: int | None = None,
                                    partition_filter: list[str] | str | None = None,
                                    compression: str | None = None,
                                    memory_budget_mb: float | None = None,
                                    spill_directory: str | None = None,
                                    single_writer: bool = False, durable: bool = False):
    """Plans sorting the rows of each partition folder by ``sort_keys`` (SortKey items or
    "col" / "-col"; ties keep dataset order), cut into files of ``target_rows_per_file``
    rows; writes nothing. Rows beyond a share of ``memory_budget_mb`` are sorted in runs
    spilled to the dataset's staging folder and merged."""
    return _m.plan_parquet_ordered_compaction(
        self, path, sort_keys=sort_keys, target_mb_per_file=target_mb_per_file,
        target_rows_per_file=target_rows_per_file, partition_filter=partition_filter,
        compression=compression, memory_budget_mb=memory_budget_mb,
        spill_directory=spill_directory, single_writer=single_writer, durable=durable)


def ordered_compact_parquet_dataset(self, path: str, *, sort_keys,
                                    target_mb_per_file: float | None = None,
                                    target_rows_per_file: int | None = None,
                                    partition_filter: list[str] | str | None = None,
                                    compression: str | None = None,
                                    memory_budget_mb: float | None = None,
                                    spill_directory: str | None = None,
                                    single_writer: bool = False, durable: bool = False,
                                    progress_callback=None, executor="local"):
    """:meth:`plan_parquet_ordered_compaction` then :meth:`execute_maintenance_plan`."""
    plan = plan_parquet_ordered_compaction(
        self, path, sort_keys=sort_keys, target_mb_per_file=target_mb_per_file,
        target_rows_per_file=target_rows_per_file, partition_filter=partition_filter,
        compression=compression, memory_budget_mb=memory_budget_mb,
        spill_directory=spill_directory, single_writer=single_writer, durable=durable)
    return execute_maintenance_plan(self, plan, progress_callback=progress_callback,
                                    executor=executor)


def plan_parquet_optimization(self, path: str, *,
                              deduplicate_key_columns: list[str] | str | None = None,
                              dedup_order_by: list[str] | str | None = None,
                              target_mb_per_file: float | None = None,
                              target_rows_per_file: int | None = None,
                              partition_filter: list[str] | str | None = None,
                              compression: str | None = None, memory_budget_mb: float | None = None,
                              single_writer: bool = False, durable: bool = False):
    """Plans an optimization: with ``deduplicate_key_columns`` a deduplication inside each
    partition folder (no target needed), else a compaction (a target needed); writes
    nothing."""
    return _m.plan_parquet_optimization(
        self, path, deduplicate_key_columns=deduplicate_key_columns,
        dedup_order_by=dedup_order_by, target_mb_per_file=target_mb_per_file,
        target_rows_per_file=target_rows_per_file, partition_filter=partition_filter,
        compression=compression, memory_budget_mb=memory_budget_mb,
        single_writer=single_writer, durable=durable)


def optimize_parquet_dataset(self, path: str, *,
                             deduplicate_key_columns: list[str] | str | None = None,
                             dedup_order_by: list[str] | str | None = None,
                             target_mb_per_file: float | None = None,
                             target_rows_per_file: int | None = None,
                             partition_filter: list[str] | str | None = None,
                             compression: str | None = None, memory_budget_mb: float | None = None,
                             single_writer: bool = False, durable: bool = False,
                             progress_callback=None, executor="local"):
    """:meth:`plan_parquet_optimization` then :meth:`execute_maintenance_plan`."""
    plan = plan_parquet_optimization(
        self, path, deduplicate_key_columns=deduplicate_key_columns,
        dedup_order_by=dedup_order_by, target_mb_per_file=target_mb_per_file,
        target_rows_per_file=target_rows_per_file, partition_filter=partition_filter,
        compression=compression, memory_budget_mb=memory_budget_mb,
        single_writer=single_writer, durable=durable)
    return execute_maintenance_plan(self, plan, progress_callback=progress_callback,
                                    executor=executor)


def plan_parquet_repartition(self, path: str, *, partition_columns: list[str] | str,
                             target_mb_per_file: float | None = None,
                             target_rows_per_file: int | None = None,
                             compression: str | None = None,
                             derived_partition_columns: dict | None = None,
                             partition_timezone: str = "UTC",
                             memory_budget_mb: float | None = None,
                             single_writer: bool = False, durable: bool = False):
    """Plans moving every row of the dataset into the hive folder of its
    ``partition_columns`` values (file columns, or keys of the current folders), which
    leave the files; the dataset's other hive values become file columns (none is lost).
    Rows stream within ``memory_budget_mb``. Writes nothing."""
    return _m.plan_parquet_repartition(
        self, path, partition_columns=partition_columns, target_mb_per_file=target_mb_per_file,
        target_rows_per_file=target_rows_per_file, compression=compression,
        derived_partition_columns=derived_partition_columns,
        partition_timezone=partition_timezone, memory_budget_mb=memory_budget_mb,
        single_writer=single_writer, durable=durable)


def repartition_parquet_dataset(self, path: str, *, partition_columns: list[str] | str,
                                target_mb_per_file: float | None = None,
                                target_rows_per_file: int | None = None,
                                compression: str | None = None,
                                derived_partition_columns: dict | None = None,
                                partition_timezone: str = "UTC",
                                memory_budget_mb: float | None = None,
                                single_writer: bool = False, durable: bool = False,
                                progress_callback=None, executor="local"):
    """:meth:`plan_parquet_repartition` then :meth:`execute_maintenance_plan`."""
    plan = plan_parquet_repartition(
        self, path, partition_columns=partition_columns, target_mb_per_file=target_mb_per_file,
        target_rows_per_file=target_rows_per_file, compression=compression,
        derived_partition_columns=derived_partition_columns,
        partition_timezone=partition_timezone, memory_budget_mb=memory_budget_mb,
        single_writer=single_writer, durable=durable)
    return execute_maintenance_plan(self, plan, progress_callback=progress_callback,
                                    executor=executor)


def plan_parquet_global_repartition_deduplication(
        self, path: str, *, partition_columns: list[str] | str,
        key_columns: list[str] | str | None = None, dedup_order_by: list[str] | str | None = None,
        target_mb_per_file: float | None = None, target_rows_per_file: int | None = None,
        compression: str | None = None, derived_partition_columns: dict | None = None,
        partition_timezone: str = "UTC", memory_budget_mb: float | None = None,
        single_writer: bool = False, durable: bool = False):
    """Plans keeping one row per key over the whole dataset (the deduplication's rules),
    written into the hive folders of ``partition_columns`` (as a repartition); writes
    nothing."""
    return _m.plan_parquet_global_repartition_deduplication(
        self, path, partition_columns=partition_columns, key_columns=key_columns,
        dedup_order_by=dedup_order_by, target_mb_per_file=target_mb_per_file,
        target_rows_per_file=target_rows_per_file, compression=compression,
        derived_partition_columns=derived_partition_columns,
        partition_timezone=partition_timezone, memory_budget_mb=memory_budget_mb,
        single_writer=single_writer, durable=durable)


def deduplicate_and_repartition_parquet_dataset(
        self, path: str, *, partition_columns: list[str] | str,
        key_columns: list[str] | str | None = None, dedup_order_by: list[str] | str | None = None,
        target_mb_per_file: float | None = None, target_rows_per_file: int | None = None,
        compression: str | None = None, derived_partition_columns: dict | None = None,
        partition_timezone: str = "UTC", memory_budget_mb: float | None = None,
        single_writer: bool = False, durable: bool = False, progress_callback=None, executor="local"):
    """:meth:`plan_parquet_global_repartition_deduplication` then
    :meth:`execute_maintenance_plan`."""
    plan = plan_parquet_global_repartition_deduplication(
        self, path, partition_columns=partition_columns, key_columns=key_columns,
        dedup_order_by=dedup_order_by, target_mb_per_file=target_mb_per_file,
        target_rows_per_file=target_rows_per_file, compression=compression,
        derived_partition_columns=derived_partition_columns,
        partition_timezone=partition_timezone, memory_budget_mb=memory_budget_mb,
        single_writer=single_writer, durable=durable)
    return execute_maintenance_plan(self, plan, progress_callback=progress_callback,
                                    executor=executor)


def plan_parquet_schema_rewrite(self, path: str, *, target_schema,
                                cast_policy="safe", target_mb_per_file: float | None = None,
                                target_rows_per_file: int | None = None,
                                partition_filter: list[str] | str | None = None,
                                compression: str | None = None,
                                memory_budget_mb: float | None = None,
                                single_writer: bool = False, durable: bool = False):
    """Plans rewriting every partition folder's files in ``target_schema`` (the dataset's
    column names, in any order), joined into files of the targets. ``cast_policy``:
    "strict" (only value-preserving promotions, checked now), "safe" (a value that does
    not fit fails), "loose" (unsafe casts; a value that would become null or overflow an
    integer fails). Writes nothing."""
    return _m.plan_parquet_schema_rewrite(
        self, path, target_schema=target_schema, cast_policy=cast_policy,
        target_mb_per_file=target_mb_per_file, target_rows_per_file=target_rows_per_file,
        partition_filter=partition_filter, compression=compression,
        memory_budget_mb=memory_budget_mb, single_writer=single_writer, durable=durable)


def schema_rewrite_parquet_dataset(self, path: str, *, target_schema, cast_policy="safe",
                                   target_mb_per_file: float | None = None,
                                   target_rows_per_file: int | None = None,
                                   partition_filter: list[str] | str | None = None,
                                   compression: str | None = None,
                                   memory_budget_mb: float | None = None,
                                   single_writer: bool = False, durable: bool = False,
                                   progress_callback=None, executor="local"):
    """:meth:`plan_parquet_schema_rewrite` then :meth:`execute_maintenance_plan`."""
    plan = plan_parquet_schema_rewrite(
        self, path, target_schema=target_schema, cast_policy=cast_policy,
        target_mb_per_file=target_mb_per_file, target_rows_per_file=target_rows_per_file,
        partition_filter=partition_filter, compression=compression,
        memory_budget_mb=memory_budget_mb, single_writer=single_writer, durable=durable)
    return execute_maintenance_plan(self, plan, progress_callback=progress_callback,
                                    executor=executor)


def execute_maintenance_plan(self, plan, *, progress_callback=None, executor="local"):
    """Executes a plan made by a ``plan_parquet_*`` method (or read back with
    ``MaintenancePlan.from_json``) on this filesystem. A dataset changed since the plan is
    refused before anything is written (``succeeded=False``). ``executor``: "local",
    "ray" (one Ray task per group; see ``fsspeckit.distributed.RayExecutor``) or an
    executor object."""
    return _m.execute_maintenance_plan(self, plan, progress_callback=progress_callback,
                                       executor=executor)


def compact_parquet_dataset(self, path: str, *, target_mb_per_file: float | None = None,
                            target_rows_per_file: int | None = None,
                            partition_filter: list[str] | str | None = None,
                            compression: str | None = None, memory_budget_mb: float | None = None,
                            single_writer: bool = False, durable: bool = False,
                            progress_callback=None, executor="local"):
    """:meth:`plan_parquet_compaction` then :meth:`execute_maintenance_plan`."""
    plan = plan_parquet_compaction(
        self, path, target_mb_per_file=target_mb_per_file,
        target_rows_per_file=target_rows_per_file, partition_filter=partition_filter,
        compression=compression, memory_budget_mb=memory_budget_mb,
        single_writer=single_writer, durable=durable)
    return execute_maintenance_plan(self, plan, progress_callback=progress_callback,
                                    executor=executor)


def deduplicate_parquet_dataset(self, path: str, *, key_columns: list[str] | str | None = None,
                                dedup_order_by: list[str] | str | None = None,
                                target_mb_per_file: float | None = None,
                                target_rows_per_file: int | None = None,
                                partition_filter: list[str] | str | None = None,
                                compression: str | None = None,
                                memory_budget_mb: float | None = None,
                                single_writer: bool = False, durable: bool = False,
                                progress_callback=None, executor="local"):
    """:meth:`plan_parquet_partition_local_deduplication` then
    :meth:`execute_maintenance_plan`."""
    plan = plan_parquet_partition_local_deduplication(
        self, path, key_columns=key_columns, dedup_order_by=dedup_order_by,
        target_mb_per_file=target_mb_per_file, target_rows_per_file=target_rows_per_file,
        partition_filter=partition_filter, compression=compression,
        memory_budget_mb=memory_budget_mb, single_writer=single_writer, durable=durable)
    return execute_maintenance_plan(self, plan, progress_callback=progress_callback,
                                    executor=executor)


METHODS = {
    "plan_parquet_compaction": plan_parquet_compaction,
    "plan_parquet_partition_local_deduplication": plan_parquet_partition_local_deduplication,
    "execute_maintenance_plan": execute_maintenance_plan,
    "compact_parquet_dataset": compact_parquet_dataset,
    "deduplicate_parquet_dataset": deduplicate_parquet_dataset,
    "plan_parquet_ordered_compaction": plan_parquet_ordered_compaction,
    "ordered_compact_parquet_dataset": ordered_compact_parquet_dataset,
    "plan_parquet_optimization": plan_parquet_optimization,
    "optimize_parquet_dataset": optimize_parquet_dataset,
    "plan_parquet_repartition": plan_parquet_repartition,
    "repartition_parquet_dataset": repartition_parquet_dataset,
    "plan_parquet_global_repartition_deduplication": plan_parquet_global_repartition_deduplication,
    "deduplicate_and_repartition_parquet_dataset": deduplicate_and_repartition_parquet_dataset,
    "plan_parquet_schema_rewrite": plan_parquet_schema_rewrite,
    "schema_rewrite_parquet_dataset": schema_rewrite_parquet_dataset,
}


def register() -> bool:
    """Adds METHODS to fsspec.AbstractFileSystem; False when fsspec is not installed."""
    try:
        from fsspec import AbstractFileSystem
    except ImportError:
        return False
    for name, method in METHODS.items():
        setattr(AbstractFileSystem, name, method)
    return True
