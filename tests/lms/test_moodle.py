"""Moodle: the worksheet keeps every byte but Grade and Feedback comments; feedback folders import."""

from __future__ import annotations

import io
import re
import zipfile
from decimal import Decimal

import pytest

from grader.errors import InputError
from grader.i18n import Text
from grader.lms import moodle

from .conftest import make_result
from .platforms import (
    moodle_download_name,
    moodle_import_feedback_zip,
    moodle_import_worksheet,
)

EN = ["Identifier", '"Full name"', '"Email address"', "Status", "Grade", '"Maximum Grade"', '"Grade can be changed"',
      '"Last modified (submission)"', '"Last modified (grade)"', '"Feedback comments"']
ES = ["Identificador", '"Nombre completo"', '"Dirección de correo"', "Estado", "Calificación",
      '"Calificación máxima"', '"Se puede cambiar la calificación"', '"Última modificación (entrega)"',
      '"Última modificación (calificación)"', '"Comentarios de retroalimentación"']
GRADE, MAXIMUM, FEEDBACK = 4, 5, 9


def rows(lang="en", sep=".", delimiter=","):
    """Raw cells, quoted as Moodle writes them; the cells a test expects untouched are odd on purpose."""
    who = "Participant" if lang == "en" else "Participante"
    ten = f"10{sep}00"
    q = lambda s: '"' + s.replace('"', '""') + '"'
    date = q("Sunday, 6 October 2024, 11:02 PM")
    return [
        EN if lang == "en" else ES,
        [q(f"{who} 101"), q("Ana Pérez"), "ana@example.edu", q("Submitted for grading - Not graded"), "", ten, "Yes",
         date, "-", ""],
        [q(f"{who} 102"), q('Bruno "B" Ruiz'), "bruno@example.edu", q("Submitted for grading\nlate"), f"3{sep}00", ten,
         "Yes", date, q("Monday, 7 October 2024, 3:15 PM"), q("<p>old, kept?</p>")],
        [q(f"{who} 104"), q("Zoe Absent"), "zoe@example.edu", q("No submission"), f"5{sep}00", ten, "Yes", "-", "-",
         q("<p>untouched</p>")],
        [q(f"{who} 103"), q("Carla Error"), "carla@example.edu", q("Submitted for grading"), "", ten, "Yes", date, "-",
         ""],
        [q(f"{who} 105"), q("Dani Roster"), "dani@example.edu", q("Submitted for grading"), "", f"20{sep}0", "Yes",
         date, "-", ""],
    ]


def build(cells, delimiter=",", newline="\r\n", final_newline=True):
    text = newline.join(delimiter.join(row) for row in cells)
    return text + newline if final_newline else text


def results():
    moodle_meta = lambda pid, name: {"lms": {"platform": "moodle", "participant": pid, "name": name}}
    return [
        make_result("Ana Pérez_101", [(3, 3), (2, 2)], moodle_meta("101", "Ana Pérez")),  # 5/7
        make_result("Bruno_102", [(0, 3), (2, 2)], moodle_meta("102", 'Bruno "B" Ruiz')),  # 2/7
        make_result("Carla_103", [], moodle_meta("103", "Carla Error"), status="error"),
        make_result("dani", [(6, 6)], {"roster": {"student": "dani", "lms_id": "105", "name": "Dani Roster"}}),  # 6/7
        make_result("eve_plain", [(1, 1)]),
    ]


TITLE = Text("Activations", "Activaciones")
VARIANTS = [
    pytest.param("en", ".", ",", "\r\n", "utf-8", b"\xef\xbb\xbf", True, id="en-comma-crlf-bom"),
    pytest.param("en", ".", ",", "\n", "utf-8", b"", False, id="en-comma-lf-no-final-newline"),
    pytest.param("es", ",", ";", "\r\n", "utf-8", b"", True, id="es-semicolon-decimal-comma"),
    pytest.param("en", ".", "\t", "\n", "cp1252", b"", True, id="en-tab-windows-1252"),
    pytest.param("en", ".", ",", "\r\n", "utf-16-le", b"\xff\xfe", True, id="en-utf16-bom"),
]


