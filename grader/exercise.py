"""How an exercise is described: tasks, tests, cases, checks, hints.

An exercise folder holds an `exercise.py` that builds one `Exercise`. This module is the whole
authoring vocabulary; `grader.plan` turns it into the probes for one student and the expected
values, `grader.evaluate` turns the child's answers into results.

A test calls the student's function (or reads a variable, or runs a short trusted script
against the student's namespace) on each of its cases; the expected value comes from the
task's reference implementation, computed in the grading process. Cases are fixed or drawn
from a generator seeded per student and exercise.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from .checks import Check, Close
from .i18n import Text
from .sandbox.limits import Limits

ProbeKind = Literal["call", "variable", "script"]
Visibility = Literal["score", "message", "traceback", "source"]
VISIBILITIES: tuple[str, ...] = ("score", "message", "traceback", "source")


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = _Unset()


@dataclass(frozen=True)
class Case:
    """One set of arguments. `label` describes the input in words (shown even for hidden tests)."""

    args: tuple[Any, ...] = ()
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    label: Text | None = None
    expected: Any = UNSET  # overrides the reference for this case
    # How the call reads in feedback. Script probes default to the one notebook function the script
    # calls, with this case's arguments (see grader.calltext).
    call: str | None = None


CaseSource = Sequence[Case] | Callable[[np.random.Generator], Sequence[Case]]


@dataclass(frozen=True)
class Misconception:
    """A known wrong implementation: when a student's output matches it, its hint is shown."""

    id: str
    compute: Callable[..., Any]
    hint: Text
    rtol: float = 1e-6
    atol: float = 1e-9


@dataclass(frozen=True)
class Test:
    name: str
    points: float
    cases: CaseSource
    checks: tuple[Check, ...] = (Close(),)
    public: bool = False
    title: Text | None = None
    hint: Text | None = None
    visibility: Visibility | None = None  # default: "traceback" when public, "message" when hidden
    probe: ProbeKind = "call"
    script: str | None = None  # for probe="script": defines probe(ns, *args, **kwargs)
    expected: Callable[..., Any] | None = None  # overrides the task's reference
    misconceptions: tuple[Misconception, ...] = ()
    require: Literal["all", "any"] = "all"  # "any": e.g. a training run passes on one of several seeds
    timeout: float | None = None
    # Keep what the student's code prints while probed, for checks that read it (`Printed`); a test
    # with such a check captures without being told.
    capture: bool = False

    @property
    def shown(self) -> Visibility:
        if self.visibility is not None:
            return self.visibility
        return "traceback" if self.public else "message"


@dataclass(frozen=True)
class Plot:
    """A picture for the report: the student's output beside the reference's, on one case.

    kind "curve": `extra["x"]` is the x-axis and both outputs are y-values (an activation on a grid);
    "trajectory": outputs are sequences of 2-D points (an optimiser's path; `extra` may name the
    objective); "boundary": outputs are class predictions on the grid `extra["grid_x"]` ×
    `extra["grid_y"]`, with `extra["points"]` the data. Plots are never graded.
    """

    kind: Literal["curve", "trajectory", "boundary"]
    title: Text
    case: Case
    probe: ProbeKind = "call"
    script: str | None = None
    reference: Callable[..., Any] | None = None  # default: the task's reference
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Task:
    """A graded unit: usually one function (`target`) the student writes, with its tests."""

    id: str
    title: Text
    tests: tuple[Test, ...]
    target: str = ""  # the function or variable name the tests probe
    reference: Callable[..., Any] | None = None
    forbid: tuple[str, ...] = ()  # dotted library functions the target must not use
    must_use: tuple[str, ...] = ()  # names the target must use (e.g. the student's own Value class)
    # The target must work its result out: returning numbers typed in (`return 70.0, 9.0, -24.0`,
    # `np.array([70, 9])`, a name bound to such) fails, however it is computed otherwise.
    computed: bool = False
    signature: str = ""  # how the statement writes the call, e.g. "sigmoid(x)"
    kind: str = "function"
    derivation: Any = None  # a grader.symbolic.DerivationSpec for kind "derivation"
    plots: tuple[Plot, ...] = ()
    choice: Any = None  # a Choice for kind "choice"
    rubric: tuple[Any, ...] = ()  # Criterion rows for kind "text"
    question: Text | None = None  # the question as the student reads it (choice and text tasks)

    @property
    def max_score(self) -> float:
        return float(sum(test.points for test in self.tests))


def FunctionTask(id: str, title: Text | dict[str, str] | str, function: str, tests: Sequence[Test], *,
                 reference: Callable[..., Any] | None = None, forbid: Sequence[str] = (),
                 signature: str = "", plots: Sequence[Plot] = (), must_use: Sequence[str] = (),
                 computed: bool = False) -> Task:
    return Task(id=id, title=Text.of(title), tests=tuple(tests), target=function, reference=reference,
                forbid=tuple(forbid), signature=signature or f"{function}(…)", kind="function",
                plots=tuple(plots), must_use=tuple(must_use), computed=computed)


def curve(title: Text, x: Any, reference: Callable[..., Any] | None = None) -> Plot:
    """The student's function and the reference on the grid `x` (an activation, say)."""
    return Plot("curve", title, Case((x,)), reference=reference, extra={"x": x})


