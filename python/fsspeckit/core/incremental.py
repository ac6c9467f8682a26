"""Merge result types (the original's ``fsspeckit.core.incremental``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal


@dataclass
class MergeFileMetadata:
    path: str
    row_count: int
    operation: Literal["rewritten", "inserted", "preserved"]
    size_bytes: int | None = None


@dataclass
class MergeResult:
    strategy: str
    source_count: int
    target_count_before: int
    target_count_after: int
    inserted: int
    updated: int
    deleted: int
    files: list[MergeFileMetadata]
    rewritten_files: list[str]
    inserted_files: list[str]
    preserved_files: list[str]
    metrics: dict[str, Any] | None = None
    #: Source keys found in more than one dataset file (each got the new row).
    keys_in_several_files: int = 0
    #: The files the merge removed: each rewritten file replaces one under a new name
    #: (an object is never overwritten in place), and small files it joined go too.
    removed_files: list[str] = field(default_factory=list)
    #: The C++ result the report is rendered from, set by merges. Not a field: it stays
    #: out of repr, comparisons and dataclasses.asdict().
    _report = None

    def write_report(self, path: str) -> None:
        """Writes a self-contained HTML report of this merge to the local file ``path``:
        memory over time against the budgets, phases, degradation steps, and the summary."""
        if self._report is None:
            raise ValueError("write_report() needs a MergeResult returned by a merge")
        self._report.write(str(path))

    def plot(self):
        """The merge's memory timeline as a matplotlib Figure (needs the ``plot`` extra:
        ``pip install 'fsspeckit[plot]'``)."""
        from fsspeckit.core.timeline_plot import plot_timeline

        if not self.metrics or "timeline" not in self.metrics:
            raise ValueError("plot() needs a MergeResult returned by a merge (no timeline)")
        return plot_timeline(self.metrics["timeline"], title=f"merge ({self.strategy})")
