"""What a student's report shows, decided before any HTML is written.

`student_view` is the one place that decides what a student may see of a test. Its rules:

- a passed test shows its title and points only;
- visibility "score": nothing more, even when it failed;
- "message": the message and the hint; a public test adds its input, expected and got values;
- "traceback": the same, plus the traceback of the student's code;
- "source": the same, plus the test's source, for public tests only.

A hidden test shows its summary (the message without inputs or values), never its input,
expected value, got value or source, whatever its visibility says. A test awaiting an
instructor's marks ("pending") shows its summary too: the rubric suggestion in its full message
is for the instructor.

The instructor's marks (`grader.manual.apply_marks` lists them in `meta["marks"]`) that regrade
an automatic test, or that carry a comment, are shown apart, as the instructor's: a regrade with
its reason and what the automatic check gave.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ..i18n import Text
from ..results import CellIssue, SubmissionResult, TaskResult, TestResult
from . import plots
from .ui import UI, number, percent

MAX_FIX_ITEMS = 5
MAX_OUTPUT = 5000


@dataclass(frozen=True)
class TestView:
    """What the student report shows of one test."""

    name: str
    title: str
    status: str
    score: float
    max_score: float
    public: bool
    message: str
    hint: str
    input: str | None
    expected: str | None
    got: str | None
    traceback: str | None
    source: str | None

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    @property
    def wrong(self) -> bool:
        return self.status in ("failed", "error")

    @property
    def details(self) -> tuple[Any, ...]:
        """Everything shown below the title: tests with the same details can be shown once."""
        return (self.message, self.hint, self.input, self.expected, self.got, self.traceback, self.source)


def student_view(test: TestResult, lang: str) -> TestView:
    level = test.visibility
    show_message = level in ("message", "traceback", "source") and not test.passed
    values = test.public and show_message
    quiet = not test.public or test.status == "pending"
    text = (test.summary or Text("", "")) if quiet else test.message
    return TestView(
        name=test.name, title=test.title(lang) if test.title else test.name, status=test.status,
        score=test.score, max_score=test.max_score, public=test.public,
        message=text(lang) if show_message else "",
        hint=test.hint(lang) if (show_message and test.hint is not None) else "",
        input=test.input if values else None, expected=test.expected if values else None,
        got=test.got if values else None,
        traceback=trim_traceback(test.traceback) if (show_message and level in ("traceback", "source")) else None,
        source=test.source if (values and level == "source") else None,
    )


_FRAME = re.compile(r'^\s*File "([^"]*)", line \d+')


def trim_traceback(text: str | None) -> str | None:
    """Only the frames in the student's own cells (`File "<cell N>"`) and the exception itself.

    The sandbox already cuts tracebacks this way; this keeps a report right whatever produced the
    text (an older gradebook, a grader frame that slipped through)."""
    if not text:
        return text
    kept: list[str] = []
    keep = True
    for line in text.splitlines():
        frame = _FRAME.match(line)
        if frame:
            keep = frame.group(1).startswith("<cell ")
        elif line.startswith("Traceback (most recent call last)"):
            continue
        elif not line.startswith(" "):
            keep = True  # the exception line and anything after the frames
        if keep:
            kept.append(line)
    return "\n".join(kept).strip("\n") or None


@dataclass(frozen=True)
class TestGroup:
    """Failed tests with the same details, shown once with all their titles."""

    tests: tuple[TestView, ...]

    @property
    def first(self) -> TestView:
        return self.tests[0]


@dataclass(frozen=True)
class FigureView:
    svg: str
    caption: str


@dataclass(frozen=True)
class MarkView:
    """A test the instructor marked with a comment, or regraded."""

    title: str
    score: str
    max_score: str
    comment: str
    regraded: bool
    automatic: str  # the automatic check's score, for a regrade


@dataclass(frozen=True)
class TaskView:
    id: str
    title: str
    score: str
    max_score: str
    percent: int
    state: str  # "passed" | "pending" | "partial" | "failed"
    failed: tuple[TestGroup, ...]
    passed: tuple[TestView, ...]
    pending: tuple[TestView, ...] = ()
    figures: tuple[FigureView, ...] = ()
    marks: tuple[MarkView, ...] = ()


@dataclass(frozen=True)
class FixItem:
    anchor: str
    title: str
    detail: str
    lost: str = ""


@dataclass(frozen=True)
class IssueView:
    cell: int
    kind: str
    label: str
    message: str
    traceback: str | None


@dataclass
class StudentPage:
    result: SubmissionResult
    lang: str
    title: str
    score: str
    max_score: str
    percent: int
    verdict: str
    error: str | None
    waiting: int = 0  # tests awaiting an instructor's marks
    tasks: list[TaskView] = field(default_factory=list)
    fix_first: list[FixItem] = field(default_factory=list)
    more_to_fix: int = 0
    issues: list[IssueView] = field(default_factory=list)
    stdout: str = ""
    stdout_cut: bool = False


def _groups(tests: list[TestView]) -> tuple[TestGroup, ...]:
    groups: dict[tuple[Any, ...], list[TestView]] = {}
    for test in tests:
        # Tests without any detail to show stay apart (nothing is said twice by listing them).
        key = test.details if any(test.details) else ("alone", test.name)
        groups.setdefault(key, []).append(test)
    return tuple(TestGroup(tuple(g)) for g in groups.values())


def _wrong(test: TestResult) -> bool:
    return test.status in ("failed", "error")


def _state(task: TaskResult) -> str:
    if all(t.passed for t in task.tests):
        return "passed"
    if not any(_wrong(t) for t in task.tests):
        return "pending"
    return "partial" if task.score > 0 else "failed"


def _marked(task: TaskResult, marks: list[dict[str, Any]], lang: str) -> dict[str, MarkView]:
    """The task's tests shown as the instructor's marks: regrades, and marks with a comment."""
    found = {}
    titles = {test.name: (test.title(lang) if test.title else test.name, test.max_score) for test in task.tests}
    for mark in marks:
        if not isinstance(mark, dict) or mark.get("task") != task.id or mark.get("test") not in titles:
            continue
        regraded, comment = bool(mark.get("regraded")), str(mark.get("comment") or "")
        if not (regraded or comment):
            continue
        title, top = titles[mark["test"]]
        found[mark["test"]] = MarkView(title, number(float(mark.get("points", 0)), lang), number(top, lang), comment,
                                       regraded, number(float(mark.get("automatic", 0)), lang))
    return found


def task_view(task: TaskResult, lang: str, figure_budget: list[int], marks: list[dict[str, Any]] | None = None
              ) -> TaskView:
    marked = _marked(task, marks or [], lang)
    views = [student_view(test, lang) for test in task.tests if test.name not in marked]
    failed = [v for v in views if v.wrong]
    figures: list[FigureView] = []
    if failed:  # pictures only where something is wrong: a class that passes draws nothing
        for data in task.plots:
            if figure_budget[0] <= 0:
                break
            pic = plots.picture(data, lang)
            if pic is not None:
                figure_budget[0] -= 1
                prefix = f"f{plots.MAX_PICTURES - figure_budget[0]}-"
                figures.append(FigureView(plots.inline(pic, prefix), pic.caption))
    return TaskView(id=task.id, title=task.title(lang) or task.id, score=number(task.score, lang),
                    max_score=number(task.max_score, lang), percent=percent(task.score, task.max_score),
                    state=_state(task), failed=_groups(failed), passed=tuple(v for v in views if v.passed),
                    pending=tuple(v for v in views if v.status == "pending"), figures=tuple(figures),
                    marks=tuple(marked.values()))


def _issue(issue: CellIssue, lang: str) -> IssueView:
    return IssueView(issue.cell, issue.kind, UI[lang].get(f"kind_{issue.kind}", issue.kind), issue.message(lang),
                     trim_traceback(issue.traceback))


def _fix_first(page: StudentPage, result: SubmissionResult, lang: str) -> None:
    """Cells that broke come first (everything after them suffers), then tasks by points lost."""
    ui = UI[lang]
    items = [FixItem(f"issue-{k}", f"{ui['cell']} {i.cell}: {i.label}", i.message)
             for k, i in enumerate(page.issues, 1) if i.kind in ("error", "timeout", "crashed")]
    lost = sorted(((task.max_score - task.score, k, task) for k, task in enumerate(result.tasks)
                   if any(_wrong(t) for t in task.tests)), key=lambda item: (-item[0], item[1]))
    views = {view.id: view for view in page.tasks}
    for points, _, task in lost:
        view = views[task.id]
        names = [test.title for group in view.failed for test in group.tests]
        items.append(FixItem(f"task-{task.id}", view.title, " · ".join(names),
                             ui["lost"].format(lost=number(points, lang), max=view.max_score)))
    page.fix_first = items[:MAX_FIX_ITEMS]
    page.more_to_fix = max(0, len(items) - MAX_FIX_ITEMS)


def student_page(result: SubmissionResult, title: Text, lang: str) -> StudentPage:
    ui = UI[lang]
    budget = [plots.MAX_PICTURES]
    marks = result.meta.get("marks")
    tasks = [task_view(task, lang, budget, marks if isinstance(marks, list) else None) for task in result.tasks]
    done = sum(1 for t in tasks if t.state == "passed")
    to_fix = sum(1 for task in result.tasks for test in task.tests if _wrong(test))
    waiting = sum(1 for task in result.tasks for test in task.tests if test.status == "pending")
    verdict = ui["tasks_done"].format(done=done, total=len(tasks)) if tasks else ""
    if to_fix:
        verdict += " · " + (ui["test_to_fix"] if to_fix == 1 else ui["tests_to_fix"].format(n=to_fix))
    if waiting:
        verdict += " · " + ui["awaiting"].format(n=waiting)
    page = StudentPage(
        result=result, lang=lang, title=title(lang), score=number(result.score, lang),
        max_score=number(result.max_score, lang), percent=percent(result.score, result.max_score),
        verdict=verdict, error=result.error(lang) if result.error else None, tasks=tasks, waiting=waiting,
        issues=[_issue(i, lang) for i in result.cell_issues],
        stdout=result.stdout[:MAX_OUTPUT], stdout_cut=len(result.stdout) > MAX_OUTPUT)
    _fix_first(page, result, lang)
    return page
