"""The gradebook as the marking pages see it: stored results, the marks laid over them, and who
marked what.

Results are read from the gradebook `grade` left and re-read only when it changes (another
`grade` run); marks are read on every request, so every page is live. Marks are written through
`grader.manual.MarkStore`, the table `--manual` fills, under the same rules: a mark names a test of
the student's stored result, with points from 0 to the test's. One SQLite connection per
operation: requests run in several threads, and SQLite's own locking (WAL, a busy timeout,
immediate transactions) orders two markers' writes.
"""

from __future__ import annotations

import json
import math
import re
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..exercise import Exercise
from ..gradebook import FILENAME
from ..i18n import Text
from ..manual import Entry, Mark, MarkStore, apply_marks
from ..results import SubmissionResult, TaskResult, TestResult
from ..untrusted import file_stem


@dataclass(frozen=True)
class Criterion:
    name: str
    title: Text
    points: float


@dataclass(frozen=True)
class TaskInfo:
    id: str
    title: Text
    kind: str
    criteria: tuple[Criterion, ...]
    question: Text | None = None


class MarkError(ValueError):
    """A mark the gradebook's rules refuse; the message says which and why."""


def parse_points(raw: str, test: TestResult) -> float:
    """Points typed in a form ("1", "0.5", "0,5"), within 0..the test's points."""
    try:
        points = float(raw.strip().replace(",", "."))
    except ValueError:
        raise MarkError(f"{raw[:20]!r} is not a number of points") from None
    if not math.isfinite(points) or not 0 <= points <= test.max_score:
        raise MarkError(f"{points:g} points is outside 0..{test.max_score:g}")
    return points


def _definition(exercise_id: str, results: list[SubmissionResult]) -> Exercise | None:
    """The bundled exercise's definition (questions, rubric), when it is the one these results come
    from: same tasks, same tests. Anything else is shown from the results alone."""
    if not re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_-]{0,63}", exercise_id):
        return None
    try:
        from ..library import exercises_root, load_folder

        folder = exercises_root() / exercise_id
        if not (folder / "exercise.py").is_file():
            return None
        exercise = load_folder(folder)
    except Exception:  # noqa: BLE001 - an exercise that no longer loads: the results still say enough to mark
        return None
    shapes = {(task.id, tuple(test.name for test in task.tests)) for task in exercise.tasks}
    graded = next((r for r in results if r.status == "graded"), None)
    if graded is None or not {(t.id, tuple(x.name for x in t.tests)) for t in graded.tasks} <= shapes:
        return None
    return exercise


