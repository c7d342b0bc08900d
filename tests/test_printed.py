"""Checking what a function prints: numbers read from printed lines, against the reference's own."""

from __future__ import annotations

import json
import sys
import threading

import numpy as np
import pytest

from grader.bundle import bundle_json, read_bundle
from grader.checks import Close, check_from_json
from grader.evaluate import NotebookFacts, judge_test
from grader.exercise import Case, Exercise, FunctionTask
from grader.exercise import Test as GraderTest
from grader.grading import Submission, grade_notebook
from grader.i18n import Text
from grader.notebook import parse_notebook
from grader.plan import PlannedTask, call_capturing, plan_exercise
from grader.printed import Printed, numbers_in
from grader.report.views import student_view
from grader.sandbox import Execution, ProbeRun
from grader.sandbox.runner import Output

from .conftest import make_notebook

COSTS = (0.693147, 0.584508, 0.466949)


def train(iterations: int, speed: float = 1.0) -> float:
    """A reference in the style of classic assignments: prints its cost every 100 iterations."""
    cost = 0.0
    for i in range(iterations):
        cost = COSTS[i // 100] * speed if i // 100 < len(COSTS) else cost
        if i % 100 == 0:
            print(f"Cost after iteration {i}: {cost:f}")
    return cost


PATTERN = r"Cost after iteration"
REFERENCE_LINES = "Cost after iteration 0: 0.693147\nCost after iteration 100: 0.584508\n"


COST_LINES = Printed(PATTERN)


def printed(text: str, reference: str = REFERENCE_LINES):
    return COST_LINES.evaluate(text, reference)


def test_numbers_are_read_from_the_selected_lines_within_tolerance():
    read = numbers_in("Cost after iteration 100: [[0.584508]] (w1=-1.5e-03, W2 nan, info)")
    assert read[:3] == (100.0, 0.584508, -0.0015) and len(read) == 4 and np.isnan(read[3])
    assert printed("epoch done\nCost after iteration 0: 0.6931471805599453\nnoise 12\n"
                   "Cost after iteration 100: 0.58450812\n") is None
    failure = printed("Cost after iteration 0: 0.693147\nCost after iteration 100: 0.600000\n")
    assert failure is not None and "line 2" in failure.summary.en
    assert failure.got == "Cost after iteration 100: 0.600000"
    assert failure.expected == "Cost after iteration 100: 0.584508"
    assert "0.6" not in failure.summary.en  # the summary quotes no value (hidden tests show it)


def test_iteration_numbers_count_too_and_so_does_the_number_of_lines():
    failure = printed("Cost after iteration 0: 0.693147\nCost after iteration 10: 0.584508\n")
    assert failure is not None and failure.got.startswith("Cost after iteration 10:")
    failure = printed("Cost after iteration 0: 0.693147\n")
    assert "1 line(s)" in failure.summary.en and "expected 2" in failure.summary.en
    assert "Cost after iteration 100: 0.584508" in failure.detail.en  # the first line missing
    failure = printed(REFERENCE_LINES + "Cost after iteration 200: 0.4\n")
    assert "expected only 2" in failure.summary.en and failure.got == "Cost after iteration 200: 0.4"
    assert "3 number(s)" in printed("Cost after iteration 0: 0.693147 0.1\nCost after iteration 100: 0.584508\n"
                                ).summary.en
    assert printed("") is not None  # printing nothing is not printing the costs


def test_pattern_groups_choose_which_numbers_are_read():
    check = Printed(r"cost (\S+)$")
    assert check.evaluate("step 1 cost 0.5\nstep 2 cost 0.25", "step 7 cost 0.5\nstep 9 cost 0.25") is None
    assert check.evaluate("step 1 cost 0.5\nstep 2 cost 0.3", "step 1 cost 0.5\nstep 2 cost 0.25") is not None
    without_pattern = Printed()
    assert without_pattern.evaluate("header\n1.5\n", "other header\n1.5\n") is None  # lines without numbers skipped


def test_expected_numbers_can_be_listed_in_the_check_instead_of_taken_from_the_reference():
    check = Printed(PATTERN, expected=((0, 0.693147), (100, 0.584508)))
    assert not check.wants_printed_reference
    assert check.evaluate(REFERENCE_LINES, None) is None
    failure = check.evaluate("Cost after iteration 0: 0.693147\nCost after iteration 100: 0.7\n", None)
    assert failure.expected == "100 0.584508"
    one_per_line = Printed(r"cost: (\S+)", expected=(0.5, 0.25))
    assert one_per_line.evaluate("cost: 0.5\ncost: 0.25\n", None) is None
    assert Printed(PATTERN).wants_printed_reference


def test_printed_checks_survive_a_trip_through_json_and_bad_patterns_fail_early():
    check = Printed(PATTERN, expected=((0, 0.69), (100, 0.58)), rtol=1e-3)
    assert check_from_json(json.loads(json.dumps(check.to_json()))) == check
    with pytest.raises(Exception, match="unterminated|missing"):
        Printed("cost (")


# Through planning and judging, with the sandbox's answer built by hand


def exercise_with_printing() -> Exercise:
    task = FunctionTask("train", "Training", "train", reference=train, tests=[
        GraderTest("costs", 2, [Case((201,))], (Printed(PATTERN),), public=True),
        GraderTest("hidden_costs", 1, [Case((301,))], (Printed(PATTERN), Close(rtol=1e-6))),
        GraderTest("result", 1, [Case((201,))], (Close(rtol=1e-6),), public=True),
    ])
    return Exercise("printing", "1", Text("Printing", "Imprimir"), (task,))


def judge(task: PlannedTask, test_name: str, prints: str, value: float):
    test = next(t for t in task.tests if t.name == test_name)
    runs = {c.probe.id: ProbeRun(c.probe.id, "ok", value=value, printed=prints) for c in test.cases}
    execution = Execution({}, runs, Output("", 0, False), Output("", 0, False), 1, 0.0, 0.0, "test")
    return judge_test(task, test, NotebookFacts({}, {}), execution, 1.0)


def test_planning_captures_the_reference_output_and_asks_the_probe_to_capture(capsys):
    (task,) = plan_exercise(exercise_with_printing(), seed=1)
    costs = task.tests[0]
    assert costs.cases[0].probe.capture and costs.cases[0].expected_printed == REFERENCE_LINES + \
        "Cost after iteration 200: 0.466949\n"
    result = next(t for t in task.tests if t.name == "result")
    assert not result.cases[0].probe.capture and result.cases[0].expected_printed is None
    assert "Cost after" not in capsys.readouterr().out  # the reference's printing stays out of the grader's output


def test_a_student_who_prints_the_right_costs_passes_and_one_who_does_not_is_shown_the_lines():
    (task,) = plan_exercise(exercise_with_printing(), seed=1)
    lines = REFERENCE_LINES + "Cost after iteration 200: 0.466949\n"
    assert judge(task, "costs", lines, 0.466949).passed
    wrong = judge(task, "costs", lines.replace("0.584508", "0.59"), 0.466949)
    assert not wrong.passed
    assert wrong.got == "Cost after iteration 100: 0.59" and wrong.expected == "Cost after iteration 100: 0.584508"
    assert "0.59" in student_view(wrong, "en").got
    silent = judge(task, "costs", "", 0.466949)
    assert not silent.passed and "0 line(s)" in silent.message("en")
    hidden = judge(task, "hidden_costs", "Cost after iteration 0: 0.1\n", 0.466949)
    view = student_view(hidden, "en")
    assert not hidden.passed and "0.1" not in view.message and view.got is None and view.expected is None


def test_capturing_keeps_only_the_calling_threads_output(capsys):
    started, release = threading.Event(), threading.Event()

    def other() -> None:
        started.set()
        release.wait(5)
        print("from another thread")

    def reference() -> int:
        thread.start()
        started.wait(5)
        print("from the reference")
        release.set()
        thread.join(5)
        return 3

    thread = threading.Thread(target=other)
    value, text = call_capturing(reference, Case(()))
    assert value == 3 and text == "from the reference\n"
    assert "from another thread" in capsys.readouterr().out
    assert sys.stdout is not None and "from the reference" not in capsys.readouterr().out


def test_release_bundles_carry_the_capture_and_the_reference_lines(tmp_path):
    exercise = exercise_with_printing()
    path = tmp_path / "printing.checks.json"
    path.write_text(json.dumps(bundle_json(exercise)))
    _, (task,) = read_bundle(path)
    costs = task.tests[0]
    assert costs.cases[0].probe.capture and "Cost after iteration 100: 0.584508" in costs.cases[0].expected_printed
    assert isinstance(costs.checks[0], Printed)
    assert judge(task, "costs", costs.cases[0].expected_printed, 0.466949).passed


# End to end: the sandbox returns what a probe printed (ProbeRun.printed) and the costs are graded.


def test_end_to_end_the_printed_costs_of_a_notebook_are_graded(sandbox, tmp_path):
    exercise = exercise_with_printing()
    source = ("def train(iterations, speed=1.0):\n"
              "    costs = (0.693147, 0.584508, 0.466949)\n"
              "    cost = 0.0\n"
              "    for i in range(iterations):\n"
              "        cost = costs[i // 100] * speed if i // 100 < len(costs) else cost\n"
              "        if i % 100 == 0:\n"
              "            print('Cost after iteration %i: %f' % (i, cost))\n"
              "    return cost\n")
    right = make_notebook([source], exercise="printing")
    wrong = json.loads(json.dumps(right))
    wrong["cells"][0]["source"] = right["cells"][0]["source"].replace("i % 100 == 0", "i % 50 == 0")

    def grade(nb: dict, name: str):
        notebook = parse_notebook(json.dumps(nb).encode(), tmp_path / f"{name}.ipynb")
        return grade_notebook(Submission(name, tmp_path / f"{name}.ipynb"), notebook, exercise, sandbox)

    good = {t.name: t for _, t in grade(right, "right").tests()}
    assert all(t.passed for t in good.values()), {n: t.message("en") for n, t in good.items()}
    bad = {t.name: t for _, t in grade(wrong, "wrong").tests()}
    assert not bad["costs"].passed and bad["result"].passed
    assert bad["costs"].got == "Cost after iteration 50: 0.693147"
    assert np.isfinite(bad["costs"].score)


def test_reading_numbers_is_linear_in_what_the_student_printed():
    # A long run of digits followed by a letter made the old expression try every split of it.
    import time

    for text in ("1" * 20_000 + "x", "9" * 20_000 + ".", "-" + "5" * 20_000 + "e"):
        started = time.process_time()
        numbers_in(text)
        assert time.process_time() - started < 0.5
    assert numbers_in("Cost after iteration 10: 0.693147 and 1.5e-3, .5, 3., -2") == (10.0, 0.693147, 0.0015, 0.5, 3.0, -2.0)
