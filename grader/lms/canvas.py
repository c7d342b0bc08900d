"""Canvas: a gradebook CSV to import, and feedback files its re-upload attaches as comments.

The gradebook importer needs `Student`, `ID`, `SIS Login ID` and `Section` (the last student
column must be `Section`), then one column per assignment titled `Title (id)`: the `(id)` binds
the column to the existing assignment (a title alone would create a new one). A first-column
`Points Possible` row is skipped by the importer; the grader writes it as Canvas's export does.
Students are matched by `ID`, Canvas's user id, which the download's file names carry.

The "Upload submissions" re-upload attaches a file to a submission when the first two all-digit
`_` fields of its name are the student's user id and the attachment id of the submitted file:
`doejane_98765_5551234_feedback.html`.
"""

from __future__ import annotations

import re
from decimal import Decimal

from ..errors import InputError
from ..results import SubmissionResult
from ..spreadsheet import csv_text
from ..untrusted import cap_bytes
from .common import canvas_user_id, lms_meta, plain_number, roster_meta, scaled

HEADER = ("Student", "ID", "SIS Login ID", "Section")
POINTS_ROW = "    Points Possible"
TITLE_WITH_ID = re.compile(r"\A(.*)\s\((\d+)\)\Z", re.DOTALL)  # Ruby's \A(.*)\s\((\d+)\)\z


def check_column(column: str) -> str:
    """The assignment column's header, which must end in Canvas's "(assignment id)"."""
    if "\n" in column or "\r" in column or not TITLE_WITH_ID.match(column):
        raise InputError(f"--column {column!r} must be the assignment's column as Canvas exports it, "
                         "'Title (id)', e.g. 'Lab 3: Backprop (48213)'")
    return column


def display_name(result: SubmissionResult) -> str:
    return roster_meta(result).get("name") or lms_meta(result).get("name") or result.student


def gradebook_csv(results: list[SubmissionResult], column: str, points: Decimal) -> tuple[str, list[str]]:
    """The CSV text (UTF-8, comma-separated, no BOM) and warnings for results left out."""
    check_column(column)
    rows, warnings, seen = [], [], set()
    for result in results:
        user_id = canvas_user_id(result)
        if user_id is None:
            why = ("anonymous download: a roster row naming the file, with the Canvas user id as lms_id, "
                   "identifies it"
                   if lms_meta(result).get("anonymous_id") else "no Canvas user id")
            warnings.append(f"{result.student}: {why}; left out")
            continue
        if user_id in seen:
            warnings.append(f"{result.student}: user {user_id} graded twice; kept the first")
            continue
        seen.add(user_id)
        roster = roster_meta(result)
        rows.append([display_name(result), user_id, roster.get("sis_login_id", ""), roster.get("section", ""),
                     plain_number(scaled(result, points, 2))])
    rows.sort(key=lambda row: (row[0].lower(), row[1]))
    # Every cell defused (a name starting with "=", "+", "-" or "@" is text, not a formula);
    # the points are numbers and stay so.
    return csv_text([[*HEADER, column], [POINTS_ROW, "", "", "", f"{points:.2f}"], *rows]), warnings


def feedback_name(result: SubmissionResult) -> str | None:
    """`<name>_<user id>_<attachment id>_feedback.html`, or None without both ids."""
    user_id, attachment = canvas_user_id(result), lms_meta(result).get("attachment_id")
    if user_id is None or not attachment:
        return None
    # Letters only before the ids: no digit-only field may come before the user id.
    prefix = re.sub(r"[\W\d_]+", "", lms_meta(result).get("name") or roster_meta(result).get("name") or "")
    prefix = cap_bytes(prefix, 100) or "student"  # the ids after it keep the name unique
    return f"{prefix}_{user_id}_{attachment}_feedback.html"


def feedback_zip(results: list[SubmissionResult], lang: str) -> tuple[bytes, list[str]]:
    """The zip for Canvas's "Upload submissions": one report per submission, named to attach."""
    from .common import exercise_title, report_html, zip_bytes

    members, warnings, names = [], [], set()
    for result in results:
        name = feedback_name(result)
        if name is None or name in names:
            if name is None:
                warnings.append(f"{result.student}: no Canvas user id and attachment id; no feedback file")
            continue
        try:
            members.append((name, report_html(result, exercise_title(result.exercise), lang)))
        except Exception as exc:  # one student's report, never the whole export
            warnings.append(f"{result.student}: the feedback file could not be written ({type(exc).__name__}: {exc})")
            continue
        names.add(name)
    return zip_bytes(members), warnings