class Book:
    """One exercise of the gradebook in `out`."""

    def __init__(self, out: Path, exercise: str | None = None) -> None:
        self.out = out
        self.db = out / FILENAME
        if not self.db.is_file():
            raise InputError(f"no gradebook here ({FILENAME}); run 'grader grade ... --out {out}' first", out)
        self._lock = threading.Lock()
        self._stamp: tuple[Any, ...] | None = None
        self._results: list[SubmissionResult] = []
        names = self._exercises()
        if exercise is None and len(names) > 1:
            raise InputError(f"the gradebook holds several exercises ({', '.join(names)}); choose one with "
                             "--exercise", out)
        if not names or (exercise is not None and exercise not in names):
            which = f" of {exercise}" if exercise else ""
            raise InputError(f"no graded submissions{which} in the gradebook", out)
        self.exercise = exercise or names[0]
        with MarkStore(self.db):
            pass  # the marks' tables exist before the first request reads them
        self.definition = _definition(self.exercise, self.results())
        written = self._written()
        self.lang = written.get("lang") if written.get("lang") in ("en", "es") else "en"
        self.similar = written.get("similarity") if isinstance(written.get("similarity"), dict) else None
        notices = written.get("notices")
        self.notices = [str(n) for n in notices] if isinstance(notices, list) else []

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(str(self.db), timeout=30)

    def _exercises(self) -> list[str]:
        conn = self._connect()
        try:
            return [row[0] for row in conn.execute("SELECT DISTINCT exercise FROM results WHERE exercise != '' "
                                                   "ORDER BY exercise")]
        except sqlite3.DatabaseError as exc:
            raise InputError(f"not a usable gradebook ({exc})", self.db) from None
        finally:
            conn.close()

    def _written(self) -> dict[str, Any]:
        """What `grade` wrote beside the gradebook and the gradebook does not keep (the language,
        the similar submissions, the problems met at intake)."""
        try:
            data = json.loads((self.out / "results.json").read_text("utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) and data.get("exercise") in (None, self.exercise) else {}

    # -- results -------------------------------------------------------------------------------

    def results(self) -> list[SubmissionResult]:
        """The stored results, automatic only, re-read when a `grade` run has changed them (a
        replaced row gets a new rowid)."""
        conn = self._connect()
        try:
            stamp = tuple(conn.execute("SELECT COUNT(*), MAX(rowid) FROM results WHERE exercise=?",
                                       (self.exercise,)).fetchone())
            with self._lock:
                if stamp == self._stamp:
                    return self._results
            rows = conn.execute("SELECT result FROM results WHERE exercise=? ORDER BY student",
                                (self.exercise,)).fetchall()
        finally:
            conn.close()
        results = []
        for (payload,) in rows:
            try:
                results.append(SubmissionResult.from_dict(json.loads(payload)))
            except (ValueError, TypeError, KeyError):
                continue  # written by another version of the grader: `grade` grades it again
        with self._lock:
            self._stamp, self._results = stamp, results
        return results

    @property
    def stamp(self) -> tuple[Any, ...] | None:
        return self._stamp

    def marked(self) -> list[SubmissionResult]:
        """Every result with the marks laid over it: what reports, results.json and exports show."""
        with MarkStore(self.db) as store:
            marks = store.load()
        return [apply_marks(r, marks) for r in self.results()]

    def keys(self) -> dict[str, str]:
        """The key in a page's address for each student: their report's file stem."""
        return {file_stem(r.student): r.student for r in self.results()}

    def result(self, key: str) -> SubmissionResult | None:
        student = self.keys().get(key)
        return next((r for r in self.results() if r.student == student), None)

    def title(self) -> Text:
        return self.definition.title if self.definition is not None else Text(self.exercise, self.exercise)

    # -- tasks ---------------------------------------------------------------------------------

    def tasks(self) -> list[TaskInfo]:
        """The exercise's tasks, from its definition or else from the first graded result."""
        graded = next((r for r in self.results() if r.status == "graded"), None)
        if graded is None:
            return []
        questions = {task.id: task.question for task in self.definition.tasks} if self.definition else {}
        return [TaskInfo(task.id, task.title, task.kind,
                         tuple(Criterion(t.name, t.title or Text(t.name, t.name), t.max_score) for t in task.tests),
                         questions.get(task.id)) for task in graded.tasks]

    def task(self, task_id: str) -> TaskInfo | None:
        return next((t for t in self.tasks() if t.id == task_id), None)

    def queue(self, task_id: str) -> list[SubmissionResult]:
        """The graded students with an answer to the task awaiting (or having had) marks."""
        return [r for r in self.results() if r.status == "graded" and
                any(test.status == "pending" for test in _tests(r, task_id))]

    # -- marks ---------------------------------------------------------------------------------

    def entries(self) -> dict[tuple[str, str, str], Entry]:
        """(student, task, criterion) -> the stored mark, with who entered it and when."""
        with MarkStore(self.db) as store:
            return {(e.student, e.task, e.criterion): e for e in store.entries(self.exercise)}

    def history(self, student: str, task: str | None = None) -> list[Entry]:
        with MarkStore(self.db) as store:
            return store.history(self.exercise, student, task)

    def pending(self, task_id: str, entries: dict[tuple[str, str, str], Entry]) -> dict[str, int]:
        """Student -> how many of their criteria of the task await marks."""
        return {r.student: sum(1 for test in _tests(r, task_id)
                               if test.status == "pending" and (r.student, task_id, test.name) not in entries)
                for r in self.queue(task_id)}

    def check(self, student: str, task_id: str, criterion: str) -> TestResult:
        """The stored test a mark would lay over, or a MarkError saying why there is none."""
        result = next((r for r in self.results() if r.student == student), None)
        if result is None:
            raise MarkError(f"no student {student!r} in the gradebook")
        if result.status != "graded":
            raise MarkError(f"{student}'s notebook was not graded; marks apply to graded notebooks only")
        test = next((t for t in _tests(result, task_id) if t.name == criterion), None)
        if test is None:
            raise MarkError(f"task {task_id!r} has no criterion {criterion!r}")
        return test

    def save(self, marks: list[Mark], marker: str) -> None:
        """Store marks at once (one transaction), each checked first."""
        for mark in marks:
            test = self.check(mark.student, mark.task, mark.criterion)
            if not (math.isfinite(mark.points) and 0 <= mark.points <= test.max_score):
                raise MarkError(f"{mark.points:g} points is outside 0..{test.max_score:g}")
        if marks:
            with MarkStore(self.db) as store:
                store.store(self.exercise, marks, source(marker))

    def remove(self, student: str, task_id: str, criterion: str, marker: str) -> None:
        self.check(student, task_id, criterion)
        if (student, task_id, criterion) not in self.entries():
            return
        with MarkStore(self.db) as store:
            store.remove(self.exercise, [(student, task_id, criterion)], source(marker))


def source(marker: str) -> str:
    """What the marks table records as a mark's origin when it comes from the browser."""
    return f"browser: {marker}"


def _tests(result: SubmissionResult, task_id: str) -> tuple[TestResult, ...]:
    task: TaskResult | None = next((t for t in result.tasks if t.id == task_id), None)
    return task.tests if task is not None else ()
