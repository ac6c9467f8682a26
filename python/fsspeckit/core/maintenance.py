"""Dataset maintenance (the original's ``fsspeckit.core.maintenance``): plan and result
types, and the functions behind ``fs.compact_parquet_dataset`` and friends.

Everything is decided in C++ (``fsspeckit._core.plan_compaction`` ...); this module only
converts arguments and turns the C++ plan and result into the original's frozen
dataclasses.
"""

from __future__ import annotations

import base64
import enum
import gc
import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import pyarrow as pa

from fsspeckit._executors import resolve_executor
from fsspeckit import _core
from fsspeckit._filesystems import resolve

__all__ = [
    "ActualMetrics", "CompactionGroup", "CompactionPlan", "CompactionSkip", "FileInfo",
    "GuaranteeLevel", "MaintenanceOperation", "MaintenancePlan", "MaintenanceResult",
    "PartitionLocalDeduplicationPlan", "PartitionScope", "PhaseOutcome",
    "PublicationOutcome", "RecoveryArtifacts", "SchemaOutcome", "ScopeType",
    "SourceFileInfo", "SourceSnapshot", "ValidationLevel", "ValidationOutcome",
    "OrderedCompactionPlan", "OrderedCompactionResult", "SortKey",
    "CoordinatedOptimizationPlan", "CoordinatedOptimizationResult", "plan_parquet_optimization",
    "RepartitionPlan", "RepartitionResult", "plan_parquet_repartition",
    "GlobalRepartitionDeduplicationPlan", "plan_parquet_global_repartition_deduplication",
    "CastPolicy", "SchemaRewritePlan", "SchemaRewriteResult", "plan_parquet_schema_rewrite",
    "execute_maintenance_plan", "plan_parquet_compaction",
    "plan_parquet_ordered_compaction", "plan_parquet_partition_local_deduplication",
]

# What MaintenancePlan.to_dict() writes; the C++ bytes inside carry their own version tag.
_PLAN_FORMAT = "fsspeckit.maintenance_plan"
_PLAN_VERSION = 1


class MaintenanceOperation(str, enum.Enum):
    COMPACTION = "compaction"
    PARTITION_LOCAL_DEDUPLICATION = "partition_local_deduplication"
    GLOBAL_REPARTITION_DEDUPLICATION = "global_repartition_deduplication"
    REPARTITION = "repartition"
    SCHEMA_REWRITE = "schema_rewrite"
    ORDERED_COMPACTION = "ordered_compaction"
    COORDINATED_OPTIMIZATION = "coordinated_optimization"


class GuaranteeLevel(str, enum.Enum):
    ATOMIC_LOCAL = "atomic_local"
    BEST_EFFORT_OBJECT_STORE = "best_effort_object_store"


class ValidationLevel(str, enum.Enum):
    DEFAULT = "default"
    FULL_DISTINCT_KEY_SCAN = "full_distinct_key_scan"


class SchemaOutcome(str, enum.Enum):
    LOSSLESS_PRESERVED = "lossless_preserved"
    LOSSLESS_PROMOTED = "lossless_promoted"
    RECONCILIATION_REQUIRED = "reconciliation_required"


class CastPolicy(str, enum.Enum):
    STRICT = "strict"
    SAFE = "safe"
    LOOSE = "loose"


class ScopeType(str, enum.Enum):
    FULL = "full"
    FILTERED = "filtered"
    REPARTITION = "repartition"


@dataclass(frozen=True)
class SourceFileInfo:
    relative_path: str
    absolute_path: str
    size_bytes: int
    num_rows: int
    content_token: str


@dataclass(frozen=True)
class SourceSnapshot:
    dataset_path: str
    filesystem_protocol: str
    files: tuple[SourceFileInfo, ...]
    total_bytes: int
    total_rows: int
    captured_at: str


@dataclass(frozen=True)
class PartitionScope:
    scope_type: ScopeType
    partition_filter: tuple[str, ...] | None
    partition_paths: tuple[str, ...]
    partition_columns: tuple[str, ...] | None = None


