"""Write the two example assignments that `grader import` brings in, in each tool's own format.

    python examples/import/make_sources.py

- `nbgrader/source/mlp/mlp.ipynb`: an nbgrader source notebook (cells marked in
  `metadata.nbgrader`, `### BEGIN SOLUTION` regions, autograder test cells with
  `### BEGIN HIDDEN TESTS`), with a helper module and a data file beside it.
- `otter/activations/activations.ipynb`: an otter-grader master notebook in Otter Assign's format
  v1 (raw `# BEGIN QUESTION` / `# BEGIN SOLUTION` / `# BEGIN TESTS` cells, `# SOLUTION` lines,
  test cases with `# HIDDEN` and `# BEGIN TEST CONFIG`), whose test cases show the outputs the
  solution gives (otter's expected outputs): they are computed here by running the solution.

Both mix what converts into safe probes (functions and variables compared with values, hidden
tests, loops over fixed inputs) with what cannot (a test that expects an error, a helper applied
to the student's function) and a question marked by hand.
"""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
NBGRADER = HERE / "nbgrader" / "source" / "mlp"
OTTER = HERE / "otter" / "activations"
KERNEL = {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
          "language_info": {"name": "python"}}


def _cell(kind: str, source: str, n: int, nbgrader: dict[str, Any] | None = None,
          outputs: list[Any] | None = None) -> dict[str, Any]:
    cell: dict[str, Any] = {"cell_type": kind, "id": f"c{n:02d}", "metadata": {}, "source": source}
    if nbgrader is not None:
        cell["metadata"]["nbgrader"] = {"schema_version": 3, **nbgrader}
    if kind == "code":
        cell.update(execution_count=None, outputs=outputs or [])
    return cell


