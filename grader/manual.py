"""Instructors' marks: read from CSV or YAML, kept in the gradebook, merged into every output.

Automatic results and manual marks are stored apart (the `manual_scores` table of the
gradebook), so re-grading a notebook never overwrites a mark: the final result is the automatic
one with the marks laid over it, each time results, reports or exports are written.

CSV: `student,task,criterion,points,comment` (comment optional; `criterion` is the rubric line
of a text question, or the test name of any other task to override it).
YAML: `{student: {task: {criterion: points | {points: P, comment: C}}}}`.
"""

from __future__ import annotations

import csv
import io
import sqlite3
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .errors import InputError
from .exercise import Exercise
from .i18n import Text, t
from .results import SubmissionResult, TaskResult
from .spreadsheet import csv_text, undefuse

SCHEMA = """
CREATE TABLE IF NOT EXISTS manual_scores (
    student TEXT NOT NULL, exercise TEXT NOT NULL, task TEXT NOT NULL, criterion TEXT NOT NULL,
    points REAL NOT NULL, comment TEXT NOT NULL, source TEXT NOT NULL, entered_at TEXT NOT NULL,
    PRIMARY KEY (student, exercise, task, criterion)
);
"""


@dataclass(frozen=True)
class Mark:
    student: str
    task: str
    criterion: str
    points: float
    comment: str = ""
    where: str = ""  # file and row, for error messages


def _number(value: Any, where: str, path: Path) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{where}: points {value!r} is not a number", path) from None
    if number != number or number in (float("inf"), float("-inf")):
        raise InputError(f"{where}: points must be a finite number", path)
    return number


MAX_MARKS_BYTES = 16 * 2**20  # a class of thousands with a comment on every criterion fits in a few MiB


def read_marks(path: Path) -> list[Mark]:
    try:
        size = path.stat().st_size
        if size > MAX_MARKS_BYTES:
            raise InputError(f"a marks file of {size // 2**20} MiB, over the {MAX_MARKS_BYTES // 2**20} MiB limit",
                             path)
        raw = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise InputError("no such file", path) from None
    except IsADirectoryError:
        raise InputError("is a folder, not a marks file", path) from None
    except UnicodeDecodeError:
        raise InputError("not UTF-8 text", path) from None
    if path.suffix.lower() in (".yaml", ".yml"):
        return _read_yaml(raw, path)
    reader = csv.DictReader(io.StringIO(raw))
    needed = {"student", "task", "criterion", "points"}
    if reader.fieldnames is None or not needed <= {f.strip() for f in reader.fieldnames}:
        raise InputError(f"needs the columns {', '.join(sorted(needed))} (and optionally comment)", path)
    marks = []
    for row_number, row in enumerate(reader, start=2):
        row = {k.strip(): (v or "").strip() for k, v in row.items() if k is not None}
        if not any(row.values()):
            continue
        where = f"row {row_number}"
        if not row["student"] or not row["task"] or not row["criterion"]:
            raise InputError(f"{where}: student, task and criterion must not be empty", path)
        # A cell our marks_template.csv defused (a student id starting with "=") reads as it was.
        marks.append(Mark(undefuse(row["student"]), undefuse(row["task"]), undefuse(row["criterion"]),
                          _number(row["points"], where, path), undefuse(row.get("comment", "")),
                          f"{path.name} {where}"))
    return marks


def _read_yaml(raw: str, path: Path) -> list[Mark]:
    import yaml

    class Loader(yaml.SafeLoader):
        """YAML without aliases: a few KiB of nested `*alias` references expand to millions of
        nodes (the "billion laughs"), and a marks file never needs one."""

        def compose_node(self, parent: Any, index: Any) -> Any:
            if self.check_event(yaml.AliasEvent):
                event = self.peek_event()
                raise yaml.composer.ComposerError(None, None, f"an alias (*{event.anchor}) is not allowed in a "
                                                  "marks file; write each value out", event.start_mark)
            return super().compose_node(parent, index)

    try:
        data = yaml.load(raw, Loader=Loader) or {}
    except yaml.YAMLError as exc:
        raise InputError(f"invalid YAML ({exc})", path) from None
    except RecursionError:
        raise InputError("the YAML is nested too deeply", path) from None
    if not isinstance(data, dict):
        raise InputError("the YAML must map students to tasks to criteria", path)
    marks = []
    for student, tasks in data.items():
        if not isinstance(tasks, dict):
            raise InputError(f"student {student!r}: expected a mapping of tasks", path)
        for task, criteria in tasks.items():
            if not isinstance(criteria, dict):
                raise InputError(f"{student}/{task}: expected a mapping of criteria to points", path)
            for criterion, value in criteria.items():
                where = f"{student}/{task}/{criterion}"
                comment = ""
                if isinstance(value, dict):
                    comment = str(value.get("comment", ""))
                    value = value.get("points")
                marks.append(Mark(str(student), str(task), str(criterion), _number(value, where, path), comment,
                                  f"{path.name} {where}"))
    return marks