@dataclass(frozen=True)
class FileInfo:
    path: str
    size_bytes: int
    num_rows: int


@dataclass(frozen=True)
class CompactionGroup:
    files: tuple[FileInfo, ...]

    @property
    def total_size_bytes(self) -> int:
        return sum(f.size_bytes for f in self.files)

    @property
    def total_rows(self) -> int:
        return sum(f.num_rows for f in self.files)

    @property
    def file_count(self) -> int:
        return len(self.files)

    def file_paths(self) -> list[str]:
        return [f.path for f in self.files]


@dataclass(frozen=True)
class CompactionSkip:
    file: FileInfo
    reason: str


@dataclass(frozen=True)
class MaintenancePlan:
    operation: MaintenanceOperation
    source_snapshot: SourceSnapshot
    selected_backend: str
    guarantee_level: GuaranteeLevel
    partition_scope: PartitionScope
    schema_outcome: SchemaOutcome
    selected_codec: str
    max_rows_per_file: int | None
    target_byte_size: int | None
    validation_level: ValidationLevel
    schema: pa.Schema | None
    #: The C++ plan with its execution settings (not a field: out of repr and equality).
    #: It pickles as bytes, so plans cross processes (Ray) and can be kept.
    _native = None

    def to_dict(self) -> dict:
        """The plan as plain JSON-ready data, to execute later or elsewhere
        (:meth:`from_dict`): the C++ plan as base64 bytes (every file with its size and
        modification time, the groups, the options), its execution settings, and a few
        readable fields. Executing it later refuses a dataset changed since planning."""
        settings = self._native.settings
        return {
            "format": _PLAN_FORMAT, "version": _PLAN_VERSION,
            "operation": self.operation.value,
            "dataset_path": self.source_snapshot.dataset_path,
            "filesystem_protocol": self.source_snapshot.filesystem_protocol,
            "captured_at": self.source_snapshot.captured_at,
            "memory_budget_mb": settings["memory_budget_mb"],
            "single_writer": settings["single_writer"], "durable": settings["durable"],
            "spill_directory": getattr(self, "sort_spill_directory", None),
            "plan": base64.b64encode(self._native.plan_bytes).decode("ascii"),
        }

    @staticmethod
    def from_dict(data: dict) -> MaintenancePlan:
        """A plan saved by :meth:`to_dict`, as the plan_* method returned it. ValueError
        for anything else (another format or version, damaged bytes)."""
        if not isinstance(data, dict) or data.get("format") != _PLAN_FORMAT:
            raise ValueError("not a maintenance plan saved by MaintenancePlan.to_dict() or "
                             "to_json(); plan again with a plan_parquet_* method")
        if data.get("version") != _PLAN_VERSION:
            raise ValueError(f"a maintenance plan of format version {data.get('version')!r}; "
                             f"this fsspeckit reads version {_PLAN_VERSION}: plan again")
        missing = [key for key in ("plan", "memory_budget_mb", "single_writer", "durable",
                                   "filesystem_protocol") if key not in data]
        if missing:
            raise ValueError(f"damaged maintenance plan (it lacks {', '.join(missing)}); "
                             f"plan again")
        try:
            plan_bytes = base64.b64decode(data["plan"], validate=True)
        except (TypeError, ValueError) as error:
            raise ValueError("damaged maintenance plan (its 'plan' is not base64 bytes); "
                             "plan again") from error
        native = _core.maintenance_plan_from_bytes(
            plan_bytes, float(data["memory_budget_mb"]), bool(data["single_writer"]),
            bool(data["durable"]))
        return _plan(native, str(data["filesystem_protocol"]), data.get("captured_at"),
                     data.get("spill_directory"))

    def to_json(self) -> str:
        """:meth:`to_dict` as JSON text."""
        return json.dumps(self.to_dict())

    @staticmethod
    def from_json(text: str) -> MaintenancePlan:
        """A plan saved by :meth:`to_json` (see :meth:`from_dict`)."""
        try:
            data = json.loads(text)
        except (TypeError, ValueError) as error:
            raise ValueError("not a maintenance plan saved by MaintenancePlan.to_json(): "
                             f"not JSON ({error})") from error
        return MaintenancePlan.from_dict(data)


