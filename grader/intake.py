"""Finding the submissions to grade and whom each belongs to.

A folder is searched recursively for `.ipynb` files (checkpoints and hidden folders skipped).
Identity is the file's stem; when two files share a stem, each is named by its path relative to
the folder instead, so no student's grade can overwrite another's.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from .errors import InputError
from .grading import Submission


def find_notebooks(path: Path) -> list[Path]:
    if not path.exists():
        raise InputError("no such file or folder", path)
    if path.is_file():
        if path.suffix != ".ipynb":
            raise InputError("not a notebook (expected a .ipynb file or a folder of them)", path)
        return [path]
    found = []
    for candidate in sorted(path.rglob("*.ipynb")):
        parts = candidate.relative_to(path).parts
        if any(p.startswith(".") or p == "__MACOSX" for p in parts[:-1]) or candidate.name.startswith("."):
            continue
        if candidate.is_file():
            found.append(candidate)
    return found


def identify(paths: list[Path], root: Path) -> list[Submission]:
    base = root if root.is_dir() else root.parent
    stems = Counter(p.stem for p in paths)
    subs = []
    for p in paths:
        if stems[p.stem] > 1:
            student = p.relative_to(base).with_suffix("").as_posix()
            subs.append(Submission(student, p, {"identity": "path", "duplicate_stem": p.stem}))
        else:
            subs.append(Submission(p.stem, p))
    return subs


def intake(path: Path) -> list[Submission]:
    paths = find_notebooks(path)
    if not paths:
        raise InputError("no notebooks (.ipynb) found here", path)
    return identify(paths, path)
