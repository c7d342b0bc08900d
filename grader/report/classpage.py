"""What the class page shows: the score distribution, pass rates, common mistakes, flagged students.

Everything here is counted from the results alone; the histogram is a small SVG written by hand
(no plotting library: the class page must cost nothing next to grading).
"""

from __future__ import annotations

import html
import statistics
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..results import SubmissionResult
from .ui import UI, number, percent

MAX_MISTAKES = 10
MAX_SIMILAR = 100  # groups of similar submissions named on the page
MAX_SIMILAR_NAMES = 30  # students named per group
MAX_SIMILAR_NOTES = 10
MAX_PASSAGE = 600  # characters of a shared passage quoted on the page


@dataclass(frozen=True)
class Link:
    name: str
    href: str | None


@dataclass
class TestStat:
    name: str
    title: str
    public: bool
    passed: int = 0
    total: int = 0  # tests judged: those awaiting an instructor's marks are counted apart
    pending: int = 0

    @property
    def rate(self) -> int:
        return percent(self.passed, self.total)


@dataclass
class TaskStat:
    id: str
    title: str
    max_score: float
    full: int = 0
    total: int = 0  # submissions whose task is fully judged (nothing awaiting marks)
    graded: int = 0
    points: float = 0.0
    tests: dict[str, TestStat] = field(default_factory=dict)

    @property
    def rate(self) -> int:
        return percent(self.full, self.total)

    @property
    def mean_percent(self) -> int:
        return percent(self.points, self.max_score * self.graded)


@dataclass
class Mistake:
    task: str
    test: str
    misconception: str | None
    hint: str
    students: list[Link] = field(default_factory=list)


@dataclass
class EnvironmentProblem:
    """One problem of the grading environment, however many notebooks met it."""

    message: str
    fix: str
    cells: list[int] = field(default_factory=list)
    students: list[Link] = field(default_factory=list)


@dataclass(frozen=True)
class Flag:
    student: Link
    kind: str
    label: str
    cell: int | None
    message: str


@dataclass(frozen=True)
class Similar:
    """One group of similar submissions, as the page shows it (its first students only)."""

    students: list[Link]
    more: int  # students of the group not named on the page
    kind: str
    similarity: int  # percent, of the closest pair
    pair: tuple[str, str]
    passage: tuple[str, str]  # cut short for the page

    @property
    def within(self) -> bool:
        """A passage repeated inside one submission."""
        return len(self.students) + self.more == 1


@dataclass(frozen=True)
class SimilarSection:
    groups: list[Similar]
    more: int  # groups in results.json beyond those shown
    partial: bool  # not every submission was compared
    notes: list[str]


@dataclass(frozen=True)
class Row:
    student: Link
    score: str
    max_score: str
    percent: int
    status: str
    note: str


@dataclass
class ClassPage:
    title: str
    lang: str
    count: int
    graded: int
    stats: dict[str, str]
    histogram: str
    tasks: list[TaskStat]
    mistakes: list[Mistake]
    flags: list[Flag]
    rows: list[Row]
    similar: SimilarSection | None = None
    notices: list[str] = field(default_factory=list)  # problems met at intake, for the instructor
    environment: list[EnvironmentProblem] = field(default_factory=list)  # problems of the grading environment


def _stats(scores: list[float], lang: str) -> dict[str, str]:
    if not scores:
        return {}
    return {"mean": number(round(statistics.fmean(scores), 2), lang),
            "median": number(statistics.median(scores), lang), "highest": number(max(scores), lang)}


def _pass_rates(results: list[SubmissionResult], lang: str) -> list[TaskStat]:
    tasks: dict[str, TaskStat] = {}
    for result in results:
        if result.status != "graded":
            continue
        for task in result.tasks:
            stat = tasks.setdefault(task.id, TaskStat(task.id, task.title(lang) or task.id, task.max_score))
            stat.graded += 1
            stat.points += task.score
            if not any(t.status == "pending" for t in task.tests):
                stat.total += 1
                stat.full += all(t.passed for t in task.tests)
            for test in task.tests:
                ts = stat.tests.setdefault(test.name, TestStat(test.name, test.title(lang) if test.title else test.name,
                                                               test.public))
                if test.status == "pending":
                    ts.pending += 1
                else:
                    ts.total += 1
                    ts.passed += test.passed
    return list(tasks.values())


