"""Intake of Moodle and Canvas downloads (zips and folders), rosters, duplicates and late marks."""

from __future__ import annotations

import os
import time

import pytest

from grader.errors import InputError
from grader.intake import intake, refresh_meta
from grader.lms.names import parse_canvas, parse_moodle

from .conftest import NOTEBOOK, write_zip
from .platforms import canvas_download_name, moodle_download_name


def by_student(subs):
    return {s.student: s for s in subs}


def touch(path, when=None, text=NOTEBOOK):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    if when is not None:
        os.utime(path, (when, when))
    return path


def test_moodle_zip_in_both_folder_forms_and_flat(tmp_path):
    members = {
        moodle_download_name("Jane Doe", 1734024) + "/hw3.ipynb": NOTEBOOK,  # Moodle ≥ 4.1
        moodle_download_name("John Roe", 1734025, legacy=True) + "/sub/hw3.ipynb": NOTEBOOK,  # 3.1–4.0
        moodle_download_name("Ann_Underscore", 1734026) + "_hw3.ipynb": NOTEBOOK,  # flat layout
        moodle_download_name("Pat Online", 1734027, "assignsubmission_onlinetext") + "/onlinetext.html": "<p>",
    }
    log = []
    subs = by_student(intake(write_zip(tmp_path / "COURSE-HW3-42.zip", members), tmp_path / "out", log=log.append))
    assert set(subs) == {"Jane Doe_1734024", "John Roe_1734025", "Ann Underscore_1734026"}
    jane = subs["Jane Doe_1734024"]
    assert jane.meta["lms"] == {"platform": "moodle", "participant": "1734024", "name": "Jane Doe",
                                "plugin": "assignsubmission_file", "folder": "Jane Doe_1734024_assignsubmission_file",
                                "file": "hw3.ipynb"}
    assert jane.path.is_relative_to(tmp_path / "out" / "submissions" / "COURSE-HW3-42")
    assert subs["John Roe_1734025"].meta["lms"]["file"] == "sub/hw3.ipynb"
    assert subs["Ann Underscore_1734026"].meta["lms"]["file"] == "hw3.ipynb"
    assert log == []


def test_moodle_unzipped_folder_with_blind_marking(tmp_path):
    touch(tmp_path / "dl" / "Participant_77_assignsubmission_file" / "a.ipynb")
    touch(tmp_path / "dl" / "Participant_78_assignsubmission_file_" / "b.ipynb")
    subs = by_student(intake(tmp_path / "dl"))
    assert set(subs) == {"Participant_77", "Participant_78"}
    assert subs["Participant_78"].meta["lms"]["participant"] == "78"


def test_moodle_duplicates_keep_the_newest_and_say_so(tmp_path):
    folder = moodle_download_name("Jane Doe", 5)
    members = {f"{folder}/draft.ipynb": NOTEBOOK, f"{folder}/final.ipynb": NOTEBOOK, f"{folder}/zz_old.ipynb": NOTEBOOK}
    times = {f"{folder}/draft.ipynb": (2024, 10, 1, 9, 0, 0), f"{folder}/final.ipynb": (2024, 10, 6, 23, 0, 0),
             f"{folder}/zz_old.ipynb": (2024, 9, 1, 9, 0, 0)}
    log = []
    subs = intake(write_zip(tmp_path / "d.zip", members, times), tmp_path / "out", log=log.append)
    assert len(subs) == 1 and subs[0].path.name == "final.ipynb"
    assert subs[0].meta["intake"] == {"kept": f"{folder}/final.ipynb", "rule": "newest",
                                      "ignored": [f"{folder}/zz_old.ipynb", f"{folder}/draft.ipynb"]}
    assert len(log) == 1 and "graded the newest" in log[0] and "final.ipynb" in log[0]


