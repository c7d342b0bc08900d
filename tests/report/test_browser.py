"""The pages in a real browser: headless system Chromium driven by Playwright, JavaScript off.

Each page is opened from file:// URLs; every request the browser makes is recorded and must stay
on file:// (inline pictures may use data:). Screenshots and PDFs land in test-artifacts/report/.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.i18n import Text
from grader.report import UI, render_index, render_student, report_name

from ..conftest import ROOT
from .samples import SIMILAR, sample_class

ARTIFACTS = ROOT / "test-artifacts" / "report"
DESKTOP = {"width": 1100, "height": 900}
PHONE = {"width": 375, "height": 740}
LANGS = ("en", "es")
STUDENT = "bruno_partly_wrong"


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """Both language builds of the sample class: <root>/<lang>/index.html and reports/."""
    root = tmp_path_factory.mktemp("site")
    results = sample_class()
    links = {r.student: f"reports/{report_name(r.student)}" for r in results}
    for lang in LANGS:
        (root / lang / "reports").mkdir(parents=True)
        for result in results:
            (root / lang / links[result.student]).write_text(
                render_student(result, Text("Neural networks, lab 2", "Redes neuronales, práctica 2"), lang), "utf-8")
        (root / lang / "index.html").write_text(render_index(results, "Neural networks, lab 2", lang, links, SIMILAR),
                                                "utf-8")
    return root


class Visit:
    """One page in a fresh context with JavaScript disabled, with everything it asked for."""

    def __init__(self, browser, path: Path, viewport=DESKTOP, media: str = "screen") -> None:
        self.context = browser.new_context(viewport=viewport, java_script_enabled=False)
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.context.on("request", lambda request: self.requests.append(request.url))
        self.page = self.context.new_page()
        self.page.on("console", lambda msg: self.errors.append(msg.text) if msg.type == "error" else None)
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        self.page.on("requestfailed", lambda request: self.errors.append(f"failed: {request.url}"))
        self.page.emulate_media(media=media)
        self.page.goto(path.as_uri())
        self.page.wait_for_load_state("load")

    def clean(self) -> None:
        assert self.errors == []
        external = [url for url in self.requests if not url.startswith(("file://", "data:"))]
        assert external == []

    def shot(self, name: str) -> None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)

    def overflow(self) -> int:
        """How far the page scrolls sideways (0: it fits its viewport)."""
        return self.page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth")

    def close(self) -> None:
        self.context.close()


def report(site: Path, lang: str, student: str = STUDENT) -> Path:
    return site / lang / "reports" / report_name(student)


@pytest.mark.parametrize("lang", LANGS)
def test_the_student_report_shows_every_section_without_errors_or_requests(browser, site, lang):
    visit = Visit(browser, report(site, lang))
    try:
        page = visit.page
        visit.clean()
        assert page.locator("script").count() == 0
        for section in ("#score", "#fix-first", "#cells", "#tasks", "#output"):
            assert page.locator(section).is_visible(), section
        assert page.locator("article.task").count() == 5
        for task in page.locator("article.task").all():
            assert task.is_visible()
        figures = page.locator("figure svg.plot")
        assert figures.count() == 3  # relu_prime's curve, Adam's path, the XOR regions
        for figure in figures.all():
            box = figure.bounding_box()
            assert figure.is_visible() and box is not None and box["width"] > 300 and box["height"] > 150
            assert figure.get_attribute("role") == "img" and figure.get_attribute("aria-label")
        # The score comes first, and what to fix first right after it.
        tops = [page.locator(s).bounding_box()["y"] for s in ("#score", "#fix-first", "#cells", "#tasks")]
        assert tops == sorted(tops)
        assert page.locator("#score .big").inner_text().startswith("1")
        # Hidden tests keep their secrets; the score-only test says its details are not shown.
        assert "SECRET" not in page.content()
        assert page.locator("#task-softmax").get_by_text(UI[lang]["details_hidden"]).is_visible()
        # In-page links of "what to fix first" land on an element of the page.
        for link in page.locator("#fix-first a").all():
            assert page.locator(link.get_attribute("href")).count() == 1
        visit.shot(f"report-{lang}")
    finally:
        visit.close()


@pytest.mark.parametrize("lang", LANGS)
def test_the_class_page_shows_every_section_and_links_every_report(browser, site, lang):
    visit = Visit(browser, site / lang / "index.html")
    try:
        page = visit.page
        visit.clean()
        for section in ("#distribution", "#pass-rates", "#mistakes", "#flagged", "#similar", "#students"):
            assert page.locator(section).is_visible(), section
        assert page.locator("svg.histogram").is_visible()
        assert page.locator("svg.histogram rect.bar:not(.empty)").count() >= 3
        top = page.locator("#mistakes li").first
        assert top.locator(".count strong").inner_text() == "3" and "relu_itself" in top.inner_text()
        flagged = page.locator("#flagged tbody tr")
        assert flagged.count() == 4  # two timeouts, a crash, a notebook that could not be read
        links = [a.get_attribute("href") for a in page.locator("#students a").all()]
        assert len(links) == len(sample_class())
        visit.shot(f"class-{lang}")
    finally:
        visit.close()
    for href in links:  # every report it links to opens, cleanly
        target = Visit(browser, site / lang / href)
        try:
            target.clean()
            assert target.page.locator("#score").is_visible()
        finally:
            target.close()


@pytest.mark.parametrize("lang", LANGS)
def test_each_build_speaks_one_language(browser, site, lang):
    other = "es" if lang == "en" else "en"
    for path, keys in ((report(site, lang), ("report", "fix_first", "cells", "tasks", "output", "hint")),
                       (site / lang / "index.html", ("class", "distribution", "pass_rates", "mistakes", "flagged"))):
        visit = Visit(browser, path)
        try:
            assert visit.page.locator("html").get_attribute("lang") == lang
            text = visit.page.locator("body").inner_text()
            for key in keys:
                assert UI[lang][key] in text, key
                assert UI[other][key] not in text, key
        finally:
            visit.close()
    visit = Visit(browser, report(site, lang))
    try:  # the pictures' legends too
        legend = visit.page.locator("#task-relu_prime svg.plot").text_content()
        assert ("referencia" in legend) == (lang == "es") and ("reference" in legend) == (lang == "en")
    finally:
        visit.close()


@pytest.mark.parametrize("lang", LANGS)
def test_a_phone_reads_both_pages_without_scrolling_sideways(browser, site, lang):
    for name, path in (("report", report(site, lang)), ("class", site / lang / "index.html"),
                       ("report-long-name", report(site, lang, "José Núñez (group 2)"))):
        visit = Visit(browser, path, viewport=PHONE)
        try:
            visit.clean()
            assert visit.overflow() <= 0, name
            visit.shot(f"{name}-phone-{lang}")
        finally:
            visit.close()


def test_the_report_prints(browser, site):
    visit = Visit(browser, report(site, "en"), media="print")
    try:
        visit.clean()
        assert visit.page.locator("figure svg.plot").first.is_visible()
        assert visit.overflow() <= 0
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        pdf = visit.page.pdf(path=str(ARTIFACTS / "report-en.pdf"), format="A4", print_background=True)
        assert pdf.startswith(b"%PDF") and len(pdf) > 20_000
    finally:
        visit.close()
