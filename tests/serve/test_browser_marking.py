"""Marking a class of 12 exam notebooks in a real browser (the system Chromium), with the keyboard
alone: every pending criterion marked, and the marks found in the gradebook, in results.json after
`grader export --format json`, in the Moodle worksheet export and in the students' reports.
Hostile answers show as text and run nothing; without the token nothing is served."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from urllib.parse import urlparse

import pytest
from click.testing import CliRunner

from grader.cli import main
from grader.manual import MarkStore
from grader.report.ui import number

from ..lms.platforms import moodle_import_worksheet
from .conftest import HOSTILE, STUDENTS, Marker

MARKER = "Keyboard Marker"


def points_for(student: str, task: str, index: int) -> tuple[int, bool]:
    """The points the test types for a criterion: a digit, and whether to add half a point."""
    digit = (int(student[1:]) + int(task[1:]) + index) % 2
    return digit, digit == 0 and index == 2 and int(student[1:]) % 4 == 0


@pytest.fixture(scope="module")
def marker(browser, server):
    person = Marker(browser, server, MARKER)
    yield person
    person.close()


def test_a_hostile_answer_shows_as_text_and_runs_nothing(marker):
    page = marker.page
    for path in (f"/mark/t1/{HOSTILE}", "/mark/t1/grid", f"/students/{HOSTILE}", "/"):
        marker.open(path)
        assert page.evaluate("window.__pwned") is None, path
        assert page.locator("main img, main script:not([src]), main svg[onload]").count() == 0, path
    marker.open(f"/mark/t1/{HOSTILE}")
    shown = page.locator("#answer").inner_text()
    assert '<script>window.__pwned = "script"</script>' in shown and "onerror=" in shown and "{{ 7*7 }}" in shown
    assert r"\frac{\partial L}{\partial w}" in shown  # LaTeX as written
    assert page.locator("#answer *").count() == 0  # nothing in it became an element
    marker.clean()


def test_a_request_without_the_token_is_refused(browser, server):
    context = browser.new_context()
    try:
        page = context.new_page()
        for path in ("/", "/mark", "/mark/t2/s01", f"/students/{HOSTILE}", "/static/marking.js"):
            reply = page.goto(server.base + path)
            assert reply is not None and reply.status == 403, path
            assert "s01" not in page.content() and "ReLU" not in page.content()
        wrong = page.goto(server.base + "/?token=" + "x" * len(server.token))
        assert wrong is not None and wrong.status == 403
    finally:
        context.close()


def test_every_pending_criterion_is_marked_with_the_keyboard_alone(marker, server, out, exam_class, tmp_path):
    page = marker.page
    expected: dict[tuple[str, str, str], tuple[float, str]] = {}
    marker.open("/mark/t1/s01")
    page.keyboard.press("j")  # next answer without saving, and back
    page.wait_for_url(re.compile(r"/mark/t1/s02$"))
    page.keyboard.press("k")
    page.wait_for_url(re.compile(r"/mark/t1/s01$"))
    screens = 0
    while urlparse(page.url).path.startswith("/mark/t"):
        _, _, task, student = urlparse(page.url).path.split("/")
        names, together = page.evaluate(
            "[Array.from(document.querySelectorAll('tr[data-criterion]'), r => r.dataset.criterion),"
            " Array.from(document.querySelectorAll('input[name=also]:checked'), b => b.value)]")
        typed = {}
        for i, name in enumerate(names):
            digit, half = points_for(student, task, i)
            page.keyboard.press(str(digit))
            if half:
                page.keyboard.press(".")
            typed[name] = digit + 0.5 * half
        comment = ""
        if screens % 5 == 0:  # now and then a comment on the last criterion, Enter saving from its box
            comment = f"comment {screens} on {student}"
            page.keyboard.press("ArrowUp")
            page.keyboard.press("ArrowDown")
            page.keyboard.press("c")
            page.keyboard.type(comment)
        if screens == 0:
            marker.shot("marking-keyboard")
        before = page.url
        page.keyboard.press("Enter")
        page.wait_for_url(lambda url, old=before: url != old)
        for name, points in typed.items():
            note = comment if name == names[-1] else ""
            expected[(student, task, name)] = (points, note)
            for other in together:
                expected.setdefault((other, task, name), (points, note))
        screens += 1
        assert screens < 80, "the marking never ended"
    assert urlparse(page.url).path == "/mark" and "done=1" in page.url
    assert "Everything is marked." in page.content()
    assert screens < 59  # the answers alike (t1: s01, s02, s03) were marked together
    marker.clean()

    # Every pending criterion of the class, marked as typed, by this marker, in the gradebook.
    with MarkStore(out / "gradebook.sqlite") as store:
        stored = {(e.student, e.task, e.criterion): e for e in store.entries("exam")}
    pending = {(s["student"], t["id"], x["name"])
               for s in json.loads((exam_class / "out" / "results.json").read_text())["submissions"]
               for t in s["tasks"] for x in t["tests"] if x["status"] == "pending"}
    assert len(pending) == 3 * (5 * 12 - 1)
    assert set(stored) == pending == set(expected)
    for cell, (points, comment) in expected.items():
        assert (stored[cell].points, stored[cell].comment, stored[cell].source) == (points, comment,
                                                                                     f"browser: {MARKER}")
    assert any(points == 0.5 for points, _ in expected.values())

    # results.json after `grader export --format json`
    exported = CliRunner().invoke(main, ["export", "--out", str(out), "--format", "json"])
    assert exported.exit_code == 0, exported.output
    subs = {s["student"]: s for s in json.loads((out / "exports" / "results.json").read_text())["submissions"]}
    for (student, task, name), (points, _) in expected.items():
        test = next(x for t in subs[student]["tasks"] if t["id"] == task for x in t["tests"] if x["name"] == name)
        assert test["score"] == points and test["status"] == ("passed" if points == 1 else "failed")
    assert not any(x["status"] == "pending" for s in subs.values() for t in s["tasks"] for x in t["tests"])

    # The Moodle grading worksheet
    sheet = tmp_path / "Grades-NN101-Exam-7.csv"
    sheet.write_text('Identifier,"Full name","Email address",Status,Grade,"Maximum Grade","Grade can be changed",'
                     '"Last modified (submission)","Last modified (grade)","Feedback comments"\r\n' + "".join(
                         f'"Participant {201 + n}","Student {s}",{s}@example.edu,"Submitted for grading",,30.00,Yes,'
                         '"Sunday, 6 October 2024, 11:02 PM",-,\r\n' for n, s in enumerate(STUDENTS)))
    moodle = CliRunner().invoke(main, ["export", "--out", str(out), "--format", "moodle", "--worksheet", str(sheet)])
    assert moodle.exit_code == 0, moodle.output
    grades = {r.participant: r.grade for r in moodle_import_worksheet(
        (out / "exports" / "moodle" / sheet.name).read_bytes())}
    for n, student in enumerate(STUDENTS):
        assert grades[201 + n] == Decimal(repr(subs[student]["score"])).quantize(Decimal("0.01"))

    # The students' reports: the files in OUT and the live pages
    assert server.outputs.flush()
    for student in STUDENTS:
        score = number(subs[student]["score"], "en")
        written = (out / "reports" / f"{student}.html").read_text()
        assert f'<p class="big">{score} <span class="of">/ 30</span>' in written, student
        assert "Awaiting marks" not in written
    marker.open("/students/s04")
    assert page.locator(".score .big").inner_text().startswith(number(subs["s04"]["score"], "en"))
    commented = next((s, c) for (s, _, _), (_, c) in expected.items() if c)
    assert commented[1] in (out / "reports" / f"{commented[0]}.html").read_text()
    marker.clean()
