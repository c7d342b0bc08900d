"""Regrades: any test the grader judged itself, changed for one student, with a reason.

A regrade is a mark like any other (the same table, kept through re-grading); what sets it apart
is that the test was not awaiting marks, so the student's report shows it as a regrade, with the
reason and what the automatic check gave. Restoring the automatic result removes the mark (the
history keeps both).
"""

from __future__ import annotations

from urllib.parse import urlencode

from ..manual import Mark
from ..results import SubmissionResult
from ..untrusted import clean, file_stem
from .book import Book, MarkError, parse_points
from .marking import MAX_COMMENT, entry_line, mark_url
from .pages import Nav, page


def regrade_page(book: Book, result: SubmissionResult, nav: Nav, shown: dict[str, str] | None) -> str:
    lang, w = nav.lang, nav.w
    key = file_stem(result.student)
    heading = w["regrade_title"].format(student=result.student)
    if result.status != "graded":
        why = result.error(lang) if result.error else ""
        return page("regrade", nav, flash=shown, heading=heading, report=f"/students/{key}",
                    not_graded=w["not_graded"].format(why=why), tasks=[], action="", csrf=nav.csrf)
    entries = book.entries()
    tasks = []
    for task in result.tasks:
        tests = []
        for test in task.tests:
            entry = entries.get((result.student, task.id, test.name))
            tests.append({
                "name": test.name, "title": test.title(lang) if test.title else test.name,
                "status": test.status, "status_text": w.get(f"status_{test.status}", test.status),
                "automatic": f"{test.score:g} / {test.max_score:g}", "max": f"{test.max_score:g}",
                "max_text": f"{test.max_score:g}",
                "points": f"{entry.points:g}" if entry is not None and entry.points is not None else "",
                "reason": entry.comment if entry is not None else "", "mark": entry_line(entry, lang),
                "pending": mark_url(task.id, result.student) if test.status == "pending" else "",
            })
        tasks.append({"id": task.id, "title": task.title(lang) or task.id, "tests": tests})
    return page("regrade", nav, flash=shown, heading=heading, report=f"/students/{key}", not_graded="",
                tasks=tasks, action=f"/students/{key}/regrade", csrf=nav.csrf)


def save_regrade(book: Book, result: SubmissionResult, form: dict[str, list[str]], marker: str) -> str:
    """Store or remove one regrade; the address to go back to."""
    def field(name: str) -> str:
        return form.get(name, [""])[0]

    task_id, name = field("task"), field("test")
    test = book.check(result.student, task_id, name)
    if test.status == "pending":
        raise MarkError("this test awaits marks: mark it on the marking page, question by question")
    key = file_stem(result.student)
    back = f"/students/{key}/regrade"
    if field("action") == "restore":
        book.remove(result.student, task_id, name, marker)
        return back + "?" + urlencode({"saved": 1, "of": 1}) + f"#test-{task_id}-{name}"
    reason = clean(field("reason")).strip()[:MAX_COMMENT]
    if not reason:
        raise MarkError("a regrade needs a reason: the student reads it in their report")
    book.save([Mark(result.student, task_id, name, parse_points(field("points"), test), reason, "browser")], marker)
    return back + "?" + urlencode({"saved": 1, "of": 1}) + f"#test-{task_id}-{name}"
