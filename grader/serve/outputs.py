"""Keeping what `grade` wrote in the output folder in step with the marks entered in the browser.

A saved mark is in the gradebook at once, and every page the server shows reads it there. The
files beside the gradebook (the students' reports, results.json, grades.csv, index.html,
marks_template.csv) are rewritten by one background thread once the saves pause for QUIET
seconds (at most MAX_WAIT after the first): a burst of marks is written once, and a marker never
waits for a class page to render. Each file is written
atomically; the record that lets an unchanged `grade` re-run answer from these files is dropped
first, so that a re-run renders everything again from the gradebook.
"""

from __future__ import annotations

import json
import sys
import threading
import time
import traceback
from pathlib import Path

from ..files import write_atomic
from ..manual import template_rows
from ..results import SubmissionResult
from .book import Book

QUIET = 0.4  # seconds without a new save before the files are written: a marker's burst is written once
MAX_WAIT = 5.0  # ...but never later than this after the first save of the burst


class Outputs:
    def __init__(self, book: Book) -> None:
        self.book = book
        self._dirty: set[str] = set()
        self._touches = 0
        self._busy = False
        self._hurry = False
        self._closing = False
        self._cond = threading.Condition()
        self._thread = threading.Thread(target=self._run, name="grader-serve-outputs", daemon=True)
        self._thread.start()

    def touch(self, students: list[str] | set[str]) -> None:
        with self._cond:
            self._dirty.update(students)
            self._touches += 1
            self._cond.notify_all()

    def flush(self, timeout: float = 60.0) -> bool:
        """Write every change so far now and wait for it; False if that took longer than `timeout`."""
        with self._cond:
            self._hurry = True
            self._cond.notify_all()
            done = self._cond.wait_for(lambda: not self._dirty and not self._busy, timeout)
            self._hurry = False
            return done

    def close(self) -> None:
        self.flush()
        with self._cond:
            self._closing = True
            self._cond.notify_all()
        self._thread.join(10)

    def _run(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._dirty or self._closing)
                if self._closing and not self._dirty:
                    return
                deadline = time.monotonic() + MAX_WAIT
                while not (self._hurry or self._closing) and time.monotonic() < deadline:
                    seen = self._touches
                    self._cond.wait(QUIET)
                    if self._touches == seen:
                        break  # quiet for a moment: the burst is over
                students, self._dirty, self._busy = self._dirty, set(), True
            try:
                self.write(students)
            except Exception:  # noqa: BLE001 - the pages stay right (they read the gradebook); say what failed
                print(f"warning: the files in {self.book.out} could not be brought up to date:\n"
                      f"{traceback.format_exc()}", file=sys.stderr)
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()

    def write(self, students: set[str]) -> None:
        from ..report import render_index, render_student, report_name
        from ..unchanged import forget

        out, book, lang = self.book.out, self.book, self.book.lang
        forget(out)
        results = book.marked()
        title = book.title()
        if (out / "reports").is_dir():
            for result in results:
                if result.student in students:
                    write_atomic(out / "reports" / report_name(result.student), render_student(result, title, lang))
        self._results_json(out / "results.json", results, lang)
        if (out / "grades.csv").is_file():
            from ..batch import grades_csv

            write_atomic(out / "grades.csv", grades_csv(results))
        if (out / "marks_template.csv").is_file():
            write_atomic(out / "marks_template.csv", template_rows(results))
        if (out / "index.html").is_file():
            links = {r.student: f"reports/{report_name(r.student)}" for r in results}
            write_atomic(out / "index.html", render_index(results, title(lang), lang, links, book.similar,
                                                          notices=book.notices))

    def _results_json(self, path: Path, results: list[SubmissionResult], lang: str) -> None:
        """Each student's row made again, everything else in the file (similarity, notices) kept."""
        try:
            data = json.loads(path.read_text("utf-8"))
        except (OSError, ValueError):
            return
        if not isinstance(data, dict) or not isinstance(data.get("submissions"), list):
            return
        rows = {r.student: r for r in results}
        fresh = []
        for row in data["submissions"]:
            result = rows.get(row.get("student")) if isinstance(row, dict) else None
            try:
                fresh.append(result.export(data.get("lang", lang)) if result is not None else row)
            except Exception:  # noqa: BLE001 - one student's row that cannot be made keeps what it had
                fresh.append(row)
        data["submissions"] = fresh
        write_atomic(path, json.dumps(data, indent=1, ensure_ascii=False))