def test_canvas_names_late_markers_and_anonymous(tmp_path):
    names = [
        canvas_download_name("Doe, Jane", 98765, 5551234, "lab3_backprop.ipynb"),
        canvas_download_name("Smith, John", 98766, 5551240, "Lab3.ipynb", late=True),
        canvas_download_name("Old, Timer", 98767, 5551250, "lab3.ipynb", late=True, old=True),
        canvas_download_name(None, None, 5551301, "lab3.ipynb", anonymous_id="Xk29q"),
        canvas_download_name(None, None, 5551302, "lab3.ipynb", late=True, anonymous_id="Qp7Zr"),
        canvas_download_name("O'Brien_2_, Ann", 98768, 5551260, "x 1_2.ipynb"),
    ]
    assert names[:4] == ["doejane_98765_5551234_lab3_backprop.ipynb", "smithjohn_LATE_98766_5551240_Lab3.ipynb",
                         "oldtimer_late_98767_5551250_lab3.ipynb", "anon_Xk29q_5551301_lab3.ipynb"]
    for name in names:
        touch(tmp_path / "canvas" / name)
    subs = by_student(intake(tmp_path / "canvas"))
    assert set(subs) == {"doejane_98765", "smithjohn_98766", "oldtimer_98767", "anon_Xk29q", "anon_Qp7Zr",
                         "obrien2ann_98768"}
    assert subs["doejane_98765"].meta["lms"] == {"platform": "canvas", "name": "doejane", "user_id": "98765",
                                                 "attachment_id": "5551234", "late": False,
                                                 "file": "lab3_backprop.ipynb"}
    assert subs["smithjohn_98766"].meta["lms"]["late"] is True
    assert subs["oldtimer_98767"].meta["lms"]["late"] is True
    anon = subs["anon_Qp7Zr"].meta["lms"]
    assert anon["anonymous_id"] == "Qp7Zr" and anon["late"] is True and "user_id" not in anon
    assert subs["obrien2ann_98768"].meta["lms"]["file"] == "x 1_2.ipynb"


def test_canvas_duplicates_keep_the_highest_attachment_id(tmp_path):
    now = time.time()
    touch(tmp_path / "c" / "doejane_98765_5551234_lab3.ipynb", when=now)  # older upload, newer file time
    touch(tmp_path / "c" / "doejane_98765_5551299_lab3-1.ipynb", when=now - 3600)
    touch(tmp_path / "c" / "doejane_LATE_98765_5551300_lab3-2.ipynb", when=now - 7200)
    subs = intake(tmp_path / "c")
    assert len(subs) == 1 and subs[0].student == "doejane_98765"
    assert subs[0].meta["lms"]["attachment_id"] == "5551300" and subs[0].meta["lms"]["late"] is True
    assert len(subs[0].meta["intake"]["ignored"]) == 2


def test_a_plain_folder_is_named_exactly_as_before(tmp_path):
    for name in ("ana.ipynb", "bruno_2024_01_hw.ipynb", "g1/carla.ipynb", "g2/carla.ipynb"):
        touch(tmp_path / "s" / name)
    subs = intake(tmp_path / "s")
    assert sorted(s.student for s in subs) == ["ana", "bruno_2024_01_hw", "g1/carla", "g2/carla"]
    assert all("lms" not in s.meta for s in subs)
    assert by_student(subs)["g1/carla"].meta == {"identity": "path", "duplicate_stem": "carla"}
    assert by_student(subs)["ana"].meta == {}


def test_canvas_names_are_only_trusted_when_every_file_has_one(tmp_path):
    touch(tmp_path / "s" / "doejane_98765_5551234_lab3.ipynb")
    touch(tmp_path / "s" / "zoe.ipynb")
    assert sorted(s.student for s in intake(tmp_path / "s")) == ["doejane_98765_5551234_lab3", "zoe"]


