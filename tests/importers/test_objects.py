"""Tests over the student's objects and tensors: a class the student writes is driven in their
process (its constructor, `fit`, `predict`), what comes back is compared here; PyTorch's
comparisons and tensor methods are computed here on the tensors' values."""

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

PERCEPTRON = '''class Perceptron:
    def __init__(self, n):
        ### BEGIN SOLUTION
        self.w = np.zeros(n)
        self.b = 0.0
        ### END SOLUTION

    def fit(self, X, y, epochs=10):
        ### BEGIN SOLUTION
        for _ in range(epochs):
            for xi, t in zip(X, y):
                p = self.predict(xi[None])[0]
                self.w += (t - p) * xi
                self.b += t - p
        return self
        ### END SOLUTION

    def predict(self, X):
        ### BEGIN SOLUTION
        return (X @ self.w + self.b > 0).astype(int)
        ### END SOLUTION'''

RELU = "def relu_t(x):\n    ### BEGIN SOLUTION\n    return torch.clamp(x, min=0)\n    ### END SOLUTION"

TESTS = {
    "t_perceptron": "p = Perceptron(2)\np.fit(X, y)\nassert p.predict(X).shape == (4,)\n"
                    "assert np.array_equal(p.predict(X), y)\nassert p.w.shape == (2,)",
    "t_relu": "x = torch.linspace(-2, 2, 5)\nout = relu_t(x)\nassert torch.allclose(out, torch.tensor([0., 0., 0., 1., 2.]))\n"
              "assert out.size() == (5,)\nassert out.sum(dim=0).item() == 3.0\n"
              "torch.testing.assert_close(relu_t(torch.ones(2)), torch.ones(2))",
}

STUDENTS = {
    "right": {"perceptron": PERCEPTRON.replace("        ### BEGIN SOLUTION\n", "").replace("        ### END SOLUTION\n", "")
              .replace("        ### END SOLUTION", ""),
              "relu": "def relu_t(x):\n    return x * (x > 0)"},
    "wrong": {"perceptron": "class Perceptron:\n    def __init__(self, n):\n        self.w = np.zeros(n + 1)\n"
                            "    def fit(self, X, y):\n        return self\n"
                            "    def predict(self, X):\n        return np.zeros(len(X), dtype=int)",
              "relu": "def relu_t(x):\n    return torch.abs(x)"},
}

HOSTILE = '''
import numpy as np
import torch


class Claims(np.ndarray):
    claimed = ()

    @property
    def shape(self):
        return self.claimed


def claiming(size, claimed):
    made = np.zeros(size).view(Claims)
    made.claimed = claimed
    return made


class Perceptron:
    def __init__(self, n):
        self.w = claiming(3, (n,))

    def fit(self, X, y):
        return self

    def predict(self, X):
        return claiming(3, (len(X),))


def relu_t(x):
    return torch.zeros(3)


np.array_equal = lambda *a, **k: True
torch.allclose = lambda *a, **k: True
torch.testing.assert_close = lambda *a, **k: None
torch.Tensor.size = lambda self, *a: (5,)
torch.Tensor.sum = lambda self, *a, **k: torch.tensor(3.0)
'''


def _source() -> dict[str, Any]:
    def cell(source: str, **flags: Any) -> dict[str, Any]:
        meta = {"nbgrader": {"schema_version": 3, "grade": False, "solution": False, "locked": False, **flags}}
        return {"cell_type": "code", "id": flags.get("grade_id", "x"), "metadata": meta, "execution_count": None,
                "outputs": [], "source": source}

    cells = [cell("import numpy as np\nimport torch\n\nX = np.array([[0., 0.], [0., 1.], [1., 0.], [1., 1.]])\n"
                  "y = np.array([0, 0, 0, 1])", locked=True, grade_id="setup"),
             cell(PERCEPTRON, solution=True, grade_id="perceptron"),
             cell(TESTS["t_perceptron"], grade=True, locked=True, points=2, grade_id="t_perceptron"),
             cell(RELU, solution=True, grade_id="relu"),
             cell(TESTS["t_relu"], grade=True, locked=True, points=1, grade_id="t_relu")]
    return {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": cells}


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("objects")
    source = tmp / "source" / "objects.ipynb"
    source.parent.mkdir()
    source.write_text(json.dumps(_source()), encoding="utf-8")
    done = import_assignment("nbgrader", source, tmp / "objects")
    assert not done.warnings, done.warnings
    released = nbgrader_release(source)
    (tmp / "class").mkdir()
    notebooks = {name: fill(released, answers) for name, answers in STUDENTS.items()}
    notebooks["hostile"] = fill(released, {"perceptron": HOSTILE, "relu": "pass"})
    for name, nb in notebooks.items():
        (tmp / "class" / f"{name}.ipynb").write_text(json.dumps(nb), encoding="utf-8")
    result = CliRunner().invoke(main, ["grade", str(tmp / "class"), "--exercise", str(tmp / "objects"), "--out",
                                       str(tmp / "out")], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return tmp, source, {s["student"]: s for s in json.loads((tmp / "out" / "results.json").read_text())["submissions"]}


def _python_says(tmp: Path, source: Path, student: str) -> dict[str, float]:
    done = subprocess.run([sys.executable, str(EMULATE), "nbgrader", str(tmp / "class" / f"{student}.ipynb"),
                           str(source)], cwd=source.parent, capture_output=True, text=True, timeout=120, check=True)
    return json.loads(done.stdout)


def test_objects_and_tensors_are_converted(graded: Any) -> None:
    tmp, _, _ = graded
    recorded = json.loads((tmp / "objects" / "recorded.json").read_text())
    assert {k: e["kind"] for k, e in recorded["tests"].items()} == {"t_perceptron/tests": "converted",
                                                                      "t_relu/tests": "converted"}
    events = [e[2] for e in recorded["tests"]["t_perceptron/tests"]["events"] if e[0] == "exec"]
    assert events[:2] == ["__c0 = Perceptron(2)", "__c3 = __c0.fit(__v1, __v2)"]  # driven in the student's process


@pytest.mark.parametrize("student", ["right", "wrong"])
def test_each_verdict_is_the_tests_own(graded: Any, student: str) -> None:
    tmp, source, results = graded
    assert {t["id"]: t["score"] for t in results[student]["tasks"]} == _python_says(tmp, source, student)


def test_an_object_that_lies_and_a_patched_torch_pass_nothing(graded: Any) -> None:
    tmp, source, results = graded
    assert _python_says(tmp, source, "hostile") == {"t_perceptron": 2, "t_relu": 1}
    assert {t["id"]: t["score"] for t in results["hostile"]["tasks"]} == {"t_perceptron": 0, "t_relu": 0}
