"""Whose is an error: the student's, an instructor's cell meant to raise, or the grading environment's.

These tests feed the attribution the sandbox's plain results directly (no process runs), so each
rule is seen on its own: ownership by code, not by ids or tags; environment problems by kind;
consequences of an environment failure; the student's own mistakes untouched.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from grader.exercise import Exercise
from grader.i18n import Text
from grader.instructor import Context, attribute, cell_key, template_from
from grader.sandbox import CellRun, ErrorInfo, Execution, Output

IMPORTS = "import numpy as np\nimport h5py\nfrom lr_utils import load_dataset, sigmoid\nfrom testCases_v2 import *"
LOAD = "train_x, train_y, test_x, test_y, classes = load_dataset()"
DEMO = "# A shape mismatch, on purpose\nnp.dot(np.ones((3, 1)), np.ones((4, 1)))"
CHECK = "print(propagate_test_case())\nassert propagate(1, 2) == 3"
SOLUTION = "def propagate(w, b):\n    # BEGIN SOLUTION\n    return w + b\n    # END SOLUTION"
PURE = "banner = 'cats'\nraise ValueError('the instructor made a mistake')"


def solution_notebook() -> dict:
    def code(source: str, tags: tuple[str, ...] = ()) -> dict:
        return {"cell_type": "code", "metadata": {"tags": list(tags)}, "source": source, "outputs": [],
                "execution_count": None}

    return {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "markdown", "metadata": {}, "source": "# Cats"},
        code(IMPORTS), code(LOAD), code(DEMO, ("raises-exception",)), code(SOLUTION), code(CHECK), code(PURE),
        code("helper_total = 0\n# BEGIN SOLUTION\nmy_scale = 2.0\n# END SOLUTION"),
    ]}


@pytest.fixture()
def exercise(tmp_path: Path) -> Exercise:
    folder = tmp_path / "lab"
    (folder / "files" / "datasets").mkdir(parents=True)
    (folder / "files" / "lr_utils.py").write_text(
        "import h5py\nTRAIN = 'datasets/train.h5'\ndef load_dataset():\n    pass\ndef sigmoid(z):\n    pass\n")
    (folder / "files" / "datasets" / "train.h5").write_bytes(b"\x89HDF")
    (folder / "solution.ipynb").write_text(json.dumps(solution_notebook()))
    return Exercise(id="lab", version="1", title=Text("Lab", "Lab"), tasks=(), requires=("numpy", "h5py", "sklearn"),
                    path=str(folder))


def run(cells: list[str], errors: dict[int, tuple[str, str] | tuple[str, str, str]]) -> tuple[list, Execution]:
    """Cells numbered from 1 (cell 0 is the markdown title); `errors` maps a cell to its error."""
    numbered = [(k + 1, src) for k, src in enumerate(cells)]
    runs = {}
    for index, _ in numbered:
        if index in errors:
            kind, message, *tb = errors[index]
            runs[index] = CellRun(index, "error", error=ErrorInfo(kind, message, tb[0] if tb else ""))
        else:
            runs[index] = CellRun(index, "ok")
    empty = Output("", 0, False)
    return numbered, Execution(runs, {}, empty, empty, 1, 0.1, 0.1, "full")


def attribution(exercise: Exercise, cells: list[str], errors: dict, targets: tuple[str, ...] = ("propagate",)):
    numbered, execution = run(cells, errors)
    return attribute(numbered, execution, Context.of(exercise, targets))


STUDENT = "def propagate(w, b):\n    return w + b"


def test_a_missing_helper_module_in_a_given_cell_is_the_environments_and_what_follows_from_it_too(exercise):
    cells = [IMPORTS, LOAD, DEMO, STUDENT, CHECK, "total = banner_count"]
    found = attribution(exercise, cells, {
        1: ("ModuleNotFoundError", "No module named 'testCases_v2'"),
        5: ("NameError", "name 'propagate_test_case' is not defined"),  # it was to come from `import *`
    })
    [issue] = found.issues
    assert (issue.cell, issue.problem, issue.name, issue.given) == (2, "module", "testCases_v2", True)
    assert "helper module `testCases_v2` was not found" in issue.message.en
    assert "testCases_v2.py" in issue.fix.en and str(Path(exercise.path) / "files") in issue.fix.en
    assert found.after == {5: 1}


def test_the_student_who_never_defines_a_function_keeps_that_error_even_after_an_environment_failure(exercise):
    found = attribution(exercise, [IMPORTS, LOAD, DEMO, "x = 1", CHECK], {
        1: ("ModuleNotFoundError", "No module named 'testCases_v2'"),
        5: ("NameError", "name 'propagate' is not defined"),
    })
    assert 5 not in found.after and 5 not in found.environment


def test_a_data_file_missing_in_a_given_cell_is_named_with_where_it_belongs(exercise):
    message = ("[Errno 2] Unable to synchronously open file (unable to open file: name = 'datasets/test.h5', "
               "errno = 2, error message = 'No such file or directory', flags = 0, o_flags = 0)")
    found = attribution(exercise, [IMPORTS, LOAD], {2: ("FileNotFoundError", message)})
    [issue] = found.issues
    assert (issue.problem, issue.name) == ("file", "datasets/test.h5")
    assert issue.message.en == "the data file `datasets/test.h5` was not found"
    assert str(Path(exercise.path) / "files" / "datasets" / "test.h5") in issue.fix.en


def test_a_shipped_file_the_notebook_cannot_open_is_the_environments_even_in_the_students_cell(exercise):
    mine = "with h5py.File('./datasets/train.h5') as f:\n    x = f['x'][:]"
    found = attribution(exercise, [IMPORTS, mine],
                        {2: ("FileNotFoundError", "[Errno 2] No such file or directory: './datasets/train.h5'")})
    [issue] = found.issues
    assert (issue.problem, issue.name, issue.given) == ("file", "datasets/train.h5", False)
    assert "is in the exercise's files/ folder" in issue.message.en


def test_a_path_of_the_students_own_making_stays_their_mistake(exercise):
    mine = "data = open('my_notes/cats.txt').read()"
    found = attribution(exercise, [IMPORTS, mine],
                        {2: ("FileNotFoundError", "[Errno 2] No such file or directory: 'my_notes/cats.txt'")})
    assert not found.issues and not found.after and not found.expected


def test_a_required_package_missing_is_the_environments_with_the_install_command(exercise):
    found = attribution(exercise, ["from sklearn.linear_model import LogisticRegression"],
                        {1: ("ModuleNotFoundError", "No module named 'sklearn'")})
    [issue] = found.issues
    assert issue.message.en == "the package `sklearn` is not installed"
    assert "-m pip install scikit-learn" in issue.fix.en and not issue.given


def test_a_module_the_course_never_offered_stays_the_students_mistake(exercise):
    found = attribution(exercise, ["import tensorflow_addons_typo"],
                        {1: ("ModuleNotFoundError", "No module named 'tensorflow_addons_typo'")})
    assert not found.issues


def test_an_installed_module_the_notebook_cannot_import_is_the_environments_wherever_it_is_imported(exercise):
    found = attribution(exercise, ["import sympy.tensor.tensor"],
                        {1: ("ModuleNotFoundError", "No module named 'sympy.tensor.tensor'")})
    [issue] = found.issues
    assert "is installed where grading runs but could not be imported" in issue.message.en


def test_a_missing_part_of_a_package_that_is_there_is_the_students_unless_a_given_cell_wants_it(exercise):
    found = attribution(exercise, ["import h5py.no_such_part", "from lr_utils.nothing import x"], {
        1: ("ModuleNotFoundError", "No module named 'h5py.no_such_part'"),
        2: ("ModuleNotFoundError", "No module named 'lr_utils.nothing'; 'lr_utils' is not a package")})
    assert not found.issues
    old_api = "from sklearn.cross_validation import train_test_split"
    notebook = solution_notebook()
    notebook["cells"].append({"cell_type": "code", "metadata": {}, "source": "import json.no_such_part"})
    (Path(exercise.path) / "solution.ipynb").write_text(json.dumps(notebook))
    found = attribution(exercise, ["import json.no_such_part", old_api],
                        {1: ("ModuleNotFoundError", "No module named 'json.no_such_part'"),
                         2: ("ModuleNotFoundError", "No module named 'sklearn'")})
    assert [(i.cell, i.name) for i in found.issues] == [(2, "json.no_such_part"), (3, "sklearn")]
    assert "another version of json" in found.issues[0].fix.en


def test_importing_the_graders_own_code_stays_the_students_mistake(exercise):
    found = attribution(exercise, ["from reference.activations import sigmoid", "import grader.checks"],
                        {1: ("ModuleNotFoundError", "No module named 'reference'"),
                         2: ("ModuleNotFoundError", "No module named 'grader'")})
    assert not found.issues  # installed where grading runs, and kept from notebooks on purpose


def test_a_given_cell_tagged_raises_exception_may_raise_and_the_tag_is_the_exercises_not_the_students(exercise):
    reformatted = "np.dot(np.ones((3, 1)),\n       np.ones((4, 1)))   # shapes do not match"
    found = attribution(exercise, [IMPORTS, LOAD, reformatted, "np.dot(np.ones((2, 1)), np.ones((4, 1)))"], {
        3: ("ValueError", "shapes (3,1) and (4,1) not aligned"),
        4: ("ValueError", "shapes (2,1) and (4,1) not aligned"),  # the student's own code: theirs
    })
    assert found.expected == {3}
    assert 4 not in found.environment and 4 not in found.after


def test_an_edited_given_cell_is_the_students(exercise):
    edited = IMPORTS.replace("from testCases_v2 import *", "from testCase_v2 import *")
    found = attribution(exercise, [edited], {1: ("ModuleNotFoundError", "No module named 'testCase_v2'")})
    assert not found.issues


def test_a_given_cell_that_calls_the_students_code_fails_for_the_student(exercise):
    found = attribution(exercise, [IMPORTS, LOAD, DEMO, STUDENT, CHECK], {5: ("AssertionError", "")})
    assert not found.issues and not found.after
    traced = 'File "<cell 6>", line 2, in <module>\nFile "<cell 5>", line 2, in propagate\nTypeError: bad'
    found = attribution(exercise, [IMPORTS, LOAD, DEMO, STUDENT, PURE], {5: ("TypeError", "bad", traced)})
    assert not found.issues


def test_a_given_cell_that_fails_by_itself_is_reported_to_the_instructor(exercise):
    found = attribution(exercise, [IMPORTS, LOAD, DEMO, STUDENT, CHECK, PURE],
                        {6: ("ValueError", "the instructor made a mistake", 'File "<cell 7>", line 2')})
    [issue] = found.issues
    assert (issue.cell, issue.problem, issue.name) == (7, "cell", "ValueError")
    assert "raises-exception" in issue.fix.en


def test_numpy_1_aliases_in_a_given_cell_ask_for_the_compatibility_shim(exercise):
    old = "labels = np.zeros(3, dtype=np.int)"
    notebook = solution_notebook()
    notebook["cells"].append({"cell_type": "code", "metadata": {}, "source": old})
    (Path(exercise.path) / "solution.ipynb").write_text(json.dumps(notebook))
    message = "module 'numpy' has no attribute 'int'.\n`np.int` was a deprecated alias for the builtin `int`."
    found = attribution(exercise, [old, "y = np.float_(2)"], {1: ("AttributeError", message), 2: (
        "AttributeError", "`np.float_` was removed in the NumPy 2.0 release. Use `np.float64` instead.")})
    [issue] = found.issues  # the student's own np.float_ stays theirs
    assert (issue.problem, issue.name) == ("numpy1", "np.int") and 'compat=("numpy1",)' in issue.fix.en


def test_comments_and_layout_do_not_change_who_wrote_a_cell():
    assert cell_key("x = f( 1,2 )  # load\n\n") == cell_key("# the data\nx = f(1, 2)")
    assert cell_key("x = f(1, 2)") != cell_key("x = f(1, 3)")
    template = template_from(solution_notebook())
    assert cell_key(LOAD) in template.given and cell_key(SOLUTION) not in template.given
    assert cell_key(DEMO) in template.may_raise
    assert "my_scale" in template.student_names and "helper_total" not in template.student_names


def test_without_a_solution_notebook_every_cell_is_the_students(exercise):
    (Path(exercise.path) / "solution.ipynb").unlink()
    found = attribution(exercise, [PURE], {1: ("ValueError", "the instructor made a mistake")})
    assert not found.issues


class RecordingSandbox:
    """Runs nothing: keeps the job it is given and answers that every cell ran."""

    def __init__(self) -> None:
        self.jobs: list = []

    def execute(self, job):
        self.jobs.append(job)
        empty = Output("", 0, False)
        return Execution({i: CellRun(i, "ok") for i, _ in job.cells}, {}, empty, empty, 1, 0.0, 0.0, "full")


def test_grading_hands_the_notebook_the_exercises_files_and_compatibility(exercise, tmp_path):
    from dataclasses import replace

    from grader.grading import grade_planned
    from grader.notebook import parse_notebook
    from grader.submission import Submission

    notebook = parse_notebook(json.dumps(solution_notebook()).encode(), tmp_path / "ana.ipynb")
    sandbox = RecordingSandbox()
    grade_planned(Submission("ana", tmp_path / "ana.ipynb"), notebook, replace(exercise, compat=("numpy1",)), (),
                  sandbox)
    [job] = sandbox.jobs
    assert job.files == str(Path(exercise.path) / "files") and job.compat == ("numpy1",)
    shutil.rmtree(Path(exercise.path) / "files")
    grade_planned(Submission("ana", tmp_path / "ana.ipynb"), notebook, exercise, (), sandbox)
    assert sandbox.jobs[1].files is None and sandbox.jobs[1].compat == ()
