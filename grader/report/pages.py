"""Rendering the pages with Jinja2: one self-contained HTML file per student and the class index."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

import jinja2
from markupsafe import Markup

from ..i18n import Text
from ..library import bundle_dir
from ..results import SubmissionResult
from ..untrusted import file_stem
from .classpage import class_page
from .ui import UI, number
from .views import student_page


def report_name(student: str) -> str:
    """A file name for a student's report: readable, safe, and unique per student id however
    long (see grader.untrusted.file_stem)."""
    return file_stem(student) + ".html"


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """The templates' Jinja2 settings, shared by the reports and the marking server's pages."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(bundle_dir("templates"))),
                             autoescape=jinja2.select_autoescape(["html", "j2"]), trim_blocks=True,
                             lstrip_blocks=True, undefined=jinja2.StrictUndefined)
    env.filters["num"] = number
    env.filters["svg"] = Markup  # SVG this package wrote itself (plots and the histogram)
    return env


def render_student(result: SubmissionResult, title: Text, lang: str) -> str:
    page = student_page(result, title, lang)
    return environment().get_template("report.html.j2").render(ui=UI[lang], lang=lang, page=page)


def render_index(results: list[SubmissionResult], title: str, lang: str, links: dict[str, str],
                 similar: Mapping[str, Any] | None = None, *, notices: Sequence[str] = ()) -> str:
    """The class page; `similar` the groups of similar submissions as
    `grader.similarity.Findings.to_json()` writes them;
    `notices` what intake set aside or could not decide (refused zip members, ambiguous roster rows)."""
    page = class_page(results, title, lang, links, similar)
    page.notices = list(notices)
    return environment().get_template("index.html.j2").render(ui=UI[lang], lang=lang, page=page)
