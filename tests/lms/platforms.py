"""What each LMS does with the files the grader writes, re-told from its documentation and code.

Written independently of `grader.lms` from the facts in LMS-FORMATS.md (Moodle's
assignfeedback_offline importer and assignfeedback_file zip importer, Canvas's gradebook importer
and submission re-upload, Gradescope's results.json specification): the exports must survive
these readers, not the grader's own.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass
from decimal import Decimal

# --- Moodle ---------------------------------------------------------------------------------------

# get_string() values an importer compares headers with, per UI language.
MOODLE_STRINGS = {
    "en": {"recordid": "Identifier", "grade": "Grade", "lastmodifiedgrade": "Last modified (grade)",
           "comments": "Feedback comments", "hiddenuser": "Participant ", "decsep": "."},
    "es": {"recordid": "Identificador", "grade": "Calificación", "lastmodifiedgrade": "Última modificación (calificación)",
           "comments": "Comentarios de retroalimentación", "hiddenuser": "Participante ", "decsep": ","},
}


class InvalidGradeImport(Exception):
    """Moodle's `invalidgradeimport`."""


@dataclass(frozen=True)
class MoodleRow:
    participant: int
    grade: Decimal | None
    modified: str
    feedback: str | None


def moodle_import_worksheet(data: bytes, lang: str = "en", delimiter: str = ",") -> list[MoodleRow]:
    """assignfeedback_offline_grade_importer: columns by exact header text in the teacher's
    language; Identifier minus strlen(hiddenuser); grades through unformat_float."""
    strings = MOODLE_STRINGS[lang]
    text = data.decode("utf-8")
    text = text.removeprefix("\ufeff")  # csv_import_reader drops a UTF-8 BOM
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    header = rows[0]
    try:
        id_index = header.index(strings["recordid"])
        grade_index = header.index(strings["grade"])
        modified_index = header.index(strings["lastmodifiedgrade"])
    except ValueError:
        raise InvalidGradeImport(header) from None
    feedback_index = header.index(strings["comments"]) if strings["comments"] in header else None
    found = []
    for row in rows[1:]:
        if not row or len(row) <= max(id_index, grade_index, modified_index):
            continue
        ident = row[id_index][len(strings["hiddenuser"]):]
        if not ident.isdigit():
            continue
        raw = row[grade_index].strip()
        grade = Decimal(raw.replace(strings["decsep"], ".")) if raw else None
        found.append(MoodleRow(int(ident), grade, row[modified_index],
                               row[feedback_index] if feedback_index is not None else None))
    return found


MOODLE_PLUGINS = {("assignsubmission", "file"), ("assignsubmission", "onlinetext"), ("assignfeedback", "file"),
                  ("assignfeedback", "comments")}


def moodle_import_feedback_zip(data: bytes, participants: set[int]) -> list[tuple[int, str, str]]:
    """assignfeedback_file_zip_importer::is_valid_filename_for_import over every member:
    (participant, plugin, file name) for each file Moodle would take as feedback."""
    imported = []
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        for info in zf.infolist():
            if info.is_dir():
                continue
            basename = info.filename.rsplit("/", 1)[-1]
            if basename.startswith((".", "~")):
                continue
            parts = info.filename.split("/")
            while parts:
                part = parts.pop(0)
                fields = part.split("_", 4)
                if len(fields) < 4 or not fields[1].isdigit() or int(fields[1]) not in participants:
                    continue
                if (fields[2], fields[3]) not in MOODLE_PLUGINS:
                    continue
                rest = fields[4] if len(fields) == 5 else ""
                imported.append((int(fields[1]), f"{fields[2]}_{fields[3]}", "/".join([rest, *parts])))
                break
    return imported


def moodle_download_name(fullname: str, participant: int, plugin: str = "assignsubmission_file",
                         legacy: bool = False) -> str:
    """The per-student folder of "Download all submissions": underscores in names become spaces."""
    folder = f"{fullname.replace('_', ' ')}_{participant}_{plugin}"
    return folder + "_" if legacy else folder


# --- Canvas ---------------------------------------------------------------------------------------

TOTAL_COLUMNS = re.compile(r"(Current|Final|Unposted Current|Unposted Final|Override) (Score|Points|Grade|Status)")
TITLE_AND_ID = re.compile(r"\A(.*)\s\((\d+)\)\Z", re.DOTALL)


class InvalidHeaderRow(Exception):
    pass


@dataclass(frozen=True)
class CanvasImport:
    assignments: dict[int, str]  # id → title
    points: dict[int, Decimal]
    scores: dict[str, dict[int, Decimal | str]]  # user id → assignment id → score or "EX"
    names: dict[str, str]
    sis_login: dict[str, str]
    sections: dict[str, str]


