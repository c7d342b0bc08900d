"""`grader.check()` inside a notebook: the exercise's public tests against the kernel's live state.

The same plan, checks, messages, hints and pictures as `grader check` and grading; what differs
is where the code comes from. Nothing is saved or re-run: the functions and variables are the
ones the kernel holds now, each probed in a forked child of the kernel (`grader.live.probe`).
The result is advice: grades come from `grader grade`, which runs the notebook afresh with hidden
tests too.
"""

from __future__ import annotations

import os
import time
from typing import Any

from ..errors import GraderError
from ..i18n import Text
from ..plan import PlannedTask, student_seed
from ..results import SubmissionResult
from . import kernel
from .probe import CAN_FORK, Runner
from .report import CheckReport
from .sources import find, saved_notebook

__all__ = ["CheckReport", "check"]

ANSWER_KINDS = ("derivation", "choice", "text")


def _chosen(tasks: tuple[PlannedTask, ...], wanted: str | None) -> tuple[PlannedTask, ...]:
    if wanted is None:
        return tasks
    exact = tuple(task for task in tasks if wanted in (task.id, task.target))
    if exact:
        return exact[:1]
    folded = tuple(task for task in tasks if wanted.lower() in (task.id.lower(), task.target.lower()))
    if folded:
        return folded[:1]
    names = ", ".join(task.id for task in tasks)
    raise GraderError(f"this exercise has no task {wanted!r} (its tasks: {names})")


def _mib(n: int) -> str:
    return f"{n / 1024**3:g} GiB" if n >= 1024**3 else f"{n // 1024**2} MiB"


def check(task: str | None = None, *, exercise: str | None = None, lang: str | None = None,
          notebook: str | os.PathLike[str] | None = None, isolate: bool | None = None) -> CheckReport:
    """Run the public tests of `task` (a task id or the name of the function it asks for; every
    task when None) against what this kernel holds now.

    `exercise`: take the tests of that exercise (a checks file of that name here, or an installed
    one) instead of the notebook's; `lang`: "en" or "es" instead of the notebook's language;
    `notebook`: the notebook's file when the front-end does not say it (only its markdown answers
    and metadata are read); `isolate=False` runs the probes inside the kernel, as on a system
    without `fork`.
    """
    started = time.perf_counter()
    ns = kernel.namespace()
    saved = saved_notebook(kernel.notebook_path(ns, notebook))
    try:
        checks = find(ns, exercise, saved)
        tasks = _chosen(checks.tasks, task)
    except GraderError as exc:
        advice = Text("A check is advice only: grades come from your instructor's grading.",
                      "Una comprobación solo orienta: la nota sale de la corrección de tu profesor.")
        return CheckReport(None, lang or "en", problem=str(exc), notes=[advice])
    lang = lang if lang in ("en", "es") else (checks.lang or "en")
    limits = checks.exercise.limits
    fork = CAN_FORK if isolate is None else bool(isolate) and CAN_FORK
    forbid = frozenset(name for t in tasks for name in t.forbid)
    runner = Runner(ns, limits, student_seed(checks.exercise.id, "check"), forbid, fork=fork)
    runs = _run_tests(tasks, runner)
    result = _judge(tasks, runs, ns, saved, checks.exercise, runner, started)
    # Pictures only of a task that failed on values its function returned (not of one that raised,
    # ran out of time or is missing: there is nothing to draw).
    failed = {r.id for r in result.tasks if any(not test.passed for test in r.tests)}
    drawn = [t for t in tasks if t.plots and t.id in failed and all(
        runs[case.probe.id].status == "ok" for test in t.tests for case in test.cases)]
    if drawn:
        runs.update({plot.probe.id: runner.run(plot.probe) for t in drawn for plot in t.plots})
        result = _judge(tasks, runs, ns, saved, checks.exercise, runner, started)
    notes = [
        Text(f"Public tests from {checks.where.en}.", f"Pruebas públicas de {checks.where.es}."),
        _isolation_note(fork, limits),
        Text("Advice only: grades come from your instructor's grading, which runs your notebook from the top "
             "with hidden tests too.",
             "Solo orienta: la nota sale de la corrección de tu profesor, que ejecuta tu cuaderno desde el "
             "principio y también con pruebas ocultas."),
    ]
    left = ", ".join(t.id for t in tasks if t.id not in {r.id for r in result.tasks})
    if left:
        notes.insert(0, Text(f"Not checked on this system, where written answers cannot be read safely: {left} "
                             "(grading reads them).",
                             f"Sin comprobar en este sistema, donde las respuestas escritas no se pueden leer con "
                             f"seguridad: {left} (la corrección las lee)."))
    return CheckReport(result, lang, checks.exercise.title, sum(t.hidden_tests for t in tasks), notes)


