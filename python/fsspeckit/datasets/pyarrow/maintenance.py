"""The maintenance methods of PyarrowDatasetIO: the filesystem methods
(``fsspeckit.core.ext.register``) on the handler's own filesystem. The original's
handler raised NotImplementedError for them."""

from __future__ import annotations

from fsspeckit.core.ext import register as _fs


class MaintenanceMethods:
    """Mixed into PyarrowDatasetIO; ``self._filesystem`` is None (local), a pyarrow or an
    fsspec filesystem."""

    _filesystem = None

    def plan_parquet_compaction(self, path: str, **options):
        return _fs.plan_parquet_compaction(self._filesystem, path, **options)

    def plan_parquet_partition_local_deduplication(self, path: str, **options):
        return _fs.plan_parquet_partition_local_deduplication(self._filesystem, path, **options)

    def execute_maintenance_plan(self, plan, *, progress_callback=None, executor="local"):
        return _fs.execute_maintenance_plan(self._filesystem, plan,
                                            progress_callback=progress_callback,
                                            executor=executor)

    def plan_parquet_ordered_compaction(self, path: str, **options):
        return _fs.plan_parquet_ordered_compaction(self._filesystem, path, **options)

    def ordered_compact_parquet_dataset(self, path: str, **options):
        return _fs.ordered_compact_parquet_dataset(self._filesystem, path, **options)

    def plan_parquet_optimization(self, path: str, **options):
        return _fs.plan_parquet_optimization(self._filesystem, path, **options)

    def optimize_parquet_dataset(self, path: str, **options):
        return _fs.optimize_parquet_dataset(self._filesystem, path, **options)

    def plan_parquet_repartition(self, path: str, **options):
        return _fs.plan_parquet_repartition(self._filesystem, path, **options)

    def repartition_parquet_dataset(self, path: str, **options):
        return _fs.repartition_parquet_dataset(self._filesystem, path, **options)

    def plan_parquet_global_repartition_deduplication(self, path: str, **options):
        return _fs.plan_parquet_global_repartition_deduplication(self._filesystem, path, **options)

    def deduplicate_and_repartition_parquet_dataset(self, path: str, **options):
        return _fs.deduplicate_and_repartition_parquet_dataset(self._filesystem, path, **options)

    def plan_parquet_schema_rewrite(self, path: str, **options):
        return _fs.plan_parquet_schema_rewrite(self._filesystem, path, **options)

    def schema_rewrite_parquet_dataset(self, path: str, **options):
        return _fs.schema_rewrite_parquet_dataset(self._filesystem, path, **options)

    def compact_parquet_dataset(self, path: str, **options):
        return _fs.compact_parquet_dataset(self._filesystem, path, **options)

    def deduplicate_parquet_dataset(self, path: str, **options):
        return _fs.deduplicate_parquet_dataset(self._filesystem, path, **options)


# Each method shows the filesystem method's signature and documentation.
for _name in ("plan_parquet_compaction", "plan_parquet_partition_local_deduplication",
              "compact_parquet_dataset", "deduplicate_parquet_dataset",
              "plan_parquet_ordered_compaction", "ordered_compact_parquet_dataset",
              "plan_parquet_optimization", "optimize_parquet_dataset",
              "plan_parquet_repartition", "repartition_parquet_dataset",
              "plan_parquet_global_repartition_deduplication",
              "deduplicate_and_repartition_parquet_dataset",
              "plan_parquet_schema_rewrite", "schema_rewrite_parquet_dataset"):
    import inspect as _inspect

    _method = getattr(MaintenanceMethods, _name)
    _source = getattr(_fs, _name)
    _method.__doc__ = _source.__doc__
    _method.__signature__ = _inspect.signature(_source)
