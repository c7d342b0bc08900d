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
from .i18n import Text
from .submission import Submission
from .untrusted import cap_bytes, digest, name_text

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
    stems = Counter(name_text(p.stem) for p in paths)
    subs = []
    for p in paths:
        stem = name_text(p.stem)
        if stems[stem] > 1:
            student = name_text(p.relative_to(base).with_suffix("").as_posix())
            subs.append(Submission(student, p, {"identity": "path", "duplicate_stem": stem}))
        else:
            subs.append(Submission(stem, p))
    return distinct(subs)


def distinct(subs: list[Submission]) -> list[Submission]:
    """The submissions with ids that differ: names that differ only in bytes that are not UTF-8
    (written `%XX`) or in a literal `%XX` can meet as text; each is then told apart by a digest of
    its path, so that no student's grade can overwrite another's."""
    counts = Counter(s.student for s in subs)
    if all(n == 1 for n in counts.values()):
        return subs
    return [Submission(f"{s.student}~{digest(str(s.path))}", s.path, {**s.meta, "identity": "path"})
            if counts[s.student] > 1 else s for s in subs]


def is_zip(path: Path) -> bool:
    return path.is_file() and path.suffix.lower() == ".zip"


def unpack(path: Path, workdir: Path | None, notice: Callable[[Text], Any] | None = None) -> Path:
    """Where the notebooks of `path` are: the path itself, or the folder its zip was extracted to.
    Members of a zip refused one by one are told to `notice`."""
    if not is_zip(path):
        return path
    from .lms.archive import Refused, extract_notebooks

    if workdir is None:
        raise InputError("a zip needs an output folder to be extracted into", path)
    import zipfile

    if not zipfile.is_zipfile(path):
        raise InputError("not a readable zip file", path)
    slug = cap_bytes(re.sub(r"[^\w.-]+", "_", path.stem).strip("._"), 100) or "download"
    refused: list[Refused] = []
    root = extract_notebooks(path, workdir / "submissions" / slug, refused=refused)
    for member in refused:
        if notice is not None:
            notice(Text(f"{name_text(path.name)}: member {member.name!r} was not extracted: {member.why}",
                        f"{name_text(path.name)}: el archivo {member.name!r} no se extrajo ({member.why})"))
    return root


def intake(path: Path, workdir: Path | None = None, roster: Path | None = None,
           log: Callable[[str], Any] | None = None, notice: Callable[[Text], Any] | None = None
           ) -> list[Submission]:
    """The submissions under `path` (a folder, a notebook, or an LMS zip extracted into `workdir`).

    `log` gets what the instructor may want to know (grader.log); `notice` what they must see:
    zip members refused and roster rows refused as ambiguous."""
    told: list[Text] = []

    def tell(problem: Text) -> None:
        told.append(problem)
        if notice is not None:
            notice(problem)

    root = unpack(path, workdir, tell)
    paths = find_notebooks(root)
    if not paths:
        refused = "".join(f"; {problem.en}" for problem in told[:5])
        raise InputError(f"no notebooks (.ipynb) found here{refused}", path)
    from .lms.intake import identify_lms
    from .lms.roster import read_roster

    named = identify_lms(paths, root, read_roster(roster) if roster is not None else None, identify, tell)
    if named is None:
        return identify(paths, root)
    subs, notes = named
    for note in notes:
        if log is not None:
            log(note)
    return distinct(subs)


def refresh_meta(stored: dict[str, Any], current: dict[str, Any]) -> dict[str, Any]:
    """A stored result's meta with this run's identity (intake's keys replaced, the rest kept)."""
    return {**{k: v for k, v in stored.items() if k not in INTAKE_KEYS}, **current}