def test_a_roster_names_plain_files_and_anonymous_canvas_students(tmp_path):
    touch(tmp_path / "s" / "hw (1).ipynb")
    touch(tmp_path / "s" / "anon_Xk29q_5551301_lab3.ipynb")
    touch(tmp_path / "s" / "anon_Yy11a_5551302_lab3.ipynb")
    roster = tmp_path / "roster.csv"
    roster.write_text("\ufeffStudent;File;LMS_ID;Name;Email;SIS_Login_ID;Section;Notes\n"
                      "ana;hw (1);;Ana Pérez;ana@example.edu;apz;A;x\n"
                      "jane;;anon_Xk29q;Doe, Jane;;jdoe;B;\n"
                      "nobody;;12345;No Body;;;;\n", encoding="utf-8")
    log = []
    subs = by_student(intake(tmp_path / "s", roster=roster, log=log.append))
    assert set(subs) == {"ana", "jane", "anon_Yy11a"}
    assert subs["ana"].meta["roster"] == {"student": "ana", "file": "hw (1)", "name": "Ana Pérez",
                                          "email": "ana@example.edu", "sis_login_id": "apz", "section": "A"}
    assert subs["jane"].meta["lms"]["anonymous_id"] == "Xk29q"
    assert subs["jane"].meta["roster"]["lms_id"] == "anon_Xk29q"
    assert any("no row for anon_Yy11a_5551302_lab3.ipynb" in note for note in log)
    assert any("no submission for nobody" in note for note in log)


def test_a_roster_matches_moodle_participants_by_lms_id(tmp_path):
    touch(tmp_path / "m" / "Jane Doe_1734024_assignsubmission_file" / "hw.ipynb")
    roster = tmp_path / "r.csv"
    roster.write_text("student,lms_id,email\njdoe,1734024,jane@example.edu\n")
    (sub,) = intake(tmp_path / "m", roster=roster)
    assert sub.student == "jdoe" and sub.meta["lms"]["participant"] == "1734024"


def _roster_intake(tmp_path, rows: str):
    roster = tmp_path / "roster.csv"
    roster.write_text(rows, encoding="utf-8")
    log, notices = [], []
    subs = by_student(intake(tmp_path / "s", roster=roster, log=log.append, notice=notices.append))
    return subs, log, [n.en for n in notices]


def test_a_file_planted_in_another_folder_never_takes_a_roster_row(tmp_path):
    now = time.time()
    touch(tmp_path / "s" / "ana_lab.ipynb", now - 3600)
    touch(tmp_path / "s" / "mallory" / "ana_lab.ipynb", now)  # newer than Ana's own
    subs, log, notices = _roster_intake(tmp_path, "student,file\nana,ana_lab.ipynb\n")
    assert "ana" not in subs  # neither file is taken as Ana's
    assert {s.path.relative_to(tmp_path / "s").as_posix() for s in subs.values()} == \
        {"ana_lab.ipynb", "mallory/ana_lab.ipynb"}  # both graded, under their own names
    assert len(notices) == 1 and "ana" in notices[0] and "mallory/ana_lab.ipynb" in notices[0]
    assert notices[0] in log


def test_a_stem_that_several_files_share_is_ambiguous(tmp_path):
    touch(tmp_path / "s" / "g1" / "hw.ipynb")
    touch(tmp_path / "s" / "g2" / "hw.ipynb")
    touch(tmp_path / "s" / "bea.ipynb")
    subs, _, notices = _roster_intake(tmp_path, "student,file\nana,hw\nbea,bea.ipynb\n")
    assert set(subs) == {"g1/hw", "g2/hw", "bea"}
    assert subs["bea"].meta["roster"]["student"] == "bea"  # an unambiguous row still names its file
    assert any("fits 2 notebooks" in n for n in notices)


def test_a_file_that_fits_two_rows_is_taken_by_neither(tmp_path):
    touch(tmp_path / "s" / "lab.ipynb")
    subs, _, notices = _roster_intake(tmp_path, "student,file\nana,lab.ipynb\nbea,lab\n")
    assert set(subs) == {"lab"} and "roster" not in subs["lab"].meta
    assert any("ana, bea" in n for n in notices)


def test_a_row_known_by_lms_id_is_not_taken_again_by_a_file_name(tmp_path):
    now = time.time()
    touch(tmp_path / "s" / "Ana Lopez_101_assignsubmission_file" / "ana_lab.ipynb", now - 3600)
    touch(tmp_path / "s" / "Mallory X_102_assignsubmission_file" / "ana_lab.ipynb", now)
    subs, _, notices = _roster_intake(tmp_path, "student,file,lms_id\nana,ana_lab.ipynb,101\n")
    assert subs["ana"].path.parent.name.startswith("Ana Lopez_101")
    assert "Mallory X_102" in subs and any("Mallory X_102" in n for n in notices)


