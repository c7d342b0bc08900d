"""Two markers in two browser contexts at once, each saving while the other's save is in flight:
on different questions nothing is lost; on the same answer the later save is kept and both are in
the history."""

from __future__ import annotations

import re
from urllib.parse import urlparse

import pytest

from grader.manual import MarkStore

from .conftest import STUDENTS, Marker


@pytest.fixture(scope="module")
def pair(browser, server):
    ana, bea = Marker(browser, server, "ana"), Marker(browser, server, "bea")
    yield ana, bea
    ana.close()
    bea.close()


def where(marker: Marker) -> tuple[str, str]:
    _, _, task, student = urlparse(marker.page.url).path.split("/")
    return task, student


def test_two_markers_on_different_questions_lose_nothing(pair, out):
    ana, bea = pair
    ana.open("/mark/t2/s01")
    bea.open("/mark/t3/s01")
    typed: dict[tuple[str, str, str], tuple[float, str]] = {}
    rounds = 0
    while True:
        going = [(m, who) for m, who, task in ((ana, "ana", "t2"), (bea, "bea", "t3")) if where(m)[0] == task]
        if not going:
            break
        before = {}
        for marker, who in going:  # both type, then both press Enter before either page has come back
            task, student = where(marker)
            names = marker.page.evaluate("Array.from(document.querySelectorAll('tr[data-criterion]'), "
                                         "r => r.dataset.criterion)")
            for i, name in enumerate(names):
                digit = (int(student[1:]) + i) % 2
                marker.page.keyboard.press(str(digit))
                typed[(student, task, name)] = (digit, who)
        for marker, _ in going:
            before[marker] = marker.page.url
            marker.page.keyboard.press("Enter")
        for marker, _ in going:
            marker.page.wait_for_url(lambda url, old=before[marker]: url != old)
        rounds += 1
        assert rounds <= len(STUDENTS)
    assert rounds == len(STUDENTS)
    with MarkStore(out / "gradebook.sqlite") as store:
        stored = {(e.student, e.task, e.criterion): e for e in store.entries("exam")}
    assert len(typed) == 2 * 3 * len(STUDENTS)
    for cell, (points, who) in typed.items():
        assert (stored[cell].points, stored[cell].source) == (points, f"browser: {who}")
    ana.clean()
    bea.clean()


def test_the_same_answer_saved_by_both_keeps_the_later_and_the_history(pair, out):
    ana, bea = pair
    ana.open("/mark/t4/s05")
    bea.open("/mark/t4/s05")
    for marker, digit in ((ana, "1"), (bea, "0")):
        marker.page.keyboard.press(digit)
        marker.page.keyboard.press("c")
        marker.page.keyboard.type(f"seen by {digit}")
        marker.page.keyboard.press("Escape")
    first = ana.page.url
    ana.page.keyboard.press("Enter")
    ana.page.wait_for_url(lambda url: url != first)
    second = bea.page.url
    bea.page.keyboard.press("Enter")
    bea.page.wait_for_url(lambda url: url != second)
    with MarkStore(out / "gradebook.sqlite") as store:
        kept = {(e.student, e.task, e.criterion): e for e in store.entries("exam")}[("s05", "t4", "structure")]
        history = store.history("exam", "s05", "t4")
    assert (kept.points, kept.source, kept.comment) == (0, "browser: bea", "seen by 0")
    assert [(h.points, h.source) for h in history] == [(1, "browser: ana"), (0, "browser: bea")]
    bea.open("/mark/t4/s05")
    assert re.search(r"Marked 0 by bea", bea.page.content())
    assert "seen by 1" in bea.page.locator("details.history").text_content()


def test_without_javascript_the_marking_page_is_a_plain_form(browser, server, out):
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(server.url)
        page.goto(server.base + "/mark/t5/s03")
        page.fill("input[name='points.composition']", "1")
        page.fill("input[name='points.product']", "0.5")
        page.fill("input[name='comment.product']", "which paths?")
        page.press("input[name='comment.product']", "Enter")  # the browser's own form submission
        page.wait_for_url(lambda url: "/mark/t5/s04" in url)
        assert "Saved 2 marks for 1 student." in page.content()
        page.click("a[rel=prev]")
        assert page.input_value("input[name='points.product']") == "0.5"
    finally:
        context.close()
    with MarkStore(out / "gradebook.sqlite") as store:
        stored = {(e.student, e.task, e.criterion): e for e in store.entries("exam")}
    assert (stored[("s03", "t5", "product")].points, stored[("s03", "t5", "product")].comment) == (0.5, "which paths?")
