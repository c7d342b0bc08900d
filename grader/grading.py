"""Grading one notebook: read → plan → run in the sandbox → evaluate → one `SubmissionResult`.

Nothing a student's notebook does can make this raise: unreadable files, unknown exercises and
every kind of execution failure come back as a result with status "error" or failed tests.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

import numpy as np

from .evaluate import Answer, NotebookFacts, cell_why, evaluate
from .exercise import Exercise
from .i18n import Text, t
from .keys import Orders
from .instructor import Attribution, Context, after_note, attribute, student_note
from .notebook import StudentNotebook, defined_names
from .plan import ExpectedCache, PlannedTask, plan_exercise, student_seed
from .requirements import support_folder
from .results import CellIssue, SubmissionResult
from .sandbox import Execution, Job, Sandbox
from .sandbox.codec import Opaque, TooBig
from .symbolic.formula import MAX_ANSWER_CHARS, MAX_CELL_CHARS, first_formula
from .symbolic.service import SymbolicPool
from .sandbox.magics import neutralise
from .submission import Submission
from .static import forbidden_uses, missing_uses, typed_in


def error_result(sub: Submission, reason: Text, exercise: Exercise | None = None, content_hash: str = "",
                 exercise_id: str | None = None) -> SubmissionResult:
    return SubmissionResult(
        student=sub.student, file=sub.file, exercise=exercise.id if exercise else exercise_id,
        exercise_version=exercise.version if exercise else None, status="error",
        max_score=exercise.max_score if exercise else 0.0, error=t("submission.error", reason=reason),
        content_hash=content_hash, meta=dict(sub.meta))


def prepare_cells(notebook: StudentNotebook) -> tuple[tuple[tuple[int, str], ...], list[CellIssue]]:
    cells, issues = [], []
    for cell in notebook.code_cells:
        clean = neutralise(cell.source)
        for note in clean.neutralised:
            issues.append(CellIssue(cell.index + 1, "neutralised",
                                    t("cell.neutralised", cell=cell.index + 1, line=note.line, text=note.text)))
        if not clean.skipped:
            cells.append((cell.index, clean.source))
    return tuple(cells), issues


def _cell_issues(execution: Execution, limits_cell_seconds: float, attribution: Attribution) -> list[CellIssue]:
    """What happened in each cell; errors that are not the student's (an instructor's cell meant to
    raise, the grading environment) are said as such, or not at all."""
    issues = []
    for index in sorted(execution.cells):
        run = execution.cells[index]
        if index in attribution.expected:
            continue
        if index in attribution.environment:
            issues.append(CellIssue(index + 1, "environment", student_note(attribution.environment[index])))
        elif index in attribution.after:
            issues.append(CellIssue(index + 1, "environment", after_note(attribution.after[index] + 1)))
        elif run.status == "error" and run.error is not None:
            issues.append(CellIssue(index + 1, "error", t("cell.error", cell=index + 1, type=run.error.type,
                                                           message=run.error.message[:500]), run.error.traceback))
        elif run.status == "timeout":
            issues.append(CellIssue(index + 1, "timeout", t("cell.timeout", cell=index + 1,
                                                             seconds=limits_cell_seconds)))
        elif run.status == "crashed":
            issues.append(CellIssue(index + 1, "crashed", t("cell.crashed", cell=index + 1, why=cell_why(run))))
    return issues


def latex_in_markdown(text: str) -> str:
    """The first formula of a markdown cell ($$…$$, \\[…\\], \\(…\\) or $…$), or the whole cell.

    Linear in the cell's length (see `grader.symbolic.formula`)."""
    formula = first_formula(text)
    return text.strip() if formula is None else formula


def _too_long(name: str, chars: int, limit: int) -> Text:
    return t("derivation.too_long", name=name, chars=chars, limit=limit)


def _answer_text(value: Any, name: str) -> tuple[str | None, Text | None]:
    if isinstance(value, dict) and set(value) == {"sympy"} and isinstance(value["sympy"], str):
        return value["sympy"], None
    if isinstance(value, str):
        return value, None
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_)):
        return repr(value.item() if isinstance(value, np.generic) else value), None
    if isinstance(value, TooBig):  # a string past the sandbox's caps: far too long to be an answer
        return None, t("derivation.too_large", name=name, limit=MAX_ANSWER_CHARS)
    kind = type(value).__name__ if not isinstance(value, Opaque) else value.type_name
    return None, t("derivation.wrong_type", name=name, type=kind)


ANSWER_KINDS = ("derivation", "choice", "text")