@dataclass(frozen=True)
class CompactionPlan(MaintenancePlan):
    compaction_groups: tuple[CompactionGroup, ...] = ()
    skipped_files: tuple[CompactionSkip, ...] = ()


@dataclass(frozen=True)
class PartitionLocalDeduplicationPlan(MaintenancePlan):
    dedup_key_columns: tuple[str, ...] | None = None
    dedup_order_by: tuple[str, ...] | None = None
    dedup_groups: tuple[CompactionGroup, ...] = ()


@dataclass(frozen=True)
class SortKey:
    """A sort key of ordered compaction; the strings "col" / "+col" mean ascending with
    nulls last, "-col" descending with nulls first."""
    column: str
    descending: bool = False
    nulls_first: bool = False


@dataclass(frozen=True)
class OrderedCompactionPlan(MaintenancePlan):
    sort_keys: tuple[SortKey, ...] = ()
    ordered_groups: tuple[CompactionGroup, ...] = ()
    sort_memory_budget_mb: float | None = None
    sort_spill_directory: str | None = None


@dataclass(frozen=True)
class CoordinatedOptimizationPlan(MaintenancePlan):
    dedup_key_columns: tuple[str, ...] | None = None
    dedup_order_by: tuple[str, ...] | None = None
    optimization_groups: tuple[CompactionGroup, ...] = ()


@dataclass(frozen=True)
class RepartitionPlan(MaintenancePlan):
    partition_columns: tuple[str, ...] = ()
    derived_partition_keys: tuple = ()
    repartition_memory_budget_mb: float | None = None
    repartition_groups: tuple[CompactionGroup, ...] = ()


@dataclass(frozen=True)
class GlobalRepartitionDeduplicationPlan(MaintenancePlan):
    partition_columns: tuple[str, ...] = ()
    dedup_key_columns: tuple[str, ...] | None = None
    dedup_order_by: tuple[str, ...] | None = None
    derived_partition_keys: tuple = ()
    dedup_groups: tuple[CompactionGroup, ...] = ()


@dataclass(frozen=True)
class SchemaRewritePlan(MaintenancePlan):
    target_schema: pa.Schema | None = None
    source_schema: pa.Schema | None = None
    cast_policy: CastPolicy = CastPolicy.SAFE
    changed_fields: tuple[str, ...] = ()
    schema_rewrite_groups: tuple[CompactionGroup, ...] = ()
    schema_rewrite_memory_budget_mb: float | None = None


@dataclass(frozen=True)
class PhaseOutcome:
    phase: str
    succeeded: bool
    error: str | None = None


@dataclass(frozen=True)
class ValidationOutcome:
    succeeded: bool
    staged_row_count: int
    expected_row_count: int
    error: str | None = None


@dataclass(frozen=True)
class PublicationOutcome:
    succeeded: bool
    published_files: tuple[str, ...]
    removed_source_files: tuple[str, ...]
    error: str | None = None
    rollback_succeeded: bool | None = None
    rollback_error: str | None = None


@dataclass(frozen=True)
class RecoveryArtifacts:
    workspace_path: str | None = None
    backup_paths: tuple[str, ...] = ()
    recovered: bool = False
    error: str | None = None


@dataclass(frozen=True)
class ActualMetrics:
    row_count: int
    file_count: int
    total_bytes: int


