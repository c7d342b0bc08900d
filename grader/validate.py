"""`grader validate`: prove an exercise's tests can fail and can pass.

For each exercise: its solution must score full marks; its blank (the released student notebook)
must score zero on every test; each kept wrong variant (`wrong/<name>.py`, appended to the
solution as a last cell so it overrides one definition) must fail the tests its `EXPECT` names,
with the misconception hint it names, and score below full marks; and each right variant
(`right/<name>.py`, appended the same way: another correct way to write it) must keep full marks.

What needs no solution is proved without one: the references compute every test's expected
values, and a check of printed output finds lines to compare in what the reference printed. A
folder without `solution.ipynb` is validated that far and fails, naming the missing file.
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
from .plan import ExpectedCache, plan_test, student_seed
from .release import student_notebook
from .results import SubmissionResult
from .sandbox import Sandbox
from .symbolic.service import SymbolicPool

SOLUTION = "solution.ipynb"
STATEMENTS = ("statement.en.md", "statement.es.md")


@dataclass
class Verdict:
    exercise: str
    case: str  # "folder", "references", "solution", "blank", "wrong/<name>" or "right/<name>"
    ok: bool
    score: float | None  # None: nothing was graded for this case
    max_score: float | None
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # worth knowing, not failures


class MissingSolution(Exception):
    """The exercise folder has no readable solution notebook (the message names the file)."""


def _grade(nb: dict[str, Any], name: str, exercise: Exercise, sandbox: Sandbox, cache: ExpectedCache,
           hide: tuple[str, ...], symbolic: SymbolicPool) -> SubmissionResult:
    path = Path(exercise.path) / f"<{name}>.ipynb"
    notebook = parse_notebook(json.dumps(nb).encode(), path)
    return grade_notebook(Submission("validate", path), notebook, exercise, sandbox, cache=cache, hide=hide,
                          symbolic=symbolic)


def solution_notebook(exercise: Exercise) -> dict[str, Any]:
    path = Path(exercise.path) / SOLUTION
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise MissingSolution(f"{path} is missing") from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise MissingSolution(f"{path} cannot be read as a notebook ({type(exc).__name__}: {exc})") from None
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise MissingSolution(f"{path} is not a notebook (no list of cells)")
    return nb


def read_expectation(path: Path) -> dict[str, Any]:
    """The `EXPECT = {...}` literal of a wrong variant, read without running the file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "EXPECT" for t in node.targets):
            value = ast.literal_eval(node.value)
            if isinstance(value, dict):
                return value
    raise ValueError(f"{path}: no EXPECT = {{...}} literal")


def variants(exercise: Exercise, kind: str) -> list[Path]:
    """`wrong/*.py` or `right/*.py` of the exercise's folder."""
    folder = Path(exercise.path) / kind
    return sorted(folder.glob("*.py")) if folder.is_dir() else []


def wrong_variants(exercise: Exercise) -> list[Path]:
    return variants(exercise, "wrong")


def with_extra_cell(nb: dict[str, Any], source: str) -> dict[str, Any]:
    nb = json.loads(json.dumps(nb))
    nb["cells"].append({"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
                        "source": source})
    return nb


def validate_exercise(exercise: Exercise, sandbox: Sandbox, hide: tuple[str, ...] = ()) -> list[Verdict]:
    verdicts = [folder_verdict(exercise), references_verdict(exercise)]
    try:
        solution = solution_notebook(exercise)
    except MissingSolution as exc:
        why = (f"{exc}: full marks on the solution, zero on the blank notebook and the wrong/ and right/ "
               "variants are proved on it; write it (see 'Authoring an exercise' in the README) and validate again")
        verdicts.append(Verdict(exercise.id, "solution", False, None, exercise.max_score, problems=[why]))
        return verdicts
    with SymbolicPool() as symbolic:
        return verdicts + _graded(exercise, solution, sandbox, hide, symbolic)


