"""Text and names a student controls: cleaned where they enter, unique where they name files."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from grader.errors import InputError
from grader.files import write_atomic
from grader.gradebook import Gradebook
from grader.i18n import Text
from grader.intake import intake
from grader.notebook import parse_notebook
from grader.report import report_name
from grader.results import CellIssue, SubmissionResult, TaskResult
from grader.results import TestResult as Outcome
from grader.untrusted import cap_bytes, clean, clean_data, file_stem, name_text

from .conftest import make_notebook

UNWRITABLE = ["\ud800", "\udfff", "\udcff", "a\ud83d", "\x00"]


def encodable(value: object) -> bool:
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return "\x00" not in json.dumps(value, ensure_ascii=False)


@pytest.mark.parametrize("bad", UNWRITABLE)
def test_clean_makes_any_string_writable_and_keeps_the_rest(bad):
    text = f"!echo {bad} hi ñ 😀"
    assert clean(text).encode("utf-8")
    assert clean(text).startswith("!echo ") and clean(text).endswith(" hi ñ 😀")
    assert "\x00" not in clean(text)


def test_clean_joins_a_surrogate_pair_and_leaves_clean_text_untouched():
    assert clean("a\ud83d\ude00b") == "a😀b"
    text = "ordinary text, ñ, 😀, tabs\tand\nlines"
    assert clean(text) is text or clean(text) == text
    assert clean_data({"k\ud800": ["\udcff", 1, None, {"x": "\x00"}]}) == {"k\ufffd": ["\ufffd", 1, None, {"x": "\ufffd"}]}


def test_clean_data_gives_back_clean_data_itself_and_walks_only_what_needs_it():
    data = {"a": [1, 2.5, None, "ñ 😀"], "b": {"c": "text"}}
    assert clean_data(data) is data
    written_out = {"c": "\\u0000 written out, not a NUL"}
    assert clean_data(written_out) == written_out
    assert clean_data({"a": ("x\x00", 1)}) == {"a": ("x\ufffd", 1)}
    assert clean_data([{"k": object}]) == [{"k": object}]  # not JSON: walked, left as it is


def test_name_text_keeps_different_bytes_different():
    a, b = os.fsdecode(b"ana\xff"), os.fsdecode(b"ana\xfe")
    assert name_text(a) != name_text(b)
    assert name_text(a) == "ana%FF" and name_text(b"x\xc3\xa9") == "xé"
    assert name_text(Path(os.fsdecode(b"dir\x80/f.ipynb"))) == "dir%80/f.ipynb"
    assert name_text("tab\tline\nbreak\x7f") == "tab%09line%0Abreak%7F"  # control characters too


def test_cap_bytes_never_cuts_a_character_in_half():
    assert cap_bytes("ééé", 5) == "éé" and cap_bytes("abc", 10) == "abc"
    assert len(cap_bytes("😀" * 100, 255).encode()) <= 255


# --- names derived from student ids --------------------------------------------------------------

def test_two_long_ids_alike_in_their_first_hundreds_of_characters_get_two_files():
    a, b = "x" * 300 + "a", "x" * 300 + "b"
    assert report_name(a) != report_name(b)
    assert len(report_name(a).encode()) <= 255 and len(report_name(b).encode()) <= 255
    # ids that do not need a digest are cut too, and still differ
    c, d = "é" * 200 + "1", "é" * 200 + "2"
    assert report_name(c) != report_name(d) and len(report_name(c).encode()) <= 255


@pytest.mark.parametrize("a, b", [
    ("ana lopez", "ana_lopez"),  # one slug
    ("Ana", "ana"),  # one file on case-insensitive file systems
    ("ana lopez", file_stem("ana lopez")),  # an id that spells another's file name
    ("con", "con_"),
    ("a/b", "a_b"),
    (os.fsdecode(b"ana\xff"), "ana%FF"),
])
def test_ids_that_look_alike_never_share_a_file(a, b):
    assert file_stem(a) != file_stem(b)
    assert file_stem(a).lower() != file_stem(b).lower()


@pytest.mark.parametrize("ident", ["ana", "ana_correct", "g1-x.2", "doejane_98765"])
def test_plain_ids_keep_their_own_name(ident):
    assert file_stem(ident) == ident and report_name(ident) == f"{ident}.html"


@pytest.mark.parametrize("ident", ["", ".", "..", "../x", "CON", "con.txt", "Ana", "a" * 101, "x\ud800", "é"])
def test_every_other_id_gets_a_safe_name(ident):
    stem = file_stem(ident)
    assert "~" in stem and "/" not in stem and stem not in (".", "..") and not stem.startswith(".")
    assert stem.encode("ascii") and len(stem.encode()) <= 120


def test_gradescope_export_folders_of_long_ids_stay_apart(tmp_path):
    from grader.export import ExportOptions, export

    results = [SubmissionResult(student="y" * 250 + s, file=f"{s}.ipynb", exercise="activations",
                                exercise_version="1", status="graded", max_score=1.0,
                                tasks=(TaskResult("t", Text("T", "T"), "function", (
                                    Outcome("v", "passed" if s == "a" else "failed", float(s == "a"), 1.0,
                                               "message", True, Text("m", "m")),)),))
               for s in ("a", "b")]
    with Gradebook.in_folder(tmp_path) as gradebook:
        for r in results:
            gradebook.save(r, "fp")
    written = export(tmp_path, ExportOptions(format="gradescope"))
    folders = {p.parent.name for p in written.files}
    assert len(folders) == 2
    scores = sorted(json.loads(p.read_text())["score"] for p in written.files)
    assert scores == [0, 1]


def test_released_notebooks_of_alike_ids_go_to_different_folders(tmp_path):
    from grader.library import load
    from grader.release import release

    written = release(load("activations"), tmp_path, ["ana lopez", "ana_lopez", "z" * 300])
    notebooks = [p for p in written if p.suffix == ".ipynb"]
    assert len({p.parent for p in notebooks}) == 3
    assert all(len(p.parent.name.encode()) <= 255 for p in notebooks)


# --- where text enters --------------------------------------------------------------------------

def _raw_notebook(cells: list[dict], metadata: dict) -> bytes:
    # json.dumps writes lone surrogates as \ud800 escapes, exactly as a hostile file would hold them
    return json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": metadata, "cells": cells}).encode()


def test_a_notebook_with_unwritable_text_everywhere_reads_as_valid_text(tmp_path):
    cells = [{"cell_type": "code", "metadata": {"tags": ["t\ud800"]}, "source": ["!echo \ud800 hi\n", "x = '\x00'"],
              "id": "id\udc80", "outputs": [{"text": "\ud800"}]},
             {"cell_type": "markdown", "metadata": {"tags": ["d_tanh"], "grader": {"prompt": "p\ud800"}},
              "source": "p\ud800 $1 - \\tanh(x)^2$ \ud800"}]
    metadata = {"grader": {"exercise": "activations", "student": "\ud800", "shuffle": {"q\ud800": [0]}},
                "kernelspec": {"name": "py\ud800"}}
    nb = parse_notebook(_raw_notebook(cells, metadata), tmp_path / "x.ipynb")
    assert all(c.source.encode() and "\x00" not in c.source for c in nb.cells)
    assert nb.cells[0].source.startswith("!echo \ufffd hi")
    assert encodable([c.tags for c in nb.cells]) and encodable([c.id for c in nb.cells])
    assert encodable(nb.cells[1].prompt) and encodable(nb.metadata)


def test_metadata_nested_beyond_reason_is_the_students_error_not_a_crash(tmp_path):
    deep: dict = {}
    node = deep
    for _ in range(900):
        node["a"] = {}
        node = node["a"]
    data = json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {"grader": deep}, "cells": []}).encode()
    try:
        nb = parse_notebook(data, tmp_path / "deep.ipynb")
    except InputError as exc:  # refused with a reason, or read: never a RecursionError
        assert "nested too deeply" in str(exc)
    else:
        assert nb.exercise_id is None


def test_file_and_folder_names_that_are_not_utf8_name_students_as_text(tmp_path):
    root = tmp_path / "in"
    folder = root / os.fsdecode(b"grupo\xff")
    folder.mkdir(parents=True)
    notebook = json.dumps(make_notebook(["x = 1"]))
    for name in (b"ana\xff.ipynb", b"ana\xfe.ipynb", b"ana%FF.ipynb"):
        (root / os.fsdecode(name)).write_text(notebook)
    (folder / "bea.ipynb").write_text(notebook)
    subs = intake(root)
    ids = [s.student for s in subs]
    assert len(ids) == len(set(ids)) == 4  # "ana%FF" the file and ana<0xff> stay two students
    assert all(encodable(s.student) and encodable(s.file) for s in subs)
    assert "grupo%FF/bea.ipynb" in next(s.file for s in subs if s.student == "bea")


# --- the result model and the writers ------------------------------------------------------------

def _dirty_result() -> SubmissionResult:
    test = Outcome(name="v\ud800", status="failed", score=0.0, max_score=1.0, visibility="traceback", public=True,
                      message=Text("raised ValueError: \udcff", "lanzó ValueError: \udcff"), got="'\ud800'",
                      traceback="Traceback \ud800\x00")
    return SubmissionResult(student="s", file="s.ipynb", exercise="activations", exercise_version="1",
                            status="graded", max_score=1.0,
                            tasks=(TaskResult("t", Text("T", "T"), "function", (test,)),),
                            cell_issues=(CellIssue(1, "error", Text("\ud800", "\ud800"), "tb \ud800"),),
                            stdout="printed \ud800\x00", meta={"note\ud800": "\udcff"})


def test_a_result_holding_what_a_student_printed_and_raised_is_cleaned_whole():
    dirty = _dirty_result()
    assert not encodable(dirty.to_dict())
    cleaned = dirty.cleaned()
    assert encodable(cleaned.to_dict()) and encodable(cleaned.export("en"))
    assert cleaned.score == dirty.score and cleaned.tasks[0].tests[0].got == "'\ufffd'"


def test_a_stored_row_with_unwritable_text_reads_back_clean(tmp_path):
    with Gradebook.in_folder(tmp_path) as gradebook:
        gradebook.save(_dirty_result(), "fp")  # the payload's JSON holds \ud800 escapes, as older graders stored
        (back,) = gradebook.all()
    assert encodable(back.to_dict())
    from grader.report import render_student

    render_student(back, Text("T", "T"), "en").encode("utf-8")


def test_write_atomic_writes_text_that_slipped_past_the_cleaning(tmp_path):
    write_atomic(tmp_path / "x.html", "before \ud800 after")
    assert (tmp_path / "x.html").read_text(encoding="utf-8") == "before \ufffd after"
