"""Resource limits for one execution of a student's notebook."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any


@dataclass(frozen=True)
class Limits:
    """Budgets for one child. Times in seconds, sizes in bytes.

    `cell_seconds` and `probe_seconds` are soft budgets enforced inside the child (a timeout
    exception) and hard ones in the worker (a kill `grace_seconds` later). `notebook_seconds`
    bounds the whole run, cells and probes together; `cpu_seconds` is the kernel's RLIMIT_CPU.
    """

    cell_seconds: float = 15.0
    probe_seconds: float = 5.0
    notebook_seconds: float = 60.0
    grace_seconds: float = 1.5
    cpu_seconds: int = 90
    memory_bytes: int = 2 * 1024**3
    processes: int = 32
    file_bytes: int = 32 * 1024**2
    open_files: int = 256
    output_bytes: int = 64 * 1024
    result_bytes: int = 96 * 1024**2
    tmpfs_bytes: int = 64 * 1024**2

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Limits:
        known = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        return cls(**known)

    def scaled(self, **changes: Any) -> Limits:
        return replace(self, **changes)