def _run_tests(tasks: tuple[PlannedTask, ...], runner: Runner) -> dict[str, Any]:
    """Every case's probe, except that a test which needs all its cases stops at the first that ran
    out of time or took its process down: its verdict and message are that case's already, and a
    student waits for one endless loop, not one per case."""
    from ..sandbox.runner import ProbeRun

    runs: dict[str, Any] = {}
    for task in tasks:
        for test in task.tests:
            stopped = False
            for case in test.cases:
                if stopped:
                    runs[case.probe.id] = ProbeRun(case.probe.id, "not_run")
                    continue
                runs[case.probe.id] = run = runner.run(case.probe)
                stopped = test.require != "any" and run.status in ("timeout", "crashed")
    return runs


def _isolation_note(fork: bool, limits: Any) -> Text:
    if fork:
        return Text(f"Each test ran in a separate copy of this kernel with the exercise's limits "
                    f"({limits.probe_seconds:g} s a test, {_mib(limits.memory_bytes)} of memory): nothing it did "
                    "changed your variables.",
                    f"Cada prueba se ejecutó en una copia aparte de este kernel con los límites del ejercicio "
                    f"({limits.probe_seconds:g} s por prueba, {_mib(limits.memory_bytes)} de memoria): nada de lo "
                    "que hizo cambió tus variables.")
    return Text(f"This system cannot copy the kernel (no fork, as on Windows): the tests ran inside it, each stopped "
                f"after {limits.probe_seconds:g} s when the time is spent in Python code (not inside a library "
                "call), with no memory limit; what they change stays in your variables.",
                f"Este sistema no puede copiar el kernel (sin fork, como en Windows): las pruebas se ejecutaron "
                f"dentro de él, cada una detenida a los {limits.probe_seconds:g} s si el tiempo se va en código "
                "Python (no dentro de una llamada a una biblioteca), sin límite de memoria; lo que cambien queda "
                "en tus variables.")


def _judge(tasks: tuple[PlannedTask, ...], runs: dict[str, Any], ns: dict[str, Any], saved: Any, exercise: Any,
           runner: Runner, started: float) -> SubmissionResult:
    """The probes' outcomes judged exactly as grading judges them."""
    from ..evaluate import NotebookFacts, evaluate
    from ..keys import Orders
    from ..sandbox.runner import Execution, Output
    from ..static import forbidden_uses, missing_uses, typed_in

    execution = Execution(cells={}, probes=runs, stdout=Output("", 0, False), stderr=Output("", 0, False),
                          attempts=1, wall=time.perf_counter() - started, student_seconds=runner.student_seconds,
                          level="fork" if runner.fork else "kernel")
    sources = kernel.executed_sources(ns) or kernel.target_sources(ns, [t.target for t in tasks])
    notebook = saved or kernel.no_notebook()
    answers = {}
    if any(t.kind in ANSWER_KINDS and t.tests for t in tasks):
        try:
            from ..grading import judge_answers
        except ImportError:  # no `resource` module (Windows): the answers' reader cannot be bounded here
            tasks = tuple(t for t in tasks if t.kind not in ANSWER_KINDS)
        else:
            answers = judge_answers(tasks, execution, notebook, None, "check")
    facts = NotebookFacts({}, {t.id: forbidden_uses(sources, t.target, t.forbid) for t in tasks if t.forbid}, answers,
                          Orders(read_only=True),
                          {t.id: missing_uses(sources, t.target, t.must_use) for t in tasks if t.must_use},
                          {t.id: typed_in(sources, t.target) for t in tasks if t.computed})
    results = evaluate(tasks, execution, facts, exercise.limits.probe_seconds)
    return SubmissionResult(
        student="check", file=str(notebook.path), exercise=exercise.id, exercise_version=exercise.version,
        status="graded", max_score=sum(r.max_score for r in results), tasks=results,
        timings={"wall": round(time.perf_counter() - started, 4), "student": round(runner.student_seconds, 4)},
        meta={"isolation": execution.level}).cleaned()
