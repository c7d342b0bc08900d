"""Download → grade → export, end to end through the command line (click's runner, in-process)."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from decimal import Decimal

import pytest
from click.testing import CliRunner

from grader.cli import main
from grader.gradebook import Gradebook

from .conftest import SAMPLES, make_result, write_zip
from .platforms import (
    canvas_download_name,
    canvas_import_gradebook,
    canvas_reupload,
    gradescope_check,
    moodle_download_name,
    moodle_import_feedback_zip,
    moodle_import_worksheet,
)


def invoke(*args, **kwargs):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False, **kwargs)


def sample(name):
    return (SAMPLES / f"{name}.ipynb").read_bytes()


WORKSHEET = (
    '\ufeffIdentifier,"Full name","Email address",Status,Grade,"Maximum Grade","Grade can be changed",'
    '"Last modified (submission)","Last modified (grade)","Feedback comments"\r\n'
    '"Participant 101","Ana Correct",ana@example.edu,"Submitted for grading - Not graded",,10.00,Yes,'
    '"Sunday, 6 October 2024, 11:02 PM",-,\r\n'
    '"Participant 102","Bruno Wrong",bruno@example.edu,"Submitted for grading - Not graded",,10.00,Yes,'
    '"Sunday, 6 October 2024, 11:05 PM","Monday, 7 October 2024, 3:15 PM","<p>earlier</p>"\r\n'
    '"Participant 103","Fede Json",fede@example.edu,"Submitted for grading - Not graded",,10.00,Yes,'
    '"Sunday, 6 October 2024, 11:09 PM",-,\r\n'
    '"Participant 104","Zoe Absent",zoe@example.edu,"No submission - Assignment is overdue by: 1 day",,10.00,Yes,-,-,\r\n'
)


@pytest.fixture(scope="module")
def moodle_out(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("moodle")
    ana = moodle_download_name("Ana Correct", 101)
    members = {
        f"{ana}/hw.ipynb": sample("ana_correct"),
        f"{ana}/hw-old.ipynb": sample("bruno_partly_wrong"),
        moodle_download_name("Bruno Wrong", 102, legacy=True) + "/hw.ipynb": sample("bruno_partly_wrong"),
        moodle_download_name("Fede Json", 103) + "_hw.ipynb": sample("fede_not_json"),
    }
    times = {f"{ana}/hw-old.ipynb": (2024, 10, 1, 8, 0, 0)}
    archive = write_zip(tmp / "NN101-Lab 3-42.zip", members, times)
    out = tmp / "out"
    result = invoke("grade", archive, "--out", out, "--jobs", 2)
    assert result.exit_code == 0, result.output
    (tmp / "Grades-NN101-Lab 3-42.csv").write_bytes(WORKSHEET.encode("utf-8"))
    return tmp, out


def test_grading_a_moodle_zip_names_students_and_logs_the_choice(moodle_out):
    _, out = moodle_out
    subs = {s["student"]: s for s in json.loads((out / "results.json").read_text())["submissions"]}
    assert set(subs) == {"Ana Correct_101", "Bruno Wrong_102", "Fede Json_103"}
    assert subs["Ana Correct_101"]["score"] == 30 and subs["Fede Json_103"]["status"] == "error"
    assert subs["Ana Correct_101"]["meta"]["lms"]["participant"] == "101"
    assert subs["Ana Correct_101"]["meta"]["intake"]["ignored"] == ["Ana Correct_101_assignsubmission_file/hw-old.ipynb"]
    assert "graded the newest" in (out / "grader.log").read_text()


def test_export_moodle_fills_the_worksheet_and_the_feedback_zip(moodle_out):
    tmp, out = moodle_out
    sheet = tmp / "Grades-NN101-Lab 3-42.csv"
    result = invoke("export", "--out", out, "--format", "moodle", "--worksheet", sheet)
    assert result.exit_code == 0, result.output
    written = out / "exports" / "moodle" / sheet.name
    assert str(written) in result.stdout
    rows = {r.participant: r for r in moodle_import_worksheet(written.read_bytes())}
    bruno = Decimal(json.loads((out / "results.json").read_text())["submissions"][1]["score"]) / 3
    assert rows[101].grade == Decimal("10.00") and rows[103].grade == Decimal("0.00")
    assert rows[102].grade == bruno.quantize(Decimal("0.01"))
    assert rows[102].modified == "Monday, 7 October 2024, 3:15 PM" and rows[104].grade is None
    original, new = WORKSHEET.encode("utf-8").split(b"\r\n"), written.read_bytes().split(b"\r\n")
    assert new[0] == original[0] and new[4:] == original[4:]  # header and Zoe untouched
    imported = moodle_import_feedback_zip((out / "exports" / "moodle" / "feedback.zip").read_bytes(), {101, 102, 103})
    assert sorted(p for p, _, _ in imported) == [101, 102, 103]


def test_export_moodle_legacy_folders_without_a_worksheet(moodle_out):
    _, out = moodle_out
    result = invoke("export", "--out", out, "--format", "moodle", "--folders", "legacy", "--lang", "es")
    assert result.exit_code == 0 and "no --worksheet" in result.stderr
    with zipfile.ZipFile(out / "exports" / "moodle" / "feedback.zip") as zf:
        assert "Ana Correct_101_assignsubmission_file_/grader-feedback.html" in zf.namelist()


def test_export_csv_json_and_gradescope(moodle_out):
    _, out = moodle_out
    for fmt in ("csv", "json", "gradescope"):
        assert invoke("export", "--out", out, "--format", fmt).exit_code == 0
    rows = list(csv.DictReader(io.StringIO((out / "exports" / "grades.csv").read_text())))
    assert {r["student"] for r in rows} == {"Ana Correct_101", "Bruno Wrong_102", "Fede Json_103"}
    data = json.loads((out / "exports" / "results.json").read_text())
    assert data["schema_version"] and data["exercise"] == "activations" and len(data["submissions"]) == 3
    files = sorted((out / "exports" / "gradescope").glob("*/results.json"))
    assert len(files) == 3
    for path in files:
        assert gradescope_check(json.loads(path.read_text())) == []


def test_a_canvas_download_with_a_roster_to_a_canvas_gradebook(tmp_path):
    names = {
        canvas_download_name("Correct, Ana", 98765, 5551234, "lab3.ipynb"): sample("ana_correct"),
        canvas_download_name("Wrong, Bruno", 98766, 5551240, "Lab 3.ipynb", late=True): sample("bruno_partly_wrong"),
        canvas_download_name(None, None, 5551301, "lab3.ipynb", anonymous_id="Xk29q"): sample("gabi_magics"),
    }
    archive = write_zip(tmp_path / "nn101-lab_3 submissions.zip", names)
    roster = tmp_path / "roster.csv"
    roster.write_text("student,lms_id,name,sis_login_id,section\ngabi,anon_Xk29q,\"Magic, Gabi\",gmagic,NN-101 B\n")
    out = tmp_path / "out"
    assert invoke("grade", archive, "--out", out, "--roster", roster, "--jobs", 2).exit_code == 0
    result = invoke("export", "--out", out, "--format", "canvas", "--column", "Lab 3 (48213)", "--points", 10)
    assert result.exit_code == 0, result.output
    imported = canvas_import_gradebook((out / "exports" / "canvas" / "gradebook.csv").read_bytes())
    assert imported.assignments == {48213: "Lab 3"} and imported.points == {48213: Decimal("10.00")}
    assert imported.scores["98765"] == {48213: Decimal(10)}
    assert set(imported.scores) == {"98765", "98766"}  # gabi: anonymous, the roster gives no user id
    assert "gabi" in result.stderr
    with zipfile.ZipFile(out / "exports" / "canvas" / "feedback.zip") as zf:
        attached = {canvas_reupload(n) for n in zf.namelist()}
    assert attached == {("98765", "5551234"), ("98766", "5551240")}
    subs = {s["student"]: s for s in json.loads((out / "results.json").read_text())["submissions"]}
    assert subs["wrongbruno_98766"]["meta"]["lms"]["late"] is True
    assert subs["gabi"]["meta"]["roster"]["section"] == "NN-101 B"


def test_a_roster_added_later_renames_nothing_and_regrades_nothing(tmp_path):
    (tmp_path / "s").mkdir()
    (tmp_path / "s" / "ana.ipynb").write_bytes(sample("ana_correct"))
    out = tmp_path / "out"
    assert invoke("grade", tmp_path / "s", "--out", out).exit_code == 0
    roster = tmp_path / "r.csv"
    roster.write_text("student,file,lms_id,name\nana,ana.ipynb,98765,\"Correct, Ana\"\n")
    again = invoke("grade", tmp_path / "s", "--out", out, "--roster", roster)
    assert again.exit_code == 0 and "graded 0, unchanged 1" in again.stderr
    assert invoke("export", "--out", out, "--format", "canvas", "--column", "Lab (7)").exit_code == 0
    imported = canvas_import_gradebook((out / "exports" / "canvas" / "gradebook.csv").read_bytes())
    assert imported.scores == {"98765": {7: Decimal(30)}} and imported.names["98765"] == "Correct, Ana"


@pytest.mark.parametrize("args, words", [
    (["--format", "csv"], "no gradebook here"),
    (["--format", "pdf"], "Invalid value"),
])
def test_export_needs_a_gradebook_and_a_known_format(tmp_path, args, words):
    result = CliRunner().invoke(main, ["export", "--out", str(tmp_path), *args])
    assert result.exit_code == 2 and words in result.output


@pytest.fixture()
def two_exercises(tmp_path):
    with Gradebook.in_folder(tmp_path) as book:
        book.save(make_result("ana", [(1, 1)]), "f")
        other = make_result("ana", [(1, 1)])
        book.save(other.__class__(**{**other.__dict__, "exercise": "losses"}), "f")
    return tmp_path


@pytest.mark.parametrize("args, words", [
    (["--format", "csv"], "several exercises (activations, losses); choose one with --exercise"),
    (["--format", "canvas", "--exercise", "activations"], "--column is required"),
    (["--format", "canvas", "--exercise", "activations", "--column", "Lab 3"], "'Title (id)'"),
    (["--format", "canvas", "--exercise", "activations", "--column", "Lab (1)", "--points", "0"], "Invalid value"),
    (["--format", "moodle", "--exercise", "activations", "--worksheet", "/nonexistent.csv"], "no such file"),
    (["--format", "csv", "--column", "Lab (1)"], "--column is for --format canvas, not csv"),
    (["--format", "canvas", "--worksheet", "w.csv", "--column", "Lab (1)"], "--worksheet is for --format moodle"),
])
def test_export_usage_errors_exit_2_with_one_line(two_exercises, args, words):
    result = CliRunner().invoke(main, ["export", "--out", str(two_exercises), *args])
    assert result.exit_code == 2 and words in result.output, result.output


def test_export_chooses_an_exercise(two_exercises):
    result = invoke("export", "--out", two_exercises, "--format", "json", "--exercise", "losses")
    assert result.exit_code == 0
    data = json.loads((two_exercises / "exports" / "results.json").read_text())
    assert data["exercise"] == "losses" and len(data["submissions"]) == 1


def test_a_worksheet_that_is_not_moodle_s(two_exercises, tmp_path):
    bad = tmp_path / "grades.csv"
    bad.write_text("student,score\nana,1\n")
    result = CliRunner().invoke(main, ["export", "--out", str(two_exercises), "--format", "moodle", "--exercise",
                                       "activations", "--worksheet", str(bad)])
    assert result.exit_code == 2 and "not a Moodle grading worksheet" in result.output


def test_gradescope_command_writes_the_autograder_zip(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = invoke("gradescope", "activations")
    assert result.exit_code == 0 and "activations-gradescope.zip" in result.output
    with zipfile.ZipFile(tmp_path / "activations-gradescope.zip") as zf:
        assert {"setup.sh", "run_autograder"} <= set(zf.namelist())
    result = invoke("gradescope", "activations", "--out", tmp_path / "ag.zip", "--lang", "es")
    assert result.exit_code == 0 and zipfile.is_zipfile(tmp_path / "ag.zip")
    assert CliRunner().invoke(main, ["gradescope", "no_such_exercise"]).exit_code == 2


def test_grade_refuses_a_zip_bomb_naming_the_file(tmp_path):
    archive = tmp_path / "bomb.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("x_1_assignsubmission_file/a.ipynb", b" " * (20 * 2**20))
    result = CliRunner().invoke(main, ["grade", str(archive), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2 and "bomb.zip" in result.output
    assert "x_1_assignsubmission_file/a.ipynb" in result.output and "zip bomb: it expands" in result.output
    assert not list((tmp_path / "out").rglob("a.ipynb"))