@dataclass(frozen=True)
class MaintenanceResult:
    plan: MaintenancePlan
    succeeded: bool
    guarantee_level: GuaranteeLevel
    phase_outcomes: tuple[PhaseOutcome, ...]
    validation: ValidationOutcome | None = None
    publication: PublicationOutcome | None = None
    recovery: RecoveryArtifacts | None = None
    actual_metrics: ActualMetrics | None = None
    error: str | None = None
    # Beyond the original: the dataset (the files the plan considered) before and after,
    # what was copied raw, and the PerformanceMonitor report with the memory timeline.
    files_before: int = 0
    files_after: int = 0
    bytes_before: int = 0
    bytes_after: int = 0
    rows_before: int = 0
    rows_after: int = 0
    row_groups_copied: int = 0
    row_groups_encoded: int = 0
    metrics: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    _report = None

    def write_report(self, path: str) -> None:
        """Writes a self-contained HTML report of this run to the local file ``path``:
        memory over time against the budget, phases, and the summary."""
        if self._report is None:
            raise ValueError("write_report() needs a MaintenanceResult returned by execution")
        self._report.write(str(path))

    def plot(self):
        """The run's memory timeline as a matplotlib Figure (``fsspeckit[plot]``)."""
        from fsspeckit.core.timeline_plot import plot_timeline

        if not self.metrics or "timeline" not in self.metrics:
            raise ValueError("plot() needs a MaintenanceResult from an execution that ran")
        return plot_timeline(self.metrics["timeline"], title=self.plan.operation.value)


@dataclass(frozen=True)
class OrderedCompactionResult(MaintenanceResult):
    """The result of an ordered compaction (the original's subclass)."""


@dataclass(frozen=True)
class CoordinatedOptimizationResult(MaintenanceResult):
    """The result of an optimization: whether it deduplicated, and how many rows went."""
    dedup_phase_executed: bool = False
    dedup_rows_removed: int | None = None


@dataclass(frozen=True)
class RepartitionResult(MaintenanceResult):
    """The result of a repartition (the original's subclass)."""


@dataclass(frozen=True)
class SchemaRewriteResult(MaintenanceResult):
    """The result of a schema rewrite (the original's subclass)."""


def _columns(value, name: str) -> list[str] | None:
    """A column name or a list of them (as the original); None stays None."""
    if value is None:
        return None
    if isinstance(value, str):
        if not value.strip():
            raise ValueError(f"{name} cannot be empty string")
        return [value.strip()]
    return [str(v) for v in value]


