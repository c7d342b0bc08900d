"""Every CSV the grader writes shows a student's text as text, never as a formula."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest

from grader.batch import grades_csv
from grader.i18n import Text
from grader.lms import canvas, moodle
from grader.manual import read_marks, template_rows
from grader.results import SubmissionResult, TaskResult
from grader.results import TestResult as Outcome
from grader.spreadsheet import csv_text, defuse, is_dangerous, undefuse

FORMULAS = ["=1+1", "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A2)", "\t=1+1", "\r=1+1", " =1+1", '"=1+1',
            "'=1+1", " \"'=HYPERLINK(\"http://x\")", "\uff1d1+1", "\uff20SUM(A1)", "-", "=", "@"]
TEXT = ["ana", "Ana Pérez", "1+1=2", "a=b", "x-1", "", "'quoted'", "  spaced", "100%", "#tag"]
NUMBERS = ["0", "30", "-3", "-0.5", "+2", "2.5", "1e-05", "-1e+20", "3,5", "-3,50", ".5"]


def spreadsheet_computes(cell: str) -> bool:
    """What a spreadsheet opening the CSV would read as a formula: a sign first, perhaps after
    spaces or quotes, or a tab or carriage return smuggled in front; never a plain number."""
    stripped = cell.lstrip(" \u00a0\u3000\"'\n\f\v").lstrip()
    first_sign = stripped[:1] in ("=", "+", "-", "@", "\uff1d", "\uff0b", "\uff0d", "\uff20")
    try:
        float(cell.replace(",", "."))
        return False
    except ValueError:
        pass
    return cell[:1] in ("\t", "\r") or first_sign


def safe(cell: str) -> bool:
    """A written cell a spreadsheet shows as text: led by the apostrophe that marks text, or one
    it would not compute anyway."""
    return cell.startswith("'") or not spreadsheet_computes(cell)


@pytest.mark.parametrize("cell", FORMULAS)
def test_a_formula_is_written_as_text(cell):
    assert spreadsheet_computes(cell) and is_dangerous(cell)
    written = defuse(cell)
    assert written.startswith("'") and written[1:] == cell
    assert undefuse(written) == cell


@pytest.mark.parametrize("cell", TEXT + NUMBERS)
def test_text_and_numbers_are_written_as_they_are(cell):
    assert not is_dangerous(cell) and defuse(cell) == cell and undefuse(cell) == cell


def test_csv_text_defuses_every_cell_and_keeps_numbers():
    text = csv_text([["student", "score"], ["=cmd", "-3"], ["ana", "2.5"]])
    rows = list(csv.reader(io.StringIO(text)))
    assert rows == [["student", "score"], ["'=cmd", "-3"], ["ana", "2.5"]]


def _result(student: str, file: str = "x.ipynb", score: float = 1.0, status: str = "graded",
            meta: dict | None = None) -> SubmissionResult:
    test = Outcome("rubric", "pending" if status == "pending" else "passed", score, 2.0, "message", False,
                   Text("m", "m"))
    return SubmissionResult(student=student, file=file, exercise="exam", exercise_version="1",
                            status="graded", max_score=2.0, tasks=(TaskResult("t1", Text("T", "T"), "text", (test,)),),
                            meta=dict(meta or {}))


def _cells(text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row]


def test_grades_csv_defuses_student_ids_and_file_names():
    text = grades_csv([_result("=HYPERLINK(\"http://evil\")", "@evil.ipynb"), _result("+1+cmd", "-x.ipynb", 0.0),
                       _result("ana", "ana.ipynb", 2.0)])
    cells = _cells(text)
    assert all(safe(c) for c in cells), cells
    assert "'=HYPERLINK(\"http://evil\")" in cells and "'@evil.ipynb" in cells
    assert "'+1+cmd" in cells and "'-x.ipynb" in cells
    assert ["ana", "2", "2", "graded", "ana.ipynb"] == list(csv.reader(io.StringIO(text)))[3]


def test_the_marks_template_defuses_and_marks_read_back_from_it_name_the_student(tmp_path):
    text = template_rows([_result("=evil", status="pending"), _result("ana", status="pending")])
    assert all(safe(c) for c in _cells(text))
    rows = list(csv.reader(io.StringIO(text)))
    filled = [rows[0]] + [r[:3] + ["1.5", "-see me"] + r[5:] for r in rows[1:]]
    marks_file = tmp_path / "marks.csv"
    buffer = io.StringIO()
    csv.writer(buffer).writerows(filled)  # saved back as the instructor's editor writes it
    marks_file.write_text(buffer.getvalue(), encoding="utf-8")
    marks = read_marks(marks_file)
    assert [(m.student, m.points, m.comment) for m in marks] == [("=evil", 1.5, "-see me"), ("ana", 1.5, "-see me")]


def test_the_canvas_gradebook_defuses_every_name_sign_and_keeps_scores_numbers():
    results = []
    for i, name in enumerate(["=cmd|' /C calc'!A0", "+evil", "-evil", "@evil", "\t=evil", "Plain Name"]):
        meta = {"lms": {"platform": "canvas", "user_id": str(100 + i), "attachment_id": str(500 + i), "name": "x"},
                "roster": {"student": f"s{i}", "name": name, "sis_login_id": "=sis", "section": "+sec"}}
        results.append(_result(f"s{i}", meta=meta))
    text, _ = canvas.gradebook_csv(results, "Lab (1)", Decimal(10))
    cells = _cells(text)
    assert all(safe(c) for c in cells), cells
    assert "Plain Name" in cells and "5" in cells and "10.00" in cells


def test_the_moodle_worksheet_cells_we_write_are_defused(tmp_path):
    sheet_file = tmp_path / "Grades.csv"
    sheet_file.write_text("Identifier,Full name,Status,Grade,Maximum Grade,Grade can be changed,"
                          "Last modified (grade),Feedback comments\n"
                          "Participant 101,Ana,Submitted,,10.00,Yes,-,\n", encoding="utf-8")
    sheet = moodle.read_worksheet(sheet_file)
    result = _result("ana", meta={"lms": {"platform": "moodle", "participant": "101", "name": "Ana"}})
    outcome = moodle.fill_worksheet(sheet, [result], Text("=Lab", "=Lab"), "en")
    row = list(csv.reader(io.StringIO(outcome.data.decode("utf-8"))))[1]
    grade, feedback = row[3], row[7]
    assert grade == "5.00" and feedback.startswith("<p>") and safe(grade) and safe(feedback)


def test_the_release_keys_defuse_student_ids(tmp_path):
    from grader.library import load
    from grader.release import release

    release(load("exam"), tmp_path, ["=evil", "ana"], "en")
    cells = _cells((tmp_path / "keys.csv").read_text(encoding="utf-8"))
    assert "'=evil" in cells and all(safe(c) for c in cells)
