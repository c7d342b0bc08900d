"""What a probe does with the student's namespace: call a function, read a variable, or run a
trusted script against it. Shared by the sandbox's child and the check inside a notebook, so a
probe means the same in both."""

from __future__ import annotations

import builtins
import os
import random
import sys
from typing import Any

from . import codec


def call_probe(kind: str, name: str, source: str | None, namespace: dict[str, Any], args: Any,
               kwargs: Any) -> tuple[str, Any]:
    """(status, value): "ok", "missing" (no such name) or "not_callable" (with the value's type)."""
    if kind == "script":
        scope: dict[str, Any] = {"__builtins__": builtins, "__name__": "probe"}
        for module in ("numpy", "torch"):
            if module in sys.modules:
                scope["np" if module == "numpy" else module] = sys.modules[module]
        exec(compile(source or "", "<probe>", "exec", dont_inherit=True), scope)
        return "ok", scope["probe"](namespace, *args, **kwargs)
    if name not in namespace:
        return "missing", None
    target = namespace[name]
    if kind == "variable":
        sympy = sys.modules.get("sympy")
        if sympy is not None and isinstance(target, sympy.Basic):
            return "ok", {"sympy": str(target)}
        return "ok", target
    if not callable(target):
        return "not_callable", {"$type": codec._safe_type_name(target)}
    return "ok", target(*args, **kwargs)


def seed_everything(seed: int) -> None:
    """Python's, numpy's and torch's generators, seeded as a notebook is graded."""
    random.seed(seed)
    numpy = sys.modules.get("numpy")
    if numpy is not None:
        numpy.random.seed(seed % 2**32)
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.manual_seed(seed)


def read_printed(fd: int, limit: int) -> str:
    """What a probe printed into the memory file `fd` (its stdout while it ran), the first `limit`
    bytes as text; "" when there is no such file."""
    if fd < 0:
        return ""
    try:
        sys.stdout.flush()
    except BaseException:  # the student's code may have replaced or broken sys.stdout
        pass
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        data = os.read(fd, limit)
    except OSError:
        data = b""
    return data.decode("utf-8", "replace")
