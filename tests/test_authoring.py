"""Authoring: what a script probe's feedback calls it, numbers typed in, and `grader validate`
on folders that lack pieces or declare other correct answers."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from grader.calltext import script_call
from grader.checks import Close
from grader.cli import main
from grader.evaluate import NotebookFacts, judge_test
from grader.exercise import Case, Exercise, FunctionTask
from grader.exercise import Test as GraderTest
from grader.i18n import Text
from grader.library import load_folder
from grader.plan import PlannedTask, plan_exercise
from grader.report.views import student_view
from grader.sandbox import Execution, ProbeRun
from grader.sandbox.runner import Output
from grader.static import typed_in
from grader.validate import validate_exercise

# What a script probe's call reads as


def test_a_script_that_calls_one_notebook_function_reads_as_that_call():
    A2, Y = np.array([[0.5, 0.25]]), np.array([[1.0, 0.0]])
    source = "def probe(ns, A2, Y, params):\n    return float(ns['compute_cost'](A2, Y))\n"
    assert script_call(source, "compute_cost", (A2, Y, {"W": 1}), {}) == \
        "compute_cost(array([[0.5 , 0.25]]), array([[1., 0.]]))"
    aliased = "def probe(ns, x):\n    f = ns.get('sigmoid')\n    y = f(x, scale=2)\n    return y\n"
    assert script_call(aliased, "sigmoid", (1.5,), {}) == "sigmoid(1.5, scale=2)"
    starred = "def probe(ns, *args):\n    return ns['relu'](*args)\n"
    assert script_call(starred, "relu", (np.array([1.0, -1.0]),), {}) == "relu(array([ 1., -1.]))"
    method = "def probe(ns, X):\n    return ns['model'].predict(X[:2])\n"
    assert script_call(method, "model", (np.zeros(3),), {}) == "model.predict(X[:2])"


def test_a_script_of_several_calls_reads_as_them_in_order_and_a_builder_names_its_inputs():
    steps = ("def probe(ns, X, seed):\n    params = ns['initialize_parameters'](2, 4, seed=seed)\n"
             "    return ns['forward_propagation'](X, params)\n")
    assert script_call(steps, "forward_propagation", (np.ones(2), 3), {}) == \
        "initialize_parameters(2, 4, seed=3); forward_propagation(array([1., 1.]), params)"
    graph = "def probe(ns, x, y):\n    V = ns['Value']\n    a, b = V(x), V(y)\n    return (a * b).data\n"
    assert script_call(graph, "Value", (0.5, -1.25), {}) == "Value: x=0.5, y=-1.25"
    assert script_call("not python(", "f", (1,), {}) == "f(1)"


def script_exercise(call: str | None = None) -> Exercise:
    source = "def probe(ns, A2, Y):\n    return float(ns['compute_cost'](A2, Y))\n"
    case = Case((np.array([[0.8, 0.4]]), np.array([[1.0, 0.0]])), call=call)
    task = FunctionTask("cost", "Cost", "compute_cost", reference=lambda a, y: 0.3, tests=[
        GraderTest("public", 1, [case], (Close(),), public=True, probe="script", script=source),
        GraderTest("hidden", 1, [case], (Close(),), probe="script", script=source),
    ])
    return Exercise("costs", "1", Text("Costs", "Costes"), (task,))


def judged(task: PlannedTask, name: str, value: float):
    test = next(t for t in task.tests if t.name == name)
    runs = {c.probe.id: ProbeRun(c.probe.id, "ok", value=value) for c in test.cases}
    execution = Execution({}, runs, Output("", 0, False), Output("", 0, False), 1, 0.0, 0.0, "test")
    return judge_test(task, test, NotebookFacts({}, {}), execution, 1.0)


def test_public_script_probes_show_their_call_and_hidden_ones_keep_their_inputs_hidden():
    (task,) = plan_exercise(script_exercise(), seed=3)
    public = judged(task, "public", 0.9)
    assert public.input == "compute_cost(array([[0.8, 0.4]]), array([[1., 0.]]))"
    assert student_view(public, "en").input == public.input
    hidden = student_view(judged(task, "hidden", 0.9), "en")
    assert hidden.input is None and "0.8" not in hidden.message and hidden.got is None
    (task,) = plan_exercise(script_exercise(call="compute_cost(A2, Y) from the statement's example"), seed=3)
    assert judged(task, "public", 0.9).input == "compute_cost(A2, Y) from the statement's example"


# Numbers typed in where a task asks for them to be computed

NODE_BY_NODE = """
def graph_example():
    x, y = 6.0, 2.0
    w2 = x / y + 5
    f = w2 ** 2 + x
    d_w2 = 2 * w2
    return f, d_w2 / y + 1, -d_w2 * x / y ** 2
