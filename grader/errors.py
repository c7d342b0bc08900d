"""One exception root for the grader's own faults and for bad input.

Student mistakes are data (they become failed tests); these exceptions are for problems the
instructor or student must fix before grading can happen: a missing file, an unknown exercise,
an unusable option. Each carries the exit code the CLI returns.
"""

from __future__ import annotations

from pathlib import Path


class GraderError(Exception):
    """Base of every error the CLI reports as one clear line."""

    exit_code = 2

    def __init__(self, message: str, path: Path | str | None = None) -> None:
        self.path = Path(path) if path is not None else None
        super().__init__(f"{self.path}: {message}" if self.path is not None else message)


class InputError(GraderError):
    """A file given to the grader cannot be used (not found, not a notebook, corrupt)."""


class ExerciseError(GraderError):
    """An exercise is unknown, or its definition is broken."""


class SandboxError(GraderError):
    """The sandbox itself could not run (not a student fault)."""

    exit_code = 3
