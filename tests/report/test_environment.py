"""Problems of the grading environment in the pages: once on the class page, with how many notebooks
met each and what fixes it; in a student's report, a note that it was not their mistake, never an
item of "what to fix first"."""

from __future__ import annotations

import re
from dataclasses import replace
from html import unescape

import pytest

from grader.i18n import Text
from grader.instructor import after_note, student_note
from grader.report import render_index, render_student
from grader.results import CellIssue, EnvironmentIssue, SubmissionResult

from .samples import bruno, passing

TITLE = Text("Lab 2", "Práctica 2")
HELPER = EnvironmentIssue(3, "module", "testCases_v2",
                          Text("the helper module `testCases_v2` was not found",
                               "no se encontró el módulo auxiliar `testCases_v2`"),
                          Text("Put testCases_v2.py in the exercise's files/ folder.",
                               "Pon testCases_v2.py en la carpeta files/ del ejercicio."))
DATA = EnvironmentIssue(5, "file", "datasets/train.h5", Text("the data file `datasets/train.h5` was not found",
                                                             "no se encontró el archivo de datos `datasets/train.h5`"),
                        Text("Put it in files/datasets/train.h5.", "Ponlo en files/datasets/train.h5."))


def met(result: SubmissionResult, *issues: EnvironmentIssue, after: int | None = None) -> SubmissionResult:
    notes = [CellIssue(i.cell, "environment", student_note(i)) for i in issues]
    if after is not None:
        notes.append(CellIssue(after, "environment", after_note(issues[0].cell)))
    cells = tuple(sorted(result.cell_issues + tuple(notes), key=lambda c: c.cell))
    return replace(result, environment=tuple(issues), cell_issues=cells)


def text(html: str) -> str:
    plain = re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))
    return re.sub(r" ([:,.])", r"\1", plain)


def section(html: str, ident: str) -> str:
    match = re.search(rf'<section id="{ident}".*?</section>', html, re.DOTALL)
    return text(match.group(0)) if match else ""


def test_the_class_page_shows_each_problem_once_with_its_count_cells_students_and_fix():
    results = [met(passing(f"s{k}"), HELPER, DATA) for k in range(20)] + [met(passing("t"), HELPER)] + \
        [met(passing("u"), replace(HELPER, cell=4)), passing("v"), bruno()]
    html = render_index(results, "Lab 2", "en", {r.student: f"reports/{r.student}.html" for r in results})
    env = section(html, "environment")
    assert env.count("22 notebooks: the helper module `testCases_v2` was not found (cells 3, 4)") == 1
    assert env.count("20 notebooks: the data file `datasets/train.h5` was not found (cell 5)") == 1
    assert env.index("22 notebooks") < env.index("20 notebooks")  # the most common first
    assert "Fix: Put testCases_v2.py in the exercise's files/ folder." in env
    assert "s0, s1" in env and ", u" in env and "bruno" not in env and " v," not in env
    assert html.count("testCases_v2` was not found") == 1
    # Nobody's mistake: not among the common mistakes, not in the flags.
    assert "testCases_v2" not in section(html, "mistakes") + section(html, "flagged")


def test_one_notebook_reads_in_the_singular_and_spanish_speaks_spanish():
    html = render_index([met(passing("ana"), DATA)], "Lab 2", "es", {})
    env = section(html, "environment")
    assert "1 cuaderno: no se encontró el archivo de datos `datasets/train.h5` (celda 5)" in env
    assert "El entorno de corrección" in env and "Solución: Ponlo en files/datasets/train.h5." in env


def test_a_class_without_such_problems_has_no_environment_section():
    assert 'id="environment"' not in render_index([passing("ana"), bruno()], "Lab 2", "en", {})


@pytest.mark.parametrize("lang", ["en", "es"])
def test_a_report_says_it_was_not_the_students_mistake_and_keeps_it_out_of_what_to_fix_first(lang):
    html = render_student(met(passing("ana"), HELPER, after=7), TITLE, lang)
    fix = section(html, "fix-first")
    assert "testCases_v2" not in fix and "7" not in fix
    assert ("All tests passed" if lang == "en" else "Todas las pruebas superadas") in fix
    cells = section(html, "cells")
    if lang == "en":
        assert "Cell 3 · not your mistake" in cells and "the helper module `testCases_v2` was not found" in cells
        assert "This is not a mistake of yours; your instructor has been told." in cells
        assert "Cell 7 · not your mistake This cell could not run because cell 3 could not" in cells
    else:
        assert "Celda 3 · no es un error tuyo" in cells and "No es un error tuyo; tu profesor ya lo sabe." in cells
    # A student's own error beside it still comes first among what to fix.
    own = render_student(met(bruno(), HELPER), TITLE, lang)
    assert "NameError" in section(own, "fix-first") and "testCases_v2" not in section(own, "fix-first")


def test_environment_problems_survive_the_gradebook_and_reach_results_json():
    result = met(passing("ana"), HELPER, DATA)
    assert SubmissionResult.from_dict(result.to_dict()) == result
    exported = result.export("es")
    assert exported["environment"][1] == {"cell": 5, "problem": "file", "name": "datasets/train.h5",
                                          "message": "no se encontró el archivo de datos `datasets/train.h5`",
                                          "fix": "Ponlo en files/datasets/train.h5.", "given": True}
    assert "first_error" not in exported  # a note of the environment is no error of the student's
    assert "environment" not in passing("ana").export("en")
    old = passing("ana").to_dict()
    del old["environment"]  # a row stored before environments were recorded
    assert SubmissionResult.from_dict(old).environment == ()
