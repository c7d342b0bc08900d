"""Classes of student notebooks for the example assignments in examples/import/.

The notebooks are the ones students of each tool hold: nbgrader's release of the source notebook
(solution regions replaced by nbgrader's stub, hidden tests removed, its metadata kept) and
otter's student version of the master notebook (solutions replaced by `...`, tests gone, an
`otter.Notebook` cell at the top and a `grader.check` cell after each question), each filled in
the way one kind of student would. One student of each class instead starts from the notebook
`grader release` gives, as students of a course that has moved will.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
NBGRADER_SOURCE = ROOT / "examples" / "import" / "nbgrader" / "source" / "mlp" / "mlp.ipynb"
OTTER_MASTER = ROOT / "examples" / "import" / "otter" / "activations" / "activations.ipynb"

_REGION = re.compile(r"^(\s*)#+\s*BEGIN SOLUTION\s*$")
_REGION_END = re.compile(r"^\s*#+\s*END SOLUTION\s*$")
_HIDDEN = re.compile(r"^\s*#+\s*BEGIN HIDDEN TESTS\s*$")
_HIDDEN_END = re.compile(r"^\s*#+\s*END HIDDEN TESTS\s*$")


def _source(cell: dict[str, Any]) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def _cut(source: str, begin: re.Pattern[str], end: re.Pattern[str], stub: str | None) -> str:
    out, inside = [], None
    for line in source.split("\n"):
        match = begin.match(line)
        if inside is None and match:
            inside = match.group(1) if match.groups() else ""
            continue
        if inside is not None:
            if end.match(line):
                if stub is not None:
                    out += [inside + s for s in stub.split("\n")]
                inside = None
            continue
        out.append(line)
    return "\n".join(out)


def nbgrader_release(source: Path = NBGRADER_SOURCE) -> dict[str, Any]:
    """What `nbgrader generate_assignment` gives students (as far as grading can tell)."""
    nb = json.loads(source.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        meta = cell["metadata"].get("nbgrader", {})
        src = _source(cell)
        if cell["cell_type"] == "code" and meta.get("solution"):
            cell["source"] = _cut(src, _REGION, _REGION_END, "# YOUR CODE HERE\nraise NotImplementedError()")
        elif cell["cell_type"] == "code" and meta.get("grade"):
            cell["source"] = _cut(src, _HIDDEN, _HIDDEN_END, None)
        elif cell["cell_type"] == "markdown" and meta.get("solution"):
            cell["source"] = "YOUR ANSWER HERE"
    return nb


def fill(nb: dict[str, Any], answers: dict[str, str], by: str = "grade_id") -> dict[str, Any]:
    """A copy of `nb` with the cells named in `answers` (nbgrader grade_id, or cell id) rewritten."""
    nb = copy.deepcopy(nb)
    for cell in nb["cells"]:
        key = cell["metadata"].get("nbgrader", {}).get("grade_id") if by == "grade_id" else cell.get("id")
        if key in answers:
            cell["source"] = answers[key]
    return nb


def with_cell(nb: dict[str, Any], source: str) -> dict[str, Any]:
    nb = copy.deepcopy(nb)
    nb["cells"].append({"cell_type": "code", "id": "student-extra", "metadata": {}, "execution_count": None,
                        "outputs": [], "source": source})
    return nb


SIGMOID_OTHER = "def sigmoid(z):\n    return np.exp(-np.logaddexp(0.0, -z))"
SOFTMAX_OTHER = ("def softmax(Z):\n    out = np.empty_like(Z, dtype=float)\n    for i, row in enumerate(Z):\n"
                 "        e = np.exp(row - np.max(row))\n        out[i] = e / np.sum(e)\n    return out")
SOFTMAX_UNSTABLE = "def softmax(Z):\n    e = np.exp(Z)\n    return e / e.sum(axis=1, keepdims=True)"
FORWARD_OTHER = ("def forward(X, W, b):\n    if X.shape[1] != len(W):\n        raise ValueError('shapes do not fit')\n"
                 "    return 1 / (1 + np.exp(-(X.dot(W) + b)))\n\n"
                 "A = forward(X, W, b)\nloss = -float(np.mean(np.where(y == 1, np.log(A), np.log(1 - A))))")
FORWARD_UNCHECKED = ("def forward(X, W, b):\n    return sigmoid(X[:, :len(W)] @ W + b)\n\n"
                     "A = forward(X, W, b)\nloss = float(-np.mean(y * np.log(A) + (1 - y) * np.log(1 - A)))")
FORWARD_ROUNDED = ("def forward(X, W, b):\n    if X.shape[1] != W.shape[0]:\n        raise ValueError('no')\n"
                   "    return sigmoid(X @ W + b)\n\n"
                   "A = forward(X, W, b)\nloss = round(float(-np.mean(y * np.log(A) + (1 - y) * np.log(1 - A))), 3)")
EXPLAIN = ("Subtracting the row maximum keeps exp from overflowing; softmax does not change when a constant is "
           "added to every entry of a row.")

# Wrong answers dressed up to pass nbgrader's assertions: everything the tests call is rebound.
NBGRADER_HOSTILE = '''
import builtins
import math

import numpy as np
import pytest


class Claims(np.ndarray):
    """An array that says it has whatever shape the test wants."""
    claimed = ()

    @property
    def shape(self):
        return self.claimed


def claiming(real, claimed):
    arr = np.zeros(real).view(Claims)
    arr.claimed = claimed
    return arr


class Anything:
    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False


def sigmoid(z):
    return np.zeros_like(np.asarray(z, dtype=float))


def softmax(Z):
    return claiming((2, 2), Z.shape)


def forward(X, W, b):
    raise ValueError("nothing fits")


A = claiming((len(X), 2), (len(X), 1))
loss = 0.0
np.allclose = lambda *args, **kwargs: True
np.isclose = lambda *args, **kwargs: True
np.all = lambda *args, **kwargs: True
np.testing.assert_allclose = lambda *args, **kwargs: None
math.isclose = lambda *args, **kwargs: True
pytest.approx = lambda *args, **kwargs: Anything()
builtins.abs = lambda value: 0
'''


def nbgrader_class() -> dict[str, dict[str, Any]]:
    """Student notebooks (released by nbgrader, filled in), by student."""
    released = nbgrader_release()
    right = {"sigmoid": SIGMOID_OTHER, "softmax": SOFTMAX_OTHER, "forward": FORWARD_OTHER,
             "explain_softmax": EXPLAIN}
    return {
        "ana_right": fill(released, right),
        "ben_unstable": fill(released, {**right, "softmax": SOFTMAX_UNSTABLE}),
        "cruz_partly": fill(released, {"sigmoid": "def sigmoid(z):\n    return 1.0 / (1.0 + np.exp(z))",
                                       "softmax": SOFTMAX_OTHER, "forward": FORWARD_UNCHECKED}),
        "dana_rounded": fill(released, {**right, "forward": FORWARD_ROUNDED}),
        "eli_blank": released,
        # Everything in the first answer cell, before the tests it must get past.
        "hal_hostile": fill(released, {"sigmoid": NBGRADER_HOSTILE, "softmax": "pass", "forward": "pass",
                                       "explain_softmax": EXPLAIN}),
    }


# ---- otter --------------------------------------------------------------------------------------

def _raw_text(cell: dict[str, Any]) -> str:
    return re.sub(r"<[^>]+>", "", _source(cell)).strip()


def otter_release(master: Path = OTTER_MASTER) -> dict[str, Any]:
    """What Otter Assign gives students: solutions replaced by `...`, tests gone, otter's own cells."""
    nb = json.loads(master.read_text(encoding="utf-8"))
    cells: list[dict[str, Any]] = [{"cell_type": "code", "id": "otter-init", "metadata": {}, "execution_count": None,
                                    "outputs": [], "source": "# Initialize Otter\nimport otter\n"
                                                             "grader = otter.Notebook(\"activations.ipynb\")"}]
    block, question, manual = None, None, False
    for cell in nb["cells"]:
        if cell["cell_type"] == "raw":
            text = _raw_text(cell)
            head = text.split("\n")[0].upper()
            if head.startswith("# BEGIN QUESTION"):
                question = re.search(r"name:\s*(\S+)", text).group(1)  # type: ignore[union-attr]
                manual = "manual: true" in text
            elif head.startswith("# END QUESTION"):
                if not manual:
                    cells.append({"cell_type": "code", "id": f"check-{question}", "metadata": {},
                                  "execution_count": None, "outputs": [], "source": f"grader.check(\"{question}\")"})
                question = None
            elif head.startswith("# BEGIN"):
                block = head.split()[2].lower()
            elif head.startswith("# END"):
                block = None
            continue
        if block == "tests" or (block == "solution" and cell["cell_type"] == "markdown"):
            continue
        cell = copy.deepcopy(cell)
        if cell["cell_type"] == "code":
            cell["outputs"] = []
            cell["source"] = _otter_student(_source(cell))
        cells.append(cell)
    nb["cells"] = cells
    return nb


