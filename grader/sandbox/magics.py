"""Neutralise IPython-only syntax so a notebook's cells run as plain Python.

Shell escapes (`!pip install x`), line magics (`%matplotlib inline`), help queries (`obj?`)
and captures (`files = !ls`) become no-ops with the same line numbers, so tracebacks still point
at the student's lines. Cell magics that wrap Python (`%%time`) keep their body; the others
(`%%bash`, `%%writefile`, …) make the whole cell a no-op. Every change is reported back so the
feedback can say what did not run.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

# Cell magics whose body is ordinary Python: only the magic line is dropped.
PYTHON_CELL_MAGICS = frozenset({"time", "timeit", "capture", "prun", "debug", "pypy", "python", "python3"})

_CAPTURE = re.compile(r"^(\s*)([A-Za-z_][\w.]*(?:\s*,\s*[A-Za-z_][\w.]*)*)\s*=\s*[!%]")
_HELP = re.compile(r"^\s*(\?\??[\w.]+|[\w.]+\?\??)\s*$")


@dataclass(frozen=True)
class Neutralised:
    line: int  # 1-based line in the cell
    text: str


@dataclass(frozen=True)
class CleanCell:
    source: str
    neutralised: tuple[Neutralised, ...]
    skipped: bool  # the whole cell was a non-Python cell magic


def _is_python(source: str) -> bool:
    try:
        ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def neutralise(source: str) -> CleanCell:
    """Rewrite one code cell; plain Python (the common case) is returned untouched."""
    if "%" not in source and "!" not in source and "?" not in source or _is_python(source):
        return CleanCell(source, (), False)
    lines = source.split("\n")
    first = lines[0].strip() if lines else ""
    if first.startswith("%%"):
        name = first[2:].split(None, 1)[0] if len(first) > 2 else ""
        note = (Neutralised(1, lines[0].strip()[:200]),)
        if name in PYTHON_CELL_MAGICS:
            return CleanCell("\n".join(["pass"] + lines[1:]), note, False)
        return CleanCell("", note, True)

    out: list[str] = []
    notes: list[Neutralised] = []
    continued = False
    for number, line in enumerate(lines, start=1):
        stripped = line.lstrip()
        indent = line[: len(line) - len(stripped)]
        if continued:
            # Continuation lines of a neutralised magic (trailing backslash) vanish with it.
            continued = line.rstrip().endswith("\\")
            out.append("")
            continue
        capture = _CAPTURE.match(line)
        if stripped.startswith(("!", "%")) and not stripped.startswith("!="):
            out.append(indent + "pass")
        elif capture:
            names = [n.strip() for n in capture.group(2).split(",")]
            out.append(capture.group(1) + ", ".join(names) + " = " + ", ".join("[]" for _ in names))
        elif _HELP.match(line) and not stripped.startswith("#"):
            out.append(indent + "pass")
        else:
            out.append(line)
            continue
        notes.append(Neutralised(number, stripped[:200]))
        continued = line.rstrip().endswith("\\")
    return CleanCell("\n".join(out), tuple(notes), False)
