"""Merge result types (the original's ``fsspeckit.core.incremental``)."""

from __future__ import annotations

from dataclasses import dataclass
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
