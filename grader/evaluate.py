"""Judging the child's answers: from probe outcomes and expected values to test results.

Everything here runs in the grading process on plain data. A probe that did not return (the
function is missing, raised, timed out, took the process down) becomes a failed test whose
message says what happened and where; a returned value goes through the test's checks; a failure
that matches a known wrong implementation gets that misconception's hint.
"""

from __future__ import annotations

import json
import signal
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .checks import Close, Either, Failure, describe
from .exam import parse_letters, score_choice, suggest, words
from .exercise import UNSET
from .i18n import Text, t
from .keys import Orders
from .plan import PlannedCase, PlannedTask, PlannedTest
from .results import TaskResult, TestResult
from .sandbox import CellRun, Execution, ProbeRun


@dataclass(frozen=True)
class Answer:
    """A derivation answer as found in the notebook, and how it was judged."""

    text: str | None  # None: no answer found
    latex: bool
    verdict: Any = None  # grader.symbolic.Verdict, or None when it could not be judged
    problem: Text | None = None  # why the answer could not be used (wrong type…)
    value: Any = None  # the answer as given (a choice answer may be a list of letters)


@dataclass(frozen=True)
class NotebookFacts:
    """What evaluation needs to know about the notebook beyond the probes."""

    defined_in: dict[str, int]  # name -> index of the last cell that defines it
    static_forbidden: dict[str, list[str]]  # task id -> forbidden names found in the source
    answers: dict[str, Answer] = field(default_factory=dict)  # derivation/choice/text task id -> answer
    orders: Orders = field(default_factory=Orders)  # the order each choice question's options were shown in
    missing_uses: dict[str, list[str]] = field(default_factory=dict)  # task id -> required names not used
    typed_in: dict[str, list[str]] = field(default_factory=dict)  # task id -> results returned as literals


@dataclass(frozen=True)
class CaseOutcome:
    ok: bool
    error: bool = False  # the code did not return (exception, timeout, crash, missing)
    summary: Text | None = None
    detail: Text | None = None
    got: Any = UNSET
    traceback: str | None = None
    misconception: tuple[str, Text] | None = None
    detail_replaces: bool = False  # the detail restates the summary with values (not an addition)
    shown_got: str | None = None  # what feedback shows as obtained/expected when not the whole values
    shown_expected: str | None = None
    notes: tuple[Text, ...] = ()  # leniencies a passing value needed


def why(reason: str) -> Text:
    """Words for a crash reason recorded by the sandbox ("timeout", "signal:9", "exit:3", …)."""
    kind, _, value = reason.partition(":")
    if kind == "signal":
        try:
            name = signal.Signals(int(value)).name
        except ValueError:
            name = value
        if name == "SIGXCPU":
            return t("why.timeout")
        return t("why.signal", name=name)
    if kind == "exit":
        return t("why.exit", code=value)
    key = f"why.{kind}"
    return t(key) if kind in ("timeout", "notebook_timeout", "memory", "result_too_large", "protocol", "worker") else \
        Text.of(reason)


def cell_why(run: CellRun) -> Text:
    if run.status == "error" and run.error is not None:
        return t("why.error", type=run.error.type)
    if run.status == "timeout":
        return t("why.timeout")
    if run.status == "skipped":
        return t("why.skipped")
    return why(run.reason or "crashed")