@pytest.mark.parametrize("lang, sep, delimiter, newline, encoding, bom, final", VARIANTS)
def test_worksheet_rewrites_grade_and_feedback_only(tmp_path, lang, sep, delimiter, newline, encoding, bom, final):
    original = rows(lang, sep)
    raw = bom + build(original, delimiter, newline, final).encode(encoding)
    path = tmp_path / "Grades-NN101-Lab 3-42.csv"
    path.write_bytes(raw)
    outcome = moodle.fill_worksheet(moodle.read_worksheet(path), results(), TITLE, lang)
    data = outcome.data
    assert data.startswith(bom)

    # Moodle's importer, in the teacher's language, reads the new grades and comments.
    text = data[len(bom):].decode(encoding).encode("utf-8")
    imported = {r.participant: r for r in moodle_import_worksheet(text, lang, delimiter)}
    grade = lambda s: Decimal(s.replace(",", "."))
    assert imported[101].grade == grade("7.14") and imported[102].grade == grade("2.86")
    assert imported[103].grade == grade("0.00") and imported[105].grade == grade("17.1")  # 6/7 of 20.0
    assert imported[104].grade == grade("5.00") and imported[104].feedback == "<p>untouched</p>"
    assert "5/7" in imported[101].feedback and ("Task 1" if lang == "en" else "Tarea 1") in imported[101].feedback
    assert all("SECRET-INPUT" not in (r.feedback or "") for r in imported.values())
    assert sorted(outcome.written) == ["101", "102", "103", "105"]
    assert any("eve_plain" in w for w in outcome.warnings)

    # Byte for byte: the file equals the original with only those cells replaced, as Moodle quotes.
    expected = [list(row) for row in original]
    values = {101: "7.14", 102: "2.86", 103: "0.00", 105: "17.1"}
    for row in expected[1:]:
        pid = int(row[0].strip('"').split()[-1])
        if pid in values:
            row[GRADE] = values[pid].replace(".", sep)
            row[FEEDBACK] = '"' + imported[pid].feedback.replace('"', '""') + '"'
    assert data == bom + build(expected, delimiter, newline, final).encode(encoding)


def test_a_rewritten_worksheet_can_be_filled_again_identically(tmp_path):
    path = tmp_path / "g.csv"
    path.write_bytes(build(rows()).encode())
    once = moodle.fill_worksheet(moodle.read_worksheet(path), results(), TITLE, "en").data
    path.write_bytes(once)
    assert moodle.fill_worksheet(moodle.read_worksheet(path), results(), TITLE, "en").data == once


@pytest.mark.parametrize("header, words", [
    (["Identifier", "Grade", "Maximum Grade"], "Last modified (grade)"),
    (["Name", "Grade", "Last modified (grade)"], "'Identifier' or 'Identificador'"),
    (["Identifier", "Grade", "Scale", "Last modified (grade)"], "scale"),
])
def test_worksheets_moodle_would_not_import_are_refused(tmp_path, header, words):
    path = tmp_path / "w.csv"
    path.write_text(",".join(header) + "\n")
    with pytest.raises(InputError, match=re.escape(words)) as caught:
        moodle.read_worksheet(path)
    assert "w.csv" in str(caught.value)


def test_a_worksheet_without_feedback_comments_gets_grades_only(tmp_path):
    path = tmp_path / "w.csv"
    path.write_text('Identifier,Grade,"Maximum Grade","Last modified (grade)"\n"Participant 101",,10.00,-\n')
    outcome = moodle.fill_worksheet(moodle.read_worksheet(path), results(), TITLE, "en")
    assert outcome.data == b'Identifier,Grade,"Maximum Grade","Last modified (grade)"\n"Participant 101",7.14,10.00,-\n'
    assert any("Feedback comments" in w for w in outcome.warnings)


@pytest.mark.parametrize("style", ["modern", "legacy"])
def test_feedback_zip_folders_are_what_moodle_imports(style):
    data, warnings = moodle.feedback_zip(results(), "en", style)
    imported = moodle_import_feedback_zip(data, {101, 102, 103, 104, 105})
    # Moodle keeps an empty fifth field of the folder name as a leading "/" in both forms.
    assert sorted(imported) == [(p, "assignsubmission_file", "/grader-feedback.html") for p in (101, 102, 103, 105)]
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        names = set(zf.namelist())
        assert f"{moodle_download_name('Ana Pérez', 101, legacy=style == 'legacy')}/grader-feedback.html" in names
        assert f"{moodle_download_name('Dani Roster', 105, legacy=style == 'legacy')}/grader-feedback.html" in names
        report = zf.read(next(n for n in names if "_101_" in n)).decode()
    assert "<html" in report.lower() and "SECRET-INPUT" not in report and "HIDDEN-SOURCE" not in report
    assert any("eve_plain" in w for w in warnings)


def test_feedback_folder_names_drop_what_a_file_name_cannot_hold():
    result = make_result("x", [(1, 1)], {"lms": {"platform": "moodle", "participant": "7", "name": 'A/B: "C"_D'}})
    assert moodle.feedback_folder(result, "7") == "AB C D_7_assignsubmission_file"


@pytest.mark.parametrize("text, value, sep, decimals", [
    ("10.00", "10.00", ".", 2), ("10,00", "10.00", ",", 2), ("100", "100", ".", 0), ("1,000.50", "1000.50", ".", 2),
    (" 7,5 ", "7.5", ",", 1),
])
def test_grade_numbers_keep_the_worksheet_style(text, value, sep, decimals):
    number, style = moodle.parse_grade(text)
    assert number == Decimal(value) and style == moodle.NumberStyle(sep, decimals)
    assert moodle.format_grade(Decimal("6.666"), style) == f"{Decimal('6.666'):.{decimals}f}".replace(".", sep)
