"""The rendered pages as HTML: self-contained, in one language, hidden tests kept hidden, the class counted right."""

import re
from collections import Counter

import pytest

from grader.i18n import Text
from grader.report import UI, render_index, render_student, report_name
from grader.report.classpage import class_page, histogram

from .samples import (
    SECRET,
    SIMILAR,
    broken,
    bruno,
    essay,
    passing,
    sample_class,
    with_issue,
)

TITLE = Text("Lab 2", "Práctica 2")
NAMESPACES = {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}


def links(results):
    return {r.student: f"reports/{report_name(r.student)}" for r in results}


def pages(lang):
    results = sample_class()
    yield from (render_student(r, TITLE, lang) for r in results)
    yield render_index(results, "Lab 2", lang, links(results), SIMILAR)


@pytest.mark.parametrize("lang", ["en", "es"])
def test_pages_are_self_contained_and_script_free(lang):
    for html in pages(lang):
        assert "<script" not in html and "<link" not in html and "<img" not in html and "@import" not in html
        assert set(re.findall(r"https?://[^\"'\s)<]+", html)) <= NAMESPACES
        assert not re.search(r'\s(?:src|href)="(?!#|reports/)', html)  # in-page anchors and report links only
        ids = Counter(re.findall(r'\sid="([^"]+)"', html))
        assert [i for i, n in ids.items() if n > 1] == []


def test_hidden_tests_keep_their_secrets_in_the_report():
    for lang in ("en", "es"):
        html = render_student(bruno(), TITLE, lang)
        assert SECRET not in html
        assert "relu_prime(array([-1., 2.]))" in html  # a public test's input is shown


def test_the_report_puts_the_score_first_then_what_to_fix():
    html = render_student(bruno(), TITLE, "en")
    order = [html.index(f'id="{section}"') for section in ("score", "fix-first", "cells", "tasks", "output")]
    assert order == sorted(order)
    assert 'class="big">1 <span class="of">/ 20</span>' in html
    assert html.count("<figure>") == 3


def test_a_report_that_passes_says_so_and_draws_nothing():
    html = render_student(passing("ana"), TITLE, "es")
    assert UI["es"]["all_passed"] in html and "<svg" not in html and 'id="cells"' not in html
    waiting = render_student(passing("ana", essay()), TITLE, "en")
    assert "Nothing to fix: every judged test passed." in waiting and UI["en"]["all_passed"] not in waiting
    assert "Awaiting marks" in waiting and SECRET not in waiting


def test_a_notebook_that_could_not_be_graded_says_why():
    html = render_student(broken("fede"), TITLE, "en")
    assert 'id="error"' in html and "could not be graded" in html and 'id="tasks"' not in html


@pytest.mark.parametrize("lang", ["en", "es"])
def test_each_page_speaks_its_language(lang):
    other = "es" if lang == "en" else "en"
    report = render_student(bruno(), TITLE, lang)
    assert f'<html lang="{lang}">' in report
    for key in ("fix_first", "cells", "tasks", "output", "traceback"):
        assert UI[lang][key] in report and UI[other][key] not in report


def test_spanish_numbers_use_a_decimal_comma():
    result = passing("ana")
    half = type(result)(**{**result.__dict__, "max_score": 7.0})
    page = class_page([half, with_issue("b", "timeout")], "Lab", "es", {})
    assert page.stats["mean"] == "6" and page.stats["median"] == "6"
    assert class_page([half, with_issue("b", "timeout"), with_issue("c", "timeout")], "L", "es", {}).stats["mean"] \
        == "5,67"


def test_the_class_page_counts_mistakes_flags_and_pass_rates():
    results = sample_class()
    page = class_page(results, "Lab 2", "en", links(results))
    assert (page.count, page.graded) == (7, 6)
    top = page.mistakes[0]
    assert (top.misconception, len(top.students)) == ("relu_itself", 3)
    assert top.hint == "This returns ReLU(x), not its derivative."
    assert [s.name for s in top.students] == ["bruno_partly_wrong", "carla_timeout", "diego_crashed"]
    assert {(f.student.name, f.kind) for f in page.flags} == {
        ("carla_timeout", "timeout"), ("diego_crashed", "crashed"), ("fede_not_json", "not_graded"),
        ("gabi", "timeout")}
    rates = {t.id: t for t in page.tasks}
    assert (rates["relu_prime"].full, rates["relu_prime"].total, rates["relu_prime"].rate) == (3, 6, 50)
    assert rates["relu_prime"].tests["values"].rate == 50 and rates["sigmoid"].tests["values"].rate == 83
    html = render_index(results, "Lab 2", "en", links(results))
    for result in results:
        assert f'href="reports/{report_name(result.student)}"' in html