def _probe_failure(case: PlannedCase, run: ProbeRun, facts: NotebookFacts, execution: Execution,
                   timeout: float) -> CaseOutcome:
    """Why a probe gave no value: a value-free summary, and a detail quoting the actual call."""
    name = case.probe.name
    short = name if case.probe.kind == "variable" else f"{name}(…)"
    full = case.call if len(case.call) < 300 else case.call[:300] + "…"

    def both(key: str, **params: Any) -> tuple[Text, Text]:
        return t(key, call=short, **params), t(key, call=full, **params)

    if run.status == "missing":
        cell = facts.defined_in.get(name)
        cell_run = execution.cells.get(cell) if cell is not None else None
        if cell is not None and cell_run is not None and cell_run.status != "ok":
            text = t("probe.missing_after_error", name=name, cell=cell + 1, why=cell_why(cell_run))
        else:
            text = t("probe.missing", name=name)
        return CaseOutcome(False, True, text)
    if run.status == "not_callable":
        kind = run.value.get("$type", "value") if isinstance(run.value, dict) else "value"
        return CaseOutcome(False, True, t("probe.not_callable", name=name, type=kind))
    if run.status == "error" and run.error is not None:
        err = run.error
        if err.type == "TypeError" and "argument" in err.message and f"{name}()" in err.message:
            summary, detail = both("probe.signature", name=name, message=err.message[:300])
        else:
            summary, detail = both("probe.error", type=err.type, message=err.message[:500])
        return CaseOutcome(False, True, summary, detail, traceback=err.traceback, detail_replaces=True)
    if run.status == "timeout":
        summary, detail = both("probe.timeout", seconds=timeout)
    elif run.status == "crashed":
        summary, detail = both("probe.crashed", why=why(run.reason))
    elif run.status == "unreadable":
        summary, detail = both("probe.unreadable", why=str(run.value))
    else:
        summary, detail = t("probe.not_run"), None
    return CaseOutcome(False, True, summary, detail, detail_replaces=True)


def _misconception(case: PlannedCase, got: Any) -> tuple[str, Text] | None:
    for m in case.misconceptions:
        try:
            output = m.output()
        except Exception:
            continue
        if output is UNSET:
            continue
        try:
            if Close(rtol=m.rtol, atol=m.atol).evaluate(got, output) is None:
                return (m.id, m.hint)
        except (TypeError, ValueError):
            continue
    return None


def judge_case(test: PlannedTest, case: PlannedCase, run: ProbeRun, facts: NotebookFacts,
               execution: Execution, probe_seconds: float) -> CaseOutcome:
    if run.status != "ok":
        return _probe_failure(case, run, facts, execution, case.probe.timeout or probe_seconds)
    got = run.value
    if isinstance(got, dict) and set(got) == {"sympy"} and case.probe.kind == "variable":
        got = got["sympy"]
    notes: list[Text] = []
    for check in test.checks:
        # A check of printed output compares the text the code printed with the reference's.
        mine, theirs = (run.printed, case.expected_printed) if check.reads_printed else (got, case.expected)
        try:
            failure, passed_with = check.evaluate_with_notes(mine, theirs, case.probe.args)
        except (TypeError, ValueError) as exc:
            failure, passed_with = Failure(Text.of(f"could not compare the result: {exc}")), ()
        if failure is not None:
            return CaseOutcome(False, False, failure.summary, failure.detail, got,
                               misconception=_misconception(case, got), shown_got=failure.got,
                               shown_expected=failure.expected)
        notes.extend(passed_with)
    return CaseOutcome(True, got=got, notes=tuple(dict.fromkeys(notes)))