def canvas_import_gradebook(data: bytes) -> CanvasImport:
    """GradebookImporter: Student, ID, [SIS columns], Section, then `Title (id)` columns."""
    text = data.decode("utf-8").removeprefix("\ufeff")
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    header = rows[0]
    if "Student" not in header[0] or "ID" not in header[1]:
        raise InvalidHeaderRow(header)
    index = 2
    if header[index] == "SIS User ID":
        index += 1
    if header[index] == "SIS Login ID":
        index += 1
    if index < len(header) and header[index] == "Integration ID":
        index += 1
    if index < len(header) and header[index] == "Root Account":
        index += 1
    if index >= len(header) or "Section" not in header[index]:
        raise InvalidHeaderRow(header)
    sis_login_at = header.index("SIS Login ID") if "SIS Login ID" in header else None
    assignments, columns = {}, {}
    for at in range(index + 1, len(header)):
        title = header[at]
        if TOTAL_COLUMNS.search(title):
            continue
        match = TITLE_AND_ID.match(title)
        if match is None:
            raise AssertionError(f"column {title!r} would create a new assignment")
        assignments[int(match.group(2))] = match.group(1)
        columns[at] = int(match.group(2))
    points: dict[int, Decimal] = {}
    scores: dict[str, dict[int, Decimal | str]] = {}
    names, logins, sections = {}, {}, {}
    for row in rows[1:]:
        if not row:
            continue
        if "Points Possible" in row[0]:
            points = {columns[at]: Decimal(row[at]) for at in columns if row[at].strip()}
            continue
        if all(row[at] in ("Muted", "Manual Posting", "") for at in columns):
            continue
        user = row[1]
        names[user], sections[user] = row[0], row[index]
        logins[user] = row[sis_login_at] if sis_login_at is not None else ""
        scores[user] = {}
        for at, assignment in columns.items():
            cell = row[at].strip()
            if not cell:
                continue  # blank: no change
            scores[user][assignment] = "EX" if cell == "EX" else Decimal(cell.replace(",", "."))
    return CanvasImport(assignments, points, scores, names, logins, sections)


def canvas_reupload(filename: str) -> tuple[str, str] | None:
    """Assignment#infer_comment_context_from_filename: the first two all-digit `_` fields are the
    user id and the attachment id; files starting "._" or ending in a "link…" field attach nothing."""
    base = filename.rsplit("/", 1)[-1]
    fields = base.split("_")
    digits = [f for f in fields if re.fullmatch(r"\d+", f)]
    if len(digits) < 2 or fields[-1].startswith("link") or base.startswith("._"):
        return None
    return digits[0], digits[1]


def canvas_download_name(sortable_name: str | None, user_id: int | None, attachment_id: int, display_name: str,
                         late: bool = False, anonymous_id: str | None = None, old: bool = False) -> str:
    """ContentZipper: [name, LATE, id] joined by "_", non-word characters removed; the name is
    the lower-cased sortable name; anonymous grading puts anon_<id> instead of name and user id."""
    name = None if anonymous_id else re.sub(r"_(\d+)_", r"\1", sortable_name or "").lower()
    ident = f"anon_{anonymous_id}" if anonymous_id else str(user_id)
    prefix = "_".join(p for p in (name, "LATE" if late else None, ident) if p)
    prefix = re.sub(r"[^\w]", "", prefix)
    if old:
        prefix = prefix.lower()
    safe = re.sub(r'[/:*?"<>|\\]+', "_", display_name)
    return f"{prefix}_{attachment_id}_{safe}"


# --- Gradescope -----------------------------------------------------------------------------------

FORMATS = {"text", "html", "simple_format", "md", "ansi"}
VISIBILITY = {"hidden", "after_due_date", "after_published", "visible"}
TOP_KEYS = {"score", "execution_time", "output", "output_format", "test_output_format", "test_name_format",
            "visibility", "stdout_visibility", "extra_data", "tests", "leaderboard"}
TEST_KEYS = {"score", "max_score", "status", "name", "name_format", "number", "output", "output_format", "tags",
             "visibility", "extra_data"}


def gradescope_check(data: object) -> list[str]:
    """Problems Gradescope's harness would have with a results.json (empty list: accepted)."""
    problems: list[str] = []
    if not isinstance(data, dict):
        return ["not a JSON object"]
    problems += [f"unknown top-level key {k!r}" for k in set(data) - TOP_KEYS]
    tests = data.get("tests", [])
    if not isinstance(tests, list):
        return problems + ["tests is not a list"]
    if "score" not in data and not all(isinstance(t, dict) and "score" in t for t in tests):
        problems.append("no top-level score and a test without a score")
    if "score" in data and not isinstance(data["score"], (int, float)):
        problems.append("score is not a number")
    for key in ("output_format", "test_output_format", "test_name_format"):
        if key in data and data[key] not in FORMATS:
            problems.append(f"{key} {data[key]!r}")
    for key in ("visibility", "stdout_visibility"):
        if key in data and data[key] not in VISIBILITY:
            problems.append(f"{key} {data[key]!r}")
    for i, test in enumerate(tests):
        if not isinstance(test, dict):
            problems.append(f"test {i} is not an object")
            continue
        problems += [f"test {i}: unknown key {k!r}" for k in set(test) - TEST_KEYS]
        for key in ("score", "max_score"):
            if key in test and not isinstance(test[key], (int, float)):
                problems.append(f"test {i}: {key} is not a number")
        if "status" in test and test["status"] not in ("passed", "failed"):
            problems.append(f"test {i}: status {test['status']!r}")
        if "visibility" in test and test["visibility"] not in VISIBILITY:
            problems.append(f"test {i}: visibility {test['visibility']!r}")
        if "output_format" in test and test["output_format"] not in FORMATS:
            problems.append(f"test {i}: output_format {test['output_format']!r}")
        if "output" in test and not isinstance(test["output"], str):
            problems.append(f"test {i}: output is not a string")
        if "tags" in test and not (isinstance(test["tags"], list) and all(isinstance(t, str) for t in test["tags"])):
            problems.append(f"test {i}: tags is not a list of strings")
    return problems
