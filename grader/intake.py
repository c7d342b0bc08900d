"""Finding the submissions to grade and whom each belongs to.

A folder is searched recursively for `.ipynb` files (checkpoints and hidden folders skipped).
Identity is the file's stem; when two files share a stem, each is named by its path relative to
the folder instead, so no student's grade can overwrite another's.

An LMS bulk download (a Moodle or Canvas zip, or the folder it unzips to) is recognised by its
file names, and a roster CSV can name the students instead: see `grader.lms.intake`. A zip is
extracted safely into the output folder (`<out>/submissions/<zip name>/`) first.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .errors import InputError
from .submission import Submission

# Keys of Submission.meta that intake owns: refreshed whole on every run.
INTAKE_KEYS = ("lms", "roster", "intake", "identity", "duplicate_stem")


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


def is_zip(path: Path) -> bool:
    return path.is_file() and path.suffix.lower() == ".zip"


def unpack(path: Path, workdir: Path | None) -> Path:
    """Where the notebooks of `path` are: the path itself, or the folder its zip was extracted to."""
    if not is_zip(path):
        return path
    from .lms.archive import extract_notebooks

    if workdir is None:
        raise InputError("a zip needs an output folder to be extracted into", path)
    import zipfile

    if not zipfile.is_zipfile(path):
        raise InputError("not a readable zip file", path)
    slug = re.sub(r"[^\w.-]+", "_", path.stem).strip("._") or "download"
    return extract_notebooks(path, workdir / "submissions" / slug)


def intake(path: Path, workdir: Path | None = None, roster: Path | None = None,
           log: Callable[[str], Any] | None = None) -> list[Submission]:
    """The submissions under `path` (a folder, a notebook, or an LMS zip extracted into `workdir`)."""
    root = unpack(path, workdir)
    paths = find_notebooks(root)
    if not paths:
        raise InputError("no notebooks (.ipynb) found here", path)
    from .lms.intake import identify_lms
    from .lms.roster import read_roster

    named = identify_lms(paths, root, read_roster(roster) if roster is not None else None, identify)
    if named is None:
        return identify(paths, root)
    subs, notes = named
    for note in notes:
        if log is not None:
            log(note)
    return subs


def refresh_meta(stored: dict[str, Any], current: dict[str, Any]) -> dict[str, Any]:
    """A stored result's meta with this run's identity (intake's keys replaced, the rest kept)."""
    return {**{k: v for k, v in stored.items() if k not in INTAKE_KEYS}, **current}