def check_marks(marks: list[Mark], exercise: Exercise, path: Path) -> None:
    """Every mark must name a task and criterion of the exercise, with points within the criterion's."""
    for mark in marks:
        try:
            task = exercise.task(mark.task)
        except KeyError:
            raise InputError(f"{mark.where}: no task {mark.task!r} in exercise {exercise.id!r}", path) from None
        test = next((x for x in task.tests if x.name == mark.criterion), None)
        if test is None:
            names = ", ".join(x.name for x in task.tests)
            raise InputError(f"{mark.where}: task {mark.task!r} has no criterion {mark.criterion!r} ({names})", path)
        if not 0 <= mark.points <= test.points:
            raise InputError(f"{mark.where}: {mark.points:g} points is outside 0..{test.points:g}", path)


class MarkStore:
    """The `manual_scores` table of a gradebook file."""

    def __init__(self, db: Path) -> None:
        db.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(str(db), isolation_level=None, timeout=30)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.executescript(SCHEMA)

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> MarkStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def store(self, exercise: str, marks: list[Mark], source: str) -> None:
        now = datetime.now(timezone.utc).isoformat(timespec="seconds")
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            self._conn.executemany(
                "INSERT OR REPLACE INTO manual_scores VALUES (?,?,?,?,?,?,?,?)",
                [(m.student, exercise, m.task, m.criterion, m.points, m.comment, source, now) for m in marks])
            self._conn.execute("COMMIT")
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise

    def load(self) -> dict[tuple[str, str], dict[tuple[str, str], tuple[float, str]]]:
        """(student, exercise) -> {(task, criterion): (points, comment)}."""
        out: dict[tuple[str, str], dict[tuple[str, str], tuple[float, str]]] = {}
        for student, exercise, task, criterion, points, comment in self._conn.execute(
                "SELECT student, exercise, task, criterion, points, comment FROM manual_scores"):
            out.setdefault((student, exercise), {})[(task, criterion)] = (points, comment)
        return out


def apply_marks(result: SubmissionResult,
                marks: dict[tuple[str, str], dict[tuple[str, str], tuple[float, str]]]) -> SubmissionResult:
    """The result with the instructor's marks laid over the automatic scores."""
    mine = marks.get((result.student, result.exercise or ""))
    if not mine or result.status != "graded":
        return result
    tasks = []
    for task in result.tasks:
        tests = []
        for test in task.tests:
            mark = mine.get((task.id, test.name))
            if mark is None:
                tests.append(test)
                continue
            points, comment = mark
            points = max(0.0, min(points, test.max_score))
            message = t("text.marked") + (Text(" ", " ") + Text.of(comment) if comment else Text("", ""))
            tests.append(replace(test, status="passed" if points >= test.max_score else "failed", score=points,
                                 message=message, summary=message, hint=None if not comment else test.hint))
        tasks.append(TaskResult(task.id, task.title, task.kind, tuple(tests), task.plots))
    return replace(result, tasks=tuple(tasks), meta=dict(result.meta, manual_marks=len(mine)))


def template_rows(results: list[SubmissionResult]) -> str:
    """A CSV to fill in: one row per pending rubric line, with the suggestion beside it."""
    rows = [["student", "task", "criterion", "points", "comment", "max_points", "suggested"]]
    for result in results:
        for task, test in result.tests():
            if test.status == "pending":
                rows.append([result.student, task.id, test.name, "", "", f"{test.max_score:g}",
                             "" if test.suggested is None else f"{test.suggested:g}"])
    return csv_text(rows)
