"""`grader.check()` inside released notebooks, executed in a real Jupyter kernel (nbclient + ipykernel).

Each notebook is the released one (its first cell holds the public tests) with the student's
work appended in memory, never saved: what is checked is what the kernel holds.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from grader.bundle import bundle_json, pack
from grader.library import load
from grader.notebook import CHECKS_VARIABLE
from grader.release import release

from .conftest import ROOT
from .test_printed import exercise_with_printing

pytestmark = pytest.mark.slow

BUGS = '''
import os
def sigmoid(x):
    return 1 / (1 + np.exp(x))                      # the planted bug: the exponent's sign
def relu(x):
    while True:                                     # an endless loop
        pass
def tanh(x):
    print("<script>alert('printed')</script>")
    raise ValueError("<img src=x onerror=alert(1)>")
def step(x):
    os._exit(3)                                     # takes its process down
def sign(x):
    return np.ones(2**40)                           # eight terabytes
'''


def solution_cells() -> list[str]:
    solution = json.loads((ROOT / "exercises" / "activations" / "solution.ipynb").read_text())
    return ["".join(c["source"]) if isinstance(c["source"], list) else c["source"]
            for c in solution["cells"] if c["cell_type"] == "code"]


def released(tmp_path: Path, exercise: str = "activations", lang: str = "en") -> dict:
    paths = release(load(exercise), tmp_path / "rel", lang=lang)
    # Only the notebook travels: the checks file beside it is removed.
    (tmp_path / "rel" / f"{exercise}.checks.json").unlink()
    return json.loads(next(p for p in paths if p.suffix == ".ipynb").read_text())


def execute(nb: dict, cwd: Path, extra: list[str]) -> list[dict]:
    """Runs the released notebook's first cell (the public tests) then `extra`, the student's work
    as code cells; the outputs of those cells."""
    nb = json.loads(json.dumps(nb))
    first = 1
    nb["cells"] = nb["cells"][:1] + [
        {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": s} for s in extra]
    node = nbformat.from_dict(nb)
    NotebookClient(node, timeout=240, kernel_name="python3", resources={"metadata": {"path": str(cwd)}}).execute()
    return [dict(cell) for cell in node.cells[first:]]


def shown(cell: dict, kind: str) -> str:
    return "".join(out.get("data", {}).get(kind, "") for out in cell["outputs"]
                   if out["output_type"] in ("execute_result", "display_data"))


def printed(cell: dict) -> str:
    return "".join(out.get("text", "") for out in cell["outputs"] if out["output_type"] == "stream")


def test_a_correct_notebook_passes_every_public_test_in_its_language(tmp_path):
    nb = released(tmp_path, lang="es")
    assert nb["cells"][0]["metadata"]["tags"] == ["grader-checks"]
    cells = execute(nb, tmp_path / "rel", [*solution_cells(), "import grader\ngrader.check()"])
    html, text = shown(cells[-1], "text/html"), shown(cells[-1], "text/plain")
    assert "pruebas públicas: 9/9 superadas" in html and "pruebas públicas: 9/9 superadas" in text
    assert "13 prueba(s) oculta(s) sin ejecutar" in html
    assert "✗" not in text and "class=\"gc-fail\"" not in html
    assert text.count("✓ ") == 9


def test_a_planted_bug_an_endless_loop_and_a_crash_leave_the_kernel_running(tmp_path):
    nb = released(tmp_path)
    cells = execute(nb, tmp_path / "rel", [
        *solution_cells(), BUGS, "import os\nbefore = os.getpid()\nimport grader\ngrader.check()",
        "print('still here', 41 + 1, os.getpid() == before)",
        "grader.check('sigmoid')",
    ])
    check, after, one = cells[-3], cells[-2], cells[-1]
    html, text = shown(check, "text/html"), shown(check, "text/plain")
    assert "public tests: 3/9 passed; 13 hidden test(s) not run" in text
    # tanh_prime calls the broken tanh. The planted bug: the failing test with its input, expected, got and hint.
    sigmoid = text[text.index("✗ sigmoid /"):text.index("sigmoid_prime /")]
    assert re.search(r"input: sigmoid\(array\(\[", sigmoid) and "expected: array([" in sigmoid
    assert "got: array([" in sigmoid and "hint: You computed σ(−x)" in sigmoid
    assert "<dt>input</dt>" in html and "<dt>got</dt>" in html and "You computed σ(−x)" in html
    # The endless loop: a timeout, as `grader check` says it.
    assert "did not finish within 5 s" in text[text.index("✗ relu /"):]
    assert "exited with status 3" in text[text.index("✗ step /"):]
    assert "MemoryError" in text[text.index("✗ sign /"):]
    # The kernel lived through all of it and runs the next cell.
    assert printed(after) == "still here 42 True\n"
    # One task: only its tests, and its hidden ones counted.
    assert "public tests: 0/1 passed; 2 hidden test(s) not run" in shown(one, "text/plain")
    # What the student's code raised is escaped in the HTML; the picture is drawn for a wrong curve.
    assert "&lt;img src=x onerror=alert(1)&gt;" in html and "<img" not in html and "<script" not in html
    assert "<svg" in html and "sigmoid: yours and the reference" in html


def test_what_the_student_printed_is_escaped_in_the_html(tmp_path):
    packed = pack(bundle_json(exercise_with_printing()))
    nb = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
         "source": f"{CHECKS_VARIABLE} = {json.dumps(packed)}"}]}
    student = ("def train(iterations, speed=1.0):\n"
               "    for i in range(0, iterations, 100):\n"
               "        print(f'Cost after iteration {i}: <script>alert({i})</script> 0.9 <b>bold</b>')\n"
               "    return 0.466949\n")
    cells = execute(nb, tmp_path, [student, "import grader\ngrader.check()"])
    html = shown(cells[-1], "text/html")
    assert "Cost after iteration 0: &lt;script&gt;alert(0)&lt;/script&gt; 0.9 &lt;b&gt;bold&lt;/b&gt;" in html
    assert "<script" not in html and "<b>" not in html


def test_without_fork_the_probes_run_in_the_kernel_with_a_time_limit_and_say_so(tmp_path):
    nb = released(tmp_path)
    cells = execute(nb, tmp_path / "rel", [
        *solution_cells(), BUGS, "x = 5\nimport grader\ngrader.check('relu', isolate=False)",
        "grader.check('step', isolate=False)", "print('alive', x)"])
    relu, step, after = cells[-3:]
    text = shown(relu, "text/plain")
    assert "did not finish within 5 s" in text and "cannot copy the kernel" in text
    assert "exited with status 3" in shown(step, "text/plain")
    assert printed(after) == "alive 5\n"


def test_a_notebook_whose_first_cell_was_not_run_is_told_what_to_do(tmp_path):
    nb = released(tmp_path)
    nb["cells"][0]["source"] = "# the first cell, never run"
    cells = execute(nb, tmp_path / "rel", ["import grader\ngrader.check()"])
    assert "no public tests found: run the notebook's first cell" in shown(cells[-1], "text/plain")