def judge_test(task: PlannedTask, test: PlannedTest, facts: NotebookFacts, execution: Execution,
               probe_seconds: float) -> TestResult:
    forbidden = list(facts.static_forbidden.get(task.id, []))
    outcomes: list[tuple[PlannedCase, CaseOutcome]] = []
    for case in test.cases:
        run = execution.probes.get(case.probe.id) or ProbeRun(case.probe.id, "not_run")
        for name in run.forbidden_used:
            if name not in forbidden:
                forbidden.append(name)
        outcomes.append((case, judge_case(test, case, run, facts, execution, probe_seconds)))

    passed = any(o.ok for _, o in outcomes) if test.require == "any" else all(o.ok for _, o in outcomes)
    common = dict(name=test.name, max_score=test.points, visibility=test.visibility, public=test.public,
                  title=test.title, source=test.source)
    if forbidden:
        text = t("probe.forbidden", name=task.target, apis=", ".join(f"`{f}`" for f in forbidden))
        return TestResult(status="failed", score=0.0, message=text, summary=text, misconception="forbidden_api",
                          **common)
    missing = facts.missing_uses.get(task.id)
    if missing:
        text = t("probe.must_use", name=task.target, names=", ".join(f"`{n}`" for n in missing))
        return TestResult(status="failed", score=0.0, message=text, summary=text, misconception="not_computed",
                          **common)
    literals = facts.typed_in.get(task.id)
    if literals:
        text = t("probe.typed_in", name=task.target, values=", ".join(f"`{v}`" for v in literals))
        return TestResult(status="failed", score=0.0, message=text, summary=text, misconception="not_computed",
                          **common)
    if passed:
        notes = list(dict.fromkeys(n for _, o in outcomes for n in o.notes))
        accepted = t("check.accepted", notes=Text.join(notes, "; ")) if notes else Text("", "")
        return TestResult(status="passed", score=test.points, message=accepted, summary=accepted, **common)
    case, outcome = next((c, o) for c, o in outcomes if not o.ok)
    # The summary quotes no input or value (hidden tests show only it); the message adds them.
    prefix = Text("On ", "Con ") + case.label + Text(": ", ": ") if case.label is not None else Text("", "")
    summary = prefix + (outcome.summary or Text("", ""))
    if outcome.detail is None:
        message = summary
    elif outcome.detail_replaces:
        message = prefix + outcome.detail
    else:
        message = summary + Text(" — ", " — ") + outcome.detail
    hint, misconception = test.hint, None
    if outcome.misconception is not None:
        misconception, hint = outcome.misconception
    expected = outcome.shown_expected
    if expected is None and case.expected is not UNSET:
        expected = describe(case.expected)
    got = outcome.shown_got
    if got is None and outcome.got is not UNSET:
        got = describe(outcome.got)
    return TestResult(
        status="error" if outcome.error else "failed", score=0.0, message=message, summary=summary,
        input=case.call, expected=expected, got=got,
        hint=hint, traceback=outcome.traceback, misconception=misconception, **common)


def judge_derivation(task: PlannedTask, test: PlannedTest, facts: NotebookFacts) -> TestResult:
    common = dict(name=test.name, max_score=test.points, visibility=test.visibility, public=test.public,
                  title=test.title, source=None)
    answer = facts.answers.get(task.id) or Answer(None, False)
    if answer.problem is not None or answer.text is None:
        text = answer.problem or t("derivation.missing", name=task.target)
        return TestResult(status="error", score=0.0, message=text, summary=text, **common)
    verdict = answer.verdict
    if verdict is None:
        text = t("derivation.unchecked")
        return TestResult(status="error", score=0.0, message=text, summary=text, got=answer.text, **common)
    # A hidden test's verdict never quotes a sample point, a value there, or anything worked out
    # from the expected answer: not in the report, not in results.json, not in any export.
    summary = Text.of(dict(verdict.brief))
    message = Text.of(dict(verdict.message)) if test.public else summary
    hint = Text.of(dict(verdict.hint)) if verdict.hint is not None else test.hint
    passed = verdict.status == "correct" or (task.format_only and verdict.status == "undetermined")
    status = "passed" if passed else ("error" if verdict.status == "invalid" else "failed")
    return TestResult(status=status, score=test.points if passed else 0.0, message=message, summary=summary,
                      got=verdict.read_as or answer.text, hint=None if passed else hint,
                      misconception=verdict.misconception, **common)


def judge_choice(task: PlannedTask, test: PlannedTest, facts: NotebookFacts) -> TestResult:
    common = dict(name=test.name, max_score=test.points, visibility=test.visibility, public=test.public,
                  title=test.title, source=None)
    choice = task.choice
    answer = facts.answers.get(task.id) or Answer(None, False)
    if answer.value is None:
        text = t("choice.missing", name=task.target)
        return TestResult(status="error", score=0.0, message=text, summary=text, **common)
    order = facts.orders.order(task.id, choice)
    parsed = parse_letters(answer.value, len(choice.options), choice.multiple, order)
    if parsed.problem is not None:
        return TestResult(status="error", score=0.0, message=parsed.problem, summary=parsed.problem,
                          got=describe(answer.value), **common)
    got = ", ".join(parsed.letters)
    if order is None and not task.format_only and not facts.orders.read_only:
        # Letters whose order is unknown mean nothing: not marked, and said why (never the written order).
        why = facts.orders.unknown.get(task.id) or t("choice.order_needs_keys")
        return TestResult(status="error", score=0.0, message=why, summary=why, got=got, **common)
    if task.format_only or order is None:
        text = t("choice.read", letters=got or "—")
        return TestResult(status="passed" if parsed.chosen else "error", score=0.0, message=text, summary=text,
                          got=got, **common)
    score = score_choice(choice, parsed.chosen, test.points)
    wrong = [choice.options[i] for i in parsed.chosen if not choice.options[i].correct]
    feedback = [o.feedback for o in wrong if o.feedback is not None]
    hint = Text.join(feedback) if feedback else test.hint
    misconception = f"{task.id}:{wrong[0].id}" if wrong else None
    if score >= test.points:
        return TestResult(status="passed", score=score, message=t("choice.right"), summary=t("choice.right"),
                          got=got, **common)
    text = t("choice.partial", score=score, points=test.points) if score > 0 else t("choice.wrong")
    return TestResult(status="failed", score=score, message=text, summary=text, got=got, hint=hint,
                      misconception=misconception, **common)


