"""Canvas: the gradebook CSV imports into the right assignment and students; feedback attaches."""

from __future__ import annotations

import io
import zipfile
from decimal import Decimal

import pytest

from grader.errors import InputError
from grader.lms import canvas

from .conftest import make_result
from .platforms import canvas_download_name, canvas_import_gradebook, canvas_reupload

COLUMN = "Lab 3: Backprop, part (a) (48213)"


def canvas_meta(name, user_id, attachment, late=False, anonymous=None):
    lms = {"platform": "canvas", "name": name, "attachment_id": attachment, "late": late}
    if user_id:
        lms["user_id"] = user_id
    if anonymous:
        lms["anonymous_id"] = anonymous
    return {"lms": lms}


def results():
    return [
        make_result("doejane_98765", [(3, 3), (2, 2)], canvas_meta("doejane", "98765", "5551234")),  # 5/7
        make_result("smithjohn_98766", [(1, 3), (2, 2)], canvas_meta("smithjohn", "98766", "5551240", late=True)),
        make_result("anon_Xk29q", [(4, 4)], canvas_meta("", None, "5551301", anonymous="Xk29q")),
        make_result("jane_anon", [(4, 4)], {**canvas_meta("", None, "5551302", anonymous="Zz9zz"),
                                            "roster": {"student": "jane_anon", "lms_id": "98770", "name": "=Doe, Ann",
                                                       "sis_login_id": "adoe", "section": "NN-101 A"}}),
        make_result("broken_98767", [], canvas_meta("broken", "98767", "5551250"), status="error"),
        make_result("plain", [(1, 1)]),
    ]


def test_gradebook_csv_imports_into_the_assignment_by_user_id():
    text, warnings = canvas.gradebook_csv(results(), COLUMN, Decimal(10))
    lines = text.split("\n")
    assert lines[0] == 'Student,ID,SIS Login ID,Section,"Lab 3: Backprop, part (a) (48213)"'
    assert lines[1] == "    Points Possible,,,,10.00"
    assert "\r" not in text and not text.startswith("\ufeff")
    imported = canvas_import_gradebook(text.encode("utf-8"))
    assert imported.assignments == {48213: "Lab 3: Backprop, part (a)"}
    assert imported.points == {48213: Decimal("10.00")}
    assert imported.scores == {"98765": {48213: Decimal("7.14")}, "98766": {48213: Decimal("4.29")},
                               "98770": {48213: Decimal(8)}, "98767": {48213: Decimal(0)}}
    assert imported.names["98770"] == "'=Doe, Ann" and imported.sis_login["98770"] == "adoe"  # text, not a formula
    assert imported.sections["98770"] == "NN-101 A" and imported.names["98765"] == "doejane"
    assert any("anon_Xk29q" in w and "roster" in w for w in warnings)
    assert any("plain" in w for w in warnings)


def test_points_scale_the_scores():
    text, _ = canvas.gradebook_csv(results()[:1], "Lab (1)", Decimal("2.5"))
    imported = canvas_import_gradebook(text.encode())
    assert imported.points == {1: Decimal("2.50")} and imported.scores["98765"] == {1: Decimal("1.79")}


@pytest.mark.parametrize("column", ["Lab 3", "Lab 3 (x)", "Lab 3(48213)", "Lab\n3 (1)", "(48213)"])
def test_a_column_canvas_would_read_as_a_new_assignment_is_refused(column):
    with pytest.raises(InputError, match="Title \\(id\\)"):
        canvas.check_column(column)


def test_feedback_files_attach_to_each_submission_on_reupload():
    data, warnings = canvas.feedback_zip(results(), "es")
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        names = zf.namelist()
        report = zf.read(names[0]).decode()
    attached = {canvas_reupload(n) for n in names}
    assert attached == {("98765", "5551234"), ("98766", "5551240"), ("98770", "5551302"), ("98767", "5551250")}
    assert "doejane_98765_5551234_feedback.html" in names
    assert "SECRET-INPUT" not in report and 'lang="es"' in report
    assert any("anon_Xk29q" in w for w in warnings) and any("plain" in w for w in warnings)


def test_feedback_names_stay_attachable_whatever_the_name_holds():
    result = make_result("x", [(1, 1)], canvas_meta("o_2_neil_link", "5", "6"))
    name = canvas.feedback_name(result)
    assert name == "oneillink_5_6_feedback.html" and canvas_reupload(name) == ("5", "6")


def test_the_download_names_the_tests_use_are_canvas_own():
    assert canvas_download_name("Doe, Jane", 98765, 5551234, "lab3_backprop.ipynb") == \
        "doejane_98765_5551234_lab3_backprop.ipynb"
    assert canvas_reupload("doejane_98765_5551234_lab3_backprop.ipynb") == ("98765", "5551234")
    assert canvas_reupload("Richards_David_2_link.html") is None
