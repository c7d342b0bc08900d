"""Moodle: the offline grading worksheet, rewritten in place, and the feedback-files zip.

The worksheet is never built from scratch. Moodle's importer finds its columns by their header
text in the uploading teacher's language, skips rows whose `Last modified (grade)` is older than
the grade stored in Moodle, and parses dates and decimals in that teacher's locale; so the grader
reads the worksheet the teacher downloaded, finds each row's participant in `Identifier`, and
rewrites only the `Grade` and `Feedback comments` cells. Every other byte (encoding, BOM,
delimiter, quoting, line endings, localised dates) is copied as it was. Grades are scaled to the
row's `Maximum Grade` and written with its decimal separator and number of decimals.

Feedback files go in a zip with one folder per student named as Moodle's "Download all
submissions" names them, `<Full name>_<participant>_assignsubmission_file` (Moodle ≥ 4.1) or the
same with a trailing `_` (Moodle 3.1–4.0); Moodle's "Upload multiple feedback files in a zip"
accepts either.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from ..errors import InputError
from ..i18n import Text
from ..results import SubmissionResult
from ..spreadsheet import defuse
from ..untrusted import cap_bytes
from . import csvsplice
from .common import feedback_comment, moodle_participant, scaled

# Header texts of the columns the grader reads or writes, in the languages of the course. Moodle
# matches them exactly: "Identifier" (assign/recordid), "Grade" (core grade), "Maximum Grade"
# (assign/maxgrade), "Last modified (grade)" (assign/lastmodifiedgrade) and "Feedback comments"
# (the assignfeedback_comments plugin's name).
HEADERS: dict[str, tuple[str, ...]] = {
    "identifier": ("Identifier", "Identificador"),
    "grade": ("Grade", "Calificación"),
    "maximum": ("Maximum Grade", "Maximum grade", "Calificación máxima"),
    "modified": ("Last modified (grade)", "Última modificación (calificación)"),
    "feedback": ("Feedback comments", "Comentarios de retroalimentación"),
    "scale": ("Scale", "Escala"),
}
REQUIRED = ("identifier", "grade", "modified")
DELIMITERS = (",", ";", "\t", ":")
FOLDER_STYLES = ("modern", "legacy")


@dataclass
class Worksheet:
    path: Path
    decoded: csvsplice.Decoded
    delimiter: str
    rows: list[list[csvsplice.Cell]]
    columns: dict[str, int]

    def cell(self, row: int, role: str) -> str:
        cells = self.rows[row]
        index = self.columns[role]
        return cells[index].value if index < len(cells) else ""


def _roles(header: list[csvsplice.Cell]) -> dict[str, int]:
    found: dict[str, int] = {}
    for index, cell in enumerate(header):
        text = cell.value.strip()
        for role, names in HEADERS.items():
            if text in names and role not in found:
                found[role] = index
    return found


def read_worksheet(path: Path) -> Worksheet:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError("no such file", path) from None
    decoded = csvsplice.decode(raw, path)
    best: tuple[str, list[list[csvsplice.Cell]], dict[str, int]] | None = None
    for delimiter in DELIMITERS:
        try:
            rows = csvsplice.parse(decoded.text, delimiter)
        except ValueError as exc:
            raise InputError(f"not a CSV file Moodle wrote: {exc}", path) from None
        if not rows:
            break
        roles = _roles(rows[0])
        if best is None or len(roles) > len(best[2]):
            best = (delimiter, rows, roles)
    if best is None or not best[1]:
        raise InputError("an empty worksheet", path)
    delimiter, rows, roles = best
    missing = [role for role in REQUIRED if role not in roles]
    if missing:
        wanted = "; ".join(" or ".join(repr(n) for n in HEADERS[role]) for role in missing)
        raise InputError(f"not a Moodle grading worksheet: no {wanted} column (download it from the "
                         "assignment's 'Download grading worksheet')", path)
    if "maximum" not in roles:
        if "scale" in roles:
            raise InputError("this assignment is graded with a scale; the grader writes point grades only", path)
        raise InputError("no 'Maximum Grade' column to scale grades to", path)
    return Worksheet(path, decoded, delimiter, rows, roles)


_IDENTIFIER = re.compile(r"(\d+)\s*$")


def participant_of(identifier: str) -> str | None:
    """The number at the end of "Participant 1734024" (or its translation), without leading zeros."""
    match = _IDENTIFIER.search(identifier)
    return str(int(match.group(1))) if match else None


@dataclass(frozen=True)
class NumberStyle:
    separator: str
    decimals: int


def parse_grade(text: str) -> tuple[Decimal, NumberStyle]:
    """A number as Moodle's format_float writes it ("10.00", "10,00"), and how it was written."""
    cleaned = text.strip().replace("\u00a0", "").replace(" ", "")
    match = re.fullmatch(r"(\d+(?:[.,]\d{3})*?)(?:([.,])(\d+))?", cleaned)
    if not match:
        raise ValueError(text)
    whole, separator, fraction = match.groups()
    whole = re.sub(r"[.,]", "", whole)
    value = Decimal(f"{whole}.{fraction}" if fraction else whole)
    return value, NumberStyle(separator or ".", len(fraction or ""))


