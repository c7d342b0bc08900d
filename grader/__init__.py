"""grader: grade neural-network coursework notebooks safely, fast, with actionable feedback.

Inside a released notebook, `grader.check("sigmoid")` runs one task's public tests against the
functions live in the kernel, `grader.check()` (or `grader.check_all()`) every task's. Nothing
heavy is imported until then.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"


def check(task: str | None = None, **options: Any) -> Any:
    """The public tests of `task` (every task when None) against what this kernel holds now; shown
    as rich output. Options: see `grader.live.check`."""
    from .live import check as run

    return run(task, **options)


def check_all(**options: Any) -> Any:
    """Every task's public tests: the same as `check()`."""
    from .live import check as run

    return run(None, **options)