def test_a_row_naming_a_path_picks_that_file_only(tmp_path):
    touch(tmp_path / "s" / "ana" / "lab.ipynb")
    touch(tmp_path / "s" / "mallory" / "lab.ipynb")
    subs, _, notices = _roster_intake(tmp_path, "student,file\nana,ana/lab.ipynb\n")
    assert subs["ana"].path.parent.name == "ana" and notices == []


@pytest.mark.parametrize("text, words", [
    ("name,email\nana,a@x\n", "needs a 'student' column"),
    ("student,file\n,ana.ipynb\n", "line 2: no student"),
    ("student,file,lms_id\nana,,\n", "neither a file nor an lms_id"),
    ("student,file\nana,a.ipynb\nana,b.ipynb\n", "appears twice"),
])
def test_roster_mistakes_are_input_errors_naming_the_file(tmp_path, text, words):
    touch(tmp_path / "s" / "a.ipynb")
    roster = tmp_path / "roster.csv"
    roster.write_text(text)
    with pytest.raises(InputError, match=words) as caught:
        intake(tmp_path / "s", roster=roster)
    assert "roster.csv" in str(caught.value)


def test_a_zip_without_an_output_folder_or_notebooks(tmp_path):
    archive = write_zip(tmp_path / "d.zip", {"readme.txt": "no notebooks"})
    with pytest.raises(InputError, match="output folder"):
        intake(archive)
    with pytest.raises(InputError, match="no notebooks"):
        intake(archive, tmp_path / "out")


def test_refresh_meta_replaces_identity_and_keeps_the_rest():
    stored = {"isolation": "full", "lms": {"platform": "canvas"}, "roster": {"student": "x"}}
    assert refresh_meta(stored, {"lms": {"platform": "moodle"}}) == {"isolation": "full",
                                                                      "lms": {"platform": "moodle"}}


@pytest.mark.parametrize("path, expected", [
    ("Jane Doe_1734024_assignsubmission_file/hw3.ipynb", ("Jane Doe", "1734024", "hw3.ipynb")),
    ("Jane Doe_1734024_assignsubmission_file_/a/b.ipynb", ("Jane Doe", "1734024", "a/b.ipynb")),
    ("Jane Doe_1734024_assignsubmission_file_hw3_v2.ipynb", ("Jane Doe", "1734024", "hw3_v2.ipynb")),
    ("wrapper/Jane Doe_1734024_assignsubmission_file/hw3.ipynb", ("Jane Doe", "1734024", "hw3.ipynb")),
    ("Jane Doe_x_assignsubmission_file/hw3.ipynb", None),
    ("Jane Doe_1734024_homework_file/hw3.ipynb", None),
    ("ana.ipynb", None),
])
def test_moodle_name_parsing(path, expected):
    found = parse_moodle(path)
    assert (found and (found.name, found.participant, found.file)) == expected or (found is None and expected is None)


@pytest.mark.parametrize("name, expected", [
    ("doejane_98765_5551234_lab3_backprop.ipynb", ("doejane", "98765", "5551234", False, "lab3_backprop.ipynb")),
    ("smithjohn_LATE_98766_5551240_Lab3.ipynb", ("smithjohn", "98766", "5551240", True, "Lab3.ipynb")),
    ("LATE_anon_Xk29q_5551301_x.ipynb", ("", None, "5551301", True, "x.ipynb")),
    ("late_98765_5551234_x.ipynb", ("late", "98765", "5551234", False, "x.ipynb")),
    ("ana_98765_x.ipynb", None),
    ("98765_5551234_x.ipynb", None),
    ("ana.ipynb", None),
])
def test_canvas_name_parsing(name, expected):
    found = parse_canvas(name)
    got = found and (found.name, found.user_id, found.attachment_id, found.late, found.file)
    assert got == expected or (found is None and expected is None)