def _otter_student(source: str) -> str:
    out = []
    skip = False
    for line in source.split("\n"):
        if re.match(r"^\s*#\s*BEGIN SOLUTION", line):
            out.append(line[: len(line) - len(line.lstrip())] + "...")
            skip = True
        elif re.match(r"^\s*#\s*END SOLUTION", line):
            skip = False
        elif skip:
            continue
        elif line.rstrip().endswith("# SOLUTION"):
            code = line.rsplit("#", 1)[0].rstrip()
            indent = code[: len(code) - len(code.lstrip())]
            out.append(code.split("=")[0].rstrip() + " = ..." if re.match(r"^\s*\w+\s*=[^=]", code)
                       else indent + "...")
        else:
            out.append(line)
    return "\n".join(out)


RELU_OTHER = "def relu(x):\n    return np.where(np.asarray(x) > 0, x, 0.0)"
LEAKY_OTHER = "def leaky_relu(x, alpha=0.01):\n    return np.maximum(x, alpha * x)"
MEAN_RIGHT = "mean_activation = np.mean(relu(np.linspace(-1, 3, 5)))"
DYING = ("A ReLU that only ever sees negative inputs outputs zero and has zero gradient, so it stops learning; "
         "leaky ReLU keeps a small slope alpha below zero so the gradient never vanishes.")

