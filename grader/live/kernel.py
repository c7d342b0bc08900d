"""What `grader.check()` learns from the kernel it runs in: the student's namespace, the code the
kernel ran, and the notebook's file when a front-end says where it is.

Jupyter (through `JPY_SESSION_NAME`, also bound as `__session__`) and VS Code (`__vsc_ipynb_file__`)
tell the kernel its notebook's path; Colab does not, and none of them saves before a check: the
file is only ever read for what the kernel cannot hold (markdown answers), never for code.
"""

from __future__ import annotations

import inspect
import os
import sys
import types
from pathlib import Path
from typing import Any

from ..notebook import StudentNotebook


def running_shell() -> Any:
    """The running IPython shell, or None (a plain console, or IPython not imported)."""
    module = sys.modules.get("IPython")
    if module is None:
        return None
    try:
        return module.get_ipython()
    except Exception:
        return None


def namespace() -> dict[str, Any]:
    """The student's globals: IPython's user namespace, or `__main__`'s in a plain Python console."""
    shell = running_shell()
    user_ns = getattr(shell, "user_ns", None)
    if isinstance(user_ns, dict):
        return user_ns
    return vars(sys.modules["__main__"])


def executed_sources(ns: dict[str, Any]) -> list[str]:
    """The cells the kernel ran, in the order it ran them (IPython's input history, as Python)."""
    history = ns.get("In", ns.get("_ih"))
    if isinstance(history, list):
        return [s for s in history if isinstance(s, str) and s.strip()]
    return []


def target_sources(ns: dict[str, Any], names: list[str]) -> list[str]:
    """Where there is no input history (a plain console), the source of each target function that
    Python can still find."""
    found = []
    for name in names:
        value = ns.get(name)
        if isinstance(value, (types.FunctionType, type)):
            try:
                found.append(inspect.getsource(value))
            except (OSError, TypeError):
                continue
    return found


def notebook_path(ns: dict[str, Any], given: str | os.PathLike[str] | None = None) -> Path | None:
    """The notebook's file, when the caller or the front-end names one that exists."""
    candidates = [given] if given is not None else \
        [ns.get("__vsc_ipynb_file__"), ns.get("__session__"), os.environ.get("JPY_SESSION_NAME")]
    for candidate in candidates:
        if not isinstance(candidate, (str, os.PathLike)) or not str(candidate):
            continue
        path = Path(candidate).expanduser()
        if path.suffix == ".ipynb" and path.is_file():
            return path
    return None


def no_notebook() -> StudentNotebook:
    return StudentNotebook(Path("<kernel>"), (), None, "", {})