def _mistakes(results: list[SubmissionResult], lang: str, links: dict[str, str]) -> list[Mistake]:
    """Failed tests that fired a named misconception or a hint, counted once per student."""
    found: dict[tuple[str, ...], Mistake] = {}
    for result in results:
        if result.status != "graded":
            continue
        for task, test in result.tests():
            if test.passed or (test.misconception is None and test.hint is None):
                continue
            hint = test.hint(lang) if test.hint is not None else ""
            key = (task.id, test.misconception) if test.misconception else (task.id, test.name, hint)
            mistake = found.setdefault(key, Mistake(task.title(lang) or task.id,
                                                    test.title(lang) if test.title else test.name,
                                                    test.misconception, hint))
            if not mistake.students or mistake.students[-1].name != result.student:
                mistake.students.append(Link(result.student, links.get(result.student)))
    ranked = sorted(found.values(), key=lambda m: (-len(m.students), m.task, m.test))
    return ranked[:MAX_MISTAKES]


def _environment(results: list[SubmissionResult], lang: str, links: dict[str, str]) -> list[EnvironmentProblem]:
    """Each environment problem once, with the notebooks that met it: the most common first."""
    found: dict[tuple[str, str], EnvironmentProblem] = {}
    for result in results:
        for issue in result.environment:
            problem = found.setdefault((issue.problem, issue.name),
                                       EnvironmentProblem(issue.message(lang), issue.fix(lang)))
            if issue.cell not in problem.cells:
                problem.cells.append(issue.cell)
            if not problem.students or problem.students[-1].name != result.student:
                problem.students.append(Link(result.student, links.get(result.student)))
    for problem in found.values():
        problem.cells.sort()
    return sorted(found.values(), key=lambda p: (-len(p.students), p.message))


def _flags(results: list[SubmissionResult], lang: str, links: dict[str, str]) -> list[Flag]:
    ui = UI[lang]
    flags = []
    for result in results:
        who = Link(result.student, links.get(result.student))
        if result.status == "error":
            flags.append(Flag(who, "not_graded", ui["kind_not_graded"], None,
                              result.error(lang) if result.error else ""))
        for issue in result.cell_issues:
            if issue.kind in ("timeout", "crashed"):
                flags.append(Flag(who, issue.kind, ui[f"kind_{issue.kind}"], issue.cell, issue.message(lang)))
        unread = result.meta.get("choice_order_unknown")
        if unread and isinstance(unread, list):
            flags.append(Flag(who, "order_unknown", ui["kind_order_unknown"], None,
                              ui["order_unknown"].format(questions=", ".join(str(q) for q in unread[:30]))))
    return flags


