"""What `grader.check()` shows: one object that notebook front-ends draw as HTML (`_repr_html_`)
and consoles print as text, in the notebook's language.

Everything in it that the student's code decided (values, messages of exceptions, tracebacks,
what it printed) is escaped before it goes into the HTML; the pictures are the report's own SVG.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Any

from ..i18n import Text, t
from ..results import SubmissionResult, TaskResult, TestResult

_WORDS = {
    "input": Text("input", "entrada"), "expected": Text("expected", "esperado"), "got": Text("got", "obtenido"),
    "hint": Text("hint", "pista"), "traceback": Text("traceback", "traza"),
    "cannot": Text("Could not check", "No se pudo comprobar"),
}
_CODE = re.compile(r"`([^`\n]{1,300})`")
_STYLE = """<style>
.grader-check{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;font-size:14px;line-height:1.45;max-width:60em}
.grader-check .gc-head{font-weight:600;margin:.2em 0 .5em}
.grader-check .gc-task{border-left:4px solid #2e7d32;padding:.2em .7em;margin:.4em 0}
.grader-check .gc-task.gc-bad{border-left-color:#c62828}
.grader-check .gc-pass{color:#2e7d32}.grader-check .gc-fail{color:#c62828}
.grader-check .gc-detail{margin:.2em 0 .5em 1.4em}
.grader-check dl{display:grid;grid-template-columns:max-content 1fr;gap:.1em .8em;margin:.3em 0}
.grader-check dt{font-weight:600}.grader-check dd{margin:0}
.grader-check pre{white-space:pre-wrap;word-break:normal;overflow-wrap:break-word;margin:0;font-size:12.5px}
.grader-check .gc-note{opacity:.75;font-size:12.5px;margin:.2em 0}
.grader-check figure{margin:.4em 0;max-width:28em}.grader-check svg{width:100%;height:auto}
.grader-check figcaption{font-size:12.5px;opacity:.8}
</style>"""


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _prose(text: str) -> str:
    """A message as HTML: escaped first, then its `code` spans set as code."""
    return _CODE.sub(lambda m: f"<code>{m.group(1)}</code>", _e(text))


@dataclass
class CheckReport:
    """The outcome of one `grader.check()`: `passed` (every public test run passed), `failed`,
    `total`, `hidden` (tests of the checked tasks that only grading runs) and `result`, the same
    `SubmissionResult` grading writes."""

    result: SubmissionResult | None
    lang: str
    title: Text = field(default_factory=lambda: Text("", ""))
    hidden: int = 0
    notes: list[Text] = field(default_factory=list)
    problem: str | None = None
    _html: str | None = None

    @property
    def tests(self) -> list[tuple[TaskResult, TestResult]]:
        return self.result.tests() if self.result is not None else []

    @property
    def total(self) -> int:
        return len(self.tests)

    @property
    def failed(self) -> int:
        return sum(1 for _, test in self.tests if not test.passed and test.status != "pending")

    @property
    def passed(self) -> bool:
        return self.problem is None and self.failed == 0

    def summary(self) -> str:
        lang = self.lang
        if self.problem is not None:
            return f"{_WORDS['cannot'](lang)}: {self.problem}"
        done = self.total - self.failed
        line = (f"public tests: {done}/{self.total} passed" if lang != "es"
                else f"pruebas públicas: {done}/{self.total} superadas")
        if self.hidden:
            line += "; " + t("test.hidden_not_run", count=self.hidden)(lang)
        return line

    # -- plain text -----------------------------------------------------------------------------

    def text(self) -> str:
        lang = self.lang
        lines: list[str] = []
        if self.title(lang):
            lines.append(self.title(lang))
        for task, test in self.tests:
            name = f"{task.id} / {test.title(lang) if test.title else test.name}"
            if test.passed or test.status == "pending":
                lines.append(("✓ " if test.passed else "… ") + name)
                if test.message(lang):
                    lines.append(_indent(test.message(lang)))
                continue
            lines.append("✗ " + name)
            lines.append(_indent(test.message(lang)))
            for key in ("input", "expected", "got"):
                value = getattr(test, key)
                if value:
                    lines.append(_indent(f"{_WORDS[key](lang)}: {value}"))
            if test.hint is not None and test.hint(lang):
                lines.append(_indent(f"{_WORDS['hint'](lang)}: {test.hint(lang)}"))
            if test.traceback:
                lines.append(_indent(test.traceback.rstrip(), 6))
        lines.append(self.summary())
        lines += [note(lang) for note in self.notes]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.text()

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(self.text())

    # -- HTML -----------------------------------------------------------------------------------

    def _repr_html_(self) -> str:
        if self._html is None:
            self._html = self._render()
        return self._html

    def _render(self) -> str:
        lang = self.lang
        out = [f'<div class="grader-check" lang="{_e(lang)}">', _STYLE]
        if self.problem is not None:
            out.append(f'<p class="gc-head gc-fail">✗ {_e(_WORDS["cannot"](lang))}</p><p>{_prose(self.problem)}</p>')
            out += [f'<p class="gc-note">{_prose(note(lang))}</p>' for note in self.notes]
            return "".join(out) + "</div>"
        mark = '<span class="gc-pass">✓</span>' if self.passed else '<span class="gc-fail">✗</span>'
        title = f"{_e(self.title(lang))} — " if self.title(lang) else ""
        out.append(f'<p class="gc-head">{mark} {title}{_e(self.summary())}</p>')
        for index, task in enumerate(self.result.tasks if self.result is not None else ()):
            out.append(self._task(task, index))
        out += [f'<p class="gc-note">{_prose(note(lang))}</p>' for note in self.notes]
        return "".join(out) + "</div>"

    def _task(self, task: TaskResult, index: int) -> str:
        lang = self.lang
        bad = any(not test.passed and test.status != "pending" for test in task.tests)
        head = f'<div class="gc-task{" gc-bad" if bad else ""}"><div><strong>{_e(task.id)}</strong> — '
        parts = [head + f"{_e(task.title(lang))}</div>"]
        for test in task.tests:
            name = _e(test.title(lang) if test.title else test.name)
            if test.passed or test.status == "pending":
                sign = '<span class="gc-pass">✓</span>' if test.passed else "…"
                parts.append(f"<div>{sign} {name}</div>")
                if test.message(lang):
                    parts.append(f'<div class="gc-detail">{_prose(test.message(lang))}</div>')
                continue
            parts.append(f'<div><span class="gc-fail">✗</span> {name}</div><div class="gc-detail">'
                         f"<div>{_prose(test.message(lang))}</div>")
            rows = [(key, getattr(test, key)) for key in ("input", "expected", "got") if getattr(test, key)]
            if test.hint is not None and test.hint(lang):
                rows.append(("hint", test.hint(lang)))
            if rows:
                parts.append("<dl>" + "".join(
                    f"<dt>{_e(_WORDS[key](lang))}</dt><dd>"
                    + (_prose(value) if key == "hint" else f"<pre>{_e(value)}</pre>") + "</dd>"
                    for key, value in rows) + "</dl>")
            if test.traceback:
                parts.append(f"<details><summary>{_e(_WORDS['traceback'](lang))}</summary>"
                             f"<pre>{_e(test.traceback.rstrip())}</pre></details>")
            parts.append("</div>")
        parts += _pictures(task, lang, f"gc{id(self):x}t{index}p")
        return "".join(parts) + "</div>"


def _pictures(task: TaskResult, lang: str, prefix: str) -> list[str]:
    """The report's pictures of a failed task, where matplotlib is installed."""
    if not task.plots:
        return []
    try:
        from ..report.plots import inline, picture
    except ImportError:
        return []
    out = []
    for k, plot in enumerate(task.plots):
        try:
            made = picture(plot, lang)
        except Exception:  # a picture is a help, never a reason for the check to fail
            made = None
        if made is not None:
            out.append(f"<figure>{inline(made, f'{prefix}{k}')}<figcaption>{_e(made.caption)}</figcaption></figure>")
    return out


def _indent(text: str, by: int = 4) -> str:
    pad = " " * by
    return "\n".join(pad + line for line in text.splitlines())