"""


@pytest.mark.parametrize("source, found", [
    ("def graph_example():\n    return 70.0, 9.0, -24.0\n", ["70.0", "9.0", "-24.0"]),
    ("def graph_example():\n    return [70, 9, -24]\n", ["70", "9", "-24"]),
    ("import numpy as np\ndef graph_example():\n    return np.array([70.0, 9.0, -24.0])\n",
     ["np.array([70.0, 9.0, -24.0])"]),
    ("def graph_example():\n    f, dx, dy = 70.0, 9.0, -24.0\n    return f, dx, dy\n", ["f", "dx", "dy"]),
    ("ANSWER = (70.0, 9.0, -24.0)\ndef graph_example():\n    return ANSWER\n", ["ANSWER"]),
    ("def known():\n    return 70.0, 9.0, -24.0\ndef graph_example():\n    return known()\n", ["70.0", "9.0", "-24.0"]),
    ("graph_example = lambda: (70.0, 9.0, -24.0)\n", ["70.0", "9.0", "-24.0"]),
    (("def graph_example():\n    x, y = Value(6.0), Value(2.0)\n    f = (x / y + 5) ** 2 + x\n"
      "    return f.data, 9.0, y.grad\n"), ["9.0"]),
    (("def graph_example():\n    x, y = Value(6.0), Value(2.0)\n    f = (x / y + 5) ** 2 + x\n    f.backward()\n"
      "    return f.data, x.grad, y.grad\n"), []),
    (NODE_BY_NODE, []),
    ("def graph_example():\n    t = 0.0\n    for v in (1.0, 2.0):\n        t += v\n    return t, t, t\n", []),
])
def test_numbers_typed_in_are_found_however_they_are_spelled(source, found):
    assert typed_in([source], "graph_example") == found


def test_a_computed_task_that_returns_numbers_typed_in_fails_with_its_own_message():
    task = FunctionTask("graph", "Graph", "graph_example", reference=lambda: (70.0, 9.0, -24.0), computed=True,
                        tests=[GraderTest("at_6_2", 2, [Case(())], (Close(),), public=True)])
    (planned,) = plan_exercise(Exercise("g", "1", Text("G", "G"), (task,)), seed=1)
    test = planned.tests[0]
    runs = {c.probe.id: ProbeRun(c.probe.id, "ok", value=(70.0, 9.0, -24.0)) for c in test.cases}
    execution = Execution({}, runs, Output("", 0, False), Output("", 0, False), 1, 0.0, 0.0, "test")
    typed = judge_test(planned, test, NotebookFacts({}, {}, typed_in={"graph": ["70.0", "9.0"]}), execution, 1.0)
    assert not typed.passed and typed.misconception == "not_computed" and "`70.0`" in typed.message("en")
    assert judge_test(planned, test, NotebookFacts({}, {}), execution, 1.0).passed


# grader validate on folders missing pieces, and right/ variants

EXERCISE_PY = '''
from grader.checks import Close
from grader.exercise import Case, Exercise, FunctionTask, Test
from grader.i18n import Text


def reference(x):
    return 2 * x


EXERCISE = Exercise("doubling", "1", Text("Doubling", "Doblar"), (
    FunctionTask("double", "Double", "double", reference=reference, tests=[
        Test("values", 2, [Case((1.5,)), Case((-4.0,))], (Close(),), public=True),
        Test("zero", 1, [Case((0.0,))], (Close(),)),
    ]),
))
'''

SOLUTION = {
    "nbformat": 4, "nbformat_minor": 5, "metadata": {"grader": {"exercise": "doubling"}},
    "cells": [{"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
               "source": "def double(x):\n    # BEGIN SOLUTION\n    return 2 * x\n    # END SOLUTION\n"}],
}


def exercise_folder(root: Path, solution: bool = True, statements: bool = False) -> Path:
    folder = root / "doubling"
    folder.mkdir()
    (folder / "exercise.py").write_text(EXERCISE_PY)
    if solution:
        (folder / "solution.ipynb").write_text(json.dumps(SOLUTION))
    if statements:
        for lang in ("en", "es"):
            (folder / f"statement.{lang}.md").write_text("# Doubling\n")
    return folder


def test_validate_without_a_solution_names_the_file_and_still_checks_the_references(tmp_path):
    folder = exercise_folder(tmp_path, solution=False)
    (folder / "exercise.py").write_text(EXERCISE_PY.replace("return 2 * x", "return 2 * x if x else {}['boom']"))
    verdicts = {v.case: v for v in validate_exercise(load_folder(folder), sandbox=None)}  # nothing to run
    solution = verdicts["solution"]
    assert not solution.ok and str(folder / "solution.ipynb") in solution.problems[0]
    assert "missing" in solution.problems[0]
    assert not verdicts["references"].ok and "double:zero" in verdicts["references"].problems[0]
    assert "KeyError" in verdicts["references"].problems[0]
    notes = " ".join(verdicts["folder"].notes)
    assert "statement.en.md" in notes and "statement.es.md" in notes and "wrong/" in notes
    assert verdicts["folder"].ok  # missing statements and variants are worth knowing, not failures


def test_validate_command_without_a_solution_fails_cleanly(tmp_path):
    folder = exercise_folder(tmp_path, solution=False, statements=True)
    result = CliRunner().invoke(main, ["validate", str(folder)])
    assert result.exit_code == 1
    assert "solution.ipynb is missing" in result.output and "Traceback" not in result.output
    assert "FileNotFoundError" not in result.output
    (folder / "solution.ipynb").write_text("{not json")
    result = CliRunner().invoke(main, ["validate", str(folder)])
    assert result.exit_code == 1 and "cannot be read as a notebook" in result.output


def test_right_variants_must_keep_full_marks_and_one_that_loses_points_names_the_test(tmp_path, sandbox):
    folder = exercise_folder(tmp_path, statements=True)
    (folder / "right").mkdir()
    (folder / "right" / "added.py").write_text("def double(x):\n    return x + x\n")
    (folder / "right" / "not_at_zero.py").write_text("def double(x):\n    return 2 * x if x else 1.0\n")
    verdicts = {v.case: v for v in validate_exercise(load_folder(folder), sandbox)}
    assert verdicts["solution"].ok and verdicts["blank"].ok
    assert verdicts["right/added"].ok and verdicts["right/added"].score == 3
    bad = verdicts["right/not_at_zero"]
    assert not bad.ok and bad.score == 2
    assert len(bad.problems) == 1 and bad.problems[0].startswith("double:zero loses 1 point(s)")


def test_a_pass_that_needed_a_leniency_says_so_in_its_message():
    task = FunctionTask("grads", "Gradients", "grads", reference=lambda: {"dW": np.ones(2), "db": 0.5}, tests=[
        GraderTest("lenient", 1, [Case(())], (Close(size1=True, extra_keys=True),), public=True),
        GraderTest("strict", 1, [Case(())], (Close(),), public=True),
    ])
    (planned,) = plan_exercise(Exercise("g", "1", Text("G", "G"), (task,)), seed=1)
    got = {"dW": np.ones(2), "db": np.array([[0.5]]), "cache": 3}
    lenient, strict = (judged(planned, name, got) for name in ("lenient", "strict"))
    assert lenient.passed and lenient.message("en") == \
        "Accepted: extra keys 'cache' (ignored); shape (1, 1) where a single number is expected (in ['db'])."
    assert "forma (1, 1) donde se esperaba un único número" in lenient.message("es")
    assert not strict.passed and "keys" in strict.message("en")
    exact = judged(planned, "lenient", {"dW": np.ones(2), "db": 0.5})
    assert exact.passed and exact.message("en") == ""


def test_a_self_check_from_a_release_bundle_also_fails_numbers_typed_in(tmp_path):
    from grader.bundle import bundle_json, read_bundle

    task = FunctionTask("graph", "Graph", "graph_example", reference=lambda: (70.0, 9.0, -24.0), computed=True,
                        must_use=("Value",), tests=[GraderTest("at_6_2", 2, [Case(())], (Close(),), public=True)])
    path = tmp_path / "g.checks.json"
    path.write_text(json.dumps(bundle_json(Exercise("g", "1", Text("G", "G"), (task,)))))
    _, (planned,) = read_bundle(path)
    assert planned.computed and planned.must_use == ("Value",)
