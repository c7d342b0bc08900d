"""Turning an exercise into what one student's notebook will be asked, with the expected answers.

A plan is plain data (`PlannedTask` → `PlannedTest` → `PlannedCase`): the probes to send to the
child and, kept in the parent, the expected values computed by the reference implementations.
The same plan can be written to a release bundle (public tests only) so that `grader check`
needs neither the reference nor the hidden tests.
"""

from __future__ import annotations

import hashlib
import io
import sys
import threading
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .calltext import call_text, script_call
from .checks import Check, Either
from .exercise import UNSET, Case, Exercise, Task, Test
from .i18n import Text
from .sandbox import Probe


@dataclass(frozen=True)
class PlannedMisconception:
    id: str
    hint: Text
    rtol: float
    atol: float
    value: Any = UNSET
    thunk: Callable[[], Any] | None = None

    def output(self) -> Any:
        if self.value is not UNSET:
            return self.value
        return to_plain(self.thunk()) if self.thunk is not None else UNSET


@dataclass(frozen=True)
class PlannedCase:
    probe: Probe
    expected: Any
    label: Text | None
    call_text: str | None  # how the call reads in feedback; None: written from the probe when needed
    misconceptions: tuple[PlannedMisconception, ...] = ()
    expected_printed: str | None = None  # what the reference printed on this call (tests that capture)

    @property
    def call(self) -> str:
        """E.g. "sigmoid(array([0., 1.]))": only written for a failure (describing arrays is not free)."""
        if self.call_text is not None:
            return self.call_text
        if self.probe.kind == "script":
            return script_call(self.probe.source, self.probe.name, self.probe.args, self.probe.kwargs)
        return call_text(self.probe.name, self.probe.args, self.probe.kwargs)


@dataclass(frozen=True)
class PlannedTest:
    name: str
    title: Text | None
    points: float
    public: bool
    visibility: str
    hint: Text | None
    checks: tuple[Check, ...]
    require: str
    cases: tuple[PlannedCase, ...]
    source: str | None = None


@dataclass(frozen=True)
class PlannedPlot:
    kind: str
    title: Text
    probe: Probe
    reference: Any
    extra: dict[str, Any]


@dataclass(frozen=True)
class PlannedTask:
    id: str
    title: Text
    kind: str
    target: str
    forbid: tuple[str, ...]
    tests: tuple[PlannedTest, ...]
    hidden_tests: int = 0  # tests left out of this plan (e.g. hidden tests under `grader check`)
    derivation: Any = None  # DerivationSpec of a derivation task
    format_only: bool = False  # derivation checked for form only (self-checks never see the answer)
    plots: tuple[PlannedPlot, ...] = ()
    choice: Any = None
    rubric: tuple[Any, ...] = ()
    must_use: tuple[str, ...] = ()
    computed: bool = False


def student_seed(exercise_id: str, student: str) -> int:
    digest = hashlib.sha256(f"{exercise_id}\0{student}".encode()).digest()
    return int.from_bytes(digest[:4], "big")


def to_plain(value: Any) -> Any:
    """Reference outputs as numpy/python data (tensors detached and moved to the CPU)."""
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy()
    if isinstance(value, Either):
        return Either(tuple(to_plain(v) for v in value.options))
    if isinstance(value, tuple):
        return tuple(to_plain(v) for v in value)
    if isinstance(value, list):
        return [to_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: to_plain(v) for k, v in value.items()}
    return value


class ExpectedCache:
    """Reference outputs keyed by (exercise, task, test, input digest): shared across a batch."""

    def __init__(self) -> None:
        self._values: dict[str, Any] = {}
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: str, compute: Callable[[], Any]) -> Any:
        with self._lock:
            if key in self._values:
                self.hits += 1
                return self._values[key]
        value = to_plain(compute())
        with self._lock:
            self.misses += 1
            self._values[key] = value
        return value


def _once(fn: Callable[[], Any]) -> Callable[[], Any]:
    """`fn` computed on first use and remembered (a wrong implementation's output on a fixed case
    serves every student who fails that case)."""
    memo: list[Any] = []

    def get() -> Any:
        if not memo:
            memo.append(fn())
        return memo[0]

    return get


def _rng(seed: int, task: Task, test: Test) -> np.random.Generator:
    return np.random.default_rng([seed, zlib.crc32(task.id.encode()), zlib.crc32(test.name.encode())])


def _cases(seed: int, task: Task, test: Test) -> list[Case]:
    source = test.cases
    cases = list(source(_rng(seed, task, test)) if callable(source) else source)
    if not cases:
        raise ValueError(f"test {task.id}/{test.name} has no cases")
    return cases


class _ThreadStdout(io.TextIOBase):
    """sys.stdout while references run: what a thread running one prints is kept for it, every
    other thread's writes go where they went before."""

    def __init__(self, original: Any) -> None:
        self.original = original
        self.kept: dict[int, io.StringIO] = {}

    def write(self, text: str) -> int:
        kept = self.kept.get(threading.get_ident())
        if kept is not None:
            return kept.write(text)
        return int(self.original.write(text) or 0)

    def flush(self) -> None:
        if threading.get_ident() not in self.kept:
            self.original.flush()