def folder_verdict(exercise: Exercise) -> Verdict:
    """The pieces of the folder besides the solution: statements and wrong variants (notes only)."""
    folder = Path(exercise.path)
    v = Verdict(exercise.id, "folder", True, None, None)
    missing = [name for name in STATEMENTS if not (folder / name).is_file()]
    if missing:
        v.notes.append(f"no {' or '.join(missing)} in {folder}: `grader release` ships no statement "
                       f"{'in that language' if len(missing) == 1 else 'at all'}")
    student_judged = [f"{task.id}:{test.name}" for task in exercise.tasks for test in task.tests
                      if any(getattr(check, "judged_in_student_process", False) for check in test.checks)]
    if student_judged:
        v.notes.append(f"{len(student_judged)} test(s) run their code in the student's process and pass when it "
                       f"raises nothing: {', '.join(student_judged)}. A student who patches numpy (or Python's "
                       "builtins) could pass them; the other tests compare in the grading process")
    if not wrong_variants(exercise):
        v.notes.append(f"no wrong/*.py in {folder}: only the blank notebook shows that the tests can fail; "
                       "a variant per classic mistake shows that each is caught")
    return v


def references_verdict(exercise: Exercise) -> Verdict:
    """Every test planned for a sample student: the references compute the expected values, and each
    check of printed output finds lines to compare in what the reference printed."""
    v = Verdict(exercise.id, "references", True, None, None)
    cache = ExpectedCache()
    seed = student_seed(exercise.id, "validate")
    for task in exercise.tasks:
        for test in task.tests:
            name = f"{task.id}:{test.name}"
            try:
                planned = plan_test(exercise, task, test, seed, cache)
            except Exception as exc:  # noqa: BLE001 (the exercise's own code: say which test and why)
                v.problems.append(f"{name}: planning failed ({type(exc).__name__}: {str(exc)[:300]})")
                continue
            for check in planned.checks:
                if not check.wants_printed_reference:
                    continue
                for k, case in enumerate(planned.cases):
                    if not check.expected_lines(case.expected_printed):  # type: ignore[attr-defined]
                        v.problems.append(f"{name}: case {k + 1}: the reference printed no line for "
                                          f"{check.kind} check {check.to_json()} to compare")
    v.ok = not v.problems
    return v


def _failures(result: SubmissionResult) -> tuple[list[str], float]:
    """Tests a notebook that must get full marks loses, and the points marked by hand."""
    problems: list[str] = []
    marked_by_hand = 0.0
    for task, test in result.tests():
        if test.status == "pending":
            # Written answers are marked by the instructor; the model answer must earn the full
            # suggestion, which proves the rubric's concepts are the ones the answer states.
            marked_by_hand += test.max_score
            if test.suggested is not None and test.suggested < test.max_score:
                problems.append(f"{task.id}:{test.name}: the model answer is only suggested "
                                f"{test.suggested:g}/{test.max_score:g}")
        elif not test.passed:
            problems.append(f"{task.id}:{test.name} loses {test.max_score - test.score:g} point(s): "
                            f"{test.message('en')[:300]}")
    return problems, marked_by_hand


def _full_marks(result: SubmissionResult, case: str, exercise: Exercise) -> Verdict:
    problems, by_hand = _failures(result)
    v = Verdict(exercise.id, case, not problems, result.score, result.max_score, problems)
    if result.status != "graded" or result.score + by_hand < result.max_score:
        v.ok = False
        if result.status != "graded" and result.error is not None:
            v.problems.append(f"could not be graded: {result.error('en')[:300]}")
    return v


def _graded(exercise: Exercise, solution_nb: dict[str, Any], sandbox: Sandbox, hide: tuple[str, ...],
            symbolic: SymbolicPool) -> list[Verdict]:
    cache = ExpectedCache()
    verdicts = []
    solution = _grade(solution_nb, "solution", exercise, sandbox, cache, hide, symbolic)
    verdicts.append(_full_marks(solution, "solution", exercise))

    blank = _grade(student_notebook(exercise), "blank", exercise, sandbox, cache, hide, symbolic)
    v = Verdict(exercise.id, "blank", True, blank.score, blank.max_score)
    for task, test in blank.tests():
        if test.passed and test.max_score > 0:
            v.ok = False
            v.problems.append(f"{task.id}:{test.name} passes on the blank notebook")
    verdicts.append(v)

    for path in variants(exercise, "wrong"):
        expect = read_expectation(path)
        result = _grade(with_extra_cell(solution_nb, path.read_text(encoding="utf-8")),
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

    for path in variants(exercise, "right"):
        result = _grade(with_extra_cell(solution_nb, path.read_text(encoding="utf-8")),
                        f"right/{path.stem}", exercise, sandbox, cache, hide, symbolic)
        verdicts.append(_full_marks(result, f"right/{path.stem}", exercise))
    return verdicts