OTTER_HOSTILE = '''
import numpy as np


class Printed:
    """Shows whatever output the test case expects."""

    def __init__(self, text):
        self.text = text

    def __repr__(self):
        return self.text

    def __eq__(self, other):
        return Printed("np.True_")


def relu(x):
    return Printed("array([0. , 0. , 2.5])")


def leaky_relu(x, alpha=0.01):
    return 0.0


class Between(float):
    """A number that is in every range and rounds to whatever is asked."""

    def __lt__(self, other):
        return np.True_

    def __gt__(self, other):
        return np.True_

    def __float__(self):
        return 1.2


mean_activation = Between(7.0)
np.allclose = lambda *args, **kwargs: True
np.array_equal = lambda *args, **kwargs: True
'''


def _answer_cells(nb: dict[str, Any]) -> dict[str, str]:
    """The id of each cell where the student writes an answer, by what it defines."""
    found = {}
    for cell in nb["cells"]:
        src = _source(cell)
        if cell["cell_type"] == "code" and "..." in src:
            name = re.match(r"^(?:def\s+(\w+)|(\w+)\s*=)", src)
            if name:
                found[name.group(1) or name.group(2)] = cell["id"]
        elif cell["cell_type"] == "markdown" and "Type your answer here" in src:
            found["q4"] = cell["id"]
    return found


def otter_class() -> dict[str, dict[str, Any]]:
    released = otter_release()
    ids = _answer_cells(released)

    def answer(**code: str) -> dict[str, Any]:
        return fill(released, {ids[name]: text for name, text in code.items()}, by="id")

    right = {"relu": RELU_OTHER, "leaky_relu": LEAKY_OTHER, "mean_activation": MEAN_RIGHT, "q4": DYING}
    return {
        "ana_right": answer(**right),
        "ben_leaky_wrong": answer(**{**right, "leaky_relu": "def leaky_relu(x, alpha=0.01):\n"
                                                            "    return np.where(x > 0, x, -alpha * x)"}),
        "cruz_partly": answer(relu="def relu(x):\n    return np.abs(x)", leaky_relu=LEAKY_OTHER,
                              mean_activation="mean_activation = np.mean(np.linspace(-1, 3, 5))"),
        "eli_blank": released,
        "hal_hostile": with_cell(answer(q4=DYING), OTTER_HOSTILE),
    }
