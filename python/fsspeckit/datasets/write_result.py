"""Results of dataset writes (the original's ``fsspeckit.datasets.write_result``)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal


@dataclass
class FileWriteMetadata:
    path: str
    row_count: int
    size_bytes: int | None = None
    metadata: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self):
        if self.row_count < 0:
            raise ValueError("row_count must be >= 0")
        if self.size_bytes is not None and self.size_bytes < 0:
            raise ValueError("size_bytes must be >= 0")


@dataclass
class WriteDatasetResult:
    files: list[FileWriteMetadata]
    total_rows: int
    mode: Literal["append", "overwrite"]
    backend: Literal["pyarrow", "duckdb"] = "pyarrow"

    def __post_init__(self):
        if self.total_rows < 0:
            raise ValueError("total_rows must be >= 0")
        if self.mode not in ("append", "overwrite"):
            raise ValueError(f"mode must be 'append' or 'overwrite', got: {self.mode}")
        if self.backend not in ("pyarrow", "duckdb"):
            raise ValueError(f"backend must be 'pyarrow' or 'duckdb', got: {self.backend}")
        rows = sum(f.row_count for f in self.files)
        if rows != self.total_rows:
            raise ValueError(
                f"Sum of file row counts ({rows}) does not match total_rows ({self.total_rows})")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
