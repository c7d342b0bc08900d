"""`grader validate`: prove an exercise's tests can fail and can pass.

For each exercise: its solution must score full marks; its blank (the released student notebook)
must score zero on every test; and each kept wrong variant (`wrong/<name>.py`, appended to the
solution as a last cell so it overrides one definition) must fail the tests its `EXPECT` names,
with the misconception hint it names, and score below full marks.
"""

from __future__ import annotations

import ast
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .exercise import Exercise
from .grading import Submission, grade_notebook
from .notebook import parse_notebook
from .plan import ExpectedCache
from .release import student_notebook
from .results import SubmissionResult
from .sandbox import Sandbox
from .symbolic.service import SymbolicPool


@dataclass
class Verdict:
    exercise: str
    case: str  # "solution", "blank" or "wrong/<name>"
    ok: bool
    score: float
    max_score: float
    problems: list[str] = field(default_factory=list)


def _grade(nb: dict[str, Any], name: str, exercise: Exercise, sandbox: Sandbox, cache: ExpectedCache,
           hide: tuple[str, ...], symbolic: SymbolicPool) -> SubmissionResult:
    path = Path(exercise.path) / f"<{name}>.ipynb"
    notebook = parse_notebook(json.dumps(nb).encode(), path)
    return grade_notebook(Submission("validate", path), notebook, exercise, sandbox, cache=cache, hide=hide,
                          symbolic=symbolic)


def solution_notebook(exercise: Exercise) -> dict[str, Any]:
    return json.loads((Path(exercise.path) / "solution.ipynb").read_text(encoding="utf-8"))


def read_expectation(path: Path) -> dict[str, Any]:
    """The `EXPECT = {...}` literal of a wrong variant, read without running the file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "EXPECT" for t in node.targets):
            value = ast.literal_eval(node.value)
            if isinstance(value, dict):
                return value
    raise ValueError(f"{path}: no EXPECT = {{...}} literal")


def wrong_variants(exercise: Exercise) -> list[Path]:
    folder = Path(exercise.path) / "wrong"
    return sorted(folder.glob("*.py")) if folder.is_dir() else []


def with_extra_cell(nb: dict[str, Any], source: str) -> dict[str, Any]:
    nb = json.loads(json.dumps(nb))
    nb["cells"].append({"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
                        "source": source})
    return nb


def validate_exercise(exercise: Exercise, sandbox: Sandbox, hide: tuple[str, ...] = ()) -> list[Verdict]:
    with SymbolicPool() as symbolic:
        return _validate(exercise, sandbox, hide, symbolic)


def _validate(exercise: Exercise, sandbox: Sandbox, hide: tuple[str, ...], symbolic: SymbolicPool) -> list[Verdict]:
    cache = ExpectedCache()
    verdicts = []
    solution = _grade(solution_notebook(exercise), "solution", exercise, sandbox, cache, hide, symbolic)
    v = Verdict(exercise.id, "solution", True, solution.score, solution.max_score)
    marked_by_hand = 0.0
    for task, test in solution.tests():
        if test.status == "pending":
            # Written answers are marked by the instructor; the model answer must earn the full
            # suggestion, which proves the rubric's concepts are the ones the answer states.
            marked_by_hand += test.max_score
            if test.suggested is not None and test.suggested < test.max_score:
                v.ok = False
                v.problems.append(f"{task.id}:{test.name}: the model answer is only suggested "
                                  f"{test.suggested:g}/{test.max_score:g}")
        elif not test.passed:
            v.ok = False
            v.problems.append(f"{task.id}:{test.name} fails on the solution: {test.message('en')[:300]}")
    if solution.status != "graded" or solution.score + marked_by_hand < solution.max_score:
        v.ok = False
    verdicts.append(v)

    blank = _grade(student_notebook(exercise), "blank", exercise, sandbox, cache, hide, symbolic)
    v = Verdict(exercise.id, "blank", True, blank.score, blank.max_score)
    for task, test in blank.tests():
        if test.passed and test.max_score > 0:
            v.ok = False
            v.problems.append(f"{task.id}:{test.name} passes on the blank notebook")
    verdicts.append(v)

    for path in wrong_variants(exercise):
        expect = read_expectation(path)
        result = _grade(with_extra_cell(solution_notebook(exercise), path.read_text(encoding="utf-8")),
                        f"wrong/{path.stem}", exercise, sandbox, cache, hide, symbolic)
        v = Verdict(exercise.id, f"wrong/{path.stem}", True, result.score, result.max_score)
        by_name = {f"{task.id}:{test.name}": test for task, test in result.tests()}
        for name in expect.get("fails", []):
            test = by_name.get(name)
            if test is None:
                v.problems.append(f"EXPECT names unknown test {name}")
            elif test.passed:
                v.problems.append(f"{name} should fail but passes")
        wanted = expect.get("misconception")
        if wanted and not any(by_name.get(n) is not None and by_name[n].misconception == wanted
                              for n in expect.get("fails", [])):
            fired = sorted({t.misconception for t in by_name.values() if t.misconception})
            v.problems.append(f"misconception {wanted!r} did not fire (fired: {fired or 'none'})")
        if result.score >= result.max_score:
            v.problems.append("scores full marks")
        v.ok = not v.problems
        verdicts.append(v)
    return verdicts