def NumericTask(id: str, title: Text | dict[str, str] | str, variable: str, expected: Any, points: float, *,
                checks: tuple[Check, ...] = (Close(rtol=1e-6, atol=1e-9),), public: bool = False,
                hint: Text | None = None) -> Task:
    test = Test(name="value", points=points, cases=[Case(expected=expected)], checks=checks, public=public,
                hint=hint, probe="variable")
    return Task(id=id, title=Text.of(title), tests=(test,), target=variable, kind="numeric")


def DerivationTask(spec: Any, points: float, *, public: bool = False, title: Text | dict[str, str] | None = None,
                   hint: Text | None = None) -> Task:
    """A symbolic answer: the variable `spec.id` (a Python-syntax string or a sympy expression), or a
    markdown cell tagged `spec.id` holding LaTeX. Judged by grader.symbolic against `spec`."""
    title = Text.of(title if title is not None else dict(spec.title))
    test = Test(name="answer", points=points, cases=[Case(label=title)], checks=(), public=public, hint=hint,
                probe="variable", title=title)
    return Task(id=spec.id, title=title, tests=(test,), target=spec.id, kind="derivation", derivation=spec)


@dataclass(frozen=True)
class Option:
    """One option of a choice question; `feedback` is shown to a student who chose it wrongly."""

    id: str
    text: Text
    correct: bool = False
    feedback: Text | None = None


@dataclass(frozen=True)
class Choice:
    options: tuple[Option, ...]
    multiple: bool = False
    # "all_or_nothing": full points only for exactly the right set; "right_minus_wrong": the share of
    # right options chosen minus the share of wrong options chosen, never below 0 (multiple answer).
    scoring: Literal["all_or_nothing", "right_minus_wrong"] = "all_or_nothing"
    shuffle: bool = True


def ChoiceTask(id: str, title: Text | dict[str, str] | str, question: Text | dict[str, str] | str,
               options: Sequence[Option], points: float, *, multiple: bool = False,
               scoring: Literal["all_or_nothing", "right_minus_wrong"] = "all_or_nothing", shuffle: bool = True,
               public: bool = False) -> Task:
    """A choice question answered by letters in the variable `id` (e.g. `q3 = "b"` or `q3 = ["a", "c"]`),
    or in a markdown cell tagged `id`. Options may be shuffled per student at release."""
    correct = [o for o in options if o.correct]
    if not correct or (not multiple and len(correct) != 1):
        raise ValueError(f"choice task {id}: {'one' if not multiple else 'at least one'} option must be correct")
    test = Test(name="answer", points=points, cases=[Case()], checks=(), public=public, probe="variable",
                title=Text.of(title))
    return Task(id=id, title=Text.of(title), tests=(test,), target=id, kind="choice",
                choice=Choice(tuple(options), multiple, scoring, shuffle), question=Text.of(question))


@dataclass(frozen=True)
class Criterion:
    """One rubric line of a text answer. `concepts` are groups of synonyms (either language); the
    share of groups an answer mentions suggests the points. Suggestions are never awarded: an
    instructor's score is (see grader.manual)."""

    id: str
    points: float
    description: Text
    concepts: tuple[tuple[str, ...], ...] = ()


def TextTask(id: str, title: Text | dict[str, str] | str, question: Text | dict[str, str] | str,
             criteria: Sequence[Criterion], *, public: bool = False) -> Task:
    """A free answer in a markdown cell tagged `id` (or a string in the variable `id`), marked by rubric."""
    tests = tuple(Test(name=c.id, points=c.points, cases=[Case()], checks=(), public=public, probe="variable",
                       title=c.description) for c in criteria)
    return Task(id=id, title=Text.of(title), tests=tests, target=id, kind="text", rubric=tuple(criteria),
                question=Text.of(question))


@dataclass(frozen=True)
class Exercise:
    id: str
    version: str
    title: Text
    tasks: tuple[Task, ...]
    limits: Limits = Limits()
    requires: tuple[str, ...] = ("numpy",)  # modules the student's notebook is expected to import
    path: str = ""  # the folder it was loaded from
    # Compatibility shims applied in the student's process only: "numpy1" restores the aliases
    # numpy 2 removed (np.int, np.float, np.bool, np.object, …) for assignments written for numpy 1.
    compat: tuple[str, ...] = ()

    @property
    def max_score(self) -> float:
        return float(sum(task.max_score for task in self.tasks))

    def task(self, task_id: str) -> Task:
        for task in self.tasks:
            if task.id == task_id:
                return task
        raise KeyError(task_id)


def random_arrays(shapes: Sequence[tuple[int, ...]], low: float = -5.0, high: float = 5.0,
                  label: Text | None = None) -> Callable[[np.random.Generator], list[Case]]:
    """Cases of one float64 array argument per shape, uniform in [low, high)."""

    def make(rng: np.random.Generator) -> list[Case]:
        return [Case((rng.uniform(low, high, size=shape),),
                     label=label or Text(f"x of shape {shape}, values in [{low:g}, {high:g})",
                                         f"x de forma {shape}, valores en [{low:g}, {high:g})"))
                for shape in shapes]

    return make