def test_the_histogram_has_a_bar_per_point_or_ten_bins():
    svg = histogram([0, 3, 3, 7], 7, "en")
    assert svg.count("<rect") == 8 and 'aria-label="Histogram of 4 graded scores out of 7' in svg
    assert re.findall(r'class="count">(\d+)<', svg) == ["1", "2", "1"]
    fine = histogram([12.5, 55.0, 99.9, 100.0], 100, "en")
    assert fine.count("<rect") == 10 and re.findall(r'class="count">(\d+)<', fine) == ["1", "1", "2"]
    assert histogram([], 10, "es").count('class="count"') == 0


def test_two_hundred_reports_render_quickly():
    import time

    results = [bruno() for _ in range(200)]
    started = time.perf_counter()
    for result in results:
        render_student(result, TITLE, "en")
    render_index(results, "Lab", "en", links(results))
    # The pictures repeat (same data), so this is the templates' own cost: a few ms a report.
    assert time.perf_counter() - started < 20


def test_answers_awaiting_marks_are_counted_apart_from_pass_rates():
    page = class_page([passing("a", essay()), passing("b", essay()), passing("c")], "Lab", "en", {})
    essay_stat = {t.id: t for t in page.tasks}["essay"]
    assert (essay_stat.total, essay_stat.graded, essay_stat.tests["answer"].pending) == (0, 2, 2)
    assert essay_stat.tests["answer"].total == 0


def test_similar_submissions_are_listed_as_groups_most_similar_first():
    results = sample_class()
    page = class_page(results, "Lab 2", "en", links(results), SIMILAR)
    assert page.similar is not None and not page.similar.partial
    assert [([x.name for x in s.students], s.within, s.similarity) for s in page.similar.groups] == [
        (["carla_timeout", "diego_crashed", "ana_correct"], False, 91), (["gabi"], True, 60)]
    html = render_index(results, "Lab 2", "es", links(results), SIMILAR)
    assert 'id="similar"' in html and "repetido dentro de una entrega" in html
    assert "return z * (z &gt; 0)" in html  # the group's shared passage, escaped
    assert 'id="similar-partial"' not in html
    assert 'id="similar"' not in render_index(results, "Lab 2", "es", links(results))


def test_a_partial_comparison_is_said_on_the_class_page():
    results = sample_class()
    partial = dict(SIMILAR, groups=[], partial=True, notes=[("the time budget ran out: 3 of 7 submissions were "
                                                             "not compared")])
    html = render_index(results, "Lab 2", "en", links(results), partial)
    assert 'id="similar-partial"' in html and "3 of 7 submissions were not compared" in html


def test_the_class_page_names_a_bounded_number_of_groups_and_students():
    from grader.report.classpage import MAX_SIMILAR, MAX_SIMILAR_NAMES

    results = sample_class()
    many = {"groups": [{"kind": "code", "students": [f"s{g}_{k}" for k in range(200)], "similarity": 0.9,
                        "pair": [f"s{g}_0", f"s{g}_1"], "passage": ["x" * 5000, "y" * 5000]} for g in range(300)],
            "partial": False, "notes": [], "compared": 60000, "submitted": 60000}
    page = class_page(results, "Lab 2", "en", links(results), many)
    assert page.similar is not None and len(page.similar.groups) == MAX_SIMILAR
    assert page.similar.more == 300 - MAX_SIMILAR
    assert all(len(g.students) == MAX_SIMILAR_NAMES and g.more == 200 - MAX_SIMILAR_NAMES for g in page.similar.groups)
    html = render_index(results, "Lab 2", "en", links(results), many)
    assert len(html) < 1_000_000 and "200 more groups are listed in results.json" in html


def test_a_result_read_back_from_the_gradebook_renders_the_same_page():
    import json

    from grader.results import SubmissionResult

    stored = SubmissionResult.from_dict(json.loads(json.dumps(bruno().to_dict())))
    assert render_student(stored, TITLE, "es") == render_student(bruno(), TITLE, "es")