def _filter(value) -> list[str]:
    """partition_filter: one folder or a list (a str is one folder, not its characters)."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return list(value)


def _derived(value) -> list[tuple[str, str, str, str]]:
    """derived_partition_columns {name: (function, source[, format])} as C++ takes it."""
    if not value:
        return []
    if not isinstance(value, dict):
        raise TypeError("derived_partition_columns must be a dict {name: (function, source[, "
                        f"format])}}, got {type(value).__name__}")
    items = []
    for name, spec in value.items():
        if isinstance(spec, str) or not isinstance(spec, (tuple, list)) or len(spec) not in (2, 3):
            raise ValueError(f"derived_partition_columns[{name!r}] must be (function, source) or "
                             f"(function, source, format), as ('year', 'ts'); got {spec!r}")
        function, source, *fmt = spec
        items.append((str(name), str(function), str(source), str(fmt[0]) if fmt else ""))
    return items


def _timezone(value) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError(f"partition_timezone must be a time zone name such as 'UTC' or "
                         f"'Europe/Berlin', got {value!r}")
    return value


def _protocol(filesystem) -> str:
    if filesystem is None:
        return "file"
    protocol = getattr(filesystem, "protocol", None)
    if isinstance(protocol, (tuple, list)):
        protocol = protocol[0]
    if protocol:
        return str(protocol)
    return getattr(filesystem, "type_name", "file")


def _plan(native, protocol: str, captured_at: str | None = None,
          spill_directory: str | None = None) -> MaintenancePlan:
    """The typed plan around the C++ one; ``captured_at`` is now unless given (a plan
    read back keeps its own)."""
    info = native.info
    budget_mb = native.settings["memory_budget_mb"]
    files = [SourceFileInfo(relative, absolute, size, rows,
                            f"{size}:{info['mtimes_ns'].get(absolute, 0) / 1e9}")
             for relative, absolute, size, rows, _codec in info["files"]]
    snapshot = SourceSnapshot(
        dataset_path=info["dataset_path"], filesystem_protocol=protocol,
        files=tuple(files), total_bytes=sum(f.size_bytes for f in files),
        total_rows=sum(f.num_rows for f in files),
        captured_at=captured_at or datetime.now(timezone.utc).isoformat())

    def group(indices) -> CompactionGroup:
        return CompactionGroup(tuple(FileInfo(files[i].absolute_path, files[i].size_bytes,
                                              files[i].num_rows) for i in indices))

    scope = PartitionScope(ScopeType.FILTERED if info["partition_filter"] else ScopeType.FULL,
                           tuple(info["partition_filter"]) or None,
                           tuple(info["partition_paths"]))
    common = dict(
        source_snapshot=snapshot, selected_backend="pyarrow",
        guarantee_level=(GuaranteeLevel.ATOMIC_LOCAL if info["atomic_rename"]
                         else GuaranteeLevel.BEST_EFFORT_OBJECT_STORE),
        partition_scope=scope,
        schema_outcome=(SchemaOutcome.LOSSLESS_PROMOTED if info["schema_promoted"]
                        else SchemaOutcome.LOSSLESS_PRESERVED),
        selected_codec=info["codec"], max_rows_per_file=info["max_rows_per_file"],
        target_byte_size=info["target_byte_size"], validation_level=ValidationLevel.DEFAULT,
        schema=pa.table(info["schema"]).schema)
    groups = tuple(group(indices) for _partition, indices, _rows, _bytes in info["groups"])
    order = tuple(("-" if descending else "") + column for column, descending in info["order_by"])
    if info["operation"] == "schema_rewrite":
        plan = SchemaRewritePlan(
            operation=MaintenanceOperation.SCHEMA_REWRITE,
            target_schema=pa.table(info["target_schema"]).schema, source_schema=common["schema"],
            cast_policy=CastPolicy(info["cast_policy"]), changed_fields=tuple(info["changed_fields"]),
            schema_rewrite_groups=groups, schema_rewrite_memory_budget_mb=budget_mb, **common)
    elif info["operation"] == "global_repartition_deduplication":
        plan = GlobalRepartitionDeduplicationPlan(
            operation=MaintenanceOperation.GLOBAL_REPARTITION_DEDUPLICATION,
            partition_scope=PartitionScope(ScopeType.REPARTITION, None,
                                           tuple(info["partition_paths"]),
                                           tuple(info["partition_columns"])),
            partition_columns=tuple(info["partition_columns"]),
            dedup_key_columns=tuple(info["key_columns"]), dedup_order_by=order or None,
            derived_partition_keys=tuple(info["derived_partition_keys"]), dedup_groups=groups,
            **{k: v for k, v in common.items() if k != "partition_scope"})
    elif info["operation"] == "repartition":
        plan = RepartitionPlan(
            operation=MaintenanceOperation.REPARTITION,
            partition_scope=PartitionScope(ScopeType.REPARTITION, None,
                                           tuple(info["partition_paths"]),
                                           tuple(info["partition_columns"])),
            partition_columns=tuple(info["partition_columns"]), repartition_groups=groups,
            derived_partition_keys=tuple(info["derived_partition_keys"]),
            repartition_memory_budget_mb=budget_mb,
            **{k: v for k, v in common.items() if k != "partition_scope"})
    elif info["operation"] == "coordinated_optimization":
        deduplicating = bool(info["deduplicating"])
        plan = CoordinatedOptimizationPlan(
            operation=MaintenanceOperation.COORDINATED_OPTIMIZATION,
            dedup_key_columns=tuple(info["key_columns"]) if deduplicating else None,
            dedup_order_by=order or None, optimization_groups=groups, **common)
    elif info["operation"] == "ordered_compaction":
        plan = OrderedCompactionPlan(
            operation=MaintenanceOperation.ORDERED_COMPACTION,
            sort_keys=tuple(SortKey(*key) for key in info["sort_keys"]), ordered_groups=groups,
            sort_memory_budget_mb=budget_mb, sort_spill_directory=spill_directory, **common)
    elif info["operation"] == "compaction":
        skipped = tuple(CompactionSkip(group([i]).files[0], reason) for i, reason in info["skipped"])
        plan = CompactionPlan(operation=MaintenanceOperation.COMPACTION, compaction_groups=groups,
                              skipped_files=skipped, **common)
    else:
        plan = PartitionLocalDeduplicationPlan(
            operation=MaintenanceOperation.PARTITION_LOCAL_DEDUPLICATION,
            dedup_key_columns=tuple(info["key_columns"]), dedup_order_by=order or None,
            dedup_groups=groups, **common)
    object.__setattr__(plan, "_native", native)
    return plan


def plan_parquet_compaction(filesystem, path: str, *, target_mb_per_file: float | None = None,
                            target_rows_per_file: int | None = None,
                            partition_filter: list[str] | str | None = None,
                            compression: str | None = None,
                            memory_budget_mb: float | None = None, single_writer: bool = False,
                            durable: bool = False) -> CompactionPlan:
    """Plans a compaction of the Parquet dataset at ``path`` (see
    ``fs.compact_parquet_dataset``); reads listings and footers, writes nothing."""
    capsule, resolved = resolve(filesystem, path)
    native = _core.plan_compaction(resolved, capsule, target_mb_per_file, target_rows_per_file,
                                   _filter(partition_filter), compression, memory_budget_mb,
                                   single_writer, durable)
    return _plan(native, _protocol(filesystem))


def plan_parquet_partition_local_deduplication(
        filesystem, path: str, *, key_columns: list[str] | str | None = None,
        dedup_order_by: list[str] | str | None = None, target_mb_per_file: float | None = None,
        target_rows_per_file: int | None = None, partition_filter: list[str] | str | None = None,
        compression: str | None = None, memory_budget_mb: float | None = None,
        single_writer: bool = False, durable: bool = False) -> PartitionLocalDeduplicationPlan:
    """Plans a deduplication inside each partition folder (see
    ``fs.deduplicate_parquet_dataset``); reads listings and footers, writes nothing."""
    capsule, resolved = resolve(filesystem, path)
    native = _core.plan_deduplication(
        resolved, capsule, _columns(key_columns, "key_columns"),
        _columns(dedup_order_by, "dedup_order_by") or [], target_mb_per_file,
        target_rows_per_file, _filter(partition_filter), compression, memory_budget_mb,
        single_writer, durable)
    return _plan(native, _protocol(filesystem))


def _sort_keys(sort_keys) -> list:
    """SortKey items as (column, descending, nulls_first); strings as they are (C++
    reads their sigils); a bare string is one key."""
    if isinstance(sort_keys, (str, SortKey)):
        sort_keys = [sort_keys]
    if sort_keys is None:
        sort_keys = []
    items = []
    for key in sort_keys:
        if isinstance(key, SortKey):
            items.append((str(key.column), bool(key.descending), bool(key.nulls_first)))
        elif isinstance(key, str):
            items.append(key)
        else:
            raise ValueError(f"sort_keys items must be SortKey instances or non-empty strings; "
                             f"got {key!r}")
    return items


def plan_parquet_ordered_compaction(
        filesystem, path: str, *, sort_keys, target_mb_per_file: float | None = None,
        target_rows_per_file: int | None = None, partition_filter: list[str] | str | None = None,
        compression: str | None = None, memory_budget_mb: float | None = None,
        spill_directory: str | None = None, single_writer: bool = False,
        durable: bool = False) -> OrderedCompactionPlan:
    """Plans sorting each partition folder's rows (see
    ``fs.ordered_compact_parquet_dataset``); reads listings and footers, writes nothing.
    ``spill_directory`` is accepted for the original's signature: runs always spill to
    the dataset's own staging folder (removed afterwards), so every filesystem can."""
    capsule, resolved = resolve(filesystem, path)
    native = _core.plan_ordered_compaction(
        resolved, capsule, _sort_keys(sort_keys), target_mb_per_file, target_rows_per_file,
        _filter(partition_filter), compression, memory_budget_mb, single_writer, durable)
    return _plan(native, _protocol(filesystem), spill_directory=spill_directory)