MAX_KEPT_ANSWER = 20_000  # characters of a written answer kept with its result, for whoever marks it


def judge_text(task: PlannedTask, test: PlannedTest, facts: NotebookFacts) -> TestResult:
    common = dict(name=test.name, max_score=test.points, visibility=test.visibility, public=test.public,
                  title=test.title, source=None)
    answer = facts.answers.get(task.id) or Answer(None, False)
    if answer.problem is not None or not answer.text:
        text = answer.problem or t("text.missing", name=task.target)
        return TestResult(status="error", score=0.0, message=text, summary=text, **common)
    criterion = next(c for c in task.rubric if c.id == test.name)
    n_words = len(words(answer.text))
    pending = t("text.pending", words=n_words)
    # The answer itself travels with the result, so that it can be marked from the gradebook alone.
    common["got"] = answer.text[:MAX_KEPT_ANSWER]
    if task.format_only or not criterion.concepts:
        return TestResult(status="pending", score=0.0, message=pending, summary=pending, **common)
    hint = suggest(criterion, answer.text)
    note = t("text.suggestion", points=hint.points, max=test.points, found=", ".join(hint.found) or "—",
             missing=", ".join(hint.missing) or "—")
    return TestResult(status="pending", score=0.0, message=pending + Text(" ", " ") + note, summary=pending,
                      suggested=hint.points, **common)


MAX_PLOT_NUMBERS = 5000


def _plain_list(value: Any) -> Any:
    """Numbers for a plot as JSON lists (6 significant digits), or None when not plottable."""
    if isinstance(value, Either):
        value = value.options[0]
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    if arr.size > MAX_PLOT_NUMBERS or arr.size == 0:
        return None
    arr = np.where(np.isfinite(arr), arr, np.nan)
    return json.loads(json.dumps(np.round(arr, 6).tolist()).replace("NaN", "null"))


def plot_data(task: PlannedTask, execution: Execution) -> tuple[dict[str, Any], ...]:
    out = []
    for plot in task.plots:
        run = execution.probes.get(plot.probe.id)
        student = _plain_list(run.value) if run is not None and run.status == "ok" else None
        extra = {k: _plain_list(v) if isinstance(v, np.ndarray) else v for k, v in plot.extra.items()}
        out.append({"kind": plot.kind, "title": plot.title.to_json(), "student": student,
                    "reference": _plain_list(plot.reference), **extra})
    return tuple(out)


def evaluate(tasks: tuple[PlannedTask, ...], execution: Execution, facts: NotebookFacts,
             probe_seconds: float) -> tuple[TaskResult, ...]:
    results = []
    for task in tasks:
        if task.kind == "derivation":
            tests = tuple(judge_derivation(task, test, facts) for test in task.tests)
        elif task.kind == "choice":
            tests = tuple(judge_choice(task, test, facts) for test in task.tests)
        elif task.kind == "text":
            tests = tuple(judge_text(task, test, facts) for test in task.tests)
        else:
            tests = tuple(judge_test(task, test, facts, execution, probe_seconds) for test in task.tests)
        # Pictures help where something failed; a task with full marks keeps its results small.
        plots = plot_data(task, execution) if any(not t.passed for t in tests) else ()
        results.append(TaskResult(task.id, task.title, task.kind, tests, plots))
    return tuple(results)
