"""Who a downloaded file belongs to, read from the names Moodle and Canvas give it.

Moodle ("Download all submissions"): a per-student prefix `Full Name_<participant>` followed by
the plugin, either as a folder (`Jane Doe_1734024_assignsubmission_file/hw3.ipynb`, with a
trailing `_` before Moodle 4.1) or flat (`Jane Doe_1734024_assignsubmission_file_hw3.ipynb`).
Moodle turns underscores in names into spaces, so the first two `_` separate the fields, as its
own feedback importer assumes. The participant number is the `Participant N` of the grading
worksheet.

Canvas ("Download Submissions"): `<name>[_LATE]_<user id>_<attachment id>_<file name>`, the name
lower-cased with every non-word character removed; anonymous grading writes
`[LATE_]anon_<anonymous id>_<attachment id>_<file name>`; old Canvas wrote `late`. Canvas strips
digit-only runs from names, so the first two all-digit fields are the user and attachment ids,
as its own re-upload assumes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

_MOODLE_PLUGIN = re.compile(r"^assign(submission|feedback)$")


@dataclass(frozen=True)
class MoodleName:
    name: str  # the full name, or "Participant" under blind marking
    participant: str  # the worksheet's "Participant N"
    plugin: str  # e.g. "assignsubmission_file"
    folder: str  # the component that carried the identity, as downloaded
    file: str  # the student's own file name and sub-path

    @property
    def key(self) -> str:
        return f"{self.name}_{self.participant}"

    def meta(self) -> dict[str, Any]:
        return {"platform": "moodle", "participant": self.participant, "name": self.name,
                "plugin": self.plugin, "folder": self.folder, "file": self.file}


@dataclass(frozen=True)
class CanvasName:
    name: str  # lower-cased sortable name ("doejane"); empty when anonymous
    user_id: str | None
    anonymous_id: str | None
    attachment_id: str
    late: bool
    file: str  # the file name the student uploaded

    @property
    def key(self) -> str:
        return f"anon_{self.anonymous_id}" if self.anonymous_id else f"{self.name}_{self.user_id}"

    def meta(self) -> dict[str, Any]:
        data: dict[str, Any] = {"platform": "canvas", "name": self.name, "attachment_id": self.attachment_id,
                                "late": self.late, "file": self.file}
        if self.user_id is not None:
            data["user_id"] = self.user_id
        if self.anonymous_id is not None:
            data["anonymous_id"] = self.anonymous_id
        return data


LmsName = MoodleName | CanvasName


def moodle_component(part: str) -> tuple[str, str, str, str] | None:
    """(name, participant, plugin, rest) when `part` is a Moodle per-student prefix."""
    fields = part.split("_", 4)
    if len(fields) < 4 or not fields[0].strip() or not _digits(fields[1]):
        return None
    if not (_MOODLE_PLUGIN.match(fields[2]) and re.fullmatch(r"[a-z0-9]+", fields[3])):
        return None
    return fields[0], fields[1], f"{fields[2]}_{fields[3]}", fields[4] if len(fields) == 5 else ""


def parse_moodle(relative: str) -> MoodleName | None:
    """Moodle's identity of a file at `relative` (a path below the download's root)."""
    parts = PurePosixPath(relative).parts
    for i, part in enumerate(parts):
        found = moodle_component(part)
        if found is None:
            continue
        name, participant, plugin, rest = found
        inner = [rest] if rest else []
        inner += list(parts[i + 1:])
        if not inner:
            return None
        return MoodleName(name, participant, plugin, part, "/".join(inner))
    return None


def _digits(token: str) -> bool:
    return token.isascii() and token.isdigit()


_ANONYMOUS = re.compile(r"^(?:(LATE|late)_)?anon_([A-Za-z0-9]+)_(\d+)_(.+)$")


def parse_canvas(filename: str) -> CanvasName | None:
    """Canvas's identity of a downloaded file, from its base name."""
    anonymous = _ANONYMOUS.match(filename)
    if anonymous:
        late, anon_id, attachment, rest = anonymous.groups()
        return CanvasName("", None, anon_id, attachment, late is not None, rest)
    tokens = filename.split("_")
    first = next((i for i, tok in enumerate(tokens) if _digits(tok)), None)
    if first is None or first == 0 or first + 2 >= len(tokens) or not _digits(tokens[first + 1]):
        return None
    name_tokens = tokens[:first]
    late = len(name_tokens) > 1 and name_tokens[-1] in ("LATE", "late")
    if late:
        name_tokens = name_tokens[:-1]
    rest = "_".join(tokens[first + 2:])
    if not rest:
        return None
    return CanvasName("_".join(name_tokens), tokens[first], None, tokens[first + 1], late, rest)


def parse(relative: str) -> LmsName | None:
    """Moodle first (its plugin field cannot be mistaken), then Canvas on the file's own name."""
    return parse_moodle(relative) or parse_canvas(PurePosixPath(relative).name)