def plan_parquet_optimization(
        filesystem, path: str, *, deduplicate_key_columns: list[str] | str | None = None,
        dedup_order_by: list[str] | str | None = None, target_mb_per_file: float | None = None,
        target_rows_per_file: int | None = None, partition_filter: list[str] | str | None = None,
        compression: str | None = None, memory_budget_mb: float | None = None,
        single_writer: bool = False, durable: bool = False) -> CoordinatedOptimizationPlan:
    """Plans an optimization (see ``fs.optimize_parquet_dataset``); writes nothing."""
    capsule, resolved = resolve(filesystem, path)
    native = _core.plan_optimization(
        resolved, capsule, _columns(deduplicate_key_columns, "deduplicate_key_columns"),
        _columns(dedup_order_by, "dedup_order_by") or [], target_mb_per_file,
        target_rows_per_file, _filter(partition_filter), compression, memory_budget_mb,
        single_writer, durable)
    return _plan(native, _protocol(filesystem))


def plan_parquet_repartition(
        filesystem, path: str, *, partition_columns: list[str] | str,
        target_mb_per_file: float | None = None, target_rows_per_file: int | None = None,
        compression: str | None = None, derived_partition_columns: dict | None = None,
        partition_timezone: str = "UTC", memory_budget_mb: float | None = None,
        single_writer: bool = False, durable: bool = False) -> RepartitionPlan:
    """Plans a repartition (see ``fs.repartition_parquet_dataset``); writes nothing."""
    capsule, resolved = resolve(filesystem, path)
    native = _core.plan_repartition(
        resolved, capsule, _columns(partition_columns, "partition_columns") or [],
        _derived(derived_partition_columns), _timezone(partition_timezone), target_mb_per_file, target_rows_per_file, compression, memory_budget_mb,
        single_writer, durable)
    return _plan(native, _protocol(filesystem))