def _write(path: Path, cells: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    nb = {"nbformat": 4, "nbformat_minor": 5, "metadata": KERNEL, "cells": cells}
    path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


# ---- nbgrader: a small neural network -----------------------------------------------------------

NN_UTILS = '''"""Helpers given with the lab."""

import numpy as np


def load_points(path):
    """The data set: features X (n, 2) and labels y (n, 1) from a CSV file of x1,x2,label."""
    data = np.loadtxt(path, delimiter=",", skiprows=1)
    return data[:, :2], data[:, 2:3]
'''


def _points_csv() -> str:
    rows = ["x1,x2,label"]
    for i in range(24):
        x1 = round(((i * 37) % 23) / 5.0 - 2.2, 2)
        x2 = round(((i * 53) % 19) / 4.0 - 2.3, 2)
        rows.append(f"{x1},{x2},{int(x1 + 0.5 * x2 > 0)}")
    return "\n".join(rows) + "\n"


SIGMOID = '''def sigmoid(z):
    """The logistic function, element by element."""
    ### BEGIN SOLUTION
    return 1.0 / (1.0 + np.exp(-z))
    ### END SOLUTION'''

SOFTMAX = '''def softmax(Z):
    """Each row of Z as probabilities."""
    ### BEGIN SOLUTION
    shifted = Z - Z.max(axis=1, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=1, keepdims=True)
    ### END SOLUTION'''

FORWARD = '''def forward(X, W, b):
    """The network's output for the rows of X: sigmoid(X W + b)."""
    ### BEGIN SOLUTION
    if X.shape[1] != W.shape[0]:
        raise ValueError(f"X has {X.shape[1]} features but W expects {W.shape[0]}")
    return sigmoid(X @ W + b)
    ### END SOLUTION

### BEGIN SOLUTION
A = forward(X, W, b)
loss = float(-np.mean(y * np.log(A) + (1 - y) * np.log(1 - A)))
### END SOLUTION'''


def nbgrader_notebook() -> list[dict[str, Any]]:
    import numpy as np

    scope: dict[str, Any] = {"np": np}
    data = np.loadtxt(io.StringIO(_points_csv()), delimiter=",", skiprows=1)
    scope.update(X=data[:, :2], y=data[:, 2:3], W=np.array([[0.5], [-0.25]]), b=0.1)
    for code in (SIGMOID, SOFTMAX, FORWARD):
        exec(code, scope)  # noqa: S102 (our own solution: the hidden test's value comes from it)
    loss = scope["loss"]
    locked = {"grade": False, "solution": False, "locked": True}
    cells = [
        _cell("markdown", "# Lab 4: a small neural network\n\nYou will write the pieces of a one-layer network "
              "and check them on a small data set of points in the plane.", 1, {**locked, "grade_id": "intro"}),
        _cell("code", "import math\n\nimport numpy as np\nimport pytest\nfrom nn_utils import load_points\n\n"
              "X, y = load_points(\"data/points.csv\")", 2, {**locked, "grade_id": "setup"}),
        _cell("markdown", "## 1. Sigmoid\n\nWrite `sigmoid(z)`, the logistic function, for numbers and arrays.", 3,
              {**locked, "grade_id": "q_sigmoid"}),
        _cell("code", SIGMOID, 4, {"grade": False, "solution": True, "locked": False, "grade_id": "sigmoid"}),
        _cell("code", "assert math.isclose(sigmoid(0.0), 0.5)\n"
              "assert np.allclose(sigmoid(np.array([-1.0, 1.0])), [0.26894142, 0.73105858])\n"
              "### BEGIN HIDDEN TESTS\n"
              "z = np.linspace(-6, 6, 13)\n"
              "assert np.allclose(sigmoid(z), 1 / (1 + np.exp(-z)), rtol=1e-7, atol=0)\n"
              "assert abs(sigmoid(2.0) - 0.8807970779778823) < 1e-9\n"
              "### END HIDDEN TESTS", 5,
              {"grade": True, "solution": False, "locked": True, "points": 2, "grade_id": "test_sigmoid"}),
        _cell("markdown", "## 2. Softmax\n\nWrite `softmax(Z)`: each row of `Z` becomes probabilities that sum to "
              "one. It must work for rows like `[1000, 1000]` (subtract each row's maximum first).", 6,
              {**locked, "grade_id": "q_softmax"}),
        _cell("code", SOFTMAX, 7, {"grade": False, "solution": True, "locked": False, "grade_id": "softmax"}),
        _cell("code", "P = softmax(np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]]))\n"
              "assert P.shape == (2, 3)\n"
              "assert np.allclose(P.sum(axis=1), 1.0)\n"
              "np.testing.assert_allclose(P[1], np.full(3, 1 / 3), rtol=1e-7)\n"
              "### BEGIN HIDDEN TESTS\n"
              "big = softmax(np.array([[1000.0, 1000.0], [-1000.0, 0.0]]))\n"
              "assert np.all(np.isfinite(big))\n"
              "assert big[0, 0] == pytest.approx(0.5)\n"
              "rng = np.random.default_rng(7)\n"
              "for _ in range(5):\n"
              "    Z = rng.normal(size=(4, 3)) * 10\n"
              "    assert np.allclose(softmax(Z).sum(axis=1), 1)\n"
              "### END HIDDEN TESTS", 8,
              {"grade": True, "solution": False, "locked": True, "points": 3, "grade_id": "test_softmax"}),
        _cell("markdown", "## 3. Forward pass and loss\n\nWrite `forward(X, W, b)`; it must refuse an `X` whose "
              "number of columns does not match `W` (raise `ValueError`). Then compute `A = forward(X, W, b)` "
              "with the weights below and its mean binary cross-entropy `loss` (a float).", 9,
              {**locked, "grade_id": "q_forward"}),
        _cell("code", "W = np.array([[0.5], [-0.25]])\nb = 0.1", 10, {**locked, "grade_id": "weights"}),
        _cell("code", FORWARD, 11, {"grade": False, "solution": True, "locked": False, "grade_id": "forward"}),
        _cell("code", "assert A.shape == (len(X), 1)\n"
              "assert isinstance(loss, float)\n"
              "### BEGIN HIDDEN TESTS\n"
              f"assert np.isclose(loss, {loss!r}, atol=1e-6)\n"
              "### END HIDDEN TESTS", 12,
              {"grade": True, "solution": False, "locked": True, "points": 2, "grade_id": "test_loss"}),
        _cell("code", "try:\n    forward(np.ones((2, 3)), W, b)\nexcept ValueError:\n    pass\nelse:\n"
              "    raise AssertionError(\"forward should refuse an X whose columns do not match W\")", 13,
              {"grade": True, "solution": False, "locked": True, "points": 1, "grade_id": "test_forward_checks"}),
        _cell("markdown", "## 4. In your own words\n\nWhy does `softmax` subtract each row's maximum? What would go "
              "wrong without it?", 14, {**locked, "grade_id": "q_explain"}),
        _cell("markdown", "Subtracting the maximum does not change the result, since softmax is invariant to adding "
              "a constant to a row, but it keeps `exp` from overflowing: without it, `exp(1000)` is `inf` and the "
              "division gives `nan`.", 15,
              {"grade": True, "solution": True, "locked": False, "points": 2, "grade_id": "explain_softmax"}),
    ]
    return cells


# ---- otter: activation functions ------------------------------------------------------------------

HELPERS = '''"""Helpers given with the homework."""

import numpy as np


def is_monotone(f, low=-5.0, high=5.0, n=101):
    """Whether f never decreases on [low, high] (checked on a grid)."""
    values = np.array([f(x) for x in np.linspace(low, high, n)], dtype=float)
    return bool(np.all(np.diff(values) >= 0))
'''


def _raw(text: str, n: int) -> dict[str, Any]:
    return _cell("raw", text, n)


def otter_notebook() -> list[dict[str, Any]]:
    """The master notebook; each test case shows what the solution gives, as otter records it."""
    import sys

    import numpy as np

    scope: dict[str, Any] = {"np": np, "__name__": "__main__"}
    sys.path.insert(0, str(OTTER))  # the helper module beside the notebook, as in Jupyter
    sys.dont_write_bytecode = True
    n = iter(range(1, 100))
    cells: list[dict[str, Any]] = []

    def code(source: str) -> None:
        exec(source.replace("# SOLUTION", ""), scope)  # noqa: S102 (our own solution)
        cells.append(_cell("code", source, next(n)))

    def test(source: str) -> None:
        *body, last = source.split("\n")
        with contextlib.redirect_stdout(io.StringIO()):
            exec("\n".join(body), scope)  # noqa: S102 (the config string and `# HIDDEN` are inert)
            try:
                value = eval(compile(last, "<test>", "eval"), scope)
            except SyntaxError:
                exec(last, scope)  # noqa: S102 (an assert: no output)
                value = None
        outputs = [] if value is None else [{"output_type": "execute_result", "execution_count": None, "metadata": {},
                                             "data": {"text/plain": repr(value)}}]
        cells.append(_cell("code", source, next(n), outputs=outputs))

    cells.append(_raw("# ASSIGNMENT CONFIG\nfiles:\n  - helpers.py\nexport_cell: false\nseed: 42", next(n)))
    cells.append(_cell("markdown", "# Homework 2: activation functions\n\nWrite the activations of a neural "
                       "network and check them.", next(n)))
    code("import numpy as np\nfrom helpers import is_monotone")
    cells.append(_raw("# BEGIN QUESTION\nname: q1\npoints: 2", next(n)))
    cells.append(_cell("markdown", "**Question 1.** Write `relu(x)`, for numbers and arrays.", next(n)))
    cells.append(_raw("# BEGIN SOLUTION", next(n)))
    code("def relu(x):\n    return np.maximum(x, 0) # SOLUTION")
    cells.append(_raw("# END SOLUTION", next(n)))
    cells.append(_raw("# BEGIN TESTS", next(n)))
    test("relu(-3.0) == 0")
    test("relu(np.array([-1.0, 0.0, 2.5]))")
    test("# HIDDEN\nnp.allclose(relu(np.linspace(-2, 2, 9)), np.clip(np.linspace(-2, 2, 9), 0, None))")
    test('""" # BEGIN TEST CONFIG\nhidden: true\npoints: 1\nfailure_message: relu must keep positive values '
         'unchanged\n""" # END TEST CONFIG\nx = np.array([0.5, 7.0])\nassert np.array_equal(relu(x), x)')
    cells.append(_raw("# END TESTS", next(n)))
    cells.append(_raw("# END QUESTION", next(n)))
    cells.append(_raw("# BEGIN QUESTION\nname: q2\npoints: 2", next(n)))
    cells.append(_cell("markdown", "**Question 2.** Write `leaky_relu(x, alpha=0.01)`: `x` where it is positive, "
                       "`alpha * x` elsewhere. It must never decrease.", next(n)))
    cells.append(_raw("# BEGIN SOLUTION", next(n)))
    code("def leaky_relu(x, alpha=0.01):\n    # BEGIN SOLUTION\n    return np.where(x > 0, x, alpha * x)\n"
         "    # END SOLUTION")
    cells.append(_raw("# END SOLUTION", next(n)))
    cells.append(_raw("# BEGIN TESTS", next(n)))
    test("float(leaky_relu(-2.0))")
    test("# HIDDEN\nfloat(leaky_relu(-2.0, alpha=0.1))")
    test("is_monotone(leaky_relu)")
    cells.append(_raw("# END TESTS", next(n)))
    cells.append(_raw("# END QUESTION", next(n)))
    cells.append(_raw("# BEGIN QUESTION\nname: q3", next(n)))
    cells.append(_cell("markdown", "**Question 3.** Set `mean_activation` to the mean of `relu` over "
                       "`np.linspace(-1, 3, 5)`.", next(n)))
    cells.append(_raw("# BEGIN SOLUTION", next(n)))
    code("mean_activation = relu(np.linspace(-1, 3, 5)).mean() # SOLUTION")
    cells.append(_raw("# END SOLUTION", next(n)))
    cells.append(_raw("# BEGIN TESTS", next(n)))
    test("0 < mean_activation < 3")
    test("# HIDDEN\nround(float(mean_activation), 6)")
    cells.append(_raw("# END TESTS", next(n)))
    cells.append(_raw("# END QUESTION", next(n)))
    cells.append(_raw("# BEGIN QUESTION\nname: q4\nmanual: true\npoints: 2", next(n)))
    cells.append(_cell("markdown", "**Question 4.** What is a \"dying ReLU\", and how does `leaky_relu` avoid it?",
                       next(n)))
    cells.append(_raw("# BEGIN PROMPT", next(n)))
    cells.append(_cell("markdown", "_Type your answer here, replacing this text._", next(n)))
    cells.append(_raw("# END PROMPT", next(n)))
    cells.append(_raw("# BEGIN SOLUTION", next(n)))
    cells.append(_cell("markdown", "**SOLUTION:** A ReLU unit whose input is negative for every example outputs "
                       "zero and gets a zero gradient, so it never learns again. A leaky ReLU keeps a small slope "
                       "`alpha` for negative inputs, so the gradient never vanishes.", next(n)))
    cells.append(_raw("# END SOLUTION", next(n)))
    cells.append(_raw("# END QUESTION", next(n)))
    return cells


def main() -> None:
    NBGRADER.mkdir(parents=True, exist_ok=True)
    (NBGRADER / "data").mkdir(exist_ok=True)
    (NBGRADER / "data" / "points.csv").write_text(_points_csv(), encoding="utf-8")
    (NBGRADER / "nn_utils.py").write_text(NN_UTILS, encoding="utf-8")
    _write(NBGRADER / "mlp.ipynb", nbgrader_notebook())
    OTTER.mkdir(parents=True, exist_ok=True)
    (OTTER / "helpers.py").write_text(HELPERS, encoding="utf-8")
    _write(OTTER / "activations.ipynb", otter_notebook())
    print(f"wrote {NBGRADER / 'mlp.ipynb'} and {OTTER / 'activations.ipynb'}")


if __name__ == "__main__":
    main()