def format_grade(value: Decimal, style: NumberStyle) -> str:
    text = f"{value:.{style.decimals}f}"
    return text.replace(".", style.separator) if style.separator != "." else text


@dataclass
class Outcome:
    data: bytes
    written: list[str] = field(default_factory=list)  # participants whose row was rewritten
    warnings: list[str] = field(default_factory=list)


def fill_worksheet(sheet: Worksheet, results: list[SubmissionResult], title: Text, lang: str) -> Outcome:
    """The worksheet's bytes with each graded participant's Grade and Feedback comments rewritten."""
    by_participant: dict[str, SubmissionResult] = {}
    warnings: list[str] = []
    for result in results:
        participant = moodle_participant(result)
        if participant is None:
            warnings.append(f"{result.student}: no Moodle participant number (not from a Moodle download, "
                            "and no lms_id in the roster); left out")
            continue
        participant = str(int(participant))
        if participant in by_participant:
            warnings.append(f"Participant {participant}: graded twice ({by_participant[participant].student}, "
                            f"{result.student}); kept {by_participant[participant].student}")
            continue
        by_participant[participant] = result
    if "feedback" not in sheet.columns:
        warnings.append("the worksheet has no 'Feedback comments' column (enable Feedback comments in the "
                        "assignment); grades only")
    replacements: dict[tuple[int, int], str] = {}
    written, seen = [], set()
    for r in range(1, len(sheet.rows)):
        cells = sheet.rows[r]
        if len(cells) <= max(sheet.columns.values()):
            continue  # a blank or short line: not a participant row
        participant = participant_of(sheet.cell(r, "identifier"))
        if participant is None or participant not in by_participant:
            continue
        result = by_participant[participant]
        seen.add(participant)
        try:
            maximum, style = parse_grade(sheet.cell(r, "maximum"))
        except ValueError:
            warnings.append(f"Participant {participant}: cannot read its Maximum Grade "
                            f"{sheet.cell(r, 'maximum')!r}; row left as it was")
            continue
        grade = format_grade(scaled(result, maximum, style.decimals), style)
        replacements[(r, sheet.columns["grade"])] = csvsplice.render(defuse(grade), sheet.delimiter)
        if "feedback" in sheet.columns:
            comment = feedback_comment(result, title, lang)
            replacements[(r, sheet.columns["feedback"])] = csvsplice.render(defuse(comment), sheet.delimiter)
        written.append(participant)
    for participant, result in sorted(by_participant.items()):
        if participant not in seen:
            warnings.append(f"{result.student}: Participant {participant} is not in the worksheet; left out")
    text = csvsplice.splice(sheet.decoded.text, replacements, sheet.rows)
    return Outcome(sheet.decoded.encode(text), written, warnings)


_UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]')


def clean_filename(name: str) -> str:
    """Close to Moodle's clean_filename: characters a file name cannot hold are dropped."""
    return re.sub(r"\s+", " ", _UNSAFE.sub("", name)).strip()


def feedback_folder(result: SubmissionResult, participant: str, style: str = "modern") -> str:
    """The folder Moodle's feedback-zip importer maps to this participant."""
    lms = result.meta.get("lms") or {}
    roster = result.meta.get("roster") or {}
    name = lms.get("name") if lms.get("platform") == "moodle" else None
    name = clean_filename((name or roster.get("name") or result.student).replace("_", " "))
    # The participant number after it tells folders apart; the name is cut to keep the folder
    # within what a file system holds.
    name = cap_bytes(name, 150).strip() or "Participant"
    folder = f"{name}_{participant}_assignsubmission_file"
    return folder + "_" if style == "legacy" else folder


FEEDBACK_FILE = "grader-feedback.html"


def feedback_zip(results: list[SubmissionResult], lang: str, style: str = "modern") -> tuple[bytes, list[str]]:
    """The zip for "Upload multiple feedback files in a zip": each student's report in their folder."""
    from .common import exercise_title, report_html, zip_bytes

    members, warnings, seen = [], [], set()
    for result in results:
        participant = moodle_participant(result)
        if participant is None:
            warnings.append(f"{result.student}: no Moodle participant number; no feedback file")
            continue
        participant = str(int(participant))
        if participant in seen:
            continue
        try:
            folder = feedback_folder(result, participant, style)
            members.append((f"{folder}/{FEEDBACK_FILE}", report_html(result, exercise_title(result.exercise), lang)))
        except Exception as exc:  # one student's report, never the whole export
            warnings.append(f"{result.student}: the feedback file could not be written ({type(exc).__name__}: {exc})")
            continue
        seen.add(participant)
    return zip_bytes(members), warnings
