"""A roster CSV: who each submission belongs to, when file names do not say it well enough.

Columns (header names case-insensitive, in any order; other columns are ignored):

- `student` (required): the id the grader uses for this student (reports, gradebook, exports);
- `file`: the submission's file name, its stem, or its path below the download's root;
- `lms_id`: the student's id in the LMS: Moodle's participant number (the N of "Participant N"),
  Canvas's user id, or Canvas's anonymous id (`anon_Xk29q` or `Xk29q`);
- `name`, `email`, `sis_login_id`, `section`: copied into the results; the Canvas export uses
  `name`, `sis_login_id` and `section` for its `Student`, `SIS Login ID` and `Section` columns.

Each row needs `student` and at least one of `file` and `lms_id`. The file is UTF-8 (a BOM is
fine), comma- or semicolon-separated.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import InputError

COLUMNS = ("student", "file", "lms_id", "name", "email", "sis_login_id", "section")


@dataclass(frozen=True)
class Entry:
    student: str
    file: str = ""
    lms_id: str = ""
    name: str = ""
    email: str = ""
    sis_login_id: str = ""
    section: str = ""

    def meta(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v}


@dataclass(frozen=True)
class Roster:
    entries: tuple[Entry, ...]
    path: Path | None = None

    def by_lms_id(self, ident: str) -> Entry | None:
        wanted = ident.removeprefix("anon_")
        return next((e for e in self.entries if e.lms_id and e.lms_id.removeprefix("anon_") == wanted), None)

    def rows_for(self, relative: str) -> list[Entry]:
        """The rows whose `file` fits the file at `relative`: its path, its name or its stem."""
        path = Path(relative)
        candidates = {relative, path.with_suffix("").as_posix(), path.name, path.stem}
        return [e for e in self.entries if e.file and e.file.strip("/") in candidates]


def read_roster(path: Path) -> Roster:
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise InputError("no such file", path) from None
    except UnicodeDecodeError:
        raise InputError("a roster must be UTF-8 text", path) from None
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header = [h.strip().lower() for h in next(reader, [])]
    if "student" not in header or not ({"file", "lms_id"} & set(header)):
        raise InputError("a roster needs a 'student' column and a 'file' or 'lms_id' column", path)
    index = {name: header.index(name) for name in COLUMNS if name in header}
    entries, seen = [], set()
    for line, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue
        values = {name: (row[i].strip() if i < len(row) else "") for name, i in index.items()}
        if not values.get("student"):
            raise InputError(f"line {line}: no student", path)
        if not values.get("file") and not values.get("lms_id"):
            raise InputError(f"line {line}: neither a file nor an lms_id for {values['student']!r}", path)
        if values["student"] in seen:
            raise InputError(f"line {line}: student {values['student']!r} appears twice", path)
        seen.add(values["student"])
        entries.append(Entry(**values))
    return Roster(tuple(entries), path)