def plan_parquet_global_repartition_deduplication(
        filesystem, path: str, *, partition_columns: list[str] | str,
        key_columns: list[str] | str | None = None, dedup_order_by: list[str] | str | None = None,
        target_mb_per_file: float | None = None, target_rows_per_file: int | None = None,
        compression: str | None = None, derived_partition_columns: dict | None = None,
        partition_timezone: str = "UTC", memory_budget_mb: float | None = None,
        single_writer: bool = False, durable: bool = False) -> GlobalRepartitionDeduplicationPlan:
    """Plans a deduplication over the whole dataset written into new hive folders (see
    ``fs.deduplicate_and_repartition_parquet_dataset``); writes nothing."""
    capsule, resolved = resolve(filesystem, path)
    native = _core.plan_deduplicate_repartition(
        resolved, capsule, _columns(partition_columns, "partition_columns") or [],
        _derived(derived_partition_columns), _timezone(partition_timezone),
        _columns(key_columns, "key_columns"), _columns(dedup_order_by, "dedup_order_by") or [],
        target_mb_per_file, target_rows_per_file, compression, memory_budget_mb, single_writer,
        durable)
    return _plan(native, _protocol(filesystem))


def plan_parquet_schema_rewrite(
        filesystem, path: str, *, target_schema: pa.Schema,
        cast_policy: CastPolicy | str = CastPolicy.SAFE, target_mb_per_file: float | None = None,
        target_rows_per_file: int | None = None, partition_filter: list[str] | str | None = None,
        compression: str | None = None, memory_budget_mb: float | None = None,
        single_writer: bool = False, durable: bool = False) -> SchemaRewritePlan:
    """Plans rewriting the dataset in ``target_schema`` (see
    ``fs.schema_rewrite_parquet_dataset``); writes nothing."""
    if not isinstance(target_schema, pa.Schema):
        raise ValueError("target_schema must be a pyarrow.Schema")
    policy = cast_policy.value if isinstance(cast_policy, CastPolicy) else str(cast_policy)
    capsule, resolved = resolve(filesystem, path)
    native = _core.plan_schema_rewrite(
        resolved, capsule, target_schema, policy, target_mb_per_file, target_rows_per_file,
        _filter(partition_filter), compression, memory_budget_mb, single_writer, durable)
    return _plan(native, _protocol(filesystem))


