"""Marking, question by question: what each marking page shows and what a save stores.

Plain functions of the gradebook (`Book`) and a form, called by the routes in a worker thread.
Enter saves and moves on: to the next answer after this one (in the class's order, wrapping
round) that still has a criterion awaiting marks, then to the next question with one, then to
the list of questions, which says that everything is marked.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from ..manual import Entry, Mark
from ..report.ui import number
from ..results import SubmissionResult, TestResult
from ..untrusted import clean, file_stem
from .answers import Answers, answers_to
from .book import Book, MarkError, parse_points
from .pages import Nav, described, page, when, who
from .words import WORDS

MAX_COMMENT = 2000
MAX_SHOWN_NEAR = 2000  # characters of a nearly identical answer shown beside the one being marked
MAX_NEAR = 30  # nearly identical answers offered beside one answer, the closest first


def mark_url(task_id: str, student: str) -> str:
    return f"/mark/{task_id}/{file_stem(student)}"


def flash(query: dict[str, str], lang: str) -> dict[str, str] | None:
    """The line a page shows after a save, from the address the save redirected to."""
    w = WORDS[lang]
    if "saved" not in query:
        return None
    try:
        saved, of, kept = int(query["saved"]), int(query.get("of", "0")), int(query.get("kept", "0"))
    except ValueError:
        return None
    def count(n: int, word: str) -> str:
        return f"{n} {w[word + ('_one' if n == 1 else '_many')]}"

    text = w["saved"].format(marks=count(saved, "mark"), students=count(of, "student")) if saved else w["saved_none"]
    if kept:
        text += " " + w["kept"].format(n=kept)
    return {"kind": "ok" if saved else "note", "text": text}


@dataclass
class Marking:
    book: Book

    def __post_init__(self) -> None:
        self._answers: dict[str, tuple[Any, Answers]] = {}
        self._lock = threading.Lock()

    def answers(self, task_id: str) -> Answers:
        results = self.book.results()
        stamp = self.book.stamp
        with self._lock:
            cached = self._answers.get(task_id)
            if cached is not None and cached[0] == stamp:
                return cached[1]
        found = answers_to(results, task_id, self.book.out.parent)
        with self._lock:
            self._answers[task_id] = (stamp, found)
        return found

    # -- where Enter goes ----------------------------------------------------------------------

    def next_pending(self, task_id: str, after: str | None) -> str:
        entries = self.book.entries()
        order = [r.student for r in self.book.queue(task_id)]
        pending = self.book.pending(task_id, entries)
        i = order.index(after) if after in order else -1
        for student in order[i + 1:] + order[:i + 1]:
            if pending.get(student):
                return mark_url(task_id, student)
        ids = [t.id for t in self.book.tasks()]
        k = ids.index(task_id) if task_id in ids else -1
        for other in ids[k + 1:] + ids[:max(k, 0)]:
            waiting = self.book.pending(other, entries)
            first = next((r.student for r in self.book.queue(other) if waiting.get(r.student)), None)
            if first is not None:
                return mark_url(other, first)
        return "/mark?done=1"

    # -- the list of questions -----------------------------------------------------------------

    def tasks_page(self, nav: Nav, done: bool, shown: dict[str, str] | None = None) -> str:
        entries = self.book.entries()
        rows = []
        for task in self.book.tasks():
            queue = self.book.queue(task.id)
            if not queue:
                continue
            pending = self.book.pending(task.id, entries)
            answered = {r.student for r in queue}
            marked = sum(1 for (s, t, _) in entries if t == task.id and s in answered)
            first = next((r.student for r in queue if pending.get(r.student)), queue[0].student)
            rows.append({"id": task.id, "title": task.title(nav.lang), "answers": len(queue),
                         "pending": sum(pending.values()), "marked": marked, "start": mark_url(task.id, first),
                         "grid": f"/mark/{task.id}/grid"})
        return page("tasks", nav, flash=shown, tasks=rows, title=self.book.title()(nav.lang),
                    done=done or (rows and not any(r["pending"] for r in rows)))

    # -- one answer ----------------------------------------------------------------------------

    def _pending_tests(self, result: SubmissionResult, task_id: str) -> list[TestResult]:
        task = next((t for t in result.tasks if t.id == task_id), None)
        return [test for test in task.tests if test.status == "pending"] if task is not None else []

    def _concepts(self, task_id: str, name: str, answer: str | None) -> str:
        """Which of the criterion's concepts the answer mentions, as the suggestion counted them."""
        definition = self.book.definition
        if definition is None or answer is None:
            return ""
        from ..exam import suggest

        task = next((t for t in definition.tasks if t.id == task_id), None)
        criterion = next((c for c in task.rubric if c.id == name), None) if task is not None else None
        if criterion is None or not criterion.concepts:
            return ""
        found = suggest(criterion, answer)
        return WORDS[self.book.lang]["mentions"].format(found=", ".join(found.found) or "—",
                                                        missing=", ".join(found.missing) or "—")

    def mark_page(self, task_id: str, result: SubmissionResult, nav: Nav, shown: dict[str, str] | None) -> str:
        lang, w = nav.lang, nav.w
        task = self.book.task(task_id)
        assert task is not None
        entries = self.book.entries()
        queue = [r.student for r in self.book.queue(task_id)]
        pending = self.book.pending(task_id, entries)
        student = result.student
        answers = self.answers(task_id)
        criteria = []
        for test in self._pending_tests(result, task_id):
            entry = entries.get((student, task_id, test.name))
            message, summary = test.message(lang), (test.summary(lang) if test.summary else "")
            criteria.append({
                "name": test.name, "title": test.title(lang) if test.title else test.name,
                "max": f"{test.max_score:g}", "max_text": number(test.max_score, lang),
                "points": f"{entry.points:g}" if entry is not None and entry.points is not None else "",
                "comment": entry.comment if entry is not None else "",
                "mark": entry_line(entry, lang),
                "automatic": "",
                "suggested": f"{test.suggested:g}" if test.suggested is not None else None,
                "suggested_text": f"{number(test.suggested, lang)} / {number(test.max_score, lang)}"
                if test.suggested is not None else "",
                "note": self._concepts(task_id, test.name, answers.text.get(student)) or
                message.removeprefix(summary).strip(),
            })
        same = [{"key": file_stem(s), "student": s, "done": not pending.get(s)} for s in answers.same.get(student, [])]
        near = [{"key": file_stem(s), "student": s, "similarity": round(100 * sim), "done": not pending.get(s),
                 "answer": answers.text.get(s, "")[:MAX_SHOWN_NEAR]} for s, sim in answers.near.get(student, [])[:MAX_NEAR]]
        k = queue.index(student)
        history = [described(e, lang) for e in reversed(self.book.history(student, task_id))]
        return page("mark", nav, script=True, flash=shown, task={"id": task_id, "title": task.title(lang)},
                    question=task.question(lang) if task.question else "", student=student,
                    report=f"/students/{file_stem(student)}", answer=answers.text.get(student),
                    criteria=criteria, same=same, near=near, history=history, csrf=nav.csrf,
                    action=mark_url(task_id, student), grid=f"/mark/{task_id}/grid",
                    position=w["student_n"].format(n=k + 1, total=len(queue)),
                    left=w["left"].format(n=sum(pending.values())),
                    prev=mark_url(task_id, queue[k - 1]) if k > 0 else None,
                    next=mark_url(task_id, queue[k + 1]) if k + 1 < len(queue) else None)

    def save_answer(self, task_id: str, result: SubmissionResult, form: dict[str, list[str]], marker: str
                    ) -> tuple[str, set[str]]:
        """Store the marks of one answer (and of the alike answers ticked with it); the address to
        go to next, with what was saved, and the students whose marks changed."""
        student = result.student
        entries = self.book.entries()
        marks: list[Mark] = []
        for test in self._pending_tests(result, task_id):
            raw = form.get(f"points.{test.name}", [""])[0].strip()
            comment = clean(form.get(f"comment.{test.name}", [""])[0]).strip()[:MAX_COMMENT]
            entry = entries.get((student, task_id, test.name))
            if not raw:
                if entry is not None and entry.points is not None and comment != entry.comment:
                    marks.append(Mark(student, task_id, test.name, entry.points, comment, "browser"))
                continue
            points = parse_points(raw, test)
            if entry is None or entry.points != points or entry.comment != comment:
                marks.append(Mark(student, task_id, test.name, points, comment, "browser"))
        answers = self.answers(task_id)
        alike = set(answers.same.get(student, [])) | {s for s, _ in answers.near.get(student, [])}
        keys = {file_stem(s): s for s in alike}
        others, kept = [], 0
        for key in dict.fromkeys(form.get("also", [])):
            member = keys.get(key)
            if member is None:
                raise MarkError("a student ticked to be marked together is not one with an answer alike")
            other = next((r for r in self.book.queue(task_id) if r.student == member), None)
            names = {t.name for t in self._pending_tests(other, task_id)} if other is not None else set()
            for mark in marks:
                if mark.criterion not in names:
                    continue
                if (member, task_id, mark.criterion) in entries:
                    kept += 1  # someone marked it already: theirs stands
                    continue
                others.append(Mark(member, task_id, mark.criterion, mark.points, mark.comment, "browser"))
        self.book.save(marks + others, marker)
        changed = {m.student for m in marks + others}
        target = self.next_pending(task_id, student)
        query = urlencode({"saved": len(marks) + len(others), "of": len(changed), "kept": kept})
        return target + ("&" if "?" in target else "?") + query, changed

    # -- every answer on one page --------------------------------------------------------------

    def grid_page(self, task_id: str, nav: Nav, shown: dict[str, str] | None) -> str:
        lang = nav.lang
        task = self.book.task(task_id)
        assert task is not None
        entries = self.book.entries()
        answers = self.answers(task_id)
        rows = []
        for result in self.book.queue(task_id):
            open_ = {t.name: t for t in self._pending_tests(result, task_id)}
            cells = []
            for criterion in task.criteria:
                entry = entries.get((result.student, task_id, criterion.name))
                test = open_.get(criterion.name)
                cells.append({"name": criterion.name, "title": criterion.title(lang), "markable": test is not None,
                              "max": f"{criterion.points:g}",
                              "points": f"{entry.points:g}" if entry is not None and entry.points is not None else "",
                              "placeholder": f"{test.suggested:g}" if test is not None and test.suggested is not None
                              else ""})
            rows.append({"key": file_stem(result.student), "student": result.student, "cells": cells,
                         "answer": answers.text.get(result.student), "href": mark_url(task_id, result.student)})
        criteria = [{"name": c.name, "title": c.title(lang), "label": c.name, "max_text": number(c.points, lang)}
                    for c in task.criteria]
        return page("grid", nav, flash=shown, task={"id": task_id, "title": task.title(lang), "criteria": criteria},
                    question=task.question(lang) if task.question else "", rows=rows, csrf=nav.csrf,
                    action=f"/mark/{task_id}/grid")

    def save_grid(self, task_id: str, form: dict[str, list[str]], marker: str) -> tuple[str, set[str]]:
        queue = {file_stem(r.student): r for r in self.book.queue(task_id)}
        marks = []
        for name, values in form.items():
            if not name.startswith("p:"):
                continue
            _, key, criterion = name.split(":", 2)
            raw, before = values[0].strip(), form.get(f"o:{key}:{criterion}", [""])[0].strip()
            if not raw or raw == before:
                continue
            result = queue.get(key)
            test = next((t for t in self._pending_tests(result, task_id) if t.name == criterion), None) \
                if result is not None else None
            if result is None or test is None:
                raise MarkError(f"no answer awaiting marks for {key!r}, criterion {criterion!r}")
            marks.append(Mark(result.student, task_id, criterion, parse_points(raw, test), "", "browser"))
        entries = self.book.entries()
        # A comment already given with a mark stays with it when the grid changes the points.
        marks = [Mark(m.student, m.task, m.criterion, m.points,
                      e.comment if (e := entries.get((m.student, m.task, m.criterion))) is not None else "", m.where)
                 for m in marks]
        self.book.save(marks, marker)
        changed = {m.student for m in marks}
        return f"/mark/{task_id}/grid?" + urlencode({"saved": len(marks), "of": len(changed)}), changed


def entry_line(entry: Entry | None, lang: str) -> str:
    if entry is None or entry.points is None:
        return ""
    return WORDS[lang]["current"].format(points=number(entry.points, lang), who=who(entry), when=when(entry, lang))
