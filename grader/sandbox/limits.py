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

    def within(self, ceiling: Limits) -> Limits:
        """Each budget at most the ceiling's."""
        return Limits(**{name: min(getattr(self, name), getattr(ceiling, name)) for name in self.__dataclass_fields__})


# The most a checks file beside a student's notebook may ask for (it is the student's to edit).
CHECK_CEILING = Limits(cell_seconds=60.0, probe_seconds=30.0, notebook_seconds=300.0, grace_seconds=1.5,
                       cpu_seconds=360, memory_bytes=4 * 1024**3, processes=64, file_bytes=256 * 1024**2,
                       open_files=1024, output_bytes=1024**2, result_bytes=256 * 1024**2, tmpfs_bytes=1024**3)
