"""An instructor's marks file is read within bounds: no YAML alias expands, no file is too large."""

from __future__ import annotations

import time

import pytest

from grader.errors import InputError
from grader.manual import MAX_MARKS_BYTES, read_marks


def alias_bomb(students: int = 300, tasks: int = 100, criteria: int = 100) -> str:
    """A few KiB of YAML whose aliases make students * tasks * criteria marks (3 million here)."""
    lines = ["c: &c {" + ", ".join(f"c{i}: 1" for i in range(criteria)) + "}",
             "t: &t {" + ", ".join(f"t{i}: *c" for i in range(tasks)) + "}"]
    lines += [f"s{i}: *t" for i in range(students)]
    return "\n".join(lines) + "\n"


def test_an_alias_bomb_is_refused_at_once_naming_the_file(tmp_path):
    marks = tmp_path / "marks.yaml"
    marks.write_text(alias_bomb(), encoding="utf-8")
    assert marks.stat().st_size < 5000
    started = time.perf_counter()
    with pytest.raises(InputError) as caught:
        read_marks(marks)
    assert time.perf_counter() - started < 2
    assert "marks.yaml" in str(caught.value) and "alias" in str(caught.value)


@pytest.mark.parametrize("text", [
    "ana:\n  t1: &m {crit: 1}\n  t2: *m\n",  # a plain alias
    "base: &b {crit: 1}\nana:\n  t1:\n    <<: *b\n",  # a merge key, which is an alias too
    "ana: {t1: {crit: &p 1}}\nbea: {t1: {crit: *p}}\n",  # an alias of a scalar
])
def test_any_alias_is_refused(tmp_path, text):
    marks = tmp_path / "marks.yml"
    marks.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=r"marks\.yml: .*alias"):
        read_marks(marks)


def test_anchors_without_aliases_and_plain_marks_still_read(tmp_path):
    marks = tmp_path / "marks.yaml"
    marks.write_text("ana:\n  t1: &first {crit: 1.5, other: {points: 2, comment: good}}\n", encoding="utf-8")
    read = {(m.student, m.task, m.criterion): (m.points, m.comment) for m in read_marks(marks)}
    assert read == {("ana", "t1", "crit"): (1.5, ""), ("ana", "t1", "other"): (2.0, "good")}


@pytest.mark.parametrize("suffix", [".yaml", ".csv"])
def test_a_marks_file_over_the_size_cap_is_refused_before_it_is_read(tmp_path, suffix):
    marks = tmp_path / f"marks{suffix}"
    with marks.open("wb") as fh:
        fh.truncate(MAX_MARKS_BYTES + 1)  # sparse: costs no disk
    with pytest.raises(InputError, match=rf"marks\{suffix}: .*MiB limit"):
        read_marks(marks)


def test_yaml_nested_beyond_reason_is_an_input_error(tmp_path):
    marks = tmp_path / "deep.yaml"
    marks.write_text("[" * 5000 + "]" * 5000, encoding="utf-8")
    with pytest.raises(InputError, match="deep.yaml"):
        read_marks(marks)


def _result(student: str = "ana"):
    from grader.i18n import Text
    from grader.results import SubmissionResult, TaskResult, TestResult

    rubric = TestResult("clear", "pending", 0.0, 2.0, "message", False, Text("Awaiting", "Pendiente"), got="an answer")
    auto = TestResult("values", "failed", 0.0, 1.0, "message", True, Text("wrong at x=2", "mal en x=2"))
    return SubmissionResult(student, f"{student}.ipynb", "lab", "1", "graded", 3.0,
                            (TaskResult("t1", Text("Essay", "Ensayo"), "text", (rubric,)),
                             TaskResult("f1", Text("Sigmoid", "Sigmoide"), "function", (auto,))))


def test_every_change_of_a_mark_is_kept_in_the_history_and_the_table_holds_the_latest(tmp_path):
    from grader.manual import Mark, MarkStore

    db = tmp_path / "gradebook.sqlite"
    with MarkStore(db) as store:
        store.store("lab", [Mark("ana", "t1", "clear", 1.0, "first")], "marks.csv")
        store.store("lab", [Mark("ana", "t1", "clear", 2.0, "better")], "browser: bea")
        store.remove("lab", [("ana", "f1", "values")], "browser: bea")  # nothing there: only the history hears
        assert store.load() == {("ana", "lab"): {("t1", "clear"): (2.0, "better")}}
        [entry] = store.entries("lab")
        assert (entry.points, entry.source) == (2.0, "browser: bea")
        store.remove("lab", [("ana", "t1", "clear")], "browser: ana")
        assert store.load() == {} and store.entries("lab") == []
        assert [(h.points, h.comment, h.source) for h in store.history("lab", "ana")] == [
            (1.0, "first", "marks.csv"), (2.0, "better", "browser: bea"), (None, "", "browser: bea"),
            (None, "", "browser: ana")]
        assert [h.task for h in store.history("lab", "ana", "f1")] == ["f1"]


def test_a_mark_on_an_automatic_test_is_a_regrade_said_as_such():
    from grader.manual import apply_marks

    marked = apply_marks(_result(), {("ana", "lab"): {("t1", "clear"): (1.5, "good"),
                                                     ("f1", "values"): (1.0, "x=2 was out of the domain")}})
    rubric, auto = marked.tasks[0].tests[0], marked.tasks[1].tests[0]
    assert (rubric.score, rubric.status, rubric.message.en) == (1.5, "failed", "Marked by your instructor. good")
    assert (auto.score, auto.status) == (1.0, "passed")
    assert auto.message.en == ("Regraded by your instructor: x=2 was out of the domain (the automatic check gave 0 "
                               "of 1).")
    assert auto.message.es.startswith("Revisado por tu profesor: x=2")
    assert marked.meta["marks"] == [
        {"task": "t1", "test": "clear", "points": 1.5, "comment": "good", "regraded": False},
        {"task": "f1", "test": "values", "points": 1.0, "comment": "x=2 was out of the domain", "regraded": True,
         "automatic": 0.0}]
    from grader.i18n import Text
    from grader.report import render_student

    page = render_student(marked, Text("Lab", "Práctica"), "en")
    assert "Regraded" in page and "x=2 was out of the domain" in page and "the automatic check gave 0 of 1" in page


def test_exports_lay_the_stored_marks_over_the_results(tmp_path):
    import json

    from grader.export import ExportOptions, export
    from grader.gradebook import Gradebook
    from grader.manual import Mark, MarkStore

    with Gradebook.in_folder(tmp_path) as gradebook:
        gradebook.save(_result(), "print")
    assert json.loads(export(tmp_path, ExportOptions("json")).files[0].read_text())["submissions"][0]["score"] == 0
    with MarkStore(tmp_path / "gradebook.sqlite") as store:
        store.store("lab", [Mark("ana", "t1", "clear", 2.0)], "browser: bea")
    data = json.loads(export(tmp_path, ExportOptions("json")).files[0].read_text())
    assert data["submissions"][0]["score"] == 2
    assert "ana,2,3,graded" in export(tmp_path, ExportOptions("csv")).files[0].read_text()