def judge_answers(tasks: tuple[PlannedTask, ...], execution: Execution, notebook: StudentNotebook,
                  symbolic: SymbolicPool | None, student: str = "") -> dict[str, Answer]:
    """Find each written answer (a variable first, then a markdown cell tagged with the task id) and
    judge the derivations among them, at sample points of this student's own (see the pool)."""
    found: dict[str, Answer] = {}
    for task in tasks:
        if task.kind not in ANSWER_KINDS or not task.tests:
            continue
        probe = task.tests[0].cases[0].probe
        run = execution.probes.get(probe.id)
        value: Any = None
        text, problem, latex = None, None, False
        if run is not None and run.status == "ok":
            value = run.value
            if task.kind == "choice":
                text = value if isinstance(value, str) else None
            else:
                text, problem = _answer_text(value, task.target)
            if isinstance(text, str) and not text.strip():
                text, value = None, None  # the released template's empty string: no answer yet
        if value is None and text is None and problem is None:
            cell = notebook.tagged(task.target)
            if cell is not None and cell.kind == "markdown" and cell.answer:
                if task.kind == "derivation" and len(cell.answer) > MAX_CELL_CHARS:
                    problem = _too_long(task.target, len(cell.answer), MAX_CELL_CHARS)
                elif task.kind == "derivation":
                    text, latex = latex_in_markdown(cell.answer), True
                else:
                    text = cell.answer
                value = text
        if task.kind == "derivation" and isinstance(text, str) and len(text) > MAX_ANSWER_CHARS:
            # Refused here, before the text crosses to the checker: the reader's caps are far smaller.
            text, value, problem = None, None, _too_long(task.target, len(text), MAX_ANSWER_CHARS)
        found[task.id] = Answer(text, latex, None, problem, value)
    pending = [(task, found[task.id]) for task in tasks
               if task.kind == "derivation" and task.id in found and found[task.id].text is not None]
    if not pending:
        return found
    pool = symbolic or SymbolicPool()
    try:
        for op in ("check", "read"):
            group = [(task, a) for task, a in pending if task.format_only == (op == "read")]
            verdicts = pool.request(op, [(task.derivation, a.text, a.latex) for task, a in group], student)
            for (task, a), verdict in zip(group, verdicts):
                found[task.id] = Answer(a.text, a.latex, verdict, None, a.value)
    finally:
        if symbolic is None:
            pool.close()
    return found


def grade_planned(sub: Submission, notebook: StudentNotebook, exercise: Exercise, tasks: tuple[PlannedTask, ...],
                  sandbox: Sandbox, hide: tuple[str, ...] = (),
                  symbolic: SymbolicPool | None = None, orders: Orders | None = None) -> SubmissionResult:
    """Run and judge one notebook. `orders`: how its choice letters are read (the release's keys,
    never the notebook's metadata); by default, in the order the exercise writes the options."""
    started = time.perf_counter()
    orders = orders or Orders()
    cells, issues = prepare_cells(notebook)
    seed = student_seed(exercise.id, sub.student)
    probes = tuple(case.probe for task in tasks for test in task.tests for case in test.cases) + \
        tuple(plot.probe for task in tasks for plot in task.plots)
    files = support_folder(exercise.path)
    execution = sandbox.execute(Job(cells=cells, probes=probes, seed=seed, limits=exercise.limits, hide=hide,
                                    files=str(files) if files is not None else None, compat=tuple(exercise.compat)))
    sources = [src for _, src in cells]
    defined_in: dict[str, int] = {}
    for index, source in cells:
        for name in defined_names(source):
            defined_in[name] = index
    answers = judge_answers(tasks, execution, notebook, symbolic, sub.student)
    facts = NotebookFacts(defined_in, {task.id: forbidden_uses(sources, task.target, task.forbid)
                                       for task in tasks if task.forbid}, answers, orders,
                          {task.id: missing_uses(sources, task.target, task.must_use) for task in tasks if task.must_use},
                          {task.id: typed_in(sources, task.target) for task in tasks if task.computed})
    task_results = evaluate(tasks, execution, facts, exercise.limits.probe_seconds)
    attribution = attribute(cells, execution, Context.of(exercise, (task.target for task in tasks)),
                            ask=[issue.cell - 1 for issue in issues])
    # A magic skipped in a given cell is the instructor's line, not the student's to hear about.
    issues = _cell_issues(execution, exercise.limits.cell_seconds, attribution) + \
        [issue for issue in issues if issue.cell - 1 not in attribution.given]
    issues.sort(key=lambda issue: issue.cell)
    result = SubmissionResult(
        student=sub.student, file=sub.file, exercise=exercise.id, exercise_version=exercise.version,
        status="graded", max_score=sum(task.max_score for task in task_results), tasks=task_results, cell_issues=tuple(issues),
        stdout=execution.stdout.text, content_hash=notebook.content_hash, environment=attribution.issues,
        timings={"wall": round(time.perf_counter() - started, 4), "sandbox": round(execution.wall, 4),
                 "student": round(execution.student_seconds, 4), "attempts": execution.attempts},
        meta=dict(sub.meta, isolation=execution.level, notes=list(execution.notes)) if execution.notes
        else dict(sub.meta, isolation=execution.level))
    unread = sorted(task.id for task in tasks if task.id in orders.unknown and task.tests)
    # The class page lists the students whose choice letters could not be read.
    return replace(result, meta=dict(result.meta, choice_order_unknown=unread)) if unread else result


def grade_notebook(sub: Submission, notebook: StudentNotebook, exercise: Exercise, sandbox: Sandbox, *,
                   public_only: bool = False, cache: ExpectedCache | None = None, hide: tuple[str, ...] = (),
                   symbolic: SymbolicPool | None = None, orders: Orders | None = None) -> SubmissionResult:
    tasks = plan_exercise(exercise, student_seed(exercise.id, sub.student), public_only=public_only, cache=cache)
    return grade_planned(sub, notebook, exercise, tasks, sandbox, hide, symbolic, orders)