def histogram(scores: list[float], max_score: float, lang: str) -> str:
    """An SVG bar chart of the scores: one bar per point when scores are whole and few, else ten."""
    ui = UI[lang]
    whole = max_score == int(max_score) and all(s == int(s) for s in scores)
    if whole and 0 < max_score <= 40:
        edges = [float(k) for k in range(int(max_score) + 2)]
        labels = [number(k, lang) for k in range(int(max_score) + 1)]
    else:
        top = max_score if max_score > 0 else max(scores, default=1.0) or 1.0
        edges = [top * k / 10 for k in range(11)]
        edges[-1] = top + 1e-9
        labels = [f"{number(edges[k], lang)}–{number(min(edges[k + 1], top), lang)}" for k in range(10)]
    counts = [0] * (len(edges) - 1)
    for score in scores:
        k = next((i for i in range(len(counts)) if score < edges[i + 1]), len(counts) - 1)
        counts[k] += 1
    width, height, left, bottom, top_pad = 640, 200, 8, 26, 18
    slot = (width - 2 * left) / len(counts)
    tallest = max(counts, default=0) or 1
    every = 1 if len(counts) <= 12 else (2 if len(counts) <= 25 else 5)  # labels that stay legible on a phone
    parts = []
    for k, count in enumerate(counts):
        h = (height - bottom - top_pad) * count / tallest
        x = left + k * slot
        y = height - bottom - h
        tip = html.escape(ui["bar_title"].format(range=labels[k], n=count))
        parts.append(f'<g><title>{tip}</title><rect x="{x + 1.5:.1f}" y="{y:.1f}" width="{slot - 3:.1f}" '
                     f'height="{max(h, 0.0):.1f}" rx="2" class="{"bar" if count else "bar empty"}"/>')
        if count:
            parts.append(f'<text x="{x + slot / 2:.1f}" y="{y - 4:.1f}" class="count">{count}</text>')
        if k % every == 0 or k == len(counts) - 1:
            parts.append(f'<text x="{x + slot / 2:.1f}" y="{height - 8}" class="tick">{html.escape(labels[k])}</text>')
        parts.append("</g>")
    stats = _stats(scores, lang)
    alt = html.escape(ui["histogram_alt"].format(n=len(scores), max=number(max_score, lang),
                                                 mean=stats.get("mean", "–"), median=stats.get("median", "–")))
    axis = f'<line x1="{left}" x2="{width - left}" y1="{height - bottom}" y2="{height - bottom}" class="axis"/>'
    return (f'<svg class="histogram" viewBox="0 0 {width} {height}" role="img" aria-label="{alt}">'
            f"<title>{alt}</title>{''.join(parts)}{axis}</svg>")


def _similar(found: Mapping[str, Any] | None, links: dict[str, str]) -> SimilarSection | None:
    """Groups of similar submissions as `grader.similarity.Findings.to_json()` writes them, the
    closest first; the page names at most MAX_SIMILAR groups and MAX_SIMILAR_NAMES students of
    each, whatever the size of the class (results.json holds them all)."""
    if not found:
        return None
    groups = sorted(found.get("groups", []), key=lambda g: -float(g.get("similarity", 0.0)))
    shown = []
    for group in groups[:MAX_SIMILAR]:
        students = [str(s) for s in group.get("students", [])]
        pair = tuple(str(s) for s in group.get("pair", ("", "")))
        passage = tuple(str(p)[:MAX_PASSAGE] for p in group.get("passage", ("", "")))
        shown.append(Similar([Link(s, links.get(s)) for s in students[:MAX_SIMILAR_NAMES]],
                             max(0, len(students) - MAX_SIMILAR_NAMES), str(group.get("kind", "code")),
                             round(100 * float(group.get("similarity", 0.0))), (pair[0], pair[-1]),
                             (passage[0], passage[-1])))
    section = SimilarSection(shown, max(0, len(groups) - MAX_SIMILAR), bool(found.get("partial")),
                             [str(n) for n in found.get("notes", [])][:MAX_SIMILAR_NOTES])
    return section if section.groups or section.partial else None


def class_page(results: list[SubmissionResult], title: str, lang: str, links: dict[str, str],
               similar: Mapping[str, Any] | None = None) -> ClassPage:
    graded = [r for r in results if r.status == "graded"]
    scores = [r.score for r in graded]
    max_score = max((r.max_score for r in results), default=0.0)
    rows = [Row(Link(r.student, links.get(r.student)), number(r.score, lang), number(r.max_score, lang),
                percent(r.score, r.max_score), r.status,
                r.error(lang) if r.error else (r.first_error.message(lang) if r.first_error else ""))
            for r in results]
    return ClassPage(title=title, lang=lang, count=len(results), graded=len(graded), stats=_stats(scores, lang),
                     histogram=histogram(scores, max_score, lang), tasks=_pass_rates(results, lang),
                     mistakes=_mistakes(results, lang, links), flags=_flags(results, lang, links), rows=rows,
                     similar=_similar(similar, links), environment=_environment(results, lang, links))