_CAPTURE_LOCK = threading.Lock()
_capturing: list[_ThreadStdout] = []  # the router installed while any reference runs (at most one)


def call_capturing(fn: Callable[..., Any], case: Case) -> tuple[Any, str]:
    """`fn` on a case's arguments, and what it printed. References run in the grading process, often
    several threads at once; one that prints its progress must not write into the grader's output."""
    me = threading.get_ident()
    with _CAPTURE_LOCK:
        if not _capturing:
            _capturing.append(_ThreadStdout(sys.stdout))
            sys.stdout = _capturing[0]
        router = _capturing[0]
        outer = router.kept.get(me)  # a reference that calls another planned one
        router.kept[me] = io.StringIO()
    try:
        value = fn(*case.args, **case.kwargs)
    finally:
        with _CAPTURE_LOCK:
            text = router.kept.pop(me).getvalue()
            if outer is not None:
                router.kept[me] = outer
            elif not router.kept:
                sys.stdout = router.original
                _capturing.clear()
    return value, text


def plan_test(exercise: Exercise, task: Task, test: Test, seed: int, cache: ExpectedCache | None = None) -> PlannedTest:
    cache = cache or ExpectedCache()
    if not callable(test.cases):
        # Fixed cases are the same for every student: plan them once per batch.
        key = f"{exercise.id}@{exercise.version}/{task.id}/{test.name}/fixed"
        return cache.get(key, lambda: _plan_test(exercise, task, test, seed, cache, fixed=True))  # type: ignore[no-any-return]
    return _plan_test(exercise, task, test, seed, cache, fixed=False)


def _plan_test(exercise: Exercise, task: Task, test: Test, seed: int, cache: ExpectedCache, fixed: bool) -> PlannedTest:
    needs_expected = any(check.needs_expected for check in test.checks)
    capture = test.capture or any(check.reads_printed for check in test.checks)
    needs_printed = any(check.wants_printed_reference for check in test.checks)
    planned = []
    for k, case in enumerate(_cases(seed, task, test)):
        fn = test.expected or task.reference
        computes = (needs_expected and case.expected is UNSET) or needs_printed
        if computes and fn is None:
            raise ValueError(f"test {task.id}/{test.name} needs a reference or expected values")
        # Cases drawn for one student are not worth a cache key; fixed ones are planned once.
        value: Any = UNSET
        printed: str | None = None
        if computes:
            value, printed = call_capturing(fn, case)  # type: ignore[arg-type]
        if case.expected is not UNSET:
            expected = to_plain(case.expected)
        else:
            expected = to_plain(value) if needs_expected else UNSET
        misconceptions = tuple(
            PlannedMisconception(m.id, m.hint, m.rtol, m.atol,
                                 thunk=_once(lambda m=m, case=case: call_capturing(m.compute, case)[0]))
            for m in test.misconceptions)
        probe = Probe(id=f"{task.id}:{test.name}:{k}", kind=test.probe, name=task.target, args=tuple(case.args),
                      kwargs=dict(case.kwargs), source=test.script, forbid=task.forbid, timeout=test.timeout,
                      capture=capture, public=test.public)
        call = case.call if case.call is not None else (task.target if test.probe == "variable" else None)
        planned.append(PlannedCase(probe, expected, case.label, call, misconceptions,
                                   printed if needs_printed else None))
    return PlannedTest(name=test.name, title=test.title, points=float(test.points), public=test.public,
                       visibility=test.shown, hint=test.hint, checks=test.checks, require=test.require,
                       cases=tuple(planned), source=test.script)


def plan_plots(exercise: Exercise, task: Task, cache: ExpectedCache) -> tuple[PlannedPlot, ...]:
    plots = []
    for k, plot in enumerate(task.plots):
        fn = plot.reference or task.reference
        key = f"{exercise.id}@{exercise.version}/{task.id}/plot{k}"
        reference = cache.get(key, lambda fn=fn, c=plot.case: call_capturing(fn, c)[0]) if fn is not None else None
        probe = Probe(id=f"{task.id}:plot:{k}", kind=plot.probe, name=task.target, args=tuple(plot.case.args),
                      kwargs=dict(plot.case.kwargs), source=plot.script, timeout=None, public=True)
        plots.append(PlannedPlot(plot.kind, plot.title, probe, reference, to_plain(dict(plot.extra))))
    return tuple(plots)


def plan_exercise(exercise: Exercise, seed: int, *, public_only: bool = False,
                  cache: ExpectedCache | None = None, plots: bool = True) -> tuple[PlannedTask, ...]:
    cache = cache or ExpectedCache()
    tasks = []
    for task in exercise.tasks:
        chosen = [t for t in task.tests if t.public or not public_only]
        tests = tuple(plan_test(exercise, task, test, seed, cache) for test in chosen)
        tasks.append(PlannedTask(task.id, task.title, task.kind, task.target, task.forbid, tests,
                                 hidden_tests=len(task.tests) - len(chosen), derivation=task.derivation,
                                 format_only=public_only and task.kind == "derivation",
                                 plots=plan_plots(exercise, task, cache) if plots else (),
                                 choice=task.choice, rubric=task.rubric, must_use=task.must_use,
                                 computed=task.computed))
    return tuple(tasks)