def execute_maintenance_plan(filesystem, plan: MaintenancePlan, *, progress_callback=None,
                             executor="local") -> MaintenanceResult:
    """Executes ``plan`` on the dataset it was made for. Refused (``succeeded=False``,
    the dataset unchanged) when the dataset changed since the plan; other failures are
    reported the same way, as the original reports them.

    ``executor``: "local" (threads of this process), "ray" (one Ray task per group, the
    lock, drift checks and commit in this process), or an executor object such as
    ``fsspeckit.distributed.RayExecutor(address=...)``."""
    native = getattr(plan, "_native", None)
    if native is None:
        raise TypeError(f"plan must come from a plan_parquet_* method or "
                        f"MaintenancePlan.from_dict/from_json, got {type(plan).__name__}")
    runner = resolve_executor(executor, "maintain")
    if progress_callback is not None and not callable(progress_callback):
        raise TypeError("progress_callback must be callable or None")
    if runner is None:
        capsule, _ = resolve(filesystem, plan.source_snapshot.dataset_path)
        raw = _core.execute_maintenance(native, capsule, progress_callback, gc.collect)
        raw["metrics"]["executor"] = "local"
    else:
        raw = runner.maintain(native, filesystem, progress_callback)
    return _result(plan, raw)


def _result(plan: MaintenancePlan, raw: dict) -> MaintenanceResult:
    phases = tuple(PhaseOutcome(name, ok, error) for name, ok, error, _seconds in raw["phases"])
    ran = len(phases) > 1
    validation = None
    if raw["validated"] is not None:
        validation = ValidationOutcome(raw["validated"], raw["staged_rows"], raw["expected_rows"],
                                       None if raw["validated"] else raw["error"])
    publication = None
    if any(p.phase == "publish" for p in phases):
        publication = PublicationOutcome(
            succeeded=raw["committed"], published_files=tuple(p for p, _, _ in raw["published"]),
            removed_source_files=tuple(raw["removed"]),
            error=None if raw["succeeded"] else raw["error"])
    published_rows = sum(n for _, n, _ in raw["published"])
    published_bytes = sum(b for _, _, b in raw["published"])
    extra = {}
    kind = MaintenanceResult
    if plan.operation is MaintenanceOperation.ORDERED_COMPACTION:
        kind = OrderedCompactionResult
    elif plan.operation is MaintenanceOperation.REPARTITION:
        kind = RepartitionResult
    elif plan.operation is MaintenanceOperation.SCHEMA_REWRITE:
        kind = SchemaRewriteResult
    elif plan.operation is MaintenanceOperation.COORDINATED_OPTIMIZATION:
        kind = CoordinatedOptimizationResult
        deduplicated = plan.dedup_key_columns is not None
        extra = dict(dedup_phase_executed=deduplicated,
                     dedup_rows_removed=(raw["rows_before"] - raw["rows_after"]) if deduplicated
                     else None)
    result = kind(**extra,
        plan=plan, succeeded=raw["succeeded"], guarantee_level=plan.guarantee_level,
        phase_outcomes=phases, validation=validation, publication=publication,
        recovery=RecoveryArtifacts() if ran else None,
        actual_metrics=ActualMetrics(published_rows, len(raw["published"]), published_bytes),
        error=raw["error"], files_before=raw["files_before"], files_after=raw["files_after"],
        bytes_before=raw["bytes_before"], bytes_after=raw["bytes_after"],
        rows_before=raw["rows_before"], rows_after=raw["rows_after"],
        row_groups_copied=raw["row_groups_copied"], row_groups_encoded=raw["row_groups_encoded"],
        metrics=raw["metrics"])
    object.__setattr__(result, "_report", raw["_report"])
    return result
