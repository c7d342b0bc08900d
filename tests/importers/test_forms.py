"""Each way an assertion compares a student's value, converted: the grading process decides as the
assertion would (its tolerance, its operator), and nothing the notebook rebinds changes that.

One nbgrader notebook holds a test cell per form. Students whose values sit exactly right, inside
some tolerances and outside others, or plainly wrong are graded, and each cell's verdict is
compared with what Python itself says when the cell runs (nbgrader's rule). A student who is wrong
and rebinds every function the assertions use loses every converted test.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from grader.cli import main
from grader.importers.convert import import_assignment

from .classes import fill, nbgrader_release

EMULATE = Path(__file__).with_name("emulate.py")

FORMS = {
    "equal": "assert scale(2.0) == 3.0",
    "allclose_rtol": "assert np.allclose(scale(np.array([1.0, 2.0])), [1.5, 3.0], rtol=1e-3)",
    "allclose_atol": "assert np.allclose(scale(np.array([1.0, 2.0])), [1.5, 3.0], rtol=0, atol=0.01)",
    "isclose_all": "assert np.isclose(scale(np.arange(3.0)), np.arange(3.0) * 1.5).all()",
    "abs_diff": "assert abs(v - 0.25) < 1e-4",
    "np_abs_diff": "assert np.abs(scale(1.0) - 1.5) <= 1e-6",
    "max_abs_diff": "assert np.max(np.abs(scale(np.arange(3.0)) - np.arange(3.0) * 1.5)) < 1e-3",
    "norm_diff": "assert np.linalg.norm(scale(np.ones(2)) - 1.5) < 1e-3",
    "math_isclose": "assert math.isclose(v, 0.25, rel_tol=1e-3)",
    "assert_allclose": "np.testing.assert_allclose(scale(np.ones(3)), np.full(3, 1.5), rtol=1e-5)",
    "almost_equal": "np.testing.assert_array_almost_equal(scale(np.ones(2)), [1.5, 1.5], decimal=3)",
    "approx": "assert scale(4.0) == pytest.approx(6.0, rel=1e-2)",
    "range": "assert 0 < v < 1",
    "type": "assert isinstance(v, float)",
    "shape": "assert scale(np.zeros((2, 3))).shape == (2, 3)",
    "sorted_list": "assert sorted(words) == ['a', 'b', 'c']\nassert len(words) == 3",
    "dict": "assert counts == {'a': 1, 'b': 2}",
    "set": "assert primes(10) == {2, 3, 5, 7}",
    "all_loop": "assert all(scale(float(i)) == 1.5 * i for i in range(4))",
    "local_then_check": "out = scale(np.linspace(0, 1, 5))\nassert out.shape == (5,)\nassert np.allclose(out, np.linspace(0, 1, 5) * 1.5)",
    "seeded": "np.random.seed(3)\nnoise = draw(4)\nnp.random.seed(3)\nassert np.allclose(noise, np.random.rand(4))",
    "in_place": "x = np.array([1.0, 3.0])\nnormalize(x)\nassert np.allclose(x, [0.25, 0.75])",
}

SOLUTION = '''def scale(x):
    ### BEGIN SOLUTION
    return x * 1.5
    ### END SOLUTION

def primes(n):
    ### BEGIN SOLUTION
    return {k for k in range(2, n) if all(k % d for d in range(2, k))}
    ### END SOLUTION

def draw(n):
    ### BEGIN SOLUTION
    return np.random.rand(n)
    ### END SOLUTION

def normalize(v):
    ### BEGIN SOLUTION
    v /= v.sum()
    ### END SOLUTION

### BEGIN SOLUTION
v = 0.25
words = ["c", "a", "b"]
counts = {"a": 1, "b": 2}
### END SOLUTION'''

STUDENTS = {
    "exact": SOLUTION.replace("### BEGIN SOLUTION\n", "").replace("### END SOLUTION\n", "")
                     .replace("### END SOLUTION", ""),
    "near": ("def scale(x):\n    return x * 1.5 + 5e-4\n\ndef primes(n):\n    return [2, 3, 5, 7]\n\n"
             "def draw(n):\n    return np.random.rand(n) + 1e-12\n\n"
             "def normalize(v):\n    return v / v.sum()\n\n"
             "v = 0.25 + 5e-5\nwords = ['a', 'b', 'c', 'c']\ncounts = {'b': 2, 'a': 1}"),
    "far": ("def scale(x):\n    return x * 1.6\n\ndef primes(n):\n    return {2, 3, 5, 7, 9}\n\n"
            "def draw(n):\n    return np.random.rand(n + 1)[1:]\n\n"
            "def normalize(v):\n    v *= 2\n\n"
            "v = 3\nwords = ['a', 'b']\ncounts = {'a': 1}"),
}

PATCHES = '''
import builtins
import math

import numpy as np
import pytest


class Anything:
    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    __hash__ = None


class Agreeable(np.ndarray):
    """An array equal to anything, claiming the shape of what it was made from."""

    claimed = ()

    def __eq__(self, other):
        return True

    def all(self, *args, **kwargs):
        return True

    @property
    def shape(self):
        return self.claimed


class Sly(float):
    """A number at no distance from anything, inside every range."""

    def __sub__(self, other):
        return 0.0

    def __lt__(self, other):
        return True

    def __gt__(self, other):
        return True


def scale(x):
    made = np.zeros(1).view(Agreeable)
    made.claimed = np.shape(x)
    return made


def primes(n):
    return Anything()


def draw(n):
    return np.zeros(n)


def normalize(v):
    pass


v = Sly(3.0)
words = Anything()
counts = Anything()
np.allclose = lambda *a, **k: True
np.isclose = lambda *a, **k: np.ones(3, dtype=bool)
np.abs = lambda *a, **k: 0.0
np.max = lambda *a, **k: 0.0
np.linalg.norm = lambda *a, **k: 0.0
np.testing.assert_allclose = lambda *a, **k: None
np.testing.assert_array_almost_equal = lambda *a, **k: None
np.random.rand = lambda n: np.zeros(n)
math.isclose = lambda *a, **k: True
pytest.approx = lambda *a, **k: Anything()
builtins.abs = lambda value: 0
builtins.sorted = lambda value: ["a", "b", "c"]
builtins.len = lambda value: 3
builtins.isinstance = lambda value, kind: True
builtins.all = lambda value: True
'''


def _source() -> dict[str, Any]:
    def meta(**flags: Any) -> dict[str, Any]:
        return {"nbgrader": {"schema_version": 3, "grade": False, "solution": False, "locked": False, **flags}}

    cells = [{"cell_type": "code", "id": "setup", "metadata": meta(locked=True, grade_id="setup"),
              "execution_count": None, "outputs": [],
              "source": "import math\n\nimport numpy as np\nimport pytest"},
             {"cell_type": "code", "id": "answer", "metadata": meta(solution=True, grade_id="answer"),
              "execution_count": None, "outputs": [], "source": SOLUTION}]
    for name, test in FORMS.items():
        cells.append({"cell_type": "code", "id": name, "metadata": meta(grade=True, locked=True, points=1, grade_id=name),
                      "execution_count": None, "outputs": [], "source": test})
    return {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": cells}


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("forms")
    source = tmp / "source" / "forms.ipynb"
    source.parent.mkdir()
    source.write_text(json.dumps(_source()), encoding="utf-8")
    import_assignment("nbgrader", source, tmp / "forms")
    released = nbgrader_release(source)
    (tmp / "class").mkdir()
    notebooks = {name: fill(released, {"answer": code}) for name, code in STUDENTS.items()}
    notebooks["patched"] = fill(released, {"answer": STUDENTS["far"] + "\n" + PATCHES})
    for name, nb in notebooks.items():
        (tmp / "class" / f"{name}.ipynb").write_text(json.dumps(nb), encoding="utf-8")
    result = CliRunner().invoke(main, ["grade", str(tmp / "class"), "--exercise", str(tmp / "forms"), "--out",
                                       str(tmp / "out")], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    results = {s["student"]: s for s in json.loads((tmp / "out" / "results.json").read_text())["submissions"]}
    return tmp, source, results


def _python_says(tmp: Path, source: Path, student: str) -> dict[str, float]:
    done = subprocess.run([sys.executable, str(EMULATE), "nbgrader", str(tmp / "class" / f"{student}.ipynb"),
                           str(source)], cwd=source.parent, capture_output=True, text=True, timeout=120, check=True)
    return json.loads(done.stdout)


def test_every_form_is_converted(graded: Any) -> None:
    tmp, _, _ = graded
    recorded = json.loads((tmp / "forms" / "recorded.json").read_text())
    kinds = {key.split("/")[0]: entry["kind"] for key, entry in recorded["tests"].items()}
    assert kinds == {name: "converted" for name in FORMS}


@pytest.mark.parametrize("student", ["exact", "near", "far"])
def test_each_verdict_is_the_assertions_own(graded: Any, student: str) -> None:
    tmp, source, results = graded
    ours = {t["id"]: t["score"] for t in results[student]["tasks"]}
    assert ours == _python_says(tmp, source, student)
    if student == "near":  # inside some tolerances, outside others: both kinds of verdict are exercised
        assert 0 < sum(ours.values()) < len(FORMS)


def test_rebinding_what_the_assertions_use_passes_nothing_here(graded: Any) -> None:
    tmp, source, results = graded
    fooled = _python_says(tmp, source, "patched")
    assert fooled == {name: 1 for name in FORMS}  # nbgrader's rule is fooled by all of it
    assert {t["id"]: t["score"] for t in results["patched"]["tasks"]} == {name: 0 for name in FORMS}


def test_a_failure_says_which_check_and_by_how_much(graded: Any) -> None:
    _, _, results = graded
    tests = {t["id"]: t["tests"][0] for t in results["near"]["tasks"]}
    message = tests["assert_allclose"]["message"]
    assert "np.testing.assert_allclose(scale(np.ones(3))" in message and "rtol=1e-5" in message
    assert tests["np_abs_diff"]["expected"] == "1.5" and "|difference| <= 1e-06" in tests["np_abs_diff"]["message"]
    far = {t["id"]: t["tests"][0] for t in results["far"]["tasks"]}
    assert far["sorted_list"]["message"].startswith("Check 1 of 2: the comparison fails")
    assert "got ['a', 'b'], expected ['a', 'b', 'c']" in far["sorted_list"]["message"]
