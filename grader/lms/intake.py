"""Naming the students of an LMS download (or of any folder, given a roster), one notebook each.

Identity, in order: the roster row matching the file's LMS id or its name; the LMS file name
(Moodle anywhere in the path; Canvas only when every file outside Moodle's folders and not
named in the roster's `file` column has a Canvas name, so that a plain `ana_2024_01_hw.ipynb`
is never mistaken for one); else the plain rule
of `grader.intake` (the file's stem). When several notebooks belong to one student, the newest
is graded: by Canvas attachment id (Canvas numbers uploads in order), then by file time (zip
entry time for a zip), then by path; the choice goes into the result's `meta["intake"]` and the
log.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..i18n import Text
from ..submission import Submission
from ..untrusted import name_text
from .names import CanvasName, LmsName, MoodleName, parse_canvas, parse_moodle
from .roster import Entry, Roster


@dataclass
class Found:
    path: Path
    relative: str
    mtime: float
    lms: LmsName | None = None
    entry: Entry | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def age(self) -> tuple[int, float, str]:
        attachment = int(self.lms.attachment_id) if isinstance(self.lms, CanvasName) else -1
        return attachment, self.mtime, self.relative


def lms_ids(lms: LmsName | None) -> list[str]:
    if isinstance(lms, MoodleName):
        return [lms.participant]
    if isinstance(lms, CanvasName):
        return [i for i in (lms.user_id, lms.anonymous_id) if i]
    return []


def recognise(paths: list[Path], base: Path, roster: Roster | None) -> list[Found]:
    found = []
    for path in paths:
        relative = name_text(path.relative_to(base).as_posix())
        found.append(Found(path, relative, os.stat(path).st_mtime, parse_moodle(relative)))
    others = [f for f in found if f.lms is None and not (roster and roster.rows_for(f.relative))]
    canvas = [parse_canvas(name_text(f.path.name)) for f in others]
    if others and all(canvas):
        for f, name in zip(others, canvas):
            f.lms = name
    return found


def match_roster(found: list[Found], roster: Roster) -> list[Text]:
    """Give each file its roster row: by LMS id first, then by the row's `file`.

    A `file` names one notebook. When it fits several (one name in several folders, a stem that
    several files share), when a file fits several rows, or when the row already has its
    student's files by LMS id, the match by name is refused: those files keep their own names,
    and the ambiguity is returned for the instructor to see. A file a student placed beside
    another's can thus never take that student's row."""
    rest = []
    for f in found:
        f.entry = next((e for e in (roster.by_lms_id(i) for i in lms_ids(f.lms)) if e), None)
        if f.entry is None:
            rest.append(f)
    by_lms_id = {f.entry for f in found if f.entry is not None}
    rows: dict[Entry, list[Found]] = defaultdict(list)
    for f in rest:
        for entry in roster.rows_for(f.relative):
            rows[entry].append(f)
    by_file: dict[str, list[Entry]] = defaultdict(list)
    for entry, files in rows.items():
        for f in files:
            by_file[f.relative].append(entry)
    problems = []
    for entry, files in rows.items():
        names = ", ".join(sorted(f.relative for f in files))
        if entry in by_lms_id:
            problems.append(Text(f"roster: {names} fits the file of {entry.student}'s row, whose notebook is known "
                                 "by its LMS id; graded under its own name",
                                 f"lista: {names} corresponde al archivo de la fila de {entry.student}, cuyo "
                                 "cuaderno se conoce por su id del LMS; se corrige con su propio nombre"))
        elif len(files) > 1:
            problems.append(Text(f"roster: the row of {entry.student} (file {entry.file!r}) fits {len(files)} "
                                 f"notebooks ({names}); none is taken as theirs, each is graded under its own name",
                                 f"lista: la fila de {entry.student} (archivo {entry.file!r}) corresponde a "
                                 f"{len(files)} cuadernos ({names}); ninguno se toma como suyo, cada uno se corrige "
                                 "con su propio nombre"))
    for relative, entries in by_file.items():
        if len(entries) > 1:
            names = ", ".join(e.student for e in entries)
            problems.append(Text(f"roster: {relative} fits the rows of {names}; it is graded under its own name",
                                 f"lista: {relative} corresponde a las filas de {names}; se corrige con su propio "
                                 "nombre"))
    for entry, files in rows.items():
        if len(files) == 1 and len(by_file[files[0].relative]) == 1 and entry not in by_lms_id:
            files[0].entry = entry
    return problems


def identify_lms(paths: list[Path], root: Path, roster: Roster | None, plain: Any,
                 notice: Callable[[Text], Any] | None = None) -> tuple[list[Submission], list[str]] | None:
    """Submissions named by LMS file names and the roster, or None when neither applies.

    `plain(paths, root)` names the files that neither names (the folder rule of grader.intake);
    what the instructor must see (ambiguous roster rows) goes to `notice` as well as the notes.
    """
    base = root if root.is_dir() else root.parent
    found = recognise(paths, base, roster)
    if roster is None and not any(f.lms for f in found):
        return None
    notes: list[str] = []
    if roster is not None:
        for problem in match_roster(found, roster):
            notes.append(problem.en)
            if notice is not None:
                notice(problem)
    keyed: dict[str, list[Found]] = defaultdict(list)
    rest: list[Found] = []
    for f in found:
        if f.lms is not None:
            f.meta["lms"] = f.lms.meta()
        if roster is not None and f.entry is None:
            notes.append(f"roster: no row for {f.relative}; named from its file name")
        if f.entry is not None:
            f.meta["roster"] = f.entry.meta()
            keyed[f.entry.student].append(f)
        elif f.lms is not None:
            keyed[f.lms.key].append(f)
        else:
            rest.append(f)

    chosen: list[tuple[Found, str]] = []
    for student, group in keyed.items():
        group.sort(key=lambda f: f.age)
        kept = group[-1]
        if len(group) > 1:
            ignored = [f.relative for f in group[:-1]]
            kept.meta["intake"] = {"kept": kept.relative, "ignored": ignored, "rule": "newest"}
            notes.append(f"{student}: {len(group)} notebooks; graded the newest, {kept.relative}; "
                         f"ignored {', '.join(ignored)}")
        chosen.append((kept, student))
    if roster is not None:
        missing = [e.student for e in roster.entries if e.student not in keyed]
        if missing:
            notes.append(f"roster: no submission for {', '.join(missing)}")

    subs = [Submission(student, f.path, f.meta) for f, student in chosen]
    taken = set(keyed)
    for sub in plain([f.path for f in rest], root) if rest else []:
        if sub.student in taken:  # a plain stem equal to an LMS name: told apart by its path
            student = name_text(sub.path.relative_to(base).with_suffix("").as_posix())
            sub = Submission(student, sub.path, {**sub.meta, "identity": "path"})
        subs.append(sub)
    subs.sort(key=lambda s: str(s.path))
    return subs, notes
