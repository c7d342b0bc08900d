"""Instructors' marks: read from CSV or YAML, kept in the gradebook, merged into every output.

Automatic results and manual marks are stored apart (the `manual_scores` table of the
gradebook), so re-grading a notebook never overwrites a mark: the final result is the automatic
one with the marks laid over it, each time results, reports or exports are written.

CSV: `student,task,criterion,points,comment` (comment optional; `criterion` is the rubric line
of a text question, or the test name of any other task to override it).
YAML: `{student: {task: {criterion: points | {points: P, comment: C}}}}`.

Every change of a mark, from a marks file or from `grader serve`, is also appended to
`manual_history` (who or what entered it, when, and the points, or none when a mark was removed),
in the same transaction as the change itself: the table of marks holds the latest of each, the
history all of them.
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
CREATE TABLE IF NOT EXISTS manual_history (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    student TEXT NOT NULL, exercise TEXT NOT NULL, task TEXT NOT NULL, criterion TEXT NOT NULL,
    points REAL, comment TEXT NOT NULL, source TEXT NOT NULL, entered_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS manual_history_cell ON manual_history (student, exercise, task, criterion);
"""

# (student, exercise) -> {(task, criterion): (points, comment)}: what `apply_marks` lays over results.
Marks = dict[tuple[str, str], dict[tuple[str, str], tuple[float, str]]]


@dataclass(frozen=True)
class Mark:
    student: str
    task: str
    criterion: str
    points: float
    comment: str = ""
    where: str = ""  # file and row, for error messages


@dataclass(frozen=True)
class Entry:
    """A stored mark, or one change of it in the history (`points` None: the mark was removed)."""

    student: str
    exercise: str
    task: str
    criterion: str
    points: float | None
    comment: str
    source: str  # the marks file, or who marked in the browser
    entered_at: str  # UTC, ISO 8601


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


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class MarkStore:
    """The `manual_scores` table of a gradebook file, and the history of its changes."""

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

    def _write(self, rows: list[tuple[Any, ...]], removed: list[tuple[str, str, str, str]]) -> None:
        """One transaction: marks replaced or removed, and every change (a removal: points None)
        appended to the history."""
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            self._conn.executemany("INSERT OR REPLACE INTO manual_scores VALUES (?,?,?,?,?,?,?,?)",
                                   [row for row in rows if row[4] is not None])
            self._conn.executemany(
                "INSERT INTO manual_history (student, exercise, task, criterion, points, comment, source, entered_at) "
                "VALUES (?,?,?,?,?,?,?,?)", rows)
            for key in removed:
                self._conn.execute("DELETE FROM manual_scores WHERE student=? AND exercise=? AND task=? AND "
                                   "criterion=?", key)
            self._conn.execute("COMMIT")
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise

    def store(self, exercise: str, marks: list[Mark], source: str) -> None:
        now = _now()
        self._write([(m.student, exercise, m.task, m.criterion, m.points, m.comment, source, now) for m in marks], [])

    def remove(self, exercise: str, cells: list[tuple[str, str, str]], source: str) -> None:
        """Remove the marks of (student, task, criterion) cells: the automatic result stands again."""
        now = _now()
        self._write([(student, exercise, task, criterion, None, "", source, now) for student, task, criterion in cells
                     ], [(student, exercise, task, criterion) for student, task, criterion in cells])

    def load(self) -> Marks:
        """(student, exercise) -> {(task, criterion): (points, comment)}."""
        out: Marks = {}
        for student, exercise, task, criterion, points, comment in self._conn.execute(
                "SELECT student, exercise, task, criterion, points, comment FROM manual_scores"):
            out.setdefault((student, exercise), {})[(task, criterion)] = (points, comment)
        return out

    def entries(self, exercise: str) -> list[Entry]:
        """The stored marks of one exercise, with who entered each and when."""
        return [Entry(*row) for row in self._conn.execute(
            "SELECT student, exercise, task, criterion, points, comment, source, entered_at FROM manual_scores "
            "WHERE exercise=? ORDER BY student, task, criterion", (exercise,))]

    def history(self, exercise: str, student: str, task: str | None = None) -> list[Entry]:
        """Every change of one student's marks (of one task), oldest first."""
        query = ("SELECT student, exercise, task, criterion, points, comment, source, entered_at FROM manual_history "
                 "WHERE exercise=? AND student=?" + (" AND task=?" if task is not None else "") + " ORDER BY id")
        return [Entry(*row) for row in self._conn.execute(query, (exercise, student) +
                                                          ((task,) if task is not None else ()))]


def apply_marks(result: SubmissionResult, marks: Marks) -> SubmissionResult:
    """The result with the instructor's marks laid over the automatic scores.

    A mark on a rubric line awaiting marks is a mark; a mark on a test the grader judged itself is
    a regrade, said as such (with the reason and what the automatic check gave) wherever the
    result is shown. `meta["marks"]` lists every mark applied."""
    mine = marks.get((result.student, result.exercise or ""))
    if not mine or result.status != "graded":
        return result
    tasks, applied = [], []
    for task in result.tasks:
        tests = []
        for test in task.tests:
            mark = mine.get((task.id, test.name))
            if mark is None:
                tests.append(test)
                continue
            points, comment = mark
            points = max(0.0, min(points, test.max_score))
            regraded = test.status != "pending"
            if regraded:
                message = t("text.regraded", reason=f": {comment}" if comment else "", score=test.score,
                            max=test.max_score)
            else:
                message = t("text.marked") + (Text(" ", " ") + Text.of(comment) if comment else Text("", ""))
            tests.append(replace(test, status="passed" if points >= test.max_score else "failed", score=points,
                                 message=message, summary=message, hint=None if not comment else test.hint))
            applied.append({"task": task.id, "test": test.name, "points": points, "comment": comment,
                            "regraded": regraded, **({"automatic": test.score} if regraded else {})})
        tasks.append(TaskResult(task.id, task.title, task.kind, tuple(tests), task.plots))
    return replace(result, tasks=tuple(tasks), meta=dict(result.meta, manual_marks=len(mine), marks=applied))


def template_rows(results: list[SubmissionResult]) -> str:
    """A CSV to fill in: one row per pending rubric line, with the suggestion beside it."""
    rows = [["student", "task", "criterion", "points", "comment", "max_points", "suggested"]]
    for result in results:
        for task, test in result.tests():
            if test.status == "pending":
                rows.append([result.student, task.id, test.name, "", "", f"{test.max_score:g}",
                             "" if test.suggested is None else f"{test.suggested:g}"])
    return csv_text(rows)
