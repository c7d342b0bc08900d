"""The one result model: submission → tasks → tests, and its versioned JSON.

Two serialisations: `to_dict()` keeps every text in both languages (what the gradebook stores
and reports read back), `export(lang)` writes the contract of `results.json` with messages in one
language. Student errors are data here: a notebook that cannot be read is a `SubmissionResult`
with status "error", score 0 and the reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Literal

from .i18n import Text
from .untrusted import clean_data

SCHEMA_VERSION = "2.0"  # 2.0: "similarity" (groups of similar submissions) replaced "similar_pairs"

TestStatus = Literal["passed", "failed", "error", "pending"]  # pending: awaiting an instructor's marks
SubmissionStatus = Literal["graded", "error"]


def _text(value: Any) -> Text | None:
    return None if value is None else Text.of(value)


def _json(value: Text | None) -> dict[str, str] | None:
    return None if value is None else value.to_json()


@dataclass(frozen=True)
class TestResult:
    name: str
    status: TestStatus
    score: float
    max_score: float
    visibility: str
    public: bool
    message: Text  # full message, quoting inputs and values (instructors, public tests)
    summary: Text | None = None  # the same without inputs or values (what a hidden test may show)
    title: Text | None = None
    input: str | None = None
    expected: str | None = None
    got: str | None = None
    hint: Text | None = None
    traceback: str | None = None
    source: str | None = None
    misconception: str | None = None
    plot: dict[str, Any] | None = None  # data for a picture in the report (curves, boundaries)
    suggested: float | None = None  # rubric suggestion for a text answer: never part of the score

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name, "status": self.status, "score": self.score, "max_score": self.max_score,
            "visibility": self.visibility, "public": self.public, "message": _json(self.message),
            "summary": _json(self.summary), "title": _json(self.title), "input": self.input, "expected": self.expected, "got": self.got,
            "hint": _json(self.hint), "traceback": self.traceback, "source": self.source,
            "misconception": self.misconception, "plot": self.plot, "suggested": self.suggested,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TestResult:
        return cls(
            name=data["name"], status=data["status"], score=float(data["score"]),
            max_score=float(data["max_score"]), visibility=data.get("visibility", "message"),
            public=bool(data.get("public", False)), message=Text.of(data.get("message")),
            summary=_text(data.get("summary")), title=_text(data.get("title")), input=data.get("input"), expected=data.get("expected"),
            got=data.get("got"), hint=_text(data.get("hint")), traceback=data.get("traceback"),
            source=data.get("source"), misconception=data.get("misconception"), plot=data.get("plot"),
            suggested=data.get("suggested"),
        )

    def export(self, lang: str) -> dict[str, Any]:
        data: dict[str, Any] = {
            "name": self.name, "status": self.status, "score": self.score, "max_score": self.max_score,
            "visibility": self.visibility, "public": self.public, "message": self.message(lang),
        }
        if self.title is not None:
            data["title"] = self.title(lang)
        for key in ("input", "expected", "got", "traceback", "source", "misconception", "suggested"):
            if getattr(self, key) is not None:
                data[key] = getattr(self, key)
        if self.hint is not None:
            data["hint"] = self.hint(lang)
        return data


@dataclass(frozen=True)
class TaskResult:
    id: str
    title: Text
    kind: str
    tests: tuple[TestResult, ...]
    plots: tuple[dict[str, Any], ...] = ()  # pictures for the report (see grader.exercise.Plot)

    @property
    def score(self) -> float:
        return float(sum(t.score for t in self.tests))

    @property
    def max_score(self) -> float:
        return float(sum(t.max_score for t in self.tests))

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "title": _json(self.title), "kind": self.kind, "score": self.score,
                "max_score": self.max_score, "tests": [t.to_dict() for t in self.tests], "plots": list(self.plots)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TaskResult:
        return cls(data["id"], Text.of(data.get("title")), data.get("kind", "function"),
                   tuple(TestResult.from_dict(t) for t in data.get("tests", [])),
                   tuple(data.get("plots", [])))

    def export(self, lang: str) -> dict[str, Any]:
        return {"id": self.id, "title": self.title(lang), "kind": self.kind, "score": self.score,
                "max_score": self.max_score, "tests": [t.export(lang) for t in self.tests]}


@dataclass(frozen=True)
class CellIssue:
    """Something that happened to one cell: an exception, a timeout, a crash, a skipped magic."""

    cell: int  # 1-based, as the student counts cells
    kind: str  # "error" | "timeout" | "crashed" | "neutralised"
    message: Text
    traceback: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"cell": self.cell, "kind": self.kind, "message": _json(self.message), "traceback": self.traceback}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CellIssue:
        return cls(int(data["cell"]), data["kind"], Text.of(data.get("message")), data.get("traceback"))


@dataclass(frozen=True)
class EnvironmentIssue:
    """A problem of the grading environment met while running a notebook (a helper module or data
    file that is not there, a package not installed, an instructor's cell that fails by itself):
    reported to the instructor, never counted as the student's mistake."""

    cell: int  # 1-based
    problem: str  # "module" | "file" | "numpy1" | "cell"
    name: str  # the module, the file, the numpy alias, or the error type
    message: Text  # what happened, as an instructor and a student both read it
    fix: Text  # what the instructor can do about it
    given: bool = True  # the cell came from the instructor (else: the student's cell met it)

    def to_dict(self) -> dict[str, Any]:
        return {"cell": self.cell, "problem": self.problem, "name": self.name, "message": _json(self.message),
                "fix": _json(self.fix), "given": self.given}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EnvironmentIssue:
        return cls(int(data["cell"]), str(data["problem"]), str(data["name"]), Text.of(data.get("message")),
                   Text.of(data.get("fix")), bool(data.get("given", True)))

    def export(self, lang: str) -> dict[str, Any]:
        return {"cell": self.cell, "problem": self.problem, "name": self.name, "message": self.message(lang),
                "fix": self.fix(lang), "given": self.given}


@dataclass(frozen=True)
class SubmissionResult:
    student: str
    file: str
    exercise: str | None
    exercise_version: str | None
    status: SubmissionStatus
    max_score: float
    tasks: tuple[TaskResult, ...] = ()
    error: Text | None = None
    cell_issues: tuple[CellIssue, ...] = ()
    stdout: str = ""
    content_hash: str = ""
    timings: dict[str, float] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)  # LMS identity, late flags, sandbox level
    environment: tuple[EnvironmentIssue, ...] = ()  # the instructor's to fix; not the student's mistakes

    @property
    def score(self) -> float:
        return 0.0 if self.status == "error" else float(sum(t.score for t in self.tasks))

    @property
    def first_error(self) -> CellIssue | None:
        for issue in self.cell_issues:
            if issue.kind in ("error", "timeout", "crashed"):
                return issue
        return None

    def tests(self) -> list[tuple[TaskResult, TestResult]]:
        return [(task, test) for task in self.tasks for test in task.tests]

    def to_dict(self) -> dict[str, Any]:
        return {
            "student": self.student, "file": self.file, "exercise": self.exercise,
            "exercise_version": self.exercise_version, "status": self.status, "score": self.score,
            "max_score": self.max_score, "tasks": [t.to_dict() for t in self.tasks], "error": _json(self.error),
            "cell_issues": [c.to_dict() for c in self.cell_issues], "stdout": self.stdout,
            "content_hash": self.content_hash, "timings": self.timings, "meta": self.meta,
            "environment": [e.to_dict() for e in self.environment],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SubmissionResult:
        data = clean_data(data)  # a row stored by an older grader may hold text nothing can write
        return cls(
            student=data["student"], file=data["file"], exercise=data.get("exercise"),
            exercise_version=data.get("exercise_version"), status=data["status"],
            max_score=float(data["max_score"]), tasks=tuple(TaskResult.from_dict(t) for t in data.get("tasks", [])),
            error=_text(data.get("error")), cell_issues=tuple(CellIssue.from_dict(c) for c in data.get("cell_issues", [])),
            stdout=data.get("stdout", ""), content_hash=data.get("content_hash", ""),
            timings=dict(data.get("timings", {})), meta=dict(data.get("meta", {})),
            environment=tuple(EnvironmentIssue.from_dict(e) for e in data.get("environment", [])),
        )

    def export(self, lang: str) -> dict[str, Any]:
        data: dict[str, Any] = {
            "student": self.student, "file": self.file, "exercise": self.exercise,
            "exercise_version": self.exercise_version, "score": round(self.score, 6),
            "max_score": self.max_score, "status": self.status,
            "tasks": [t.export(lang) for t in self.tasks],
        }
        if self.error is not None:
            data["error"] = self.error(lang)
        first = self.first_error
        if first is not None:
            data["first_error"] = {"cell": first.cell, "kind": first.kind, "message": first.message(lang),
                                   "traceback": first.traceback}
        if self.environment:
            data["environment"] = [e.export(lang) for e in self.environment]
        data["content_hash"] = self.content_hash
        data["timings"] = self.timings
        if self.meta:
            data["meta"] = self.meta
        return data

    def cleaned(self) -> SubmissionResult:
        """The same result with every text valid Unicode: what a student's code printed, raised or
        returned may hold lone surrogates or NULs, and nothing could store or write it then."""
        data = self.to_dict()
        return self if clean_data(data) is data else SubmissionResult.from_dict(data)

    def with_identity(self, student: str, file: str) -> SubmissionResult:
        return replace(self, student=student, file=file)


def batch_export(exercise: str | None, submissions: list[SubmissionResult], lang: str,
                 extra: dict[str, Any] | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "exercise": exercise,
        "lang": lang,
        "submissions": [s.export(lang) for s in submissions],
    }
    if extra:
        data.update(extra)
    return data
