"""Who a notebook belongs to: the one record intake produces and grading consumes."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .untrusted import name_text


@dataclass(frozen=True)
class Submission:
    """One notebook to grade and whom it belongs to."""

    student: str
    path: Path
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def file(self) -> str:
        """The path as text for results and reports (bytes that are not UTF-8 written `%XX`)."""
        return name_text(self.path)
